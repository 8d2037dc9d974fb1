//! The WebUSB bridge in headless Chromium (wasm-bindgen-test): a fake `USBDevice`, and a
//! fake `navigator.usb` defined with `Object.defineProperty`, forward control transfers
//! to the simulator, with stalls and a disconnect mid-transfer.
//! Run by `cargo xtask test` (`cargo test --target wasm32-unknown-unknown --test web_bridge`).
#![cfg(target_arch = "wasm32")]

use dfu_flasher::driver::{
    self, describe, FlashError, FlashImage, FlashOptions, TransferErrorKind,
};
use dfu_flasher::sim::{Effect, Fault, Profile, Request, Setup, SimDevice, SimError, Trigger};
use dfu_flasher::web::discover;
use dfu_flasher::web::usb::{map_error, WebUsbTransport};
use js_sys::{Reflect, Uint8Array};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(inline_js = r#"
export function makeFakeDevice(handler, ids) {
  const call = (t) => {
    const r = handler(t);
    if (r.name) throw new DOMException(r.message, r.name);
    return r;
  };
  const dev = {
    vendorId: ids.vendorId, productId: ids.productId, serialNumber: ids.serial,
    productName: 'fake', opened: false, configuration: null,
    configurations: [{ interfaces: [{ alternates: [{ interfaceClass: 254, interfaceSubclass: 1, interfaceProtocol: 2 }] }] }],
    async open() { this.opened = true; },
    async close() { this.opened = false; },
    async selectConfiguration(n) { this.configuration = { configurationValue: n }; },
    async claimInterface(n) { call({ kind: 'claim', index: n }); },
    async releaseInterface(n) {},
    async selectAlternateInterface(i, a) {
      const r = call({ kind: 'out', requestType: 'standard', recipient: 'interface', request: 11, value: a, index: i, data: new Uint8Array(0) });
      if (r.status !== 'ok') throw new DOMException('stalled', 'NetworkError');
    },
    async controlTransferIn(s, length) {
      const r = call({ kind: 'in', requestType: s.requestType, recipient: s.recipient, request: s.request, value: s.value, index: s.index, length });
      return r.status === 'ok' ? { status: 'ok', data: new DataView(r.data.buffer) } : { status: r.status };
    },
    async controlTransferOut(s, data) {
      const copy = new Uint8Array(data);
      const r = call({ kind: 'out', requestType: s.requestType, recipient: s.recipient, request: s.request, value: s.value, index: s.index, data: copy });
      return { status: r.status, bytesWritten: copy.length };
    },
    async reset() { call({ kind: 'reset' }); },
  };
  return dev;
}

export function installFakeUsb(devices) {
  const usb = {
    async getDevices() { return devices; },
    async requestDevice() { throw new DOMException('No device selected.', 'NotFoundError'); },
    addEventListener() {},
  };
  Object.defineProperty(navigator, 'usb', { value: usb, configurable: true });
}

export function domError(name, message) { return new DOMException(message, name); }
"#)]
extern "C" {
    #[wasm_bindgen(js_name = makeFakeDevice)]
    fn make_fake_device(handler: &Closure<dyn FnMut(JsValue) -> JsValue>, ids: &JsValue)
        -> JsValue;
    #[wasm_bindgen(js_name = installFakeUsb)]
    fn install_fake_usb(devices: &js_sys::Array);
    #[wasm_bindgen(js_name = domError)]
    fn dom_error(name: &str, message: &str) -> JsValue;
}

fn get(o: &JsValue, k: &str) -> JsValue {
    Reflect::get(o, &k.into()).unwrap_or(JsValue::UNDEFINED)
}

fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &(*k).into(), v);
    }
    o.into()
}

/// A fake `USBDevice` in front of a simulator; the simulator stays reachable for checks.
struct Fake {
    sim: Rc<RefCell<SimDevice>>,
    device: JsValue,
    _handler: Closure<dyn FnMut(JsValue) -> JsValue>,
}

fn fake(profile: &str) -> Fake {
    fake_with(Profile::by_name(profile).expect("profile"))
}

fn fake_with(profile: Profile) -> Fake {
    let sim = Rc::new(RefCell::new(SimDevice::new(profile)));
    let s = sim.clone();
    // The simulator's clock follows the page's: the transport really sleeps.
    let mut last = js_sys::Date::now();
    let handler = Closure::<dyn FnMut(JsValue) -> JsValue>::new(move |t: JsValue| {
        let kind = get(&t, "kind").as_string().unwrap_or_default();
        let mut sim = s.borrow_mut();
        let now = js_sys::Date::now();
        // +1 ms: Date.now() is whole milliseconds; never let rounding look like an early poll.
        sim.sleep((now - last).max(0.0) as u32 + 1);
        last = now;
        let gone = || {
            obj(&[
                ("name", "NetworkError".into()),
                ("message", "A transfer error has occurred.".into()),
            ])
        };
        if kind == "claim" {
            // Another tab or program holds the interface: Chromium says NetworkError.
            if sim.profile().product.contains("held") {
                return obj(&[
                    ("name", "NetworkError".into()),
                    ("message", "Unable to claim interface.".into()),
                ]);
            }
            return obj(&[("status", "ok".into())]);
        }
        if kind == "reset" {
            return match sim.reset() {
                Ok(()) => obj(&[("status", "ok".into())]),
                Err(_) => gone(),
            };
        }
        let typ = match get(&t, "requestType").as_string().as_deref() {
            Some("class") => 0x20,
            Some("vendor") => 0x40,
            _ => 0x00,
        };
        let rcpt = match get(&t, "recipient").as_string().as_deref() {
            Some("interface") => 0x01,
            Some("endpoint") => 0x02,
            Some("other") => 0x03,
            _ => 0x00,
        };
        let num = |k: &str| get(&t, k).as_f64().unwrap_or(0.0) as u16;
        let mut setup = Setup {
            request_type: typ | rcpt,
            request: num("request") as u8,
            value: num("value"),
            index: num("index"),
            length: num("length"),
        };
        let result = if kind == "in" {
            setup.request_type |= 0x80;
            sim.control_in(setup)
                .map(|d| Uint8Array::from(d.as_slice()).into())
        } else {
            let data: Vec<u8> = get(&t, "data")
                .dyn_into::<Uint8Array>()
                .map(|a| a.to_vec())
                .unwrap_or_default();
            setup.length = data.len() as u16;
            sim.control_out(setup, &data).map(|()| JsValue::UNDEFINED)
        };
        match result {
            Ok(d) => obj(&[("status", "ok".into()), ("data", d)]),
            Err(SimError::Stall) => obj(&[("status", "stall".into())]),
            Err(_) => gone(),
        }
    });
    let p = sim.borrow().profile().clone();
    let ids = obj(&[
        ("vendorId", p.vendor.into()),
        ("productId", p.dfu_product.into()),
        ("serial", p.serial.clone().unwrap_or_default().into()),
    ]);
    let device = make_fake_device(&handler, &ids);
    Fake {
        sim,
        device,
        _handler: handler,
    }
}

async fn open(f: &Fake) -> WebUsbTransport {
    WebUsbTransport::open(f.device.clone().unchecked_into())
        .await
        .expect("opens")
}

#[wasm_bindgen_test]
async fn describes_the_device_through_webusb_control_transfers() {
    let f = fake("stm32f4");
    let mut t = open(&f).await;
    let info = describe(&mut t).await.expect("describes");
    assert_eq!((info.vendor_id, info.product_id), (0x0483, 0xDF11));
    assert_eq!(info.serial.as_deref(), Some("315A28A0B956"));
    assert_eq!(info.alts.len(), 4);
    let map = info.alts[0].memory_map.as_ref().expect("map");
    assert_eq!(map.size(), 1 << 20);
    assert_eq!(info.transfer_size, 2048);
}

/// A program image: a Cortex-M vector table (stack in SRAM, reset handler inside the image
/// at 0x08000000), then filler.
fn program(len: usize) -> Vec<u8> {
    let mut v: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
    v[..8].copy_from_slice(&[0x00, 0x00, 0x02, 0x20, 0x41, 0x00, 0x00, 0x08]);
    v
}

#[wasm_bindgen_test]
async fn flashes_and_verifies_over_the_bridge() {
    let f = fake("stm32f4");
    let mut t = open(&f).await;
    let data = program(9000);
    let opts = FlashOptions {
        verify: true,
        restart: false,
        ..FlashOptions::default()
    };
    let r = driver::flash(&mut t, &FlashImage::Raw(data.clone()), opts, &mut |_| {})
        .await
        .expect("flashes");
    assert!(r.verified);
    let sim = f.sim.borrow();
    assert_eq!(sim.read_memory(0, 0x0800_0000, data.len()), Some(data));
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[wasm_bindgen_test]
async fn a_stall_is_mapped_and_the_device_recovers() {
    let f = fake("stm32f4");
    f.sim.borrow_mut().add_fault(Fault {
        trigger: Trigger::Request {
            request: Request::Dnload,
            nth: 3,
        },
        effect: Effect::Stall,
    });
    let mut t = open(&f).await;
    let opts = FlashOptions::default();
    let e = driver::flash(&mut t, &FlashImage::Raw(program(5000)), opts, &mut |_| {})
        .await
        .expect_err("stall")
        .error;
    let FlashError::Device(d) = e else {
        panic!("{e:?}")
    };
    assert_eq!(d.recovered, Some(true));
    assert_eq!(f.sim.borrow().state(), 2, "dfuIDLE");
}

#[wasm_bindgen_test]
async fn a_disconnect_mid_write_is_reported_as_disconnected() {
    let f = fake("stm32f4");
    f.sim.borrow_mut().add_fault(Fault {
        trigger: Trigger::Block(3),
        effect: Effect::Disconnect { reattach_ms: None },
    });
    let mut t = open(&f).await;
    let e = driver::flash(
        &mut t,
        &FlashImage::Raw(program(9000)),
        FlashOptions::default(),
        &mut |_| {},
    )
    .await
    .expect_err("gone")
    .error;
    let FlashError::Device(d) = &e else {
        panic!("{e:?}")
    };
    assert!(d.device_gone(), "{d:?}");
    let p =
        dfu_flasher::ui::problem_for(&e, dfu_flasher::ui::Platform::Linux, Some((0x0483, 0xDF11)));
    assert_eq!(p.kind, dfu_flasher::ui::ProblemKind::Disconnected);
}

#[wasm_bindgen_test]
fn dom_exceptions_map_to_error_kinds_and_keep_the_message() {
    let cases = [
        ("NotFoundError", "in", TransferErrorKind::Disconnected),
        ("NetworkError", "in", TransferErrorKind::Disconnected),
        ("NetworkError", "reset", TransferErrorKind::Unsupported),
        ("NetworkError", "claim", TransferErrorKind::AccessDenied),
        ("SecurityError", "open", TransferErrorKind::AccessDenied),
        ("InvalidStateError", "in", TransferErrorKind::Other),
    ];
    for (name, during, kind) in cases {
        let e = map_error(&dom_error(name, "the browser's words"), during);
        assert_eq!(e.kind, kind, "{name} during {during}");
        assert!(e.message.contains("the browser's words"));
    }
}

#[wasm_bindgen_test]
async fn devices_already_permitted_are_listed_and_matched_after_reenumeration() {
    let f = fake("stm32f4");
    let list = js_sys::Array::new();
    list.push(&f.device);
    install_fake_usb(&list);
    let known = discover::known().await;
    assert_eq!(known.len(), 1);
    let mut t = open(&f).await;
    let info = describe(&mut t).await.expect("describes");
    assert!(discover::is_same_device_in_dfu_mode(&known[0], &info));
}

#[wasm_bindgen_test]
async fn a_device_held_by_another_tab_gets_the_in_use_message() {
    let mut p = Profile::by_name("stm32f4").expect("profile");
    p.product = "held elsewhere".into();
    let f = fake_with(p);
    let mut t = open(&f).await;
    let e = driver::flash(
        &mut t,
        &FlashImage::Raw(program(300)),
        FlashOptions::default(),
        &mut |_| {},
    )
    .await
    .expect_err("claimed elsewhere")
    .error;
    assert!(
        matches!(&e, FlashError::Transfer(t) if t.kind == TransferErrorKind::AccessDenied),
        "{e:?}"
    );
    let p = dfu_flasher::ui::problem_for(
        &e,
        dfu_flasher::ui::Platform::ChromeOs,
        Some((0x0483, 0xDF11)),
    );
    assert_eq!(p.kind, dfu_flasher::ui::ProblemKind::AccessDenied);
    assert!(format!("{:?}", p.details).contains("Another program or browser tab"));
    assert_eq!(
        f.sim.borrow().request_counts().get("DNLOAD"),
        None,
        "nothing written"
    );
}

fn usb_like(vendor: u16, serial: Option<&str>) -> JsValue {
    let o = js_sys::Object::new();
    let _ = Reflect::set(&o, &"vendorId".into(), &JsValue::from(vendor));
    if let Some(s) = serial {
        let _ = Reflect::set(&o, &"serialNumber".into(), &JsValue::from_str(s));
    }
    o.into()
}

/// The page reconnects by itself only to the same gadget: same vendor and serial number;
/// a device without a serial number is never assumed to be the one that went away.
#[wasm_bindgen_test]
fn a_lost_device_is_found_again_only_by_vendor_and_serial() {
    let gone = usb_like(0x1209, Some("DEMO-0001"));
    let lost = discover::Lost::of(&gone).expect("has a serial");
    assert!(lost.is(&usb_like(0x1209, Some("DEMO-0001"))));
    assert!(
        !lost.is(&usb_like(0x1209, Some("DEMO-0002"))),
        "another unit"
    );
    assert!(
        !lost.is(&usb_like(0x0483, Some("DEMO-0001"))),
        "another maker"
    );
    assert!(!lost.is(&usb_like(0x1209, None)));
    assert!(discover::Lost::of(&usb_like(0x1209, None)).is_none());
    assert!(discover::Lost::of(&usb_like(0x1209, Some(""))).is_none());
}

/// The page's support log: the device opened through the API, a file with its WebCrypto
/// SHA-256 (filled in once computed), and an update's phases and result.
#[wasm_bindgen_test]
async fn the_support_log_records_what_the_page_did() {
    use dfu_flasher::web::{api, clock, support};
    support::support_log_clear();
    let f = fake("stm32f4");
    let dev = api::open_device(f.device.clone()).await.expect("opens");
    // "abc": the SHA-256 test vector of FIPS 180-2 (a file refused as too small or as text
    // is logged with its digest too).
    let _ = api::Firmware::parse(b"abc", "abc.bin".into());
    let fw = api::Firmware::parse(&program(9000), "app.bin".into()).expect("parses");
    let abc = "SHA-256: ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    for _ in 0..100 {
        if support::support_log("x").contains(abc) {
            break;
        }
        clock::sleep(20).await;
    }
    let options = obj(&[("verify", true.into()), ("restart", false.into())]);
    let nothing = js_sys::Function::new_no_args("");
    let done =
        wasm_bindgen_futures::JsFuture::from(dev.update(&fw, options, nothing.clone(), nothing))
            .await
            .expect("updates");
    assert!(get(&done, "title").is_string());
    let log = support::support_log("Test/1.0");
    for want in [
        "Browser: \"Test/1.0\"",
        "USB id: 0483:df11",
        "Serial number: \"315A28A0B956\"",
        "File name: \"abc.bin\"",
        abc,
        "File name: \"app.bin\"",
        "File: \"app.bin\"",
        "Phase: write",
        "Phase: verify",
        "Result: success",
        "Verified: yes",
    ] {
        assert!(
            log.lines().any(|l| l == want),
            "missing {want:?} in:\n{log}"
        );
    }
    assert!(!log.contains("SHA-256: (not computed)"), "{log}");
    support::support_log_clear();
    assert!(!support::support_log("x").contains("USB id"));
}
