//! The simulated device as a [`Transport`] on virtual time.

use super::flash::Reconnect;
use super::{DeviceInfo, TransferError, TransferErrorKind, Transport};
use crate::core::protocol::Setup;
use crate::sim::{self, SimDevice, SimError};

/// How long [`SimTransport::reconnect`] waits for the device (virtual ms).
pub const RECONNECT_TIMEOUT_MS: u32 = 10_000;

/// A [`SimDevice`] behind the driver's transport interface.
#[derive(Debug)]
pub struct SimTransport {
    pub device: SimDevice,
    /// The enumeration the host last opened.
    seen: u32,
}

impl SimTransport {
    pub fn new(device: SimDevice) -> SimTransport {
        let seen = device.enumeration();
        SimTransport { device, seen }
    }
}

fn setup(s: Setup) -> sim::Setup {
    sim::Setup {
        request_type: s.request_type,
        request: s.request,
        value: s.value,
        index: s.index,
        length: s.length,
    }
}

/// The transport error for a simulator error.
pub fn error(e: SimError) -> TransferError {
    match e {
        SimError::Stall => {
            TransferError::new(TransferErrorKind::Stall, "the device stalled the request")
        }
        SimError::Disconnected => TransferError::new(
            TransferErrorKind::Disconnected,
            "the device is not connected",
        ),
        SimError::Timeout => {
            TransferError::new(TransferErrorKind::Timeout, "the transfer timed out")
        }
    }
}

impl Transport for SimTransport {
    async fn control_in(&mut self, s: Setup, _timeout_ms: u32) -> Result<Vec<u8>, TransferError> {
        self.device.control_in(setup(s)).map_err(error)
    }

    async fn control_out(
        &mut self,
        s: Setup,
        data: &[u8],
        _timeout_ms: u32,
    ) -> Result<(), TransferError> {
        self.device.control_out(setup(s), data).map_err(error)
    }

    async fn reset(&mut self) -> Result<(), TransferError> {
        self.device.reset().map_err(error)
    }

    async fn sleep(&mut self, ms: u32) {
        self.device.sleep(ms);
    }

    fn now_ms(&self) -> f64 {
        self.device.now_us() as f64 / 1000.0
    }

    async fn select_alt(&mut self, interface: u8, alt: u8) -> Result<(), TransferError> {
        let s = sim::Setup {
            request_type: 0x01,
            request: 0x0B,
            value: u16::from(alt),
            index: u16::from(interface),
            length: 0,
        };
        self.device.control_out(s, &[]).map_err(error)
    }
}

/// Wait (virtual time, up to [`RECONNECT_TIMEOUT_MS`]) for `device` to come back as an
/// enumeration other than `seen`; its enumeration number when it has.
pub fn wait_for_return(device: &mut SimDevice, seen: u32) -> Result<u32, TransferError> {
    let mut waited = 0;
    while !(device.is_attached() && device.enumeration() != seen) {
        if waited >= RECONNECT_TIMEOUT_MS {
            return Err(TransferError::new(
                TransferErrorKind::Disconnected,
                DID_NOT_COME_BACK,
            ));
        }
        device.sleep(10);
        waited += 10;
    }
    Ok(device.enumeration())
}

/// Why [`wait_for_return`] failed.
pub const DID_NOT_COME_BACK: &str = "the device did not come back";

/// A simulator error by name, for a device in another module (the page's demo chip,
/// `web::chip`, throws these): `stall`, `disconnected`, `timeout`, or `gone` for
/// [`wait_for_return`]'s failure.
pub fn error_name(e: SimError) -> &'static str {
    match e {
        SimError::Stall => "stall",
        SimError::Disconnected => "disconnected",
        SimError::Timeout => "timeout",
    }
}

/// The transport error an [`error_name`] (or `gone`) stands for; `None` for any other text.
pub fn named_error(name: &str) -> Option<TransferError> {
    Some(match name {
        "stall" => error(SimError::Stall),
        "disconnected" => error(SimError::Disconnected),
        "timeout" => error(SimError::Timeout),
        "gone" => TransferError::new(TransferErrorKind::Disconnected, DID_NOT_COME_BACK),
        _ => return None,
    })
}

impl Reconnect for SimTransport {
    async fn reconnect(&mut self, _before: &DeviceInfo) -> Result<(), TransferError> {
        self.seen = wait_for_return(&mut self.device, self.seen)?;
        Ok(())
    }
}
