//! Any bytes as device, configuration and string descriptors: no panic, no hang.
#![no_main]
use dfu_flasher::core::descriptor;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = descriptor::DeviceDescriptor::parse(data);
    let _ = descriptor::FunctionalDescriptor::parse(data);
    let _ = descriptor::parse_string(data);
    let _ = descriptor::parse_language_ids(data);
    if let Ok(c) = descriptor::parse_configuration(data) {
        for i in &c.interfaces {
            if let Some(f) = i.functional {
                let _ = f.transfer_size(64);
                let _ = f.version();
            }
        }
    }
});
