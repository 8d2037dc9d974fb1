//! Errors as sentences with a remedy, specific to the user's platform where it matters.

use crate::core::error::{Error, ErrorKind, LinkError};
use crate::core::protocol::Status;
use crate::driver::{
    DescribeError, FlashError, FlashFailure, Left, TransferError, TransferErrorKind,
};
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

const UPDATE_FAILED: &str = "The update failed";
const UPDATE_CANCELLED: &str = "Update cancelled";

impl Problem {
    /// The same problem met while backing up: the titles name the backup.
    pub fn for_backup(mut self) -> Problem {
        match self.kind {
            ProblemKind::Cancelled => self.title = "Backup cancelled".into(),
            ProblemKind::Device | ProblemKind::Other => self.title = "The backup failed".into(),
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
    let mut details = vec![text(
        "Another program or browser tab may be using the device. Close other update tools, serial monitors and other tabs with this page, then try again.",
    )];
    let windows = text("On Windows the device's update interface needs the WinUSB driver. Install it with Zadig (zadig.akeo.ie): pick the device, choose WinUSB and press Install Driver, then reconnect here.");
    let (v, p) = ids.unwrap_or((0xFFFF, 0xFFFF));
    let linux = vec![
        text("On Linux your user needs permission to open the device. Save this line as /etc/udev/rules.d/70-dfu-flasher.rules:"),
        Detail::Code(udev_rule(v, p)),
        text("then run `sudo udevadm control --reload-rules` and unplug and replug the device."),
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
    details.push(text(format!("Browser message: {message}")));
    Problem {
        title: "The browser could not open the device".into(),
        details,
        kind: ProblemKind::AccessDenied,
    }
}

fn transfer_problem(e: &TransferError, platform: Platform, ids: Option<(u16, u16)>) -> Problem {
    match e.kind {
        TransferErrorKind::AccessDenied => access_denied(platform, ids, &e.message),
        TransferErrorKind::Disconnected => disconnected(),
        TransferErrorKind::Unsupported => Problem {
            title: "The browser cannot restart the device".into(),
            details: vec![text("Unplug the device and plug it back in to finish. This is normal on some systems, Windows in particular.")],
            kind: ProblemKind::Replug,
        },
        _ => Problem {
            title: "The connection to the device failed".into(),
            details: vec![
                text("Unplug the device, plug it back in, and try again. A different cable or USB port often helps."),
                text(format!("Browser message: {}", e.message)),
            ],
            kind: ProblemKind::Transfer,
        },
    }
}

fn disconnected() -> Problem {
    Problem {
        title: "The device disconnected".into(),
        details: vec![text(
            "Check the cable and plug the device back in. It stays in update mode, so connect it again and press Update to try again.",
        )],
        kind: ProblemKind::Disconnected,
    }
}

/// What the user should do about a device error.
pub fn remedy(e: &Error) -> &'static str {
    match &e.kind {
        ErrorKind::DeviceStatus { status, .. } => match status {
            Status::ErrVendor if e.dfuse => {
                "Read protection is on. Remove it with the vendor's tool (this erases the device), then try again."
            }
            Status::ErrTarget if e.dfuse => {
                "The file writes to memory this device does not have. Check that the file is for this exact device."
            }
            Status::ErrTarget | Status::ErrFile => {
                "Check that the file is meant for this device, then try again."
            }
            Status::ErrFirmware => {
                "The device has no valid firmware yet. Flash a firmware file to fix it."
            }
            _ => "Try again. If it keeps failing, unplug the device, plug it back in and retry.",
        },
        ErrorKind::Link(LinkError::Disconnected) => {
            "The device disconnected. Check the cable, plug it back in and try again: it stays in update mode."
        }
        ErrorKind::Link(_) | ErrorKind::StuckBusy { .. } | ErrorKind::PollTimeoutTooLong { .. } => {
            "The device stopped responding. Unplug it, plug it back in and try again."
        }
        ErrorKind::RuntimeMode => "Switch the device to update mode first.",
        ErrorKind::Unsupported { .. } => "This device does not allow that operation.",
        ErrorKind::VerifyMismatch { .. } | ErrorKind::ShortRead { .. } => {
            "The firmware was not stored correctly. Try again; if it fails again, the device's memory may be faulty."
        }
        ErrorKind::Cancelled => "You can start the update again at any time.",
        ErrorKind::Internal { .. } => {
            "This is a fault in this page, not in your device or file. Reload the page and try again; if it happens again, tell the device's maker."
        }
        _ => "Try again. If it keeps failing, unplug the device, plug it back in and retry.",
    }
}

/// A flash error in the customer's words (one paragraph).
pub fn flash_error_text(e: &FlashError) -> String {
    match e {
        FlashError::Describe(d) => describe_error_text(d),
        FlashError::Transfer(t) => format!(
            "The connection to the device failed ({}). Unplug it, plug it back in and try again.",
            t.message
        ),
        FlashError::Device(d) => format!("{} {}", super::words::device_error(d), remedy(d)),
        FlashError::Plan(p) => super::words::plan_error(p),
        FlashError::NoDfuMode => "The device did not come back in update mode. Unplug it, plug it back in and try again.".into(),
        FlashError::NeedsDfuse => "This file places data at memory addresses, but the device takes a plain image. Use the maker's .bin or .dfu file for this device.".into(),
        FlashError::NoSuchAlt { alt } => format!(
            "The file is for memory area {alt}, which this device does not have. The file is probably for another device."
        ),
        FlashError::WrongDevice { file, device } => format!(
            "This file is made for another device: {}. Get the firmware made for your device.",
            crate::core::file::mismatch(*file, *device)
        ),
        FlashError::NoMemoryMap { alt } => format!(
            "The device does not describe memory area {alt}, so the file cannot be placed safely."
        ),
        FlashError::Unconfirmed(m) => super::fit::misfit_text(m, "this device"),
        FlashError::Cancelled => "Cancelled.".into(),
        FlashError::Misfit(m) => super::fit::misfit_text(m, "this device"),
    }
}

/// Why a device could not be read, in the customer's words.
pub fn describe_error_text(e: &DescribeError) -> String {
    match e {
        DescribeError::Transfer(t) => {
            format!("Could not read the device's descriptors ({}).", t.message)
        }
        DescribeError::Descriptor(d) => format!(
            "The device describes itself wrongly: {}.",
            super::words::descriptor_error(d)
        ),
        DescribeError::NotDfu => "This device has no firmware-update (DFU) interface. Check that you picked the right device.".into(),
        DescribeError::NoRuntimeInterface => "While it runs its firmware, this device offers no update interface, so the page cannot switch it to update mode. Start it in update mode by hand (on most such devices: hold the boot or DFU button, or set the boot jumper, while plugging it in), then connect it again.".into(),
    }
}

/// The page's wording for a failed update or backup.
pub fn problem_for(e: &FlashError, platform: Platform, ids: Option<(u16, u16)>) -> Problem {
    worded(e, platform, ids, true)
}

/// What the device is left with, in one or two sentences.
fn left_text(f: &FlashFailure, name: &str, d: Option<&crate::core::Error>) -> String {
    let recovered = d.and_then(|d| d.recovered);
    match f.left {
        Left::AsItWas => format!("Nothing was written: {name} is unchanged."),
        Left::WaitingInUpdateMode => format!(
            "Nothing was written. {name} is waiting in update mode: unplug it and plug it back in to return to its firmware, or update it again."
        ),
        Left::Incomplete if recovered == Some(false) => format!(
            "The firmware on {name} is now incomplete, so it may not start. Unplug it, plug it back in and update it again."
        ),
        Left::Incomplete => format!(
            "The firmware on {name} is now incomplete, so it may not start. It is back in update mode and ready: update it again before you unplug it."
        ),
        Left::Written if recovered == Some(false) => format!(
            "The whole firmware was written, but {name} did not finish. Unplug it and plug it back in."
        ),
        Left::Written => format!(
            "The whole firmware was written, but {name} did not finish. It is ready: update it again, or unplug it and plug it back in."
        ),
    }
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
            title: UPDATE_CANCELLED.into(),
            details: vec![left],
            kind: ProblemKind::Cancelled,
        },
        FlashError::Unconfirmed(r) => Problem {
            title: format!("This file may not be right for {name}"),
            details: vec![text(super::fit::misfit_text(r, name)), left],
            kind: ProblemKind::WrongFile,
        },
        FlashError::Misfit(m) => Problem {
            title: "This file does not fit this device".into(),
            details: vec![text(super::fit::misfit_text(m, name)), left],
            kind: ProblemKind::WrongFile,
        },
        FlashError::WrongDevice { file, device } => Problem {
            title: "This file does not fit this device".into(),
            details: vec![
                text(format!(
                    "The file is made for another device: {}. Get the firmware made for {name}.",
                    crate::core::file::mismatch(*file, *device)
                )),
                left,
            ],
            kind: ProblemKind::WrongFile,
        },
        _ if f.learned_capacity().is_some() => {
            Problem {
                title: "The file is larger than this device's memory".into(),
                details: vec![
                    text(format!(
                        "{name} took the first {} of this {} file and refused the rest (it reports errADDRESS): the file is larger than its memory, or made for another model. Trying again with this file cannot help: get the firmware made for {name}.",
                        super::size(f.written),
                        super::size(f.total)
                    )),
                    left,
                ],
                kind: ProblemKind::WrongFile,
            }
        }
        e => {
            let mut p = worded(e, platform, ids, false);
            if !matches!(
                p.kind,
                ProblemKind::Disconnected | ProblemKind::AccessDenied | ProblemKind::ManualDfuMode
            ) {
                p.details.retain(|d| {
                    !matches!(d, Detail::Text(t) if t == "Nothing was written: the device is unchanged.")
                });
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
                ErrorKind::Cancelled => (UPDATE_CANCELLED, ProblemKind::Cancelled),
                ErrorKind::DeviceStatus {
                    status: Status::ErrVendor,
                    ..
                } if d.dfuse => ("Read protection is on", ProblemKind::ReadProtection),
                ErrorKind::DeviceStatus {
                    status: Status::ErrTarget | Status::ErrFile,
                    ..
                } => ("The device refused the file", ProblemKind::WrongFile),
                ErrorKind::VerifyMismatch { .. } | ErrorKind::ShortRead { .. } => {
                    ("The check after writing failed", ProblemKind::Verify)
                }
                _ => (UPDATE_FAILED, ProblemKind::Device),
            };
            let mut details = vec![text(format!("{d} {}", remedy(d)))];
            match d.recovered.filter(|_| recovery) {
                Some(true) if !matches!(d.kind, ErrorKind::Cancelled) => {
                    details.push(text("The device is ready for another try."))
                }
                Some(true) => details.push(text(
                    "The device is back in update mode and ready. Its firmware may be incomplete, so update it before you unplug it.",
                )),
                Some(false) => details.push(text(
                    "The device did not recover. Unplug it, plug it back in, then try again.",
                )),
                None => {}
            }
            Problem {
                title: title.into(),
                details,
                kind,
            }
        }
        FlashError::Describe(crate::driver::DescribeError::NoRuntimeInterface) => Problem {
            title: "Start the device in update mode by hand".into(),
            details: vec![text(flash_error_text(e))],
            kind: ProblemKind::ManualDfuMode,
        },
        FlashError::Plan(_)
        | FlashError::NeedsDfuse
        | FlashError::NoSuchAlt { .. }
        | FlashError::NoMemoryMap { .. } => Problem {
            title: "This file does not fit this device".into(),
            details: vec![
                text(flash_error_text(e)),
                text("Nothing was written: the device is unchanged."),
            ],
            kind: ProblemKind::WrongFile,
        },
        other => Problem {
            title: UPDATE_FAILED.into(),
            details: vec![text(flash_error_text(other))],
            kind: ProblemKind::Other,
        },
    }
}
