//! The WebUSB transport: a [`Transport`] over a `USBDevice`.
//!
//! Device objects are never checked with `dyn_into` (an `instanceof` test): a page or a
//! test may hand us any object with the WebUSB methods.

use super::clock::with_timeout;
pub use super::convert::map_error;
use super::page::PageRepair;
use crate::core::protocol::Setup;
use crate::driver::{DeviceInfo, Reconnect, TransferError, TransferErrorKind, Transport};
use crate::ui::Chooser;
use js_sys::Uint8Array;
use std::cell::RefCell;
use std::future::{Future, IntoFuture};
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll, Waker};
use wasm_bindgen::JsCast;
use web_sys::{
    UsbControlTransferParameters, UsbDevice, UsbInTransferResult, UsbOutTransferResult,
    UsbRecipient, UsbRequestType, UsbTransferStatus,
};

fn params(s: Setup) -> UsbControlTransferParameters {
    let request_type = match (s.request_type >> 5) & 3 {
        0 => UsbRequestType::Standard,
        1 => UsbRequestType::Class,
        _ => UsbRequestType::Vendor,
    };
    let recipient = match s.request_type & 0x1F {
        0 => UsbRecipient::Device,
        1 => UsbRecipient::Interface,
        2 => UsbRecipient::Endpoint,
        _ => UsbRecipient::Other,
    };
    UsbControlTransferParameters::new(s.index, recipient, s.request, request_type, s.value)
}

fn timeout() -> TransferError {
    TransferError::new(
        TransferErrorKind::Timeout,
        "the device did not answer in time",
    )
}

fn stall() -> TransferError {
    TransferError::new(TransferErrorKind::Stall, "the device stalled the request")
}

/// Open `device` if needed and make sure a configuration is active.
async fn prepare(device: &UsbDevice) -> Result<(), TransferError> {
    if !device.opened() {
        device.open().await.map_err(|e| map_error(&e, "open"))?;
    }
    if device.configuration().is_none() {
        device
            .select_configuration(1)
            .await
            .map_err(|e| map_error(&e, "configure"))?;
    }
    Ok(())
}

/// One timer for all of a transport's transfers: a loop that wakes the transfer in flight
/// once its deadline has passed, ticking on the page's clock (so a hidden tab's throttling
/// does not delay a timeout), and ending when the transport is dropped. A timer per
/// transfer (a JS closure, a setTimeout and a clearTimeout each time) cost more than the
/// transfer's own JavaScript work.
struct Watchdog {
    watch: Rc<RefCell<Watch>>,
}

#[derive(Default)]
struct Watch {
    /// When the transfer in flight times out (performance.now() ms); 0: none in flight.
    deadline: f64,
    expired: bool,
    waker: Option<Waker>,
}

/// Milliseconds on the page's monotonic clock.
fn now() -> f64 {
    super::clock::now_ms()
}

impl Watchdog {
    /// How often the deadline is checked: timeouts fire up to this late.
    const TICK_MS: u32 = 250;

    fn new() -> Watchdog {
        let watch = Rc::new(RefCell::new(Watch::default()));
        let weak = Rc::downgrade(&watch);
        wasm_bindgen_futures::spawn_local(async move {
            loop {
                super::clock::sleep(Self::TICK_MS).await;
                let Some(w) = weak.upgrade() else { break };
                let mut w = w.borrow_mut();
                if w.deadline > 0.0 && now() >= w.deadline {
                    w.expired = true;
                    if let Some(k) = w.waker.take() {
                        k.wake();
                    }
                }
            }
        });
        Watchdog { watch }
    }

    /// Resolve `f`, or `None` once `ms` milliseconds have passed.
    async fn guard<F: IntoFuture>(&self, f: F, ms: u32) -> Option<F::Output> {
        {
            let mut w = self.watch.borrow_mut();
            w.deadline = now() + f64::from(ms);
            w.expired = false;
        }
        let mut f = pin!(f.into_future());
        let r = std::future::poll_fn(|cx| {
            if let Poll::Ready(v) = f.as_mut().poll(cx) {
                return Poll::Ready(Some(v));
            }
            let mut w = self.watch.borrow_mut();
            if w.expired {
                return Poll::Ready(None);
            }
            w.waker = Some(cx.waker().clone());
            Poll::Pending
        })
        .await;
        *self.watch.borrow_mut() = Watch::default();
        r
    }
}

/// A `USBDevice`, opened, with at most one claimed interface.
pub struct WebUsbTransport {
    device: UsbDevice,
    claimed: Option<u8>,
    repair: Option<Rc<PageRepair>>,
    watchdog: Watchdog,
}

impl WebUsbTransport {
    /// Open `device` and make sure a configuration is active. How it is found again
    /// after it re-enumerates is set per operation ([`WebUsbTransport::set_repair`]).
    pub async fn open(device: UsbDevice) -> Result<WebUsbTransport, TransferError> {
        prepare(&device).await?;
        Ok(WebUsbTransport {
            device,
            claimed: None,
            repair: None,
            watchdog: Watchdog::new(),
        })
    }

    /// Set how the device is found again after it re-enumerates.
    pub(crate) fn set_repair(&mut self, repair: Option<Rc<PageRepair>>) {
        self.repair = repair;
    }

    pub fn device(&self) -> &UsbDevice {
        &self.device
    }
}

impl Drop for WebUsbTransport {
    fn drop(&mut self) {
        // Best effort, in the background. A device that is gone rejects both calls, and
        // the rejections must be handled (awaited), or the browser reports them as
        // uncaught errors.
        let device = self.device.clone();
        let claimed = self.claimed.take();
        wasm_bindgen_futures::spawn_local(async move {
            if let Some(i) = claimed {
                let _ = device.release_interface(i).await;
            }
            let _ = device.close().await;
        });
    }
}

impl Transport for WebUsbTransport {
    async fn control_in(&mut self, s: Setup, timeout_ms: u32) -> Result<Vec<u8>, TransferError> {
        let p = self.device.control_transfer_in(&params(s), s.length);
        let r = self
            .watchdog
            .guard(p, timeout_ms)
            .await
            .ok_or_else(timeout)?;
        let r: UsbInTransferResult = r.map_err(|e| map_error(&e, "in"))?.unchecked_into();
        match r.status() {
            UsbTransferStatus::Ok => Ok(r
                .data()
                .map(|d| {
                    Uint8Array::new_with_byte_offset_and_length(
                        &d.buffer(),
                        d.byte_offset() as u32,
                        d.byte_length() as u32,
                    )
                    .to_vec()
                })
                .unwrap_or_default()),
            UsbTransferStatus::Stall => Err(stall()),
            _ => Err(TransferError::new(
                TransferErrorKind::Other,
                "the device sent more data than expected (babble)",
            )),
        }
    }

    async fn control_out(
        &mut self,
        s: Setup,
        data: &[u8],
        timeout_ms: u32,
    ) -> Result<(), TransferError> {
        let p = self
            .device
            .control_transfer_out_with_u8_slice(&params(s), data)
            .map_err(|e| map_error(&e, "out"))?;
        let r = self
            .watchdog
            .guard(p, timeout_ms)
            .await
            .ok_or_else(timeout)?;
        let r: UsbOutTransferResult = r.map_err(|e| map_error(&e, "out"))?.unchecked_into();
        match r.status() {
            UsbTransferStatus::Ok => Ok(()),
            UsbTransferStatus::Stall => Err(stall()),
            _ => Err(TransferError::new(
                TransferErrorKind::Other,
                "the transfer failed (babble)",
            )),
        }
    }

    async fn reset(&mut self) -> Result<(), TransferError> {
        self.claimed = None;
        with_timeout(self.device.reset(), 5_000)
            .await
            .ok_or_else(timeout)?
            .map(|_| ())
            .map_err(|e| map_error(&e, "reset"))
    }

    async fn sleep(&mut self, ms: u32) {
        super::clock::sleep(ms).await;
    }

    async fn sleep_until(&mut self, at_ms: f64) {
        super::clock::sleep_until(at_ms).await;
    }

    fn now_ms(&self) -> f64 {
        // Sub-millisecond: waits count from the status reply, and a clock that ticks in
        // whole milliseconds would add up to one to every bwPollTimeout.
        now()
    }

    async fn select_alt(&mut self, interface: u8, alt: u8) -> Result<(), TransferError> {
        self.hold(interface).await?;
        match self.device.select_alternate_interface(interface, alt).await {
            Ok(_) => Ok(()),
            // Single-alt devices may refuse SET_INTERFACE(0); alt 0 is active anyway.
            Err(_) if alt == 0 => Ok(()),
            Err(e) => Err(map_error(&e, "alt")),
        }
    }
}

impl WebUsbTransport {
    /// Claim the DFU interface now and hold it while the page shows the device, so that
    /// another tab or program gets a clear "in use" at once rather than a fight mid-update.
    pub async fn hold(&mut self, interface: u8) -> Result<(), TransferError> {
        if self.claimed == Some(interface) {
            return Ok(());
        }
        if let Some(old) = self.claimed.take() {
            let _ = self.device.release_interface(old).await;
        }
        self.device
            .claim_interface(interface)
            .await
            .map_err(|e| map_error(&e, "claim"))?;
        self.claimed = Some(interface);
        Ok(())
    }

    /// Switch to `device` (the same gadget after it re-enumerated) and open it.
    pub async fn adopt(&mut self, device: UsbDevice) -> Result<(), TransferError> {
        self.claimed = None;
        prepare(&device).await?;
        self.device = device;
        Ok(())
    }
}

impl Reconnect for WebUsbTransport {
    async fn reconnect(&mut self, before: &DeviceInfo) -> Result<(), TransferError> {
        let Some(repair) = &self.repair else {
            return Err(TransferError::new(
                TransferErrorKind::Disconnected,
                "the device restarted and must be selected again",
            ));
        };
        // Where permission exists (same serial, or a policy) it is found by itself; else
        // the page asks the user to select it.
        let device = match repair.wait_known(before, &self.device).await {
            Some(d) => d,
            None => {
                let d = repair.ask(before, Chooser::Browser).await?;
                if d.is_null() || d.is_undefined() {
                    return Err(TransferError::new(
                        TransferErrorKind::Disconnected,
                        "no device was selected",
                    ));
                }
                d.unchecked_into()
            }
        };
        self.adopt(device).await
    }
}
