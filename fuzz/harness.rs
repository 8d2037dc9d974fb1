//! The bodies of the fuzz targets, shared with `tests/fuzz_regressions.rs`, which runs
//! every saved input (the minimized corpus and any crash) through them natively.
//! Each function must not panic, hang or allocate without bound on any input.

use dfu_flasher::core::descriptor::{self, Attributes};
use dfu_flasher::core::file::{self, ihex, suffix, Image, ParseOptions};
use dfu_flasher::core::memmap::MemoryMap;
use dfu_flasher::core::{Action, DfuseOptions, DownloadOptions, LinkError, Reply, Session, Target};

/// Any bytes as device, configuration and string descriptors: no panic, no hang.
pub fn descriptors(data: &[u8]) {
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
}

/// Any text as a DfuSe memory map: no panic; a parsed map stays inside 4 GiB.
pub fn memory_map(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    if let Ok(m) = MemoryMap::parse(&s) {
        for seg in &m.segments {
            assert!(seg.end() <= 1 << 32);
        }
        if let Some(first) = m.segments.first() {
            let _ = m.pages_touching(first.start, 4096);
        }
    }
}

/// Any bytes as a file with a DFU suffix: no panic; a parsed suffix checks out.
pub fn suffix(data: &[u8]) {
    if let Some(Ok((s, len))) = suffix::find(data) {
        assert!(len + usize::from(s.length) == data.len());
    }
    let _ = file::parse(data, &ParseOptions { ignore_crc: true });
    // With a valid CRC, so the fuzzer reaches past the checksum.
    let _ = file::parse(
        &suffix::append(data, 0x0483, 0xDF11, 0x2200, 0x0100),
        &ParseOptions::default(),
    );
}

/// Any bytes after a DfuSe prefix, with a valid suffix: no panic, no unbounded
/// allocation; a parsed file's elements lie inside the 4 GiB address space.
pub fn dfuse(data: &[u8]) {
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
}

/// Any text as Intel HEX: no panic; parsed elements do not overlap.
pub fn ihex(data: &[u8]) {
    if let Ok(hex) = ihex::parse(data) {
        for w in hex.elements.windows(2) {
            assert!(w[0].end() < u64::from(w[1].address));
        }
    }
}

/// A hostile device: every reply comes from the fuzzer. The session must end (done or
/// failed) within a bounded number of actions and never panic.
pub fn session(data: &[u8]) {
    if data.len() < 4 {
        return;
    }
    let attributes = Attributes::from_bits(data[0]);
    let transfer_size = u16::from_le_bytes([data[1], data[2]]).max(1) % 4097;
    let dfuse = data[3] & 1 != 0;
    let target = Target {
        interface: 0,
        transfer_size: transfer_size.max(1),
        attributes,
        dfuse,
        quirks: Default::default(),
    };
    let image = vec![0xA5u8; 5000];
    let session: Option<Session> = match data[3] >> 1 & 3 {
        0 => Some(Session::detach(target)),
        1 => Session::upload(target, 10_000).ok(),
        2 if dfuse => MemoryMap::parse("@Flash/0x08000000/4*1Kg,2*4Kg")
            .ok()
            .and_then(|m| {
                let opts = DfuseOptions {
                    verify: data[3] & 8 != 0,
                    mass_erase: data[3] & 16 != 0,
                    leave: true,
                    leave_address: None,
                    compare: data[3] & 32 != 0,
                };
                Session::dfuse_download(target, &m, &[(0x0800_0100, &image)], opts).ok()
            }),
        // A streamed image: its bytes come through `Action::Read`.
        _ if data[3] & 64 != 0 => {
            let opts = DownloadOptions {
                verify: data[3] & 8 != 0,
                restart: true,
            };
            match MemoryMap::parse("@Flash/0x08000000/4*1Kg,2*4Kg") {
                Ok(m) if dfuse => {
                    let opts = DfuseOptions {
                        verify: opts.verify,
                        mass_erase: data[3] & 16 != 0,
                        leave: true,
                        leave_address: None,
                        compare: false,
                    };
                    Session::dfuse_download_streamed(target, &m, 0x0800_0100, 5000, opts).ok()
                }
                _ => Session::download_streamed(target, image.len() as u64, opts).ok(),
            }
        }
        _ => {
            let opts = DownloadOptions {
                verify: data[3] & 8 != 0,
                restart: true,
            };
            Session::download(target, &image, opts).ok()
        }
    };
    let Some(mut s) = session else { return };
    let mut bytes = data[4..].iter().copied();
    for _ in 0..2_000_000u32 {
        match s.next_action() {
            Action::Done(_) | Action::Failed(_) => return,
            Action::Wait { .. } => s.handle(Reply::Waited),
            Action::Reset => s.handle(Reply::ResetDone),
            // The file: read as asked, unreadable, or ending early.
            Action::Read { offset, len } => {
                let from = usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .min(image.len());
                let to = from.saturating_add(len).min(image.len());
                s.handle(match bytes.next() {
                    Some(0) => Reply::Unreadable,
                    Some(1) => Reply::Data(image[from..to.min(from + 1)].to_vec()),
                    _ => Reply::Data(image[from..to].to_vec()),
                });
            }
            Action::Control(_) => {
                let reply = match bytes.next() {
                    None => Reply::Failed(LinkError::Disconnected),
                    Some(0) => Reply::Stall,
                    Some(1) => Reply::Out,
                    Some(2) => Reply::Failed(LinkError::Timeout),
                    Some(n) => {
                        let len = usize::from(n % 8);
                        Reply::In(bytes.by_ref().take(len).collect())
                    }
                };
                s.handle(reply);
            }
        }
    }
    panic!("session did not end");
}
