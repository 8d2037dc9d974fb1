//! Every operation against every simulator profile, through the driver: the device's
//! final memory, the transcript, the protocol-rule checks and the request counts.

use dfu_flasher::core::{ErrorKind, Finish};
use dfu_flasher::driver::sim::SimTransport;
use dfu_flasher::driver::{
    self, block_on, FlashError, FlashImage, FlashOptions, FlashReport, FlashTarget,
};
use dfu_flasher::sim::{Effect, Fault, Profile, Request, SimDevice, Trigger};

fn device(name: &str) -> SimTransport {
    SimTransport::new(SimDevice::new(Profile::by_name(name).expect("profile")))
}

/// A program image: a Cortex-M vector table (stack in RAM, reset handler in the image),
/// then filler.
fn image(len: usize, seed: u8) -> Vec<u8> {
    let mut v: Vec<u8> = (0..len)
        .map(|i| (i as u8).wrapping_mul(13).wrapping_add(seed))
        .collect();
    let n = len.min(8);
    v[..n].copy_from_slice(&[0x00, 0x00, 0x02, 0x20, 0x01, 0x01, 0x00, 0x08][..n]);
    v
}

fn flash(
    t: &mut SimTransport,
    img: &FlashImage,
    opts: FlashOptions,
) -> Result<FlashReport, FlashError> {
    block_on(driver::flash(t, img, opts, &mut |_| {}))
        .expect("the simulator never blocks")
        .map_err(|f| f.error)
}

fn opts(verify: bool, restart: bool) -> FlashOptions {
    FlashOptions {
        verify,
        restart,
        ..FlashOptions::default()
    }
}

fn assert_clean(t: &SimTransport) {
    assert!(
        t.device.violations().is_empty(),
        "protocol violations: {:?}",
        t.device.violations()
    );
}

fn count(t: &SimTransport, name: &str) -> usize {
    t.device.request_counts().get(name).copied().unwrap_or(0)
}

#[test]
fn stm32f4_dfuse_write_verify_leave() {
    let mut t = device("stm32f4");
    let data = image(40_000, 1);
    // A full update (no compare first): the request sequence a plain flasher sends.
    let full = FlashOptions {
        full: true,
        ..opts(true, true)
    };
    let r = flash(&mut t, &FlashImage::Raw(data.clone()), full).expect("flashes");
    assert_clean(&t);
    assert_eq!(
        (r.written, r.verified, r.finish),
        (40_000, true, Finish::Restarting)
    );
    assert_eq!(r.address, Some(0x0800_0000));
    assert_eq!(t.device.read_memory(0, 0x0800_0000, data.len()), Some(data));
    // Five-byte commands: exactly the three 16 KiB sectors the image touches erased,
    // one Set-Address for the write, two for the read-back (full blocks, then the
    // tail), one before leaving. The erase times prove the sectors' sizes: 3 × 250 ms.
    let commands = t
        .device
        .transcript()
        .iter()
        .filter(|e| e.name == "DNLOAD" && e.setup.value == 0 && e.data_len == 5)
        .count();
    assert_eq!(commands, 3 + 1 + 2 + 1);
    // 19 blocks of 2048 bytes at 8 ms, and 1088 bytes at 8 ms × 1088/2048, rounded up.
    let programming = 19 * 8 + 5;
    let commands_ms = 4; // Set-Address: 1 ms each
    assert_eq!(
        t.device.device_time_us() / 1000,
        3 * 250 + programming + commands_ms
    );
    // The device left DFU mode (jumped to the application).
    t.device.sleep(500);
    assert!(t.device.is_attached() && !t.device.in_dfu_mode());
}

#[test]
fn dfuse_request_count_per_block_is_the_protocol_minimum() {
    let mut t = device("stm32f4");
    let blocks = 10;
    let data = image(2048 * blocks, 2);
    let full = FlashOptions {
        full: true,
        ..opts(false, false)
    };
    flash(&mut t, &FlashImage::Raw(data), full).expect("flashes");
    assert_clean(&t);
    // A full update. Per data block: DNLOAD, GETSTATUS (dfuDNBUSY, with the program time), GETSTATUS
    // (dfuDNLOAD-IDLE) after waiting. Commands the same. Plus one GETSTATUS to start.
    let commands = 2 + 1; // two 16 KiB sectors erased, one Set-Address
    assert_eq!(count(&t, "DNLOAD"), blocks + commands);
    assert_eq!(count(&t, "GETSTATUS"), 1 + 2 * (blocks + commands));
    assert_eq!(count(&t, "UPLOAD"), 0);
}

#[test]
fn dfu11_request_count_per_block_is_the_protocol_minimum() {
    let mut t = device("dfu11-dfumode");
    let blocks = 7;
    flash(
        &mut t,
        &FlashImage::Raw(image(1024 * blocks, 3)),
        opts(false, false),
    )
    .expect("flashes");
    assert_clean(&t);
    // DNLOAD + 2 GETSTATUS per block; ZLP + MANIFEST-SYNC→MANIFEST + →dfuIDLE; start.
    assert_eq!(count(&t, "DNLOAD"), blocks + 1);
    assert_eq!(count(&t, "GETSTATUS"), 1 + 2 * blocks + 2);
}

#[test]
fn dfu11_runtime_detaches_reenumerates_with_new_pid_and_flashes() {
    let mut t = device("dfu11-runtime");
    let data = image(5000, 4);
    let r = flash(&mut t, &FlashImage::Raw(data.clone()), opts(true, true)).expect("flashes");
    assert_clean(&t);
    assert!(r.detached);
    assert_eq!(
        r.device.product_id, 0x2302,
        "came back as the DFU-mode product id"
    );
    assert!(r.verified);
    assert_eq!(r.finish, Finish::Restarting);
    assert_eq!(t.device.firmware(), &data[..]);
    assert_eq!(count(&t, "DETACH"), 1);
    // After the final reset it runs the new firmware in run-time mode again.
    t.device.sleep(1000);
    assert!(t.device.is_attached() && !t.device.in_dfu_mode());
    assert_eq!(t.device.ids(), (0x1209, 0x2301));
}

#[test]
fn non_tolerant_device_is_reset_after_manifestation() {
    let mut t = device("dfu11-nontolerant");
    let data = image(3000, 5);
    let r = flash(&mut t, &FlashImage::Raw(data.clone()), opts(true, true)).expect("flashes");
    assert_clean(&t);
    assert_eq!(r.finish, Finish::Restarting);
    assert!(
        !r.verified,
        "a non-tolerant device cannot be read back after manifestation"
    );
    assert_eq!(t.device.firmware(), &data[..]);
    assert_eq!(
        count(&t, "RESET"),
        2,
        "one to enter DFU mode, one to leave MANIFEST-WAIT-RESET"
    );
}

#[test]
fn will_detach_device_is_never_reset_by_the_host() {
    let mut t = device("dfu11-willdetach");
    let data = image(2500, 6);
    let r = flash(&mut t, &FlashImage::Raw(data.clone()), opts(true, true)).expect("flashes");
    assert_clean(&t);
    assert!(r.detached);
    assert_eq!(t.device.firmware(), &data[..]);
    // bitWillDetach: the host never resets, the device detaches by itself.
    // (A tolerant device is reset at the end to start the new firmware.)
    let resets = count(&t, "RESET");
    assert!(resets <= 1, "{resets}");
}

#[test]
fn device_without_upload_refuses_verify_before_writing() {
    let mut t = device("dfu11-noupload");
    let e =
        flash(&mut t, &FlashImage::Raw(image(300, 7)), opts(true, false)).expect_err("no upload");
    assert!(matches!(e, FlashError::Plan(_)), "{e:?}");
    assert_eq!(count(&t, "DNLOAD"), 0, "nothing written");
    let r =
        flash(&mut t, &FlashImage::Raw(image(300, 7)), opts(false, false)).expect("without verify");
    assert_eq!(r.written, 300);
}

#[test]
fn blank_st_rom_starting_in_dfu_error_is_cleared_first() {
    let mut t = device("stm32f4-blank");
    flash(&mut t, &FlashImage::Raw(image(300, 8)), opts(true, false)).expect("flashes");
    assert_clean(&t);
    assert_eq!(count(&t, "CLRSTATUS"), 1);
}

#[test]
fn backup_reads_what_the_device_holds() {
    let mut t = device("dfu11-runtime");
    let shipped = t.device.firmware().to_vec();
    let b = block_on(driver::backup(&mut t, &mut |_| {}))
        .expect("completes")
        .expect("backup");
    assert_eq!(b.data, shipped);
    assert_clean(&t);

    let mut t = device("stm32f4");
    let data = image(3000, 9);
    flash(&mut t, &FlashImage::Raw(data.clone()), opts(false, false)).expect("flashes");
    let b = block_on(driver::backup(&mut t, &mut |_| {}))
        .expect("completes")
        .expect("backup");
    assert_eq!(b.address, 0x0800_0000);
    assert_eq!(b.data.len(), 1 << 20);
    assert_eq!(&b.data[..3000], &data[..]);
    assert!(b.data[3000..].iter().all(|&x| x == 0xFF));
    assert_clean(&t);
}

#[test]
fn multi_target_dfuse_file_writes_each_alt() {
    let mut t = device("stm32f4");
    let img = FlashImage::Targets(vec![
        FlashTarget {
            alt: 0,
            elements: vec![
                (0x0800_4000, image(5000, 10)),
                (0x0802_0000, image(300, 11)),
            ],
        },
        FlashTarget {
            alt: 2,
            elements: vec![(0x1FFF_7800, image(32, 12))],
        },
    ]);
    let r = flash(&mut t, &img, opts(true, true)).expect("flashes");
    assert_clean(&t);
    assert!(r.verified);
    assert_eq!(
        t.device.read_memory(0, 0x0800_4000, 5000),
        Some(image(5000, 10))
    );
    assert_eq!(
        t.device.read_memory(0, 0x0802_0000, 300),
        Some(image(300, 11))
    );
    assert_eq!(
        t.device.read_memory(2, 0x1FFF_7800, 32),
        Some(image(32, 12))
    );
}

#[test]
fn mass_erase_and_block_counter_wrap_on_dfuse() {
    let mut p = Profile::by_name("stm32f4").expect("profile");
    // 65534 blocks of 64 bytes per Set-Address: 4 MiB, so a 4 MiB + image needs two.
    p.transfer_size = 64;
    p.alts[0].name = "@Big Flash /0x08000000/80*064Kg".into();
    p.timing.program_ms = 0;
    let mut t = SimTransport::new(SimDevice::new(p));
    let data = image(65534 * 64 + 3000, 13);
    let o = FlashOptions {
        mass_erase: true,
        ..opts(false, false)
    };
    let r = flash(&mut t, &FlashImage::Raw(data.clone()), o).expect("flashes");
    assert_clean(&t);
    assert_eq!(r.written, data.len() as u64);
    assert_eq!(t.device.read_memory(0, 0x0800_0000, data.len()), Some(data));
    let set_address = t
        .device
        .transcript()
        .iter()
        .filter(|e| e.name == "DNLOAD" && e.setup.value == 0 && e.data_len == 5)
        .count();
    assert_eq!(
        set_address, 2,
        "a second Set-Address before wValue would wrap"
    );
    assert_eq!(
        t.device
            .transcript()
            .iter()
            .filter(|e| e.name == "DNLOAD")
            .map(|e| e.setup.value)
            .max(),
        Some(0xFFFF)
    );
}

#[test]
fn dfu11_block_numbers_wrap_at_65535_on_the_device() {
    let mut p = Profile::by_name("dfu11-dfumode").expect("profile");
    p.transfer_size = 4;
    p.alts[0].capacity = 1 << 20;
    p.timing.program_ms = 0;
    let mut t = SimTransport::new(SimDevice::new(p));
    let data = image(70_000 * 4, 14);
    flash(&mut t, &FlashImage::Raw(data.clone()), opts(false, false)).expect("flashes");
    assert_clean(&t);
    assert_eq!(t.device.firmware(), &data[..]);
}

#[test]
fn error_status_mid_write_is_reported_device_recovers_and_retry_succeeds() {
    for status in 0x01..=0x0Fu8 {
        let mut t = device("stm32f4");
        t.device.add_fault(Fault {
            trigger: Trigger::Block(4),
            effect: Effect::ErrorStatus(status),
        });
        let data = image(20_000, 15);
        let e = flash(&mut t, &FlashImage::Raw(data.clone()), opts(true, true)).expect_err("fails");
        let FlashError::Device(d) = &e else {
            panic!("{e:?}")
        };
        assert!(matches!(d.kind, ErrorKind::DeviceStatus { .. }), "{d:?}");
        assert_eq!(d.recovered, Some(true), "status {status:#x}");
        assert_eq!(t.device.state(), 2, "left in dfuIDLE");
        assert!(!dfu_flasher::ui::flash_error_text(&e).is_empty());
        // The fault is gone: a retry succeeds.
        let r = flash(&mut t, &FlashImage::Raw(data.clone()), opts(true, true)).expect("retry");
        assert!(r.verified);
        assert_clean(&t);
    }
}

#[test]
fn stall_disconnect_and_timeout_are_reported_clearly() {
    let mut t = device("stm32f4");
    t.device.add_fault(Fault {
        trigger: Trigger::Request {
            request: Request::Dnload,
            nth: 6,
        },
        effect: Effect::Stall,
    });
    let e = flash(
        &mut t,
        &FlashImage::Raw(image(20_000, 16)),
        opts(false, false),
    )
    .expect_err("stall");
    let FlashError::Device(d) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(d.recovered, Some(true));
    assert_eq!(t.device.state(), 2);

    let mut t = device("stm32f4");
    t.device.add_fault(Fault {
        trigger: Trigger::Block(3),
        effect: Effect::Disconnect {
            reattach_ms: Some(500),
        },
    });
    let e = flash(
        &mut t,
        &FlashImage::Raw(image(20_000, 16)),
        opts(false, false),
    )
    .expect_err("gone");
    assert!(
        matches!(&e, FlashError::Device(d) if d.device_gone()),
        "{e:?}"
    );
    let text = dfu_flasher::ui::flash_error_text(&e);
    assert!(text.contains("disconnected"), "{text}");
    // Plugged back in: it is in DFU mode and the update completes.
    t.device.sleep(600);
    let r = flash(
        &mut t,
        &FlashImage::Raw(image(20_000, 16)),
        opts(true, false),
    )
    .expect("after replug");
    assert!(r.verified);

    let mut t = device("dfu11-dfumode");
    t.device.add_fault(Fault {
        trigger: Trigger::Request {
            request: Request::GetStatus,
            nth: 4,
        },
        effect: Effect::Timeout,
    });
    let e = flash(
        &mut t,
        &FlashImage::Raw(image(5000, 17)),
        opts(false, false),
    )
    .expect_err("timeout");
    let text = dfu_flasher::ui::flash_error_text(&e);
    assert!(text.contains("did not answer"), "{text}");
}

#[test]
fn cancel_leaves_the_device_idle_and_a_new_update_works() {
    use dfu_flasher::core::{Action, DfuseOptions, Reply, Session};
    let mut t = device("stm32f4");
    let info = block_on(driver::describe(&mut t))
        .expect("completes")
        .expect("describes");
    let map = info.alts[0].memory_map.clone().expect("map");
    let data = image(30_000, 18);
    // Drive the session by hand and cancel after the 20th action.
    let mut s = Session::dfuse_download(
        info.target(),
        &map,
        &[(0x0800_0000, &data)],
        DfuseOptions::default(),
    )
    .expect("plan");
    let mut actions = 0;
    let err = loop {
        if actions == 20 {
            s.cancel();
        }
        actions += 1;
        match s.next_action() {
            Action::Control(c) => {
                let reply = match c.data {
                    dfu_flasher::core::protocol::Data::In => match t.device.control_in(setup(&c)) {
                        Ok(d) => Reply::In(d),
                        Err(_) => Reply::Stall,
                    },
                    dfu_flasher::core::protocol::Data::Out(ref d) => {
                        match t.device.control_out(setup(&c), d) {
                            Ok(()) => Reply::Out,
                            Err(_) => Reply::Stall,
                        }
                    }
                };
                s.handle(reply);
            }
            Action::Wait { ms } => {
                t.device.sleep(ms);
                s.handle(Reply::Waited);
            }
            Action::Reset => s.handle(Reply::ResetDone),
            Action::Read { .. } => panic!("an image held in memory is never read"),
            Action::Done(_) => panic!("must not finish"),
            Action::Failed(e) => break e,
        }
    };
    assert_eq!(err.kind, ErrorKind::Cancelled);
    assert_eq!(err.recovered, Some(true));
    assert_eq!(t.device.state(), 2);
    assert_clean(&t);
    flash(&mut t, &FlashImage::Raw(data), opts(true, false)).expect("a new update works");
    assert_clean(&t);
}

fn setup(c: &dfu_flasher::core::protocol::Control) -> dfu_flasher::sim::Setup {
    dfu_flasher::sim::Setup {
        request_type: c.setup.request_type,
        request: c.setup.request,
        value: c.setup.value,
        index: c.setup.index,
        length: c.setup.length,
    }
}

#[test]
fn wrong_device_file_is_refused_before_writing_unless_forced() {
    let mut t = device("dfu11-runtime");
    let mut o = opts(false, false);
    o.suffix = Some(dfu_flasher::core::file::UsbIds {
        vendor: 0x0483,
        product: 0xDF11,
        device: 0xFFFF,
    });
    let e = flash(&mut t, &FlashImage::Raw(image(300, 19)), o).expect_err("wrong device");
    assert!(matches!(e, FlashError::WrongDevice { .. }));
    assert_eq!(count(&t, "DNLOAD"), 0);
    // Matching either the run-time or the DFU-mode id is fine.
    for pid in [0x2301, 0x2302] {
        let mut t = device("dfu11-runtime");
        o.suffix = Some(dfu_flasher::core::file::UsbIds {
            vendor: 0x1209,
            product: pid,
            device: 0xFFFF,
        });
        flash(&mut t, &FlashImage::Raw(image(300, 19)), o).expect("matches");
    }
}

#[test]
fn device_mandated_waits_are_honoured_exactly() {
    let mut t = device("stm32f4");
    flash(
        &mut t,
        &FlashImage::Raw(image(50_000, 20)),
        opts(true, true),
    )
    .expect("flashes");
    assert_clean(&t);
    let device_ms = t.device.device_time_us() / 1000;
    let elapsed_ms = t.device.now_us() / 1000;
    assert!(elapsed_ms >= device_ms, "{elapsed_ms} < {device_ms}");
    // The host adds only transfer time: about 1 ms per request plus data.
    let requests: usize = t.device.request_counts().values().sum();
    assert!(
        elapsed_ms - device_ms <= requests as u64 * 4,
        "host overhead too large"
    );
}

#[test]
fn the_devices_own_error_text_is_shown() {
    let mut t = device("dfu11-dfumode");
    t.device.add_fault(Fault {
        trigger: Trigger::Block(1),
        effect: Effect::VendorError("Battery too low for update"),
    });
    let e = flash(
        &mut t,
        &FlashImage::Raw(image(4000, 21)),
        opts(false, false),
    )
    .expect_err("vendor error");
    let text = dfu_flasher::ui::flash_error_text(&e);
    assert!(
        text.contains("The device says: \u{201c}Battery too low for update\u{201d}"),
        "{text}"
    );
    assert_eq!(t.device.state(), 2, "recovered");
}

/// The end of a DfuSe update: a device that refuses the leave (stalls it) is still in DFU
/// mode, so the update is done but needs a replug; one that vanishes instead of answering
/// has left (the silent leave of GD32VF103-style ROMs). Oracle: the simulator's own
/// transcript says which DNLOAD is the zero-length leave.
#[test]
fn a_refused_leave_asks_for_a_replug_a_silent_leave_restarts() {
    let img = FlashImage::Raw(image(5000, 9));
    // A clean run finds the number of the zero-length leave DNLOAD.
    let mut t = device("stm32f4");
    let r = flash(&mut t, &img, opts(false, true)).expect("flashes");
    assert_eq!(r.finish, Finish::Restarting);
    let leave = t
        .device
        .transcript()
        .iter()
        .filter(|e| e.name == "DNLOAD")
        .count();
    let last = t
        .device
        .transcript()
        .iter()
        .rfind(|e| e.name == "DNLOAD")
        .expect("a leave");
    assert_eq!(last.data_len, 0, "the last DNLOAD is the zero-length leave");
    for (effect, finish) in [
        (Effect::Stall, Finish::ReplugNeeded),
        (
            Effect::Disconnect {
                reattach_ms: Some(100),
            },
            Finish::Restarting,
        ),
    ] {
        let mut t = device("stm32f4");
        t.device.add_fault(Fault {
            trigger: Trigger::Request {
                request: Request::Dnload,
                nth: leave,
            },
            effect: effect.clone(),
        });
        let r = flash(&mut t, &img, opts(false, true)).expect("the image is written");
        assert_eq!(r.finish, finish, "{effect:?}");
        assert_eq!(
            t.device.read_memory(0, 0x0800_0000, 5000),
            Some(image(5000, 9)),
            "{effect:?}"
        );
    }
}

/// A device that leaves the bus once more right after it came back in update mode (some
/// bootloaders re-enumerate twice): nothing was written yet, so the update looks for it
/// again, once, and goes through. A second disappearance fails it, saying so.
#[test]
fn a_device_that_re_enumerates_twice_after_detach_is_found_again() {
    let data = image(20_000, 30);
    let again = |times: usize| {
        let mut t = device("dfu11-runtime");
        // GETSTATUS 1 is the run-time one before DETACH; 2 (and 3) are in update mode.
        for nth in 2..2 + times {
            t.device.add_fault(Fault {
                trigger: Trigger::Request {
                    request: Request::GetStatus,
                    nth,
                },
                effect: Effect::Disconnect {
                    reattach_ms: Some(300),
                },
            });
        }
        let r = flash(&mut t, &FlashImage::Raw(data.clone()), opts(true, false));
        (r, t)
    };
    let (r, t) = again(1);
    let r = r.expect("found again and written");
    assert!(r.detached && r.verified);
    assert_eq!(t.device.read_memory(0, 0, data.len()), Some(data.clone()));
    assert!(t.device.unfired_faults().is_empty());
    assert_clean(&t);
    let (r, _) = again(2);
    let e = r.expect_err("gone twice");
    assert!(
        matches!(&e, FlashError::Device(d) if d.device_gone()),
        "{e:?}"
    );
}

/// The last progress report of a finished update or backup says all of it is done:
/// every phase at its total, the whole at 1.0 (a backup that ends early, and a
/// manifestation whose length nobody knew, are completed, not left short).
#[test]
fn finished_work_reports_everything_done() {
    use dfu_flasher::driver::ProgressReport;
    let last = |r: &mut Option<ProgressReport>| r.take().expect("a report");
    for profile in ["dfu11-runtime", "dfu11-dfumode", "stm32f4"] {
        let mut t = device(profile);
        let mut seen = None;
        block_on(driver::flash(
            &mut t,
            &FlashImage::Raw(image(5000, 3)),
            opts(true, true),
            &mut |p| seen = Some(p.clone()),
        ))
        .expect("completes")
        .expect("flashes");
        let p = last(&mut seen);
        assert_eq!(p.progress.fraction(), 1.0, "{profile}: {:?}", p.progress);
        let c = p.progress.current();
        assert_eq!(c.done, c.total, "{profile}: {c:?}");
        // A backup of a DFU 1.1 device ends at the short block, before the most it may read.
        let mut t = device(profile);
        let mut seen = None;
        block_on(driver::backup(&mut t, &mut |p| seen = Some(p.clone())))
            .expect("completes")
            .expect("backup");
        let p = last(&mut seen);
        assert_eq!(
            p.progress.fraction(),
            1.0,
            "{profile} backup: {:?}",
            p.progress
        );
    }
}
