//! Differential tests against independent tools from Debian: dfu-util's `dfu-suffix` and
//! `dfuse-pack`, and fwupd's `fwupdtool`. Files they make parse to the same fields; files
//! we make are accepted by them. `cargo xtask test` installs the tools.

use dfu_flasher::core::file::dfuse::{self, ImageSize};
use dfu_flasher::core::file::{self, ihex, suffix, Element, Format, Image, ParseOptions, Target};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

fn scratch(tag: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let d = std::env::temp_dir().join(format!(
        "dfu-flasher-oracle-{}-{}-{tag}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// Run a Debian tool; a missing tool fails the test with the fix.
fn tool(dir: &Path, cmd: &str, args: &[&str]) -> String {
    // FWUPD_LOCALSTATEDIR keeps fwupdtool's state in the scratch dir (no daemon, no /var).
    let out = Command::new(cmd)
        .args(args)
        .current_dir(dir)
        .env("FWUPD_LOCALSTATEDIR", dir.join("fwupd-state"))
        .output()
        .unwrap_or_else(|e| {
            panic!("`{cmd}` is not installed ({e}); `cargo xtask test` installs dfu-util and fwupd")
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd} {args:?} failed:\n{text}");
    text
}

fn parse(bytes: &[u8]) -> file::FirmwareFile {
    file::parse(bytes, &ParseOptions::default()).expect("parses")
}

fn fwupd_dfuse_builder() -> &'static str {
    // The shape of fwupd's libfwupdplugin/tests/dfuse.builder.xml ("hello world" ×3).
    r#"<firmware gtype="FuDfuseFirmware">
  <vendor>0x1234</vendor><product>0x5678</product><release>0x8642</release>
  <firmware><idx>0x1</idx><id>one</id><chunks>
    <chunk><data>aGVsbG8gd29ybGQ=</data><addr>0x8001234</addr></chunk>
    <chunk><data>aGVsbG8gd29ybGQ=</data><addr>0x8005678</addr></chunk>
  </chunks></firmware>
  <firmware><id>two</id><chunks>
    <chunk><data>aGVsbG8gd29ybGQ=</data><addr>0x8000000</addr></chunk>
  </chunks></firmware>
</firmware>"#
}

#[test]
fn dfu_suffix_made_by_dfu_util_parses_to_the_same_fields() {
    let d = scratch("suffix");
    let payload: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
    std::fs::write(d.join("fw.bin"), &payload).expect("write");
    tool(
        &d,
        "dfu-suffix",
        &["-v", "1234", "-p", "4321", "-d", "dead", "-a", "fw.bin"],
    );
    let report = tool(&d, "dfu-suffix", &["-c", "fw.bin"]);
    let bytes = std::fs::read(d.join("fw.bin")).expect("read");
    let f = parse(&bytes);
    assert_eq!(f.format, Format::DfuSuffix);
    let s = f.suffix.expect("suffix");
    assert_eq!(
        (s.vendor, s.product, s.device, s.bcd_dfu),
        (0x1234, 0x4321, 0xDEAD, 0x0100)
    );
    assert!(
        report.contains(&format!("CRC:\t\t{:#010X}", s.crc).replace("0X", "0x")),
        "{report}"
    );
    assert!(s.crc_ok());
    assert_eq!(f.image, Image::Raw(payload));
}

#[test]
fn our_suffix_is_byte_identical_to_dfu_util_and_fwupd() {
    let d = scratch("suffix-identical");
    std::fs::write(d.join("x.bin"), [0x58u8; 12]).expect("write");
    tool(
        &d,
        "dfu-suffix",
        &["-v", "1234", "-p", "4321", "-d", "dead", "-a", "x.bin"],
    );
    let theirs = std::fs::read(d.join("x.bin")).expect("read");
    let ours = suffix::append(&[0x58; 12], 0x1234, 0x4321, 0xDEAD, 0x0100);
    assert_eq!(ours, theirs);
    std::fs::write(
        d.join("d.xml"),
        r#"<firmware gtype="FuDfuFirmware"><vendor>0x1234</vendor><product>0x4321</product><release>0xdead</release><data>WFhYWFhYWFhYWFhY</data></firmware>"#,
    )
    .expect("write");
    tool(&d, "fwupdtool", &["firmware-build", "d.xml", "d.dfu"]);
    assert_eq!(std::fs::read(d.join("d.dfu")).expect("read"), ours);
    // dfu-suffix checks our file's CRC.
    std::fs::write(d.join("ours.bin"), &ours).expect("write");
    let report = tool(&d, "dfu-suffix", &["-c", "ours.bin"]);
    assert!(report.contains("0x2F4F6D02"), "{report}");
}

#[test]
fn dfuse_pack_files_parse_to_the_same_elements() {
    let d = scratch("dfuse-pack");
    let a: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    let b = b"hello world".to_vec();
    std::fs::write(d.join("a.bin"), &a).expect("write");
    std::fs::write(d.join("b.bin"), &b).expect("write");
    tool(
        &d,
        "dfuse-pack",
        &[
            "-b",
            "0x08000000:a.bin",
            "-b",
            "0x08010000:b.bin",
            "-D",
            "0x0483:0xdf11",
            "out.dfu",
        ],
    );
    let bytes = std::fs::read(d.join("out.dfu")).expect("read");
    let f = parse(&bytes);
    assert_eq!(f.format, Format::Dfuse);
    assert!(
        f.warnings.is_empty(),
        "whole-file DFUImageSize is accepted: {:?}",
        f.warnings
    );
    let s = f.suffix.expect("suffix");
    assert_eq!((s.vendor, s.product, s.bcd_dfu), (0x0483, 0xDF11, 0x011A));
    let Image::Addressed(targets) = &f.image else {
        panic!("addressed image")
    };
    assert_eq!(targets.len(), 1);
    assert_eq!(targets[0].alt, 0);
    let got: Vec<(u32, &[u8])> = targets[0]
        .elements
        .iter()
        .map(|e| (e.address, e.data.as_slice()))
        .collect();
    assert_eq!(
        got,
        vec![(0x0800_0000, a.as_slice()), (0x0801_0000, b.as_slice())]
    );
}

#[test]
fn dfuse_pack_from_hex_matches_our_hex_parser() {
    let d = scratch("dfuse-hex");
    let elements = vec![
        Element {
            address: 0x0800_0000,
            data: (0..700u32).map(|i| i as u8).collect(),
        },
        Element {
            address: 0x0800_FFF0,
            data: vec![0xAB; 40],
        },
    ];
    let hex = ihex::write(&elements, Some(0x0800_0101));
    std::fs::write(d.join("fw.hex"), &hex).expect("write");
    tool(&d, "dfuse-pack", &["-i", "fw.hex", "out.dfu"]);
    let packed = parse(&std::fs::read(d.join("out.dfu")).expect("read"));
    let ours = parse(hex.as_bytes());
    assert_eq!(ours.format, Format::IntelHex);
    assert_eq!(ours.entry_point, Some(0x0800_0101));
    let (Image::Addressed(p), Image::Addressed(o)) = (&packed.image, &ours.image) else {
        panic!("addressed images")
    };
    // dfuse-pack (via python's intelhex) emits one element per contiguous segment.
    let flat = |t: &[Target]| -> Vec<u8> {
        t.iter()
            .flat_map(|t| &t.elements)
            .flat_map(|e| e.data.clone())
            .collect()
    };
    assert_eq!(flat(p), flat(o));
    assert_eq!(o[0].elements, elements);
    assert_eq!(p[0].elements[0].address, 0x0800_0000);
}

#[test]
fn fwupd_dfuse_builder_file_parses_to_the_digest_values() {
    let d = scratch("fwupd-dfuse");
    std::fs::write(d.join("b.xml"), fwupd_dfuse_builder()).expect("write");
    tool(&d, "fwupdtool", &["firmware-build", "b.xml", "fw.dfu"]);
    let bytes = std::fs::read(d.join("fw.dfu")).expect("read");
    assert_eq!(bytes.len(), 632);
    assert_eq!(
        u32::from_le_bytes([bytes[6], bytes[7], bytes[8], bytes[9]]),
        616
    );
    let f = parse(&bytes);
    assert!(f.warnings.is_empty(), "{:?}", f.warnings);
    let s = f.suffix.expect("suffix");
    assert_eq!(
        (s.vendor, s.product, s.device, s.crc),
        (0x1234, 0x5678, 0x8642, 0x70C2_60F8)
    );
    let Image::Addressed(t) = &f.image else {
        panic!("addressed")
    };
    assert_eq!(t.len(), 2);
    assert_eq!((t[0].alt, t[0].name.as_deref()), (1, Some("one")));
    assert_eq!((t[1].alt, t[1].name.as_deref()), (0, Some("two")));
    let addrs: Vec<u32> = t
        .iter()
        .flat_map(|t| &t.elements)
        .map(|e| e.address)
        .collect();
    assert_eq!(addrs, vec![0x0800_1234, 0x0800_5678, 0x0800_0000]);
    assert!(t
        .iter()
        .flat_map(|t| &t.elements)
        .all(|e| e.data == b"hello world"));

    // Our writer, fwupd's convention, reproduces the file byte for byte.
    let ours = dfuse::write(t, 0x1234, 0x5678, 0x8642, ImageSize::WithoutSuffix);
    assert_eq!(ours, bytes);
}

#[test]
fn our_dfuse_output_is_accepted_by_fwupdtool_and_dfuse_pack() {
    let d = scratch("ours-dfuse");
    let targets = vec![
        Target {
            alt: 0,
            name: Some("Internal Flash".into()),
            elements: vec![Element {
                address: 0x0800_0000,
                data: vec![1, 2, 3, 4, 5],
            }],
        },
        Target {
            alt: 2,
            name: None,
            elements: vec![Element {
                address: 0x1FFF_7800,
                data: vec![9; 32],
            }],
        },
    ];
    let fwupd_style = dfuse::write(&targets, 0x0483, 0xDF11, 0x2200, ImageSize::WithoutSuffix);
    std::fs::write(d.join("a.dfu"), &fwupd_style).expect("write");
    let parsed = tool(&d, "fwupdtool", &["firmware-parse", "a.dfu", "dfuse"]);
    assert!(
        parsed.contains("0x8000000") || parsed.contains("0x08000000"),
        "{parsed}"
    );
    let dump = tool(&d, "dfuse-pack", &["-d", "a.dfu"]);
    assert!(dump.contains("targets: 2"), "{dump}");
    // dfuse-pack's convention (whole file) is what fwupdtool refuses; ours says so too.
    let pack_style = dfuse::write(&targets, 0x0483, 0xDF11, 0x2200, ImageSize::WholeFile);
    std::fs::write(d.join("b.dfu"), &pack_style).expect("write");
    let out = Command::new("fwupdtool")
        .args(["firmware-parse", "b.dfu", "dfuse"])
        .current_dir(&d)
        .env("FWUPD_LOCALSTATEDIR", d.join("fwupd-state"))
        .output()
        .expect("fwupdtool runs");
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("invalid DfuSe image size"), "{text}");
    assert_eq!(parse(&pack_style).image, parse(&fwupd_style).image);
}
