//! Images larger than memory: files checked in slices ([`Scan`]) and images sent from
//! their source a block at a time. Checked against the whole-file parser, against the
//! same update of the image held in memory (the same requests, the same result), and
//! against the simulated U-Boot device's partitions.

use dfu_flasher::core::file::stream::HEAD;
use dfu_flasher::core::file::{self, suffix, FileError, Image, ParseOptions, Scan, Streamed};
use dfu_flasher::core::{ErrorKind, Finish};
use dfu_flasher::driver::sim::SimTransport;
use dfu_flasher::driver::{
    self, block_on, FlashError, FlashFailure, FlashImage, FlashOptions, FlashReport, Source,
    SourceRead,
};
use dfu_flasher::sim::{Profile, SimDevice};
use proptest::prelude::*;

/// A source of bytes held in a vector, that can fail at an offset or change its bytes
/// after they were first read (a file edited during the update).
struct Bytes {
    data: Vec<u8>,
    fail_at: Option<u64>,
    /// From the second read of a byte at this offset on, it reads differently.
    changes_at: Option<u64>,
    reads: u64,
    read_before: std::collections::BTreeSet<u64>,
}

impl Bytes {
    fn new(data: Vec<u8>) -> Bytes {
        Bytes {
            data,
            fail_at: None,
            changes_at: None,
            reads: 0,
            read_before: Default::default(),
        }
    }
}

impl Source for Bytes {
    fn read(&mut self, offset: u64, len: usize) -> SourceRead<'_> {
        self.reads += 1;
        let end = offset + len as u64;
        let r = if self.fail_at.is_some_and(|f| (offset..end).contains(&f)) {
            Err(())
        } else {
            let from = (offset as usize).min(self.data.len());
            let to = (end as usize).min(self.data.len());
            let mut d = self.data[from..to].to_vec();
            if let Some(c) = self.changes_at.filter(|c| (offset..end).contains(c)) {
                if !self.read_before.insert(offset) {
                    d[(c - offset) as usize] ^= 0x5A;
                }
            }
            Ok(d)
        };
        Box::pin(std::future::ready(r))
    }
}

/// The bytes of a disk-like image: a pseudo-random start, then 4 KiB of data at the start
/// of every MiB and zeros between (as file system images are).
struct Pattern {
    len: u64,
}

fn pattern_byte(i: u64) -> u8 {
    if i < 65536 || i % (1 << 20) < 4096 {
        ((i.wrapping_mul(2_654_435_761) >> 13) as u8) | 1
    } else {
        0
    }
}

impl Source for Pattern {
    fn read(&mut self, offset: u64, len: usize) -> SourceRead<'_> {
        let end = (offset + len as u64).min(self.len);
        let d: Vec<u8> = (offset..end).map(pattern_byte).collect();
        Box::pin(std::future::ready(Ok(d)))
    }
}

fn streamed(data: &[u8]) -> FlashImage {
    FlashImage::Stream(Streamed {
        len: data.len() as u64,
        head: data[..data.len().min(HEAD)].to_vec(),
    })
}

fn device(name: &str) -> SimTransport {
    SimTransport::new(SimDevice::new(Profile::by_name(name).expect("profile")))
}

fn opts(alt: u8) -> FlashOptions {
    FlashOptions {
        alt,
        verify: true,
        restart: false,
        full: true,
        ..FlashOptions::default()
    }
}

fn flash_from(
    t: &mut SimTransport,
    img: &FlashImage,
    source: &mut dyn Source,
    o: FlashOptions,
) -> Result<FlashReport, FlashFailure> {
    block_on(driver::flash_from(t, img, Some(source), o, &mut |_| {}))
        .expect("the simulator never blocks")
}

/// What the device was asked, in order: each request's name and its data length.
fn transcript(t: &SimTransport) -> Vec<(&'static str, u16, usize)> {
    t.device
        .transcript()
        .iter()
        .map(|e| (e.name, e.setup.value, e.data_len))
        .collect()
}

fn program(len: usize) -> Vec<u8> {
    let mut v: Vec<u8> = (0..len)
        .map(|i| (i as u8).wrapping_mul(31) ^ (i >> 8) as u8)
        .collect();
    // A Cortex-M vector table: stack in RAM, reset handler in flash.
    v[..8].copy_from_slice(&[0x00, 0x00, 0x02, 0x20, 0x01, 0x01, 0x00, 0x08]);
    v
}

/// The same update sent from a source makes the same requests, in the same order, as
/// with the image held in memory, and leaves the same bytes: DFU 1.1 and DfuSe.
#[test]
fn streamed_update_makes_the_held_update_requests() {
    for (name, len) in [
        ("dfu11-dfumode", 100_000usize),
        ("dfu11-dfumode", 3 * 1024),
        ("stm32f4", 300_000),
        ("stm32f4", 2048 * 3 + 7),
    ] {
        let data = program(len);
        let mut held = device(name);
        let a = block_on(driver::flash(
            &mut held,
            &FlashImage::Raw(data.clone()),
            opts(0),
            &mut |_| {},
        ))
        .expect("completes")
        .unwrap_or_else(|e| panic!("{name}: held update failed: {:?}", e.error));
        let mut sent = device(name);
        let mut src = Bytes::new(data.clone());
        let b = flash_from(&mut sent, &streamed(&data), &mut src, opts(0))
            .unwrap_or_else(|e| panic!("{name}: streamed update failed: {:?}", e.error));
        let (a_t, b_t) = (transcript(&held), transcript(&sent));
        if name.starts_with("stm32") {
            assert_eq!(a_t, b_t, "{name} {len}");
        } else {
            // DFU 1.1: the same writes; the held image's read-back goes on to the
            // device's short reply, the streamed one reads exactly the image and ends
            // with an ABORT.
            let first_upload = |t: &[(&str, u16, usize)]| t.iter().position(|e| e.0 == "UPLOAD");
            let (i, j) = (
                first_upload(&a_t).expect("read"),
                first_upload(&b_t).expect("read"),
            );
            assert_eq!(a_t[..i], b_t[..j], "{name} {len}");
            let reads = &b_t[j..b_t.len() - 1];
            assert!(reads
                .iter()
                .enumerate()
                .all(|(k, e)| e.0 == "UPLOAD" && e.1 == k as u16));
            assert_eq!(reads.iter().map(|e| e.2).sum::<usize>(), len);
            assert_eq!(b_t.last().map(|e| e.0), Some("ABORT"));
        }
        assert!(a.verified && b.verified, "{name}: both verified");
        assert_eq!(a.written, b.written);
        let at = b.address.unwrap_or(0);
        assert_eq!(
            sent.device.read_memory(0, at, len),
            Some(data.clone()),
            "{name}: the device holds the image"
        );
        assert!(src.reads > 0, "{name}: the bytes came from the source");
    }
}

/// A GiB image to a U-Boot eMMC partition: every byte arrives and is read back, with the
/// device's partition stored sparsely and the image generated as it is read.
#[test]
fn gib_image_to_a_uboot_partition() {
    let len: u64 = 1 << 30;
    let mut t = device("uboot-emmc");
    let head: Vec<u8> = (0..HEAD as u64).map(pattern_byte).collect();
    let img = FlashImage::Stream(Streamed { len, head });
    let r = flash_from(&mut t, &img, &mut Pattern { len }, opts(2))
        .unwrap_or_else(|e| panic!("failed: {:?}", e.error));
    assert_eq!(r.written, len);
    assert!(r.verified, "read back and compared block by block");
    let blocks = (len / 4096) as usize;
    let counts = t.device.request_counts();
    assert_eq!(
        counts.get("DNLOAD"),
        Some(&(blocks + 1)),
        "blocks and the end"
    );
    assert_eq!(counts.get("UPLOAD"), Some(&blocks), "every block read back");
    let m = t.device.medium(2).expect("a partition");
    // Spot checks over the whole range, and the stored size of the sparse partition.
    for at in [
        0u64,
        4095,
        65536,
        (1 << 20) + 17,
        700 << 20,
        len - 4096,
        len - 1,
    ] {
        assert_eq!(m.read(at, 1), [pattern_byte(at)], "byte {at}");
    }
    assert!(m.read(len, 16).iter().all(|&b| b == 0), "nothing past it");
    assert_eq!(m.stored_bytes(), 16 * 4096 + 1023 * 4096);
}

/// A file that cannot be read any more mid-update stops it with words that say so, the
/// device is brought back to idle, and the next try (with the file readable) succeeds.
#[test]
fn unreadable_file_mid_update_stops_and_the_retry_works() {
    for name in ["dfu11-dfumode", "stm32f4"] {
        let data = program(200_000);
        let mut t = device(name);
        let mut src = Bytes::new(data.clone());
        src.fail_at = Some(120_000);
        let e = flash_from(&mut t, &streamed(&data), &mut src, opts(0))
            .expect_err("the file went away");
        let FlashError::Device(d) = &e.error else {
            panic!("{name}: {:?}", e.error);
        };
        let ErrorKind::FileUnreadable { offset } = d.kind else {
            panic!("{name}: {:?}", d.kind);
        };
        assert!(
            offset <= 120_000 && 120_000 - offset < 4096,
            "{name}: {offset}"
        );
        assert_eq!(d.recovered, Some(true), "{name}: back to dfuIDLE");
        let words = dfu_flasher::ui::flash_error_text(&e.error);
        assert!(words.contains("could not be read"), "{words}");
        assert!(words.contains("Choose the file again"), "{words}");
        let mut good = Bytes::new(data.clone());
        let r = flash_from(&mut t, &streamed(&data), &mut good, opts(0))
            .unwrap_or_else(|e| panic!("{name}: retry failed: {:?}", e.error));
        assert!(r.verified);
    }
}

/// A file whose bytes change between the write and the read-back is caught by the
/// verify, at the byte that changed.
#[test]
fn file_changed_during_the_update_fails_the_verify() {
    let data = program(50_000);
    let mut t = device("dfu11-dfumode");
    let mut src = Bytes::new(data.clone());
    src.changes_at = Some(33_333);
    let e = flash_from(&mut t, &streamed(&data), &mut src, opts(0)).expect_err("mismatch");
    let FlashError::Device(d) = &e.error else {
        panic!("{:?}", e.error);
    };
    assert_eq!(
        d.kind,
        ErrorKind::VerifyMismatch {
            address: 33_333,
            expected: data[33_333] ^ 0x5A,
            found: data[33_333],
        }
    );
}

/// Larger than the chosen memory: a DfuSe image is refused before anything is written,
/// with both sizes; a U-Boot partition refuses what overflows it (errUNKNOWN, as U-Boot).
#[test]
fn larger_than_the_memory_area() {
    let data = program(1536 << 10);
    let mut t = device("stm32f4");
    let mut src = Bytes::new(data.clone());
    let e = flash_from(&mut t, &streamed(&data), &mut src, opts(0)).expect_err("too big");
    assert!(
        t.device.transcript().iter().all(|e| e.name != "DNLOAD"),
        "nothing written"
    );
    let words = dfu_flasher::ui::flash_error_text(&e.error);
    assert!(
        words.contains("1.5 MiB") && words.contains("only 1 MiB"),
        "{words}"
    );
    assert_eq!(src.reads, 0, "not a byte of the file was needed");

    let big = program((4 << 20) + 4096);
    let mut t = device("uboot-emmc");
    let mut src = Bytes::new(big.clone());
    let e = flash_from(&mut t, &streamed(&big), &mut src, opts(0)).expect_err("overflows");
    let FlashError::Device(d) = &e.error else {
        panic!("{:?}", e.error);
    };
    assert!(
        matches!(d.kind, ErrorKind::DeviceStatus { .. }),
        "{:?}",
        d.kind
    );
    assert_ne!(d.recovered, Some(false));
}

/// The whole-file parser and the scan in slices agree on every file they both take:
/// format, suffix, warnings and errors; the scan keeps only the head.
fn check_agrees(bytes: &[u8], name: &str, slices: &[usize], ignore_crc: bool) {
    let opts = ParseOptions { ignore_crc };
    let whole = file::parse_named(bytes, name, &opts);
    let mut scan = Scan::new(bytes.len() as u64).expect("in range");
    let mut at = 0;
    let mut i = 0;
    while at < bytes.len() {
        let n = slices[i % slices.len()].max(1).min(bytes.len() - at);
        scan.feed(&bytes[at..at + n]);
        at += n;
        i += 1;
    }
    let part = scan.finish(name, &opts);
    match (whole, part) {
        (Ok(w), Ok(p)) => {
            assert_eq!(
                (w.format, w.suffix, &w.warnings),
                (p.format, p.suffix, &p.warnings)
            );
            let (Image::Raw(d), Image::Stream(s)) = (&w.image, &p.image) else {
                panic!("raw and streamed: {:?}", p.image);
            };
            assert_eq!(s.len, d.len() as u64);
            assert_eq!(s.head, d[..d.len().min(HEAD)]);
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        (a, b) => panic!("whole {a:?}, in slices {b:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn scan_agrees_with_the_whole_file_parser(
        body in proptest::collection::vec(any::<u8>(), 1..70_000),
        kind in 0u8..5,
        slices in proptest::collection::vec(1usize..9000, 1..5),
        dotdfu in any::<bool>(),
        ignore_crc in any::<bool>(),
    ) {
        let mut body = body;
        // Not HEX, not a DfuSe container (those are parsed whole only).
        body[0] = 0;
        let bytes = match kind {
            0 => body,
            1 => suffix::append(&body, 0x1234, 0x5678, 0x0100, 0x0100),
            2 => {
                let mut f = suffix::append(&body, 0x1234, 0x5678, 0x0100, 0x0100);
                let n = f.len();
                f[n - 1] ^= 1;
                f
            }
            3 => {
                let mut f = suffix::append(&body, 0xFFFF, 0xFFFF, 0xFFFF, 0x0100);
                let n = f.len();
                f[n - 5] = 15;
                f
            }
            _ => {
                let mut f = b"<!DOCTYPE html><html><body>".to_vec();
                f.extend(body.iter().map(|b| b'a' + b % 26));
                f
            }
        };
        let name = if dotdfu { "fw.dfu" } else { "fw.bin" };
        check_agrees(&bytes, name, &slices, ignore_crc);
    }
}

/// A file larger than 4 GiB is refused before it is read, in words with both sizes; a
/// file that ends early while it is read is refused as changed.
#[test]
fn too_large_and_changed_files() {
    let e = Scan::new(5 << 30).expect_err("5 GiB");
    assert_eq!(
        e,
        FileError::TooLarge {
            size: 5 << 30,
            limit: 4 << 30
        }
    );
    let words = dfu_flasher::ui::words::file_error(&e);
    assert!(
        words.contains("5 GiB") && words.contains("4 GiB"),
        "{words}"
    );
    let mut s = Scan::new(1000).expect("fine");
    s.feed(&[7; 600]);
    let e = s
        .finish("x.bin", &ParseOptions::default())
        .expect_err("short");
    assert_eq!(
        e,
        FileError::Changed {
            size: 1000,
            read: 600
        }
    );
    assert!(Scan::new(0).is_err());
    // Up to 64 MiB a file is read whole; one byte more and it is read in slices.
    assert!(!file::stream::streamed(file::MAX_FILE as u64));
    assert!(file::stream::streamed(file::MAX_FILE as u64 + 1));
    assert!(Scan::new(4 << 30).is_ok(), "4 GiB exactly is taken");
}

/// Restarting at the end works for a streamed image as for a held one.
#[test]
fn streamed_update_restarts_the_device() {
    let data = program(40_000);
    let mut t = device("dfu11-runtime");
    let mut src = Bytes::new(data.clone());
    let o = FlashOptions {
        restart: true,
        ..opts(0)
    };
    let r = flash_from(&mut t, &streamed(&data), &mut src, o).expect("works");
    assert_eq!(r.finish, Finish::Restarting);
    assert!(r.detached);
    assert_eq!(t.device.firmware(), data.as_slice());
}

/// Where no read-back can be trusted, a streamed image is written without one, as a held
/// image is: a device that is not manifestation-tolerant (DFU 1.1), and one whose UPLOAD
/// is known broken (DfuSe, the quirk).
#[test]
fn no_read_back_where_it_cannot_be_trusted() {
    let data = program(20_000);
    let mut t = device("dfu11-nontolerant");
    let mut src = Bytes::new(data.clone());
    let r = flash_from(&mut t, &streamed(&data), &mut src, opts(0)).expect("written");
    assert!(!r.verified);
    assert!(t.device.transcript().iter().all(|e| e.name != "UPLOAD"));

    use dfu_flasher::core::memmap::MemoryMap;
    use dfu_flasher::core::{DfuseOptions, Plan, Session};
    let mut t = device("stm32f4");
    let info = block_on(driver::describe(&mut t))
        .expect("never blocks")
        .expect("described");
    let mut target = info.target();
    target.quirks.broken_upload = true;
    let map =
        MemoryMap::parse("@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg").expect("map");
    let o = DfuseOptions {
        verify: true,
        ..DfuseOptions::default()
    };
    let plan = Plan::dfuse_download_streamed(target, &map, 0x0800_0000, 20_000, o).expect("plan");
    let mut s = Session::new(plan);
    let mut src = Bytes::new(data.clone());
    let out = block_on(driver::run_from(
        &mut t,
        &mut s,
        Some(&mut src),
        &mut |_| {},
    ))
    .expect("never blocks")
    .expect("written");
    assert!(!out.verified);
    assert!(t.device.transcript().iter().all(|e| e.name != "UPLOAD"));
    assert_eq!(t.device.read_memory(0, 0x0800_0000, data.len()), Some(data));
}

/// A DfuSe container or a HEX file larger than 64 MiB is not firmware for any USB device:
/// the scan refuses it rather than sending it as a plain image.
#[test]
fn large_dfuse_and_hex_files_are_refused_by_the_scan() {
    for start in [&b"DfuSe\x01"[..], b":020000040800F2\n"] {
        let mut s = Scan::new(1000).expect("fine");
        let mut f = start.to_vec();
        f.resize(1000, b'0');
        s.feed(&f);
        let e = s
            .finish("big.bin", &ParseOptions::default())
            .expect_err("refused");
        assert!(matches!(e, FileError::TooLarge { size: 1000, .. }), "{e:?}");
    }
}
