//! The demo device: a chip of the demo module (`web::chip`, the simulator in a wasm module
//! of its own, loaded when the demo is chosen), running the real flows in real time
//! (device waits scaled down), including the re-pair step after re-enumeration.

use super::page::PageRepair;
use crate::core::descriptor;
use crate::core::protocol::{Control, Setup};
use crate::driver::sim::named_error;
use crate::driver::{DeviceInfo, Reconnect, TransferError, TransferErrorKind, Transport};
use crate::ui::{Chooser, Repair};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// Real milliseconds per virtual millisecond of device time.
pub const TIME_SCALE: f64 = 0.25;

#[wasm_bindgen]
extern "C" {
    /// A chip of the demo module (`web::chip`'s `DemoChip`, from `www/pkg/dfu_demo.js`).
    pub type DemoChip;
    /// `setup`: the SETUP packet's eight bytes (`Setup::to_bytes`).
    #[wasm_bindgen(method, catch, js_name = controlIn)]
    fn control_in(this: &DemoChip, setup: &[u8]) -> Result<js_sys::Uint8Array, JsValue>;
    #[wasm_bindgen(method, catch, js_name = controlOut)]
    fn control_out(this: &DemoChip, setup: &[u8], data: &[u8]) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn reset(this: &DemoChip) -> Result<(), JsValue>;
    #[wasm_bindgen(method)]
    fn sleep(this: &DemoChip, ms: u32);
    #[wasm_bindgen(method, js_name = nowMs)]
    fn now_ms(this: &DemoChip) -> f64;
    #[wasm_bindgen(method, catch)]
    fn reconnect(this: &DemoChip) -> Result<(), JsValue>;
    #[wasm_bindgen(method, js_name = readMemory)]
    fn read_memory(this: &DemoChip, alt: u8, address: u32, length: usize) -> JsValue;
    #[wasm_bindgen(method, js_name = unplugAt)]
    fn unplug_at(this: &DemoChip, address: u32);
    #[wasm_bindgen(method)]
    fn close(this: &DemoChip);
    #[wasm_bindgen(method)]
    fn free(this: &DemoChip);
}

/// What the chip threw, as the transport's error. The chip throws only the names
/// `driver::sim::error_name` gives (and `gone`); anything else (a trap in the chip's
/// module) keeps the browser's own words.
fn chip_error(e: JsValue) -> TransferError {
    let name = e.as_string().unwrap_or_default();
    named_error(&name).unwrap_or_else(|| super::convert::map_error(&e, "demo"))
}

/// The demo chip behind the transport interface, on the page's clock.
pub struct DemoTransport {
    chip: DemoChip,
    /// Ids the "browser" has permission for (the demo models WebUSB's per-id grants); a
    /// few at most, so a list (a set type would add its code to the wasm).
    granted: Rc<RefCell<Vec<(u16, u16)>>>,
    repair: Option<Rc<PageRepair>>,
    /// When the page last had a turn ([`DemoTransport::pace`]).
    breathed: f64,
}

impl Drop for DemoTransport {
    fn drop(&mut self) {
        // Connecting the demo again is the same chip, with what was written to it.
        self.chip.close();
        self.chip.free();
    }
}

impl DemoTransport {
    pub fn new(chip: DemoChip) -> DemoTransport {
        DemoTransport {
            chip,
            granted: Rc::new(RefCell::new(Vec::new())),
            repair: None,
            breathed: 0.0,
        }
    }

    pub fn grant(&self, vendor: u16, product: u16) {
        let mut granted = self.granted.borrow_mut();
        if !granted.contains(&(vendor, product)) {
            granted.push((vendor, product));
        }
    }

    /// How the user is asked for the device after it re-enumerated with new ids.
    pub(crate) fn set_repair(&mut self, repair: Option<Rc<PageRepair>>) {
        self.repair = repair;
    }

    /// What the chip holds at `address` of alt setting `alt`, if readable.
    pub fn read_memory(&self, alt: u8, address: u32, length: usize) -> Option<Vec<u8>> {
        let v = self.chip.read_memory(alt, address, length);
        (!v.is_undefined() && !v.is_null()).then(|| js_sys::Uint8Array::new(&v).to_vec())
    }

    /// The cable slips when a write or erase next touches `address`.
    pub fn unplug_at(&self, address: u32) {
        self.chip.unplug_at(address);
    }

    /// Let the page breathe: a zero timer once a frame's time (16 ms) has gone by since
    /// the last, so progress renders and the page answers, whatever a transfer costs.
    async fn pace(&mut self) {
        let now = super::clock::now_ms();
        if now - self.breathed >= 16.0 {
            super::clock::sleep(0).await;
            self.breathed = super::clock::now_ms();
        }
    }
}

impl Transport for DemoTransport {
    async fn control_in(&mut self, s: Setup, _t: u32) -> Result<Vec<u8>, TransferError> {
        self.pace().await;
        let r = self.chip.control_in(&s.to_bytes());
        r.map(|a| a.to_vec()).map_err(chip_error)
    }

    async fn control_out(&mut self, s: Setup, data: &[u8], _t: u32) -> Result<(), TransferError> {
        self.pace().await;
        let r = self.chip.control_out(&s.to_bytes(), data);
        r.map_err(chip_error)
    }

    async fn reset(&mut self) -> Result<(), TransferError> {
        self.chip.reset().map_err(chip_error)
    }

    async fn sleep(&mut self, ms: u32) {
        self.chip.sleep(ms);
        let real = (f64::from(ms) * TIME_SCALE) as u32;
        if real > 0 {
            super::clock::sleep(real).await;
        }
    }

    fn now_ms(&self) -> f64 {
        self.chip.now_ms()
    }

    async fn select_alt(&mut self, interface: u8, alt: u8) -> Result<(), TransferError> {
        // SET_INTERFACE, as the browser sends it.
        let set_interface = Setup {
            request_type: 0x01,
            request: 0x0B,
            value: u16::from(alt),
            index: u16::from(interface),
            length: 0,
        };
        let r = self.chip.control_out(&set_interface.to_bytes(), &[]);
        r.map_err(chip_error)
    }
}

impl Reconnect for DemoTransport {
    async fn reconnect(&mut self, before: &DeviceInfo) -> Result<(), TransferError> {
        // The device drops off the bus and comes back (virtual time, scaled).
        super::support::record(|l, t| l.repair(t, Repair::Looking));
        self.chip.reconnect().map_err(chip_error)?;
        super::clock::sleep(600).await;
        let c = Control::get_descriptor(descriptor::DEVICE, 0, 0, 18);
        let raw = self.control_in(c.setup, 1000).await?;
        let d = descriptor::DeviceDescriptor::parse(&raw).map_err(|e| {
            TransferError::new(
                TransferErrorKind::Other,
                crate::ui::words::descriptor_error(&e),
            )
        })?;
        let ids = (d.vendor_id, d.product_id);
        if !self.granted.borrow().contains(&ids) {
            let Some(repair) = &self.repair else {
                return Err(TransferError::new(
                    TransferErrorKind::Disconnected,
                    "the device came back with new ids and must be selected again",
                ));
            };
            repair.ask(before, Chooser::Demo).await?;
            self.grant(ids.0, ids.1);
        } else {
            super::support::record(|l, t| l.repair(t, Repair::Found));
        }
        Ok(())
    }
}
