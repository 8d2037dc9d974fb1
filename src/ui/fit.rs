//! What the page shows about a firmware file, whether it fits the device, and the end of
//! an update or backup.

use super::text::{fill, plural, text};
use super::{clean, size, Detail, Problem, ProblemKind, Table};
use crate::core::file::{self, FirmwareFile, Format, Image};
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
    /// A plain image: where it goes is chosen on the device (its alt setting).
    pub plain: bool,
}

/// The kind of file, in words (the core's `Format::label` is the command line's).
fn format_name(f: Format) -> String {
    text(match f {
        Format::Raw => "fit.format.raw",
        Format::DfuSuffix => "fit.format.dfu_suffix",
        Format::Dfuse => "fit.format.dfuse",
        Format::IntelHex => "fit.format.intel_hex",
    })
}

impl FirmwareView {
    pub fn new(f: &FirmwareFile, name: &str, file_size: usize) -> FirmwareView {
        let mut facts = vec![
            (text("fit.fact.type"), format_name(f.format)),
            (text("fit.fact.file_size"), size(file_size as u64)),
            (text("fit.fact.firmware_size"), size(f.payload_len())),
        ];
        if let Some(s) = f.suffix {
            let id = |v: u16| {
                if v == file::suffix::ANY {
                    text("fit.fact.made_for.any_id")
                } else {
                    format!("{v:04x}")
                }
            };
            let (vendor, product) = (id(s.vendor), id(s.product));
            let made_for = match s.device {
                0 | file::suffix::ANY => fill(
                    "fit.fact.made_for.any_release",
                    &[("vendor", &vendor), ("product", &product)],
                ),
                r => fill(
                    "fit.fact.made_for.release",
                    &[
                        ("vendor", &vendor),
                        ("product", &product),
                        ("release", &file::release(r)),
                    ],
                ),
            };
            facts.push((text("fit.fact.made_for"), made_for));
            facts.push((
                text("fit.fact.checksum"),
                if s.crc_ok() {
                    text("fit.fact.checksum.correct")
                } else {
                    text("fit.fact.checksum.wrong")
                },
            ));
        }
        if let Some(e) = f.entry_point {
            facts.push((text("fit.fact.start_address"), format!("{e:#010x}")));
        }
        let targets = match &f.image {
            Image::Raw(_) | Image::Stream(_) => Vec::new(),
            Image::Addressed(ts) => ts
                .iter()
                .map(|t| Table {
                    caption: match t.name.as_deref() {
                        Some(n) => fill(
                            "fit.area.named",
                            &[("alt", &t.alt.to_string()), ("name", &clean(n))],
                        ),
                        None => fill("fit.area", &[("alt", &t.alt.to_string())]),
                    },
                    headers: vec![text("fit.area.address"), text("fit.area.size")],
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
            plain: matches!(f.image, Image::Raw(_) | Image::Stream(_)),
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
    match p {
        VectorProblem::TooShort { address } => fill(
            "fit.not_a_program.too_short",
            &[("address", &format!("{address:#010x}"))],
        ),
        VectorProblem::StackNotInRam { address, stack } => fill(
            "fit.not_a_program.stack",
            &[
                ("address", &format!("{address:#010x}")),
                ("stack", &format!("{stack:#010x}")),
            ],
        ),
        VectorProblem::ResetNotThumb { address, reset }
        | VectorProblem::ResetOutsideImage { address, reset } => fill(
            "fit.not_a_program.reset",
            &[
                ("address", &format!("{address:#010x}")),
                ("reset", &format!("{reset:#010x}")),
            ],
        ),
    }
}

/// A misfit in the customer's words.
pub fn misfit_text(m: &Misfit, name: &str) -> String {
    match m {
        Misfit::OtherMaker { file, device } | Misfit::OtherModel { file, device } => fill(
            "fit.misfit.other_device",
            &[("reason", &super::words::mismatch(*file, *device))],
        ),
        Misfit::NeedsDfuse => text("fit.misfit.needs_dfuse"),
        Misfit::NoSuchAlt { alt } => fill("fit.misfit.no_such_alt", &[("alt", &alt.to_string())]),
        Misfit::NoMemoryMap { alt } => {
            fill("fit.misfit.no_memory_map", &[("alt", &alt.to_string())])
        }
        Misfit::NoWritableMemory { alt } => fill(
            "fit.misfit.no_writable_memory",
            &[("alt", &alt.to_string())],
        ),
        Misfit::OutsideMemory {
            address,
            len,
            room,
            memory,
            ..
        } => fill(
            "fit.misfit.outside_memory",
            &[
                ("size", &size(*len)),
                ("room", &size(*room)),
                ("address", &format!("{address:#010x}")),
                ("memory", &clean(memory)),
            ],
        ),
        Misfit::LargerThanLearned { size: n, capacity } => fill(
            "fit.misfit.larger_than_learned",
            &[
                ("size", &size(*n)),
                ("name", name),
                ("capacity", &size(*capacity)),
            ],
        ),
        Misfit::DownloadNotSupported => text("fit.misfit.download_not_supported"),
        Misfit::TinyImage { size: n } => fill("fit.misfit.tiny_image", &[("size", &size(*n))]),
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
        let name = clean(&super::device_name(d));
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
            warnings.push(text("fit.warning.broken_upload"));
        }
        // Where a plain image goes, and what is erased: said only for a file that can be
        // written.
        if problems.is_empty() {
            if let Some((at, memory)) = &a.placed {
                let erases: usize = a.jobs.iter().map(|j| j.erases).sum();
                warnings.push(plural(
                    "fit.warning.placed",
                    erases as u64,
                    &[
                        ("address", &format!("{at:#010x}")),
                        ("memory", &clean(memory)),
                    ],
                ));
            }
        }
        let written = size(f.payload_len());
        let (stage, verdict) = if !problems.is_empty() {
            (
                Stage::Refused,
                fill("fit.verdict.refused", &[("name", &name)]),
            )
        } else if !risks.is_empty() {
            (
                Stage::Confirm,
                fill("fit.verdict.confirm", &[("name", &name)]),
            )
        } else if a.checked_again {
            (
                Stage::Provisional,
                fill(
                    "fit.verdict.provisional",
                    &[("name", &name), ("size", &written)],
                ),
            )
        } else {
            (
                Stage::Fits,
                fill("fit.verdict.fits", &[("name", &name), ("size", &written)]),
            )
        };
        FitView {
            ok: matches!(stage, Stage::Fits | Stage::Provisional),
            stage,
            verdict,
            can_force: stage == Stage::Confirm,
            force_warning: if stage == Stage::Confirm {
                text("fit.force.warning")
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
        self.verdict = text("fit.verdict.reconnect");
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
        details.push(Detail::Text(text("fit.refused.unchanged")));
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
        let name = clean(&super::device_name(&r.device));
        let title = match r.finish {
            Finish::Restarting => fill("fit.done.restarting.title", &[("name", &name)]),
            Finish::ReplugNeeded => fill("fit.done.replug.title", &[("name", &name)]),
            _ => fill("fit.done.stays.title", &[("name", &name)]),
        };
        let wrote = r
            .compared
            .as_ref()
            .and_then(|c| super::compare_done(c, r.written, &name))
            .unwrap_or_else(|| fill("fit.done.wrote", &[("size", &size(r.written))]));
        let mut details = vec![wrote];
        if let Some(why) = r.no_compare.and_then(super::full_reason) {
            details.push(why);
        }
        details.push(if r.verified {
            text("fit.done.verified")
        } else {
            text("fit.done.not_verified")
        });
        details.push(match r.finish {
            Finish::Restarting => text("fit.done.restarting.detail"),
            Finish::ReplugNeeded => text("fit.done.replug.detail"),
            _ => text("fit.done.stays.detail"),
        });
        DoneView { title, details }
    }

    pub fn backup(d: &DeviceInfo, b: &Backup) -> DoneView {
        DoneView {
            title: text("fit.backup.title"),
            details: vec![
                fill(
                    "fit.backup.read",
                    &[
                        ("size", &size(b.data.len() as u64)),
                        ("name", &clean(&super::device_name(d))),
                    ],
                ),
                fill("fit.backup.saved", &[("file", &b.file_name)]),
            ],
        }
    }
}

/// Another operation holds the device.
pub fn busy_problem() -> Problem {
    Problem {
        title: text("fit.busy.title"),
        details: vec![Detail::Text(text("fit.busy.detail"))],
        kind: ProblemKind::Busy,
    }
}

/// The device was closed.
pub fn closed_problem() -> Problem {
    Problem {
        title: text("fit.closed.title"),
        details: vec![Detail::Text(text("fit.closed.detail"))],
        kind: ProblemKind::Closed,
    }
}
