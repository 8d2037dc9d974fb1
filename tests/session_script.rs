//! The engine against scripted device replies, checked step by step against the DFU 1.1
//! state table (digest §4): which request comes next, which waits, which resets.

use dfu_flasher::core::descriptor::Attributes;
use dfu_flasher::core::protocol::{Data, State, Status};
use dfu_flasher::core::{
    Action, DownloadOptions, ErrorKind, Finish, LinkError, Phase, Reply, Session, Target,
};

fn target(attrs: u8) -> Target {
    Target {
        interface: 0,
        transfer_size: 4,
        attributes: Attributes::from_bits(attrs),
        dfuse: false,
        quirks: Default::default(),
    }
}

fn status(state: State, poll: u32) -> Reply {
    status_with(Status::Ok, state, poll)
}

fn status_with(st: Status, state: State, poll: u32) -> Reply {
    let p = poll.to_le_bytes();
    Reply::In(vec![st.to_u8(), p[0], p[1], p[2], state.to_u8(), 0])
}

/// Name the next action the way the spec tables do.
fn name(a: &Action) -> String {
    match a {
        Action::Control(c) => {
            let req = c.dfu_request().map_or("?", |r| r.name());
            match (&c.data, req) {
                (Data::Out(d), "DNLOAD") => format!("DNLOAD({},{})", c.setup.value, d.len()),
                (_, "DETACH") => format!("DETACH({})", c.setup.value),
                _ => req.to_string(),
            }
        }
        Action::Wait { ms } => format!("wait {ms}"),
        Action::Reset => "reset".into(),
        Action::Read { offset, len } => format!("read {offset}+{len}"),
        Action::Done(o) => format!("done {:?}", o.finish),
        Action::Failed(e) => format!("failed {:?}", e.kind),
    }
}

/// Expect each action in turn and answer it.
fn script(s: &mut Session, steps: Vec<(&str, Reply)>) {
    for (i, (expect, reply)) in steps.into_iter().enumerate() {
        let a = s.next_action();
        assert_eq!(name(&a), expect, "step {i}");
        s.handle(reply);
    }
}

fn idle() -> Reply {
    status(State::DfuIdle, 0)
}

#[test]
fn zero_poll_timeout_means_no_wait_and_a_poll_timeout_is_honoured() {
    let mut s = Session::download(target(0x07), &[1, 2, 3, 4, 5], DownloadOptions::default())
        .expect("plan");
    script(
        &mut s,
        vec![
            ("GETSTATUS", idle()),
            ("DNLOAD(0,4)", Reply::Out),
            ("GETSTATUS", status(State::DfuDnbusy, 0)),
            ("GETSTATUS", status(State::DfuDnloadIdle, 0)),
            ("DNLOAD(1,1)", Reply::Out),
            ("GETSTATUS", status(State::DfuDnbusy, 30)),
            ("wait 30", Reply::Waited),
            ("GETSTATUS", status(State::DfuDnloadIdle, 0)),
            ("DNLOAD(2,0)", Reply::Out),
            ("GETSTATUS", status(State::DfuManifestSync, 0)),
            ("GETSTATUS", status(State::DfuManifest, 200)),
            ("wait 200", Reply::Waited),
            ("GETSTATUS", status(State::DfuIdle, 0)),
        ],
    );
    assert_eq!(name(&s.next_action()), "done Idle");
}

#[test]
fn non_tolerant_device_is_reset_after_manifestation_and_a_failed_reset_asks_for_a_replug() {
    for (reset_reply, finish) in [
        (Reply::ResetDone, "done Restarting"),
        (Reply::Failed(LinkError::Other), "done ReplugNeeded"),
    ] {
        let mut s =
            Session::download(target(0x03), &[9; 4], DownloadOptions::default()).expect("plan");
        script(
            &mut s,
            vec![
                ("GETSTATUS", idle()),
                ("DNLOAD(0,4)", Reply::Out),
                ("GETSTATUS", status(State::DfuDnloadIdle, 0)),
                ("DNLOAD(1,0)", Reply::Out),
                ("GETSTATUS", status(State::DfuManifest, 50)),
                // Not tolerant: after the wait it is in MANIFEST-WAIT-RESET; no more polls.
                ("wait 50", Reply::Waited),
                ("reset", reset_reply),
            ],
        );
        assert_eq!(name(&s.next_action()), finish);
    }
}

#[test]
fn will_detach_device_is_never_reset_by_the_host() {
    let mut s = Session::download(target(0x0B), &[9; 4], DownloadOptions::default()).expect("plan");
    script(
        &mut s,
        vec![
            ("GETSTATUS", idle()),
            ("DNLOAD(0,4)", Reply::Out),
            ("GETSTATUS", status(State::DfuDnloadIdle, 0)),
            ("DNLOAD(1,0)", Reply::Out),
            ("GETSTATUS", status(State::DfuManifestWaitReset, 0)),
        ],
    );
    assert_eq!(name(&s.next_action()), "done Restarting");
}

#[test]
fn detach_assumes_app_idle_on_stall_and_resets_unless_will_detach() {
    let mut s = Session::detach(target(0x07));
    script(
        &mut s,
        vec![
            ("GETSTATUS", Reply::Stall),
            ("DETACH(1000)", Reply::Out),
            ("reset", Reply::ResetDone),
        ],
    );
    assert_eq!(
        name(&s.next_action()),
        format!("done {:?}", Finish::Detached { reset: true })
    );

    let mut s = Session::detach(target(0x0F));
    script(
        &mut s,
        vec![
            ("GETSTATUS", status(State::AppIdle, 0)),
            ("DETACH(1000)", Reply::Out),
        ],
    );
    assert_eq!(
        name(&s.next_action()),
        format!("done {:?}", Finish::Detached { reset: false })
    );

    let mut s = Session::detach(target(0x07));
    script(&mut s, vec![("GETSTATUS", idle())]);
    assert_eq!(name(&s.next_action()), "done AlreadyInDfuMode");
}

#[test]
fn error_status_is_reported_and_the_device_is_cleared_to_idle() {
    let mut s = Session::download(target(0x07), &[1; 8], DownloadOptions::default()).expect("plan");
    script(
        &mut s,
        vec![
            (
                "GETSTATUS",
                status_with(Status::ErrTarget, State::DfuError, 0),
            ),
            // A device found in dfuERROR is cleared first.
            ("CLRSTATUS", Reply::Out),
            ("GETSTATUS", idle()),
            ("DNLOAD(0,4)", Reply::Out),
            (
                "GETSTATUS",
                status_with(Status::ErrWrite, State::DfuError, 0),
            ),
            ("CLRSTATUS", Reply::Out),
            ("GETSTATUS", idle()),
        ],
    );
    let Action::Failed(e) = s.next_action() else {
        panic!("must fail")
    };
    assert_eq!(e.phase, Phase::Write);
    assert_eq!(e.recovered, Some(true));
    assert!(matches!(
        e.kind,
        ErrorKind::DeviceStatus {
            status: Status::ErrWrite,
            ..
        }
    ));
    let text = dfu_flasher::ui::words::device_error(&e);
    assert!(text.contains("errWRITE"), "{text}");
}

#[test]
fn a_stalled_block_is_explained_by_the_status_read_during_recovery() {
    let mut s = Session::download(target(0x07), &[1; 4], DownloadOptions::default()).expect("plan");
    script(
        &mut s,
        vec![
            ("GETSTATUS", idle()),
            ("DNLOAD(0,4)", Reply::Stall),
            (
                "GETSTATUS",
                status_with(Status::ErrAddress, State::DfuError, 0),
            ),
            ("CLRSTATUS", Reply::Out),
            ("GETSTATUS", idle()),
        ],
    );
    let Action::Failed(e) = s.next_action() else {
        panic!("must fail")
    };
    assert!(
        matches!(
            e.kind,
            ErrorKind::DeviceStatus {
                status: Status::ErrAddress,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn cancel_finishes_the_block_in_flight_then_aborts_to_idle() {
    let mut s =
        Session::download(target(0x07), &[1; 12], DownloadOptions::default()).expect("plan");
    script(
        &mut s,
        vec![
            ("GETSTATUS", idle()),
            ("DNLOAD(0,4)", Reply::Out),
            ("GETSTATUS", status(State::DfuDnbusy, 10)),
        ],
    );
    s.cancel();
    script(
        &mut s,
        vec![
            ("wait 10", Reply::Waited),
            ("GETSTATUS", status(State::DfuDnloadIdle, 0)),
            ("ABORT", Reply::Out),
            ("GETSTATUS", idle()),
        ],
    );
    let Action::Failed(e) = s.next_action() else {
        panic!("must fail")
    };
    assert_eq!(e.kind, ErrorKind::Cancelled);
    assert_eq!(e.recovered, Some(true));
}

#[test]
fn implausible_poll_timeout_and_malformed_status_fail_then_recover_after_a_sane_wait() {
    let mut s = Session::download(target(0x07), &[1; 4], DownloadOptions::default()).expect("plan");
    script(
        &mut s,
        vec![
            ("GETSTATUS", idle()),
            ("DNLOAD(0,4)", Reply::Out),
            ("GETSTATUS", status(State::DfuDnbusy, 0xFF_FFFF)),
            // Not 4.6 hours: a conservative second, then back to dfuIDLE.
            ("wait 1000", Reply::Waited),
            ("GETSTATUS", status(State::DfuDnloadIdle, 0)),
            ("ABORT", Reply::Out),
            ("GETSTATUS", idle()),
        ],
    );
    let Action::Failed(e) = s.next_action() else {
        panic!("must fail")
    };
    assert_eq!(e.kind, ErrorKind::PollTimeoutTooLong { ms: 0xFF_FFFF });
    assert_eq!(e.recovered, Some(true));

    let mut s = Session::download(target(0x07), &[1; 4], DownloadOptions::default()).expect("plan");
    script(
        &mut s,
        vec![
            ("GETSTATUS", idle()),
            ("DNLOAD(0,4)", Reply::Out),
            ("GETSTATUS", Reply::In(vec![0, 0, 0])),
            // Recovery: the poll timeout is unknown, so wait before asking again.
            ("wait 1000", Reply::Waited),
            ("GETSTATUS", status(State::DfuDnloadIdle, 0)),
            ("ABORT", Reply::Out),
            ("GETSTATUS", idle()),
        ],
    );
    let Action::Failed(e) = s.next_action() else {
        panic!("must fail")
    };
    assert_eq!(e.kind, ErrorKind::BadStatusReply { len: 3 });
}

#[test]
fn a_device_that_stays_busy_is_given_up_on() {
    let mut s = Session::download(target(0x07), &[1; 4], DownloadOptions::default()).expect("plan");
    script(
        &mut s,
        vec![("GETSTATUS", idle()), ("DNLOAD(0,4)", Reply::Out)],
    );
    let mut n = 0;
    loop {
        match s.next_action() {
            Action::Control(_) => s.handle(status(State::DfuDnbusy, 0)),
            Action::Wait { .. } => s.handle(Reply::Waited),
            Action::Failed(e) => {
                // Given up after MAX_POLLS_PER_STEP polls, not one sooner.
                assert!(
                    matches!(e.kind, ErrorKind::StuckBusy { polls, .. } if polls == dfu_flasher::core::session::MAX_POLLS_PER_STEP + 1),
                    "{e:?}"
                );
                break;
            }
            a => panic!("unexpected {}", name(&a)),
        }
        n += 1;
        assert!(n < 10_000, "must give up");
    }
}

#[test]
fn disconnect_fails_without_recovery_attempts() {
    let mut s = Session::download(target(0x07), &[1; 4], DownloadOptions::default()).expect("plan");
    script(
        &mut s,
        vec![
            ("GETSTATUS", idle()),
            ("DNLOAD(0,4)", Reply::Failed(LinkError::Disconnected)),
        ],
    );
    let Action::Failed(e) = s.next_action() else {
        panic!("must fail")
    };
    assert!(e.device_gone());
    assert_eq!(e.recovered, None);
}

/// A driver that answers with the wrong kind of reply (data for a DNLOAD, a wait's end
/// for a GETSTATUS, a transfer for a wait, a reset for a request, a reply with nothing
/// asked): the session stops at once with an internal error. It sends nothing more, not
/// even its usual recovery to dfuIDLE, and claims nothing.
#[test]
fn replies_that_fit_no_request_stop_the_session_cleanly() {
    let dnload = vec![("GETSTATUS", idle()), ("DNLOAD(0,4)", Reply::Out)];
    let wait = vec![
        ("GETSTATUS", idle()),
        ("DNLOAD(0,4)", Reply::Out),
        ("GETSTATUS", status(State::DfuDnbusy, 30)),
    ];
    type Script = Vec<(&'static str, Reply)>;
    let cases: Vec<(&str, Script, Reply)> = vec![
        (
            "data for a DNLOAD",
            vec![("GETSTATUS", idle())],
            Reply::In(vec![0; 4]),
        ),
        (
            "a wait's end for a GETSTATUS",
            dnload.clone(),
            Reply::Waited,
        ),
        (
            "a completed OUT for a GETSTATUS",
            dnload.clone(),
            Reply::Out,
        ),
        ("a reset for a GETSTATUS", dnload, Reply::ResetDone),
        ("data for a wait", wait.clone(), Reply::In(vec![0; 6])),
        ("a stall for a wait", wait, Reply::Stall),
    ];
    for (what, before, wrong) in cases {
        let mut s = Session::download(target(0x07), &[1, 2, 3, 4, 5], DownloadOptions::default())
            .expect("plan");
        script(&mut s, before);
        let _due = s.next_action();
        s.handle(wrong);
        match s.next_action() {
            Action::Failed(e) => {
                assert!(
                    matches!(e.kind, ErrorKind::Internal { .. }),
                    "{what}: {e:?}"
                );
                assert_eq!(e.recovered, None, "{what}: no recovery was attempted");
                let text = dfu_flasher::ui::words::device_error(&e);
                assert!(text.contains("nothing more was sent"), "{what}: {text}");
            }
            a => panic!("{what}: the session went on with {}", name(&a)),
        }
        // And stays stopped: no request follows, whatever comes next.
        s.handle(Reply::Out);
        assert!(matches!(s.next_action(), Action::Failed(_)), "{what}");
    }
    // A reply before anything was asked.
    let mut s = Session::download(target(0x07), &[1, 2, 3, 4, 5], DownloadOptions::default())
        .expect("plan");
    s.handle(idle());
    assert!(
        matches!(s.next_action(), Action::Failed(e) if matches!(e.kind, ErrorKind::Internal { .. })),
        "a reply for no request"
    );
    // During a recovery: the first error stays the cause, and recovery stops.
    let mut s = Session::download(target(0x07), &[1, 2, 3, 4, 5], DownloadOptions::default())
        .expect("plan");
    script(
        &mut s,
        vec![
            ("GETSTATUS", idle()),
            ("DNLOAD(0,4)", Reply::Stall),
            (
                "GETSTATUS",
                status_with(Status::ErrStalledPkt, State::DfuError, 0),
            ),
        ],
    );
    assert_eq!(name(&s.next_action()), "CLRSTATUS");
    s.handle(Reply::In(vec![1]));
    match s.next_action() {
        Action::Failed(e) => {
            // The device's own report of the stall, not the host's fault, is the cause.
            assert!(
                matches!(
                    e.kind,
                    ErrorKind::DeviceStatus {
                        status: Status::ErrStalledPkt,
                        ..
                    }
                ),
                "{e:?}"
            );
            assert_eq!(e.recovered, None);
        }
        a => panic!("went on with {}", name(&a)),
    }
}

/// A DFU 1.1 read of at most `max_len` bytes ends with the device's short block, or after
/// one block more than `max_len` needs if the device keeps sending full ones: then ABORT.
#[test]
fn an_upload_stops_at_its_limit_even_if_the_device_never_sends_a_short_block() {
    let mut s = Session::upload(target(0x07), 8).expect("plan");
    script(
        &mut s,
        vec![
            ("GETSTATUS", idle()),
            ("UPLOAD", Reply::In(vec![1; 4])),
            ("UPLOAD", Reply::In(vec![2; 4])),
            ("UPLOAD", Reply::In(vec![3; 4])),
            ("ABORT", Reply::Out),
        ],
    );
    assert!(matches!(s.next_action(), Action::Done(_)));
}

/// Once the session has reported its end, a late reply changes nothing.
#[test]
fn a_late_reply_after_the_end_changes_nothing() {
    let mut s = Session::clear_to_idle(target(0x07));
    script(&mut s, vec![("GETSTATUS", idle())]);
    assert!(matches!(s.next_action(), Action::Done(_)));
    s.handle(Reply::Out);
    assert!(matches!(s.next_action(), Action::Done(_)), "still done");
    s.handle(Reply::Out);
    s.handle(Reply::Stall);
    assert!(matches!(s.next_action(), Action::Done(_)));
}

/// The longest poll timeout accepted is MAX_POLL_MS; one millisecond more is not plausible.
#[test]
fn the_longest_poll_timeout_is_waited_and_one_more_is_refused() {
    use dfu_flasher::core::session::MAX_POLL_MS;
    let start = |poll: u32| {
        let mut s =
            Session::download(target(0x07), &[1; 4], DownloadOptions::default()).expect("plan");
        script(
            &mut s,
            vec![("GETSTATUS", idle()), ("DNLOAD(0,4)", Reply::Out)],
        );
        let _ = s.next_action();
        s.handle(status(State::DfuDnbusy, poll));
        s
    };
    assert_eq!(
        name(&start(MAX_POLL_MS).next_action()),
        format!("wait {MAX_POLL_MS}")
    );
    // One more: the update fails with it, after bringing the device back to idle.
    let mut s = start(MAX_POLL_MS + 1);
    let e = loop {
        match s.next_action() {
            Action::Control(c)
                if c.dfu_request() == Some(dfu_flasher::core::protocol::DfuRequest::GetStatus) =>
            {
                s.handle(idle())
            }
            Action::Control(_) => s.handle(Reply::Out),
            Action::Wait { ms } => {
                assert!(ms < MAX_POLL_MS, "the absurd wait is not waited");
                s.handle(Reply::Waited)
            }
            Action::Failed(e) => break e,
            a => panic!("unexpected {}", name(&a)),
        }
    };
    assert!(
        matches!(e.kind, ErrorKind::PollTimeoutTooLong { ms } if ms == MAX_POLL_MS + 1),
        "{e:?}"
    );
    assert_eq!(e.recovered, Some(true));
}

/// While clearing to idle, a device that stalls every GETSTATUS is asked 8 more times, a
/// second apart, then given up on; the recovery from that tries the same once more.
#[test]
fn clearing_to_idle_retries_eight_times_then_gives_up() {
    let mut s = Session::clear_to_idle(target(0x07));
    let (mut statuses, mut waits) = (0, 0);
    loop {
        match s.next_action() {
            Action::Control(_) => {
                statuses += 1;
                s.handle(Reply::Stall);
            }
            Action::Wait { ms } => {
                assert_eq!(ms, dfu_flasher::core::session::UNKNOWN_POLL_MS);
                waits += 1;
                s.handle(Reply::Waited);
            }
            Action::Failed(_) => break,
            a => panic!("unexpected {}", name(&a)),
        }
        assert!(statuses < 100, "must give up");
    }
    assert_eq!((statuses, waits), (2 * 9, 2 * 8));
}

/// A device that asks for long waits and stays busy is given up on after the busy limit in
/// time (MAX_BUSY_MS), long before the limit in polls.
#[test]
fn a_device_busy_for_minutes_is_given_up_on_by_the_time_waited() {
    use dfu_flasher::core::session::{MAX_BUSY_MS, MAX_POLLS_PER_STEP};
    let mut s = Session::download(target(0x07), &[1; 4], DownloadOptions::default()).expect("plan");
    script(
        &mut s,
        vec![("GETSTATUS", idle()), ("DNLOAD(0,4)", Reply::Out)],
    );
    let mut waited = 0u64;
    loop {
        match s.next_action() {
            Action::Control(_) => s.handle(status(State::DfuDnbusy, 1000)),
            Action::Wait { ms } => {
                waited += u64::from(ms);
                s.handle(Reply::Waited)
            }
            Action::Failed(e) => {
                let ErrorKind::StuckBusy { polls, waited_ms } = e.kind else {
                    panic!("{e:?}")
                };
                assert!(
                    waited_ms > MAX_BUSY_MS && waited_ms <= MAX_BUSY_MS + 1000,
                    "{waited_ms}"
                );
                assert!(polls < MAX_POLLS_PER_STEP / 10, "{polls}");
                break;
            }
            a => panic!("unexpected {}", name(&a)),
        }
        assert!(waited < 10 * MAX_BUSY_MS, "must give up");
    }
}

/// Clearing to idle: a CLRSTATUS the device stalls is looked at again, and the clear goes
/// on.
#[test]
fn a_stalled_clrstatus_while_clearing_is_retried() {
    let mut s = Session::clear_to_idle(target(0x07));
    script(
        &mut s,
        vec![
            (
                "GETSTATUS",
                status_with(Status::ErrWrite, State::DfuError, 0),
            ),
            ("CLRSTATUS", Reply::Stall),
        ],
    );
    let mut steps = Vec::new();
    loop {
        let a = s.next_action();
        steps.push(name(&a));
        match a {
            Action::Wait { .. } => s.handle(Reply::Waited),
            Action::Control(_) if steps.len() == 2 => {
                s.handle(status_with(Status::ErrWrite, State::DfuError, 0))
            }
            Action::Control(_) if steps.len() == 3 => s.handle(Reply::Out),
            Action::Control(_) => s.handle(idle()),
            Action::Done(_) => break,
            other => panic!("unexpected {} after {steps:?}", name(&other)),
        }
        assert!(steps.len() < 20, "{steps:?}");
    }
    let wait = format!("wait {}", dfu_flasher::core::session::UNKNOWN_POLL_MS);
    assert_eq!(
        steps,
        [
            wait.as_str(),
            "GETSTATUS",
            "CLRSTATUS",
            "GETSTATUS",
            "done Idle"
        ]
    );
}

/// A stalled ABORT at the end of an upload, or a stalled UPLOAD, fails naming the request
/// the device refused (no retry: only clearing to idle retries).
#[test]
fn a_stalled_abort_or_upload_is_named() {
    use dfu_flasher::core::protocol::DfuRequest;
    let mut s = Session::upload(target(0x07), 8).expect("plan");
    script(
        &mut s,
        vec![
            ("GETSTATUS", idle()),
            ("UPLOAD", Reply::In(vec![1; 4])),
            ("UPLOAD", Reply::In(vec![2; 4])),
            ("UPLOAD", Reply::In(vec![3; 4])),
            ("ABORT", Reply::Stall),
        ],
    );
    let Action::Failed(e) = run_out(&mut s, idle) else {
        panic!("must fail")
    };
    assert!(
        matches!(
            e.kind,
            ErrorKind::Stalled {
                request: DfuRequest::Abort
            }
        ),
        "{e:?}"
    );
    let mut s = Session::upload(target(0x07), 8).expect("plan");
    script(
        &mut s,
        vec![("GETSTATUS", idle()), ("UPLOAD", Reply::Stall)],
    );
    let Action::Failed(e) = run_out(&mut s, idle) else {
        panic!("must fail")
    };
    assert!(
        matches!(
            e.kind,
            ErrorKind::Stalled {
                request: DfuRequest::Upload
            }
        ),
        "{e:?}"
    );
}

/// Drive `s`, answering GETSTATUS with `status`, everything else as accepted, until it
/// ends (or 200 actions).
fn run_out(s: &mut Session, status: impl Fn() -> Reply) -> Action {
    use dfu_flasher::core::protocol::DfuRequest;
    for _ in 0..200 {
        match s.next_action() {
            Action::Control(c) if c.dfu_request() == Some(DfuRequest::GetStatus) => {
                s.handle(status())
            }
            Action::Control(_) => s.handle(Reply::Out),
            Action::Wait { .. } => s.handle(Reply::Waited),
            Action::Reset => s.handle(Reply::ResetDone),
            end => return end,
        }
    }
    panic!("the session did not end");
}

/// An error status is an error whatever state comes with it, and dfuERROR is an error
/// whatever status comes with it: after a block, after the end of the image and after a
/// DfuSe leave.
#[test]
fn an_error_status_or_state_alone_fails_the_step() {
    use dfu_flasher::core::{DfuseOptions, DownloadOptions};
    for (st, state) in [
        (Status::ErrWrite, State::DfuDnloadIdle),
        (Status::Ok, State::DfuError),
    ] {
        // After a block.
        let mut s =
            Session::download(target(0x07), &[1; 4], DownloadOptions::default()).expect("plan");
        script(
            &mut s,
            vec![
                ("GETSTATUS", idle()),
                ("DNLOAD(0,4)", Reply::Out),
                ("GETSTATUS", status_with(st, state, 0)),
            ],
        );
        let end = run_out(&mut s, idle);
        assert!(
            matches!(&end, Action::Failed(e) if matches!(e.kind, ErrorKind::DeviceStatus { .. })),
            "block {st:?}/{state:?}: {}",
            name(&end)
        );
        // After the zero-length end of the image.
        let mut s =
            Session::download(target(0x07), &[1; 4], DownloadOptions::default()).expect("plan");
        script(
            &mut s,
            vec![
                ("GETSTATUS", idle()),
                ("DNLOAD(0,4)", Reply::Out),
                ("GETSTATUS", status(State::DfuDnloadIdle, 0)),
                ("DNLOAD(1,0)", Reply::Out),
                ("GETSTATUS", status_with(st, state, 0)),
            ],
        );
        let end = run_out(&mut s, idle);
        assert!(
            matches!(&end, Action::Failed(e) if matches!(e.kind, ErrorKind::DeviceStatus { .. })),
            "end {st:?}/{state:?}: {}",
            name(&end)
        );
    }
    // After a DfuSe leave: the status that answers it.
    let map =
        dfu_flasher::core::memmap::MemoryMap::parse("@Flash /0x08000000/4*16Kg").expect("map");
    for (st, state) in [
        (Status::ErrTarget, State::DfuManifest),
        (Status::Ok, State::DfuError),
    ] {
        let opts = DfuseOptions {
            verify: false,
            mass_erase: false,
            leave: true,
            leave_address: None,
            compare: false,
        };
        let mut t = target(0x0B);
        t.dfuse = true;
        let mut s =
            Session::dfuse_download(t, &map, &[(0x0800_0000, &[1u8; 4][..])], opts).expect("plan");
        let mut statuses = 0;
        let end = loop {
            use dfu_flasher::core::protocol::DfuRequest;
            match s.next_action() {
                Action::Control(c) if c.dfu_request() == Some(DfuRequest::GetStatus) => {
                    statuses += 1;
                    // The first clears; the others answer DfuSe commands and blocks.
                    s.handle(if statuses == 1 {
                        idle()
                    } else {
                        status(State::DfuDnloadIdle, 0)
                    })
                }
                Action::Control(c)
                    if c.dfu_request() == Some(DfuRequest::Dnload) && c.setup.length == 0 =>
                {
                    // The leave: answered by a status with the error.
                    s.handle(Reply::Out);
                    let a = s.next_action();
                    assert_eq!(name(&a), "GETSTATUS");
                    s.handle(status_with(st, state, 0));
                }
                Action::Control(_) => s.handle(Reply::Out),
                Action::Wait { .. } => s.handle(Reply::Waited),
                end => break end,
            }
            assert!(statuses < 100);
        };
        assert!(
            matches!(&end, Action::Failed(e) if matches!(e.kind, ErrorKind::DeviceStatus { .. })),
            "leave {st:?}/{state:?}: {}",
            name(&end)
        );
    }
}

/// Clearing a device that stays in dfuERROR gives up after eight CLRSTATUS, saying so.
#[test]
fn a_device_that_stays_in_error_is_given_up_on() {
    let mut s = Session::clear_to_idle(target(0x07));
    let mut clears = 0;
    let end = loop {
        match s.next_action() {
            Action::Control(c)
                if c.dfu_request() == Some(dfu_flasher::core::protocol::DfuRequest::ClrStatus) =>
            {
                clears += 1;
                s.handle(Reply::Out)
            }
            Action::Control(_) => s.handle(status_with(Status::ErrUnknown, State::DfuError, 0)),
            Action::Wait { .. } => s.handle(Reply::Waited),
            end => break end,
        }
        assert!(clears < 100, "must give up");
    };
    assert!(
        matches!(&end, Action::Failed(e) if matches!(e.kind, ErrorKind::NotIdle { .. })),
        "{}",
        name(&end)
    );
    // Eight while clearing, eight more while recovering from that failure.
    assert_eq!(clears, 16);
}

/// Only a stall is explained by the status read while recovering; another error keeps its
/// kind.
#[test]
fn recovery_explains_a_stall_only() {
    let mut s = Session::download(target(0x07), &[1; 4], DownloadOptions::default()).expect("plan");
    script(
        &mut s,
        vec![
            ("GETSTATUS", idle()),
            ("DNLOAD(0,4)", Reply::Out),
            // A state that makes no sense after a block.
            ("GETSTATUS", status(State::DfuUploadIdle, 0)),
        ],
    );
    let end = run_out(&mut s, || {
        status_with(Status::ErrUnknown, State::DfuError, 0)
    });
    let Action::Failed(e) = &end else {
        panic!("{}", name(&end))
    };
    assert!(matches!(e.kind, ErrorKind::UnexpectedState { .. }), "{e:?}");
}

/// A CLRSTATUS or ABORT that fails while clearing to idle is named in the error.
#[test]
fn a_failed_clear_names_its_request() {
    use dfu_flasher::core::protocol::DfuRequest;
    for (state, sent, req) in [
        (State::DfuError, "CLRSTATUS", DfuRequest::ClrStatus),
        (State::DfuDnloadIdle, "ABORT", DfuRequest::Abort),
    ] {
        let mut s = Session::clear_to_idle(target(0x07));
        script(
            &mut s,
            vec![
                ("GETSTATUS", status_with(Status::Ok, state, 0)),
                (sent, Reply::Failed(LinkError::Timeout)),
            ],
        );
        let Action::Failed(e) = run_out(&mut s, idle) else {
            panic!("must fail")
        };
        assert_eq!(e.request, Some(req), "{e:?}");
    }
}

/// Answer a download-and-verify session like a device whose read-back comes up short: the
/// second UPLOAD returns `second` bytes of what was written.
fn verify_short(mut s: Session, image: &[u8], second: usize) -> Action {
    use dfu_flasher::core::protocol::DfuRequest;
    let (mut statuses, mut uploads, mut last_empty) = (0, 0, false);
    let mut offset = 0usize;
    for _ in 0..300 {
        match s.next_action() {
            Action::Control(c) => match c.dfu_request() {
                Some(DfuRequest::GetStatus) => {
                    statuses += 1;
                    s.handle(if statuses == 1 || last_empty {
                        idle()
                    } else {
                        status(State::DfuDnloadIdle, 0)
                    })
                }
                Some(DfuRequest::Dnload) => {
                    last_empty = c.setup.length == 0;
                    s.handle(Reply::Out)
                }
                Some(DfuRequest::Upload) => {
                    uploads += 1;
                    let want = usize::from(c.setup.length);
                    let n = if uploads == 2 { second } else { want };
                    let end = (offset + n).min(image.len());
                    let data = image[offset..end].to_vec();
                    offset = end;
                    s.handle(Reply::In(data))
                }
                _ => s.handle(Reply::Out),
            },
            Action::Wait { .. } => s.handle(Reply::Waited),
            Action::Reset => s.handle(Reply::ResetDone),
            end => return end,
        }
    }
    panic!("the session did not end");
}

/// A read-back shorter than what was written is a short read with the number of bytes
/// missing, on DFU 1.1 (the short block ends the image early) and on DfuSe (a short block
/// where a full one was due).
#[test]
fn a_short_read_back_says_how_much_is_missing() {
    use dfu_flasher::core::{DfuseOptions, DownloadOptions};
    let image: Vec<u8> = (1..=12u8).collect();
    let t = target(0x07);
    let ts = usize::from(t.transfer_size);
    let s = Session::download(
        t,
        &image,
        DownloadOptions {
            verify: true,
            ..DownloadOptions::default()
        },
    )
    .expect("plan");
    let end = verify_short(s, &image, ts - 1);
    let Action::Failed(e) = &end else {
        panic!("{}", name(&end))
    };
    assert!(
        matches!(e.kind, ErrorKind::ShortRead { missing, .. } if missing == (image.len() - (2 * ts - 1)) as u64),
        "{e:?} (transfer size {ts})"
    );
    let map =
        dfu_flasher::core::memmap::MemoryMap::parse("@Flash /0x08000000/4*16Kg").expect("map");
    let mut t = target(0x0B);
    t.dfuse = true;
    let opts = DfuseOptions {
        verify: true,
        mass_erase: false,
        leave: false,
        leave_address: None,
        compare: false,
    };
    let s = Session::dfuse_download(t, &map, &[(0x0800_0000, &image[..])], opts).expect("plan");
    let end = verify_short(s, &image, ts - 3);
    let Action::Failed(e) = &end else {
        panic!("{}", name(&end))
    };
    assert!(
        matches!(e.kind, ErrorKind::ShortRead { missing: 3, .. }),
        "{e:?}"
    );
}

/// An erase whose GETSTATUS stalls is waited out as many times as the quirk allows, and
/// not once more.
#[test]
fn erase_stalls_are_tolerated_up_to_the_quirk_count() {
    use dfu_flasher::core::protocol::DfuRequest;
    use dfu_flasher::core::DfuseOptions;
    let map =
        dfu_flasher::core::memmap::MemoryMap::parse("@Flash /0x08000000/4*16Kg").expect("map");
    for allowed in [1u8, 3] {
        for stalls in [allowed, allowed + 1] {
            let mut t = target(0x0B);
            t.dfuse = true;
            t.quirks.erase_stalls = allowed;
            let opts = DfuseOptions {
                verify: false,
                mass_erase: false,
                leave: false,
                leave_address: None,
                compare: false,
            };
            let mut s = Session::dfuse_download(t, &map, &[(0x0800_0000, &[7u8; 4][..])], opts)
                .expect("plan");
            let (mut statuses, mut stalled) = (0, 0);
            let end = loop {
                match s.next_action() {
                    Action::Control(c) if c.dfu_request() == Some(DfuRequest::GetStatus) => {
                        statuses += 1;
                        if statuses == 1 {
                            s.handle(idle())
                        } else if stalled < stalls {
                            stalled += 1;
                            s.handle(Reply::Stall)
                        } else {
                            s.handle(status(State::DfuDnloadIdle, 0))
                        }
                    }
                    Action::Control(_) => s.handle(Reply::Out),
                    Action::Wait { .. } => s.handle(Reply::Waited),
                    end => break end,
                }
                assert!(statuses < 100);
            };
            let ok = matches!(end, Action::Done(_));
            assert_eq!(
                ok,
                stalls <= allowed,
                "{stalls} stalls with {allowed} allowed: {}",
                name(&end)
            );
        }
    }
}

/// dfuIDLE with an error status still needs a CLRSTATUS (DFU 1.1 §6.1.2: the status is
/// cleared only by CLRSTATUS).
#[test]
fn idle_with_an_error_status_is_cleared() {
    let mut s = Session::clear_to_idle(target(0x07));
    script(
        &mut s,
        vec![
            (
                "GETSTATUS",
                status_with(Status::ErrUnknown, State::DfuIdle, 0),
            ),
            ("CLRSTATUS", Reply::Out),
            ("GETSTATUS", idle()),
        ],
    );
    assert!(matches!(s.next_action(), Action::Done(_)));
}

/// A DfuSe leave whose status request gets no answer (the device jumped to its firmware
/// at once): written, and restarting.
#[test]
fn a_leave_answered_by_silence_is_a_restart() {
    use dfu_flasher::core::protocol::DfuRequest;
    use dfu_flasher::core::{DfuseOptions, Finish};
    let map =
        dfu_flasher::core::memmap::MemoryMap::parse("@Flash /0x08000000/4*16Kg").expect("map");
    let mut t = target(0x0B);
    t.dfuse = true;
    let opts = DfuseOptions {
        verify: false,
        mass_erase: false,
        leave: true,
        leave_address: None,
        compare: false,
    };
    let mut s =
        Session::dfuse_download(t, &map, &[(0x0800_0000, &[7u8; 4][..])], opts).expect("plan");
    let (mut statuses, mut left) = (0, false);
    let end = loop {
        match s.next_action() {
            Action::Control(c) if c.dfu_request() == Some(DfuRequest::GetStatus) => {
                statuses += 1;
                s.handle(if left {
                    Reply::Failed(LinkError::Disconnected)
                } else if statuses == 1 {
                    idle()
                } else {
                    status(State::DfuDnloadIdle, 0)
                })
            }
            Action::Control(c) => {
                left = c.dfu_request() == Some(DfuRequest::Dnload) && c.setup.length == 0;
                s.handle(Reply::Out)
            }
            Action::Wait { .. } => s.handle(Reply::Waited),
            end => break end,
        }
        assert!(statuses < 100);
    };
    assert!(
        matches!(&end, Action::Done(o) if o.finish == Finish::Restarting),
        "{}",
        name(&end)
    );
}
