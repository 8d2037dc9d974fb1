//! Any bytes after a DfuSe prefix, with a valid suffix: no panic, no unbounded
//! allocation; a parsed file's elements lie inside the 4 GiB address space.
#![no_main]
use dfu_flasher::core::file::{self, suffix, Image, ParseOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut bytes = b"DfuSe\x01".to_vec();
    bytes.extend_from_slice(data);
    let f = suffix::append(&bytes, 0x0483, 0xDF11, 0x2200, 0x011A);
    if let Ok(parsed) = file::parse(&f, &ParseOptions::default()) {
        if let Image::Addressed(targets) = parsed.image {
            for e in targets.iter().flat_map(|t| &t.elements) {
                assert!(e.end() <= 1 << 32);
            }
        }
    }
});
