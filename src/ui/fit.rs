//! What the page shows about a firmware file, whether it fits the device, and the end of
//! an update or backup.

use super::{clean, size, Detail, Problem, ProblemKind, Table};
use crate::core::descriptor::{DfuVersion, Mode};
use crate::core::file::{self, FirmwareFile, IdCheck, Image, UsbIds};
use crate::core::vectors::VectorProblem;
use crate::core::Finish;
use crate::driver::{placement_risk, Backup, DeviceInfo, FlashReport, Risk};
use serde::Serialize;

/// The file panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FirmwareView {
    pub title: String,
    pub facts: Vec<(String, String)>,
    pub targets: Vec<Table>,
    pub warnings: Vec<String>,
}

impl FirmwareView {
    pub fn new(f: &FirmwareFile, name: &str, file_size: usize) -> FirmwareView {
        let mut facts = vec![
            ("Type".to_string(), f.format.label().to_string()),
            ("File size".to_string(), size(file_size as u64)),
            ("Firmware size".to_string(), size(f.payload_len())),
        ];
        if let Some(s) = f.suffix {
            let id = |v: u16| {
                if v == file::suffix::ANY {
                    "any".to_string()
                } else {
                    format!("{v:04x}")
                }
            };
            let release = match s.device {
                0 | file::suffix::ANY => "any release".to_string(),
                r => format!("release {}", file::release(r)),
            };
            facts.push((
                "Made for".to_string(),
                format!("USB id {}:{} ({release})", id(s.vendor), id(s.product)),
            ));
            facts.push((
                "Checksum".to_string(),
                if s.crc_ok() {
                    "correct".into()
                } else {
                    "WRONG".into()
                },
            ));
        }
        if let Some(e) = f.entry_point {
            facts.push(("Start address".to_string(), format!("{e:#010x}")));
        }
        let targets = match &f.image {
            Image::Raw(_) => Vec::new(),
            Image::Addressed(ts) => ts
                .iter()
                .map(|t| Table {
                    caption: format!(
                        "Memory area {}{}",
                        t.alt,
                        t.name
                            .as_deref()
                            .map(|n| format!(": {}", clean(n)))
                            .unwrap_or_default()
                    ),
                    headers: ["Address", "Size"].map(String::from).to_vec(),
                    rows: t
                        .elements
                        .iter()
                        .take(64)
                        .map(|e| vec![format!("{:#010x}", e.address), size(e.data.len() as u64)])
                        .collect(),
                })
                .collect(),
        };
        FirmwareView {
            title: clean(name),
            facts,
            targets,
            warnings: f.warnings.iter().map(ToString::to_string).collect(),
        }
    }
}

/// How far a file is known to fit a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Stage {
    /// Everything checked: it fits.
    Fits,
    /// The device runs its firmware: what can be known now fits, and the rest is
    /// checked once it is in update mode, before anything is written.
    Provisional,
    /// Risky: written only if the user confirms ("Flash anyway").
    Confirm,
    /// Cannot be written to this device.
    Refused,
}

/// Does a file fit a device?
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FitView {
    /// It can be written without a confirmation.
    pub ok: bool,
    pub stage: Stage,
    pub verdict: String,
    /// Why it cannot be written.
    pub problems: Vec<String>,
    /// What needs the user's confirmation.
    pub risks: Vec<String>,
    pub warnings: Vec<String>,
    /// "Flash anyway" may be offered: there are risks and no problems.
    pub can_force: bool,
    /// What "Flash anyway" risks, said next to it.
    pub force_warning: String,
    pub can_verify: bool,
}

fn ids(d: &DeviceInfo) -> UsbIds {
    UsbIds {
        vendor: d.vendor_id,
        product: d.product_id,
        device: d.device_version,
    }
}

/// A vector-table problem in the customer's words.
fn not_a_program(p: &VectorProblem) -> String {
    let lead = "This does not look like a program for this device";
    match p {
        VectorProblem::TooShort { address } => format!(
            "{lead}: fewer than 8 bytes would be written at {address:#010x}, where the device starts its program."
        ),
        VectorProblem::StackNotInRam { address, stack } => format!(
            "{lead}: a program written at {address:#010x} starts with the address of its stack in RAM, but this file starts with {stack:#010x}."
        ),
        VectorProblem::ResetNotThumb { address, reset } | VectorProblem::ResetOutsideImage { address, reset } => format!(
            "{lead}: a program written at {address:#010x} names where its code starts, but this file names {reset:#010x}, which is not code in this file."
        ),
    }
}

pub(super) fn risk_text(r: &Risk) -> String {
    match r {
        Risk::TinyImage { size: n } => format!(
            "The file holds only {}, far less than any firmware: it is probably not the right file.",
            size(*n)
        ),
        Risk::NotAProgram(p) => not_a_program(p),
    }
}

struct Check {
    problems: Vec<String>,
    risks: Vec<String>,
    warnings: Vec<String>,
}

impl Check {
    /// Writing `elements` to alt `alt`: inside the writable memory, and a program where
    /// the device starts one.
    fn placement(&mut self, d: &DeviceInfo, alt: u8, elements: &[(u32, &[u8])]) {
        let Some(a) = d.alt(alt) else {
            self.problems.push(format!(
                "The file writes to memory area {alt}, which this device does not have."
            ));
            return;
        };
        let Some(map) = &a.memory_map else {
            self.problems.push(format!(
                "The device does not describe memory area {alt}, so the file cannot be placed safely."
            ));
            return;
        };
        let mut inside = true;
        for (address, data) in elements {
            if !map.covers(*address, data.len() as u64, |s| s.writable) {
                inside = false;
                self.problems.push(format!(
                    "The file writes {} at {:#010x}, outside the writable memory of {}: it is larger than this device's memory, or made for another model.",
                    size(data.len() as u64),
                    address,
                    clean(&map.name)
                ));
            }
        }
        if inside {
            if let Some(r) = placement_risk(d, alt, elements) {
                self.risks.push(risk_text(&r));
            }
        }
    }
}

impl FitView {
    pub fn new(d: &DeviceInfo, f: &FirmwareFile) -> FitView {
        let name = clean(&d.display_name());
        let mut c = Check {
            problems: Vec::new(),
            risks: Vec::new(),
            warnings: Vec::new(),
        };
        let runtime = d.mode == Mode::Runtime;
        let dfuse = d.version == DfuVersion::DfuSe;
        // Where a plain image goes: said only for a file that can be written.
        let mut placed = None;
        // What the suffix names. In run-time mode only the maker can be compared: the
        // product id usually changes in update mode.
        match (f.suffix_ids(), runtime) {
            (Some(file), true)
                if file.vendor != file::suffix::ANY && file.vendor != d.vendor_id =>
            {
                c.problems.push(format!(
                    "The file is made for another device: {}.",
                    file::mismatch(file, ids(d))
                ))
            }
            (Some(_), true) => {}
            (Some(_), false) => match f.check_ids(None, Some(ids(d))) {
                IdCheck::Match | IdCheck::Unspecified => {}
                IdCheck::Mismatch { file, device } => {
                    let why = file::mismatch(file, device);
                    if file.vendor == device.vendor {
                        c.risks
                            .push(format!("The file is made for another device: {why}."));
                    } else {
                        c.problems
                            .push(format!("The file is made for another device: {why}."));
                    }
                }
            },
            (None, _) => {}
        }
        // A run-time functional descriptor that states DFU 1.1 (rather than none) says
        // the device takes plain images in update mode too.
        let says_plain = d.functional.raw_version.is_some() && !dfuse;
        match &f.image {
            Image::Addressed(_) if !dfuse && (!runtime || says_plain) => {
                c.problems.push("This file places data at memory addresses, but this device takes a plain image. Use the maker's .bin or .dfu file for this device.".into());
            }
            Image::Addressed(targets) if !runtime => {
                for t in targets {
                    let elements: Vec<(u32, &[u8])> = t
                        .elements
                        .iter()
                        .map(|e| (e.address, e.data.as_slice()))
                        .collect();
                    c.placement(d, t.alt, &elements);
                }
            }
            Image::Raw(data) if dfuse => {
                let alt = 0;
                match d.alt(alt).and_then(|a| a.memory_map.as_ref()) {
                    Some(map) => match map.segments.iter().find(|s| s.writable) {
                        Some(seg) => {
                            let before = c.problems.len();
                            c.placement(d, alt, &[(seg.start, data.as_slice())]);
                            if c.problems.len() == before {
                                placed = Some(format!(
                                    "The image will be written at {:#010x} in {}.",
                                    seg.start,
                                    clean(&map.name)
                                ));
                            }
                        }
                        None => c.problems.push(
                            "The device describes no writable memory, so a plain image cannot be placed safely.".into(),
                        ),
                    },
                    None if runtime => {}
                    None => c.problems.push(
                        "The device does not describe its memory, so a plain image cannot be placed safely.".into(),
                    ),
                }
            }
            _ => {}
        }
        // A plain DFU 1.1 device does not say its size, but one that refused the rest of an
        // earlier file has told it.
        if let (Image::Raw(data), Some(cap), false) = (&f.image, d.learned_capacity, dfuse) {
            if data.len() as u64 > cap {
                c.problems.push(format!(
                    "The file ({}) is larger than {name}'s memory: when a file was written to it, it took {} and refused the rest. Get the firmware made for {name}.",
                    size(data.len() as u64),
                    size(cap)
                ));
            }
        }
        if f.is_tiny() {
            c.risks.push(risk_text(&Risk::TinyImage {
                size: f.payload_len(),
            }));
        }
        if !d.attributes.can_download {
            c.problems
                .push("This device does not accept firmware downloads.".into());
        }
        c.warnings
            .extend(f.warnings.iter().map(ToString::to_string));
        let can_verify = d.attributes.can_upload
            && !d.quirks.broken_upload
            && (dfuse || d.attributes.manifestation_tolerant || runtime);
        if d.quirks.broken_upload {
            c.warnings.push("This device cannot read its firmware back reliably, so the update is not checked afterwards.".into());
        }
        if c.problems.is_empty() {
            c.warnings.extend(placed);
        }
        let written = size(f.payload_len());
        let (stage, verdict) = if !c.problems.is_empty() {
            (
                Stage::Refused,
                format!("This file cannot be used with {name}."),
            )
        } else if !c.risks.is_empty() {
            (
                Stage::Confirm,
                format!("This file may not be right for {name}."),
            )
        } else if runtime {
            (
                Stage::Provisional,
                format!("Ready to update {name}: {written} will be written. It switches to update mode first, and the file is checked against it once more before anything is written."),
            )
        } else {
            (
                Stage::Fits,
                format!("This file fits {name}: {written} will be written."),
            )
        };
        FitView {
            ok: matches!(stage, Stage::Fits | Stage::Provisional),
            stage,
            verdict,
            can_force: stage == Stage::Confirm,
            force_warning: if stage == Stage::Confirm {
                "Writing a file that is not made for this device can leave it unable to start until the right firmware is written. Tick this only if the device's maker told you to use this file.".into()
            } else {
                String::new()
            },
            problems: c.problems,
            risks: c.risks,
            warnings: c.warnings,
            can_verify,
        }
    }

    /// The device restarted into its firmware: it must be connected again first. Not a
    /// fault: a neutral note, nothing red.
    pub fn needs_reconnect(mut self) -> FitView {
        self.ok = false;
        self.can_force = false;
        self.stage = Stage::Provisional;
        self.force_warning.clear();
        self.verdict = "To update it again, connect the device again.".into();
        self.problems.clear();
        self.risks.clear();
        self.warnings.clear();
        self
    }

    /// The refusal as an error the page can show.
    pub fn as_problem(&self) -> Problem {
        let mut details: Vec<Detail> = self
            .problems
            .iter()
            .chain(&self.risks)
            .cloned()
            .map(Detail::Text)
            .collect();
        details.push(Detail::Text(
            "Nothing was written: the device is unchanged.".into(),
        ));
        Problem {
            title: self.verdict.clone(),
            details,
            kind: ProblemKind::WrongFile,
        }
    }
}

/// The end of a successful operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DoneView {
    pub title: String,
    pub details: Vec<String>,
}

impl DoneView {
    pub fn update(r: &FlashReport) -> DoneView {
        let name = clean(&r.device.display_name());
        let title = match r.finish {
            Finish::Restarting => format!("Done! {name} is restarting with the new firmware."),
            Finish::ReplugNeeded => {
                format!("Done! Unplug {name} and plug it back in to start the new firmware.")
            }
            _ => format!(
                "Done! The new firmware is on {name}. It stays in update mode until you unplug it."
            ),
        };
        let mut details = vec![format!("Wrote {}.", size(r.written))];
        details.push(if r.verified {
            "Checked: the device holds exactly this firmware.".into()
        } else {
            "Not read back for checking.".into()
        });
        details.push(match r.finish {
            Finish::Restarting => {
                "Wait a few seconds for it to start; then you can use it, or unplug it.".into()
            }
            Finish::ReplugNeeded => "Once it is plugged back in, it runs the new firmware.".into(),
            _ => "You can unplug the device now.".into(),
        });
        DoneView { title, details }
    }

    pub fn backup(d: &DeviceInfo, b: &Backup) -> DoneView {
        DoneView {
            title: "Backup saved".into(),
            details: vec![
                format!(
                    "Read {} from {}.",
                    size(b.data.len() as u64),
                    clean(&d.display_name())
                ),
                format!("Saved as {}.", b.file_name),
            ],
        }
    }
}

/// Another operation holds the device.
pub fn busy_problem() -> Problem {
    Problem {
        title: "An update is already running".into(),
        details: vec![Detail::Text(
            "Wait for it to finish, or cancel it first.".into(),
        )],
        kind: ProblemKind::Busy,
    }
}

/// The device was closed.
pub fn closed_problem() -> Problem {
    Problem {
        title: "The device is no longer connected to this page".into(),
        details: vec![Detail::Text("Connect it again and retry.".into())],
        kind: ProblemKind::Closed,
    }
}
