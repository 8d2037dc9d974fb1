//! View models: everything the page shows, decided and worded in Rust so the page only
//! renders. Platform-neutral and tested natively.

mod catalog;
mod catalog_problem;
mod compare;
mod device;
mod fit;
mod link;
mod problem;
pub mod support;
pub mod text;
pub mod words;

pub use catalog::{catalog_lead, product_name, OfferView, OutcomeView, ReleaseView};
pub use catalog_problem::{
    catalog_elsewhere_problem, catalog_error_line, catalog_fetch_problem, catalog_problem,
    download_cancelled_problem, release_download_problem, signature_problem, tampered_problem,
    SignatureProblem,
};
pub use compare::{compare_done, compare_note, full_reason};
pub use device::{calm, clean, device_name, size, Chooser, DeviceView, RepairView, Table};
pub use fit::{busy_problem, closed_problem, misfit_text, DoneView, FirmwareView, FitView, Stage};
pub use link::{download_problem, firmware_link, percent_decode, same_site, vendors, FirmwareLink};
pub use problem::{
    describe_error_text, failure_problem, flash_error_text, problem_for, Detail, Platform, Problem,
    ProblemKind,
};
pub use support::{Repair, SupportLog};

use crate::core::Phase;
use crate::driver::ProgressReport;
use crate::t;
use serde::Serialize;
use text::text;

/// One progress line for the page (and screen readers).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgressView {
    /// `erase`, `write`, …; none while the page waits for the device to come back.
    pub phase: Option<Phase>,
    /// The page waits for the device to come back in update mode (the re-pair step).
    pub reconnecting: bool,
    pub percent: f64,
    pub done: u64,
    pub total: u64,
    pub rate: f64,
    pub eta_ms: Option<f64>,
    pub text: String,
    /// What the compare found ("14 of 16 sectors already hold this firmware; …"), once
    /// it is over.
    pub note: Option<String>,
}

pub fn phase_label(p: Phase) -> String {
    text(match p {
        Phase::Prepare => "progress.phase.prepare",
        Phase::Detach => "progress.phase.detach",
        Phase::Erase => "progress.phase.erase",
        Phase::Write => "progress.phase.write",
        Phase::Verify => "progress.phase.verify",
        Phase::Manifest => "progress.phase.manifest",
        Phase::Leave => "progress.phase.leave",
        Phase::Compare => "progress.phase.compare",
        Phase::Upload => "progress.phase.upload",
    })
}

/// A duration the way a person says it: "8 s", "1 min 05 s" (rounded up to the second).
pub fn duration(ms: f64) -> String {
    let s = (ms / 1000.0).ceil() as u64;
    if s < 60 {
        t!("duration.seconds", s = s)
    } else {
        t!("duration.minutes", m = s / 60, s = format!("{:02}", s % 60))
    }
}

/// The message keys of the months, January first.
const MONTHS: [&str; 12] = [
    "date.month.1",
    "date.month.2",
    "date.month.3",
    "date.month.4",
    "date.month.5",
    "date.month.6",
    "date.month.7",
    "date.month.8",
    "date.month.9",
    "date.month.10",
    "date.month.11",
    "date.month.12",
];

/// A calendar date (`YYYY-MM-DD`, as catalogs give it) the language's way: "2 November
/// 2026", "2. November 2026", "2026年11月2日". Anything else is shown as given.
pub fn date(iso: &str) -> String {
    let mut parts = iso.splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
        return iso.to_string();
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
        return iso.to_string();
    }
    // Two ASCII digits each (checked above): the parses cannot fail.
    let (month, day) = (
        m.parse::<usize>().unwrap_or(0),
        d.parse::<u32>().unwrap_or(0),
    );
    match MONTHS.get(month.wrapping_sub(1)) {
        Some(key) if (1..=31).contains(&day) => {
            t!("date.long", day = day, month = text::text(key), year = y)
        }
        _ => iso.to_string(),
    }
}

/// A whole percentage in the language's way ("19%", "19 %").
pub fn percent(p: f64) -> String {
    // Whole percent without float formatting (it costs the wasm about 15 KB).
    let whole = p.clamp(0.0, 100.0).round_ties_even() as u32;
    t!("number.percent", n = whole)
}

impl ProgressView {
    /// One measure for the whole job: the percentage and the time left both cover every
    /// phase (the bytes of the phase in progress are in `done`/`total` for the bar's
    /// callers, not in the sentence).
    pub fn new(r: &ProgressReport) -> ProgressView {
        let cur = r.progress.current();
        let percent_done = (r.progress.fraction() * 100.0).clamp(0.0, 100.0);
        let phase = phase_label(cur.phase);
        let pc = percent(percent_done);
        let text = match r.eta_ms.filter(|e| *e >= 1000.0) {
            Some(eta) => t!(
                "progress.line.left",
                phase = phase,
                percent = pc,
                left = duration(eta)
            ),
            None => t!("progress.line", phase = phase, percent = pc),
        };
        ProgressView {
            phase: Some(cur.phase),
            reconnecting: false,
            percent: percent_done,
            done: cur.done,
            total: cur.total,
            rate: r.rate,
            eta_ms: r.eta_ms,
            text,
            note: r
                .progress
                .compared
                .as_ref()
                .and_then(|c| compare_note(c, false)),
        }
    }

    /// The same, for an update that retries one that did not finish (the note says it
    /// resumes).
    pub fn resuming(r: &ProgressReport) -> ProgressView {
        let mut v = ProgressView::new(r);
        if let Some(c) = &r.progress.compared {
            v.note = compare_note(c, true);
        }
        v
    }

    /// While a release's file downloads (`total`: its published size).
    pub fn downloading(what: &str, done: u64, total: u64) -> ProgressView {
        let percent = if total > 0 {
            (done as f64 / total as f64 * 100.0).clamp(0.0, 100.0)
        } else {
            0.0
        };
        ProgressView {
            phase: None,
            reconnecting: false,
            percent,
            done,
            total,
            rate: 0.0,
            eta_ms: None,
            note: None,
            text: t!(
                "progress.downloading",
                name = clean(what),
                percent = self::percent(percent),
                done = size(done),
                total = size(total)
            ),
        }
    }

    /// While the device re-enumerates: a countdown.
    pub fn reconnecting(name: &str, seconds_left: u32) -> ProgressView {
        ProgressView {
            phase: None,
            reconnecting: true,
            percent: 0.0,
            done: 0,
            total: 0,
            rate: 0.0,
            eta_ms: Some(f64::from(seconds_left) * 1000.0),
            note: None,
            text: t!(
                "progress.waiting",
                name = clean(name),
                left = duration(f64::from(seconds_left) * 1000.0)
            ),
        }
    }
}
