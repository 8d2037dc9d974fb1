//! The JavaScript API (`#[wasm_bindgen]`): opaque handles, structured data through
//! serde-wasm-bindgen. A vendor can use it from their own page; see the README.

#[cfg(feature = "catalog")]
pub use super::catalog::VendorCatalog;
use super::convert::{platform, to_js, whole_number};
use super::demo::{DemoChip, DemoTransport};
use super::discover;
pub use super::firmware::Firmware;
use super::handle::Backend;
pub use super::handle::DeviceHandle;
use super::support::open_failed;
use super::usb::WebUsbTransport;
use crate::driver::{describe, FlashError};
use crate::ui::{self, Platform};
use js_sys::{Function, Promise};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::UsbDevice;

#[derive(Serialize)]
struct Environment {
    supported: bool,
    advice: String,
    platform: Platform,
}

/// Can this browser update devices? `{supported, advice, platform}`.
#[wasm_bindgen]
pub fn environment() -> JsValue {
    let secure = web_sys::window()
        .map(|w| w.is_secure_context())
        .unwrap_or(false);
    let supported = discover::usb().is_some();
    let advice = if supported {
        String::new()
    } else if !secure {
        crate::t!("page.unsupported.insecure")
    } else {
        crate::t!("page.unsupported.browser")
    };
    to_js(&Environment {
        supported,
        advice,
        platform: platform(),
    })
}

/// The text of message `key` in the language in use (see `lang/en.json`), with
/// `{name}` placeholders filled from `args` (an object of strings), if given.
#[wasm_bindgen(js_name = text)]
pub fn text(key: &str, args: JsValue) -> String {
    let pairs: Vec<(String, String)> = js_sys::Object::try_from(&args)
        .map(|o| {
            js_sys::Object::entries(o)
                .iter()
                .filter_map(|e| {
                    let e: js_sys::Array = e.unchecked_into();
                    Some((e.get(0).as_string()?, e.get(1).as_string()?))
                })
                .collect()
        })
        .unwrap_or_default();
    let args: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    ui::text::fill(key, &args)
}

/// Use the language `tag` whose table (the JSON of `lang/<tag>.json`) is `table`. A table
/// that differs from English (a missing key, other placeholders) is refused with the
/// list of differences, and the language stays as it was. An empty `table` is English
/// (compiled in).
#[wasm_bindgen(js_name = setLanguage)]
pub fn set_language(tag: &str, table: &str) -> Result<(), JsValue> {
    if table.is_empty() {
        ui::text::use_english();
        return Ok(());
    }
    ui::text::set_language(tag, table).map_err(|e| {
        let msg = match e {
            ui::text::LanguageError::NotATable(m) => m,
            ui::text::LanguageError::Differs(d) => d
                .iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        };
        JsValue::from(js_sys::Error::new(&format!("lang/{tag}.json: {msg}")))
    })
}

/// The tag of the language in use.
#[wasm_bindgen(js_name = language)]
pub fn language() -> String {
    ui::text::language()
}

/// The page's `?firmware=` link: `href` is the parameter resolved against the page's
/// address, `origin` the page's origin. `{ok, url, name, title, details, maxBytes}`: only
/// files on the page's own site are downloaded.
#[wasm_bindgen(js_name = firmwareLink)]
pub fn firmware_link(href: String, origin: String) -> JsValue {
    to_js(&ui::firmware_link(&href, &origin))
}

/// Why the linked file `name` could not be downloaded (`status`: HTTP status, 0 for no
/// answer with the browser's `message`, 413 for too large): `{title, details}`.
#[wasm_bindgen(js_name = firmwareDownloadProblem)]
pub fn firmware_download_problem(name: String, status: u16, message: String) -> JsValue {
    to_js(&ui::download_problem(&name, status, &message))
}

/// The demo profiles: `[{name, label}]`.
#[wasm_bindgen(js_name = demoProfiles)]
pub fn demo_profiles() -> JsValue {
    #[derive(Serialize)]
    struct P {
        name: &'static str,
        label: String,
    }
    to_js(&vec![
        P {
            name: "dfu11-runtime",
            label: ui::text::text("page.demo.widget"),
        },
        P {
            name: "stm32f4",
            label: ui::text::text("page.demo.stm32f4"),
        },
        P {
            name: "uboot-emmc",
            label: ui::text::text("page.demo.uboot"),
        },
    ])
}

/// Watching for devices plugged in or removed; `free()` it to stop.
#[wasm_bindgen]
pub struct DeviceWatch {
    _watch: discover::Watch,
}

/// Call `callback` whenever a USB device is plugged in or removed, until the returned
/// `DeviceWatch` is freed.
#[wasm_bindgen(js_name = watchDevices)]
pub fn watch_devices(callback: Function) -> DeviceWatch {
    DeviceWatch {
        _watch: discover::watch(&callback),
    }
}

/// Devices the page may use without a chooser: `[{label, serial, vendorId, device}]`.
#[wasm_bindgen(js_name = knownDevices)]
pub async fn known_devices() -> JsValue {
    let out = js_sys::Array::new();
    for d in discover::known().await {
        let get = |k: &str| js_sys::Reflect::get(&d, &k.into()).ok();
        let name = get("productName")
            .and_then(|v| v.as_string())
            .map(|s| ui::clean(&s));
        let vid = get("vendorId").and_then(|v| v.as_f64()).unwrap_or(0.0) as u16;
        let pid = get("productId").and_then(|v| v.as_f64()).unwrap_or(0.0) as u16;
        let label = match name {
            Some(n) if !n.is_empty() => format!("{n} ({vid:04x}:{pid:04x})"),
            _ => crate::t!(
                "device.name_by_ids",
                vid = format!("{vid:04x}"),
                pid = format!("{pid:04x}")
            ),
        };
        let o = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&o, &"label".into(), &label.into());
        let serial = get("serialNumber").filter(|v| v.is_string());
        let _ = js_sys::Reflect::set(&o, &"serial".into(), &serial.unwrap_or(JsValue::NULL));
        let _ = js_sys::Reflect::set(&o, &"vendorId".into(), &vid.into());
        let _ = js_sys::Reflect::set(&o, &"device".into(), &d);
        out.push(&o);
    }
    out.into()
}

/// Open the browser's chooser for a DFU device in update mode from `vendor`
/// (call it from a click handler). Resolves to a `USBDevice`.
#[wasm_bindgen(js_name = requestDfuDevice)]
pub fn request_dfu_device(vendor: u16) -> Result<Promise, JsValue> {
    discover::request_in_update_mode(&[vendor])
        .map_err(|e| JsValue::from(js_sys::Error::new(&e.message)))
}

/// Open the chooser for DFU-capable devices and open the one chosen. `options.vendors`
/// (USB vendor ids) limits the chooser to those makers' devices; without it, any.
#[wasm_bindgen(js_name = requestDevice)]
pub async fn request_device(options: JsValue) -> Result<DeviceHandle, JsValue> {
    let vendors: Vec<u16> = js_sys::Reflect::get(&options, &"vendors".into())
        .ok()
        .filter(js_sys::Array::is_array)
        .map(|v| {
            js_sys::Array::from(&v)
                .iter()
                .filter_map(|x| whole_number(&x))
                .filter_map(|n| u16::try_from(n).ok())
                .collect()
        })
        .unwrap_or_default();
    let p = discover::request_updatable(&vendors)
        .map_err(|e| JsValue::from(js_sys::Error::new(&e.message)))?;
    let d = p.await?;
    open_device(d).await
}

/// The vendor ids of the page's `?vendor=` parameter (`0483` or `0x0483`, several
/// separated by commas); `[]` when absent or when none is a vendor id.
#[wasm_bindgen(js_name = linkVendors)]
pub fn link_vendors(param: Option<String>) -> Vec<u16> {
    param.map(|p| ui::vendors(&p)).unwrap_or_default()
}

/// The gadget behind a `USBDevice` that went away, to find it again when it is back:
/// an opaque record, or `undefined` when it has no serial number (nothing tells it apart
/// from another of the same model, so the page does not reconnect by itself).
#[wasm_bindgen(js_name = lostDevice)]
pub fn lost_device(device: JsValue) -> Option<LostDevice> {
    discover::Lost::of(&device).map(|lost| LostDevice { lost })
}

/// A device that went away (`lostDevice`).
#[wasm_bindgen]
pub struct LostDevice {
    lost: discover::Lost,
}

#[wasm_bindgen]
impl LostDevice {
    /// Which of `candidates` (`USBDevice`s, e.g. from `knownDevices()`) is the same gadget
    /// back: same vendor and serial number. `exclude`: one already tried. `undefined` if
    /// none.
    #[wasm_bindgen(js_name = findIn)]
    pub fn find_in(&self, candidates: js_sys::Array, exclude: JsValue) -> JsValue {
        candidates
            .iter()
            .find(|d| *d != exclude && self.lost.is(d))
            .unwrap_or(JsValue::UNDEFINED)
    }
}

/// Open a `USBDevice` (from the chooser, `getDevices()`, or your own code).
#[wasm_bindgen(js_name = openDevice)]
pub async fn open_device(device: JsValue) -> Result<DeviceHandle, JsValue> {
    // Not `dyn_into`: that is an instanceof check, and callers may pass wrappers.
    let device: UsbDevice = device.unchecked_into();
    let mut t = WebUsbTransport::open(device)
        .await
        .map_err(|e| open_failed(&FlashError::Transfer(e), None))?;
    let info = describe(&mut t)
        .await
        .map_err(|e| open_failed(&FlashError::Describe(e), None))?;
    t.hold(info.interface).await.map_err(|e| {
        open_failed(
            &FlashError::Transfer(e),
            Some((info.vendor_id, info.product_id)),
        )
    })?;
    Ok(DeviceHandle::new(Backend::Usb(t), info))
}

/// Open a demo device: `chip` is a `DemoChip` of the demo module (`www/pkg/dfu_demo.js`,
/// `DemoChip.open(profile)`), which the page loads when the demo is chosen.
#[wasm_bindgen(js_name = openDemo)]
pub async fn open_demo(chip: DemoChip) -> Result<DeviceHandle, JsValue> {
    let mut t = DemoTransport::new(chip);
    let info = describe(&mut t)
        .await
        .map_err(|e| open_failed(&FlashError::Describe(e), None))?;
    t.grant(info.vendor_id, info.product_id);
    Ok(DeviceHandle::new(Backend::Demo(Box::new(t)), info))
}

/// Bytes of linear memory the wasm module has (it never shrinks: the peak so far), for
/// the benchmarks and the tests that check an image is not held in memory.
#[wasm_bindgen(js_name = memoryBytes)]
pub fn memory_bytes() -> f64 {
    (core::arch::wasm32::memory_size(0) * 65536) as f64
}
