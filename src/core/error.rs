//! Errors of device operations: what the device said and what the host was doing. What the
//! user should do about it is said in `ui`.

use super::progress::Phase;
use super::protocol::{DfuRequest, State, Status, StatusRecord};
use std::fmt;

/// How a control transfer failed below the DFU layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    /// The device is gone (unplugged, re-enumerated, or reset itself).
    Disconnected,
    /// The transfer did not complete in time.
    Timeout,
    /// Any other transfer failure.
    Other,
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The device reported an error status (it is now in dfuERROR or refused the step).
    DeviceStatus {
        status: Status,
        state: State,
        string_index: u8,
    },
    /// The device stalled a request.
    Stalled { request: DfuRequest },
    /// The device reported a state that makes no sense at this point.
    UnexpectedState { state: State },
    /// The GETSTATUS reply was not 6 bytes.
    BadStatusReply { len: usize },
    /// The device answered more bytes than asked for.
    OverlongReply { asked: usize, got: usize },
    /// The transfer failed below DFU.
    Link(LinkError),
    /// The device kept saying it is busy for too long.
    StuckBusy { polls: u32, waited_ms: u64 },
    /// The device asked for a wait longer than the host accepts.
    PollTimeoutTooLong { ms: u32 },
    /// The device could not be brought to dfuIDLE.
    NotIdle { state: State, status: Status },
    /// The device is in run-time mode; it must be detached first.
    RuntimeMode,
    /// The device does not support this operation (e.g. upload).
    Unsupported { what: &'static str },
    /// A read back differs from what was written.
    VerifyMismatch {
        address: u32,
        expected: u8,
        found: u8,
    },
    /// A read returned fewer bytes than the region holds.
    ShortRead { address: u32, missing: u64 },
    /// The user cancelled.
    Cancelled,
    /// The host broke its own rules (a reply that fits no request, a step that cannot
    /// be): the update stopped without sending anything more.
    Internal { what: &'static str },
}

/// An operation's failure, with context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    /// The phase the operation was in.
    pub phase: Phase,
    /// The request that failed or revealed the failure.
    pub request: Option<DfuRequest>,
    /// The memory address being worked on (DfuSe), if any.
    pub address: Option<u32>,
    /// Whether the device was brought back to dfuIDLE afterwards (None: not tried,
    /// e.g. because it is gone).
    pub recovered: Option<bool>,
    /// DfuSe semantics for status codes.
    pub dfuse: bool,
    /// The device's own description of the error (its iString), untrusted text.
    pub device_text: Option<String>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, phase: Phase) -> Error {
        Error {
            kind,
            phase,
            request: None,
            address: None,
            recovered: None,
            dfuse: false,
            device_text: None,
        }
    }

    pub(crate) fn from_status(st: &StatusRecord, phase: Phase) -> Error {
        Error::new(
            ErrorKind::DeviceStatus {
                status: st.status,
                state: st.state,
                string_index: st.string_index,
            },
            phase,
        )
    }

    pub(crate) fn during(mut self, request: DfuRequest) -> Error {
        self.request = Some(request);
        self
    }

    /// Is the device still there (worth a retry without replugging)?
    pub fn device_gone(&self) -> bool {
        matches!(self.kind, ErrorKind::Link(LinkError::Disconnected))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.phase {
            Phase::Prepare => "preparing the device",
            Phase::Detach => "switching the device to update mode",
            Phase::Erase => "erasing",
            Phase::Write => "writing",
            Phase::Verify => "verifying",
            Phase::Manifest => "finishing the update",
            Phase::Leave => "restarting the device",
            Phase::Upload => "reading the firmware",
        };
        if matches!(self.kind, ErrorKind::Cancelled) {
            write!(f, "Cancelled while {what}.")?;
        } else {
            write!(f, "Failed while {what}")?;
            if let Some(a) = self.address {
                write!(f, " at address {a:#010x}")?;
            }
            write!(f, ": ")?;
            match &self.kind {
                ErrorKind::DeviceStatus { status, state, .. } => write!(
                    f,
                    "{} (the device reports {} in state {}).",
                    status.meaning(self.dfuse),
                    status.name(),
                    state.name()
                )?,
                ErrorKind::Stalled { request } => {
                    write!(f, "the device refused the {} request.", request.name())?
                }
                ErrorKind::UnexpectedState { state } => {
                    write!(f, "the device reported an unexpected state, {}.", state.name())?
                }
                ErrorKind::BadStatusReply { len } => write!(
                    f,
                    "the device sent a malformed status reply ({len} bytes instead of 6)."
                )?,
                ErrorKind::OverlongReply { asked, got } => {
                    write!(f, "the device sent {got} bytes where {asked} were asked for.")?
                }
                ErrorKind::Link(LinkError::Disconnected) => write!(f, "the device disconnected.")?,
                ErrorKind::Link(LinkError::Timeout) => write!(f, "the device did not answer in time.")?,
                ErrorKind::Link(LinkError::Other) => write!(f, "the USB transfer failed.")?,
                ErrorKind::StuckBusy { polls, waited_ms } => write!(
                    f,
                    "the device stayed busy for {waited_ms} ms ({polls} status checks)."
                )?,
                ErrorKind::PollTimeoutTooLong { ms } => {
                    write!(f, "the device asked to wait {ms} ms, which is not plausible.")?
                }
                ErrorKind::NotIdle { state, status } => write!(
                    f,
                    "the device could not be made ready (state {}, status {}).",
                    state.name(),
                    status.name()
                )?,
                ErrorKind::RuntimeMode => write!(f, "the device is not in update mode.")?,
                ErrorKind::Unsupported { what } => write!(f, "the device does not support {what}.")?,
                ErrorKind::VerifyMismatch {
                    address,
                    expected,
                    found,
                } => write!(
                    f,
                    "the byte read back at {address:#010x} is {found:#04x}, but {expected:#04x} was written."
                )?,
                ErrorKind::ShortRead { address, missing } => write!(
                    f,
                    "the device returned {missing} bytes too few when reading from {address:#010x}."
                )?,
                ErrorKind::Internal { what } => write!(
                    f,
                    "the updater stopped itself on an internal error ({what}); nothing more was sent to the device."
                )?,
                ErrorKind::Cancelled => {}
            }
        }
        if let Some(t) = &self.device_text {
            let t: String = t.chars().filter(|c| !c.is_control()).take(120).collect();
            write!(f, " The device says: \u{201c}{}\u{201d}.", t.trim())?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}
