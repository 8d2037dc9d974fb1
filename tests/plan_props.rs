//! Property tests of the block scheduler: the planned writes cover exactly the image,
//! the erases cover exactly the pages it touches, and block numbers follow the rules.

use dfu_flasher::core::descriptor::Attributes;
use dfu_flasher::core::memmap::MemoryMap;
use dfu_flasher::core::{DfuseOptions, DownloadOptions, Plan, PlannedWrite, Target};
use proptest::prelude::*;
use std::collections::BTreeSet;

const F4_MAP: &str = "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg";

fn target(transfer_size: u16, dfuse: bool) -> Target {
    Target {
        interface: 0,
        transfer_size,
        attributes: Attributes::from_bits(0x0F),
        dfuse,
        quirks: Default::default(),
    }
}

/// Page starts of the F4 layout, computed here from the datasheet figures.
fn f4_pages() -> Vec<(u32, u32)> {
    let mut pages = Vec::new();
    let mut a = 0x0800_0000u32;
    for (n, size) in [(4, 16 << 10), (1, 64 << 10), (7, 128 << 10)] {
        for _ in 0..n {
            pages.push((a, size));
            a += size;
        }
    }
    pages
}

/// Non-overlapping elements inside the first 1 MiB of flash.
fn elements() -> impl Strategy<Value = Vec<(u32, Vec<u8>)>> {
    prop::collection::vec((0u32..0x000F_0000, 1usize..6000, any::<u8>()), 1..5).prop_map(|raw| {
        let mut out: Vec<(u32, Vec<u8>)> = Vec::new();
        let mut sorted = raw;
        sorted.sort_by_key(|r| r.0);
        let mut next_free = 0u32;
        for (off, len, fill) in sorted {
            let start = off.max(next_free);
            if start as usize + len > 0x0010_0000 {
                break;
            }
            let data: Vec<u8> = (0..len).map(|i| fill.wrapping_add(i as u8)).collect();
            next_free = start + len as u32;
            out.push((0x0800_0000 + start, data));
        }
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn dfuse_writes_cover_exactly_the_image(elems in elements(), ts in prop::sample::select(vec![64u16, 256, 1024, 2048, 4096])) {
        prop_assume!(!elems.is_empty());
        let map = MemoryMap::parse(F4_MAP).expect("F4 map");
        let borrowed: Vec<(u32, &[u8])> = elems.iter().map(|(a, d)| (*a, d.as_slice())).collect();
        let s = Plan::dfuse_download(target(ts, true), &map, &borrowed, DfuseOptions::default()).expect("plan");
        let writes = s.planned_writes();

        // Bytes written, as a set of addresses, equal the image's addresses.
        let mut written = BTreeSet::new();
        let mut total = 0usize;
        for w in &writes {
            if let PlannedWrite::Data { block, address, len } = w {
                prop_assert!(*block >= 2);
                prop_assert!(*len <= ts as usize);
                for a in *address..*address + *len as u32 {
                    prop_assert!(written.insert(a), "address {a:#x} written twice");
                }
                total += len;
            }
        }
        let expected: BTreeSet<u32> = elems.iter().flat_map(|(a, d)| *a..*a + d.len() as u32).collect();
        prop_assert_eq!(total, expected.len());
        prop_assert_eq!(&written, &expected);

        // Erased pages: exactly those touched, each once, before any data block.
        let touched: BTreeSet<u32> = f4_pages()
            .into_iter()
            .filter(|(p, size)| expected.range(*p..*p + *size).next().is_some())
            .map(|(p, _)| p)
            .collect();
        let erased: Vec<u32> = writes.iter().filter_map(|w| match w { PlannedWrite::ErasePage(p) => Some(*p), _ => None }).collect();
        prop_assert_eq!(erased.iter().copied().collect::<BTreeSet<_>>(), touched);
        prop_assert_eq!(erased.len(), erased.iter().collect::<BTreeSet<_>>().len());
        let last_erase = writes.iter().rposition(|w| matches!(w, PlannedWrite::ErasePage(_)));
        let first_data = writes.iter().position(|w| matches!(w, PlannedWrite::Data { .. }));
        prop_assert!(last_erase < first_data);

        // Each Set-Address starts a contiguous run; blocks count up from 2 after it.
        let mut expect_block = None;
        for w in &writes {
            match w {
                PlannedWrite::SetAddress(_) => expect_block = Some(2u16),
                PlannedWrite::Data { block, .. } => {
                    prop_assert_eq!(Some(*block), expect_block);
                    expect_block = expect_block.map(|b| b + 1);
                }
                _ => {}
            }
        }
    }

    #[test]
    fn dfu11_blocks_cover_the_image_in_order(len in 1usize..20_000, ts in 1u16..3000) {
        let image: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let s = Plan::download(target(ts, false), &image, DownloadOptions::default()).expect("plan");
        let mut offset = 0u32;
        let mut n = 0u16;
        for w in s.planned_writes() {
            let PlannedWrite::Data { block, address, len } = w else {
                prop_assert!(false, "DFU 1.1 has no commands");
                unreachable!()
            };
            prop_assert_eq!(block, n);
            prop_assert_eq!(address, offset);
            prop_assert!(len == ts as usize || offset as usize + len == image.len());
            offset += len as u32;
            n = n.wrapping_add(1);
        }
        prop_assert_eq!(offset as usize, image.len());
    }
}

#[test]
fn dfu11_block_numbers_wrap_at_65535() {
    let image = vec![0u8; 70_000];
    let s = Plan::download(target(1, false), &image, DownloadOptions::default()).expect("plan");
    let blocks: Vec<u16> = s
        .planned_writes()
        .iter()
        .filter_map(|w| match w {
            PlannedWrite::Data { block, .. } => Some(*block),
            _ => None,
        })
        .collect();
    assert_eq!(blocks[65535], 65535);
    assert_eq!(blocks[65536], 0);
    assert_eq!(blocks.len(), 70_000);
}

#[test]
fn dfuse_reissues_set_address_before_the_block_counter_wraps() {
    let map = MemoryMap::parse(F4_MAP).expect("F4 map");
    // 8-byte blocks: 65534 blocks (wValue 2..=0xFFFF) hold 524272 bytes.
    let image = vec![0x5Au8; 600_000];
    let s = Plan::dfuse_download(
        target(8, true),
        &map,
        &[(0x0800_0000, &image)],
        DfuseOptions::default(),
    )
    .expect("plan");
    let writes = s.planned_writes();
    let addresses: Vec<u32> = writes
        .iter()
        .filter_map(|w| match w {
            PlannedWrite::SetAddress(a) => Some(*a),
            _ => None,
        })
        .collect();
    assert_eq!(addresses, vec![0x0800_0000, 0x0800_0000 + 65534 * 8]);
    let max_block = writes
        .iter()
        .filter_map(|w| match w {
            PlannedWrite::Data { block, .. } => Some(*block),
            _ => None,
        })
        .max();
    assert_eq!(max_block, Some(0xFFFF));
}

#[test]
fn images_outside_writable_memory_are_refused_before_any_request() {
    let map = MemoryMap::parse("@Flash/0x08000000/2*1Kg/0x1FFF0000/1*1Ka").expect("map");
    for (addr, len) in [
        (0x0800_0000u32, 2049usize),
        (0x07FF_FFFF, 2),
        (0x1FFF_0000, 4),
    ] {
        let data = vec![0u8; len];
        let r = Plan::dfuse_download(
            target(64, true),
            &map,
            &[(addr, &data)],
            DfuseOptions::default(),
        );
        assert!(r.is_err(), "{addr:#x}+{len} must be refused");
    }
    let a = vec![0u8; 16];
    let r = Plan::dfuse_download(
        target(64, true),
        &map,
        &[(0x0800_0000, &a), (0x0800_0008, &a)],
        DfuseOptions::default(),
    );
    assert!(r.is_err(), "overlapping elements are refused");
}

#[test]
fn an_unbounded_dfu11_upload_is_planned_lazily() {
    // 64 MiB in 1-byte blocks would be 64 million planned steps; the plan holds one
    // step and adds the next as each block comes back full.
    let plan = dfu_flasher::core::Plan::upload(target(1, false), 64 << 20).expect("plan");
    assert!(plan.planned_writes().is_empty());
    assert!(plan.step_count() <= 3, "{} steps", plan.step_count());
    let s = dfu_flasher::core::Session::new(plan);
    assert_eq!(
        s.progress().phases.iter().map(|p| p.total).sum::<u64>(),
        0,
        "size unknown"
    );
}
