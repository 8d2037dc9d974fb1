//! View models: everything the page shows, decided and worded in Rust so the page only
//! renders. Platform-neutral and tested natively.

mod catalog;
mod device;
mod fit;
mod link;
mod problem;
pub mod text;
pub mod words;

pub use catalog::{
    catalog_elsewhere_problem, catalog_error_line, catalog_fetch_problem, catalog_lead,
    catalog_problem, download_cancelled_problem, product_name, release_download_problem,
    signature_problem, tampered_problem, OfferView, OutcomeView, ReleaseView, SignatureProblem,
};
pub use device::{clean, size, Chooser, DeviceView, RepairView, Table};
pub use fit::{busy_problem, closed_problem, misfit_text, DoneView, FirmwareView, FitView, Stage};
pub use link::{download_problem, firmware_link, percent_decode, same_site, vendors, FirmwareLink};
pub use problem::{
    describe_error_text, failure_problem, flash_error_text, problem_for, Detail, Platform, Problem,
    ProblemKind,
};

use crate::core::Phase;
use crate::driver::ProgressReport;
use serde::Serialize;

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
}

pub fn phase_label(p: Phase) -> &'static str {
    match p {
        Phase::Prepare => "Preparing the device",
        Phase::Detach => "Switching the device to update mode",
        Phase::Erase => "Erasing",
        Phase::Write => "Writing",
        Phase::Verify => "Checking",
        Phase::Manifest => "Finishing",
        Phase::Leave => "Restarting the device",
        Phase::Upload => "Reading the firmware",
    }
}

fn duration(ms: f64) -> String {
    let s = (ms / 1000.0).ceil() as u64;
    if s < 60 {
        format!("{s} s")
    } else {
        format!("{} min {:02} s", s / 60, s % 60)
    }
}

impl ProgressView {
    pub fn new(r: &ProgressReport) -> ProgressView {
        let cur = r.progress.current();
        let percent = (r.progress.fraction() * 100.0).clamp(0.0, 100.0);
        // Whole percent without float formatting (it costs the wasm about 15 KB).
        let whole = percent.round_ties_even() as u32;
        let mut text = format!("{}… {whole}%", phase_label(cur.phase));
        // Byte counts only where bytes move; detach, manifest and leave are steps.
        let moves_bytes = matches!(
            cur.phase,
            Phase::Write | Phase::Verify | Phase::Upload | Phase::Erase
        );
        if moves_bytes && cur.total > 1 {
            text.push_str(&format!(" · {} of {}", size(cur.done), size(cur.total)));
        } else if moves_bytes && cur.done > 0 {
            text.push_str(&format!(" · {} so far", size(cur.done)));
        }
        if r.rate > 0.0 && moves_bytes {
            text.push_str(&format!(" · {}/s", size(r.rate as u64)));
            if let Some(eta) = r.eta_ms.filter(|e| *e >= 1000.0) {
                text.push_str(&format!(" · about {} left", duration(eta)));
            }
        }
        ProgressView {
            phase: Some(cur.phase),
            reconnecting: false,
            percent,
            done: cur.done,
            total: cur.total,
            rate: r.rate,
            eta_ms: r.eta_ms,
            text,
        }
    }

    /// While a release's file downloads (`total`: its published size).
    pub fn downloading(what: &str, done: u64, total: u64) -> ProgressView {
        let percent = if total > 0 {
            (done as f64 / total as f64 * 100.0).clamp(0.0, 100.0)
        } else {
            0.0
        };
        let whole = percent.round_ties_even() as u32;
        ProgressView {
            phase: None,
            reconnecting: false,
            percent,
            done,
            total,
            rate: 0.0,
            eta_ms: None,
            text: format!(
                "Downloading {}… {whole}% · {} of {}",
                clean(what),
                size(done),
                size(total)
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
            text: format!(
                "Waiting for {} to come back in update mode… ({seconds_left} s)",
                clean(name)
            ),
        }
    }
}
