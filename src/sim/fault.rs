//! Faults the simulator can inject: when one fires, and what it does.

use super::requests::Request;

/// When a fault fires (once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// The nth (1-based) request of this type.
    Request { request: Request, nth: usize },
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
