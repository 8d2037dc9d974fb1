//! Any text as Intel HEX: no panic; parsed elements do not overlap.
#![no_main]
use dfu_flasher::core::file::{ihex, Warning};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut warnings: Vec<Warning> = Vec::new();
    if let Ok(hex) = ihex::parse(data, &mut warnings) {
        for w in hex.elements.windows(2) {
            assert!(w[0].end() < u64::from(w[1].address));
        }
    }
});
