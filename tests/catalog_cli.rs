//! `dfu-flasher catalog check|add` on real files made by `dfu-suffix` and `dfuse-pack`,
//! with catalogs written here by hand; sizes and digests are computed by sha2 here, not by
//! the command under test.

mod common;

use common::{bin, scratch, tool};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::Output;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A Cortex-M program at 0x08000000: stack in SRAM, reset handler inside the image.
fn program(len: usize, seed: u8) -> Vec<u8> {
    let mut v: Vec<u8> = (0..len)
        .map(|i| (i as u8).wrapping_mul(seed) ^ 0x5A)
        .collect();
    v[..8].copy_from_slice(&[0x00, 0x00, 0x02, 0x20, 0x41, 0x00, 0x00, 0x08]);
    v
}

/// The demo widget's firmware 2.00 with a suffix for 1209:2301, made by dfu-suffix.
fn widget_file(dir: &Path, name: &str) -> Vec<u8> {
    let mut body = b"DEMO-WIDGET-FIRMWARE v2.00\n".to_vec();
    body.extend((0..4000u32).map(|i| (i * 13) as u8));
    std::fs::write(dir.join(name), &body).expect("write");
    tool(
        dir,
        "dfu-suffix",
        &["-v", "1209", "-p", "2301", "-d", "0xffff", "-a", name],
    );
    std::fs::read(dir.join(name)).expect("read")
}

/// A DfuSe file for the STM32F4 ROM, made by dfuse-pack, with its image at `address`.
fn board_file(dir: &Path, name: &str, address: &str) -> Vec<u8> {
    std::fs::write(dir.join(format!("{name}.bin")), program(3000, 7)).expect("write");
    tool(
        dir,
        "dfuse-pack",
        &[
            "-b",
            &format!("{address}:{name}.bin"),
            "-D",
            "0x0483:0xdf11",
            &format!("{name}.dfu"),
        ],
    );
    std::fs::read(dir.join(format!("{name}.dfu"))).expect("read")
}

fn write_catalog(dir: &Path, releases_widget: &str, releases_board: &str) -> String {
    let text = format!(
        r#"{{
  "format": "dfu-flasher-catalog/1",
  "vendor": "Example Gadgets",
  "products": [
    {{"id": "widget", "name": "Widget", "version": "bcd",
      "devices": [{{"vid": "1209", "pid": "2301", "mode": "runtime"}}, {{"vid": "1209", "pid": "2302", "mode": "dfu"}}],
      "releases": [{releases_widget}]}},
    {{"id": "board", "name": "Board", "version": "none",
      "devices": [{{"vid": "0483", "pid": "df11", "mode": "dfu"}}],
      "releases": [{releases_board}]}}
  ]
}}"#
    );
    let path = dir.join("catalog.json");
    std::fs::write(&path, text).expect("write");
    path.to_str().expect("utf-8").to_string()
}

fn release(version: &str, file: &str, bytes: &[u8]) -> String {
    format!(
        r#"{{"version": "{version}", "file": "{file}", "size": {}, "sha256": "{}"}}"#,
        bytes.len(),
        hex(&Sha256::digest(bytes))
    )
}

#[test]
fn check_passes_a_good_catalog_and_names_each_problem() {
    let d = scratch("catalog-check");
    let w = widget_file(&d, "widget-2.00.dfu");
    std::fs::create_dir_all(d.join("board")).expect("dir");
    let b = board_file(&d.join("board"), "board-3", "0x08000000");
    let cat = write_catalog(
        &d,
        &release("2.00", "widget-2.00.dfu", &w),
        &release("3", "board/board-3.dfu", &b),
    );
    let o = run(&["catalog", "check", &cat]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        stdout(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        stdout(&o).ends_with("2 products, 2 releases: every file checked\n"),
        "{}",
        stdout(&o)
    );
    // Against the simulated devices' memory: both fit where they belong.
    let o = run(&["catalog", "check", &cat, "--device", "dfu11-runtime"]);
    // The board's file names ST's ids, not the widget's: it does not fit the widget.
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(!out.contains("widget-2.00.dfu does not fit"), "{out}");
    assert!(
        out.contains(
            "products[1].releases[0] (board 3): board/board-3.dfu does not fit Demo Widget"
        ),
        "{out}"
    );

    // A file changed after it was listed: one line naming the digests, exit 1.
    let mut changed = w.clone();
    changed[50] ^= 1;
    std::fs::write(d.join("widget-2.00.dfu"), &changed).expect("write");
    let o = run(&["catalog", "check", &cat]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 2, "{out}"); // the digest, and the CRC the change broke
    assert!(out.contains(&format!(
        "products[0].releases[0] (widget 2.00): widget-2.00.dfu has SHA-256 {}; the catalog says {}",
        hex(&Sha256::digest(&changed)),
        hex(&Sha256::digest(&w))
    )), "{out}");
    assert!(out.contains("checksum does not match"), "{out}");
    // A file that is missing, one of another size, and a suffix for another product.
    std::fs::write(d.join("widget-2.00.dfu"), &w).expect("write");
    let other = board_file(&d, "other", "0x08000000");
    let cat = write_catalog(
        &d,
        &format!(
            "{}, {}",
            release("2.00", "widget-2.00.dfu", &w[..w.len() - 1]),
            release("1.00", "gone.dfu", &w)
        ),
        &format!(
            "{}, {}",
            release("3", "board/board-3.dfu", &b),
            release("4", "widget-2.00.dfu", &w)
        ),
    );
    let _ = other;
    let o = run(&["catalog", "check", &cat, "--offline"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains(&format!(
            "widget-2.00.dfu is {} bytes; the catalog says {}",
            w.len(),
            w.len() - 1
        )),
        "{out}"
    );
    assert!(out.contains("(widget 1.00): cannot read"), "{out}");
    assert!(out.contains("(board 4): widget-2.00.dfu: its DFU suffix names 1209:2301, which is not one of board's devices"), "{out}");
    assert!(!out.contains("(board 3)"), "{out}");
}

#[test]
fn check_refuses_a_catalog_the_page_would_refuse_line_by_line() {
    let d = scratch("catalog-bad");
    let path = d.join("catalog.json");
    std::fs::write(
        &path,
        r#"{"format": "dfu-flasher-catalog/1", "vendor": "V", "products": [
            {"id": "a", "name": "A", "version": "bcd", "devices": [{"vid": "12", "pid": "2301", "mode": "runtime"}],
             "releases": [{"version": "1.x", "file": "a.dfu", "size": 10, "sha256": "00"}]}]}"#,
    )
    .expect("write");
    let o = run(&["catalog", "check", path.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].ends_with(
            "products[0].devices[0].vid: must be four hex digits like \"1209\", not \"12\""
        ),
        "{out}"
    );
    assert!(lines[1].ends_with("products[0].releases[0].version: must be numbers separated by dots, like \"1.42\", not \"1.x\""), "{out}");
    assert!(lines[2].contains("products[0].releases[0].sha256: must be the file's SHA-256 as 64 hex digits; this has 2 characters"), "{out}");
}

#[test]
fn add_computes_size_and_digest_and_refuses_what_the_page_would() {
    let d = scratch("catalog-add");
    let w = widget_file(&d, "widget-2.00.dfu");
    let b = board_file(&d, "board-3", "0x08000000");
    let cat = write_catalog(
        &d,
        &release("2.00", "widget-2.00.dfu", &w),
        &release("3", "board-3.dfu", &b),
    );
    let b4 = board_file(&d, "board-4", "0x08000000");
    let o = run(&[
        "catalog",
        "add",
        &cat,
        "--product",
        "board",
        "--version",
        "4",
        "--file",
        d.join("board-4.dfu").to_str().expect("utf-8"),
        "--channel",
        "beta",
        "--date",
        "2026-12-01",
        "--notes",
        "Schnellerer Start.",
        "--lang",
        "de",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        stdout(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&cat).expect("read")).expect("json");
    let r = &v["products"][1]["releases"][0];
    assert_eq!(r["version"], "4");
    assert_eq!(r["file"], "board-4.dfu");
    assert_eq!(r["size"], b4.len());
    assert_eq!(r["sha256"], hex(&Sha256::digest(&b4)));
    assert_eq!(r["channel"], "beta");
    assert_eq!(r["date"], "2026-12-01");
    assert_eq!(r["notes"]["de"], "Schnellerer Start.");
    assert_eq!(
        v["products"][1]["releases"][1]["version"], "3",
        "the earlier release kept"
    );
    // The result passes the check.
    assert_eq!(run(&["catalog", "check", &cat]).status.code(), Some(0));
    let before = std::fs::read(&cat).expect("read");
    // The same version again, a file that is not firmware, a file outside the catalog's
    // folder without --url, an unknown product: refused, the catalog unchanged.
    std::fs::write(
        d.join("notes.txt"),
        "Release notes for version 5 of the board firmware.\n",
    )
    .expect("write");
    let outside = scratch("catalog-add-outside").join("x.dfu");
    std::fs::write(&outside, &b4).expect("write");
    for (args, code, said) in [
        (
            vec![
                "--product",
                "board",
                "--version",
                "4.0",
                "--file",
                "board-4.dfu",
            ],
            1,
            "board already has release 4 (products[1].releases[0])",
        ),
        (
            vec![
                "--product",
                "board",
                "--version",
                "5",
                "--file",
                "notes.txt",
            ],
            1,
            "text file",
        ),
        (
            vec![
                "--product",
                "board",
                "--version",
                "5",
                "--file",
                outside.to_str().expect("utf-8"),
            ],
            2,
            "--url",
        ),
        (
            vec![
                "--product",
                "gizmo",
                "--version",
                "5",
                "--file",
                "board-4.dfu",
            ],
            2,
            "it has: widget, board",
        ),
        (
            vec![
                "--product",
                "board",
                "--version",
                "5",
                "--file",
                "board-4.dfu",
                "--offline",
            ],
            2,
            "not an option of catalog add",
        ),
    ] {
        let args: Vec<String> = args
            .iter()
            .map(|a| {
                if a.ends_with(".dfu") && !a.starts_with('/') || a.ends_with(".txt") {
                    d.join(a).to_string_lossy().into_owned()
                } else {
                    a.to_string()
                }
            })
            .collect();
        let mut all = vec!["catalog".to_string(), "add".into(), cat.clone()];
        all.extend(args);
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        let o = run(&all);
        let text = format!("{}{}", stdout(&o), String::from_utf8_lossy(&o.stderr));
        assert_eq!(o.status.code(), Some(code), "{all:?}: {text}");
        assert!(text.contains(said), "{all:?}: {text}");
        assert_eq!(
            std::fs::read(&cat).expect("read"),
            before,
            "{all:?} changed the catalog"
        );
    }
    // With --url the file may live elsewhere (a CDN); it is pinned by size and digest.
    let o = run(&[
        "catalog",
        "add",
        &cat,
        "--product",
        "board",
        "--version",
        "5",
        "--file",
        outside.to_str().expect("utf-8"),
        "--url",
        "https://cdn.example.com/board-5.dfu",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = run(&["catalog", "check", &cat, "--offline"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("https://cdn.example.com/board-5.dfu not checked (--offline)"),
        "{}",
        stdout(&o)
    );
}

/// The committed demo catalog matches the committed demo files, and they fit the demo
/// widget.
#[test]
fn the_demo_catalog_is_true() {
    let o = run(&[
        "catalog",
        "check",
        "www/demo/catalog.json",
        "--device",
        "dfu11-runtime",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        stdout(&o),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `catalog keygen` and `catalog sign` make an Ed25519 signature over the catalog's exact
/// bytes that OpenSSL verifies with the printed public key; `check --public-key` accepts
/// it, and refuses the catalog once a byte changes or with another key.
#[test]
fn signatures_verify_with_openssl_and_check() {
    let d = scratch("catalog-sign");
    let w = widget_file(&d, "widget-2.00.dfu");
    let b = board_file(&d, "board-3", "0x08000000");
    let cat = write_catalog(
        &d,
        &release("2.00", "widget-2.00.dfu", &w),
        &release("3", "board-3.dfu", &b),
    );
    let key = d.join("vendor.key");
    let _ = std::fs::remove_file(&key);
    let o = run(&["catalog", "keygen", key.to_str().expect("utf-8")]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let public = stdout(&o).trim().to_string();
    assert_eq!(public.len(), 64, "{public}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).expect("key").permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the secret key is readable by its owner only"
        );
    }
    // keygen never overwrites a key.
    assert_eq!(
        run(&["catalog", "keygen", key.to_str().expect("utf-8")])
            .status
            .code(),
        Some(1)
    );
    let o = run(&[
        "catalog",
        "sign",
        &cat,
        "--key",
        key.to_str().expect("utf-8"),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let sig_hex = std::fs::read_to_string(format!("{cat}.sig")).expect("sig");
    let sig: Vec<u8> = (0..64)
        .map(|i| u8::from_str_radix(&sig_hex.trim()[2 * i..2 * i + 2], 16).expect("hex"))
        .collect();
    std::fs::write(d.join("sig.bin"), &sig).expect("write");
    // The public key as a SubjectPublicKeyInfo (RFC 8410), for OpenSSL.
    let mut der = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    der.extend((0..32).map(|i| u8::from_str_radix(&public[2 * i..2 * i + 2], 16).expect("hex")));
    std::fs::write(d.join("pub.der"), &der).expect("write");
    let verify = |file: &str| {
        std::process::Command::new("openssl")
            .args([
                "pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey", "pub.der", "-rawin",
                "-in", file, "-sigfile", "sig.bin",
            ])
            .current_dir(&d)
            .output()
            .expect("openssl runs")
            .status
            .success()
    };
    assert!(verify("catalog.json"), "OpenSSL verifies the signature");
    let o = run(&["catalog", "check", &cat, "--public-key", &public]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("signature good"));
    // Another key: refused.
    let other = d.join("other.key");
    let _ = std::fs::remove_file(&other);
    let o = run(&["catalog", "keygen", other.to_str().expect("utf-8")]);
    let other_public = stdout(&o).trim().to_string();
    let o = run(&["catalog", "check", &cat, "--public-key", &other_public]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("does not match the catalog and this key"),
        "{}",
        stdout(&o)
    );
    // One byte changed after signing: OpenSSL and check both refuse.
    let mut text = std::fs::read(&cat).expect("read");
    let at = text.iter().position(|&c| c == b'W').expect("a W");
    text[at] = b'V';
    std::fs::write(&cat, &text).expect("write");
    assert!(!verify("catalog.json"));
    assert_eq!(
        run(&["catalog", "check", &cat, "--public-key", &public])
            .status
            .code(),
        Some(1)
    );
    // Unsigned.
    std::fs::remove_file(format!("{cat}.sig")).expect("rm");
    let o = run(&["catalog", "check", &cat, "--public-key", &public]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("unsigned"), "{}", stdout(&o));
}

/// A catalog being written starts with no releases: `add` fills in the first one (and
/// the page would refuse the catalog until then).
#[test]
fn add_starts_a_catalog_from_an_empty_release_list() {
    let d = scratch("catalog-first");
    let w = widget_file(&d, "widget-2.00.dfu");
    let b = board_file(&d, "board-3", "0x08000000");
    let cat = write_catalog(&d, "", &release("3", "board-3.dfu", &b));
    let o = run(&["catalog", "check", &cat]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("products[0].releases: must not be empty"),
        "{}",
        stdout(&o)
    );
    let o = run(&[
        "catalog",
        "add",
        &cat,
        "--product",
        "widget",
        "--version",
        "2.00",
        "--file",
        d.join("widget-2.00.dfu").to_str().expect("utf-8"),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        stdout(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    let o = run(&["catalog", "check", &cat, "--device", "dfu11-runtime"]);
    assert!(!stdout(&o).contains("(widget 2.00)"), "{}", stdout(&o));
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&cat).expect("read")).expect("json");
    assert_eq!(
        v["products"][0]["releases"][0]["sha256"],
        hex(&Sha256::digest(&w))
    );
}

/// As a vendor types it: the catalog and the file named relative to the current folder.
#[test]
fn add_and_check_with_names_relative_to_the_current_folder() {
    let d = scratch("catalog-here");
    widget_file(&d, "widget-2.00.dfu");
    let b = board_file(&d, "board-3", "0x08000000");
    write_catalog(&d, "", &release("3", "board-3.dfu", &b));
    let here = |args: &[&str]| bin().args(args).current_dir(&d).output().expect("runs");
    let o = here(&[
        "catalog",
        "add",
        "catalog.json",
        "--product",
        "widget",
        "--version",
        "2.00",
        "--file",
        "widget-2.00.dfu",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        stdout(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    let o = here(&["catalog", "check", "catalog.json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}
