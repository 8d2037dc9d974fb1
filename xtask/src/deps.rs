//! Install what the tests need on a fresh Debian machine, idempotently, saying what it does.

use crate::run;
use std::process::Command;

/// Debian packages the tests use as independent oracles, each with a shell check:
/// `dfu-suffix` and `dfuse-pack` (dfu-util; `dfuse-pack -i` needs python3-intelhex) and
/// `fwupdtool` (fwupd); the archivers whose output the not-firmware table must refuse
/// (`zip`, `xz`, `bzip2`, `zstd`; `gzip` and `tar` are part of every Debian system);
/// `openssl`, which checks the catalog signatures `catalog sign` makes.
const APT_PACKAGES: &[(&str, &str)] = &[
    ("command -v dfu-suffix", "dfu-util"),
    ("command -v fwupdtool", "fwupd"),
    ("/usr/bin/python3 -c 'import intelhex'", "python3-intelhex"),
    ("command -v zip", "zip"),
    ("command -v xz", "xz-utils"),
    ("command -v bzip2", "bzip2"),
    ("command -v zstd", "zstd"),
    ("command -v openssl", "openssl"),
];

fn check(sh: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("{sh} >/dev/null 2>&1")])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn have(cmd: &str) -> bool {
    check(&format!("command -v {cmd}"))
}

fn output(cmd: &mut Command) -> String {
    cmd.output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

/// `/dev/null` must be the null device. On a machine where something replaced it with a regular
/// file, every `>/dev/null` appends text to it, and cargo, which probes rustc with its source read
/// from `/dev/null`, fails with "unknown start of token" errors about that text.
pub fn dev_null() -> Result<(), String> {
    use std::os::unix::fs::FileTypeExt;
    let is_device = std::fs::metadata("/dev/null")
        .map(|m| m.file_type().is_char_device())
        .unwrap_or(false);
    if is_device {
        return Ok(());
    }
    println!("/dev/null is not the null device (it is a regular file or missing): recreating it");
    let root = output(Command::new("id").arg("-u")).trim() == "0";
    let sudo = |args: &[&str]| {
        let mut c = if root {
            Command::new(args[0])
        } else {
            let mut c = Command::new("sudo");
            c.arg(args[0]);
            c
        };
        c.args(&args[1..]);
        run(&mut c)
    };
    sudo(&["rm", "-f", "/dev/null"])?;
    sudo(&["mknod", "-m", "666", "/dev/null", "c", "1", "3"])
        .map_err(|e| format!("{e}; cargo cannot work while /dev/null is a regular file"))
}

/// Everything `cargo xtask test` needs: Debian packages, web tools, Chromium, fuzzing.
pub fn test_tools() -> Result<(), String> {
    println!("==> checking tools");
    let missing: Vec<&str> = APT_PACKAGES
        .iter()
        .filter(|(sh, _)| !check(sh))
        .map(|(_, pkg)| *pkg)
        .collect();
    if missing.is_empty() {
        println!("debian packages: present (dfu-util, fwupd, python3-intelhex, zip, xz-utils, bzip2, zstd)");
    } else {
        apt_install(&missing)?;
    }
    web_tools()?;
    browser_tools()?;
    fuzz_tools()
}

/// `apt-get install` (with `apt-get update` first), as root or through sudo.
fn apt_install(packages: &[&str]) -> Result<(), String> {
    println!("debian packages: installing {}", packages.join(" "));
    let root = output(Command::new("id").arg("-u")).trim() == "0";
    let apt = |args: &[&str]| {
        let mut c = if root {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        };
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        run(&mut c)
    };
    apt(&["update", "-q"])?;
    let mut args = vec!["install", "-y", "-q", "--no-install-recommends"];
    args.extend_from_slice(packages);
    apt(&args)
}

/// A cargo subcommand (`cargo NAME`), installed from crates.io if missing.
fn cargo_subcommand(name: &str, krate: &str) -> Result<(), String> {
    let present = Command::new("cargo")
        .args([name, "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if present {
        println!("{krate}: present");
        Ok(())
    } else {
        run(Command::new("cargo").args(["install", "--locked", krate]))
    }
}

/// `cargo-mutants` (crates.io), for `cargo xtask mutants`.
pub fn mutants_tools() -> Result<(), String> {
    cargo_subcommand("mutants", "cargo-mutants")
}

/// Nightly (for libFuzzer's sanitizer flags) and cargo-fuzz.
pub fn fuzz_tools() -> Result<(), String> {
    let toolchains = output(Command::new("rustup").args(["toolchain", "list"]));
    if toolchains.lines().any(|l| l.starts_with("nightly")) {
        println!("rust nightly: present");
    } else {
        run(Command::new("rustup").args([
            "toolchain",
            "install",
            "nightly",
            "--profile",
            "minimal",
        ]))?;
    }
    cargo_subcommand("fuzz", "cargo-fuzz")
}

/// The wasm-bindgen version Cargo.lock pins (the CLI must match it exactly).
pub fn locked_wasm_bindgen() -> Result<String, String> {
    let lock = std::fs::read_to_string("Cargo.lock")
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l.trim() == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines
                .next()
                .and_then(|v| v.trim().strip_prefix("version = \""))
            {
                return Ok(v.trim_end_matches('"').to_string());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen entry".into())
}

pub fn wasm_bindgen_path() -> String {
    "wasm-bindgen".into()
}

pub fn wasm_opt_path() -> String {
    "node_modules/.bin/wasm-opt".into()
}

fn wasm_target() -> Result<(), String> {
    let targets = output(Command::new("rustup").args(["target", "list", "--installed"]));
    if targets
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        println!("rust target wasm32-unknown-unknown: present");
        Ok(())
    } else {
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
    }
}

/// npm packages from package-lock.json (binaryen's wasm-opt, playwright-core, axe-core).
pub fn npm_packages() -> Result<(), String> {
    if std::path::Path::new("node_modules/.bin/wasm-opt").exists()
        && std::path::Path::new("node_modules/playwright-core").exists()
        && std::path::Path::new("node_modules/axe-core/axe.min.js").exists()
    {
        println!("npm packages: present");
        return Ok(());
    }
    run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]))
}

/// The wasm target, wasm-bindgen-cli matching Cargo.lock, and wasm-opt.
pub fn web_tools() -> Result<(), String> {
    wasm_target()?;
    let want = locked_wasm_bindgen()?;
    let have = output(Command::new("wasm-bindgen").arg("--version"));
    if have.split_whitespace().nth(1) == Some(want.as_str()) {
        println!("wasm-bindgen-cli {want}: present");
    } else {
        // `--locked` fails against this registry; the version pin is what matters.
        run(Command::new("cargo").args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            &want,
            "--force",
        ]))?;
    }
    npm_packages()
}

/// The real-browser USB tests: umockdev (its preload library and GI bindings) and
/// Debian's python3-gi, on a Debian machine, as root (the Chromium policy lives in /etc).
/// `Err` says why this machine cannot run them.
pub fn real_usb_tools() -> Result<(), String> {
    if !std::path::Path::new("/etc/debian_version").exists() {
        return Err(
            "the real-browser USB tests need a Debian machine (Debian's umockdev and Chromium)"
                .into(),
        );
    }
    if output(Command::new("id").arg("-u")).trim() != "0" {
        return Err("the real-browser USB tests must run as root: they write a Chromium policy in /etc/chromium/policies/managed".into());
    }
    browser_tools()?;
    let gi = "/usr/bin/python3 -c \"import gi; gi.require_version('UMockdev', '1.0'); from gi.repository import UMockdev\"";
    if check(gi) && check("test -e /usr/lib/x86_64-linux-gnu/libumockdev-preload.so.0 || ldconfig -p | grep -q libumockdev-preload") {
        println!("umockdev + python3-gi: present");
        return Ok(());
    }
    apt_install(&[
        "umockdev",
        "libumockdev0",
        "gir1.2-umockdev-1.0",
        "python3-gi",
    ])
}

/// Debian's Chromium and chromedriver for the browser tests, and Xvfb (with xauth, which
/// `xvfb-run` needs) for the one that needs a windowed Chromium: headless Chromium never
/// hides a tab, so the hidden-tab test cannot run without a display.
pub fn browser_tools() -> Result<(), String> {
    if have("chromium") && have("chromedriver") && have("xvfb-run") && have("xauth") {
        println!("chromium + chromedriver + xvfb-run: present");
        return Ok(());
    }
    apt_install(&["chromium", "chromium-driver", "xvfb", "xauth"])
}
