//! What the page shows about a firmware file, whether it fits the device, and the end of
//! an update or backup.

use super::{clean, size, Detail, Problem, Table};
use crate::core::descriptor::{DfuVersion, Mode};
use crate::core::file::{self, FirmwareFile, IdCheck, Image, UsbIds};
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
            facts.push((
                "Made for".to_string(),
                format!(
                    "USB id {}:{} (release {})",
                    id(s.vendor),
                    id(s.product),
                    id(s.device)
                ),
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

/// Does a file fit a device?
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FitView {
    pub ok: bool,
    pub verdict: String,
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
    /// "Flash anyway" may be offered (only for a product-id mismatch within one vendor).
    pub can_force: bool,
    pub can_verify: bool,
}

fn ids(d: &DeviceInfo) -> UsbIds {
    UsbIds {
        vendor: d.vendor_id,
        product: d.product_id,
        device: d.device_version,
    }
}

impl FitView {
    pub fn new(d: &DeviceInfo, f: &FirmwareFile) -> FitView {
        let name = clean(&d.display_name());
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        let mut can_force = true;
        let runtime = d.mode == Mode::Runtime;
        match f.check_ids(None, Some(ids(d))) {
            IdCheck::Match | IdCheck::Unspecified => {}
            IdCheck::Mismatch { file, .. } if runtime => warnings.push(format!(
                "The file names USB id {:04x}:{:04x}. The device will be checked again once it is in update mode.",
                file.vendor, file.product
            )),
            IdCheck::Mismatch { file, device } => {
                let release = |v: u16| match v {
                    0 | 0xFFFF => String::new(),
                    v => format!(" release {v:x}"),
                };
                problems.push(format!(
                    "The file is made for USB id {:04x}:{:04x}{}, but this device is {:04x}:{:04x}{}.",
                    file.vendor,
                    file.product,
                    release(file.device),
                    device.vendor,
                    device.product,
                    if file.device == 0 || file.device == 0xFFFF { String::new() } else { release(device.device) }
                ));
                can_force &= file.vendor == device.vendor;
            }
        }
        let dfuse = d.version == DfuVersion::DfuSe;
        match &f.image {
            Image::Addressed(_) if !runtime && !dfuse => {
                problems.push("This file places data at memory addresses, but this device takes a plain image. Use the vendor's .bin or .dfu file for this device.".into());
                can_force = false;
            }
            Image::Addressed(targets) if !runtime => {
                for t in targets {
                    let Some(alt) = d.alt(t.alt) else {
                        problems.push(format!(
                            "The file writes to memory area {}, which this device does not have.",
                            t.alt
                        ));
                        can_force = false;
                        continue;
                    };
                    let Some(map) = &alt.memory_map else {
                        problems.push(format!("The device does not describe memory area {}, so the file cannot be placed safely.", t.alt));
                        can_force = false;
                        continue;
                    };
                    for e in &t.elements {
                        if !map.covers(e.address, e.data.len() as u64, |s| s.writable) {
                            problems.push(format!(
                                "The file writes {} at {:#010x}, outside the writable memory of {}.",
                                size(e.data.len() as u64),
                                e.address,
                                clean(&map.name)
                            ));
                            can_force = false;
                        }
                    }
                }
            }
            Image::Raw(data) if !runtime && dfuse => {
                match d.alts.first().and_then(|a| a.memory_map.as_ref()) {
                    Some(map) => match map.segments.iter().find(|s| s.writable) {
                        Some(seg) if map.covers(seg.start, data.len() as u64, |s| s.writable) => {
                            warnings.push(format!(
                                "The image will be written at {:#010x} in {}.",
                                seg.start,
                                clean(&map.name)
                            ))
                        }
                        _ => {
                            problems.push(format!(
                                "The image ({}) is larger than the device's writable memory.",
                                size(data.len() as u64)
                            ));
                            can_force = false;
                        }
                    },
                    None => {
                        problems.push("The device does not describe its memory, so a plain image cannot be placed safely.".into());
                        can_force = false;
                    }
                }
            }
            _ => {}
        }
        if !d.attributes.can_download {
            problems.push("This device does not accept firmware downloads.".into());
            can_force = false;
        }
        warnings.extend(f.warnings.iter().map(ToString::to_string));
        let can_verify = d.attributes.can_upload
            && !d.quirks.broken_upload
            && (dfuse || d.attributes.manifestation_tolerant || runtime);
        if d.quirks.broken_upload {
            warnings.push("This device cannot read its firmware back reliably, so the update is not checked afterwards.".into());
        }
        let ok = problems.is_empty();
        FitView {
            ok,
            verdict: if ok {
                format!(
                    "This file fits {name}: {} will be written.",
                    size(f.payload_len())
                )
            } else {
                format!("This file cannot be used with {name}.")
            },
            problems,
            warnings,
            can_force: !ok && can_force,
            can_verify,
        }
    }

    /// The device restarted into its firmware: it must be connected again first.
    pub fn needs_reconnect(mut self) -> FitView {
        self.ok = false;
        self.can_force = false;
        self.verdict = "Connect the device again to update it.".into();
        self.problems = vec![
            "It restarted with its new firmware, so the browser needs to open it again.".into(),
        ];
        self
    }

    /// The refusal as an error the page can show.
    pub fn as_problem(&self) -> Problem {
        let mut details: Vec<Detail> = self.problems.iter().cloned().map(Detail::Text).collect();
        details.push(Detail::Text(
            "Nothing was written: the device is unchanged.".into(),
        ));
        Problem {
            title: self.verdict.clone(),
            details,
            kind: "wrong-file",
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
        kind: "busy",
    }
}

/// The device was closed.
pub fn closed_problem() -> Problem {
    Problem {
        title: "The device is no longer connected to this page".into(),
        details: vec![Detail::Text("Connect it again and retry.".into())],
        kind: "closed",
    }
}
