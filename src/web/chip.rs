//! The demo chip: the simulator as a wasm module of its own (`www/pkg/dfu_demo.js`, built
//! with `--features demo-chip`), downloaded only when the user chooses the demo. The
//! page's module drives it through plain calls (`web::demo` is its transport); a real
//! device's customer never downloads it.
//!
//! Errors are thrown as a name (`driver::sim::error_name`, or `gone` when the chip did not
//! come back), which the page's module turns back into the transport's error.

use crate::driver::sim::{error_name, wait_for_return};
use crate::sim::{Effect, Fault, MemoryContents, Profile, Setup, SimDevice, SimError, Trigger};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    /// What each demo chip's flash holds, by profile: opening the demo again is the same
    /// chip put back in update mode, with what was written to it.
    static CHIPS: RefCell<Vec<(String, MemoryContents)>> = const { RefCell::new(Vec::new()) };
}

/// One simulated device on virtual time.
#[wasm_bindgen]
pub struct DemoChip {
    device: SimDevice,
    /// The enumeration the host last opened.
    seen: u32,
}

fn thrown(e: SimError) -> JsValue {
    JsValue::from_str(error_name(e))
}

/// The SETUP packet the page's module sent (its eight bytes).
fn setup(packet: &[u8]) -> Result<Setup, JsValue> {
    Setup::from_bytes(packet).ok_or_else(|| JsValue::from_str("a SETUP packet has 8 bytes"))
}

#[wasm_bindgen]
impl DemoChip {
    /// The chip of demo profile `name` (with what an earlier session wrote to it), or
    /// `undefined` for a name no profile has.
    pub fn open(name: &str) -> Option<DemoChip> {
        let mut device = SimDevice::new(Profile::by_name(name)?);
        device.limit_transcript(1024);
        CHIPS.with(|c| {
            if let Some((_, m)) = c.borrow().iter().find(|(n, _)| n == name) {
                device.restore_memory(m);
            }
        });
        let seen = device.enumeration();
        Some(DemoChip { device, seen })
    }

    /// A device-to-host control transfer; `setup_packet`: the SETUP packet's eight bytes.
    #[wasm_bindgen(js_name = controlIn)]
    pub fn control_in(&mut self, setup_packet: &[u8]) -> Result<Vec<u8>, JsValue> {
        self.device.control_in(setup(setup_packet)?).map_err(thrown)
    }

    /// A host-to-device control transfer of `data`.
    #[wasm_bindgen(js_name = controlOut)]
    pub fn control_out(&mut self, setup_packet: &[u8], data: &[u8]) -> Result<(), JsValue> {
        self.device
            .control_out(setup(setup_packet)?, data)
            .map_err(thrown)
    }

    /// A USB bus reset.
    pub fn reset(&mut self) -> Result<(), JsValue> {
        self.device.reset().map_err(thrown)
    }

    /// Let `ms` of the chip's time pass.
    pub fn sleep(&mut self, ms: u32) {
        self.device.sleep(ms);
    }

    /// The chip's clock, in milliseconds.
    #[wasm_bindgen(js_name = nowMs)]
    pub fn now_ms(&self) -> f64 {
        self.device.now_us() as f64 / 1000.0
    }

    /// Wait (chip time) for the chip to come back on the bus as a new enumeration; throws
    /// `gone` when it does not.
    pub fn reconnect(&mut self) -> Result<(), JsValue> {
        self.seen =
            wait_for_return(&mut self.device, self.seen).map_err(|_| JsValue::from_str("gone"))?;
        Ok(())
    }

    /// The `length` bytes the chip holds at `address` of alt setting `alt` (DFU 1.1: the
    /// offset into the image); `undefined` for an unreadable range.
    #[wasm_bindgen(js_name = readMemory)]
    pub fn read_memory(&self, alt: u8, address: u32, length: usize) -> Option<Vec<u8>> {
        self.device.read_memory(alt, address, length)
    }

    /// The cable slips when a write or erase next touches `address` (the chip leaves the
    /// bus and is back half a second later, in update mode).
    #[wasm_bindgen(js_name = unplugAt)]
    pub fn unplug_at(&mut self, address: u32) {
        self.device.add_fault(Fault {
            trigger: Trigger::Address(address),
            effect: Effect::Disconnect {
                reattach_ms: Some(500),
            },
        });
    }

    /// Keep what the chip's flash holds for the next [`DemoChip::open`] of its profile.
    pub fn close(&self) {
        let name = self.device.profile().name.clone();
        let m = self.device.memory_contents();
        CHIPS.with(|c| {
            let mut c = c.borrow_mut();
            c.retain(|(n, _)| *n != name);
            c.push((name, m));
        });
    }
}

/// Bytes of linear memory this module has (its peak so far), for the benchmarks.
#[wasm_bindgen(js_name = memoryBytes)]
pub fn memory_bytes() -> f64 {
    (core::arch::wasm32::memory_size(0) * 65536) as f64
}
