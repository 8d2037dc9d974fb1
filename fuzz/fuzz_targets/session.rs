//! A hostile device: every reply comes from the fuzzer. The session must end (done or
//! failed) within a bounded number of actions and never panic.
#![no_main]
use dfu_flasher::core::descriptor::Attributes;
use dfu_flasher::core::memmap::MemoryMap;
use dfu_flasher::core::{Action, DfuseOptions, DownloadOptions, LinkError, Reply, Session, Target};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let attributes = Attributes::from_bits(data[0]);
    let transfer_size = u16::from_le_bytes([data[1], data[2]]).max(1) % 4097;
    let dfuse = data[3] & 1 != 0;
    let target = Target { interface: 0, transfer_size: transfer_size.max(1), attributes, dfuse, quirks: Default::default() };
    let image = vec![0xA5u8; 5000];
    let session: Option<Session> = match data[3] >> 1 & 3 {
        0 => Some(Session::detach(target)),
        1 => Session::upload(target, 10_000).ok(),
        2 if dfuse => MemoryMap::parse("@Flash/0x08000000/4*1Kg,2*4Kg").ok().and_then(|m| {
            let opts = DfuseOptions {
                verify: data[3] & 8 != 0,
                mass_erase: data[3] & 16 != 0,
                leave: true,
                leave_address: None,
            };
            Session::dfuse_download(target, &m, &[(0x0800_0100, &image)], opts).ok()
        }),
        _ => {
            let opts = DownloadOptions { verify: data[3] & 8 != 0, restart: true };
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
});
