//! Files that are plainly not firmware are refused, one row per signature of
//! `core::file::sniff::SIGNATURES`, natively and through the command line (`inspect` names
//! what the file is, `simulate` writes nothing). Where a Debian tool makes the format
//! (zip, gzip, tar, xz, bzip2, zstd, dfu-suffix, the compiler's ELF output) the sample is its
//! output; the rest are the formats' published magic numbers in front of ordinary content.

use dfu_flasher::core::file::sniff::SIGNATURES;
use dfu_flasher::core::file::{self, FileError, Format, NotFirmware, ParseOptions};
use dfu_flasher::ui::words::file_error;
mod common;

use common::{scratch, tool};
use std::path::Path;

fn made_by(dir: &Path, out: &str, cmd: &str, args: &[&str]) -> Vec<u8> {
    tool(dir, cmd, args);
    std::fs::read(dir.join(out)).expect("tool output")
}

fn parse(b: &[u8]) -> Result<file::FirmwareFile, FileError> {
    file::parse(b, &ParseOptions::default())
}

const NOTES: &[u8] = b"Widget firmware 2.1: release notes\n";
const PAGE_404: &[u8] = b"<!DOCTYPE html><html><head><title>404 Not Found</title></head></html>";

/// A program image for a Cortex-M device: what real firmware looks like.
fn program(len: usize) -> Vec<u8> {
    let mut v: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
    v[..8].copy_from_slice(&[0x00, 0x00, 0x02, 0x20, 0x41, 0x00, 0x00, 0x08]);
    v
}

/// One sample per kind of content that is not firmware.
fn samples(dir: &Path) -> Vec<(&'static str, Vec<u8>, NotFirmware)> {
    std::fs::write(dir.join("notes.txt"), NOTES).expect("write");
    let mut pe = vec![0u8; 0x200];
    pe[..2].copy_from_slice(b"MZ");
    pe[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
    pe[0x80..0x84].copy_from_slice(b"PE\0\0");
    let mut bmp = b"BM".to_vec();
    bmp.extend_from_slice(&70u32.to_le_bytes());
    bmp.resize(70, 0);
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(
        "Read me first\r\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    let mut uf2 = b"UF2\nWQ]\x9e".to_vec();
    uf2.resize(512, 0);
    let ok_png = [&b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR"[..], &[0; 17]].concat();
    vec![
        ("page.html", PAGE_404.to_vec(), NotFirmware::Html),
        (
            "saved.bin",
            b"\n\n  <!doctype HTML>\n<html lang=en><body>Sign in</body></html>\n".to_vec(),
            NotFirmware::Html,
        ),
        (
            "feed.xml",
            b"<?xml version=\"1.0\"?><feed><title>Updates</title></feed>".to_vec(),
            NotFirmware::Xml,
        ),
        (
            "logo.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>".to_vec(),
            NotFirmware::Xml,
        ),
        (
            "release.json",
            b"{\"version\": \"2.1\", \"file\": \"widget.dfu\"}".to_vec(),
            NotFirmware::Json,
        ),
        (
            "app.s19",
            b"S00F000068656C6C6F202020202000003C\nS9030000FC\n".to_vec(),
            NotFirmware::Srecord,
        ),
        ("notes.txt", NOTES.to_vec(), NotFirmware::Text),
        (
            "liesmich.txt",
            "Größe: 256 KiB — bitte zuerst lesen.\n".as_bytes().to_vec(),
            NotFirmware::Text,
        ),
        ("readme-utf16.txt", utf16, NotFirmware::Text),
        (
            "notes.zip",
            made_by(dir, "notes.zip", "zip", &["-q", "notes.zip", "notes.txt"]),
            NotFirmware::Zip,
        ),
        (
            "notes.gz",
            made_by(dir, "notes.txt.gz", "gzip", &["-kf", "notes.txt"]),
            NotFirmware::Gzip,
        ),
        (
            "notes.tar",
            made_by(dir, "notes.tar", "tar", &["cf", "notes.tar", "notes.txt"]),
            NotFirmware::Tar,
        ),
        (
            "notes.xz",
            made_by(dir, "notes.txt.xz", "xz", &["-kf", "notes.txt"]),
            NotFirmware::Xz,
        ),
        (
            "notes.bz2",
            made_by(dir, "notes.txt.bz2", "bzip2", &["-kf", "notes.txt"]),
            NotFirmware::Bzip2,
        ),
        (
            "notes.zst",
            made_by(dir, "notes.txt.zst", "zstd", &["-qf", "notes.txt"]),
            NotFirmware::Zstd,
        ),
        (
            "notes.7z",
            [&b"7z\xbc\xaf\x27\x1c\x00\x04"[..], &[0x5a; 24]].concat(),
            NotFirmware::SevenZip,
        ),
        (
            "notes.rar",
            [&b"Rar!\x1a\x07\x01\x00"[..], &[0x33; 24]].concat(),
            NotFirmware::Rar,
        ),
        (
            "manual.pdf",
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n".to_vec(),
            NotFirmware::Pdf,
        ),
        (
            "manual.doc",
            [&b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"[..], &[0; 56]].concat(),
            NotFirmware::OfficeDocument,
        ),
        ("photo.png", ok_png, NotFirmware::Png),
        (
            "photo.jpg",
            [&b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"[..], &[0x20; 32]].concat(),
            NotFirmware::Jpeg,
        ),
        (
            "anim.gif",
            [&b"GIF89a\x01\x00\x01\x00"[..], &[0; 16]].concat(),
            NotFirmware::Gif,
        ),
        ("screen.bmp", bmp, NotFirmware::Bmp),
        (
            "photo.webp",
            [&b"RIFF\x24\x00\x00\x00WEBPVP8 "[..], &[0; 24]].concat(),
            NotFirmware::Webp,
        ),
        (
            "this-test.elf",
            std::fs::read(std::env::current_exe().expect("exe")).expect("read"),
            NotFirmware::Elf,
        ),
        ("updater.exe", pe, NotFirmware::WindowsProgram),
        (
            "updater-mac",
            [&b"\xcf\xfa\xed\xfe\x07\x00\x00\x01"[..], &[0; 24]].concat(),
            NotFirmware::MacProgram,
        ),
        ("firmware.uf2", uf2, NotFirmware::Uf2),
    ]
}

#[test]
fn every_signature_has_a_sample_and_each_sample_is_refused_as_what_it_is() {
    let d = scratch("junk-table");
    let samples = samples(&d);
    for s in SIGNATURES {
        assert!(
            samples.iter().any(|(_, _, k)| *k == s.kind),
            "no sample for {:?}",
            s.kind
        );
    }
    for (name, bytes, kind) in &samples {
        match parse(bytes) {
            Err(FileError::NotFirmware(k)) => assert_eq!(k, *kind, "{name}"),
            other => panic!("{name}: {other:?}"),
        }
        let msg = file_error(&FileError::NotFirmware(*kind));
        assert!(msg.starts_with("This is "), "{name}: {msg}");
        if kind.is_archive() {
            assert!(msg.contains("Unpack it first"), "{name}: {msg}");
        }
    }
    let html = file_error(&FileError::NotFirmware(NotFirmware::Html));
    assert!(
        html.contains("web page") && html.contains("download"),
        "{html}"
    );
    // Behind a valid DFU suffix (dfu-suffix adds one to anything), still not firmware.
    std::fs::write(d.join("page.dfu"), PAGE_404).expect("write");
    tool(
        &d,
        "dfu-suffix",
        &["-v", "1209", "-p", "2302", "-a", "page.dfu"],
    );
    let suffixed = std::fs::read(d.join("page.dfu")).expect("read");
    assert_eq!(
        parse(&suffixed),
        Err(FileError::NotFirmware(NotFirmware::Html))
    );
}

#[test]
fn firmware_images_are_not_mistaken_for_junk() {
    let mut x: u32 = 0x1234_5678;
    let random: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    let mut mostly_text = b"Copyright (c) 2026 Widget Inc. ".repeat(20);
    mostly_text.extend_from_slice(&program(512));
    let mut not_pe = program(1024);
    not_pe[..2].copy_from_slice(b"MZ");
    let mut wrong_bmp = program(1024);
    wrong_bmp[..2].copy_from_slice(b"BM");
    let mut erased_jpeg = vec![0xFF; 1024];
    erased_jpeg[1] = 0xD8;
    for (what, b) in [
        ("program", program(4096)),
        ("random", random),
        ("zeros", vec![0; 4096]),
        ("erased", vec![0xFF; 4096]),
        ("text then code", mostly_text),
        ("MZ without PE", not_pe),
        ("BM with the wrong size", wrong_bmp),
        ("FF D8 FF FF", erased_jpeg),
    ] {
        let f = parse(&b).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(f.format, Format::Raw, "{what}");
    }
}

#[test]
fn a_dfu_file_must_be_dfuse_or_carry_a_suffix() {
    let d = scratch("junk-dfu-name");
    let body = program(4096);
    let named = |n: &str, b: &[u8]| file::parse_named(b, n, &ParseOptions::default());
    assert_eq!(named("widget.dfu", &body), Err(FileError::DfuWithoutSuffix));
    assert_eq!(named("WIDGET.DFU", &body), Err(FileError::DfuWithoutSuffix));
    assert!(named("widget.bin", &body).is_ok());
    assert!(named("widget", &body).is_ok());
    // Made by dfu-suffix and dfuse-pack: accepted under the name .dfu.
    std::fs::write(d.join("widget.dfu"), &body).expect("write");
    tool(
        &d,
        "dfu-suffix",
        &["-v", "1209", "-p", "2302", "-a", "widget.dfu"],
    );
    let suffixed = std::fs::read(d.join("widget.dfu")).expect("read");
    assert_eq!(
        named("widget.dfu", &suffixed).map(|f| f.format),
        Ok(Format::DfuSuffix)
    );
    std::fs::write(d.join("app.bin"), &body).expect("write");
    tool(&d, "dfuse-pack", &["-b", "0x08000000:app.bin", "app.dfu"]);
    let dfuse = std::fs::read(d.join("app.dfu")).expect("read");
    assert_eq!(
        named("app.dfu", &dfuse).map(|f| f.format),
        Ok(Format::Dfuse)
    );
    // Junk named .dfu is named as what it is.
    assert_eq!(
        named("firmware.dfu", PAGE_404),
        Err(FileError::NotFirmware(NotFirmware::Html))
    );
    let msg = file_error(&FileError::DfuWithoutSuffix);
    assert!(
        msg.contains("neither a DfuSe file nor has a DFU suffix"),
        "{msg}"
    );
}

use common::bin as cli;

#[test]
fn the_command_line_names_junk_and_simulate_writes_none_of_it() {
    let d = scratch("junk-cli");
    for (name, bytes, kind) in samples(&d) {
        let f = d.join(format!("sample-{name}"));
        std::fs::write(&f, &bytes).expect("write");
        let path = f.to_str().expect("utf-8");
        let o = cli().args(["inspect", path]).output().expect("runs");
        assert_eq!(o.status.code(), Some(1), "{name}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{name}: {err}");
        assert!(
            err.contains(&file_error(&FileError::NotFirmware(kind))),
            "{name}: {err}"
        );
        let o = cli()
            .args(["inspect", path, "--json"])
            .output()
            .expect("runs");
        assert_eq!(o.status.code(), Some(1), "{name}");
        let j: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        assert_eq!(
            j["refused"],
            format!("not-firmware:{}", kind.name()),
            "{name}"
        );
        let o = cli()
            .args(["simulate", path, "--device", "stm32f4", "--json"])
            .output()
            .expect("runs");
        assert_ne!(o.status.code(), Some(0), "{name}: simulate must refuse");
        assert!(o.stdout.is_empty(), "{name}: nothing simulated");
    }
    // A plain image named .dfu.
    let f = d.join("plain.dfu");
    std::fs::write(&f, program(4096)).expect("write");
    let o = cli()
        .args(["inspect", f.to_str().expect("utf-8"), "--json"])
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(1));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(j["refused"], "dfu-without-suffix");
}

/// The risks the page asks to confirm, the command line asks for `--force`.
#[test]
fn simulate_needs_force_for_a_tiny_image_or_one_that_is_no_program() {
    let d = scratch("junk-force");
    let run = |file: &str, device: &str, force: bool| {
        let mut c = cli();
        c.args([
            "simulate",
            d.join(file).to_str().expect("utf-8"),
            "--device",
            device,
            "--json",
        ]);
        if force {
            c.arg("--force");
        }
        let o = c.output().expect("runs");
        let j: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        (o.status.success(), j)
    };
    let mut tiny = program(64);
    tiny[40] = 0;
    std::fs::write(d.join("tiny.bin"), &tiny).expect("write");
    std::fs::write(d.join("zeros.bin"), vec![0u8; 4096]).expect("write");
    std::fs::write(d.join("app.bin"), program(4096)).expect("write");
    let o = cli()
        .args(["inspect", d.join("tiny.bin").to_str().expect("utf-8")])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&o.stdout).contains("only 64 bytes"));

    let (ok, j) = run("tiny.bin", "dfu11-dfumode", false);
    assert!(!ok, "{j}");
    assert_eq!(j["written"], 0);
    assert!(
        j["message"]
            .as_str()
            .is_some_and(|m| m.contains("only 64 bytes")),
        "{j}"
    );
    let (ok, j) = run("tiny.bin", "dfu11-dfumode", true);
    assert!(ok, "{j}");

    let (ok, j) = run("zeros.bin", "stm32f4", false);
    assert!(!ok, "{j}");
    assert_eq!(
        j["requests"]["DNLOAD"],
        serde_json::Value::Null,
        "nothing written: {j}"
    );
    assert!(
        j["message"]
            .as_str()
            .is_some_and(|m| m.contains("does not look like a program")),
        "{j}"
    );
    let (ok, j) = run("zeros.bin", "stm32f4", true);
    assert!(ok, "{j}");
    let (ok, j) = run("app.bin", "stm32f4", false);
    assert!(ok, "{j}");
}

/// The command line says how to confirm a risk.
#[test]
fn simulate_says_how_to_confirm() {
    let d = scratch("junk-confirm-hint");
    std::fs::write(d.join("zeros.bin"), vec![0u8; 4096]).expect("write");
    let o = cli()
        .args([
            "simulate",
            d.join("zeros.bin").to_str().expect("utf-8"),
            "--device",
            "stm32f4",
            "--json",
        ])
        .output()
        .expect("runs");
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert!(
        j["message"]
            .as_str()
            .is_some_and(|m| m.ends_with("Use --force to write it anyway.")),
        "{j}"
    );
}

/// The names scripts see (the CLI's `refused: not-firmware:NAME`) and which kinds are
/// archives ("unpack it first"), written here by hand.
#[test]
fn names_and_archives_by_hand() {
    use NotFirmware::*;
    let table = [
        (Html, "html", false),
        (Xml, "xml", false),
        (Json, "json", false),
        (Srecord, "srecord", false),
        (Text, "text", false),
        (Zip, "zip", true),
        (Gzip, "gzip", true),
        (SevenZip, "7z", true),
        (Rar, "rar", true),
        (Xz, "xz", true),
        (Bzip2, "bzip2", true),
        (Zstd, "zstd", true),
        (Tar, "tar", true),
        (Pdf, "pdf", false),
        (OfficeDocument, "office-document", false),
        (Png, "png", false),
        (Jpeg, "jpeg", false),
        (Gif, "gif", false),
        (Bmp, "bmp", false),
        (Webp, "webp", false),
        (Elf, "elf", false),
        (WindowsProgram, "windows-program", false),
        (MacProgram, "mac-program", false),
        (Uf2, "uf2", false),
    ];
    for (kind, name, archive) in table {
        assert_eq!(kind.name(), name);
        assert_eq!(kind.is_archive(), archive, "{name}");
    }
}

/// A signature's first bytes alone are not enough: "BZh" must be followed by the block
/// size digit and the bzip2 block magic.
#[test]
fn half_a_signature_is_not_one() {
    let mut b = b"BZhX".to_vec();
    b.extend((0..600u32).map(|i| (i * 37 + 11) as u8));
    assert!(
        !matches!(parse(&b), Err(FileError::NotFirmware(NotFirmware::Bzip2))),
        "{:?}",
        parse(&b)
    );
    let mut b = b"BZh9".to_vec();
    b.extend((0..600u32).map(|i| (i * 37 + 11) as u8));
    assert!(
        !matches!(parse(&b), Err(FileError::NotFirmware(NotFirmware::Bzip2))),
        "{:?}",
        parse(&b)
    );
}
