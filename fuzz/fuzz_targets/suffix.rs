//! Any bytes as a file with a DFU suffix: no panic; a parsed suffix checks out.
#![no_main]
use dfu_flasher::core::file::{self, suffix, ParseOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(Ok((s, len))) = suffix::find(data) {
        assert!(len + usize::from(s.length) == data.len());
    }
    let _ = file::parse(data, &ParseOptions { ignore_crc: true });
    // With a valid CRC, so the fuzzer reaches past the checksum.
    let _ = file::parse(&suffix::append(data, 0x0483, 0xDF11, 0x2200, 0x0100), &ParseOptions::default());
});
