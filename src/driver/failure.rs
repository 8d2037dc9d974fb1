//! How an update fails: why ([`FlashError`]), and what it left on the device ([`Left`]),
//! from what the update had done so far (`Track`).

use super::describe::{DescribeError, DeviceInfo};
use super::TransferError;
use crate::core::file::UsbIds;
use crate::core::fit::Misfit;
use crate::core::vectors::VectorProblem;
use crate::core::{Error, ErrorKind, Phase, PlanError, Session};
use std::fmt;

/// Why an update failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlashError {
    Describe(DescribeError),
    Transfer(TransferError),
    Device(Error),
    Plan(PlanError),
    /// The device did not come back in DFU mode after the detach.
    NoDfuMode,
    /// The file has addressed data but the device is plain DFU 1.1.
    NeedsDfuse,
    /// The file names an alt setting the device lacks.
    NoSuchAlt {
        alt: u8,
    },
    /// The alt setting has no readable memory map.
    NoMemoryMap {
        alt: u8,
    },
    /// The file's suffix names another device.
    WrongDevice {
        file: UsbIds,
        device: UsbIds,
    },
    /// The update is risky (a tiny image, no program at the flash base) and the user did
    /// not confirm it.
    Unconfirmed(Misfit),
    /// The file does not fit the device (found once it was in update mode).
    Misfit(Misfit),
    /// The user cancelled while the host waited for the device (re-pairing it after
    /// it restarted in update mode).
    Cancelled,
}

/// What a failed update had done to the device, so that the message says it truly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Left {
    /// Nothing that changes it reached the device: it is as it was (running its firmware,
    /// or in update mode if it was there already).
    AsItWas,
    /// It was switched to update mode and waits there; nothing was erased or written.
    WaitingInUpdateMode,
    /// Erasing or writing had begun: the firmware on the device is incomplete.
    Incomplete,
    /// The whole image was written; the check, the finish or the restart did not end.
    Written,
}

/// A failed update or backup: why, and what it left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlashFailure {
    pub error: FlashError,
    pub left: Left,
    /// Bytes of the image the device had accepted.
    pub written: u64,
    /// Bytes of the whole image (0 for a backup).
    pub total: u64,
}

impl FlashFailure {
    /// A DFU 1.1 device that refused the image with errADDRESS while it was written: it
    /// holds no more than the bytes it took, which is its capacity as far as the host can
    /// learn it.
    pub fn learned_capacity(&self) -> Option<u64> {
        match &self.error {
            FlashError::Device(d)
                if !d.dfuse
                    && d.phase == Phase::Write
                    && matches!(
                        d.kind,
                        ErrorKind::DeviceStatus {
                            status: crate::core::protocol::Status::ErrAddress,
                            ..
                        }
                    ) =>
            {
                Some(self.written)
            }
            _ => None,
        }
    }
}

impl fmt::Display for FlashFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.error)
    }
}

/// What the update has done so far, for [`FlashFailure::left`].
#[derive(Debug, Default)]
pub(super) struct Track {
    pub(super) detached: bool,
    /// The device as it was in run-time mode, once it was switched from there.
    pub(super) runtime: Option<DeviceInfo>,
    /// The update looked for the device a second time already.
    pub(super) looked_again: bool,
    /// A session that erases or writes has begun.
    pub(super) touched: bool,
    pub(super) all_written: bool,
    pub(super) written: u64,
    pub(super) total: u64,
}

impl Track {
    pub(super) fn failure(&self, error: FlashError) -> FlashFailure {
        let left = if self.all_written {
            Left::Written
        } else if self.touched {
            Left::Incomplete
        } else if self.detached && error != FlashError::NoDfuMode {
            Left::WaitingInUpdateMode
        } else {
            Left::AsItWas
        };
        FlashFailure {
            error,
            left,
            written: self.written,
            total: self.total,
        }
    }

    /// A session failed: how far it had got.
    pub(super) fn session_failed(&mut self, e: &Error, s: &Session, first: bool, last: bool) {
        let done = |phase: Phase| {
            s.progress()
                .phases
                .iter()
                .find(|p| p.phase == phase)
                .map_or(0, |p| p.done)
        };
        let wrote = done(Phase::Write);
        self.written += wrote;
        let misread = matches!(
            e.kind,
            ErrorKind::VerifyMismatch { .. } | ErrorKind::ShortRead { .. }
        );
        // A cancel lets the request in flight finish, so the counters are exact: cancelled
        // before the first erase or block, nothing was changed. Any other failure in these
        // phases may have hit a request half done: the firmware is taken as incomplete.
        let untouched = e.kind == ErrorKind::Cancelled && wrote == 0 && done(Phase::Erase) == 0;
        match e.phase {
            // Reading changes nothing.
            Phase::Prepare | Phase::Detach | Phase::Compare | Phase::Upload => {
                self.touched |= !first
            }
            Phase::Erase | Phase::Write if untouched => self.touched |= !first,
            Phase::Erase | Phase::Write => self.touched = true,
            // What the device holds differs from the file: not a written firmware.
            Phase::Verify if misread => self.touched = true,
            Phase::Verify | Phase::Manifest | Phase::Leave => {
                self.touched = true;
                self.all_written = last;
            }
        }
    }
}

/// A short technical description, for logs and developers. What a person reads about it
/// is worded in `ui` (`ui::failure_problem`, `ui::flash_error_text`).
impl fmt::Display for FlashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlashError::Describe(e) => write!(f, "describing the device: {e}"),
            FlashError::Transfer(e) => write!(f, "transfer: {e}"),
            FlashError::Device(e) => write!(f, "{e}"),
            FlashError::Plan(e) => write!(f, "{e}"),
            FlashError::NoDfuMode => write!(f, "the device did not come back in DFU mode"),
            FlashError::NeedsDfuse => write!(f, "addressed data for a DFU 1.1 device"),
            FlashError::NoSuchAlt { alt } => write!(f, "no alt setting {alt}"),
            FlashError::WrongDevice { file, device } => write!(
                f,
                "the file names {:04x}:{:04x} release {:#06x}; the device is {:04x}:{:04x} release {:#06x}",
                file.vendor, file.product, file.device, device.vendor, device.product, device.device
            ),
            FlashError::NoMemoryMap { alt } => write!(f, "no memory map for alt setting {alt}"),
            FlashError::Unconfirmed(Misfit::NotAProgram(p)) => {
                write!(f, "unconfirmed: {}", vector_problem(p))
            }
            FlashError::Unconfirmed(Misfit::TinyImage { size }) => {
                write!(f, "unconfirmed: a {size}-byte image")
            }
            FlashError::Unconfirmed(_) => write!(f, "unconfirmed risk"),
            FlashError::Cancelled => write!(f, "cancelled while waiting for the device"),
            FlashError::Misfit(_) => write!(f, "the file does not fit the device"),
        }
    }
}

impl FlashError {
    /// A misfit found once the device is in update mode, as the error that stops it.
    pub fn from_misfit(m: Misfit) -> FlashError {
        match m {
            Misfit::OtherMaker { file, device } | Misfit::OtherModel { file, device } => {
                FlashError::WrongDevice { file, device }
            }
            Misfit::NeedsDfuse => FlashError::NeedsDfuse,
            Misfit::NoSuchAlt { alt } => FlashError::NoSuchAlt { alt },
            Misfit::NoMemoryMap { alt } | Misfit::NoWritableMemory { alt } => {
                FlashError::NoMemoryMap { alt }
            }
            m @ (Misfit::TinyImage { .. } | Misfit::NotAProgram(_)) => FlashError::Unconfirmed(m),
            m => FlashError::Misfit(m),
        }
    }
}

impl From<DescribeError> for FlashError {
    fn from(e: DescribeError) -> Self {
        FlashError::Describe(e)
    }
}
impl From<TransferError> for FlashError {
    fn from(e: TransferError) -> Self {
        FlashError::Transfer(e)
    }
}
impl From<Error> for FlashError {
    fn from(e: Error) -> Self {
        FlashError::Device(e)
    }
}
impl From<PlanError> for FlashError {
    fn from(e: PlanError) -> Self {
        FlashError::Plan(e)
    }
}

/// A vector-table problem in a few words (for the command line; the page words it in `ui`).
pub fn vector_problem(p: &VectorProblem) -> String {
    match p {
        VectorProblem::TooShort { address } => {
            format!("fewer than 8 bytes at the flash base {address:#010x}")
        }
        VectorProblem::StackNotInRam { stack, .. } => {
            format!("its initial stack pointer {stack:#010x} is not in RAM")
        }
        VectorProblem::ResetNotThumb { reset, .. } => {
            format!("its reset address {reset:#010x} is not Thumb code")
        }
        VectorProblem::ResetOutsideImage { reset, .. } => {
            format!("its reset address {reset:#010x} is outside the image")
        }
    }
}
