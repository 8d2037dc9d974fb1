//! Helpers shared by the integration tests: the command line and the Debian tools, and the
//! device faults of the fault matrix.
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

/// Every fault the fault matrix injects: a stall, a device that vanishes (and comes back
/// 500 ms later), a transfer that never completes, a short or garbled status, an absurd
/// poll timeout, and each error status 0x01–0x0F.
pub fn device_faults() -> Vec<dfu_flasher::sim::Effect> {
    use dfu_flasher::sim::Effect;
    let mut f = vec![
        Effect::Stall,
        Effect::Disconnect {
            reattach_ms: Some(500),
        },
        Effect::Timeout,
        Effect::ShortStatus,
        Effect::GarbageStatus,
        Effect::PollTimeout(0xFF_FFFF),
    ];
    f.extend((0x01..=0x0F).map(Effect::ErrorStatus));
    f
}
