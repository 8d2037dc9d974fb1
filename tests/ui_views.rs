//! What the page says, decided in Rust: the fit verdict for file/device pairs, errors
//! with platform remedies, and progress lines. Devices come from the simulator.

use dfu_flasher::core::file::{self, dfuse, suffix, Element, ParseOptions, Target};
use dfu_flasher::driver::sim::SimTransport;
use dfu_flasher::driver::{
    block_on, describe, DeviceInfo, FlashError, TransferError, TransferErrorKind,
};
use dfu_flasher::sim::{Profile, SimDevice};
use dfu_flasher::ui::{self, Detail, FitView, Platform, Stage};

fn info(profile: &str) -> DeviceInfo {
    let mut t = SimTransport::new(SimDevice::new(Profile::by_name(profile).expect("profile")));
    block_on(describe(&mut t))
        .expect("completes")
        .expect("describes")
}

fn parse(b: &[u8]) -> file::FirmwareFile {
    file::parse(b, &ParseOptions::default()).expect("valid")
}

/// A Cortex-M program image written at `base`: stack at the top of 128 KiB of SRAM, reset
/// handler 0x41 bytes in (Thumb), then filler.
fn program(base: u32, len: usize) -> Vec<u8> {
    let mut v: Vec<u8> = (0..len).map(|i| (i * 7 + 1) as u8).collect();
    v[..4].copy_from_slice(&0x2002_0000u32.to_le_bytes());
    v[4..8].copy_from_slice(&(base + 0x41).to_le_bytes());
    v
}

fn dfuse_of(alt: u8, address: u32, data: Vec<u8>) -> Vec<u8> {
    let t = vec![Target {
        alt,
        name: None,
        elements: vec![Element { address, data }],
    }];
    dfuse::write(&t, 0x0483, 0xDF11, 0xFFFF, dfuse::ImageSize::WithoutSuffix)
}

fn dfuse_file(alt: u8, address: u32, len: usize) -> Vec<u8> {
    dfuse_of(alt, address, program(address, len))
}

#[test]
fn fit_verdicts_for_file_and_device_pairs() {
    let f4 = info("stm32f4");
    let ok = FitView::new(&f4, &parse(&dfuse_file(0, 0x0800_0000, 4096)));
    assert!(
        ok.ok && ok.problems.is_empty() && ok.risks.is_empty(),
        "{ok:?}"
    );
    assert_eq!(ok.stage, Stage::Fits);
    assert!(ok.verdict.starts_with("This file fits"), "{ok:?}");
    assert!(ok.can_verify);

    let outside = FitView::new(&f4, &parse(&dfuse_file(0, 0x080F_F000, 8192)));
    assert!(
        !outside.ok && !outside.can_force,
        "writing past flash is never forced"
    );
    assert!(
        outside.problems[0].contains("writes 8 KiB at 0x080ff000")
            && outside.problems[0].contains("only 4 KiB of writable memory"),
        "{outside:?}"
    );

    let no_alt = FitView::new(&f4, &parse(&dfuse_file(7, 0x0800_0000, 16)));
    assert!(no_alt.problems[0].contains("memory area 7"), "{no_alt:?}");

    // Same vendor, other product: may be forced, with a warning of what it risks. Other
    // vendor: may not.
    let body = program(0x0800_0000, 4096);
    let other_pid = parse(&suffix::append(&body, 0x0483, 0xDF12, 0xFFFF, 0x0100));
    let v = FitView::new(&f4, &other_pid);
    assert!(!v.ok && v.can_force && v.stage == Stage::Confirm, "{v:?}");
    assert!(v.risks[0].contains("another model"), "{v:?}");
    assert!(v.force_warning.contains("unable to start"), "{v:?}");
    let other_vendor = parse(&suffix::append(&body, 0x1D50, 0x6017, 0xFFFF, 0x0100));
    let v = FitView::new(&f4, &other_vendor);
    assert!(!v.ok && !v.can_force && v.stage == Stage::Refused, "{v:?}");
    assert!(v.problems[0].contains("another maker"), "{v:?}");
    assert!(v.force_warning.is_empty());

    // A DfuSe file cannot go to a plain DFU 1.1 device.
    let plain = info("dfu11-dfumode");
    let v = FitView::new(&plain, &parse(&dfuse_file(0, 0x0800_0000, 16)));
    assert!(!v.ok && !v.can_force, "{v:?}");

    // A device without upload cannot verify.
    let v = FitView::new(&info("dfu11-noupload"), &parse(&program(0, 1000)));
    assert!(v.ok && !v.can_verify);
}

/// A run-time device: what can be known is checked before it is switched (the maker,
/// a DfuSe file for a device that says DFU 1.1), the rest is said to be checked later,
/// and nothing is called a fit.
#[test]
fn run_time_devices_are_checked_before_detaching_and_never_called_a_fit() {
    let rt = info("dfu11-runtime");
    let body = program(0, 20_000);
    let for_dfu_mode = parse(&suffix::append(&body, 0x1209, 0x2302, 0xFFFF, 0x0100));
    let v = FitView::new(&rt, &for_dfu_mode);
    assert!(v.ok && v.stage == Stage::Provisional, "{v:?}");
    assert!(!v.verdict.contains("fits"), "{v:?}");
    assert!(v.verdict.contains("checked against it once more"), "{v:?}");

    let other_maker = parse(&suffix::append(&body, 0x1234, 0x5678, 0xFFFF, 0x0100));
    let v = FitView::new(&rt, &other_maker);
    assert!(!v.ok && !v.can_force && v.stage == Stage::Refused, "{v:?}");
    assert!(
        v.problems[0].contains("USB id 1234:5678; this device is 1209:2301"),
        "{v:?}"
    );
    assert!(v
        .as_problem()
        .details
        .iter()
        .any(|d| matches!(d, Detail::Text(t) if t.contains("Nothing was written"))));

    // A DfuSe file for ST's bootloader, onto a device whose run-time descriptor says DFU 1.1.
    let st = parse(&dfuse_file(0, 0x0800_0000, 4096));
    let v = FitView::new(&rt, &st);
    assert!(!v.ok && v.stage == Stage::Refused, "{v:?}");
    assert!(
        v.problems.iter().any(|p| p.contains("another maker")),
        "{v:?}"
    );
    assert!(
        v.problems.iter().any(|p| p.contains("plain image")),
        "{v:?}"
    );
    // The same DfuSe file without a suffix naming a maker is still refused for its format.
    let anyone = dfuse::write(
        &[Target {
            alt: 0,
            name: None,
            elements: vec![Element {
                address: 0x0800_0000,
                data: program(0x0800_0000, 4096),
            }],
        }],
        0xFFFF,
        0xFFFF,
        0xFFFF,
        dfuse::ImageSize::WithoutSuffix,
    );
    let v = FitView::new(&rt, &parse(&anyone));
    assert!(
        v.stage == Stage::Refused && v.problems[0].contains("plain image"),
        "{v:?}"
    );
}

/// Images that are no program for the device need a confirmation: a tiny one anywhere, and
/// one at a Cortex-M flash base without a plausible vector table.
#[test]
fn risky_images_need_a_confirmation() {
    let f4 = info("stm32f4");
    let risky = |data: Vec<u8>| FitView::new(&f4, &parse(&dfuse_of(0, 0x0800_0000, data)));
    let mut reset_even = program(0x0800_0000, 4096);
    reset_even[4..8].copy_from_slice(&0x0800_0100u32.to_le_bytes());
    let mut reset_outside = program(0x0800_0000, 4096);
    reset_outside[4..8].copy_from_slice(&0x0810_0001u32.to_le_bytes());
    let mut stack_in_flash = program(0x0800_0000, 4096);
    stack_in_flash[..4].copy_from_slice(&0x0800_1000u32.to_le_bytes());
    let mut stack_unaligned = program(0x0800_0000, 4096);
    stack_unaligned[..4].copy_from_slice(&0x2000_0FFEu32.to_le_bytes());
    for (what, data, says) in [
        ("zeros", vec![0u8; 4096], "0x00000000"),
        ("erased", vec![0xFF; 4096], "0xffffffff"),
        ("even reset", reset_even, "0x08000100"),
        ("reset outside", reset_outside, "0x08100001"),
        ("stack in flash", stack_in_flash, "0x08001000"),
        ("stack unaligned", stack_unaligned, "0x20000ffe"),
        (
            "too short",
            vec![0x00, 0x00, 0x02, 0x20],
            "fewer than 8 bytes",
        ),
    ] {
        let v = risky(data);
        assert_eq!(v.stage, Stage::Confirm, "{what}: {v:?}");
        assert!(!v.ok && v.can_force, "{what}: {v:?}");
        assert!(
            v.risks[0].starts_with("This does not look like a program for this device"),
            "{what}: {v:?}"
        );
        assert!(v.risks[0].contains(says), "{what}: {v:?}");
    }
    // Programs that are fine: stack in core-coupled RAM, the top of SRAM, linked for the
    // boot alias at 0, an image written past the flash base (the vector table stays).
    let mut ccm = program(0x0800_0000, 4096);
    ccm[..4].copy_from_slice(&0x1001_0000u32.to_le_bytes());
    let mut top = program(0x0800_0000, 4096);
    top[..4].copy_from_slice(&0x4000_0000u32.to_le_bytes());
    let alias = program(0, 4096);
    for (what, data) in [("ccm", ccm), ("top of sram", top), ("alias", alias)] {
        let v = risky(data);
        assert_eq!(v.stage, Stage::Fits, "{what}: {v:?}");
    }
    let past = FitView::new(&f4, &parse(&dfuse_of(0, 0x0800_4000, vec![0; 4096])));
    assert_eq!(past.stage, Stage::Fits, "{past:?}");
    // A plain image is placed at the flash base: checked the same way.
    let raw_zeros = FitView::new(&f4, &parse(&[0u8; 4096]));
    assert_eq!(raw_zeros.stage, Stage::Confirm, "{raw_zeros:?}");
    assert_eq!(
        FitView::new(&f4, &parse(&program(0x0800_0000, 4096))).stage,
        Stage::Fits
    );
    // Not Cortex-M: the GD32VF103 is RISC-V, whose images start differently.
    let gd = info("gd32vf103");
    let jumps = [0x6f, 0x00, 0x40, 0x0a].repeat(1024);
    let t = [Target {
        alt: 0,
        name: None,
        elements: vec![Element {
            address: 0x0800_0000,
            data: jumps,
        }],
    }];
    let riscv = FitView::new(
        &gd,
        &parse(&dfuse::write(
            &t,
            0xFFFF,
            0xFFFF,
            0xFFFF,
            dfuse::ImageSize::WithoutSuffix,
        )),
    );
    assert_eq!(riscv.stage, Stage::Fits, "{riscv:?}");

    // Tiny plain images, on any device.
    for profile in ["dfu11-dfumode", "dfu11-runtime", "stm32f4"] {
        let mut tiny = program(0x0800_0000, 200);
        tiny.truncate(200);
        let v = FitView::new(&info(profile), &parse(&tiny));
        assert_eq!(v.stage, Stage::Confirm, "{profile}: {v:?}");
        assert!(
            v.risks.iter().any(|r| r.contains("only 200 bytes")),
            "{profile}: {v:?}"
        );
        let v = FitView::new(&info(profile), &parse(&program(0x0800_0000, 256)));
        assert!(v.ok, "{profile}: 256 bytes are not tiny: {v:?}");
    }
}

#[test]
fn access_problems_give_the_remedy_for_the_users_platform() {
    let e = FlashError::Transfer(TransferError::new(
        TransferErrorKind::AccessDenied,
        "Unable to claim interface.",
    ));
    let linux = ui::problem_for(&e, Platform::Linux, Some((0x0483, 0xDF11)));
    assert_eq!(linux.kind, ui::ProblemKind::AccessDenied);
    let code: Vec<&String> = linux
        .details
        .iter()
        .filter_map(|d| match d {
            Detail::Code(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(code, vec!["SUBSYSTEM==\"usb\", ATTRS{idVendor}==\"0483\", ATTRS{idProduct}==\"df11\", TAG+=\"uaccess\""]);
    let text = |p: &ui::Problem| format!("{:?}", p.details);
    let windows = ui::problem_for(&e, Platform::Windows, None);
    assert!(text(&windows).contains("WinUSB") && !text(&windows).contains("udev"));
    assert!(
        text(&windows).contains("Unable to claim interface."),
        "keeps the browser's message"
    );
    assert!(text(&ui::problem_for(&e, Platform::Mac, None)).contains("Another program"));
    let gone = FlashError::Transfer(TransferError::new(TransferErrorKind::Disconnected, "x"));
    assert!(text(&ui::problem_for(&gone, Platform::Linux, None)).contains("stays in update mode"));
}

#[test]
fn platform_from_user_agent() {
    let cases = [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131",
            Platform::Windows,
        ),
        (
            "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) Chrome/131",
            Platform::ChromeOs,
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/131 Mobile",
            Platform::Android,
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Chrome/131",
            Platform::Mac,
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) Chrome/131",
            Platform::Linux,
        ),
    ];
    for (ua, p) in cases {
        assert_eq!(Platform::from_user_agent(ua), p, "{ua}");
    }
}

#[test]
fn untrusted_device_text_is_cleaned_but_kept_as_text() {
    let s = ui::clean("<img src=x onerror=alert(1)>\u{7}\n");
    assert_eq!(s, "<img src=x onerror=alert(1)>");
    let long = "A".repeat(300);
    assert_eq!(ui::clean(&long).chars().count(), 80);
}

/// Progress lines of a whole update on the simulator: byte counts where bytes move
/// (erase, write, check), none for the steps (detach, manifest, restart).
#[test]
fn progress_is_one_measure_for_the_whole_job() {
    use dfu_flasher::core::Phase;
    use dfu_flasher::driver::{flash, FlashImage, FlashOptions};
    for profile in ["dfu11-runtime", "stm32f4"] {
        let mut t = SimTransport::new(SimDevice::new(Profile::by_name(profile).expect("profile")));
        let mut views: Vec<ui::ProgressView> = Vec::new();
        let opts = FlashOptions {
            verify: true,
            restart: true,
            ..FlashOptions::default()
        };
        let image = FlashImage::Raw(program(0x0800_0000, 200_000));
        block_on(flash(&mut t, &image, opts, &mut |r| {
            views.push(ui::ProgressView::new(r));
        }))
        .expect("completes")
        .expect("flashes");
        let phases: Vec<Phase> = views.iter().filter_map(|v| v.phase).collect();
        assert!(phases.contains(&Phase::Write), "{profile}");
        assert!(phases.contains(&Phase::Verify), "{profile}");
        let mut last = 0.0;
        let mut last_eta: Option<(Phase, f64)> = None;
        let mut etas = 0;
        for v in &views {
            // The sentence's percentage is the bar's, and it only grows over the job.
            let whole = v.percent.round_ties_even() as u32;
            assert!(
                v.text.contains(&format!("{whole}%")),
                "{profile}: {} vs {}",
                v.text,
                v.percent
            );
            assert!(
                v.percent + 1e-9 >= last,
                "{profile}: {} after {last}",
                v.percent
            );
            last = v.percent;
            // No byte count of one step next to the job's percentage.
            assert!(!v.text.contains(" of "), "{profile}: {}", v.text);
            // The time left does not start again when a phase begins.
            if let (Some(eta), Some(phase)) = (v.eta_ms, v.phase) {
                etas += 1;
                if let Some((p, before)) = last_eta {
                    if p != phase {
                        assert!(
                            eta <= before * 1.5 + 1000.0,
                            "{profile}: {phase:?} starts with {eta} ms left after {before} ms"
                        );
                    }
                }
                last_eta = Some((phase, eta));
                // Under a second: no countdown of "about 1 s".
                assert_eq!(
                    v.text.contains("left"),
                    eta >= 1000.0,
                    "{profile}: {}",
                    v.text
                );
            }
        }
        assert!(
            etas > 10,
            "{profile}: the time left is shown ({etas} lines)"
        );
        assert!(last >= 99.0, "{profile}: ends at {last}");
    }
}

/// Sizes as the page shows them, against Rust's own float formatting (the spec the
/// integer version must match): whole units bare, else one decimal rounded half to even.
#[test]
fn sizes_match_float_formatting() {
    let float = |bytes: u64| {
        let units = ["bytes", "KiB", "MiB", "GiB"];
        let mut v = bytes as f64;
        let mut u = 0;
        while v >= 1024.0 && u < 3 {
            v /= 1024.0;
            u += 1;
        }
        if u == 0 {
            format!("{bytes} bytes")
        } else if v.fract() == 0.0 {
            format!("{v:.0} {}", units[u])
        } else {
            format!("{v:.1} {}", units[u])
        }
    };
    let mut cases: Vec<u64> = vec![
        0,
        1,
        1023,
        1024,
        1025,
        1280,
        1536,
        60_000,
        300_000,
        1 << 20,
        (1 << 20) + 1,
        5 << 30,
        u64::from(u32::MAX),
    ];
    let mut x: u64 = 0x9E37_79B9;
    for _ in 0..20_000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        cases.push((x >> 20) % (8 << 30));
    }
    for b in cases {
        assert_eq!(ui::size(b), float(b), "{b} bytes");
    }
}

/// A failure while backing up is named as a backup failure, with the same details.
#[test]
fn backup_problems_name_the_backup() {
    let e = FlashError::NoDfuMode;
    let update = ui::problem_for(&e, Platform::Linux, None);
    let backup = update.clone().for_backup();
    assert_eq!(update.title, "The update failed");
    assert_eq!(backup.title, "The backup failed");
    assert_eq!(backup.details, update.details);
}

/// The simulator behind a transport with a Cancel button (`press`), and one that the user
/// may cancel in the re-pair step instead of selecting the device (`cancel_repair`).
struct WithCancel {
    sim: SimTransport,
    press: std::rc::Rc<std::cell::Cell<bool>>,
    cancel_repair: bool,
}

impl dfu_flasher::driver::Transport for WithCancel {
    async fn control_in(
        &mut self,
        s: dfu_flasher::core::protocol::Setup,
        t: u32,
    ) -> Result<Vec<u8>, TransferError> {
        self.sim.control_in(s, t).await
    }
    async fn control_out(
        &mut self,
        s: dfu_flasher::core::protocol::Setup,
        d: &[u8],
        t: u32,
    ) -> Result<(), TransferError> {
        self.sim.control_out(s, d, t).await
    }
    async fn reset(&mut self) -> Result<(), TransferError> {
        self.sim.reset().await
    }
    async fn sleep(&mut self, ms: u32) {
        self.sim.sleep(ms).await
    }
    fn now_ms(&self) -> f64 {
        self.sim.now_ms()
    }
    async fn select_alt(&mut self, i: u8, a: u8) -> Result<(), TransferError> {
        self.sim.select_alt(i, a).await
    }
    fn cancelled(&self) -> bool {
        self.press.get()
    }
}

impl dfu_flasher::driver::Reconnect for WithCancel {
    async fn reconnect(&mut self, before: &DeviceInfo) -> Result<(), TransferError> {
        // The device re-enumerates in update mode; the user may press Cancel instead of
        // selecting it.
        self.sim.reconnect(before).await?;
        if self.cancel_repair {
            return Err(TransferError::new(
                TransferErrorKind::Cancelled,
                "cancelled",
            ));
        }
        Ok(())
    }
}

/// Cancel pressed as each phase begins, on a run-time DFU 1.1 device and on an STM32: the
/// message says truly what the device holds, it is left ready (dfuIDLE) where it answers,
/// and the next update succeeds.
#[test]
fn cancel_in_every_phase_says_truly_what_was_left() {
    use dfu_flasher::core::Phase;
    use dfu_flasher::driver::{flash, FlashImage, FlashOptions, Left};
    for profile in ["dfu11-runtime", "stm32f4"] {
        // The phases a whole update goes through on this device.
        let mut seen: Vec<Phase> = Vec::new();
        let data = program(0x0800_0000, 40_000);
        let opts = FlashOptions {
            verify: true,
            restart: true,
            ..FlashOptions::default()
        };
        let mut t = SimTransport::new(SimDevice::new(Profile::by_name(profile).expect("p")));
        block_on(flash(
            &mut t,
            &FlashImage::Raw(data.clone()),
            opts,
            &mut |r| {
                let p = r.progress.current().phase;
                if seen.last() != Some(&p) && !seen.contains(&p) {
                    seen.push(p);
                }
            },
        ))
        .expect("completes")
        .expect("flashes");
        assert!(seen.contains(&Phase::Write), "{profile}: {seen:?}");
        for phase in seen {
            let label = format!("{profile}, cancel in {phase:?}");
            let press = std::rc::Rc::new(std::cell::Cell::new(false));
            let sim = SimTransport::new(SimDevice::new(Profile::by_name(profile).expect("p")));
            let mut t = WithCancel {
                sim,
                press: press.clone(),
                cancel_repair: false,
            };
            let r = block_on(flash(
                &mut t,
                &FlashImage::Raw(data.clone()),
                opts,
                &mut |r| {
                    if r.progress.current().phase == phase {
                        press.set(true);
                    }
                },
            ))
            .expect("completes");
            let written_bytes = t
                .sim
                .device
                .request_counts()
                .get("DNLOAD")
                .copied()
                .unwrap_or(0);
            match r {
                // Pressed during the last steps: the update may finish; that is what it says.
                Ok(_) => assert!(
                    matches!(phase, Phase::Manifest | Phase::Leave),
                    "{label}: finished"
                ),
                Err(e) => {
                    let p = ui::failure_problem(&e, "Widget", Platform::Linux, None);
                    let said = texts(&p);
                    assert_eq!(p.title, "Update cancelled", "{label}: {said}");
                    match phase {
                        // The compare only reads: nothing was changed yet.
                        Phase::Prepare | Phase::Detach | Phase::Compare => {
                            assert!(
                                matches!(e.left, Left::AsItWas | Left::WaitingInUpdateMode),
                                "{label}: {:?}",
                                e.left
                            );
                            if phase == Phase::Compare {
                                // Its Set-Address is a DNLOAD too; what matters is the flash.
                                let m = t.sim.device.read_memory(0, 0x0800_0000, data.len());
                                assert!(m.is_some_and(|m| m.iter().all(|b| *b == 0xFF)), "{label}");
                            } else {
                                assert_eq!(written_bytes, 0, "{label}");
                            }
                            assert!(said.contains("Nothing was written"), "{label}: {said}");
                        }
                        Phase::Erase | Phase::Write => {
                            assert_eq!(e.left, Left::Incomplete, "{label}");
                            assert!(
                                said.contains("incomplete")
                                    && !said.contains("Nothing was written"),
                                "{label}: {said}"
                            );
                        }
                        _ => {
                            assert_eq!(e.left, Left::Written, "{label}");
                            assert!(
                                said.contains("The whole firmware was written"),
                                "{label}: {said}"
                            );
                        }
                    }
                    if t.sim.device.is_attached() && t.sim.device.in_dfu_mode() {
                        assert_eq!(t.sim.device.state(), 2, "{label}: left ready (dfuIDLE)");
                    }
                }
            }
            // The Cancel button is up again: the next update goes through.
            press.set(false);
            t.sim.device.sleep(2000);
            block_on(flash(
                &mut t,
                &FlashImage::Raw(data.clone()),
                opts,
                &mut |_| {},
            ))
            .expect("completes")
            .unwrap_or_else(|e| panic!("{label}: retry: {e}"));
        }
    }
}

fn update(
    t: &mut impl dfu_flasher::driver::Reconnect,
    data: Vec<u8>,
    force: bool,
) -> Result<dfu_flasher::driver::FlashReport, dfu_flasher::driver::FlashFailure> {
    use dfu_flasher::driver::{flash, FlashImage, FlashOptions};
    let opts = FlashOptions {
        verify: true,
        restart: true,
        force,
        ..FlashOptions::default()
    };
    block_on(flash(t, &FlashImage::Raw(data), opts, &mut |_| {})).expect("completes")
}

fn texts(p: &ui::Problem) -> String {
    p.details
        .iter()
        .map(|d| match d {
            Detail::Text(t) | Detail::Code(t) => t.as_str(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Cancelling while the page waits for the user to select the device in update mode:
/// nothing was written, and the message says where the device is and how to get it back.
#[test]
fn cancel_during_the_re_pair_wait_says_truly_that_nothing_was_written() {
    use dfu_flasher::driver::{FlashError, Left};
    let sim = SimTransport::new(SimDevice::new(
        Profile::by_name("dfu11-runtime").expect("p"),
    ));
    let mut t = WithCancel {
        sim,
        press: Default::default(),
        cancel_repair: true,
    };
    let e = update(&mut t, program(0, 20_000), false).expect_err("cancelled");
    assert_eq!(e.error, FlashError::Cancelled);
    assert_eq!(e.left, Left::WaitingInUpdateMode);
    assert!(
        t.sim.device.in_dfu_mode(),
        "the simulator is in update mode"
    );
    assert_eq!(
        t.sim.device.request_counts().get("DNLOAD"),
        None,
        "nothing was written"
    );
    let p = ui::failure_problem(&e, "Demo Widget", Platform::Linux, None);
    assert_eq!(p.title, "Update cancelled");
    let said = texts(&p);
    assert!(said.contains("Nothing was written"), "{said}");
    assert!(said.contains("waiting in update mode"), "{said}");
    assert!(said.contains("unplug it and plug it back in"), "{said}");
    assert!(!said.contains("incomplete"), "{said}");
}

/// A file larger than a DFU 1.1 device's memory: the device refuses the rest with
/// errADDRESS. The message says so, with both sizes, and not "try again".
#[test]
fn a_file_too_large_for_the_device_is_said_as_such() {
    use dfu_flasher::driver::Left;
    let mut t = SimTransport::new(SimDevice::new(
        Profile::by_name("dfu11-dfumode").expect("p"),
    ));
    let e = update(&mut t, program(0, 293 << 10), false).expect_err("too large");
    assert_eq!(e.left, Left::Incomplete);
    assert_eq!(e.total, 293 << 10);
    assert_eq!(e.written, 256 << 10, "the simulator takes 256 KiB");
    let p = ui::failure_problem(&e, "Demo Widget", Platform::Linux, None);
    assert_eq!(p.title, "The file is larger than this device's memory");
    let said = texts(&p);
    assert!(
        said.contains("256 KiB") && said.contains("293 KiB"),
        "{said}"
    );
    assert!(said.contains("made for another model"), "{said}");
    assert!(said.contains("cannot help"), "{said}");
    assert!(!said.contains("Try again."), "{said}");
    // What it learned: the next check of a file that large refuses it before writing.
    assert_eq!(e.learned_capacity(), Some(256 << 10));
    let mut d = info("dfu11-dfumode");
    d.learned_capacity = e.learned_capacity();
    let v = FitView::new(&d, &parse(&program(0, 293 << 10)));
    assert_eq!(v.stage, Stage::Refused, "{v:?}");
    assert!(
        v.problems[0].contains("took 256 KiB and refused the rest"),
        "{v:?}"
    );
    assert!(FitView::new(&d, &parse(&program(0, 200 << 10))).ok);
    // Other failures teach nothing about the size.
    let mut t = SimTransport::new(SimDevice::new(
        Profile::by_name("dfu11-dfumode").expect("p"),
    ));
    t.device.add_fault(dfu_flasher::sim::Fault {
        trigger: dfu_flasher::sim::Trigger::Block(3),
        effect: dfu_flasher::sim::Effect::ErrorStatus(0x06),
    });
    let e = update(&mut t, program(0, 20 << 10), false).expect_err("errPROG");
    assert_eq!(e.learned_capacity(), None);
}

/// A release mismatch names the release, both values, in one format.
#[test]
fn a_release_mismatch_names_both_releases() {
    let dfu = info("dfu11-dfumode");
    let body = program(0, 4096);
    let other_release = parse(&suffix::append(
        &body,
        dfu.vendor_id,
        dfu.product_id,
        0x0200,
        0x0100,
    ));
    let v = FitView::new(&dfu, &other_release);
    assert_eq!(v.stage, Stage::Confirm, "{v:?}");
    let release = file::release(dfu.device_version);
    assert!(
        v.risks[0].contains("release 2.00 of this device")
            && v.risks[0].contains(&format!("this device is release {release}")),
        "{v:?}"
    );
    assert_eq!(file::release(0x0100), "1.00");
    assert_eq!(file::release(0x0213), "2.13");
    assert_eq!(file::release(0x1234), "12.34");
    assert_eq!(file::release(0x00AB), "0x00ab");
    // The file panel says it the same way.
    let view = ui::FirmwareView::new(&other_release, "w.dfu", 4112);
    assert!(
        view.facts.iter().any(|(_, v)| v.contains("release 2.00")),
        "{view:?}"
    );
    // Refused after detaching for the same reason: the message says what differs and that
    // the device now waits in update mode.
    let mut t = SimTransport::new(SimDevice::new(
        Profile::by_name("dfu11-runtime").expect("p"),
    ));
    let mut data = body.clone();
    data = suffix::append(&data, 0x1209, 0x2302, 0x0900, 0x0100);
    let f = parse(&data);
    let opts = dfu_flasher::driver::FlashOptions {
        suffix: f.suffix_ids(),
        restart: true,
        ..Default::default()
    };
    let img = dfu_flasher::driver::FlashImage::from(&f);
    let e = block_on(dfu_flasher::driver::flash(&mut t, &img, opts, &mut |_| {}))
        .expect("completes")
        .expect_err("wrong release");
    let p = ui::failure_problem(&e, "Demo Widget", Platform::Linux, None);
    let said = texts(&p);
    assert!(said.contains("release 9.00 of this device"), "{said}");
    assert!(said.contains("waiting in update mode"), "{said}");
}

/// The page's verdict and the update agree, for every pairing of devices, files and
/// placements below: what the verdict calls a fit is written without a question; what it
/// asks to confirm is refused without the confirmation and written with it; what it refuses
/// is never written, confirmation or not. (The verdict once checked alt 0 while the update
/// wrote the alt the caller chose.)
#[test]
fn the_verdict_and_the_update_agree() {
    use dfu_flasher::core::fit::Placement;
    use dfu_flasher::driver::{flash, FlashImage, FlashOptions};
    let program_at = |base: u32, len: usize| program(base, len);
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("program", program_at(0x0800_0000, 4096)),
        ("zeros", vec![0; 4096]),
        ("tiny", program_at(0x0800_0000, 200)),
        ("dfuse at the base", dfuse_file(0, 0x0800_0000, 4096)),
        ("dfuse past flash", dfuse_file(0, 0x080F_F000, 8192)),
        ("dfuse to alt 7", dfuse_file(7, 0x0800_0000, 4096)),
        (
            "dfuse to the OTP area",
            dfuse_of(2, 0x1FFF_7800, vec![0x11; 32]),
        ),
        (
            "other maker",
            suffix::append(
                &program_at(0x0800_0000, 4096),
                0x1D50,
                0x6017,
                0xFFFF,
                0x0100,
            ),
        ),
        (
            "other model",
            suffix::append(
                &program_at(0x0800_0000, 4096),
                0x0483,
                0xDF12,
                0xFFFF,
                0x0100,
            ),
        ),
        (
            "other release",
            suffix::append(&program_at(0, 4096), 0x1209, 0x2302, 0x0900, 0x0100),
        ),
        ("too large", program_at(0x0800_0000, 300 << 10)),
    ];
    let placements = [
        Placement::default(),
        Placement {
            alt: 1,
            address: None,
        },
        Placement {
            alt: 2,
            address: Some(0x1FFF_7800),
        },
        Placement {
            alt: 5,
            address: None,
        },
        Placement {
            alt: 0,
            address: Some(0x0800_4000),
        },
    ];
    let mut seen = std::collections::BTreeMap::new();
    for profile in ["stm32f4", "dfu11-dfumode", "dfu11-noupload", "gd32vf103"] {
        for (what, bytes) in &files {
            let f = parse(bytes);
            for place in placements {
                let label = format!("{profile}, {what}, {place:?}");
                let v = FitView::placed(&info(profile), &f, place);
                let runtime = info(profile).mode == dfu_flasher::core::descriptor::Mode::Runtime;
                *seen.entry(format!("{:?}", v.stage)).or_insert(0) += 1;
                let run = |force: bool| {
                    let mut t =
                        SimTransport::new(SimDevice::new(Profile::by_name(profile).expect("p")));
                    let opts = FlashOptions {
                        alt: place.alt,
                        address: place.address,
                        verify: v.can_verify,
                        restart: false,
                        suffix: f.suffix_ids(),
                        force,
                        ..FlashOptions::default()
                    };
                    let r = block_on(flash(&mut t, &FlashImage::from(&f), opts, &mut |_| {}))
                        .expect("completes");
                    let dnloads = t
                        .device
                        .request_counts()
                        .get("DNLOAD")
                        .copied()
                        .unwrap_or(0);
                    (r, dnloads)
                };
                match v.stage {
                    Stage::Fits => {
                        let (r, _) = run(false);
                        // The one thing no host can know beforehand: the size of a plain
                        // DFU 1.1 device's memory, which it tells by refusing the rest
                        // (and which the next verdict then knows).
                        let unknowable = r.as_ref().err().and_then(|e| e.learned_capacity());
                        assert!(
                            r.is_ok()
                                || (unknowable.is_some()
                                    && info(profile).version
                                        == dfu_flasher::core::descriptor::DfuVersion::Dfu11),
                            "{label}: called a fit, but {:?}",
                            r.err()
                        );
                    }
                    Stage::Confirm => {
                        let (r, n) = run(false);
                        assert!(
                            r.is_err() && n == 0,
                            "{label}: written without the confirmation"
                        );
                        let (r, n) = run(true);
                        // A run-time device may still be refused once in update mode, before
                        // anything is written.
                        let later = runtime
                            && r.as_ref().is_err_and(|e| {
                                e.left == dfu_flasher::driver::Left::WaitingInUpdateMode && n == 0
                            });
                        assert!(r.is_ok() || later, "{label}: confirmed, but {:?}", r.err());
                    }
                    Stage::Refused => {
                        let (r, n) = run(true);
                        assert!(
                            r.is_err() && n == 0,
                            "{label}: refused, but written ({n} DNLOADs)"
                        );
                    }
                    // A run-time device: checked again in update mode, where the update
                    // either goes through or stops with nothing written.
                    Stage::Provisional => {
                        let (r, n) = run(false);
                        // Unknowable beforehand: the memory size of a plain DFU 1.1 device.
                        if let Some(e) = r.as_ref().err().filter(|e| e.learned_capacity().is_none())
                        {
                            assert_eq!(
                                e.left,
                                dfu_flasher::driver::Left::WaitingInUpdateMode,
                                "{label}: {e:?}"
                            );
                            assert_eq!(n, 0, "{label}: written");
                        }
                    }
                }
            }
        }
    }
    // The table exercises every verdict.
    assert_eq!(seen.len(), 4, "{seen:?}");
}

/// The re-pair step names the device as the page shows it (cleaned, never shouted), filters
/// the chooser by its vendor, and tells the page which chooser to offer.
#[test]
fn the_re_pair_request_names_the_device_and_its_chooser() {
    let before = info("stm32f4");
    let shown = ui::clean(&ui::device_name(&before));
    for (chooser, demo) in [(ui::Chooser::Browser, false), (ui::Chooser::Demo, true)] {
        let r = ui::RepairView::new(&before, chooser);
        assert_eq!(r.demo, demo);
        assert_eq!(r.vendor_id, 0x0483);
        assert!(
            r.message
                .starts_with(&format!("{shown} restarted in update mode")),
            "{}",
            r.message
        );
        assert_eq!(r.button_label, format!("Select {shown} in update mode"));
    }
}
