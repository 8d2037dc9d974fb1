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
    Unsupported { what: Operation },
    /// A read back differs from what was written.
    VerifyMismatch {
        address: u32,
        expected: u8,
        found: u8,
    },
    /// A read returned fewer bytes than the region holds.
    ShortRead { address: u32, missing: u64 },
    /// The image's file could not be read at `offset` any more (a streamed image: moved,
    /// changed or on a drive that went away).
    FileUnreadable { offset: u64 },
    /// The user cancelled.
    Cancelled,
    /// The host broke its own rules (a reply that fits no request, a step that cannot
    /// be): the update stopped without sending anything more.
    Internal { what: Fault },
}

/// An operation a device may not support (`ErrorKind::Unsupported`); `ui::words` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Reading its firmware back (DFU_UPLOAD).
    Upload,
}

/// Which rule of its own the host broke (`ErrorKind::Internal`); `ui::words` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// A reply that does not fit the request it answers.
    ReplyDoesNotFit,
    /// A comparison step without an image to compare with.
    CompareWithoutImage,
    /// An action was asked for and none was planned.
    NothingPlanned,
    /// A reply came and no request was sent.
    ReplyForNoRequest,
    /// A new request was asked for while a reply was still due.
    RequestWhileReplyDue,
    /// A request was asked for with no step left.
    RequestWithNoStep,
    /// A block outside the image.
    BlockOutsideImage,
    /// A comparison step was asked to send a request.
    CompareAsRequest,
    /// A reply came with no step left.
    ReplyWithNoStep,
    /// A wait was answered with a transfer's reply.
    WaitGotTransferReply,
    /// A reset was answered with a transfer's reply.
    ResetGotTransferReply,
    /// A reply came before its request was sent.
    ReplyBeforeRequest,
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

impl ErrorKind {
    /// A short technical tag for logs.
    pub fn tag(&self) -> &'static str {
        match self {
            ErrorKind::DeviceStatus { .. } => "device error status",
            ErrorKind::Stalled { .. } => "request stalled",
            ErrorKind::UnexpectedState { .. } => "unexpected state",
            ErrorKind::BadStatusReply { .. } => "malformed status reply",
            ErrorKind::OverlongReply { .. } => "overlong reply",
            ErrorKind::Link(LinkError::Disconnected) => "disconnected",
            ErrorKind::Link(LinkError::Timeout) => "timeout",
            ErrorKind::Link(LinkError::Other) => "transfer failed",
            ErrorKind::StuckBusy { .. } => "stuck busy",
            ErrorKind::PollTimeoutTooLong { .. } => "implausible poll timeout",
            ErrorKind::NotIdle { .. } => "not idle",
            ErrorKind::RuntimeMode => "in run-time mode",
            ErrorKind::Unsupported { .. } => "unsupported",
            ErrorKind::VerifyMismatch { .. } => "verify mismatch",
            ErrorKind::ShortRead { .. } => "short read",
            ErrorKind::FileUnreadable { .. } => "file unreadable",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Internal { .. } => "internal error",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A technical line for logs (no Debug formatting: it would cost the wasm); what a
        // person reads is worded in `ui::words`.
        write!(f, "{}: {}", self.phase.name(), self.kind.tag())?;
        if let ErrorKind::DeviceStatus { status, state, .. } = &self.kind {
            write!(f, " {} in {}", status.name(), state.name())?;
        }
        if let Some(a) = self.address {
            write!(f, " at {a:#010x}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}
