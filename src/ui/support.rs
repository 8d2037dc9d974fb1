//! The support log ("Copy details for support"): a plain-text record of the session that a
//! customer pastes into an email to the vendor. It holds the page version and the browser,
//! each device opened (ids, bcdDevice, its strings, the DFU functional descriptor, every
//! alt setting), each firmware file chosen (size, format, SHA-256, suffix, DfuSe targets),
//! each operation with its options, its phases (when each began after the operation
//! started, and how long it took), the re-pair steps, and how it ended: the title the
//! customer was shown and the technical error (the failing request, the DFU status and
//! state, what the device was left with).
//!
//! The log is for the vendor's support team, so it is written in English with fixed
//! labels, deliberately *not* translated and not taken from the message table: support
//! reads the same words whatever language the customer's page used. (What the customer was
//! shown is quoted as it was shown.) The format: a header, then one section per event,
//! headed `[+HH:MM:SS.mmm] #N Title` (the time since the page started, the event's
//! number), and one fact per line, `Label: value`. Text from the device, a file or the
//! browser is quoted verbatim with control and line-breaking characters escaped (`\n`,
//! `\u{202e}`), so that a hostile string cannot forge a line, and cut at [`MAX_TEXT`]
//! characters. The log keeps the first [`HEAD`] and the last [`TAIL`] events and says how
//! many it left out between them, and at most [`MAX_LINES`] lines per event, so a long
//! session cannot grow it without bound.
//!
//! `ui` reads no clock: every time is given by the caller, in milliseconds since the page
//! started.

mod facts;
mod line;
mod outcome;

use super::Chooser;
use crate::core::file::{FileError, FirmwareFile};
use crate::core::Phase;
use crate::driver::{DeviceInfo, FlashOptions, ProgressReport, TransferError};
use line::{hex, ms, quoted, stamp, Line};
use std::collections::VecDeque;

/// Longest text from a device, a file or a page, in characters of the log (escapes count).
pub const MAX_TEXT: usize = 200;
/// Longest browser string and sentence the customer was shown.
pub const MAX_SHOWN: usize = 600;
/// Events kept from the start of the session.
pub const HEAD: usize = 50;
/// Events kept from its end.
pub const TAIL: usize = 150;
/// Lines kept per event.
pub const MAX_LINES: usize = 64;
/// Phases remembered for an operation's summary.
const MAX_PHASES: usize = 32;

/// One section of the log.
#[derive(Debug, Clone)]
struct Entry {
    seq: u64,
    at_ms: f64,
    title: &'static str,
    lines: Vec<Line>,
    /// Lines past [`MAX_LINES`] that were not kept.
    cut: usize,
    /// The file whose SHA-256 this entry still waits for (computed asynchronously).
    hash_for: Option<String>,
}

impl Entry {
    fn push(&mut self, line: Line) {
        if self.lines.len() < MAX_LINES {
            self.lines.push(line);
        } else {
            self.cut += 1;
        }
    }
}

/// A step of finding the device again after it re-enumerated.
#[derive(Debug, Clone, Copy)]
pub enum Repair<'a> {
    /// The device left the bus; the page looks for it among the devices it may use.
    Looking,
    /// It was found again without asking (same serial number, or a policy).
    Found,
    /// It was not: the user was asked to select it in `Chooser`.
    Asked(Chooser),
    /// The user selected it.
    Chosen,
    /// It was not selected again (cancelled, timed out, refused).
    NotChosen(&'a TransferError),
}

#[derive(Debug, Clone)]
struct OpenPhase {
    phase: Phase,
    start_ms: f64,
    seq: u64,
    done: u64,
    total: u64,
}

/// The operation running now.
#[derive(Debug, Clone)]
struct Operation {
    what: &'static str,
    start_ms: f64,
    phase: Option<OpenPhase>,
    /// Each phase that ended, and how long it took.
    phases: Vec<(Phase, f64)>,
}

/// The session's events, bounded; see the module documentation for the format.
#[derive(Debug, Clone, Default)]
pub struct SupportLog {
    head: Vec<Entry>,
    tail: VecDeque<Entry>,
    left_out: u64,
    next_seq: u64,
    op: Option<Operation>,
}

impl SupportLog {
    pub fn new() -> SupportLog {
        SupportLog::default()
    }

    /// Events recorded so far, kept or not.
    pub fn events(&self) -> u64 {
        self.next_seq
    }

    /// Events left out between the first [`HEAD`] and the last [`TAIL`].
    pub fn left_out(&self) -> u64 {
        self.left_out
    }

    fn add(&mut self, at_ms: f64, title: &'static str, lines: Vec<Line>) -> u64 {
        self.next_seq += 1;
        let mut e = Entry {
            seq: self.next_seq,
            at_ms,
            title,
            lines: Vec::new(),
            cut: 0,
            hash_for: None,
        };
        for l in lines {
            e.push(l);
        }
        if self.head.len() < HEAD {
            self.head.push(e);
        } else {
            self.tail.push_back(e);
            if self.tail.len() > TAIL {
                self.tail.pop_front();
                self.left_out += 1;
            }
        }
        self.next_seq
    }

    fn entry(&mut self, seq: u64) -> Option<&mut Entry> {
        self.head
            .iter_mut()
            .chain(self.tail.iter_mut())
            .find(|e| e.seq == seq)
    }

    /// A device as the host read it: `title` says when ("Device opened", "Device after
    /// update").
    pub fn device(&mut self, at_ms: f64, title: &'static str, d: &DeviceInfo) {
        self.add(at_ms, title, facts::device(d));
    }

    /// A firmware file the page parsed: `file_size` is the file's, `sha256` its digest if
    /// known now (else give it to [`SupportLog::file_sha256`] when it is).
    pub fn firmware(
        &mut self,
        at_ms: f64,
        f: &FirmwareFile,
        name: &str,
        file_size: u64,
        sha256: Option<&[u8]>,
    ) {
        let mut lines = facts::file_head(name, file_size, sha256);
        lines.extend(facts::file(f));
        let seq = self.add(at_ms, "Firmware chosen", lines);
        self.wait_for_hash(seq, name, sha256);
    }

    /// A file the page refused: the reason as the customer read it (`shown`), and the
    /// parser's own.
    pub fn firmware_refused(
        &mut self,
        at_ms: f64,
        name: &str,
        file_size: u64,
        e: &FileError,
        shown: &str,
        sha256: Option<&[u8]>,
    ) {
        let mut lines = facts::file_head(name, file_size, sha256);
        lines.push(Line::new("Shown", quoted(shown, MAX_SHOWN)));
        // (Not the parser's Display: it is Debug formatting, which would cost the wasm.)
        if let FileError::NotFirmware(kind) = e {
            lines.push(Line::new("Not firmware", kind.name().into()));
        }
        let seq = self.add(at_ms, "Firmware refused", lines);
        self.wait_for_hash(seq, name, sha256);
    }

    fn wait_for_hash(&mut self, seq: u64, name: &str, sha256: Option<&[u8]>) {
        if let (None, Some(e)) = (sha256, self.entry(seq)) {
            e.hash_for = Some(name.to_string());
        }
    }

    /// The SHA-256 of the file `name` logged last without one. False if no such entry is
    /// kept.
    pub fn file_sha256(&mut self, name: &str, sha256: &[u8]) -> bool {
        let e = self
            .tail
            .iter_mut()
            .rev()
            .chain(self.head.iter_mut().rev())
            .find(|e| e.hash_for.as_deref() == Some(name));
        let Some(e) = e else { return false };
        e.hash_for = None;
        for l in &mut e.lines {
            if l.label == "SHA-256" {
                l.value = hex(sha256);
            }
        }
        true
    }

    fn start(&mut self, at_ms: f64, what: &'static str, title: &'static str, lines: Vec<Line>) {
        self.end_operation(at_ms);
        self.add(at_ms, title, lines);
        self.op = Some(Operation {
            what,
            start_ms: at_ms,
            phase: None,
            phases: Vec::new(),
        });
    }

    /// An update of `file` with `opts` begins.
    pub fn update_started(&mut self, at_ms: f64, opts: &FlashOptions, file: &str) {
        self.start(
            at_ms,
            "update",
            "Update started",
            facts::options(opts, file),
        );
    }

    /// A backup begins.
    pub fn backup_started(&mut self, at_ms: f64) {
        self.start(at_ms, "backup", "Backup started", Vec::new());
    }

    /// A catalog release's file (`what`: product and version) begins to download from
    /// `url`; the catalog pins its `size` and `sha256`.
    pub fn download_started(
        &mut self,
        at_ms: f64,
        what: &str,
        url: &str,
        size: u64,
        sha256: &[u8],
    ) {
        let lines = vec![
            Line::new("Release", quoted(what, MAX_TEXT)),
            Line::new("URL", quoted(url, MAX_SHOWN)),
            Line::new("Expected size", format!("{size} bytes")),
            Line::new("Expected SHA-256", hex(sha256)),
        ];
        self.start(at_ms, "download", "Download started", lines);
    }

    /// A progress report: logged only when the phase changes.
    pub fn progress(&mut self, at_ms: f64, r: &ProgressReport) {
        let cur = r.progress.current();
        let Some(op) = &mut self.op else {
            self.start(at_ms, "operation", "Operation started", Vec::new());
            return self.progress(at_ms, r);
        };
        if let Some(p) = &mut op.phase {
            if p.phase == cur.phase {
                (p.done, p.total) = (cur.done, cur.total);
                return;
            }
            // The phase that ended, with its last counters from this report if it has them.
            if let Some(q) = r.progress.phases.iter().find(|q| q.phase == p.phase) {
                (p.done, p.total) = (q.done, q.total);
            }
        }
        self.close_phase(at_ms);
        let Some(op) = &self.op else { return };
        let lines = vec![
            Line::new("Phase", cur.phase.name().to_string()),
            Line::new("Operation", op.what.to_string()),
            Line::new("Since operation start", ms(at_ms - op.start_ms)),
        ];
        let title = "Phase started";
        let seq = self.add(at_ms, title, lines);
        if let Some(op) = &mut self.op {
            op.phase = Some(OpenPhase {
                phase: cur.phase,
                start_ms: at_ms,
                seq,
                done: cur.done,
                total: cur.total,
            });
        }
    }

    /// End the open phase: its duration and bytes go into its section and the summary.
    fn close_phase(&mut self, at_ms: f64) {
        let Some(p) = self.op.as_mut().and_then(|o| o.phase.take()) else {
            return;
        };
        let took = at_ms - p.start_ms;
        if let Some(op) = &mut self.op {
            if op.phases.len() < MAX_PHASES {
                op.phases.push((p.phase, took));
            }
        }
        if let Some(e) = self.entry(p.seq) {
            e.push(Line::new("Duration", ms(took)));
            if p.total > 0 || p.done > 0 {
                e.push(Line::new("Bytes", format!("{} of {}", p.done, p.total)));
            }
        }
    }

    /// A step of the re-pair (the device re-enumerated and is looked for again).
    pub fn repair(&mut self, at_ms: f64, step: Repair) {
        self.close_phase(at_ms);
        let (title, lines) = outcome::repair(step);
        self.add(at_ms, title, lines);
    }

    /// The operation's timing lines, ending it.
    fn end_operation(&mut self, at_ms: f64) -> Vec<Line> {
        self.close_phase(at_ms);
        let Some(op) = self.op.take() else {
            return Vec::new();
        };
        let mut lines = vec![
            Line::new("Operation", op.what.to_string()),
            Line::new("Took", ms(at_ms - op.start_ms)),
        ];
        if !op.phases.is_empty() {
            let list: Vec<String> = op
                .phases
                .iter()
                .map(|(p, t)| format!("{} {}", p.name(), ms(*t)))
                .collect();
            lines.push(Line::new("Phases", list.join(", ")));
        }
        lines
    }

    /// The log as text: the header (`browser`: the browser's own description, e.g. its
    /// user agent; `now_ms`: the time of writing), then every kept event.
    pub fn render(&self, browser: &str, now_ms: f64) -> String {
        let mut out = String::new();
        out.push_str("dfu-flasher support log\n");
        let header = [
            Line::new("Page version", env!("CARGO_PKG_VERSION").to_string()),
            Line::new("Browser", quoted(browser, MAX_SHOWN)),
            Line::new("Written at", stamp(now_ms)),
            Line::new("Times", "since the page started".into()),
            Line::new("Events", self.next_seq.to_string()),
        ];
        for l in &header {
            l.write(&mut out);
        }
        for e in &self.head {
            write_entry(&mut out, e);
        }
        if self.left_out > 0 {
            out.push_str("\n[...] Events left out\n");
            Line::new(
                "Left out",
                format!(
                    "{} events (the log keeps the first {HEAD} and the last {TAIL})",
                    self.left_out
                ),
            )
            .write(&mut out);
        }
        for e in &self.tail {
            write_entry(&mut out, e);
        }
        out
    }
}

fn write_entry(out: &mut String, e: &Entry) {
    out.push('\n');
    out.push('[');
    out.push_str(&stamp(e.at_ms));
    out.push_str("] #");
    out.push_str(&e.seq.to_string());
    out.push(' ');
    out.push_str(e.title);
    out.push('\n');
    for l in &e.lines {
        l.write(out);
    }
    if e.cut > 0 {
        Line::new("Lines left out", e.cut.to_string()).write(out);
    }
}
