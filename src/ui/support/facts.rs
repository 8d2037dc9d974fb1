//! The support log's lines: the facts of a device, a file, an operation's options and end,
//! and an error, each as a fixed English label and a value (see `ui::support`).

use super::{Repair, MAX_SHOWN, MAX_TEXT};
use crate::core::descriptor::{Attributes, DfuVersion, Mode};
use crate::core::error::{ErrorKind, LinkError};
use crate::core::file::{self, FirmwareFile, Image};
use crate::core::Finish;
use crate::driver::{
    DescribeError, DeviceInfo, FlashError, FlashFailure, FlashOptions, FlashReport, Left,
    TransferError, TransferErrorKind,
};
use crate::ui::{Chooser, Detail, DoneView, Problem};

/// Elements listed per DfuSe target.
const MAX_ELEMENTS: usize = 16;

/// One `Label: value` line. The label is fixed text; the value has no control characters.
#[derive(Debug, Clone)]
pub(super) struct Line {
    pub(super) label: &'static str,
    pub(super) value: String,
}

impl Line {
    pub(super) fn new(label: &'static str, value: String) -> Line {
        // Every value is made safe here too, whoever built it: nothing can break a line.
        let value = if value.chars().any(needs_escape) {
            escaped(&value, usize::MAX, false)
        } else {
            value
        };
        Line { label, value }
    }

    pub(super) fn write(&self, out: &mut String) {
        out.push_str(self.label);
        out.push_str(": ");
        out.push_str(&self.value);
        out.push('\n');
    }
}

/// Characters that could end or reorder a line in a mail or an editor: control characters
/// (C0, DEL, C1), Unicode line and paragraph separators, and invisible format characters
/// (bidirectional overrides and isolates, zero-width characters, the byte-order mark).
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// `s` with [`needs_escape`] characters written as escapes (`\n`, `\u{1b}`) and, when
/// `quote`, backslashes and double quotes escaped too; cut once the result would pass
/// `cap` characters, saying how many were left out.
fn escaped(s: &str, cap: usize, quote: bool) -> String {
    let mut out = String::new();
    let mut len = 0;
    let mut piece = String::new();
    for (i, c) in s.chars().enumerate() {
        piece.clear();
        match c {
            '\n' => piece.push_str("\\n"),
            '\r' => piece.push_str("\\r"),
            '\t' => piece.push_str("\\t"),
            c if needs_escape(c) => {
                piece.push_str("\\u{");
                piece.push_str(&format!("{:x}", u32::from(c)));
                piece.push('}');
            }
            '\\' | '"' if quote => {
                piece.push('\\');
                piece.push(c);
            }
            c => piece.push(c),
        }
        let n = piece.chars().count();
        if len + n > cap {
            let rest = s.chars().count() - i;
            if quote {
                out.push('"');
            }
            out.push_str(&format!(" [cut: {rest} more characters]"));
            return out;
        }
        len += n;
        out.push_str(&piece);
    }
    if quote {
        out.push('"');
    }
    out
}

/// Text from a device, a file or the page, quoted and escaped, at most `cap` characters
/// between the quotes.
pub(super) fn quoted(s: &str, cap: usize) -> String {
    format!("\"{}", escaped(s, cap, true))
}

/// A technical line (the browser's or the OS's words in it), escaped and cut.
pub(super) fn clip(s: &str, cap: usize) -> String {
    escaped(s, cap, false)
}

fn text_or_none(s: Option<&str>) -> String {
    s.map_or_else(|| "(none)".into(), |s| quoted(s, MAX_TEXT))
}

fn yes(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whole milliseconds (no float formatting: it costs the wasm).
pub(super) fn ms(t: f64) -> String {
    format!("{} ms", t.max(0.0).round() as u64)
}

/// A time since the page started: `+HH:MM:SS.mmm`.
pub(super) fn stamp(t: f64) -> String {
    let t = t.max(0.0).round() as u64;
    let (s, milli) = (t / 1000, t % 1000);
    format!(
        "+{:02}:{:02}:{:02}.{milli:03}",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

fn ids(vendor: u16, product: u16) -> String {
    format!("{vendor:04x}:{product:04x}")
}

fn attributes(a: Attributes) -> String {
    let bits = [
        (a.can_download, 0x01, "can-download"),
        (a.can_upload, 0x02, "can-upload"),
        (a.manifestation_tolerant, 0x04, "manifestation-tolerant"),
        (a.will_detach, 0x08, "will-detach"),
        (a.accelerated, 0x80, "accelerated"),
    ];
    let value: u8 = bits.iter().filter(|b| b.0).map(|b| b.1).sum();
    let names: Vec<&str> = bits.iter().filter(|b| b.0).map(|b| b.2).collect();
    format!("{value:#04x} ({})", names.join(" "))
}

/// A device's descriptors and strings.
pub(super) fn device(d: &DeviceInfo) -> Vec<Line> {
    let f = &d.functional;
    let version = match (d.version, f.raw_version) {
        (DfuVersion::DfuSe, Some(v)) => format!("DfuSe (bcdDFUVersion {v:#06x})"),
        (DfuVersion::DfuSe, None) => "DfuSe".into(),
        (DfuVersion::Dfu11, Some(v)) => format!("DFU 1.1 (bcdDFUVersion {v:#06x})"),
        (DfuVersion::Dfu11, None) => "DFU 1.1 (7-byte descriptor, no bcdDFUVersion)".into(),
    };
    let mut v = vec![
        Line::new("USB id", ids(d.vendor_id, d.product_id)),
        Line::new(
            "bcdDevice",
            format!(
                "{:#06x} (release {})",
                d.device_version,
                file::release(d.device_version)
            ),
        ),
        Line::new("Manufacturer", text_or_none(d.manufacturer.as_deref())),
        Line::new("Product", text_or_none(d.product.as_deref())),
        Line::new("Serial number", text_or_none(d.serial.as_deref())),
        Line::new(
            "Mode",
            match d.mode {
                Mode::Dfu => "update mode (DFU mode)",
                Mode::Runtime => "running its firmware (run-time mode)",
            }
            .into(),
        ),
        Line::new("DFU interface", d.interface.to_string()),
        Line::new("DFU version", version),
        Line::new("Attributes", attributes(d.attributes)),
        Line::new(
            "Transfer size",
            format!(
                "{} (wTransferSize {})",
                d.transfer_size, f.raw_transfer_size
            ),
        ),
        Line::new("Detach timeout", format!("{} ms", f.detach_timeout_ms)),
        Line::new("bMaxPacketSize0", d.max_packet_size0.to_string()),
        Line::new("Alt settings", d.alts.len().to_string()),
    ];
    for a in &d.alts {
        let name = text_or_none(a.name.as_deref());
        v.push(Line::new("Alt setting", format!("{} {name}", a.alt)));
        if let Some(m) = &a.memory_map {
            let (start, end) = match (m.segments.first(), m.segments.last()) {
                (Some(s), Some(e)) => (u64::from(s.start), e.end()),
                _ => (0, 0),
            };
            v.push(Line::new(
                "Memory map",
                format!(
                    "alt {}, {} segments, {start:#010x}..{end:#010x}",
                    a.alt,
                    m.segments.len()
                ),
            ));
        }
        if let Some(e) = &a.map_error {
            let reason = clip(e.reason, MAX_TEXT);
            let line = format!("alt {}, at offset {}: {reason}", a.alt, e.offset);
            v.push(Line::new("Memory map error", line));
        }
    }
    if d.other_interfaces > 0 {
        v.push(Line::new(
            "Other DFU interfaces",
            d.other_interfaces.to_string(),
        ));
    }
    let q = &d.quirks;
    let mut quirks: Vec<String> = [
        (q.force_dfu_mode, "force-dfu-mode"),
        (q.broken_upload, "broken-upload"),
        (q.gd32_layout, "gd32-layout"),
        (q.manifest_poll, "manifest-poll"),
        (q.no_dfu_runtime, "no-dfu-runtime"),
        (q.detach_for_attach, "detach-for-attach"),
        (q.upload_before_attach, "upload-before-attach"),
    ]
    .iter()
    .filter(|x| x.0)
    .map(|x| x.1.to_string())
    .collect();
    if let Some(p) = q.fixed_poll_ms {
        quirks.push(format!("fixed-poll {p} ms"));
    }
    if let Some(p) = q.force_version {
        quirks.push(format!("force-version {p:#06x}"));
    }
    if q.erase_stalls > 0 {
        quirks.push(format!("erase-stalls {}", q.erase_stalls));
    }
    if !quirks.is_empty() {
        v.push(Line::new("Quirks", quirks.join(", ")));
    }
    if let Some(c) = d.learned_capacity {
        v.push(Line::new("Learned capacity", format!("{c} bytes")));
    }
    v
}

/// What is known of any file: its name, size and digest.
pub(super) fn file_head(name: &str, size: u64, sha256: Option<&[u8]>) -> Vec<Line> {
    vec![
        Line::new("File name", quoted(name, MAX_TEXT)),
        Line::new("File size", format!("{size} bytes")),
        Line::new(
            "SHA-256",
            sha256.map_or_else(|| "(not computed)".into(), hex),
        ),
    ]
}

/// A parsed firmware file.
pub(super) fn file(f: &FirmwareFile) -> Vec<Line> {
    let mut v = vec![
        Line::new("Format", f.format.label().into()),
        Line::new("Firmware size", format!("{} bytes", f.payload_len())),
    ];
    if let Some(s) = f.suffix {
        v.push(Line::new(
            "Suffix ids",
            format!("{} bcdDevice {:#06x}", ids(s.vendor, s.product), s.device),
        ));
        v.push(Line::new("Suffix bcdDFU", format!("{:#06x}", s.bcd_dfu)));
        v.push(Line::new(
            "Suffix CRC",
            if s.crc_ok() {
                format!("{:#010x}, correct", s.crc)
            } else {
                format!("{:#010x}, wrong (computed {:#010x})", s.crc, s.computed_crc)
            },
        ));
    }
    if let Some(e) = f.entry_point {
        v.push(Line::new("Start address", format!("{e:#010x}")));
    }
    if let Image::Addressed(targets) = &f.image {
        for t in targets {
            let bytes: u64 = t.elements.iter().map(|e| e.data.len() as u64).sum();
            v.push(Line::new(
                "Target",
                format!(
                    "alt {} {}, {bytes} bytes in {} element(s)",
                    t.alt,
                    text_or_none(t.name.as_deref()),
                    t.elements.len()
                ),
            ));
            for e in t.elements.iter().take(MAX_ELEMENTS) {
                let line = format!("alt {}, {:#010x}, {} bytes", t.alt, e.address, e.data.len());
                v.push(Line::new("Element", line));
            }
            if t.elements.len() > MAX_ELEMENTS {
                let more = (t.elements.len() - MAX_ELEMENTS).to_string();
                v.push(Line::new("Elements left out", more));
            }
        }
    }
    for w in &f.warnings {
        v.push(Line::new("Warning", clip(&w.to_string(), MAX_SHOWN)));
    }
    v
}

/// An update's options.
pub(super) fn options(o: &FlashOptions, file: &str) -> Vec<Line> {
    vec![
        Line::new("File", quoted(file, MAX_TEXT)),
        Line::new("Verify", yes(o.verify)),
        Line::new("Force", yes(o.force)),
        Line::new("Alt setting", o.alt.to_string()),
        Line::new(
            "Address",
            o.address
                .map_or_else(|| "default".into(), |a| format!("{a:#010x}")),
        ),
        Line::new("Restart", yes(o.restart)),
        Line::new("Mass erase", yes(o.mass_erase)),
    ]
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
    let mut v = vec![Line::new("Error", clip(&e.to_string(), MAX_SHOWN))];
    match e {
        FlashError::Transfer(t) | FlashError::Describe(DescribeError::Transfer(t)) => {
            v.extend(transfer(t))
        }
        FlashError::Unconfirmed(m) | FlashError::Misfit(m) => {
            v.push(Line::new("Misfit", clip(&format!("{m:?}"), MAX_SHOWN)))
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
        ErrorKind::Unsupported { what } | ErrorKind::Internal { what } => one("What", what.into()),
        ErrorKind::VerifyMismatch {
            address,
            expected,
            found,
        } => one(
            "Mismatch",
            format!("at {address:#010x}: expected {expected:#04x}, found {found:#04x}"),
        ),
        ErrorKind::ShortRead { address, missing } => one(
            "Short read",
            format!("at {address:#010x}: {missing} bytes missing"),
        ),
        ErrorKind::RuntimeMode | ErrorKind::Cancelled => Vec::new(),
    }
}
