//! Faults the simulator can inject: when one fires, and what it does.

use super::requests::Request;

/// What the device is doing, as the device itself sees it: set by the last request that
/// started something (a DETACH, an erase command, a data block, an UPLOAD, the zero-length
/// DNLOAD); status requests, ABORT and DfuSe's Set-Address change nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// Running its firmware (the run-time interface).
    Runtime,
    /// In DFU mode, nothing started yet.
    Idle,
    /// A DfuSe page or mass erase.
    Erase,
    /// Taking data blocks.
    Write,
    /// Answering UPLOADs (a verify or a backup).
    Read,
    /// DFU 1.1: the zero-length DNLOAD, the image is being manifested.
    Manifest,
    /// DfuSe: the zero-length DNLOAD that leaves for the firmware.
    Leave,
}

/// When a fault fires (once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// The nth (1-based) request of this type.
    Request { request: Request, nth: usize },
    /// The nth (1-based) request of this type while the device is doing `activity` (counted
    /// from the request that began it): "the first GETSTATUS of the erase".
    During {
        activity: Activity,
        request: Request,
        nth: usize,
    },
    /// As `During`, in the `run`th (1-based) time the device begins `activity`: "the
    /// second UPLOAD of the second read" (an update that compares first, then verifies).
    DuringRun {
        activity: Activity,
        run: usize,
        request: Request,
        nth: usize,
    },
    /// A DNLOAD data block with this wBlockNum.
    Block(u16),
    /// A DfuSe write or erase touching this address.
    Address(u32),
    /// The first request after this much virtual time.
    AfterMs(u64),
    /// The next host reset.
    Reset,
    /// The next re-attach after a detach or reset.
    Reattach,
}

/// What a fault does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Stall,
    /// dfuERROR with this bStatus (reported on the next GETSTATUS).
    ErrorStatus(u8),
    /// dfuERROR with errVENDOR and an iString naming this text.
    VendorError(&'static str),
    /// Vanish from the bus; come back after the given ms in DFU mode (power cycle).
    Disconnect {
        reattach_ms: Option<u32>,
    },
    /// The transfer never completes.
    Timeout,
    /// GETSTATUS answers 3 bytes.
    ShortStatus,
    /// GETSTATUS answers bState 0xEE.
    GarbageStatus,
    /// GETSTATUS reports this bwPollTimeout.
    PollTimeout(u32),
    /// The host reset fails (as on Windows).
    ResetFails,
    /// The device never comes back.
    NeverReattach,
}

/// A fault to inject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub trigger: Trigger,
    pub effect: Effect,
}
