//! The support log's end of an operation: re-pair steps, what the customer was shown,
//! and the exact error, as fixed English labels and values (see `ui::support`).

use super::line::{clip, english, quoted, yes, Line};
use super::{Repair, SupportLog, MAX_SHOWN, MAX_TEXT};
use crate::core::error::{ErrorKind, LinkError};
use crate::core::Finish;
use crate::driver::{
    Backup, DescribeError, FlashError, FlashFailure, FlashReport, Left, TransferError,
    TransferErrorKind,
};
use crate::ui::{misfit_text, words, Chooser, Detail, DoneView, Problem};

impl SupportLog {
    /// An update succeeded; `shown` is what the page said.
    pub fn update_done(&mut self, at_ms: f64, r: &FlashReport, shown: &DoneView) {
        let mut lines = self.end_operation(at_ms);
        lines.extend(done(shown));
        lines.extend(report(r));
        self.add(at_ms, "Succeeded", lines);
        if r.detached {
            self.device(at_ms, "Device in update mode", &r.device);
        }
    }

    /// A backup succeeded.
    pub fn backup_done(&mut self, at_ms: f64, b: &Backup, shown: &DoneView) {
        let mut lines = self.end_operation(at_ms);
        lines.extend(done(shown));
        lines.push(Line::new("Read", format!("{} bytes", b.data.len())));
        lines.push(Line::new("Address", format!("{:#010x}", b.address)));
        lines.push(Line::new("Saved as", quoted(&b.file_name, MAX_TEXT)));
        self.add(at_ms, "Succeeded", lines);
    }

    /// A download finished, its size and SHA-256 as the catalog pins them.
    pub fn download_done(&mut self, at_ms: f64, bytes: u64) {
        let mut lines = self.end_operation(at_ms);
        lines.push(Line::new("Downloaded", format!("{bytes} bytes")));
        lines.push(Line::new(
            "Checked",
            "size and SHA-256 match the catalog".into(),
        ));
        self.add(at_ms, "Succeeded", lines);
    }

    /// An update or backup failed: what the customer was shown, and the exact error.
    pub fn failed(&mut self, at_ms: f64, f: &FlashFailure, shown: &Problem) {
        let mut lines = self.end_operation(at_ms);
        lines.extend(problem(shown));
        lines.extend(failure(f));
        self.add(at_ms, "Failed", lines);
    }

    /// Anything else that stopped the customer (`title` says what: "Opening the device
    /// failed"): the problem shown, and the technical line.
    pub fn problem(&mut self, at_ms: f64, title: &'static str, shown: &Problem, technical: &str) {
        let mut lines = self.end_operation(at_ms);
        lines.extend(problem(shown));
        if !technical.is_empty() {
            lines.push(Line::new("Error", clip(technical, MAX_SHOWN)));
        }
        self.add(at_ms, title, lines);
    }

    /// A failure before an operation began (opening, describing a device).
    pub fn open_failed(&mut self, at_ms: f64, e: &FlashError, shown: &Problem) {
        let mut lines = problem(shown);
        lines.extend(flash_error(e));
        self.add(at_ms, "Opening the device failed", lines);
    }
}

fn chooser(c: Chooser) -> String {
    match c {
        Chooser::Browser => "the browser's chooser",
        Chooser::Demo => "the page's own (demo)",
    }
    .into()
}

fn transfer(t: &TransferError) -> Vec<Line> {
    let kind = match t.kind {
        TransferErrorKind::Stall => "stall",
        TransferErrorKind::Disconnected => "disconnected",
        TransferErrorKind::Timeout => "timeout",
        TransferErrorKind::AccessDenied => "access-denied",
        TransferErrorKind::Unsupported => "unsupported",
        TransferErrorKind::Cancelled => "cancelled",
        TransferErrorKind::Other => "other",
    };
    vec![
        Line::new("Transfer error", kind.into()),
        Line::new("Message", quoted(&t.message, MAX_SHOWN)),
    ]
}

/// A re-pair step: the section's title and lines.
pub(super) fn repair(step: Repair) -> (&'static str, Vec<Line>) {
    let step_line = |s: &str| vec![Line::new("Step", s.into())];
    match step {
        Repair::Looking => (
            "Reconnecting",
            step_line("the device left the bus; looking for it among the permitted devices"),
        ),
        Repair::Found => (
            "Reconnected",
            step_line("found again without asking (same serial number, or a policy)"),
        ),
        Repair::Asked(c) => {
            let mut v = step_line("not found by itself; the user was asked to select it");
            v.push(Line::new("Chooser", chooser(c)));
            ("Re-pair asked", v)
        }
        Repair::Chosen => ("Re-paired", step_line("the user selected the device")),
        Repair::NotChosen(e) => ("Re-pair failed", transfer(e)),
    }
}

/// A success as the page showed it.
pub(super) fn done(shown: &DoneView) -> Vec<Line> {
    let mut v = vec![
        Line::new("Result", "success".into()),
        Line::new("Shown title", quoted(&shown.title, MAX_SHOWN)),
    ];
    for d in &shown.details {
        v.push(Line::new("Shown detail", quoted(d, MAX_SHOWN)));
    }
    v
}

/// A successful update's report.
pub(super) fn report(r: &FlashReport) -> Vec<Line> {
    let finish = match r.finish {
        Finish::Idle => "stays in update mode (dfuIDLE)".into(),
        Finish::Restarting => "restarting into its firmware".into(),
        Finish::ReplugNeeded => "replug needed (the host could not reset it)".into(),
        Finish::Detached { reset } => format!("detached (reset by the host: {})", yes(reset)),
        Finish::DetachedReplugNeeded => "detached, replug needed".into(),
        Finish::AlreadyInDfuMode => "already in update mode".into(),
    };
    let mut v = vec![
        Line::new("Written", format!("{} bytes", r.written)),
        Line::new("Verified", yes(r.verified)),
        Line::new("Finish", finish),
        Line::new("Switched to update mode first", yes(r.detached)),
    ];
    if let Some(a) = r.address {
        v.push(Line::new("Placed at", format!("{a:#010x}")));
    }
    v
}

/// A problem as the page showed it.
pub(super) fn problem(shown: &Problem) -> Vec<Line> {
    let mut v = vec![
        Line::new("Result", "failed".into()),
        Line::new("Shown title", quoted(&shown.title, MAX_SHOWN)),
        Line::new("Problem kind", shown.kind.name().into()),
    ];
    for d in &shown.details {
        v.push(match d {
            Detail::Text(t) => Line::new("Shown detail", quoted(t, MAX_SHOWN)),
            Detail::Code(c) => Line::new("Shown code", quoted(c, MAX_SHOWN)),
        });
    }
    v
}

/// A failed update or backup: the error and what it left behind.
pub(super) fn failure(f: &FlashFailure) -> Vec<Line> {
    let mut v = flash_error(&f.error);
    let left = match f.left {
        Left::AsItWas => "as it was (nothing that changes it reached the device)",
        Left::WaitingInUpdateMode => "waiting in update mode (nothing erased or written)",
        Left::Incomplete => "incomplete (erasing or writing had begun)",
        Left::Written => "written (the check, the finish or the restart did not end)",
    };
    v.push(Line::new("Left", left.into()));
    v.push(Line::new(
        "Written",
        format!("{} of {} bytes", f.written, f.total),
    ));
    v
}

/// The exact error: the technical line, and every field that says what happened.
pub(super) fn flash_error(e: &FlashError) -> Vec<Line> {
    let mut v = vec![Line::new("Error", clip(&technical(e), MAX_SHOWN))];
    match e {
        FlashError::Transfer(t) | FlashError::Describe(DescribeError::Transfer(t)) => {
            v.extend(transfer(t))
        }
        FlashError::Device(d) => {
            v.push(Line::new("Error kind", d.kind.tag().into()));
            v.push(Line::new("Phase", d.phase.name().into()));
            let request = d.request.map_or("(none)", |r| r.name());
            v.push(Line::new("Request", request.into()));
            v.extend(kind(&d.kind));
            if let Some(a) = d.address {
                v.push(Line::new("Address", format!("{a:#010x}")));
            }
            let recovered = match d.recovered {
                Some(true) => "yes, back in dfuIDLE",
                Some(false) => "no",
                None => "not tried",
            };
            v.push(Line::new("Recovered", recovered.into()));
            let set = if d.dfuse { "DfuSe" } else { "DFU 1.1" };
            v.push(Line::new("Status codes", set.into()));
            if let Some(t) = &d.device_text {
                v.push(Line::new("Device text", quoted(t, MAX_TEXT)));
            }
        }
        _ => {}
    }
    v
}

/// The technical line of a flash error, like the driver's `Display` but without its Debug
/// formatting of descriptor and plan errors (which would cost the wasm): the page's own
/// words stand in for those, and for misfits.
fn technical(e: &FlashError) -> String {
    use crate::ui::words;
    let ids = |u: &crate::core::file::UsbIds| {
        format!(
            "{:04x}:{:04x} release {:#06x}",
            u.vendor, u.product, u.device
        )
    };
    match e {
        FlashError::Device(d) => d.to_string(),
        FlashError::Transfer(t) => format!("transfer: {}", t.message),
        FlashError::Describe(DescribeError::Transfer(t)) => {
            format!("reading descriptors: {}", t.message)
        }
        FlashError::Describe(DescribeError::Descriptor(d)) => {
            format!("bad descriptor: {}", words::descriptor_error(d))
        }
        FlashError::Describe(DescribeError::NotDfu) => "no DFU interface".into(),
        FlashError::Describe(DescribeError::NoRuntimeInterface) => {
            "no DFU interface in run-time mode (quirk no-dfu-runtime)".into()
        }
        FlashError::Plan(p) => format!("plan: {}", words::plan_error(p)),
        FlashError::NoDfuMode => "the device did not come back in DFU mode".into(),
        FlashError::NeedsDfuse => "addressed data for a DFU 1.1 device".into(),
        FlashError::NoSuchAlt { alt } => format!("no alt setting {alt}"),
        FlashError::NoMemoryMap { alt } => format!("no memory map for alt setting {alt}"),
        FlashError::WrongDevice { file, device } => {
            format!(
                "the file names {}; the device is {}",
                ids(file),
                ids(device)
            )
        }
        FlashError::Unconfirmed(m) => format!("unconfirmed: {}", misfit_text(m, "the device")),
        FlashError::Misfit(m) => format!("misfit: {}", misfit_text(m, "the device")),
        FlashError::Cancelled => "cancelled while waiting for the device".into(),
    }
}

/// The fields of a device error.
fn kind(k: &ErrorKind) -> Vec<Line> {
    let one = |label, value: String| vec![Line::new(label, value)];
    match *k {
        ErrorKind::DeviceStatus {
            status,
            state,
            string_index,
        } => vec![
            Line::new("DFU status", status.name()),
            Line::new("DFU state", state.name()),
            Line::new("Status string index", string_index.to_string()),
        ],
        ErrorKind::Stalled { request } => one("Stalled request", request.name().into()),
        ErrorKind::UnexpectedState { state } => one("DFU state", state.name()),
        ErrorKind::BadStatusReply { len } => one("Status reply", format!("{len} bytes")),
        ErrorKind::OverlongReply { asked, got } => {
            one("Reply", format!("{got} bytes for {asked} asked"))
        }
        ErrorKind::Link(l) => one(
            "Link",
            match l {
                LinkError::Disconnected => "disconnected",
                LinkError::Timeout => "timeout",
                LinkError::Other => "other",
            }
            .into(),
        ),
        ErrorKind::StuckBusy { polls, waited_ms } => {
            one("Busy", format!("{polls} polls over {waited_ms} ms"))
        }
        ErrorKind::PollTimeoutTooLong { ms } => one("Poll timeout asked", format!("{ms} ms")),
        ErrorKind::NotIdle { state, status } => vec![
            Line::new("DFU state", state.name()),
            Line::new("DFU status", status.name()),
        ],
        // In English, like every value of the log.
        ErrorKind::Unsupported { what } => one("What", english(words::operation(what))),
        ErrorKind::Internal { what } => one("What", english(words::fault(what))),
        ErrorKind::VerifyMismatch {
            address,
            expected,
            found,
        } => one(
            "Mismatch",
            format!("at {address:#010x}: expected {expected:#04x}, found {found:#04x}"),
        ),
        ErrorKind::FileUnreadable { offset } => one("File unreadable", format!("at byte {offset}")),
        ErrorKind::ShortRead { address, missing } => one(
            "Short read",
            format!("at {address:#010x}: {missing} bytes missing"),
        ),
        ErrorKind::RuntimeMode | ErrorKind::Cancelled => Vec::new(),
    }
}
