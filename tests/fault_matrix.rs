//! The fault matrix, data-driven over the simulator: every fault at every phase. For each
//! pair the update ends within a bounded (virtual) time, with a message; the device is
//! left recoverable (dfuIDLE where it still answers); and a retry succeeds once the
//! fault is gone.

mod common;

use dfu_flasher::core::Phase;
use dfu_flasher::driver::sim::SimTransport;
use dfu_flasher::driver::{
    self, block_on, FlashError, FlashFailure, FlashImage, FlashOptions, FlashReport, Left,
};
use dfu_flasher::sim::{Activity, Effect, Fault, Profile, Request, SimDevice, Trigger};

const PHASES: [Phase; 8] = [
    Phase::Detach,
    Phase::Compare,
    Phase::Erase,
    Phase::Write,
    Phase::Verify,
    Phase::Manifest,
    Phase::Leave,
    Phase::Upload,
];

fn faults() -> Vec<Effect> {
    common::device_faults()
}

/// The faults an update rides out, and why; every other one must fail it.
fn tolerated(phase: Phase, effect: &Effect) -> Option<&'static str> {
    match (phase, effect) {
        (Phase::Leave, _) => Some("the device is leaving for its firmware: the image is written"),
        (Phase::Detach, Effect::Disconnect { .. }) => {
            Some("a device may reboot at once on DETACH (fwupd ignores it)")
        }
        (Phase::Detach, Effect::ErrorStatus(_)) => {
            Some("a run-time device has no error state: it obeys the DETACH")
        }
        (Phase::Manifest, Effect::ShortStatus) => {
            Some("a manifesting device may answer garbage: the host waits and resets")
        }
        (Phase::Compare, Effect::Stall | Effect::ErrorStatus(_)) => {
            Some("a device that refuses to read back is written in full instead")
        }
        (Phase::Upload, Effect::ShortStatus | Effect::GarbageStatus) => {
            Some("a garbled status while preparing is asked again")
        }
        _ => None,
    }
}

/// A fault in the status reply rather than in the request.
fn status_fault(effect: &Effect) -> bool {
    matches!(
        effect,
        Effect::ShortStatus | Effect::GarbageStatus | Effect::PollTimeout(_)
    )
}

/// Which device a phase is exercised on, and the request the fault hits: named by what
/// the device is doing at the time (its own reading of the requests, `sim::Activity`) and
/// the request's type, counted from the start of that activity. A change in the order or
/// number of the host's requests moves no fault into another phase.
fn setup(phase: Phase, effect: &Effect) -> (&'static str, Trigger) {
    let status_fault = status_fault(effect);
    let during = |activity: Activity, request: Request, nth: usize| Trigger::During {
        activity,
        request,
        nth,
    };
    use Activity::{Erase, Idle, Leave, Manifest, Read, Runtime, Write};
    // The update reads twice: first the compare (what the device holds), then the verify.
    let read = |run: usize, request: Request, nth: usize| Trigger::DuringRun {
        activity: Read,
        run,
        request,
        nth,
    };
    use Request::{Detach, Dnload, GetStatus, Upload};
    match phase {
        Phase::Detach if status_fault => ("dfu11-runtime", during(Runtime, GetStatus, 1)),
        Phase::Detach => ("dfu11-runtime", during(Runtime, Detach, 1)),
        // stm32f4, 5000 bytes at 0x08000000: the compare reads its 16 KiB page (whose
        // Set-Address the device answers before it begins reading), one page erase, then
        // three blocks.
        Phase::Compare if status_fault => ("stm32f4", during(Idle, GetStatus, 2)),
        Phase::Compare => ("stm32f4", read(1, Upload, 2)),
        Phase::Erase if status_fault => ("stm32f4", during(Erase, GetStatus, 1)),
        Phase::Erase => ("stm32f4", during(Erase, Dnload, 1)),
        Phase::Write if status_fault => ("stm32f4", during(Write, GetStatus, 1)),
        Phase::Write => ("stm32f4", during(Write, Dnload, 3)),
        // The verify's status requests answer the Set-Address of its partial last block.
        Phase::Verify if status_fault => ("stm32f4", read(2, GetStatus, 1)),
        Phase::Verify => ("stm32f4", read(2, Upload, 2)),
        // dfu11-dfumode, 3000 bytes: the zero-length DNLOAD and the status that answers it.
        Phase::Manifest if status_fault => ("dfu11-dfumode", during(Manifest, GetStatus, 1)),
        Phase::Manifest => ("dfu11-dfumode", during(Manifest, Dnload, 1)),
        // stm32f4 without verify: the zero-length DNLOAD that leaves.
        Phase::Leave if status_fault => ("stm32f4", during(Leave, GetStatus, 1)),
        Phase::Leave => ("stm32f4", during(Leave, Dnload, 1)),
        Phase::Upload if status_fault => ("dfu11-dfumode", during(Idle, GetStatus, 1)),
        Phase::Upload => ("dfu11-dfumode", during(Read, Upload, 2)),
        // Getting to dfuIDLE is part of every other phase's run.
        Phase::Prepare => unreachable!("not one of PHASES"),
    }
}

/// A program image: a Cortex-M vector table (stack in RAM, reset handler inside the
/// image), then filler.
fn image(len: usize) -> Vec<u8> {
    let mut v: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
    v[..8].copy_from_slice(&[0x00, 0x00, 0x02, 0x20, 0x01, 0x01, 0x00, 0x08]);
    v
}

fn operate(t: &mut SimTransport, phase: Phase) -> Result<Option<FlashReport>, FlashFailure> {
    let (len, verify) = match phase {
        Phase::Manifest => (3000, false),
        Phase::Detach => (2000, false),
        Phase::Leave => (5000, false),
        _ => (5000, true),
    };
    if phase == Phase::Upload {
        return block_on(driver::backup(t, &mut |_| {}))
            .expect("never blocks")
            .map(|_| None);
    }
    let opts = FlashOptions {
        verify,
        restart: true,
        ..FlashOptions::default()
    };
    block_on(driver::flash(
        t,
        &FlashImage::Raw(image(len)),
        opts,
        &mut |_| {},
    ))
    .expect("never blocks")
    .map(Some)
}

#[test]
fn every_fault_at_every_phase() {
    let mut cases = 0;
    let mut outcomes: std::collections::BTreeMap<String, usize> = Default::default();
    for phase in PHASES {
        for effect in faults() {
            let (profile, trigger) = setup(phase, &effect);
            // A DFU 1.1 upload sends no GETSTATUS between its blocks: a status fault for a
            // backup hits the status that prepares it.
            let hits = if phase == Phase::Upload && status_fault(&effect) {
                Phase::Prepare
            } else {
                phase
            };
            let label = format!("{phase:?} × {effect:?}");
            let mut t =
                SimTransport::new(SimDevice::new(Profile::by_name(profile).expect("profile")));
            t.device.add_fault(Fault {
                trigger,
                effect: effect.clone(),
            });
            let start = t.device.now_us();
            let r = operate(&mut t, phase);
            let took_ms = (t.device.now_us() - start) / 1000;
            // The fault fired: a row whose fault never fires tests nothing (a change in
            // the order of requests must fail here, not turn the row into a pass).
            assert!(
                t.device.unfired_faults().is_empty(),
                "{label}: the fault never fired: {:?}",
                t.device.unfired_faults()
            );
            // Bounded: well under the host's own limits (120 s busy, 35 s status timeout).
            assert!(took_ms < 150_000, "{label}: took {took_ms} ms");
            cases += 1;
            match &r {
                Ok(_) => {
                    // Only a fault the protocol tolerates may end in success: trouble while
                    // the device manifests, leaves or reboots, or a poll timeout it asks for.
                    assert!(
                        tolerated(phase, &effect).is_some(),
                        "{label}: succeeded despite the fault"
                    );
                    *outcomes.entry("completed".into()).or_default() += 1;
                }
                Err(e) => {
                    // What the customer reads.
                    let p = dfu_flasher::ui::failure_problem(
                        e,
                        "the device",
                        dfu_flasher::ui::Platform::Linux,
                        None,
                    );
                    let msg = format!("{} {:?}", p.title, p.details);
                    assert!(
                        tolerated(phase, &effect).is_none(),
                        "{label}: failed, but the host should ride it out ({}): {msg}",
                        tolerated(phase, &effect).unwrap_or_default()
                    );
                    assert!(msg.len() > 20, "{label}: message {msg:?}");
                    // The fault hit the phase the row names.
                    if let FlashError::Device(d) = &e.error {
                        assert_eq!(d.phase, hits, "{label}: failed in another phase: {msg}");
                    }
                    // What the message says the device holds must be true: a fault once
                    // erasing or writing began never claims "nothing was written", and
                    // one before it (or in a backup) never claims the firmware is damaged.
                    match phase {
                        Phase::Erase | Phase::Write => {
                            assert_eq!(e.left, Left::Incomplete, "{label}: {msg}")
                        }
                        Phase::Detach | Phase::Compare | Phase::Upload => assert!(
                            matches!(e.left, Left::AsItWas | Left::WaitingInUpdateMode),
                            "{label}: left {:?}",
                            e.left
                        ),
                        _ => assert_ne!(e.left, Left::AsItWas, "{label}: {msg}"),
                    }
                    *outcomes.entry(problem_kind(e)).or_default() += 1;
                    // Recoverable: where it still answers, a DFU-mode device is in dfuIDLE.
                    t.device.sleep(1000);
                    if t.device.is_attached() && t.device.in_dfu_mode() {
                        assert_eq!(
                            t.device.state(),
                            2,
                            "{label}: left in state {} ({msg})",
                            t.device.state()
                        );
                    }
                }
            }
            // After a failure, retry once the fault is gone (it fires once): the update
            // completes. (A device gone for good is replugged: it comes back in DFU mode.)
            t.device.sleep(1000);
            if r.is_err() {
                assert!(
                    t.device.is_attached(),
                    "{label}: the device did not come back"
                );
                let again = operate(&mut t, phase);
                assert!(
                    again.is_ok(),
                    "{label}: retry failed: {:?}",
                    again
                        .err()
                        .map(|e| dfu_flasher::ui::flash_error_text(&e.error))
                );
            }
        }
    }
    println!("fault matrix: {cases} cases");
    for (k, n) in &outcomes {
        println!("  {k:<24} {n}");
    }
}

fn problem_kind(e: &FlashFailure) -> String {
    dfu_flasher::ui::failure_problem(e, "the device", dfu_flasher::ui::Platform::Linux, None)
        .kind
        .name()
        .to_string()
}
