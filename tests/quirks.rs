//! Each quirk in `src/core/quirks.rs` against a simulator variant with that device's bug:
//! the update works with the quirk, and fails without it.

use dfu_flasher::core::descriptor::{self, DfuVersion, Mode};
use dfu_flasher::core::quirks::Quirks;
use dfu_flasher::core::{DownloadOptions, ErrorKind, Session};
use dfu_flasher::driver::sim::SimTransport;
use dfu_flasher::driver::{self, block_on, describe, DeviceInfo, FlashImage, FlashOptions};
use dfu_flasher::sim::{Profile, SimDevice};

fn device(name: &str) -> SimTransport {
    SimTransport::new(SimDevice::new(Profile::by_name(name).expect("profile")))
}

fn info(t: &mut SimTransport) -> DeviceInfo {
    block_on(describe(t))
        .expect("completes")
        .expect("describes")
}

/// A standard GET_DESCRIPTOR straight to the simulator (no host-side quirks).
fn raw_descriptor(t: &mut SimTransport, value: u16, length: u16) -> Vec<u8> {
    let setup = dfu_flasher::sim::Setup {
        request_type: 0x80,
        request: 6,
        value,
        index: 0,
        length,
    };
    t.device.control_in(setup).expect("descriptor")
}

/// A program image: a Cortex-M vector table (stack in RAM, reset handler in the image),
/// then filler.
fn image(len: usize) -> Vec<u8> {
    let mut v: Vec<u8> = (0..len).map(|i| (i * 5 + 1) as u8).collect();
    v[..8].copy_from_slice(&[0x00, 0x00, 0x02, 0x20, 0x01, 0x01, 0x00, 0x08]);
    v
}

/// Download with the given quirks, bypassing the table.
fn download_with(
    t: &mut SimTransport,
    quirks: Quirks,
    data: &[u8],
) -> Result<(), dfu_flasher::core::Error> {
    let i = info(t);
    block_on(t.select_alt_now(i.interface, 0));
    let mut target = i.target();
    target.quirks = quirks;
    let mut s = Session::download(target, data, DownloadOptions::default()).expect("plan");
    block_on(driver::run(t, &mut s, &mut |_| {}))
        .expect("completes")
        .map(|_| ())
}

trait SelectNow {
    async fn select_alt_now(&mut self, interface: u8, alt: u8);
}

impl SelectNow for SimTransport {
    async fn select_alt_now(&mut self, interface: u8, alt: u8) {
        use dfu_flasher::driver::Transport;
        self.select_alt(interface, alt).await.expect("alt");
    }
}

#[test]
fn garbage_poll_timeout_is_replaced_by_a_fixed_short_poll() {
    // Openmoko FreeRunner U-Boot reports bwPollTimeout garbage.
    let mut t = device("openmoko-freerunner");
    let i = info(&mut t);
    assert_eq!(i.quirks.fixed_poll_ms, Some(5));
    let data = image(10_000);
    download_with(&mut t, i.quirks, &data).expect("with the quirk");
    assert_eq!(t.device.firmware(), &data[..]);
    assert!(
        t.device.violations().is_empty(),
        "{:?}",
        t.device.violations()
    );

    let mut t = device("openmoko-freerunner");
    let e = download_with(&mut t, Quirks::default(), &data).expect_err("without the quirk");
    assert!(
        matches!(e.kind, ErrorKind::PollTimeoutTooLong { .. }),
        "{e:?}"
    );
}

#[test]
fn wrong_dfu_version_is_overridden() {
    // Maple rev 3/5 says DfuSe (0x011A) but speaks plain DFU 1.1.
    let mut t = device("maple");
    let raw = raw_descriptor(&mut t, 0x0200, 255);
    let cfg = descriptor::parse_configuration(&raw).expect("parses");
    let reported = cfg.interfaces[0].functional.expect("functional").version();
    assert_eq!(reported, DfuVersion::DfuSe, "the device lies");
    let i = info(&mut t);
    assert_eq!(i.version, DfuVersion::Dfu11, "the quirk corrects it");
    let data = image(3000);
    let r = block_on(driver::flash(
        &mut t,
        &FlashImage::Raw(data.clone()),
        FlashOptions::default(),
        &mut |_| {},
    ))
    .expect("completes")
    .expect("flashes as DFU 1.1");
    assert_eq!(r.written, 3000);
    assert_eq!(t.device.firmware(), &data[..]);
}

#[test]
fn wrong_interface_protocol_is_taken_as_dfu_mode() {
    // NXP LPC ROM: DFU mode with bInterfaceProtocol 1 (run-time).
    let mut t = device("lpc-rom");
    let raw = raw_descriptor(&mut t, 0x0200, 255);
    let dev =
        descriptor::DeviceDescriptor::parse(&raw_descriptor(&mut t, 0x0100, 18)).expect("parses");
    let cfg = descriptor::parse_configuration(&raw).expect("parses");
    assert_eq!(
        cfg.interfaces[0].mode(&dev),
        Mode::Runtime,
        "the descriptor lies"
    );
    assert_eq!(info(&mut t).mode, Mode::Dfu, "the quirk corrects it");
    let data = image(2000);
    block_on(driver::flash(
        &mut t,
        &FlashImage::Raw(data.clone()),
        FlashOptions::default(),
        &mut |_| {},
    ))
    .expect("completes")
    .expect("flashes without trying to detach");
    assert_eq!(t.device.firmware(), &data[..]);
    assert_eq!(t.device.request_counts().get("DETACH"), None);
}

#[test]
fn broken_upload_skips_verify_and_says_so() {
    // FlatFrog: UPLOAD returns zeros.
    let data = image(4000);
    let opts = FlashOptions {
        verify: true,
        ..FlashOptions::default()
    };
    let mut t = device("flatfrog");
    let r = block_on(driver::flash(
        &mut t,
        &FlashImage::Raw(data.clone()),
        opts,
        &mut |_| {},
    ))
    .expect("completes")
    .expect("flashes");
    assert!(!r.verified, "not claimed as verified");
    assert_eq!(t.device.firmware(), &data[..]);
    let fit = dfu_flasher::ui::FitView::new(
        &r.device,
        &dfu_flasher::core::file::parse(&data, &Default::default()).expect("raw"),
    );
    assert!(!fit.can_verify);
    assert!(dfu_flasher::ui::DoneView::update(&r)
        .details
        .iter()
        .any(|d| d.contains("Not read back")));

    // Without the quirk the read-back is believed and the update "fails".
    let mut t = device("flatfrog");
    let i = info(&mut t);
    let mut target = i.target();
    target.quirks = Quirks::default();
    let mut s = Session::download(
        target,
        &data,
        DownloadOptions {
            verify: true,
            restart: false,
        },
    )
    .expect("plan");
    let e = block_on(driver::run(&mut t, &mut s, &mut |_| {}))
        .expect("completes")
        .expect_err("mismatch");
    assert!(matches!(e.kind, ErrorKind::VerifyMismatch { .. }), "{e:?}");
}

#[test]
fn getstatus_stalls_during_a_late_erase_are_tolerated() {
    // STM32L4 ROM: erases overrun the reported poll timeout and GETSTATUS stalls.
    let data = image(6000);
    let mut t = device("stm32l4-erase-stalls");
    let r = block_on(driver::flash(
        &mut t,
        &FlashImage::Raw(data.clone()),
        FlashOptions::default(),
        &mut |_| {},
    ))
    .expect("completes")
    .expect("flashes");
    assert_eq!(r.written, 6000);
    assert_eq!(
        t.device.read_memory(0, 0x0800_0000, data.len()),
        Some(data.clone())
    );

    let mut t = device("stm32l4-erase-stalls");
    let i = info(&mut t);
    block_on(t.select_alt_now(i.interface, 0));
    let mut target = i.target();
    target.quirks = Quirks::default();
    let map = i.alts[0].memory_map.clone().expect("map");
    let mut s = Session::dfuse_download(target, &map, &[(0x0800_0000, &data)], Default::default())
        .expect("plan");
    let e = block_on(driver::run(&mut t, &mut s, &mut |_| {}))
        .expect("completes")
        .expect_err("stalls");
    assert!(
        matches!(
            e.kind,
            ErrorKind::Stalled { .. } | ErrorKind::DeviceStatus { .. }
        ),
        "{e:?}"
    );
}

#[test]
fn gd32_layout_is_rebuilt_from_the_utf8_serial_number() {
    // GD32VF103: says 64 × 2 KiB pages; really 128 × 1 KiB, told by serial "3CB…".
    let data = image(10 * 1024 + 100);
    let mut t = device("gd32vf103");
    let i = info(&mut t);
    assert_eq!(
        i.serial.as_deref(),
        Some("3CBJ123456"),
        "UTF-8 serial decoded"
    );
    let map = i.alts[0].memory_map.clone().expect("map");
    assert_eq!(
        (map.segments[0].sectors, map.segments[0].sector_size),
        (128, 1024)
    );
    let r = block_on(driver::flash(
        &mut t,
        &FlashImage::Raw(data.clone()),
        FlashOptions {
            verify: true,
            ..FlashOptions::default()
        },
        &mut |_| {},
    ))
    .expect("completes")
    .expect("flashes over the old firmware");
    assert!(r.verified);
    assert_eq!(
        t.device.read_memory(0, 0x0800_0000, data.len()),
        Some(data.clone())
    );

    // Without the quirk: 2 KiB erases leave every other 1 KiB page unerased.
    let mut t = device("gd32vf103");
    let i = info(&mut t);
    block_on(t.select_alt_now(i.interface, 0));
    let mut target = i.target();
    target.quirks = Quirks::default();
    let wrong =
        dfu_flasher::core::memmap::MemoryMap::parse("@Internal Flash  /0x08000000/064*002Kg")
            .expect("map");
    let mut s =
        Session::dfuse_download(target, &wrong, &[(0x0800_0000, &data)], Default::default())
            .expect("plan");
    let e = block_on(driver::run(&mut t, &mut s, &mut |_| {}))
        .expect("completes")
        .expect_err("unerased pages");
    assert!(matches!(e.kind, ErrorKind::DeviceStatus { .. }), "{e:?}");
}

#[test]
fn manifestation_is_polled_to_its_end_on_poly_devices() {
    // Poly: not tolerant, and manifestation outlasts the reported poll timeout.
    let data = image(4000);
    let mut t = device("poly-manifest-poll");
    let i = info(&mut t);
    assert!(i.quirks.manifest_poll);
    let r = block_on(driver::flash(
        &mut t,
        &FlashImage::Raw(data.clone()),
        FlashOptions::default(),
        &mut |_| {},
    ))
    .expect("completes")
    .expect("flashes");
    assert_eq!(r.finish, dfu_flasher::core::Finish::Restarting);
    assert_eq!(
        t.device.firmware(),
        &data[..],
        "manifestation finished before the reset"
    );
    assert!(
        t.device.violations().is_empty(),
        "{:?}",
        t.device.violations()
    );

    // Without the quirk the host resets mid-manifestation and the image is lost.
    let mut t = device("poly-manifest-poll");
    let i = info(&mut t);
    let mut q = i.quirks;
    q.manifest_poll = false;
    let _ = download_with(&mut t, q, &data);
    assert_ne!(t.device.firmware(), &data[..]);
    assert!(t
        .device
        .violations()
        .iter()
        .any(|v| v.rule == "reset only where allowed"));
}

/// Openmoko and Jabra show the same VID:PID in run-time and DFU mode. No quirk entry is
/// needed: the host tells the modes apart by the interface protocol (1 run-time, 2 DFU),
/// never by the product id, and finds the device again by its re-enumeration. Oracle:
/// the simulator's own bus (a DETACH, a reset, a new enumeration) and memory.
#[test]
fn same_ids_in_both_modes_detach_and_update() {
    use dfu_flasher::driver::{FlashImage, FlashOptions};
    let mut t = device("dfu11-same-ids");
    let (v, p) = t.device.ids();
    assert!(!t.device.in_dfu_mode());
    let data = image(3000);
    let opts = FlashOptions {
        verify: true,
        restart: true,
        ..FlashOptions::default()
    };
    let r = block_on(driver::flash(
        &mut t,
        &FlashImage::Raw(data.clone()),
        opts,
        &mut |_| {},
    ))
    .expect("completes")
    .expect("flashes");
    assert!(r.verified);
    let names: Vec<&str> = t.device.transcript().iter().map(|e| e.name).collect();
    assert!(names.contains(&"DETACH"), "{names:?}");
    // Back in run-time mode, with the same ids, once the manifestation reset is over.
    t.device.sleep(2000);
    assert!(t.device.is_attached() && !t.device.in_dfu_mode());
    assert_eq!(t.device.ids(), (v, p), "the same ids after the update");
    assert_eq!(&t.device.firmware()[..data.len()], &data[..]);
    assert!(
        t.device.violations().is_empty(),
        "{:?}",
        t.device.violations()
    );
}

/// STM32F405 / STM32L4 ROM: a mass erase takes far longer than the poll timeout it
/// reports, and GETSTATUS stalls meanwhile. With the STM32 quirk the host re-waits and
/// finishes; without it, the update stops at the first stall. Oracle: the simulator's
/// memory and clock.
#[test]
fn a_mass_erase_far_longer_than_reported_is_waited_out() {
    use dfu_flasher::core::plan::DfuseOptions;
    let data = image(6000);
    let slow = || {
        let mut p = Profile::by_name("stm32l4-erase-stalls").expect("profile");
        p.bugs.erase_overrun_ms = 12_000; // on top of the 8 s the device reports
        SimTransport::new(SimDevice::new(p))
    };
    let run = |t: &mut SimTransport, quirks: Option<Quirks>| {
        let i = info(t);
        block_on(t.select_alt_now(i.interface, 0));
        let mut target = i.target();
        if let Some(q) = quirks {
            target.quirks = q;
        }
        let map = i.alts[0].memory_map.clone().expect("map");
        let opts = DfuseOptions {
            mass_erase: true,
            ..Default::default()
        };
        let mut s =
            Session::dfuse_download(target, &map, &[(0x0800_0000, &data)], opts).expect("plan");
        block_on(driver::run(t, &mut s, &mut |_| {})).expect("completes")
    };
    let mut t = slow();
    let start = t.device.now_us();
    run(&mut t, None).expect("the quirk waits the erase out");
    assert!(
        t.device.now_us() - start >= 20_000_000,
        "the erase took {} ms",
        (t.device.now_us() - start) / 1000
    );
    assert_eq!(
        t.device.read_memory(0, 0x0800_0000, data.len()),
        Some(data.clone())
    );
    let e = run(&mut slow(), Some(Quirks::default())).expect_err("stalls without the quirk");
    assert!(
        matches!(
            e.kind,
            ErrorKind::Stalled { .. } | ErrorKind::DeviceStatus { .. }
        ),
        "{e:?}"
    );
}

/// HydraBus and the Openmoko FreeRunner show no DFU interface while their application
/// runs (fwupd `no-dfu-runtime`). With the quirk the page says to start the device in
/// update mode by hand; the same device under ids the table does not know gets the
/// generic "no update interface" answer. Oracle: the simulator's descriptors.
#[test]
fn no_runtime_interface_asks_for_update_mode_by_hand() {
    use dfu_flasher::driver::{describe, DescribeError};
    let mut t = device("hydrabus");
    let e = block_on(describe(&mut t))
        .expect("completes")
        .expect_err("no DFU interface");
    assert_eq!(e, DescribeError::NoRuntimeInterface);
    let said = dfu_flasher::ui::describe_error_text(&e);
    assert!(said.contains("by hand"), "{said}");
    let problem = dfu_flasher::ui::problem_for(
        &dfu_flasher::driver::FlashError::Describe(e),
        dfu_flasher::ui::Platform::Linux,
        None,
    );
    assert_eq!(problem.kind, dfu_flasher::ui::ProblemKind::ManualDfuMode);

    let mut p = Profile::by_name("hydrabus").expect("profile");
    p.runtime_product = Some(0x60A8); // not in the table
    let mut t = SimTransport::new(SimDevice::new(p));
    let e = block_on(describe(&mut t))
        .expect("completes")
        .expect_err("no DFU interface");
    assert_eq!(e, DescribeError::NotDfu);
}

/// Update `p` with `data` (restart on), then let the final reset play out.
fn update_and_settle(p: Profile, data: &[u8], verify: bool) -> SimTransport {
    use dfu_flasher::driver::{FlashImage, FlashOptions};
    let mut t = SimTransport::new(SimDevice::new(p));
    let opts = FlashOptions {
        verify,
        restart: true,
        ..FlashOptions::default()
    };
    block_on(driver::flash(
        &mut t,
        &FlashImage::Raw(data.to_vec()),
        opts,
        &mut |_| {},
    ))
    .expect("completes")
    .expect("flashes");
    t.device.sleep(2000);
    t
}

/// Realtek 0BDA:5800 and AVer cameras go back to their firmware on a reset only after a
/// DETACH sent in DFU mode (fwupd `detach-for-attach`). With the quirk the host sends it
/// and the device runs its new firmware; the same device under ids the table does not
/// know stays in DFU mode after the reset. Oracle: the simulator's bus and memory.
#[test]
fn detach_for_attach_sends_the_device_back_to_its_firmware() {
    let data = image(4000);
    let update = |p: Profile| update_and_settle(p, &data, true);
    let p = Profile::by_name("realtek-detach-attach").expect("profile");
    let t = update(p.clone());
    let detaches = t
        .device
        .transcript()
        .iter()
        .filter(|e| e.name == "DETACH")
        .count();
    assert_eq!(detaches, 2, "one to enter DFU mode, one before the reset");
    assert!(
        t.device.is_attached() && !t.device.in_dfu_mode(),
        "runs its firmware"
    );
    assert_eq!(&t.device.firmware()[..data.len()], &data[..]);
    assert!(
        t.device.violations().is_empty(),
        "{:?}",
        t.device.violations()
    );

    let mut unknown = p;
    unknown.vendor = 0x0BDB;
    let t = update(unknown);
    assert!(
        t.device.in_dfu_mode(),
        "without the quirk the reset leaves it in DFU mode"
    );
}

/// m-stack devices (273F:1003, 1008, 100A) go back to their firmware on a reset only
/// after an UPLOAD (fwupd `attach-upload-download`). Without a read-back verify the host
/// reads one block first; with one, the verify is that upload. The same device under
/// ids the table does not know stays in DFU mode. Oracle: the simulator's bus.
#[test]
fn upload_before_attach_sends_the_device_back_to_its_firmware() {
    let data = image(4000);
    let update = |p: Profile, verify: bool| update_and_settle(p, &data, verify);
    let p = Profile::by_name("mstack-upload-attach").expect("profile");
    for verify in [false, true] {
        let t = update(p.clone(), verify);
        let uploads = t
            .device
            .transcript()
            .iter()
            .filter(|e| e.name == "UPLOAD")
            .count();
        assert!(uploads >= 1, "verify {verify}: an UPLOAD before the reset");
        assert!(
            t.device.is_attached() && !t.device.in_dfu_mode(),
            "verify {verify}: runs its firmware"
        );
        assert_eq!(&t.device.firmware()[..data.len()], &data[..]);
        assert!(
            t.device.violations().is_empty(),
            "{:?}",
            t.device.violations()
        );
    }
    let mut unknown = p;
    unknown.vendor = 0x2740;
    let t = update(unknown, false);
    assert!(
        t.device.in_dfu_mode(),
        "without the quirk the reset leaves it in DFU mode"
    );
}

/// The table, entry by entry, against the devices the digest and fwupd/dfu-util name
/// (ids written here by hand): each device gets exactly its workarounds, and its
/// neighbours none.
#[test]
fn the_quirk_table_names_each_device() {
    use dfu_flasher::core::quirks::lookup;
    let none = Quirks::default();
    let poll5 = Quirks {
        fixed_poll_ms: Some(5),
        ..none
    };
    let upload = Quirks {
        broken_upload: true,
        ..none
    };
    for (vid, pid, bcd, want, what) in [
        (
            0x1BCF,
            0x0B1D,
            0x0100,
            Quirks {
                fixed_poll_ms: Some(5),
                broken_upload: true,
                ..none
            },
            "SunplusIT camera",
        ),
        (
            0x25B5,
            0x0004,
            0x0100,
            Quirks {
                broken_upload: true,
                manifest_poll: true,
                ..none
            },
            "FlatFrog",
        ),
        (
            0x095D,
            0x9999,
            0x0100,
            Quirks {
                manifest_poll: true,
                ..none
            },
            "Poly",
        ),
        (0x0B0E, 0x0001, 0x0100, upload, "Jabra"),
        (0x0B0E, 0xFFFF, 0x0100, upload, "Jabra, last id"),
        (0x0C45, 0x636C, 0x0100, upload, "Sonix, first"),
        (0x0C45, 0x6374, 0x0100, upload, "Sonix, last"),
        (0x0C45, 0x636B, 0x0100, none, "before the Sonix range"),
        (0x0C45, 0x6375, 0x0100, none, "after the Sonix range"),
        (0x0763, 0x2806, 0x0100, poll5, "M-Audio Transit"),
        (0x16C0, 0x0762, 0x0100, poll5, "OpenPCD"),
        (
            0x0908,
            0x02C4,
            0x0000,
            poll5,
            "Siemens PXM40 with bcdDevice 0",
        ),
        (0x0908, 0x02C4, 0x0001, none, "Siemens PXM40 otherwise"),
        (0x1209, 0x2301, 0x0100, none, "an ordinary device"),
    ] {
        assert_eq!(lookup(vid, pid, bcd), want, "{what} {vid:04x}:{pid:04x}");
    }
}

/// GD32VF103 serial numbers: the third character gives the flash size in KiB (the
/// datasheet's ordering code: 4 = 16 KiB … B = 128 KiB).
#[test]
fn every_gd32_size_letter() {
    use dfu_flasher::core::quirks::gd32_layout;
    for (c, kib) in [
        ('2', 8),
        ('4', 16),
        ('6', 32),
        ('8', 64),
        ('B', 128),
        ('D', 256),
    ] {
        assert_eq!(
            gd32_layout(&format!("3C{c}BJ0000")),
            Some(format!("@Internal Flash  /0x08000000/{kib:03}*001Kg")),
            "{c}"
        );
    }
    for c in ['0', '1', '3', 'A', 'C', 'E', 'b'] {
        assert_eq!(gd32_layout(&format!("3C{c}BJ0000")), None, "{c}");
    }
    assert_eq!(gd32_layout("3C"), None);
}
