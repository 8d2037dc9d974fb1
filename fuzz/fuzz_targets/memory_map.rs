//! Any text as a DfuSe memory map: no panic; a parsed map stays inside 4 GiB.
#![no_main]
use dfu_flasher::core::memmap::MemoryMap;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    if let Ok(m) = MemoryMap::parse(&s) {
        for seg in &m.segments {
            assert!(seg.end() <= 1 << 32);
        }
        if let Some(first) = m.segments.first() {
            let _ = m.pages_touching(first.start, 4096);
        }
    }
});
