//! The support log ("Copy details for support"): real updates through the simulator,
//! recorded the way the page records them, and the log's defences (escaping, length caps,
//! the event cap).

mod common;

use dfu_flasher::core::file::{self, dfuse, Element, ParseOptions, Target};
use dfu_flasher::core::protocol::Setup;
use dfu_flasher::driver::sim::SimTransport;
use dfu_flasher::driver::{
    self, block_on, describe, DeviceInfo, FlashImage, FlashOptions, Reconnect, TransferError,
    Transport,
};
use dfu_flasher::sim::{Activity, Effect, Fault, Profile, Request, SimDevice, Trigger};
use dfu_flasher::ui::{self, Platform, Repair, SupportLog};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// The simulator as the page's backend: every call moves the page's clock (here the
/// device's virtual one), and a reconnect is logged as the page's re-pair step logs it.
struct Recorded {
    sim: SimTransport,
    now: Rc<Cell<f64>>,
    log: Rc<RefCell<SupportLog>>,
}

impl Recorded {
    fn tick(&self) {
        self.now.set(self.sim.now_ms());
    }
}

impl Transport for Recorded {
    async fn control_in(&mut self, s: Setup, t: u32) -> Result<Vec<u8>, TransferError> {
        let r = self.sim.control_in(s, t).await;
        self.tick();
        r
    }
    async fn control_out(&mut self, s: Setup, d: &[u8], t: u32) -> Result<(), TransferError> {
        let r = self.sim.control_out(s, d, t).await;
        self.tick();
        r
    }
    async fn reset(&mut self) -> Result<(), TransferError> {
        let r = self.sim.reset().await;
        self.tick();
        r
    }
    async fn sleep(&mut self, ms: u32) {
        self.sim.sleep(ms).await;
        self.tick();
    }
    fn now_ms(&self) -> f64 {
        self.sim.now_ms()
    }
    async fn select_alt(&mut self, i: u8, a: u8) -> Result<(), TransferError> {
        self.sim.select_alt(i, a).await
    }
}

impl Reconnect for Recorded {
    async fn reconnect(&mut self, before: &DeviceInfo) -> Result<(), TransferError> {
        self.log
            .borrow_mut()
            .repair(self.now.get(), Repair::Looking);
        let r = self.sim.reconnect(before).await;
        self.tick();
        match &r {
            Ok(()) => self.log.borrow_mut().repair(self.now.get(), Repair::Found),
            Err(e) => self
                .log
                .borrow_mut()
                .repair(self.now.get(), Repair::NotChosen(e)),
        }
        r
    }
}

/// A program image for a Cortex-M part at 0x08000000.
fn program(len: usize) -> Vec<u8> {
    let mut v: Vec<u8> = (0..len).map(|i| (i * 7 + 5) as u8).collect();
    v[..8].copy_from_slice(&[0x00, 0x00, 0x02, 0x20, 0x41, 0x00, 0x00, 0x08]);
    v
}

/// The SHA-256 that coreutils' `sha256sum` gives for `bytes` (an independent oracle).
fn sha256sum(bytes: &[u8], tag: &str) -> String {
    let dir = common::scratch(tag);
    let path = dir.join("firmware.bin");
    std::fs::write(&path, bytes).expect("write");
    let out = std::process::Command::new("sha256sum")
        .arg(&path)
        .output()
        .expect("sha256sum (coreutils) runs");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let hex = text
        .split_whitespace()
        .next()
        .expect("a digest")
        .to_string();
    assert_eq!(hex.len(), 64, "{text}");
    hex
}

/// Open `profile`, choose `bytes` as file `name`, update it with verify: the log as the page
/// writes it, and the sim.
fn run(
    p: Profile,
    bytes: &[u8],
    name: &str,
    fault: Option<Fault>,
) -> (SupportLog, SimTransport, bool) {
    let log = Rc::new(RefCell::new(SupportLog::new()));
    let now = Rc::new(Cell::new(0.0));
    let mut sim = SimTransport::new(SimDevice::new(p));
    if let Some(f) = fault {
        sim.device.add_fault(f);
    }
    let mut t = Recorded {
        sim,
        now: now.clone(),
        log: log.clone(),
    };
    let info = block_on(describe(&mut t))
        .expect("never blocks")
        .expect("describes");
    log.borrow_mut().device(now.get(), "Device opened", &info);
    let f = file::parse_named(bytes, name, &ParseOptions::default()).expect("parses");
    log.borrow_mut()
        .firmware(now.get(), &f, name, bytes.len() as u64, None);
    let opts = FlashOptions {
        verify: true,
        restart: true,
        suffix: f.suffix_ids(),
        ..FlashOptions::default()
    };
    log.borrow_mut().update_started(now.get(), &opts, name);
    let image = FlashImage::from(&f);
    let mut progress = |r: &driver::ProgressReport| log.borrow_mut().progress(now.get(), r);
    let r = block_on(driver::flash(&mut t, &image, opts, &mut progress)).expect("never blocks");
    let at = now.get();
    let ok = r.is_ok();
    match r {
        Ok(rep) => log
            .borrow_mut()
            .update_done(at, &rep, &ui::DoneView::update(&rep)),
        Err(e) => {
            let shown = ui::failure_problem(&e, "the device", Platform::Linux, None);
            log.borrow_mut().failed(at, &e, &shown)
        }
    }
    let log = log.borrow().clone();
    (log, t.sim, ok)
}

fn dfuse_file(len: usize) -> Vec<u8> {
    let t = vec![Target {
        alt: 0,
        name: Some("Internal Flash".into()),
        elements: vec![Element {
            address: 0x0800_0000,
            data: program(len),
        }],
    }];
    dfuse::write(&t, 0x0483, 0xDF11, 0xFFFF, dfuse::ImageSize::WithoutSuffix)
}

/// The phases the log lists, in order, with their times since the operation started.
fn phases(text: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut phase = None;
    for l in text.lines() {
        if let Some(p) = l.strip_prefix("Phase: ") {
            phase = Some(p.to_string());
        }
        if let Some(t) = l.strip_prefix("Since operation start: ") {
            let ms = t.trim_end_matches(" ms").parse().expect("whole ms");
            out.push((phase.take().expect("a phase before its time"), ms));
        }
    }
    out
}

fn has_line(text: &str, line: &str) -> bool {
    text.lines().any(|l| l == line)
}

#[test]
fn an_update_is_logged_with_the_devices_strings_the_files_digest_and_each_phase() {
    let p = Profile::by_name("stm32f4").expect("profile");
    let bytes = dfuse_file(40_000);
    let expected_sha = sha256sum(&bytes, "support-ok");
    let (log, sim, ok) = run(p.clone(), &bytes, "widget-2.1.dfu", None);
    assert!(ok);
    let text = log.render("Mozilla/5.0 (X11; Linux x86_64) Chrome/131", sim.now_ms());
    println!("{text}");
    let want = [
        format!("Page version: {}", env!("CARGO_PKG_VERSION")),
        "Browser: \"Mozilla/5.0 (X11; Linux x86_64) Chrome/131\"".into(),
        format!("USB id: {:04x}:{:04x}", p.vendor, p.dfu_product),
        format!("bcdDevice: {:#06x} (release 21.00)", p.release),
        format!("Manufacturer: \"{}\"", p.manufacturer),
        // Verbatim: two spaces, shouting and all (the page calms it; the log does not).
        format!("Product: \"{}\"", p.product),
        format!("Serial number: \"{}\"", p.serial.clone().expect("serial")),
        format!("Alt settings: {}", p.alts.len()),
        format!("Alt setting: 0 \"{}\"", p.alts[0].name),
        format!("Alt setting: 3 \"{}\"", p.alts[3].name),
        format!(
            "Transfer size: {} (wTransferSize {})",
            p.transfer_size, p.transfer_size
        ),
        format!("Detach timeout: {} ms", p.detach_timeout),
        "Attributes: 0x0b (can-download can-upload will-detach)".into(),
        "DFU version: DfuSe (bcdDFUVersion 0x011a)".into(),
        "File name: \"widget-2.1.dfu\"".into(),
        format!("File size: {} bytes", bytes.len()),
        "Format: DfuSe file".into(),
        "Firmware size: 40000 bytes".into(),
        "Suffix ids: 0483:df11 bcdDevice 0xffff".into(),
        "Target: alt 0 \"Internal Flash\", 40000 bytes in 1 element(s)".into(),
        "Element: alt 0, 0x08000000, 40000 bytes".into(),
        "Verify: yes".into(),
        "Result: success".into(),
        "Written: 40000 bytes".into(),
        "Verified: yes".into(),
        "Finish: restarting into its firmware".into(),
    ];
    for w in &want {
        assert!(has_line(&text, w), "missing {w:?} in:\n{text}");
    }
    // The digest is the file's, as coreutils computes it (given later, as the page's
    // WebCrypto gives it).
    assert!(has_line(&text, "SHA-256: (not computed)"), "{text}");
    let mut log = log;
    let digest: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&expected_sha[2 * i..2 * i + 2], 16).expect("hex"))
        .collect();
    assert!(log.file_sha256("widget-2.1.dfu", &digest));
    assert!(
        !log.file_sha256("other.dfu", &digest),
        "no entry for that file"
    );
    let text = log.render("x", sim.now_ms());
    assert!(
        has_line(&text, &format!("SHA-256: {expected_sha}")),
        "{text}"
    );
    // Each phase in order, at non-decreasing times, each with its duration.
    let ph = phases(&text);
    let names: Vec<&str> = ph.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(
        names,
        ["prepare", "compare", "erase", "write", "verify", "leave"],
        "{text}"
    );
    assert!(ph.windows(2).all(|w| w[0].1 <= w[1].1), "{ph:?}");
    // The three 16 KiB sectors take 250 ms each on this device: the erase phase lasts
    // at least that long, and the summary lists every phase.
    let erase = text
        .split("Phase: erase")
        .nth(1)
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("Duration: ")))
        .expect("erase duration");
    let erase_ms: u64 = erase.trim_end_matches(" ms").parse().expect("ms");
    assert!((750..1500).contains(&erase_ms), "{erase_ms}");
    assert_eq!(text.matches("\nDuration: ").count(), 6, "{text}");
    let summary = text
        .lines()
        .find_map(|l| l.strip_prefix("Phases: "))
        .expect("summary");
    assert!(
        summary.starts_with("prepare ") && summary.contains(", erase "),
        "{summary}"
    );
}

#[test]
fn a_run_time_device_is_logged_through_its_reconnect_in_update_mode() {
    let p = Profile::by_name("dfu11-runtime").expect("profile");
    let data = program(5000);
    let (log, sim, ok) = run(p.clone(), &data, "widget.bin", None);
    assert!(ok);
    let text = log.render("test", sim.now_ms());
    let runtime = format!(
        "USB id: {:04x}:{:04x}",
        p.vendor,
        p.runtime_product.expect("rt")
    );
    let dfu = format!("USB id: {:04x}:{:04x}", p.vendor, p.dfu_product);
    let (before, after) = text.split_once("Reconnecting").expect("a reconnect");
    assert!(
        has_line(before, &runtime) && has_line(before, "Phase: detach"),
        "{text}"
    );
    assert!(
        has_line(before, "Mode: running its firmware (run-time mode)"),
        "{text}"
    );
    assert!(
        after.contains("] #") && after.contains("Reconnected"),
        "{text}"
    );
    assert!(!has_line(after, "Phase: detach") && has_line(after, "Phase: write"));
    // The device as it was in update mode, after the result.
    let tail = after.split("Succeeded").nth(1).expect("succeeded");
    assert!(
        tail.contains("Device in update mode") && has_line(tail, &dfu),
        "{text}"
    );
    assert!(
        has_line(&text, "Switched to update mode first: yes"),
        "{text}"
    );
    let names: Vec<String> = phases(&text).into_iter().map(|p| p.0).collect();
    assert_eq!(names[0], "detach", "{names:?}");
    assert!(names.contains(&"manifest".to_string()), "{names:?}");
}

#[test]
fn a_failed_write_is_logged_with_the_exact_status_and_what_it_left() {
    let p = Profile::by_name("stm32f4").expect("profile");
    let write = |request, effect| Fault {
        trigger: Trigger::During {
            activity: Activity::Write,
            request,
            nth: 3,
        },
        effect,
    };
    // errWRITE (0x03) reported by the status that answers the third block.
    let fault = write(Request::GetStatus, Effect::ErrorStatus(0x03));
    let (log, sim, ok) = run(p.clone(), &dfuse_file(20_000), "w.dfu", Some(fault));
    assert!(!ok);
    let text = log.render("test", sim.now_ms());
    println!("{text}");
    for w in [
        "Result: failed",
        "Error kind: device error status",
        "Phase: write",
        // The status that answered the second block said errWRITE: one block was taken.
        "Request: GETSTATUS",
        "Address: 0x08000800",
        "Written: 2048 of 20000 bytes",
        "DFU status: errWRITE",
        "DFU state: dfuERROR",
        "Status codes: DfuSe",
        "Left: incomplete (erasing or writing had begun)",
        "Problem kind: device",
    ] {
        assert!(has_line(&text, w), "missing {w:?} in:\n{text}");
    }
    assert!(text.contains("Shown title: \""), "{text}");
    // The last phase is closed with its duration when the update fails.
    let names: Vec<String> = phases(&text).into_iter().map(|p| p.0).collect();
    assert_eq!(names.last().map(String::as_str), Some("write"), "{names:?}");
    assert_eq!(text.matches("\nDuration: ").count(), names.len(), "{text}");

    // The device stalls the third block: the host asks why and the device says
    // errSTALLEDPKT; the request is the DNLOAD of the block at 0x08001000.
    let fault = write(Request::Dnload, Effect::Stall);
    let (log, sim, ok) = run(p, &dfuse_file(20_000), "w.dfu", Some(fault));
    assert!(!ok);
    let text = log.render("test", sim.now_ms());
    for w in [
        "Request: DNLOAD",
        "DFU status: errSTALLEDPKT",
        "Address: 0x08001000",
        "Written: 4096 of 20000 bytes",
    ] {
        assert!(has_line(&text, w), "missing {w:?} in:\n{text}");
    }
    assert!(!has_line(&text, "DFU status: errWRITE"), "{text}");
}
