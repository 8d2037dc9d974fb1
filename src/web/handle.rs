//! An open device for the page (`DeviceHandle`): its backend (WebUSB or the demo), one
//! operation at a time, and the update, backup and cancel the page calls.

use super::awake::Awake;
use super::convert::{platform, problem_error, to_js, whole_number};
use super::demo::DemoTransport;
use super::firmware::Firmware;
use super::page::{page_progress, PageRepair};
use super::support;
use super::usb::WebUsbTransport;
use crate::core::fit::Placement;
use crate::core::protocol::Setup;
use crate::core::Finish;
use crate::driver::{
    self, describe, DeviceInfo, FlashOptions, Reconnect, TransferError, Transport,
};
use crate::ui::{self, DeviceView};
use js_sys::{Function, Promise, Uint8Array};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

pub(super) enum Backend {
    Usb(WebUsbTransport),
    Demo(Box<DemoTransport>),
}

impl Backend {
    /// After a restart into its firmware: how long until the same handle can read the
    /// device again (the demo comes back on its own handle), or `None` when the browser
    /// gives it a new `USBDevice` that must be connected again.
    fn back_after_restart(&self) -> Option<u32> {
        match self {
            Backend::Usb(_) => None,
            Backend::Demo(_) => Some(1_000),
        }
    }
}

/// Dispatch the transport calls to the backend.
struct Active<'a> {
    backend: &'a mut Backend,
    cancel: Rc<Cell<bool>>,
}

impl Transport for Active<'_> {
    async fn control_in(&mut self, s: Setup, t: u32) -> Result<Vec<u8>, TransferError> {
        match self.backend {
            Backend::Usb(u) => u.control_in(s, t).await,
            Backend::Demo(d) => d.control_in(s, t).await,
        }
    }
    async fn control_out(&mut self, s: Setup, data: &[u8], t: u32) -> Result<(), TransferError> {
        match self.backend {
            Backend::Usb(u) => u.control_out(s, data, t).await,
            Backend::Demo(d) => d.control_out(s, data, t).await,
        }
    }
    async fn reset(&mut self) -> Result<(), TransferError> {
        match self.backend {
            Backend::Usb(u) => u.reset().await,
            Backend::Demo(d) => d.reset().await,
        }
    }
    async fn sleep(&mut self, ms: u32) {
        match self.backend {
            Backend::Usb(u) => u.sleep(ms).await,
            Backend::Demo(d) => d.sleep(ms).await,
        }
    }
    async fn sleep_until(&mut self, at_ms: f64) {
        match self.backend {
            Backend::Usb(u) => u.sleep_until(at_ms).await,
            Backend::Demo(d) => d.sleep_until(at_ms).await,
        }
    }
    fn now_ms(&self) -> f64 {
        match &*self.backend {
            Backend::Usb(u) => u.now_ms(),
            Backend::Demo(d) => d.now_ms(),
        }
    }
    async fn select_alt(&mut self, i: u8, a: u8) -> Result<(), TransferError> {
        match self.backend {
            Backend::Usb(u) => u.select_alt(i, a).await,
            Backend::Demo(d) => d.select_alt(i, a).await,
        }
    }
    fn cancelled(&self) -> bool {
        self.cancel.get()
    }
}

impl Reconnect for Active<'_> {
    async fn reconnect(&mut self, before: &DeviceInfo) -> Result<(), TransferError> {
        match self.backend {
            Backend::Usb(u) => u.reconnect(before).await,
            Backend::Demo(d) => d.reconnect(before).await,
        }
    }
}

struct Inner {
    /// `None` while an operation runs (it owns the backend then) or after `close`.
    backend: Option<Backend>,
    info: DeviceInfo,
    busy: bool,
    closed: bool,
    /// The device restarted into its firmware and must be connected again.
    restarted: bool,
}

/// Take the backend for one operation; `Err` says why not.
fn checkout(inner: &Rc<RefCell<Inner>>) -> Result<(Backend, DeviceInfo), JsValue> {
    let mut i = inner.borrow_mut();
    let refused = |p: ui::Problem| {
        support::record(|l, t| l.problem(t, "Device not available", &p, ""));
        problem_error(&p)
    };
    if i.busy {
        return Err(refused(ui::busy_problem()));
    }
    let info = i.info.clone();
    match i.backend.take() {
        Some(b) => {
            i.busy = true;
            Ok((b, info))
        }
        None => Err(refused(ui::closed_problem())),
    }
}

/// Give the backend back after an operation (dropping it if the page closed it).
fn checkin(
    inner: &Rc<RefCell<Inner>>,
    backend: Backend,
    info: Option<DeviceInfo>,
    restarted: bool,
) {
    let mut i = inner.borrow_mut();
    i.busy = false;
    i.restarted = restarted;
    if let Some(info) = info {
        i.info = info;
    }
    if !i.closed {
        i.backend = Some(backend);
    }
}

/// An open device (USB or demo). Only one operation runs at a time.
#[wasm_bindgen]
pub struct DeviceHandle {
    inner: Rc<RefCell<Inner>>,
    cancel: Rc<Cell<bool>>,
}

/// The update that did not finish last, if any: the file's name and length, the
/// device's vendor id and serial number. A retry of it says it resumes.
type Attempt = (String, u64, u16, Option<String>);
thread_local! {
    static UNFINISHED: std::cell::RefCell<Option<Attempt>> = const { std::cell::RefCell::new(None) };
}

#[derive(Default)]
struct UpdateOptions {
    verify: bool,
    force: bool,
    alt: Option<u8>,
    address: Option<u32>,
    restart: Option<bool>,
    /// Read back first and write only what differs (default); `false`: write everything.
    compare: bool,
}

impl UpdateOptions {
    /// Where a plain image goes: the same for the verdict and the update.
    fn placement(&self) -> Placement {
        Placement {
            alt: self.alt.unwrap_or(0),
            address: self.address,
        }
    }

    /// Read the page's options field by field: a missing or mistyped field takes its
    /// default and the others still count. (By hand rather than with serde: the
    /// deserializer and the float formatting of its errors cost the wasm about 20 KB.)
    fn from_js(o: &JsValue) -> UpdateOptions {
        let get = |k: &str| {
            js_sys::Reflect::get(o, &k.into())
                .ok()
                .filter(|v| !v.is_undefined() && !v.is_null())
        };
        let whole = |k: &str| get(k).as_ref().and_then(whole_number);
        UpdateOptions {
            verify: get("verify").and_then(|v| v.as_bool()).unwrap_or(false),
            force: get("force").and_then(|v| v.as_bool()).unwrap_or(false),
            alt: whole("alt").and_then(|a| u8::try_from(a).ok()),
            address: whole("address"),
            restart: get("restart").and_then(|v| v.as_bool()),
            compare: get("compare").and_then(|v| v.as_bool()).unwrap_or(true),
        }
    }
}

/// Let the backend ask the page for the device again after it re-enumerates: the same
/// re-pair step for both.
fn install_repair(
    backend: &mut Backend,
    on_repair: &Function,
    on_progress: &Function,
    cancel: &Rc<Cell<bool>>,
) {
    let repair = Rc::new(PageRepair {
        on_repair: on_repair.clone(),
        on_progress: on_progress.clone(),
        cancel: cancel.clone(),
    });
    match backend {
        Backend::Usb(u) => u.set_repair(Some(repair)),
        Backend::Demo(d) => d.set_repair(Some(repair)),
    }
}

#[wasm_bindgen]
impl DeviceHandle {
    pub(super) fn new(backend: Backend, info: DeviceInfo) -> DeviceHandle {
        let title = match backend {
            Backend::Usb(_) => "Device opened",
            Backend::Demo(_) => "Demo device opened",
        };
        support::record(|l, t| l.device(t, title, &info));
        DeviceHandle {
            inner: Rc::new(RefCell::new(Inner {
                backend: Some(backend),
                info,
                busy: false,
                closed: false,
                restarted: false,
            })),
            cancel: Rc::new(Cell::new(false)),
        }
    }

    /// The flag Cancel sets, for work the page does for this device before an update
    /// (the download of a release), cleared.
    #[cfg(feature = "catalog")]
    pub(super) fn fresh_cancel(&self) -> Rc<Cell<bool>> {
        self.cancel.set(false);
        self.cancel.clone()
    }

    /// The device as last described.
    #[cfg(feature = "catalog")]
    pub(super) fn info(&self) -> DeviceInfo {
        self.inner.borrow().info.clone()
    }

    /// The device restarted into its firmware and must be connected again (a real device
    /// re-enumerates as a new `USBDevice`); false while this handle still reads it.
    #[wasm_bindgen(js_name = needsReconnect)]
    pub fn needs_reconnect(&self) -> bool {
        self.inner.borrow().restarted
    }

    /// The device panel: `{title, modeText, facts, alts, canUpload, uploadNote}`.
    pub fn describe(&self) -> JsValue {
        let i = self.inner.borrow();
        let v = DeviceView::new(&i.info);
        to_js(&if i.restarted { v.restarted() } else { v })
    }

    /// Does `firmware` fit this device, written with `options` (`{alt, address}`, as for
    /// `update`; optional)? `{ok, stage, verdict, problems, risks, warnings, canForce,
    /// forceWarning, canVerify}`: the same assessment the update runs.
    pub fn check(&self, firmware: &Firmware, options: JsValue) -> JsValue {
        let i = self.inner.borrow();
        let place = UpdateOptions::from_js(&options).placement();
        let mut fit = ui::FitView::placed(&i.info, &firmware.file, place);
        if i.restarted {
            fit = fit.needs_reconnect();
        }
        to_js(&fit)
    }

    /// Demo devices only: the `length` bytes the simulated device holds at `address` of
    /// alt setting `alt` (DFU 1.1: offset into the image); `undefined` for a real device
    /// or an unreadable range. For tests and for showing what happened.
    #[wasm_bindgen(js_name = demoMemory)]
    pub fn demo_memory(&self, alt: u8, address: u32, length: usize) -> Option<Vec<u8>> {
        let i = self.inner.borrow();
        match &i.backend {
            Some(Backend::Demo(d)) => d.read_memory(alt, address, length),
            _ => None,
        }
    }

    /// Demo devices only: the cable slips when a write or erase next touches `address`
    /// (the device leaves the bus and is back half a second later, in update mode). For
    /// tests and for trying out what a retry does. False for a real device.
    #[wasm_bindgen(js_name = demoUnplugAt)]
    pub fn demo_unplug_at(&self, address: u32) -> bool {
        let mut i = self.inner.borrow_mut();
        match &mut i.backend {
            Some(Backend::Demo(d)) => {
                d.unplug_at(address);
                true
            }
            _ => false,
        }
    }

    /// Ask the running operation to stop; the device is left in dfuIDLE.
    pub fn cancel(&self) {
        self.cancel.set(true);
    }

    /// Release the device.
    /// The browser's `USBDevice` behind this handle; `undefined` for the demo, while an
    /// operation runs, or after `close`. The page compares it with the devices it may
    /// use to notice that the device went away.
    #[wasm_bindgen(js_name = usbDevice)]
    pub fn usb_device(&self) -> JsValue {
        match &self.inner.borrow().backend {
            Some(Backend::Usb(t)) => t.device().clone().into(),
            _ => JsValue::UNDEFINED,
        }
    }

    pub fn close(&self) {
        let mut i = self.inner.borrow_mut();
        i.closed = true;
        i.backend = None;
        self.cancel.set(true);
    }

    /// Update the firmware. `options`: `{verify, force, alt, address, restart}`;
    /// `onProgress(p)` gets `{phase, reconnecting, percent, done, total, rate, etaMs, text}`;
    /// `onRepair(req)` must resolve with the re-selected `USBDevice` (or anything, for
    /// the demo) after showing `req.buttonLabel`. Resolves to `{title, details}`.
    pub fn update(
        &self,
        firmware: &Firmware,
        options: JsValue,
        on_progress: Function,
        on_repair: Function,
    ) -> Promise {
        let opts = UpdateOptions::from_js(&options);
        let inner = self.inner.clone();
        let cancel = self.cancel.clone();
        let file = firmware.file.clone();
        let blob = firmware.blob.clone();
        let file_name = firmware.name().to_string();
        future_to_promise(async move {
            let _awake = Awake::new();
            let fit = {
                let i = inner.borrow();
                let f = ui::FitView::placed(&i.info, &file, opts.placement());
                if i.restarted {
                    f.needs_reconnect()
                } else {
                    f
                }
            };
            if !(fit.ok || opts.force && fit.can_force) {
                let p = fit.as_problem();
                support::record(|l, t| l.problem(t, "Update refused", &p, ""));
                return Err(problem_error(&p));
            }
            let (mut backend, info) = checkout(&inner)?;
            cancel.set(false);
            install_repair(&mut backend, &on_repair, &on_progress, &cancel);
            let mut t = Active {
                backend: &mut backend,
                cancel: cancel.clone(),
            };
            let fopts = FlashOptions {
                alt: opts.alt.unwrap_or(0),
                address: opts.address,
                verify: opts.verify && fit.can_verify,
                mass_erase: false,
                restart: opts.restart.unwrap_or(true),
                suffix: file.suffix_ids(),
                force: opts.force && fit.can_force,
                full: !opts.compare,
            };
            let image = driver::FlashImage::from(&file);
            // This file on this device did not finish last time: the compare resumes it.
            let attempt = (
                file_name.clone(),
                file.payload_len(),
                info.vendor_id,
                info.serial.clone(),
            );
            let resuming = UNFINISHED.with(|u| u.borrow().as_ref() == Some(&attempt));
            support::record(|l, t| l.update_started(t, &fopts, &file_name));
            let mut report = page_progress(&on_progress, resuming);
            let mut source = blob.map(super::firmware::BlobSource::new);
            let from = source.as_mut().map(|s| s as &mut dyn driver::Source);
            let r = driver::flash_from(&mut t, &image, from, fopts, &mut report).await;
            UNFINISHED.with(|u| {
                *u.borrow_mut() = match &r {
                    Err(e) if e.left != driver::Left::AsItWas => Some(attempt),
                    _ => None,
                }
            });
            // What the page will say, logged as the operation ends.
            let said = match &r {
                Ok(rep) => {
                    let done = ui::DoneView::update(rep);
                    support::record(|l, t| l.update_done(t, rep, &done));
                    Ok(done)
                }
                Err(e) => {
                    let p = ui::failure_problem(
                        e,
                        &ui::clean(&ui::device_name(&info)),
                        platform(),
                        Some((info.vendor_id, info.product_id)),
                    );
                    support::record(|l, t| l.failed(t, e, &p));
                    Err(p)
                }
            };
            // Describe the device as it is now (it may have changed mode), if it is there.
            let restarting = matches!(
                &r,
                Ok(rep) if matches!(rep.finish, Finish::Restarting | Finish::ReplugNeeded)
            );
            let now = if restarting {
                // Back in its firmware on the same handle, where the backend can be (the
                // demo); a real device re-enumerates and is connected again.
                match t.backend.back_after_restart() {
                    Some(ms) => {
                        t.sleep(ms).await;
                        describe(&mut t)
                            .await
                            .ok()
                            .filter(|d| d.mode == crate::core::descriptor::Mode::Runtime)
                    }
                    None => None,
                }
            } else {
                describe(&mut t).await.ok()
            };
            let stale = restarting && now.is_none();
            // What a failure taught about the device's size stays with it (the same device:
            // it was described just now, after the failure, or is described again later).
            let learned = r
                .as_ref()
                .err()
                .and_then(|f| f.learned_capacity())
                .or(info.learned_capacity);
            let now = now.map(|mut d| {
                d.learned_capacity = learned;
                d
            });
            if let Some(d) = &now {
                support::record(|l, t| l.device(t, "Device after update", d));
            }
            checkin(&inner, backend, now, stale);
            match said {
                Ok(done) => Ok(to_js(&done)),
                Err(p) => Err(problem_error(&p)),
            }
        })
    }

    /// Read the firmware back (switching a run-time device to update mode first, with
    /// `onRepair` as for `update`). Resolves to `{bytes, fileName, title, details}`.
    pub fn backup(&self, on_progress: Function, on_repair: Function) -> Promise {
        let inner = self.inner.clone();
        let cancel = self.cancel.clone();
        future_to_promise(async move {
            let _awake = Awake::new();
            let (mut backend, info) = checkout(&inner)?;
            cancel.set(false);
            install_repair(&mut backend, &on_repair, &on_progress, &cancel);
            let mut t = Active {
                backend: &mut backend,
                cancel,
            };
            support::record(|l, t| l.backup_started(t));
            let mut report = page_progress(&on_progress, false);
            let r = driver::backup(&mut t, &mut report).await;
            let said = match r {
                Ok(b) => {
                    let done = ui::DoneView::backup(&info, &b);
                    support::record(|l, t| l.backup_done(t, &b, &done));
                    Ok((b, done))
                }
                Err(e) => {
                    let ids = Some((info.vendor_id, info.product_id));
                    let name = ui::clean(&ui::device_name(&info));
                    let p = ui::failure_problem(&e, &name, platform(), ids).for_backup();
                    support::record(|l, t| l.failed(t, &e, &p));
                    Err(p)
                }
            };
            let now = describe(&mut t).await.ok();
            if let Some(d) = &now {
                support::record(|l, t| l.device(t, "Device after backup", d));
            }
            checkin(&inner, backend, now, false);
            match said {
                Ok((b, done)) => {
                    let o = to_js(&done);
                    let _ = js_sys::Reflect::set(
                        &o,
                        &"bytes".into(),
                        &Uint8Array::from(b.data.as_slice()),
                    );
                    let _ = js_sys::Reflect::set(
                        &o,
                        &"fileName".into(),
                        &JsValue::from_str(&b.file_name),
                    );
                    Ok(o)
                }
                Err(p) => Err(problem_error(&p)),
            }
        })
    }
}
