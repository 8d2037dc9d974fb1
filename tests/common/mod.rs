//! Helpers shared by the integration tests that run the command line and the Debian tools.
#![allow(dead_code)] // Each test file uses what it needs.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The dfu-flasher binary built for these tests.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dfu-flasher"))
}

/// A fresh folder for one test's files.
pub fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("dfu-flasher-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// Run a Debian tool in `dir`; it must succeed.
pub fn tool(dir: &Path, cmd: &str, args: &[&str]) {
    let ok = Command::new(cmd)
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap_or_else(|e| panic!("`{cmd}` missing ({e}); `cargo xtask test` installs it"))
        .success();
    assert!(ok, "{cmd} {args:?}");
}
