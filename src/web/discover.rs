//! Finding devices: the chooser, devices the page may already use, connect/disconnect
//! events, and finding a device again after it re-enumerated.

use super::convert::map_error;
use crate::driver::{DeviceInfo, TransferError, TransferErrorKind};
use crate::ui::ProgressView;
use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Usb, UsbDevice, UsbDeviceFilter, UsbDeviceRequestOptions};

/// `navigator.usb`, if this browser has WebUSB in a secure context.
pub fn usb() -> Option<Usb> {
    let window = web_sys::window()?;
    let nav = window.navigator();
    let v = Reflect::get(&nav, &"usb".into()).ok()?;
    if v.is_undefined() || v.is_null() {
        return None;
    }
    Some(v.unchecked_into())
}

fn dfu_filter(vendor: Option<u16>) -> UsbDeviceFilter {
    let f = UsbDeviceFilter::new();
    f.set_class_code(0xFE);
    f.set_subclass_code(0x01);
    if let Some(v) = vendor {
        f.set_vendor_id(v);
    }
    f
}

/// The chooser for any device of `vendors` the page can update: DFU interfaces, and the
/// devices known to hide theirs while they run (quirk `no_dfu_runtime`).
pub fn request_updatable(vendors: &[u16]) -> Result<Promise, TransferError> {
    request(vendors, true)
}

/// The chooser for a device of `vendors` in update mode (the re-pair step).
pub fn request_in_update_mode(vendors: &[u16]) -> Result<Promise, TransferError> {
    request(vendors, false)
}

/// Open the browser's chooser for DFU-capable devices (needs a user gesture): from any
/// vendor when `vendors` is empty, else only from those. With `hidden`, devices known to
/// hide their DFU interface while they run their firmware are offered too (of those
/// vendors), so that the page can say how to start them in update mode.
fn request(vendors: &[u16], hidden: bool) -> Result<Promise, TransferError> {
    let usb = usb().ok_or_else(|| {
        TransferError::new(TransferErrorKind::Unsupported, "WebUSB is not available")
    })?;
    let mut filters: Vec<UsbDeviceFilter> = if vendors.is_empty() {
        vec![dfu_filter(None)]
    } else {
        vendors.iter().map(|v| dfu_filter(Some(*v))).collect()
    };
    if hidden {
        for (v, p) in crate::core::quirks::without_runtime_interface() {
            if vendors.is_empty() || vendors.contains(&v) {
                let f = UsbDeviceFilter::new();
                f.set_vendor_id(v);
                f.set_product_id(p);
                filters.push(f);
            }
        }
    }
    let opts = UsbDeviceRequestOptions::new(&filters);
    Ok(usb.request_device(&opts).unchecked_into())
}

/// Does this device (as WebUSB describes it, without opening it) have a DFU interface?
pub fn has_dfu_interface(d: &JsValue) -> Option<u8> {
    let configs = Reflect::get(d, &"configurations".into()).ok()?;
    let configs: Array = configs.dyn_into().ok()?;
    for c in configs.iter() {
        let intfs: Array = Reflect::get(&c, &"interfaces".into())
            .ok()?
            .dyn_into()
            .ok()?;
        for i in intfs.iter() {
            let alts: Array = Reflect::get(&i, &"alternates".into())
                .ok()?
                .dyn_into()
                .ok()?;
            for a in alts.iter() {
                let get = |k: &str| Reflect::get(&a, &k.into()).ok().and_then(|v| v.as_f64());
                if get("interfaceClass") == Some(254.0) && get("interfaceSubclass") == Some(1.0) {
                    return Some(get("interfaceProtocol").unwrap_or(0.0) as u8);
                }
            }
        }
    }
    None
}

/// Devices the page may use without a chooser (granted before, or by policy).
pub async fn known() -> Vec<JsValue> {
    let Some(usb) = usb() else {
        return Vec::new();
    };
    let p: Promise = usb.get_devices().unchecked_into();
    match p.await {
        Ok(list) => list
            .dyn_into::<Array>()
            .map(|a| {
                a.iter()
                    .filter(|d| has_dfu_interface(d).is_some() || hides_dfu_interface(d))
                    .collect()
            })
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

/// A device the quirk table knows to show no DFU interface while its application runs.
fn hides_dfu_interface(d: &JsValue) -> bool {
    let ids = (num_prop(d, "vendorId"), num_prop(d, "productId"));
    crate::core::quirks::without_runtime_interface().any(|(v, p)| ids == (Some(v), Some(p)))
}

/// Calls a function on every connect and disconnect while it lives; dropping it removes
/// both listeners.
pub struct Watch {
    _listeners: Vec<gloo_events::EventListener>,
}

/// Call `f` on every connect and disconnect, until the returned [`Watch`] is dropped.
pub fn watch(f: &Function) -> Watch {
    let mut listeners = Vec::new();
    if let Some(usb) = usb() {
        for event in ["connect", "disconnect"] {
            let f = f.clone();
            listeners.push(gloo_events::EventListener::new(&usb, event, move |e| {
                let _ = f.call1(&JsValue::NULL, e);
            }));
        }
    }
    Watch {
        _listeners: listeners,
    }
}

/// The gadget behind a device that went away: its vendor and serial number, if it has one
/// (without a serial number nothing tells it apart from another of the same model).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lost {
    pub vendor_id: u16,
    pub serial: String,
}

impl Lost {
    pub fn of(device: &JsValue) -> Option<Lost> {
        Some(Lost {
            vendor_id: num_prop(device, "vendorId")?,
            serial: string_prop(device, "serialNumber").filter(|s| !s.is_empty())?,
        })
    }

    /// Is `candidate` the same gadget, back (in either mode)?
    pub fn is(&self, candidate: &JsValue) -> bool {
        num_prop(candidate, "vendorId") == Some(self.vendor_id)
            && string_prop(candidate, "serialNumber").as_deref() == Some(self.serial.as_str())
    }
}

fn string_prop(d: &JsValue, k: &str) -> Option<String> {
    Reflect::get(d, &k.into()).ok().and_then(|v| v.as_string())
}

fn num_prop(d: &JsValue, k: &str) -> Option<u16> {
    Reflect::get(d, &k.into())
        .ok()
        .and_then(|v| v.as_f64())
        .map(|v| v as u16)
}

/// Is `d` the device `before` came back in DFU mode? Same vendor and serial number
/// where the device has one; otherwise same vendor and a DFU-mode interface.
pub fn is_same_device_in_dfu_mode(d: &JsValue, before: &DeviceInfo) -> bool {
    if has_dfu_interface(d) != Some(2) {
        return false;
    }
    if num_prop(d, "vendorId") != Some(before.vendor_id) {
        return false;
    }
    match (&before.serial, string_prop(d, "serialNumber")) {
        (Some(a), Some(b)) => *a == b,
        _ => true,
    }
}

/// Wait (bounded) for the re-enumerated device among those the page may use; while
/// waiting, report a countdown. Returns `None` when the user must pick it again.
pub async fn wait_for_known(
    before: &DeviceInfo,
    old: &UsbDevice,
    seconds: u32,
    on_progress: &dyn Fn(&ProgressView),
) -> Option<UsbDevice> {
    let name = crate::ui::device_name(before);
    for tick in 0..seconds * 4 {
        if tick % 4 == 0 {
            on_progress(&ProgressView::reconnecting(&name, seconds - tick / 4));
        }
        for d in known().await {
            // In update mode as asked; or back as it was, having re-enumerated without
            // switching (a stalled DETACH, a reset it ignored): the caller then reads it
            // and says so, instead of waiting for a device that will not come.
            if is_same_device_in_dfu_mode(&d, before) || is_same_device_again(&d, old, before) {
                return Some(d.unchecked_into());
            }
        }
        super::clock::sleep(250).await;
    }
    None
}

/// Is `d` a new object for the device that was `before` (`old`), still in run-time mode?
fn is_same_device_again(d: &JsValue, old: &UsbDevice, before: &DeviceInfo) -> bool {
    let old: &JsValue = old.as_ref();
    d != old
        && has_dfu_interface(d) == Some(1)
        && num_prop(d, "vendorId") == Some(before.vendor_id)
        && num_prop(d, "productId") == Some(before.product_id)
        && string_prop(d, "serialNumber").filter(|s| !s.is_empty())
            == before.serial.clone().filter(|s| !s.is_empty())
}

/// Map a rejected chooser promise.
pub fn chooser_error(e: &JsValue) -> TransferError {
    map_error(e, "choose")
}
