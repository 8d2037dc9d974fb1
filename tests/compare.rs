//! Updates that skip what the device already holds (DfuSe): the compare reads back every
//! sector the image touches, and only the sectors that differ from what a full update
//! would leave are erased, written and verified. Checked against the simulator, whose
//! flash refuses to program a byte that is not erased, and against a full update of the
//! same image onto the same device contents.

mod common;

use dfu_flasher::core::compare::{self, NoCompare};
use dfu_flasher::core::descriptor::Attributes;
use dfu_flasher::core::memmap::MemoryMap;
use dfu_flasher::core::quirks::Quirks;
use dfu_flasher::core::{Compared, DfuseOptions, Phase, Target};
use dfu_flasher::driver::sim::SimTransport;
use dfu_flasher::driver::{self, block_on, FlashImage, FlashOptions, FlashReport, FlashTarget};
use dfu_flasher::sim::{Effect, Fault, Profile, SimDevice, Trigger};
use proptest::prelude::*;

const BASE: u32 = 0x0800_0000;
/// The STM32F4's sectors: 4 × 16 KiB, 64 KiB, 7 × 128 KiB.
const F4_MAP: &str = "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg";

fn device() -> SimTransport {
    SimTransport::new(SimDevice::new(
        Profile::by_name("stm32f4").expect("profile"),
    ))
}

fn program(len: usize, seed: u8) -> Vec<u8> {
    let mut v: Vec<u8> = (0..len)
        .map(|i| (i as u8).wrapping_mul(29).wrapping_add(seed) ^ (i >> 9) as u8)
        .collect();
    v[..8].copy_from_slice(&[0x00, 0x00, 0x02, 0x20, 0x01, 0x01, 0x00, 0x08]);
    v
}

fn at(elements: Vec<(u32, Vec<u8>)>) -> FlashImage {
    FlashImage::Targets(vec![FlashTarget { alt: 0, elements }])
}

fn opts(full: bool) -> FlashOptions {
    FlashOptions {
        verify: true,
        restart: false,
        force: true,
        full,
        ..FlashOptions::default()
    }
}

/// Flash and return the report with the names of the requests the device saw.
fn flash(t: &mut SimTransport, img: &FlashImage, o: FlashOptions) -> FlashReport {
    let mut phases = Vec::new();
    let r = block_on(driver::flash(t, img, o, &mut |p| {
        let ph = p.progress.current().phase;
        if phases.last() != Some(&ph) {
            phases.push(ph);
        }
    }))
    .expect("the simulator never blocks")
    .unwrap_or_else(|e| panic!("flash failed: {:?}", e.error));
    assert!(
        t.device.violations().is_empty(),
        "{:?}",
        t.device.violations()
    );
    r
}

/// Erase commands and data blocks the device received since `from` in its transcript.
fn erases_and_blocks(t: &SimTransport, from: usize) -> (usize, usize) {
    let log = &t.device.transcript()[from..];
    let erases = log
        .iter()
        .filter(|e| e.name == "DNLOAD" && e.setup.value == 0 && e.first_byte == Some(0x41))
        .count();
    let blocks = log
        .iter()
        .filter(|e| e.name == "DNLOAD" && e.setup.value >= 2 && e.data_len > 0)
        .count();
    (erases, blocks)
}

fn memory(t: &SimTransport, len: usize) -> Vec<u8> {
    t.device.read_memory(0, BASE, len).expect("memory")
}

#[test]
fn reinstalling_the_same_image_erases_and_writes_nothing_and_counts_as_verified() {
    let mut t = device();
    let img = FlashImage::Raw(program(200_000, 1));
    let first = flash(&mut t, &img, opts(false));
    // One Set-Address for the compare's read of the six contiguous sectors, one for the
    // write of all of them as one range, two for the verify (full blocks, then the tail).
    let set_addresses = t
        .device
        .transcript()
        .iter()
        .filter(|e| e.name == "DNLOAD" && e.setup.value == 0 && e.first_byte == Some(0x21))
        .count();
    assert_eq!(set_addresses, 4);
    let c = first.compared.expect("compared");
    // 200 000 bytes touch sectors 0–3 (16 KiB), 4 (64 KiB) and 5 (128 KiB): blank, all differ.
    assert_eq!(
        (c.sectors, c.same, c.write_bytes),
        (6, 0, 4 * 16384 + 65536 + 131072)
    );
    assert_eq!(first.written, 200_000);
    let before = t.device.transcript().len();
    let t0 = t.device.device_time_us();
    let again = flash(&mut t, &img, opts(false));
    let c = again.compared.expect("compared");
    assert_eq!((c.sectors, c.same, c.write_bytes), (6, 6, 0));
    assert_eq!(c.same_bytes, 4 * 16384 + 65536 + 131072);
    assert_eq!(again.written, 0);
    assert!(again.verified, "the compare read it all back");
    assert_eq!(erases_and_blocks(&t, before), (0, 0));
    // No erase, no programming: the device was busy only for the reads' Set-Address
    // commands (1 ms each), where the first update took seconds.
    assert!(
        t.device.device_time_us() - t0 <= 10_000,
        "{} µs",
        t.device.device_time_us() - t0
    );
    assert_eq!(memory(&t, 200_000), program(200_000, 1));
}

#[test]
fn one_changed_sector_is_the_only_one_erased_and_written() {
    let mut t = device();
    let old = program(98_304, 3); // sectors 0–3 and half of 4
    flash(&mut t, &FlashImage::Raw(old.clone()), opts(false));
    let mut new = old.clone();
    new[20_000] ^= 0x55; // in sector 1 (0x08004000..0x08008000)
    let before = t.device.transcript().len();
    let r = flash(&mut t, &FlashImage::Raw(new.clone()), opts(false));
    let c = r.compared.expect("compared");
    assert_eq!((c.sectors, c.same, c.write_bytes), (5, 4, 16384));
    assert_eq!(r.written, 16384);
    assert_eq!(erases_and_blocks(&t, before), (1, 8));
    assert!(r.verified);
    assert_eq!(memory(&t, new.len()), new);
}

#[test]
fn a_partly_covered_sector_with_stray_bytes_is_erased_as_a_full_update_would() {
    // The image covers the first 1000 bytes of sector 2; the rest of that sector holds
    // an old firmware's bytes, which a full update erases.
    let mut t = device();
    let img = at(vec![(BASE + 0x8000, program(1000, 7))]);
    assert!(t.device.poke_memory(0, BASE + 0x8000, &program(1000, 7)));
    assert!(t.device.poke_memory(0, BASE + 0x8000 + 5000, &[0x12, 0x34]));
    let r = flash(&mut t, &img, opts(false));
    assert_eq!(r.compared.map(|c| (c.sectors, c.same)), Some((1, 0)));
    assert_eq!(
        r.compared.map(|c| (c.image_same, c.image_bytes)),
        Some((0, 1000))
    );
    let mut want = program(1000, 7);
    want.resize(16384, 0xFF);
    assert_eq!(
        t.device.read_memory(0, BASE + 0x8000, 16384),
        Some(want.clone())
    );
    // The same, now that it is right: nothing to do.
    let r = flash(&mut t, &img, opts(false));
    assert_eq!(r.compared.map(|c| (c.sectors, c.same)), Some((1, 1)));
    assert_eq!(t.device.read_memory(0, BASE + 0x8000, 16384), Some(want));
}

#[test]
fn full_and_mass_erase_write_everything_and_say_why() {
    let mut t = device();
    let img = FlashImage::Raw(program(40_000, 2));
    flash(&mut t, &img, opts(false));
    let before = t.device.transcript().len();
    let r = flash(&mut t, &img, opts(true));
    assert_eq!(r.compared, None);
    assert_eq!(r.no_compare, Some(NoCompare::Off));
    assert_eq!(r.written, 40_000);
    assert_eq!(erases_and_blocks(&t, before), (3, 20));
    let mass = FlashOptions {
        mass_erase: true,
        ..opts(false)
    };
    let r = flash(&mut t, &img, mass);
    assert_eq!(
        (r.compared, r.no_compare),
        (None, Some(NoCompare::MassErase))
    );
    assert_eq!(r.written, 40_000);
}

fn target(can_upload: bool) -> Target {
    Target {
        interface: 0,
        transfer_size: 2048,
        attributes: Attributes {
            can_download: true,
            can_upload,
            manifestation_tolerant: true,
            will_detach: false,
            accelerated: false,
        },
        dfuse: true,
        quirks: Quirks::default(),
    }
}

#[test]
fn compare_is_only_done_where_it_is_safe() {
    let on = DfuseOptions {
        compare: true,
        verify: true,
        ..DfuseOptions::default()
    };
    let f4 = MemoryMap::parse(F4_MAP).expect("map");
    let image = [(BASE, 5000u64)];
    assert_eq!(compare::blocked(target(true), &f4, &image, on), None);
    assert_eq!(
        compare::blocked(target(false), &f4, &image, on),
        Some(NoCompare::CannotRead)
    );
    let broken = Target {
        quirks: Quirks {
            broken_upload: true,
            ..Quirks::default()
        },
        ..target(true)
    };
    assert_eq!(
        compare::blocked(broken, &f4, &image, on),
        Some(NoCompare::CannotRead)
    );
    // Read-protected sectors (erasable and writable, not readable: type f).
    let hidden = MemoryMap::parse("@Flash /0x08000000/02*016Kg,02*016Kf").expect("map");
    assert_eq!(
        compare::blocked(target(true), &hidden, &[(BASE, 16384)], on),
        None
    );
    assert_eq!(
        compare::blocked(target(true), &hidden, &[(BASE, 40_000)], on),
        Some(NoCompare::NotReadable {
            address: BASE + 0x8000
        })
    );
    // Option bytes: written, never erased sector by sector (type e).
    let options = MemoryMap::parse("@Option Bytes  /0x1FFFC000/01*016 e").expect("map");
    assert_eq!(
        compare::blocked(target(true), &options, &[(0x1FFF_C000, 16)], on),
        Some(NoCompare::NotErasable {
            address: 0x1FFF_C000
        })
    );
    // Where it stops being erasable sector by sector: the first such byte of the image.
    let mixed = MemoryMap::parse("@Flash /0x08000000/01*016Ke,02*016Kg,01*016Ke").expect("map");
    let erasable_from = |spans: &[(u32, u64)]| compare::blocked(target(true), &mixed, spans, on);
    assert_eq!(
        erasable_from(&[(BASE + 0x4000 + 100, 0x8000)]),
        Some(NoCompare::NotErasable {
            address: BASE + 0xC000
        })
    );
    assert_eq!(
        erasable_from(&[(BASE + 0x100, 0x4000)]),
        Some(NoCompare::NotErasable {
            address: BASE + 0x100
        })
    );
    assert_eq!(erasable_from(&[(BASE + 0x4000, 0x8000)]), None);
    // Into memory the map does not describe: from its first byte.
    let gap = MemoryMap::parse("@Flash /0x08000000/02*016Kg").expect("map");
    assert_eq!(
        compare::blocked(target(true), &gap, &[(BASE + 0x7000, 0x2000)], on),
        Some(NoCompare::NotErasable {
            address: BASE + 0x8000
        })
    );
    assert_eq!(
        erasable_from(&[(BASE + 0x4000, 0x8000), (BASE + 0xC010, 4)]),
        Some(NoCompare::NotErasable {
            address: BASE + 0xC010
        })
    );
    let mass = DfuseOptions {
        mass_erase: true,
        ..on
    };
    assert_eq!(
        compare::blocked(target(true), &f4, &image, mass),
        Some(NoCompare::MassErase)
    );
    let off = DfuseOptions {
        compare: false,
        ..on
    };
    assert_eq!(
        compare::blocked(target(true), &f4, &image, off),
        Some(NoCompare::Off)
    );
}

#[test]
fn an_update_cut_off_mid_write_resumes_with_only_the_unfinished_sectors() {
    let img = FlashImage::Raw(program(256 * 1024, 5));
    let mut t = device();
    // The cable slips at a block in sector 5 (0x08020000..): sectors 0–4 are done.
    t.device.add_fault(Fault {
        trigger: Trigger::Address(BASE + 0x2_8000),
        effect: Effect::Disconnect {
            reattach_ms: Some(500),
        },
    });
    let first =
        block_on(driver::flash(&mut t, &img, opts(false), &mut |_| {})).expect("never blocks");
    assert!(first.is_err(), "the fault stops it");
    t.device.sleep(1000);
    let before = t.device.transcript().len();
    let r = flash(&mut t, &img, opts(false));
    let c = r.compared.expect("compared");
    // 256 KiB is sectors 0–5. Sectors 0–4 (128 KiB) are there; only 5 (128 KiB, half
    // written) is erased and written again.
    assert_eq!((c.sectors, c.same, c.same_bytes), (6, 5, 128 * 1024));
    assert_eq!(c.write_bytes, 128 * 1024);
    // In the file's bytes: half of it was there.
    assert_eq!((c.image_same, c.image_bytes), (128 * 1024, 256 * 1024));
    assert_eq!(r.written, 128 * 1024);
    assert_eq!(erases_and_blocks(&t, before), (1, 64));
    assert_eq!(memory(&t, 256 * 1024), program(256 * 1024, 5));
}

#[test]
fn the_progress_has_a_compare_phase_and_says_what_it_found() {
    let mut t = device();
    let img = FlashImage::Raw(program(50_000, 9));
    flash(&mut t, &img, opts(false));
    let mut seen: Vec<Phase> = Vec::new();
    let mut found: Option<Compared> = None;
    let mut fractions = Vec::new();
    block_on(driver::flash(&mut t, &img, opts(false), &mut |p| {
        let ph = p.progress.current().phase;
        if seen.last() != Some(&ph) {
            seen.push(ph);
        }
        if p.progress.compared.is_some() {
            found = p.progress.compared;
        }
        fractions.push(p.progress.fraction());
    }))
    .expect("never blocks")
    .expect("flashes");
    assert_eq!(seen, [Phase::Prepare, Phase::Compare]);
    assert_eq!(found.map(|c| (c.sectors, c.same)), Some((4, 4)));
    assert!(fractions.windows(2).all(|w| w[0] <= w[1]), "{fractions:?}");
    assert_eq!(fractions.last().copied(), Some(1.0));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Whatever the device held, an update that compares first leaves exactly what a
    /// full update leaves.
    #[test]
    fn compare_leaves_the_same_memory_as_a_full_update(
        pieces in proptest::collection::vec((0u32..0x4_0000, 1usize..9000, any::<u8>()), 1..4),
        old in proptest::collection::vec((0u32..0x4_0000, 1usize..40_000, any::<u8>()), 0..4),
        same_as_image in any::<bool>(),
    ) {
        // Non-overlapping elements inside the first 256 KiB.
        let mut elements: Vec<(u32, Vec<u8>)> = Vec::new();
        for (off, len, seed) in pieces {
            let len = len.min(0x4_0000 - off as usize);
            let (a, b) = (BASE + off, BASE + off + len as u32);
            if elements.iter().any(|(s, d)| a < *s + d.len() as u32 && *s < b) {
                continue;
            }
            elements.push((a, program(len.max(8), seed)[..len].to_vec()));
        }
        let img = at(elements.clone());
        let mut full = device();
        let mut cmp = device();
        // The same old contents on both: random bytes, or the image itself (a reinstall).
        for (off, len, seed) in old {
            let len = len.min(0x4_0000 - off as usize);
            let bytes = program(len.max(8), seed)[..len].to_vec();
            full.device.poke_memory(0, BASE + off, &bytes);
            cmp.device.poke_memory(0, BASE + off, &bytes);
        }
        if same_as_image {
            for (a, d) in &elements {
                full.device.poke_memory(0, *a, d);
                cmp.device.poke_memory(0, *a, d);
            }
        }
        let rf = flash(&mut full, &img, opts(true));
        let rc = flash(&mut cmp, &img, opts(false));
        prop_assert!(rc.compared.is_some());
        prop_assert_eq!(memory(&full, 0x4_0000), memory(&cmp, 0x4_0000));
        prop_assert!(rc.written <= rf.written);
        prop_assert!(rc.verified);
    }
}

#[test]
fn what_the_page_says_about_the_compare() {
    use dfu_flasher::ui::{compare_done, compare_note, full_reason};
    dfu_flasher::ui::text::use_english();
    let c = |sectors, same, same_bytes, write_bytes, image_same, image_bytes| Compared {
        sectors,
        same,
        same_bytes,
        write_bytes,
        image_same,
        image_bytes,
    };
    let some = c(16, 14, 224 << 10, 32 << 10, 224 << 10, 256 << 10);
    assert_eq!(
        compare_note(&some, false).as_deref(),
        Some("14 of 16 sectors already hold this firmware; 2 sectors (32 KiB) will be written.")
    );
    assert_eq!(
        compare_note(&c(6, 5, 128 << 10, 128 << 10, 128 << 10, 200 << 10), false).as_deref(),
        Some("5 of 6 sectors already hold this firmware; 1 sector (128 KiB) will be written.")
    );
    assert_eq!(
        compare_note(&c(16, 14, 230 << 10, 26 << 10, 230 << 10, 256 << 10), true).as_deref(),
        Some("Resuming: 230 KiB of 256 KiB are already on the device.")
    );
    let all = c(6, 6, 256 << 10, 0, 200 << 10, 200 << 10);
    assert_eq!(
        compare_note(&all, true).as_deref(),
        Some("All 6 sectors already hold this firmware: nothing to erase or write.")
    );
    assert_eq!(
        compare_note(&c(6, 0, 0, 256 << 10, 0, 200 << 10), false),
        None
    );
    assert_eq!(
        compare_done(&some, 32 << 10, "Widget").as_deref(),
        Some("Wrote 32 KiB; 224 KiB were already there.")
    );
    assert_eq!(
        compare_done(&all, 0, "Widget").as_deref(),
        Some("Nothing needed writing: Widget already held this firmware.")
    );
    assert_eq!(compare_done(&c(6, 0, 0, 1, 0, 1), 1, "Widget"), None);
    assert_eq!(full_reason(NoCompare::Off), None);
    assert!(full_reason(NoCompare::MassErase).is_some_and(|s| s.contains("mass erase")));
    assert!(full_reason(NoCompare::NotErasable { address: 0 })
        .is_some_and(|s| s.contains("option bytes")));
}

#[test]
fn a_device_that_refuses_to_read_back_is_written_in_full() {
    // A stall, or an error status, on the compare's second UPLOAD (as a read-protected
    // chip answers): the update clears it and writes everything, and says why.
    for effect in [Effect::Stall, Effect::ErrorStatus(0x0A)] {
        let mut t = device();
        t.device.add_fault(Fault {
            trigger: Trigger::DuringRun {
                activity: dfu_flasher::sim::Activity::Read,
                run: 1,
                request: dfu_flasher::sim::Request::Upload,
                nth: 2,
            },
            effect: effect.clone(),
        });
        let img = program(40_000, 4);
        let r = flash(&mut t, &FlashImage::Raw(img.clone()), opts(false));
        assert!(
            t.device.unfired_faults().is_empty(),
            "{effect:?}: the fault fired"
        );
        assert_eq!(r.no_compare, Some(NoCompare::Refused), "{effect:?}");
        assert_eq!(r.compared, None);
        assert_eq!((r.written, r.verified), (40_000, true));
        assert_eq!(memory(&t, img.len()), img);
        let done = dfu_flasher::ui::DoneView::update(&r);
        assert!(
            done.details
                .iter()
                .any(|d| d.contains("refused to read its memory back")),
            "{:?}",
            done.details
        );
    }
}

#[test]
fn the_compare_reads_contiguous_sectors_at_once_and_gaps_apart() {
    let k = 1024u32;
    assert_eq!(
        compare::ranges(&[
            (BASE, 16 * k),
            (BASE + 16 * k, 16 * k),
            (BASE + 64 * k, 64 * k)
        ]),
        [(BASE, 32 * 1024), (BASE + 64 * k, 64 * 1024)]
    );
    assert_eq!(compare::ranges(&[]), []);
    // Two pieces in sectors 0 and 5, written, then installed again: each read comes from
    // its own address, so both are found already there.
    let mut t = device();
    let img = at(vec![
        (BASE + 0x100, program(3000, 1)),
        (BASE + 0x2_0000, program(5000, 2)),
    ]);
    flash(&mut t, &img, opts(false));
    let before = t.device.transcript().len();
    let r = flash(&mut t, &img, opts(false));
    assert_eq!(r.compared.map(|c| (c.sectors, c.same)), Some((2, 2)));
    assert_eq!(erases_and_blocks(&t, before), (0, 0));
}

#[test]
fn two_changed_sectors_with_an_unchanged_one_between_are_written_apart() {
    let mut t = device();
    let old = program(98_304, 6);
    flash(&mut t, &FlashImage::Raw(old.clone()), opts(false));
    let mut new = old.clone();
    new[100] ^= 1; // sector 0
    new[0x8000 + 100] ^= 1; // sector 2; sector 1 between them stays
    let before = t.device.transcript().len();
    let r = flash(&mut t, &FlashImage::Raw(new.clone()), opts(false));
    assert_eq!(r.compared.map(|c| (c.sectors, c.same)), Some((5, 3)));
    // Sector 1 is neither erased nor written (the simulator refuses to program a byte
    // that is not erased, so writing across it would fail).
    assert_eq!(erases_and_blocks(&t, before), (2, 16));
    assert_eq!(r.written, 2 * 16384);
    assert_eq!(memory(&t, new.len()), new);
}

/// Every fault of the fault matrix's write phase, in the middle of sector 5 of a 256 KiB
/// image: whatever stopped the update, the retry compares and erases and writes only
/// the sector that was not finished, and the device ends up holding the image.
#[test]
fn the_retry_after_any_write_fault_resumes_with_only_the_unfinished_sector() {
    let effects = common::device_faults();
    let img = FlashImage::Raw(program(256 * 1024, 9));
    let mut failed = 0;
    for effect in effects {
        let mut t = device();
        t.device.add_fault(Fault {
            trigger: Trigger::Address(BASE + 0x2_8000),
            effect: effect.clone(),
        });
        let first =
            block_on(driver::flash(&mut t, &img, opts(false), &mut |_| {})).expect("never blocks");
        let Err(e) = first else {
            // Ridden out (a garbled status asked again): nothing to resume.
            assert_eq!(memory(&t, 256 * 1024), program(256 * 1024, 9), "{effect:?}");
            continue;
        };
        failed += 1;
        assert_eq!(e.left, driver::Left::Incomplete, "{effect:?}");
        t.device.sleep(2000);
        let before = t.device.transcript().len();
        let r = flash(&mut t, &img, opts(false));
        let c = r.compared.expect("compared");
        assert_eq!((c.sectors, c.same), (6, 5), "{effect:?}");
        assert_eq!(erases_and_blocks(&t, before), (1, 64), "{effect:?}");
        assert_eq!(memory(&t, 256 * 1024), program(256 * 1024, 9), "{effect:?}");
    }
    assert!(failed >= 15, "most write faults stop the update ({failed})");
}
