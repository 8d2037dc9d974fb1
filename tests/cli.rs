//! The command line on files made by the Debian tools, and on bad files.

mod common;

use common::{bin, scratch, tool};
use sha2::{Digest, Sha256};
use std::process::Output;

fn sha(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn inspect_and_simulate_a_dfuse_pack_file() {
    let d = scratch("cli-dfuse");
    let app: Vec<u8> = (0..7000u32).map(|i| (i * 3) as u8).collect();
    std::fs::write(d.join("app.bin"), &app).expect("write");
    tool(
        &d,
        "dfuse-pack",
        &["-b", "0x08004000:app.bin", "-D", "0x0483:0xdf11", "app.dfu"],
    );
    let f = d.join("app.dfu");
    let o = bin()
        .args(["inspect", f.to_str().expect("utf-8"), "--json"])
        .output()
        .expect("runs");
    assert!(o.status.success());
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(j["format"], "dfuse");
    assert_eq!(j["suffix"]["crc_ok"], true);
    assert_eq!(j["targets"][0]["elements"][0]["address"], "0x08004000");
    assert_eq!(j["targets"][0]["elements"][0]["sha256"], sha(&app));

    let o = bin()
        .args([
            "simulate",
            f.to_str().expect("utf-8"),
            "--device",
            "stm32f4",
            "--json",
        ])
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", stdout(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(j["outcome"], "success");
    assert_eq!(j["verified"], true);
    assert_eq!(j["device_holds"][0]["sha256"], sha(&app));
    assert!(
        j["device_time_ms"].as_f64().expect("number") > 250.0,
        "one 16 KiB sector erase at least"
    );
    assert!(j["elapsed_ms"].as_f64() >= j["device_time_ms"].as_f64());
    assert_eq!(j["violations"].as_array().map(Vec::len), Some(0));
}

#[test]
fn simulate_a_dfu_suffix_file_on_the_runtime_device() {
    let d = scratch("cli-suffix");
    let fw: Vec<u8> = (0..5000u32).map(|i| (i * 11) as u8).collect();
    std::fs::write(d.join("fw.bin"), &fw).expect("write");
    tool(
        &d,
        "dfu-suffix",
        &["-v", "1209", "-p", "2301", "-a", "fw.bin"],
    );
    let f = d.join("fw.bin");
    let o = bin()
        .args([
            "simulate",
            f.to_str().expect("utf-8"),
            "--device",
            "dfu11-runtime",
        ])
        .output()
        .expect("runs");
    let text = stdout(&o);
    assert!(o.status.success(), "{text}");
    assert!(text.contains("DETACH 1"), "{text}");
    assert!(text.contains(&sha(&fw)), "{text}");
    // The wrong device: refused, non-zero.
    let o = bin()
        .args([
            "simulate",
            f.to_str().expect("utf-8"),
            "--device",
            "stm32f4",
        ])
        .output()
        .expect("runs");
    assert!(!o.status.success());
    assert!(stdout(&o).contains("another device"), "{}", stdout(&o));
}

#[test]
fn bad_files_exit_non_zero_with_one_line() {
    let d = scratch("cli-bad");
    let mut damaged = vec![0x55u8; 100];
    damaged.extend_from_slice(&[
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x01, b'U', b'F', b'D', 16, 1, 2, 3, 4,
    ]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.bin", vec![], "empty"),
        ("crc.bin", damaged, "damaged"),
        (
            "bad.hex",
            b":0401000001020305F1\n:00000001FF\n".to_vec(),
            "checksum",
        ),
        (
            "cut.dfu",
            b"DfuSe\x01\x00\x00\x00\x00\x01Target".to_vec(),
            "DfuSe",
        ),
    ];
    for (name, bytes, word) in cases {
        let f = d.join(name);
        std::fs::write(&f, &bytes).expect("write");
        let o = bin()
            .args(["inspect", f.to_str().expect("utf-8")])
            .output()
            .expect("runs");
        assert!(!o.status.success(), "{name} must fail");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{name}: one line: {err}");
        assert!(err.contains(word), "{name}: {err}");
    }
    let o = bin()
        .args(["inspect", "/nonexistent/file.dfu"])
        .output()
        .expect("runs");
    assert!(!o.status.success());
}

/// A command line that cannot be obeyed exactly is refused with one line and exit status 2,
/// before anything is read or simulated: a typo must not flash without the check.
#[test]
fn unknown_flags_and_out_of_range_values_are_refused_with_status_2() {
    let d = scratch("cli-usage");
    let f = d.join("app.bin");
    let mut app: Vec<u8> = (0..4096u32).map(|i| (i * 7) as u8).collect();
    app[..8].copy_from_slice(&[0x00, 0x00, 0x02, 0x20, 0x41, 0x00, 0x00, 0x08]);
    std::fs::write(&f, app).expect("write");
    let file = f.to_str().expect("utf-8");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["simulate", file, "--device", "stm32f4", "--no-verfy"],
            "unknown option --no-verfy for simulate",
        ),
        (
            vec!["simulate", file, "--device", "stm32f4", "--alt", "300"],
            "--alt must be a whole number from 0 to 255",
        ),
        (
            vec!["simulate", file, "--device", "stm32f4", "--alt", "-1"],
            "--alt must be",
        ),
        (
            vec![
                "simulate",
                file,
                "--device",
                "stm32f4",
                "--address",
                "0x100000000",
            ],
            "--address must be a whole number from 0 to 0xffffffff",
        ),
        (
            vec![
                "simulate",
                file,
                "--device",
                "stm32f4",
                "--address",
                "eight",
            ],
            "--address must be",
        ),
        (
            vec!["simulate", file, "--device", "nope"],
            "unknown device \"nope\"",
        ),
        (vec!["simulate", file], "simulate needs --device NAME"),
        (vec!["simulate", file, "--device"], "--device needs a value"),
        (vec!["inspect"], "inspect needs FILE"),
        (vec!["inspect", file, file], "unexpected argument"),
        (
            vec!["inspect", file, "--force"],
            "unknown option --force for inspect",
        ),
        (
            vec!["emulate", "stm32f4", "--faster", "0"],
            "--faster must be a whole number from 1 to 10000",
        ),
        (
            vec!["devices", "--json"],
            "unknown option --json for devices (it takes no options)",
        ),
        (vec!["bench"], "unknown command \"bench\""),
        (vec![], "usage:"),
    ];
    for (args, says) in cases {
        let o = bin().args(&args).output().expect("runs");
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
        if !args.is_empty() {
            assert_eq!(err.trim().lines().count(), 1, "{args:?}: one line: {err}");
        }
        assert!(o.stdout.is_empty(), "{args:?}: nothing done");
    }
    // The same flags spelled right are taken.
    let o = bin()
        .args([
            "simulate",
            file,
            "--device",
            "dfu11-dfumode",
            "--no-verify",
            "--alt",
            "0",
            "--address",
            "0x0",
        ])
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn simulate_says_what_the_compare_did_and_full_writes_everything() {
    let d = scratch("cli-compare");
    let mut app: Vec<u8> = (0..40_000u32).map(|i| (i * 7) as u8).collect();
    app[..8].copy_from_slice(&[0x00, 0x00, 0x02, 0x20, 0x41, 0x00, 0x00, 0x08]);
    std::fs::write(d.join("app.bin"), &app).expect("write");
    tool(
        &d,
        "dfuse-pack",
        &["-b", "0x08000000:app.bin", "-D", "0x0483:0xdf11", "app.dfu"],
    );
    let f = d.join("app.dfu");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "simulate",
            f.to_str().expect("utf-8"),
            "--device",
            "stm32f4",
            "--json",
        ];
        args.extend_from_slice(extra);
        let o = bin().args(&args).output().expect("runs");
        assert!(o.status.success(), "{}", stdout(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).expect("json")
    };
    // A fresh simulated chip is blank: the compare reads the three sectors, then writes.
    let j = run(&[]);
    assert_eq!(j["compare"], "no sector of 3 already held this firmware");
    assert!(j["requests"]["UPLOAD"].as_u64().unwrap_or(0) >= 24, "{j}");
    let full = run(&["--full"]);
    assert_eq!(full["compare"], "off (--full): everything written");
    // Read back only by the verify: 20 blocks, no compare before it.
    assert_eq!(full["requests"]["UPLOAD"], 20);
    let mass = run(&["--mass-erase"]);
    assert_eq!(
        mass["compare"],
        "Everything was erased and written, as a mass erase was asked for."
    );
    for x in [&j, &full, &mass] {
        assert_eq!(x["device_holds"][0]["sha256"], sha(&app));
    }
}

/// A disk image larger than the 64 MiB held in memory, suffixed by `dfu-suffix`: checked
/// and sent from the disk in slices, onto a partition of the U-Boot board, byte for byte.
#[test]
fn a_file_larger_than_memory_made_by_dfu_suffix_is_streamed() {
    let d = scratch("cli-stream");
    let path = d.join("boot.img");
    let len: usize = 80 << 20;
    let mut payload = vec![0u8; len];
    for m in 0..(len >> 20) {
        for i in 0..4096 {
            payload[(m << 20) + i] = ((m * 131 + i * 7) as u8) | 1;
        }
    }
    std::fs::write(&path, &payload).expect("write");
    tool(
        &d,
        "dfu-suffix",
        &["-v", "0x1f3a", "-p", "0x1010", "-a", "boot.img"],
    );
    let f = path.to_str().expect("utf-8");
    let o = bin().args(["inspect", f, "--json"]).output().expect("runs");
    assert!(o.status.success(), "{}", stdout(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(j["format"], "dfu_suffix");
    assert_eq!(j["suffix"]["crc_ok"], true, "the CRC, computed in slices");
    assert_eq!(j["payload_size"], len);
    assert_eq!(j["payload_sha256"], sha(&payload));
    let o = bin()
        .args([
            "simulate",
            f,
            "--device",
            "uboot-emmc",
            "--alt",
            "1",
            "--json",
        ])
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", stdout(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(j["outcome"], "success");
    assert_eq!(j["verified"], true);
    assert_eq!(j["device_holds"][0]["sha256"], sha(&payload));
    assert_eq!(
        j["requests"]["UPLOAD"],
        len / 4096,
        "read back block by block"
    );
    // One corrupted byte in the middle: the suffix CRC, computed in slices, says so.
    let mut file = std::fs::read(&path).expect("read");
    file[len / 2] ^= 0xFF;
    std::fs::write(&path, &file).expect("write");
    let o = bin().args(["inspect", f]).output().expect("runs");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("CRC") || err.contains("checksum"), "{err}");
}

/// A 5 GiB file (sparse: it takes no disk) is refused at once, with both sizes.
#[test]
fn a_file_larger_than_4_gib_is_refused_with_both_sizes() {
    let d = scratch("cli-huge");
    let path = d.join("disk.img");
    let f = std::fs::File::create(&path).expect("create");
    f.set_len(5 << 30).expect("sparse");
    let o = bin()
        .args(["inspect", path.to_str().expect("utf-8")])
        .output()
        .expect("runs");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("5 GiB") && err.contains("4 GiB"), "{err}");
}
