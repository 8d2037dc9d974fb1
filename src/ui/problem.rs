//! Errors as sentences with a remedy, specific to the user's platform where it matters.
//! Every sentence is a `problem.*` key of the message table (`ui::text`).

use crate::core::error::{Error, ErrorKind, LinkError};
use crate::core::protocol::Status;
use crate::driver::{
    DescribeError, FlashError, FlashFailure, Left, TransferError, TransferErrorKind,
};
use crate::t;
use serde::Serialize;

/// The user's operating system, as far as the page can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Platform {
    Windows,
    Mac,
    Linux,
    ChromeOs,
    Android,
    Other,
}

impl Platform {
    /// Guess from a user-agent string.
    pub fn from_user_agent(ua: &str) -> Platform {
        let ua = ua.to_ascii_lowercase();
        if ua.contains("windows") {
            Platform::Windows
        } else if ua.contains("android") {
            Platform::Android
        } else if ua.contains("cros") {
            Platform::ChromeOs
        } else if ua.contains("mac os") || ua.contains("macintosh") {
            Platform::Mac
        } else if ua.contains("linux") {
            Platform::Linux
        } else {
            Platform::Other
        }
    }
}

/// One paragraph or a block of text to copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Detail {
    Text(String),
    Code(String),
}

/// What kind of failure, for scripts and tests (the page's `error.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ProblemKind {
    /// The browser, the OS or another program would not let the page open the device.
    AccessDenied,
    /// The platform cannot reset the device: replug it.
    Replug,
    /// A transfer failed below DFU.
    Transfer,
    Disconnected,
    Cancelled,
    ReadProtection,
    /// The file does not fit the device, or the device refused it.
    WrongFile,
    /// The read-back after writing differed.
    Verify,
    /// The device reported an error or misbehaved.
    Device,
    /// The device must be started in update mode by hand.
    ManualDfuMode,
    /// Another operation holds the device.
    Busy,
    /// The page closed the device.
    Closed,
    Other,
}

impl ProblemKind {
    /// The name scripts see (`error.kind` in JavaScript).
    pub fn name(self) -> &'static str {
        match self {
            ProblemKind::AccessDenied => "access-denied",
            ProblemKind::Replug => "replug",
            ProblemKind::Transfer => "transfer",
            ProblemKind::Disconnected => "disconnected",
            ProblemKind::Cancelled => "cancelled",
            ProblemKind::ReadProtection => "read-protection",
            ProblemKind::WrongFile => "wrong-file",
            ProblemKind::Verify => "verify",
            ProblemKind::Device => "device",
            ProblemKind::ManualDfuMode => "manual-dfu-mode",
            ProblemKind::Busy => "busy",
            ProblemKind::Closed => "closed",
            ProblemKind::Other => "other",
        }
    }
}

/// A failure as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub title: String,
    pub details: Vec<Detail>,
    pub kind: ProblemKind,
}

impl Problem {
    /// The same problem met while backing up: the titles name the backup.
    pub fn for_backup(mut self) -> Problem {
        match self.kind {
            ProblemKind::Cancelled => self.title = t!("problem.backup.cancelled"),
            ProblemKind::Device | ProblemKind::Other => self.title = t!("problem.backup.failed"),
            _ => {}
        }
        self
    }
}

fn text(s: impl Into<String>) -> Detail {
    Detail::Text(s.into())
}

/// The udev rule that lets a logged-in Linux user open this device.
pub fn udev_rule(vendor: u16, product: u16) -> String {
    format!(
        "SUBSYSTEM==\"usb\", ATTRS{{idVendor}}==\"{vendor:04x}\", ATTRS{{idProduct}}==\"{product:04x}\", TAG+=\"uaccess\""
    )
}

fn access_denied(platform: Platform, ids: Option<(u16, u16)>, message: &str) -> Problem {
    let mut details = vec![text(t!("problem.access.in_use"))];
    let windows = text(t!("problem.access.windows"));
    let (v, p) = ids.unwrap_or((0xFFFF, 0xFFFF));
    let linux = vec![
        text(t!("problem.access.linux")),
        Detail::Code(udev_rule(v, p)),
        text(t!("problem.access.linux_reload")),
    ];
    match platform {
        Platform::Windows => details.push(windows),
        Platform::Linux => details.extend(linux),
        Platform::Mac | Platform::ChromeOs | Platform::Android => {}
        Platform::Other => {
            details.push(windows);
            details.extend(linux);
        }
    }
    details.push(text(t!("problem.browser_message", message = message)));
    Problem {
        title: t!("problem.access.title"),
        details,
        kind: ProblemKind::AccessDenied,
    }
}

fn transfer_problem(e: &TransferError, platform: Platform, ids: Option<(u16, u16)>) -> Problem {
    match e.kind {
        TransferErrorKind::AccessDenied => access_denied(platform, ids, &e.message),
        TransferErrorKind::Disconnected => disconnected(),
        TransferErrorKind::Unsupported => Problem {
            title: t!("problem.replug.title"),
            details: vec![text(t!("problem.replug.text"))],
            kind: ProblemKind::Replug,
        },
        _ => Problem {
            title: t!("problem.transfer.title"),
            details: vec![
                text(t!("problem.transfer.text")),
                text(t!("problem.browser_message", message = e.message)),
            ],
            kind: ProblemKind::Transfer,
        },
    }
}

fn disconnected() -> Problem {
    Problem {
        title: t!("problem.disconnected.title"),
        details: vec![text(t!("problem.disconnected.text"))],
        kind: ProblemKind::Disconnected,
    }
}

/// What the user should do about a device error.
pub fn remedy(e: &Error) -> String {
    super::text::text(match &e.kind {
        ErrorKind::DeviceStatus { status, .. } => match status {
            Status::ErrVendor if e.dfuse => "problem.remedy.read_protection",
            Status::ErrTarget if e.dfuse => "problem.remedy.no_such_memory",
            Status::ErrTarget | Status::ErrFile => "problem.remedy.check_file",
            Status::ErrFirmware => "problem.remedy.no_firmware",
            _ => "problem.remedy.retry",
        },
        ErrorKind::Link(LinkError::Disconnected) => "problem.remedy.disconnected",
        ErrorKind::Link(_) | ErrorKind::StuckBusy { .. } | ErrorKind::PollTimeoutTooLong { .. } => {
            "problem.remedy.not_responding"
        }
        ErrorKind::RuntimeMode => "problem.remedy.runtime_mode",
        ErrorKind::Unsupported { .. } => "problem.remedy.unsupported",
        ErrorKind::VerifyMismatch { .. } | ErrorKind::ShortRead { .. } => {
            "problem.remedy.not_stored"
        }
        ErrorKind::FileUnreadable { .. } => "problem.remedy.file_unreadable",
        ErrorKind::Cancelled => "problem.remedy.cancelled",
        ErrorKind::Internal { .. } => "problem.remedy.internal",
        _ => "problem.remedy.retry",
    })
}

/// A flash error in the customer's words (one paragraph).
pub fn flash_error_text(e: &FlashError) -> String {
    match e {
        FlashError::Describe(d) => describe_error_text(d),
        FlashError::Transfer(t) => t!("problem.flash.transfer", message = t.message),
        FlashError::Device(d) => format!("{} {}", super::words::device_error(d), remedy(d)),
        FlashError::Plan(p) => super::words::plan_error(p),
        FlashError::NoDfuMode => t!("problem.flash.no_dfu_mode"),
        FlashError::NeedsDfuse => t!("problem.flash.needs_dfuse"),
        FlashError::NoSuchAlt { alt } => t!("problem.flash.no_such_alt", alt = alt),
        FlashError::WrongDevice { file, device } => t!(
            "problem.flash.wrong_device",
            mismatch = super::words::mismatch(*file, *device)
        ),
        FlashError::NoMemoryMap { alt } => t!("problem.flash.no_memory_map", alt = alt),
        // `misfit_text` takes the device's name; without one, these words stand in.
        FlashError::Unconfirmed(m) | FlashError::Misfit(m) => {
            super::fit::misfit_text(m, &t!("problem.this_device"))
        }
        FlashError::Cancelled => t!("problem.flash.cancelled"),
    }
}

/// Why a device could not be read, in the customer's words.
pub fn describe_error_text(e: &DescribeError) -> String {
    match e {
        DescribeError::Transfer(t) => t!("problem.describe.transfer", message = t.message),
        DescribeError::Descriptor(d) => t!(
            "problem.describe.descriptor",
            reason = super::words::descriptor_error(d)
        ),
        DescribeError::NotDfu => t!("problem.describe.not_dfu"),
        DescribeError::NoRuntimeInterface => t!("problem.describe.no_runtime_interface"),
    }
}

/// The page's wording for a failed update or backup.
pub fn problem_for(e: &FlashError, platform: Platform, ids: Option<(u16, u16)>) -> Problem {
    worded(e, platform, ids, true)
}

/// What the device is left with, in one or two sentences.
fn left_text(f: &FlashFailure, name: &str, d: Option<&crate::core::Error>) -> String {
    let recovered = d.and_then(|d| d.recovered);
    let key = match f.left {
        Left::AsItWas => "problem.left.as_it_was",
        Left::WaitingInUpdateMode => "problem.left.waiting_in_update_mode",
        Left::Incomplete if recovered == Some(false) => "problem.left.incomplete_unrecovered",
        Left::Incomplete => "problem.left.incomplete",
        Left::Written if recovered == Some(false) => "problem.left.written_unrecovered",
        Left::Written => "problem.left.written",
    };
    super::text::fill(key, &[("name", name)])
}

/// The page's wording for a failed update or backup, saying truly what it left behind.
/// `name`: the device's name as the page shows it.
pub fn failure_problem(
    f: &FlashFailure,
    name: &str,
    platform: Platform,
    ids: Option<(u16, u16)>,
) -> Problem {
    let device = match &f.error {
        FlashError::Device(d) => Some(d),
        _ => None,
    };
    let left = text(left_text(f, name, device));
    match &f.error {
        // What the device was left with is the whole story of a cancel.
        FlashError::Cancelled
        | FlashError::Device(crate::core::Error {
            kind: ErrorKind::Cancelled,
            ..
        }) => Problem {
            title: t!("problem.update.cancelled"),
            details: vec![left],
            kind: ProblemKind::Cancelled,
        },
        FlashError::Unconfirmed(r) => Problem {
            title: t!("problem.unconfirmed.title", name = name),
            details: vec![text(super::fit::misfit_text(r, name)), left],
            kind: ProblemKind::WrongFile,
        },
        FlashError::Misfit(m) => Problem {
            title: t!("problem.misfit.title"),
            details: vec![text(super::fit::misfit_text(m, name)), left],
            kind: ProblemKind::WrongFile,
        },
        FlashError::WrongDevice { file, device } => Problem {
            title: t!("problem.misfit.title"),
            details: vec![
                text(t!(
                    "problem.wrong_device.text",
                    mismatch = super::words::mismatch(*file, *device),
                    name = name
                )),
                left,
            ],
            kind: ProblemKind::WrongFile,
        },
        _ if f.learned_capacity().is_some() => Problem {
            title: t!("problem.too_large.title"),
            details: vec![
                text(t!(
                    "problem.too_large.text",
                    name = name,
                    written = super::size(f.written),
                    total = super::size(f.total)
                )),
                left,
            ],
            kind: ProblemKind::WrongFile,
        },
        e => {
            let mut p = worded(e, platform, ids, false);
            if !matches!(
                p.kind,
                ProblemKind::Disconnected | ProblemKind::AccessDenied | ProblemKind::ManualDfuMode
            ) {
                let unchanged = t!("problem.nothing_written");
                p.details
                    .retain(|d| !matches!(d, Detail::Text(t) if *t == unchanged));
                p.details.push(left);
            }
            p
        }
    }
}

fn worded(e: &FlashError, platform: Platform, ids: Option<(u16, u16)>, recovery: bool) -> Problem {
    match e {
        FlashError::Transfer(t) => transfer_problem(t, platform, ids),
        FlashError::Describe(crate::driver::DescribeError::Transfer(t)) => {
            transfer_problem(t, platform, ids)
        }
        FlashError::Device(d) => {
            let (title, kind) = match &d.kind {
                ErrorKind::Link(LinkError::Disconnected) => return disconnected(),
                ErrorKind::Cancelled => ("problem.update.cancelled", ProblemKind::Cancelled),
                ErrorKind::DeviceStatus {
                    status: Status::ErrVendor,
                    ..
                } if d.dfuse => ("problem.read_protection.title", ProblemKind::ReadProtection),
                ErrorKind::DeviceStatus {
                    status: Status::ErrTarget | Status::ErrFile,
                    ..
                } => ("problem.refused.title", ProblemKind::WrongFile),
                ErrorKind::VerifyMismatch { .. } | ErrorKind::ShortRead { .. } => {
                    ("problem.verify.title", ProblemKind::Verify)
                }
                _ => ("problem.update.failed", ProblemKind::Device),
            };
            // `{d}` is the core's technical line (`core::Error`'s Display), not a worded
            // sentence; kept as it was.
            let mut details = vec![text(format!("{d} {}", remedy(d)))];
            match d.recovered.filter(|_| recovery) {
                Some(true) if !matches!(d.kind, ErrorKind::Cancelled) => {
                    details.push(text(t!("problem.recovered.ready")))
                }
                Some(true) => details.push(text(t!("problem.recovered.after_cancel"))),
                Some(false) => details.push(text(t!("problem.recovered.not"))),
                None => {}
            }
            Problem {
                title: super::text::text(title),
                details,
                kind,
            }
        }
        FlashError::Describe(crate::driver::DescribeError::NoRuntimeInterface) => Problem {
            title: t!("problem.manual_dfu_mode.title"),
            details: vec![text(flash_error_text(e))],
            kind: ProblemKind::ManualDfuMode,
        },
        FlashError::Plan(_)
        | FlashError::NeedsDfuse
        | FlashError::NoSuchAlt { .. }
        | FlashError::NoMemoryMap { .. } => Problem {
            title: t!("problem.misfit.title"),
            details: vec![
                text(flash_error_text(e)),
                text(t!("problem.nothing_written")),
            ],
            kind: ProblemKind::WrongFile,
        },
        other => Problem {
            title: t!("problem.update.failed"),
            details: vec![text(flash_error_text(other))],
            kind: ProblemKind::Other,
        },
    }
}
