//! Firmware files: round trips (proptest), the digest's vectors, and a table of bad
//! inputs each with its precise error.

use dfu_flasher::core::file::dfuse::{self, ImageSize};
use dfu_flasher::core::file::{
    self, ihex, suffix, Element, FileError, IdCheck, Image, NotFirmware, ParseOptions, Target,
    UsbIds, Warning,
};
use proptest::prelude::*;

fn parse(b: &[u8]) -> Result<file::FirmwareFile, FileError> {
    file::parse(b, &ParseOptions::default())
}

fn sample_dfuse() -> Vec<u8> {
    let t = vec![
        Target {
            alt: 1,
            name: Some("one".into()),
            elements: vec![
                Element {
                    address: 0x0800_1234,
                    data: b"hello world".to_vec(),
                },
                Element {
                    address: 0x0800_5678,
                    data: b"hello world".to_vec(),
                },
            ],
        },
        Target {
            alt: 0,
            name: Some("two".into()),
            elements: vec![Element {
                address: 0x0800_0000,
                data: b"hello world".to_vec(),
            }],
        },
    ];
    dfuse::write(&t, 0x1234, 0x5678, 0x8642, ImageSize::WithoutSuffix)
}

#[test]
fn digest_dfuse_vector() {
    let f = sample_dfuse();
    assert_eq!(f.len(), 632);
    let s = parse(&f).expect("valid").suffix.expect("suffix");
    assert_eq!(s.crc, 0x70C2_60F8);
}

#[test]
fn truncated_dfuse_at_every_structure_boundary() {
    let full = sample_dfuse();
    let payload = &full[..full.len() - 16];
    // Boundaries: prefix (11), target prefix (11+274), element header, element data.
    for cut in [
        5,
        10,
        11,
        100,
        284,
        285,
        290,
        293,
        300,
        304,
        305,
        580,
        payload.len() - 1,
    ] {
        let f = suffix::append(&payload[..cut], 0x1234, 0x5678, 0x8642, 0x011A);
        let e = parse(&f).expect_err("truncated");
        assert!(
            matches!(
                e,
                FileError::Truncated { .. }
                    | FileError::TargetSizeMismatch { .. }
                    | FileError::TooManyElements { .. }
            ),
            "cut {cut}: {e:?}"
        );
        assert!(!dfu_flasher::ui::words::file_error(&e).is_empty());
    }
}

#[test]
fn bad_inputs_get_precise_errors() {
    let good = sample_dfuse();
    let mut bad_crc = good.clone();
    bad_crc[300] ^= 1;
    assert!(matches!(parse(&bad_crc), Err(FileError::CorruptCrc { .. })));
    let overridden = file::parse(&bad_crc, &ParseOptions { ignore_crc: true }).expect("override");
    assert!(matches!(overridden.warnings[0], Warning::CrcIgnored { .. }));

    assert_eq!(parse(b""), Err(FileError::Empty));
    // A suffix and nothing else.
    assert_eq!(
        parse(&suffix::append(&[], 1, 2, 3, 0x0100)),
        Err(FileError::Empty)
    );
    // DfuSe without a suffix.
    assert_eq!(
        parse(&good[..good.len() - 16]),
        Err(FileError::MissingSuffix)
    );

    // Huge element count.
    let mut p = good[..good.len() - 16].to_vec();
    p[11 + 270..11 + 274].copy_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
    assert!(matches!(
        parse(&suffix::append(&p, 1, 2, 3, 0x011A)),
        Err(FileError::TooManyElements { .. })
    ));

    // A count one more than the bytes after the target header could hold (8 bytes of
    // element header each): refused as such, before reading any element.
    let mut p = good[..good.len() - 16].to_vec();
    let remaining = (p.len() - (11 + 274)) as u32;
    p[11 + 270..11 + 274].copy_from_slice(&(remaining / 8 + 1).to_le_bytes());
    assert!(matches!(
        parse(&suffix::append(&p, 1, 2, 3, 0x011A)),
        Err(FileError::TooManyElements { .. })
    ));
    // Exactly as many as fit in count is not refused for its count.
    let mut p = good[..good.len() - 16].to_vec();
    p[11 + 270..11 + 274].copy_from_slice(&(remaining / 8).to_le_bytes());
    assert!(!matches!(
        parse(&suffix::append(&p, 1, 2, 3, 0x011A)),
        Err(FileError::TooManyElements { .. })
    ));

    // Element size pointing past the end.
    let mut p = good[..good.len() - 16].to_vec();
    p[11 + 274 + 4..11 + 274 + 8].copy_from_slice(&0x7FFF_FFFFu32.to_le_bytes());
    assert!(matches!(
        parse(&suffix::append(&p, 1, 2, 3, 0x011A)),
        Err(FileError::Truncated { .. })
    ));

    // Overlapping elements.
    let t = vec![Target {
        alt: 0,
        name: None,
        elements: vec![
            Element {
                address: 0x100,
                data: vec![0; 16],
            },
            Element {
                address: 0x108,
                data: vec![0; 16],
            },
        ],
    }];
    let f = dfuse::write(&t, 1, 2, 3, ImageSize::WithoutSuffix);
    assert_eq!(
        parse(&f),
        Err(FileError::Overlap {
            target: 0,
            address: 0x108
        })
    );

    // Zero targets, zero elements.
    let none = dfuse::write(&[], 1, 2, 3, ImageSize::WithoutSuffix);
    assert_eq!(parse(&none), Err(FileError::NoTargets));
    let empty = dfuse::write(
        &[Target {
            alt: 0,
            name: None,
            elements: vec![],
        }],
        1,
        2,
        3,
        ImageSize::WithoutSuffix,
    );
    assert_eq!(parse(&empty), Err(FileError::EmptyTarget { target: 0 }));

    // Too large.
    // A 100 MB file is refused before anything is copied.
    let big = vec![0u8; 100_000_000];
    assert!(matches!(parse(&big), Err(FileError::TooLarge { .. })));
}

#[test]
fn hex_errors_name_the_line() {
    let good = ihex::write(
        &[Element {
            address: 0x100,
            data: vec![1, 2, 3, 4],
        }],
        None,
    );
    assert!(parse(good.as_bytes()).is_ok());
    assert!(good.contains(":0401000001020304F1"), "{good}");
    let bad_sum = good.replacen(":0401000001020304F1", ":0401000001020305F1", 1);
    assert_eq!(
        parse(bad_sum.as_bytes()),
        Err(FileError::HexChecksum { line: 2 })
    );
    let no_eof: String = good.lines().take(2).map(|l| format!("{l}\n")).collect();
    assert_eq!(parse(no_eof.as_bytes()), Err(FileError::HexNoEof));
    let twice = format!(
        "{}{}",
        good.lines()
            .take(2)
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
        good
    );
    assert!(matches!(
        parse(twice.as_bytes()),
        Err(FileError::HexOverlap {
            line: 4,
            earlier_line: 2,
            ..
        })
    ));
    assert!(matches!(
        parse(b":zz\n"),
        Err(FileError::HexSyntax { line: 1, .. })
    ));
    let crlf = good.replace('\n', "\r\n");
    assert!(parse(crlf.as_bytes()).is_ok());
}

#[test]
fn hex_gaps_become_separate_elements_and_segments_work() {
    // Extended segment address 0x1000 → base 0x10000; start segment address 03.
    let text =
        ":020000021000EC\n:03000000010203F7\n:03001000040506DE\n:0400000300001234B3\n:00000001FF\n";
    let f = parse(text.as_bytes()).expect("valid");
    let Image::Addressed(t) = &f.image else {
        panic!()
    };
    let e: Vec<(u32, Vec<u8>)> = t[0]
        .elements
        .iter()
        .map(|e| (e.address, e.data.clone()))
        .collect();
    assert_eq!(e, vec![(0x10000, vec![1, 2, 3]), (0x10010, vec![4, 5, 6])]);
    assert_eq!(f.entry_point, Some(0x1234));
}

#[test]
fn suffix_ids_match_runtime_or_dfu_mode_ids() {
    let f = parse(&suffix::append(&[1; 10], 0x1209, 0x2301, 0xFFFF, 0x0100)).expect("valid");
    let rt = UsbIds {
        vendor: 0x1209,
        product: 0x2301,
        device: 0x0100,
    };
    let dfu = UsbIds {
        vendor: 0x1209,
        product: 0x2302,
        device: 0x0100,
    };
    let other = UsbIds {
        vendor: 0x0483,
        product: 0xDF11,
        device: 0x2200,
    };
    assert_eq!(f.check_ids(Some(rt), Some(dfu)), IdCheck::Match);
    assert_eq!(f.check_ids(None, Some(rt)), IdCheck::Match);
    assert!(matches!(
        f.check_ids(None, Some(dfu)),
        IdCheck::Mismatch { .. }
    ));
    assert!(matches!(
        f.check_ids(Some(other), Some(other)),
        IdCheck::Mismatch { .. }
    ));
    let wild = parse(&suffix::append(&[1; 10], 0xFFFF, 0xFFFF, 0xFFFF, 0x0100)).expect("valid");
    assert_eq!(wild.check_ids(None, Some(other)), IdCheck::Unspecified);
}

fn elements() -> impl Strategy<Value = Vec<Element>> {
    prop::collection::vec(
        (
            0u32..0x00FF_0000,
            prop::collection::vec(any::<u8>(), 1..300),
        ),
        1..6,
    )
    .prop_map(|v| {
        let mut out: Vec<Element> = Vec::new();
        let mut v = v;
        v.sort_by_key(|e| e.0);
        let mut free = 0u64;
        for (a, d) in v {
            // Keep a gap so adjacent elements do not merge.
            let a = u64::from(a).max(free + 1);
            free = a + d.len() as u64;
            out.push(Element {
                address: a as u32,
                data: d,
            });
        }
        out
    })
}

proptest! {
    #[test]
    fn suffix_round_trip(payload in prop::collection::vec(any::<u8>(), 1..2000), v: u16, p: u16, d: u16) {
        prop_assume!(!(payload.starts_with(b"DfuSe") || payload.first() == Some(&b':')));
        // Payloads that are plainly not firmware (random bytes can be printable text) are
        // refused whatever their suffix says: tests/not_firmware.rs.
        prop_assume!(file::sniff::sniff(&payload).is_none());
        let f = parse(&suffix::append(&payload, v, p, d, 0x0100)).expect("valid");
        let s = f.suffix.expect("suffix");
        prop_assert_eq!((s.vendor, s.product, s.device), (v, p, d));
        prop_assert_eq!(f.image, Image::Raw(payload));
    }

    #[test]
    fn dfuse_round_trip(targets in prop::collection::vec((any::<u8>(), elements()), 1..4), whole: bool) {
        let targets: Vec<Target> = targets.into_iter().map(|(alt, elements)| Target { alt, name: Some(format!("t{alt}")), elements }).collect();
        let conv = if whole { ImageSize::WholeFile } else { ImageSize::WithoutSuffix };
        let f = parse(&dfuse::write(&targets, 1, 2, 3, conv)).expect("valid");
        prop_assert!(f.warnings.is_empty());
        prop_assert_eq!(f.image, Image::Addressed(targets));
    }

    #[test]
    fn hex_round_trip(els in elements(), ep: Option<u32>) {
        let f = parse(ihex::write(&els, ep).as_bytes()).expect("valid");
        prop_assert_eq!(f.entry_point, ep);
        prop_assert_eq!(f.image, Image::Addressed(vec![Target { alt: 0, name: None, elements: els }]));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4000)) {
        let _ = parse(&bytes);
        let mut with_prefix = b"DfuSe\x01".to_vec();
        with_prefix.extend_from_slice(&bytes);
        let _ = parse(&suffix::append(&with_prefix, 1, 2, 3, 0x011A));
        let mut hex = b":".to_vec();
        hex.extend(bytes.iter().map(|b| b"0123456789ABCDEF:\n"[usize::from(*b) % 18]));
        let _ = parse(&hex);
    }
}

#[test]
fn formats_we_do_not_flash_are_refused_not_sent_raw() {
    assert!(matches!(
        parse(b"\x7fELF\x02\x01\x01\0\0\0\0\0"),
        Err(FileError::NotFirmware(NotFirmware::Elf))
    ));
    assert!(matches!(
        parse(b"S00F000068656C6C6F202020202000003C\n"),
        Err(FileError::NotFirmware(NotFirmware::Srecord))
    ));
    // Two HEX files joined: refused rather than half-flashed.
    let one = ihex::write(
        &[Element {
            address: 0x100,
            data: vec![1, 2],
        }],
        None,
    );
    let two = ihex::write(
        &[Element {
            address: 0x200,
            data: vec![3, 4],
        }],
        None,
    );
    let joined = format!("{one}{two}");
    assert!(
        matches!(
            parse(joined.as_bytes()),
            Err(FileError::HexDataAfterEof {
                eof_line: 3,
                line: 4
            })
        ),
        "{:?}",
        parse(joined.as_bytes())
    );
}
