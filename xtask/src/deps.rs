//! Install what the tests need on a fresh Debian machine, idempotently, saying what it does.

use crate::run;
use std::process::Command;

/// Debian packages the tests use as independent oracles: `dfu-suffix`, `dfu-prefix`,
/// `dfuse-pack` (dfu-util) and `fwupdtool` (fwupd).
const APT_PACKAGES: &[(&str, &str)] = &[("dfu-suffix", "dfu-util"), ("fwupdtool", "fwupd")];

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd} >/dev/null 2>&1")])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn output(cmd: &mut Command) -> String {
    cmd.output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

/// Debian packages, the wasm32 target, nightly and cargo-fuzz.
pub fn test_tools() -> Result<(), String> {
    println!("==> checking tools");
    let missing: Vec<&str> = APT_PACKAGES
        .iter()
        .filter(|(cmd, _)| !have(cmd))
        .map(|(_, pkg)| *pkg)
        .collect();
    if missing.is_empty() {
        println!("debian packages: present (dfu-util, fwupd)");
    } else {
        println!("debian packages: installing {}", missing.join(" "));
        let sudo: &[&str] = if output(Command::new("id").arg("-u")).trim() == "0" {
            &[]
        } else {
            &["sudo"]
        };
        let apt = |args: &[&str]| {
            let mut all: Vec<&str> = sudo.to_vec();
            all.push("apt-get");
            all.extend_from_slice(args);
            let mut c = Command::new(all[0]);
            c.args(&all[1..]).env("DEBIAN_FRONTEND", "noninteractive");
            run(&mut c)
        };
        apt(&["update", "-q"])?;
        let mut args = vec!["install", "-y", "-q", "--no-install-recommends"];
        args.extend(missing.iter());
        apt(&args)?;
    }
    let targets = output(Command::new("rustup").args(["target", "list", "--installed"]));
    if targets
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        println!("rust target wasm32-unknown-unknown: present");
    } else {
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    fuzz_tools()
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
    if Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
    {
        println!("cargo-fuzz: present");
    } else {
        run(Command::new("cargo").args(["install", "cargo-fuzz"]))?;
    }
    Ok(())
}
