//! What the page shows about a firmware file, whether it fits the device, and the end of
//! an update or backup.

use super::{clean, size, Detail, Problem, ProblemKind, Table};
use crate::core::file::{self, FirmwareFile, Image};
use crate::core::fit::{self, FlashImage, Misfit, Placement};
use crate::core::vectors::VectorProblem;
use crate::core::Finish;
use crate::driver::{Backup, DeviceInfo, FlashReport};
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
            warnings: f.warnings.iter().map(super::words::file_warning).collect(),
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

/// A misfit in the customer's words.
pub fn misfit_text(m: &Misfit, name: &str) -> String {
    match m {
        Misfit::OtherMaker { file, device } | Misfit::OtherModel { file, device } => format!(
            "The file is made for another device: {}.",
            file::mismatch(*file, *device)
        ),
        Misfit::NeedsDfuse => "This file places data at memory addresses, but this device takes a plain image. Use the maker's .bin or .dfu file for this device.".into(),
        Misfit::NoSuchAlt { alt } => format!(
            "The file writes to memory area {alt}, which this device does not have."
        ),
        Misfit::NoMemoryMap { alt } => format!(
            "The device does not describe memory area {alt}, so the file cannot be placed safely."
        ),
        Misfit::NoWritableMemory { alt } => format!(
            "The device describes no writable memory in memory area {alt}, so a plain image cannot be placed safely."
        ),
        Misfit::OutsideMemory {
            address,
            len,
            memory,
            ..
        } => format!(
            "The file writes {} at {address:#010x}, outside the writable memory of {}: it is larger than this device's memory, or made for another model.",
            size(*len),
            clean(memory)
        ),
        Misfit::LargerThanLearned { size: n, capacity } => format!(
            "The file ({}) is larger than {name}'s memory: when a file was written to it, it took {} and refused the rest. Get the firmware made for {name}.",
            size(*n),
            size(*capacity)
        ),
        Misfit::DownloadNotSupported => "This device does not accept firmware downloads.".into(),
        Misfit::TinyImage { size: n } => format!(
            "The file holds only {}, far less than any firmware: it is probably not the right file.",
            size(*n)
        ),
        Misfit::NotAProgram(p) => not_a_program(p),
    }
}

impl FitView {
    /// The verdict for writing `f` to `d`, a plain image placed as `place` says: the
    /// same assessment the update runs ([`crate::core::fit::assess`]).
    pub fn new(d: &DeviceInfo, f: &FirmwareFile) -> FitView {
        FitView::placed(d, f, Placement::default())
    }

    pub fn placed(d: &DeviceInfo, f: &FirmwareFile, place: Placement) -> FitView {
        let name = clean(&d.display_name());
        let a = fit::assess(d, None, &FlashImage::from(f), f.suffix_ids(), place);
        let problems: Vec<String> = a
            .misfits
            .iter()
            .filter(|m| !m.confirmable())
            .map(|m| misfit_text(m, &name))
            .collect();
        let risks: Vec<String> = a.risks().map(|m| misfit_text(m, &name)).collect();
        let mut warnings: Vec<String> = f.warnings.iter().map(super::words::file_warning).collect();
        if d.quirks.broken_upload {
            warnings.push("This device cannot read its firmware back reliably, so the update is not checked afterwards.".into());
        }
        // Where a plain image goes, and what is erased: said only for a file that can be
        // written.
        if problems.is_empty() {
            if let Some((at, memory)) = &a.placed {
                let erases: usize = a.jobs.iter().map(|j| j.erases).sum();
                let sectors = if erases == 1 { "sector" } else { "sectors" };
                warnings.push(format!(
                    "The image will be written at {at:#010x} in {} ({erases} {sectors} erased first).",
                    clean(memory)
                ));
            }
        }
        let written = size(f.payload_len());
        let (stage, verdict) = if !problems.is_empty() {
            (
                Stage::Refused,
                format!("This file cannot be used with {name}."),
            )
        } else if !risks.is_empty() {
            (
                Stage::Confirm,
                format!("This file may not be right for {name}."),
            )
        } else if a.checked_again {
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
            problems,
            risks,
            warnings,
            can_verify: a.can_verify,
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
