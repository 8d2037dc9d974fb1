//! The demo device: the simulator compiled into the page, running the real flows in real
//! time (device waits scaled down), including the re-pair step after re-enumeration.

use super::page::PageRepair;
use crate::core::descriptor;
use crate::core::protocol::{Control, Setup};
use crate::driver::sim::SimTransport;
use crate::driver::{DeviceInfo, Reconnect, TransferError, TransferErrorKind, Transport};
use crate::sim::{MemoryContents, Profile, SimDevice};
use crate::ui::{Chooser, Repair};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

/// Real milliseconds per virtual millisecond of device time.
pub const TIME_SCALE: f64 = 0.25;

/// The simulator behind the transport interface, on the page's clock.
pub struct DemoTransport {
    sim: SimTransport,
    /// Ids the "browser" has permission for (the demo models WebUSB's per-id grants).
    granted: Rc<RefCell<BTreeSet<(u16, u16)>>>,
    repair: Option<Rc<PageRepair>>,
    /// When the page last had a turn ([`DemoTransport::pace`]).
    breathed: f64,
}

thread_local! {
    /// What each demo chip's flash holds, by profile: connecting the demo again is the
    /// same chip put back in update mode, with what was written to it.
    static CHIPS: RefCell<Vec<(String, MemoryContents)>> = const { RefCell::new(Vec::new()) };
}

impl Drop for DemoTransport {
    fn drop(&mut self) {
        let name = self.sim.device.profile().name.clone();
        let m = self.sim.device.memory_contents();
        CHIPS.with(|c| {
            let mut c = c.borrow_mut();
            c.retain(|(n, _)| *n != name);
            c.push((name, m));
        });
    }
}

impl DemoTransport {
    pub fn new(profile: &str) -> Option<DemoTransport> {
        let p = Profile::by_name(profile)?;
        let mut device = SimDevice::new(p);
        device.limit_transcript(1024);
        CHIPS.with(|c| {
            if let Some((_, m)) = c.borrow().iter().find(|(n, _)| n == profile) {
                device.restore_memory(m);
            }
        });
        let sim = SimTransport::new(device);
        Some(DemoTransport {
            sim,
            granted: Rc::new(RefCell::new(BTreeSet::new())),
            repair: None,
            breathed: 0.0,
        })
    }

    pub fn grant(&self, vendor: u16, product: u16) {
        self.granted.borrow_mut().insert((vendor, product));
    }

    /// How the user is asked for the device after it re-enumerated with new ids.
    pub(crate) fn set_repair(&mut self, repair: Option<Rc<PageRepair>>) {
        self.repair = repair;
    }

    pub fn sim(&self) -> &SimDevice {
        &self.sim.device
    }

    pub fn sim_mut(&mut self) -> &mut SimDevice {
        &mut self.sim.device
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
    async fn control_in(&mut self, s: Setup, t: u32) -> Result<Vec<u8>, TransferError> {
        self.pace().await;
        self.sim.control_in(s, t).await
    }

    async fn control_out(&mut self, s: Setup, data: &[u8], t: u32) -> Result<(), TransferError> {
        self.pace().await;
        self.sim.control_out(s, data, t).await
    }

    async fn reset(&mut self) -> Result<(), TransferError> {
        self.sim.reset().await
    }

    async fn sleep(&mut self, ms: u32) {
        self.sim.sleep(ms).await;
        let real = (f64::from(ms) * TIME_SCALE) as u32;
        if real > 0 {
            super::clock::sleep(real).await;
        }
    }

    fn now_ms(&self) -> f64 {
        self.sim.now_ms()
    }

    async fn select_alt(&mut self, interface: u8, alt: u8) -> Result<(), TransferError> {
        self.sim.select_alt(interface, alt).await
    }
}

impl Reconnect for DemoTransport {
    async fn reconnect(&mut self, before: &DeviceInfo) -> Result<(), TransferError> {
        // The device drops off the bus and comes back (virtual time, scaled).
        super::support::record(|l, t| l.repair(t, Repair::Looking));
        self.sim.reconnect(before).await?;
        super::clock::sleep(600).await;
        let c = Control::get_descriptor(descriptor::DEVICE, 0, 0, 18);
        let raw = self.sim.control_in(c.setup, 1000).await?;
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
            self.granted.borrow_mut().insert(ids);
        } else {
            super::support::record(|l, t| l.repair(t, Repair::Found));
        }
        Ok(())
    }
}
