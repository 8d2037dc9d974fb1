//! The simulator driven with raw setup packets written by hand from the spec tables:
//! descriptors, the DFU state machine, DfuSe commands, rule checks and faults.

use dfu_flasher::sim::{
    Activity, Effect, Fault, Profile, Request, Setup, SimDevice, SimError, Trigger,
};

fn dev(name: &str) -> SimDevice {
    SimDevice::new(Profile::by_name(name).expect("profile"))
}

fn get_descriptor(kind: u8, index: u8, len: u16) -> Setup {
    Setup {
        request_type: 0x80,
        request: 6,
        value: (u16::from(kind) << 8) | u16::from(index),
        index: 0x0409,
        length: len,
    }
}

fn out(request: u8, value: u16, len: u16) -> Setup {
    Setup {
        request_type: 0x21,
        request,
        value,
        index: 0,
        length: len,
    }
}

fn inp(request: u8, value: u16, len: u16) -> Setup {
    Setup {
        request_type: 0xA1,
        request,
        value,
        index: 0,
        length: len,
    }
}

fn status(d: &mut SimDevice) -> [u8; 6] {
    d.control_in(inp(3, 0, 6))
        .expect("status")
        .try_into()
        .expect("6 bytes")
}

#[test]
fn stm32f4_descriptors_match_the_real_rom() {
    let mut d = dev("stm32f4");
    let dd = d.control_in(get_descriptor(1, 0, 18)).expect("device");
    assert_eq!(&dd[8..14], &[0x83, 0x04, 0x11, 0xDF, 0x00, 0x21]);
    let head = d.control_in(get_descriptor(2, 0, 9)).expect("config head");
    assert_eq!(head.len(), 9);
    let total = u16::from_le_bytes([head[2], head[3]]);
    assert_eq!(total, 9 + 4 * 9 + 9, "54 bytes, as lsusb shows");
    let cfg = d.control_in(get_descriptor(2, 0, total)).expect("config");
    assert_eq!(
        &cfg[cfg.len() - 9..],
        &[9, 0x21, 0x0B, 0xFF, 0x00, 0x00, 0x08, 0x1A, 0x01]
    );
    let name = d
        .control_in(get_descriptor(3, cfg[9 + 8], 255))
        .expect("alt 0 name");
    let text: String = char::decode_utf16(
        name[2..]
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]])),
    )
    .map(|c| c.unwrap_or('?'))
    .collect();
    assert_eq!(
        text,
        "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg"
    );
    assert_eq!(
        d.control_in(get_descriptor(3, 0, 255)).expect("langids"),
        vec![4, 3, 0x09, 0x04]
    );
}

#[test]
fn dfuse_erase_set_address_write_and_read_back() {
    let mut d = dev("stm32f4");
    d.control_out(out(1, 0, 5), &[0x41, 0x00, 0x40, 0x00, 0x08])
        .expect("erase");
    let s = status(&mut d);
    assert_eq!((s[0], s[4]), (0, 4), "dfuDNBUSY while erasing");
    let poll = u32::from_le_bytes([s[1], s[2], s[3], 0]);
    assert_eq!(poll, 250, "16 KiB sector");
    d.sleep(poll);
    assert_eq!(status(&mut d)[4], 5);
    d.control_out(out(1, 0, 5), &[0x21, 0x00, 0x40, 0x00, 0x08])
        .expect("set address");
    let s = status(&mut d);
    d.sleep(u32::from(s[1]));
    status(&mut d);
    d.control_out(out(1, 2, 4), &[1, 2, 3, 4]).expect("write");
    let s = status(&mut d);
    d.sleep(u32::from(s[1]));
    assert_eq!(status(&mut d)[4], 5);
    d.control_out(out(6, 0, 0), &[]).expect("abort");
    assert_eq!(
        d.control_in(inp(2, 2, 4)).expect("upload"),
        vec![1, 2, 3, 4]
    );
    assert_eq!(
        d.control_in(inp(2, 0, 4)).expect("get commands"),
        vec![0x00, 0x21, 0x41, 0x92]
    );
    assert!(d.violations().is_empty());
    // What the device was doing at each request, by its own reading of them: the erase
    // command starts the erase, Set-Address and status requests start nothing, the data
    // block starts the write, ABORT keeps it, UPLOAD starts the read.
    let seen: Vec<(&str, Activity)> = d
        .transcript()
        .iter()
        .map(|e| (e.name, e.activity))
        .collect();
    use Activity::{Erase, Read, Write};
    assert_eq!(
        seen,
        [
            ("DNLOAD", Erase),
            ("GETSTATUS", Erase),
            ("GETSTATUS", Erase),
            ("DNLOAD", Erase),
            ("GETSTATUS", Erase),
            ("GETSTATUS", Erase),
            ("DNLOAD", Write),
            ("GETSTATUS", Write),
            ("GETSTATUS", Write),
            ("ABORT", Write),
            ("UPLOAD", Read),
            ("UPLOAD", Read),
        ]
    );
    // The zero-length DNLOAD leaves (DfuSe); on a DFU 1.1 device it manifests.
    d.control_out(out(6, 0, 0), &[]).expect("abort");
    d.control_out(out(1, 0, 0), &[]).expect("leave");
    assert_eq!(d.activity(), Activity::Leave);
    let mut plain = dev("dfu11-dfumode");
    assert_eq!(plain.activity(), Activity::Idle);
    plain
        .control_out(out(1, 0, 4), &[1, 2, 3, 4])
        .expect("block 0");
    assert_eq!(
        plain.activity(),
        Activity::Write,
        "block 0 is data on DFU 1.1"
    );
    let s = status(&mut plain);
    plain.sleep(u32::from(s[1]));
    status(&mut plain);
    plain.control_out(out(1, 1, 0), &[]).expect("end");
    assert_eq!(plain.activity(), Activity::Manifest);
    assert_eq!(dev("dfu11-runtime").activity(), Activity::Runtime);
}

/// A fault aimed at an activity fires at the nth request of its type counted from the
/// activity's start, and only then.
#[test]
fn faults_aimed_at_an_activity_fire_inside_it() {
    let mut d = dev("stm32f4");
    d.add_fault(Fault {
        trigger: Trigger::During {
            activity: Activity::Write,
            request: Request::GetStatus,
            nth: 2,
        },
        effect: Effect::Stall,
    });
    // Erase: four status requests, none of them in the write.
    d.control_out(out(1, 0, 5), &[0x41, 0x00, 0x40, 0x00, 0x08])
        .expect("erase");
    for _ in 0..4 {
        let s = status(&mut d);
        d.sleep(u32::from_le_bytes([s[1], s[2], s[3], 0]));
    }
    assert_eq!(d.unfired_faults().len(), 1);
    d.control_out(out(1, 2, 4), &[1, 2, 3, 4]).expect("write");
    let s = status(&mut d);
    d.sleep(u32::from(s[1]));
    assert_eq!(d.control_in(inp(3, 0, 6)), Err(SimError::Stall));
    assert!(d.unfired_faults().is_empty());
}

#[test]
fn rules_fire_when_the_host_breaks_them() {
    // Polling a busy device too early.
    let mut d = dev("stm32f4");
    d.control_out(out(1, 0, 5), &[0x41, 0, 0, 0, 0x08])
        .expect("erase");
    status(&mut d);
    assert_eq!(d.control_in(inp(3, 0, 6)), Err(SimError::Stall));
    assert_eq!(d.violations()[0].rule, "request to busy device");
    // Writing unerased flash.
    let mut d = dev("stm32f4");
    for _ in 0..2 {
        d.control_out(out(6, 0, 0), &[]).expect("abort");
        d.control_out(out(1, 2, 2), &[0, 0]).expect("write");
        let s = status(&mut d);
        d.sleep(u32::from(s[1]));
        status(&mut d);
    }
    assert!(d
        .violations()
        .iter()
        .any(|v| v.rule == "no write to unerased flash"));
    // DFU 1.1 blocks out of order.
    let mut d = dev("dfu11-dfumode");
    d.control_out(out(1, 1, 4), &[0; 4])
        .expect_err("block 1 first");
    assert_eq!(d.violations()[0].rule, "blocks in order");
    // Reset mid-transfer.
    let mut d = dev("dfu11-dfumode");
    d.control_out(out(1, 0, 4), &[0; 4]).expect("block 0");
    d.reset().expect("reset");
    assert_eq!(d.violations()[0].rule, "reset only where allowed");
}

#[test]
fn runtime_detach_and_reset_reenumerates_with_the_dfu_product_id() {
    let mut d = dev("dfu11-runtime");
    assert_eq!(d.ids(), (0x1209, 0x2301));
    let s = status(&mut d);
    assert_eq!(s[4], 0, "appIDLE");
    d.control_out(out(0, 1000, 0), &[]).expect("detach");
    assert_eq!(status(&mut d)[4], 1, "appDETACH");
    let before = d.enumeration();
    d.reset().expect("reset");
    assert!(!d.is_attached());
    assert_eq!(d.control_in(inp(3, 0, 6)), Err(SimError::Disconnected));
    d.sleep(400);
    assert!(d.is_attached() && d.in_dfu_mode());
    assert_eq!(d.enumeration(), before + 1);
    assert_eq!(d.ids(), (0x1209, 0x2302));
    // Too late: after the detach window the device stays in run-time mode.
    let mut d = dev("dfu11-runtime");
    d.control_out(out(0, 1000, 0), &[]).expect("detach");
    d.sleep(1500);
    d.reset().expect("reset");
    d.sleep(400);
    assert!(!d.in_dfu_mode());
}

#[test]
fn will_detach_device_leaves_by_itself() {
    let mut d = dev("dfu11-willdetach");
    d.control_out(out(0, 1000, 0), &[]).expect("detach");
    assert!(!d.is_attached());
    d.sleep(500);
    assert!(d.is_attached() && d.in_dfu_mode());
}

#[test]
fn faults_take_effect() {
    let mut d = dev("stm32f4");
    d.add_fault(Fault {
        trigger: Trigger::Request {
            request: Request::GetStatus,
            nth: 1,
        },
        effect: Effect::ShortStatus,
    });
    assert_eq!(d.control_in(inp(3, 0, 6)).expect("reply").len(), 3);
    d.add_fault(Fault {
        trigger: Trigger::Request {
            request: Request::GetStatus,
            nth: 2,
        },
        effect: Effect::GarbageStatus,
    });
    assert_eq!(status(&mut d)[4], 0xEE);
    d.add_fault(Fault {
        trigger: Trigger::Request {
            request: Request::GetStatus,
            nth: 3,
        },
        effect: Effect::PollTimeout(0xFF_FFFF),
    });
    assert_eq!(&status(&mut d)[1..4], &[0xFF, 0xFF, 0xFF]);
    d.add_fault(Fault {
        trigger: Trigger::Request {
            request: Request::GetState,
            nth: 1,
        },
        effect: Effect::Timeout,
    });
    assert_eq!(d.control_in(inp(5, 0, 1)), Err(SimError::Timeout));
    d.add_fault(Fault {
        trigger: Trigger::Request {
            request: Request::GetState,
            nth: 2,
        },
        effect: Effect::Stall,
    });
    assert_eq!(d.control_in(inp(5, 0, 1)), Err(SimError::Stall));
    assert_eq!(
        status(&mut d)[4],
        10,
        "a stall puts a DFU-mode device in dfuERROR"
    );
    d.control_out(out(4, 0, 0), &[]).expect("clrstatus");
    d.add_fault(Fault {
        trigger: Trigger::Block(2),
        effect: Effect::ErrorStatus(0x0B),
    });
    d.control_out(out(1, 2, 4), &[1, 2, 3, 4])
        .expect("accepted");
    let s = status(&mut d);
    assert_eq!(
        (s[0], s[4]),
        (0x0B, 10),
        "errVENDOR (read protection) in dfuERROR"
    );
    d.add_fault(Fault {
        trigger: Trigger::Request {
            request: Request::ClrStatus,
            nth: 2,
        },
        effect: Effect::Disconnect { reattach_ms: None },
    });
    assert_eq!(
        d.control_out(out(4, 0, 0), &[]),
        Err(SimError::Disconnected)
    );
    d.sleep(10_000);
    assert!(!d.is_attached());

    let mut d = dev("dfu11-runtime");
    d.add_fault(Fault {
        trigger: Trigger::Reset,
        effect: Effect::ResetFails,
    });
    d.control_out(out(0, 1000, 0), &[]).expect("detach");
    assert_eq!(d.reset(), Err(SimError::Timeout));
    let mut d = dev("dfu11-runtime");
    d.add_fault(Fault {
        trigger: Trigger::Reattach,
        effect: Effect::NeverReattach,
    });
    d.control_out(out(0, 1000, 0), &[]).expect("detach");
    d.reset().expect("reset");
    d.sleep(60_000);
    assert!(!d.is_attached());
}

#[test]
fn wrong_interface_and_oversized_transfers_are_violations() {
    let mut d = dev("stm32f4");
    let mut s = inp(3, 0, 6);
    s.index = 3;
    let _ = d.control_in(s);
    assert_eq!(d.violations()[0].rule, "class request to the DFU interface");
    let mut d = dev("stm32f4");
    let _ = d.control_in(inp(2, 2, 4096));
    assert_eq!(d.violations()[0].rule, "no transfer above wTransferSize");
}
