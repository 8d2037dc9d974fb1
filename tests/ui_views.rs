//! What the page says, decided in Rust: the fit verdict for file/device pairs, errors
//! with platform remedies, and progress lines. Devices come from the simulator.

use dfu_flasher::core::file::{self, dfuse, suffix, Element, ParseOptions, Target};
use dfu_flasher::driver::sim::SimTransport;
use dfu_flasher::driver::{
    block_on, describe, DeviceInfo, FlashError, TransferError, TransferErrorKind,
};
use dfu_flasher::sim::{Profile, SimDevice};
use dfu_flasher::ui::{self, Detail, FitView, Platform};

fn info(profile: &str) -> DeviceInfo {
    let mut t = SimTransport::new(SimDevice::new(Profile::by_name(profile).expect("profile")));
    block_on(describe(&mut t))
        .expect("completes")
        .expect("describes")
}

fn parse(b: &[u8]) -> file::FirmwareFile {
    file::parse(b, &ParseOptions::default()).expect("valid")
}

fn dfuse_file(alt: u8, address: u32, len: usize) -> Vec<u8> {
    let t = vec![Target {
        alt,
        name: None,
        elements: vec![Element {
            address,
            data: vec![0; len],
        }],
    }];
    dfuse::write(&t, 0x0483, 0xDF11, 0xFFFF, dfuse::ImageSize::WithoutSuffix)
}

#[test]
fn fit_verdicts_for_file_and_device_pairs() {
    let f4 = info("stm32f4");
    let ok = FitView::new(&f4, &parse(&dfuse_file(0, 0x0800_0000, 4096)));
    assert!(ok.ok && ok.problems.is_empty(), "{ok:?}");
    assert!(ok.can_verify);

    let outside = FitView::new(&f4, &parse(&dfuse_file(0, 0x080F_F000, 8192)));
    assert!(
        !outside.ok && !outside.can_force,
        "writing past flash is never forced"
    );
    assert!(
        outside.problems[0].contains("outside the writable memory"),
        "{outside:?}"
    );

    let no_alt = FitView::new(&f4, &parse(&dfuse_file(7, 0x0800_0000, 16)));
    assert!(no_alt.problems[0].contains("memory area 7"), "{no_alt:?}");

    // Same vendor, other product: may be forced. Other vendor: may not.
    let other_pid = parse(&suffix::append(&[1; 64], 0x0483, 0xDF12, 0xFFFF, 0x0100));
    let v = FitView::new(&f4, &other_pid);
    assert!(!v.ok && v.can_force, "{v:?}");
    let other_vendor = parse(&suffix::append(&[1; 64], 0x1D50, 0x6017, 0xFFFF, 0x0100));
    let v = FitView::new(&f4, &other_vendor);
    assert!(!v.ok && !v.can_force, "{v:?}");
    assert!(v.problems[0].contains("1d50:6017"), "{v:?}");

    // A DfuSe file cannot go to a plain DFU 1.1 device.
    let plain = info("dfu11-dfumode");
    let v = FitView::new(&plain, &parse(&dfuse_file(0, 0x0800_0000, 16)));
    assert!(!v.ok && !v.can_force, "{v:?}");

    // A run-time device: the DFU-mode id is not known yet, so it is checked later.
    let rt = info("dfu11-runtime");
    let for_dfu_mode = parse(&suffix::append(&[1; 64], 0x1209, 0x2302, 0xFFFF, 0x0100));
    let v = FitView::new(&rt, &for_dfu_mode);
    assert!(v.ok && !v.warnings.is_empty(), "{v:?}");

    // A device without upload cannot verify.
    let v = FitView::new(&info("dfu11-noupload"), &parse(&[1; 10]));
    assert!(v.ok && !v.can_verify);
}

#[test]
fn access_problems_give_the_remedy_for_the_users_platform() {
    let e = FlashError::Transfer(TransferError::new(
        TransferErrorKind::AccessDenied,
        "Unable to claim interface.",
    ));
    let linux = ui::problem_for(&e, Platform::Linux, Some((0x0483, 0xDF11)));
    assert_eq!(linux.kind, "access-denied");
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
fn progress_lines_count_bytes_only_where_bytes_move() {
    use dfu_flasher::core::Phase;
    use dfu_flasher::driver::{flash, FlashImage, FlashOptions};
    for profile in ["dfu11-runtime", "stm32f4"] {
        let mut t = SimTransport::new(SimDevice::new(Profile::by_name(profile).expect("profile")));
        let mut lines: Vec<(Phase, String)> = Vec::new();
        let opts = FlashOptions {
            verify: true,
            restart: true,
            ..FlashOptions::default()
        };
        let image = FlashImage::Raw((0..20_000u32).map(|i| (i * 7) as u8).collect());
        block_on(flash(&mut t, &image, opts, &mut |r| {
            lines.push((r.progress.current().phase, ui::ProgressView::new(r).text));
        }))
        .expect("completes")
        .expect("flashes");
        let phases: Vec<Phase> = lines.iter().map(|(p, _)| *p).collect();
        assert!(phases.contains(&Phase::Write), "{profile}: {lines:?}");
        for (phase, text) in &lines {
            let counts = text.contains(" of ") || text.contains("so far");
            match phase {
                Phase::Write | Phase::Verify => {
                    assert!(counts, "{profile}: {phase:?} line without counts: {text}")
                }
                Phase::Detach | Phase::Manifest | Phase::Leave | Phase::Prepare => {
                    assert!(
                        !counts,
                        "{profile}: {phase:?} line with byte counts: {text}"
                    )
                }
                _ => {}
            }
        }
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
