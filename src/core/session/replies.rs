//! How the session reacts to replies: the main request's, status replies, detach, resets,
//! uploads and read-back.

use super::*;

impl Session {
    pub(super) fn on_status(&mut self, kind: &StepKind, st: StatusRecord) {
        // Quirk: devices whose bwPollTimeout is garbage are polled at a fixed pace.
        let mut st = st;
        if let Some(ms) = self.target.quirks.fixed_poll_ms {
            st.poll_timeout_ms = ms;
        }
        self.last_poll_ms = st.poll_timeout_ms;
        // A leaving device's poll timeout does not matter: nothing follows.
        if st.poll_timeout_ms > MAX_POLL_MS && !matches!(kind, StepKind::Leave { .. }) {
            // Not plausible (garbage, or a device that will never be ready): give up,
            // and before clearing to idle wait a sane time instead.
            self.fail(ErrorKind::PollTimeoutTooLong {
                ms: st.poll_timeout_ms,
            });
            self.pending_wait_ms = UNKNOWN_POLL_MS;
            self.last_status = None;
            return;
        }
        self.pending_wait_ms = st.poll_timeout_ms;
        self.polls += 1;
        if self.polls > MAX_POLLS_PER_STEP || self.waited_ms > MAX_BUSY_MS {
            let (polls, waited_ms) = (self.polls, self.waited_ms);
            return self.fail(ErrorKind::StuckBusy { polls, waited_ms });
        }
        match kind {
            StepKind::ClearToIdle => self.on_clear_status(st),
            StepKind::Detach => {
                if st.state.is_runtime() {
                    self.send_detach();
                } else {
                    self.outcome.finish = Finish::AlreadyInDfuMode;
                    self.steps.clear();
                    self.stage = Stage::Start;
                }
            }
            StepKind::Dnload { .. } => {
                if st.status != Status::Ok || st.state == State::DfuError {
                    return self.fail_status(&st);
                }
                match st.state {
                    State::DfuDnloadIdle => {
                        let bytes = self.step().map_or(0, |s| s.bytes);
                        let phase = self.phase();
                        self.progress.add(phase, bytes);
                        if phase == Phase::Write {
                            self.outcome.written += bytes;
                        }
                        self.next_step();
                    }
                    State::DfuDnbusy | State::DfuDnloadSync => self.stage = Stage::NeedStatus,
                    state => self.fail(ErrorKind::UnexpectedState { state }),
                }
            }
            StepKind::EndOfImage { .. } => {
                if st.status != Status::Ok || st.state == State::DfuError {
                    return self.fail_status(&st);
                }
                match st.state {
                    State::DfuManifest
                        if !self.target.attributes.manifestation_tolerant
                            && !self.target.quirks.manifest_poll =>
                    {
                        // After the wait the device is in dfuMANIFEST-WAIT-RESET and may
                        // not answer again (fwupd does not poll it).
                        self.stage = if self.pending_wait_ms > 0 {
                            Stage::SendManifestWait
                        } else {
                            Stage::WaitingThenReset
                        };
                    }
                    State::DfuManifestSync | State::DfuManifest => self.stage = Stage::NeedStatus,
                    State::DfuManifestWaitReset => self.stage = Stage::WaitingThenReset,
                    State::DfuIdle => {
                        self.progress.complete(Phase::Manifest);
                        self.next_step();
                    }
                    state => self.fail(ErrorKind::UnexpectedState { state }),
                }
            }
            StepKind::Leave { .. } => {
                if st.status != Status::Ok || st.state == State::DfuError {
                    return self.fail_status(&st);
                }
                self.left(match st.state {
                    State::DfuManifest | State::DfuManifestSync | State::DfuManifestWaitReset => {
                        Finish::Restarting
                    }
                    _ => Finish::ReplugNeeded,
                });
                self.stage = Stage::Start;
            }
            _ => self.fail(ErrorKind::UnexpectedState { state: st.state }),
        }
    }

    pub(super) fn on_clear_status(&mut self, st: StatusRecord) {
        self.attempts += 1;
        if self.attempts > 8 {
            return self.fail(ErrorKind::NotIdle {
                state: st.state,
                status: st.status,
            });
        }
        // While recovering from a stall, the status says what really went wrong.
        if let Some(e) = &mut self.failing {
            if matches!(e.kind, ErrorKind::Stalled { .. }) && st.status != Status::Ok {
                e.kind = ErrorKind::DeviceStatus {
                    status: st.status,
                    state: st.state,
                    string_index: st.string_index,
                };
            }
        }
        match st.state {
            State::DfuIdle if st.status == Status::Ok => self.next_step(),
            State::DfuIdle | State::DfuError => {
                self.stage = Stage::SendClear;
            }
            // A GETSTATUS moves dfuDNLOAD-SYNC on (ABORT there is stalled by strict devices).
            State::DfuDnloadSync => self.stage = Stage::NeedStatus,
            State::DfuDnloadIdle | State::DfuUploadIdle => {
                self.stage = Stage::SendAbort;
            }
            State::DfuDnbusy | State::DfuManifest | State::DfuManifestSync => {
                self.stage = Stage::NeedStatus
            }
            State::AppIdle | State::AppDetach => self.fail(ErrorKind::RuntimeMode),
            // A garbled state: ask again.
            State::Other(_) if self.retry_status() => {}
            state => self.fail(ErrorKind::NotIdle {
                state,
                status: st.status,
            }),
        }
    }

    pub(super) fn send_detach(&mut self) {
        if let Some(s) = self.steps.front_mut() {
            s.kind = StepKind::DetachSent;
        }
        self.stage = Stage::SendDetach;
    }

    pub(super) fn on_detach_sent(&mut self, r: Reply) {
        match r {
            // Some devices reboot at once and stall or vanish (fwupd ignores these).
            Reply::Out | Reply::Stall | Reply::Failed(LinkError::Disconnected) => {
                if self.target.attributes.will_detach {
                    self.outcome.finish = Finish::Detached { reset: false };
                    self.next_step();
                } else {
                    self.stage = Stage::SendReset;
                }
            }
            r => self.fail_reply(r, DfuRequest::Detach),
        }
    }

    pub(super) fn on_reset(&mut self, r: Reply) {
        let ok = matches!(r, Reply::ResetDone | Reply::Failed(LinkError::Disconnected));
        let detaching = matches!(self.step().map(|s| &s.kind), Some(StepKind::DetachSent));
        self.outcome.finish = match (detaching, ok) {
            (true, true) => Finish::Detached { reset: true },
            (true, false) => Finish::DetachedReplugNeeded,
            (false, true) => Finish::Restarting,
            (false, false) => Finish::ReplugNeeded,
        };
        // Nothing can follow a reset: the device re-enumerates.
        self.steps.clear();
        self.stage = Stage::Start;
    }

    /// After manifestation of a non-tolerant device (or silence): reset unless the
    /// device detaches by itself.
    pub(super) fn reset_or_finish(&mut self) -> Action {
        if self.target.attributes.will_detach {
            self.outcome.finish = Finish::Restarting;
            self.steps.clear();
            self.stage = Stage::Start;
            self.progress.complete(Phase::Manifest);
            self.advance()
        } else {
            self.progress.complete(Phase::Manifest);
            self.stage = Stage::SentReset;
            Action::Reset
        }
    }

    pub(super) fn reset_decision_after_silence(&mut self) {
        self.stage = Stage::WaitingThenReset;
    }

    pub(super) fn on_upload(&mut self, block: u16, len: usize, more: Option<u64>, data: Vec<u8>) {
        if data.len() > len {
            return self.fail(ErrorKind::OverlongReply {
                asked: len,
                got: data.len(),
            });
        }
        let n = data.len() as u64;
        let short = data.len() < len;
        self.read.extend_from_slice(&data);
        let phase = self.phase();
        self.progress.add(phase, n);
        if short && more.is_none() {
            let address = self.step().and_then(|s| s.address).unwrap_or(0);
            return self.fail(ErrorKind::ShortRead {
                address: address.wrapping_add(n as u32),
                missing: (len - data.len()) as u64,
            });
        }
        match more {
            // End of image: the device is back in dfuIDLE; the ABORT that would end
            // an unfinished upload is not needed.
            Some(_) if short => {
                if matches!(self.steps.get(1).map(|s| &s.kind), Some(StepKind::Abort)) {
                    self.steps.remove(1);
                }
                let phase = self.phase();
                self.progress.complete(phase);
            }
            // A full block: plan the next one (the counter wraps like DNLOAD's).
            Some(n) if n > 0 => {
                let next = Step {
                    kind: StepKind::Upload {
                        block: block.wrapping_add(1),
                        len: len as u16,
                        more: Some(n - 1),
                    },
                    phase,
                    bytes: 0,
                    address: None,
                };
                self.steps.insert(1, next);
            }
            _ => {}
        }
        if phase == Phase::Upload {
            self.outcome.data.extend_from_slice(&data);
        }
        self.next_step();
    }

    pub(super) fn compare(&mut self, run: usize, offset: usize, len: usize) {
        let read = std::mem::take(&mut self.read);
        let Some(data) = self
            .runs
            .get(run)
            .and_then(|r| r.data.get(offset..offset + len))
        else {
            // Skipping it would claim a check that was not made.
            let _ = self.internal(Fault::CompareWithoutImage);
            return;
        };
        let base = self.runs[run].address.wrapping_add(offset as u32);
        let mismatch = data
            .iter()
            .zip(read.iter().chain(std::iter::repeat(&0u8)))
            .position(|(a, b)| a != b);
        if read.len() < data.len() {
            let (address, missing) = (base, (data.len() - read.len()) as u64);
            return self.fail(ErrorKind::ShortRead { address, missing });
        }
        if let Some(i) = mismatch {
            let address = base.wrapping_add(i as u32);
            let (expected, found) = (data[i], read[i]);
            return self.fail(ErrorKind::VerifyMismatch {
                address,
                expected,
                found,
            });
        }
        if self
            .steps
            .iter()
            .skip(1)
            .all(|s| !matches!(s.kind, StepKind::Compare { .. }))
        {
            self.outcome.verified = true;
        }
        self.next_step();
    }

    /// A block read back from a streamed image's device: compare it with the source's
    /// bytes `data` from `offset` (at `address` on the device).
    pub(super) fn compare_source(&mut self, offset: u64, address: u32, data: Vec<u8>) {
        let read = std::mem::take(&mut self.read);
        let want = match self.step() {
            Some(Step {
                kind: StepKind::CompareSource { len, .. },
                ..
            }) => *len,
            _ => {
                let _ = self.internal(Fault::CompareWithoutImage);
                return;
            }
        };
        if data.len() != want {
            // The file ended early: it changed since it was checked.
            return self.fail(ErrorKind::FileUnreadable { offset });
        }
        if read.len() < data.len() {
            let missing = (data.len() - read.len()) as u64;
            return self.fail(ErrorKind::ShortRead { address, missing });
        }
        if let Some(i) = data.iter().zip(&read).position(|(a, b)| a != b) {
            let (expected, found) = (data[i], read[i]);
            return self.fail(ErrorKind::VerifyMismatch {
                address: address.wrapping_add(i as u32),
                expected,
                found,
            });
        }
        let more = self.steps.iter().skip(1).any(|s| {
            matches!(
                s.kind,
                StepKind::Check { .. } | StepKind::CompareSource { .. } | StepKind::Compare { .. }
            )
        });
        if !more {
            self.outcome.verified = true;
        }
        self.next_step();
    }

    /// The compare's reads are in: plan the erase, write and verify of the sectors that
    /// differ in place of the full update's steps, and say what was found.
    pub(super) fn decide(&mut self, p: crate::core::compare::Pending) {
        use crate::core::compare;
        let read = std::mem::take(&mut self.read);
        let Some((kept, found)) = compare::decide(&self.runs, &p.pages, &read) else {
            let want: u64 = p.pages.iter().map(|x| u64::from(x.1)).sum();
            let address = p.pages.first().map_or(0, |x| x.0);
            let missing = want.saturating_sub(read.len() as u64);
            return self.fail(ErrorKind::ShortRead { address, missing });
        };
        let writes = compare::writes(&self.runs, &kept);
        let tail =
            crate::core::plan::dfuse_tail(self.target, &self.runs, &kept, &writes, 0, p.opts);
        for phase in [Phase::Erase, Phase::Write, Phase::Verify] {
            let total = tail
                .iter()
                .filter(|s| s.phase == phase)
                .map(|s| s.bytes)
                .sum();
            self.progress.retotal(phase, total);
        }
        self.progress.compared = Some(found);
        // Every sector already right: the compare was the read-back check.
        if kept.is_empty() {
            self.outcome.verified = true;
        }
        // This step stays at the front until `next_step` takes it off.
        self.steps.truncate(1);
        self.steps.extend(tail);
        self.next_step();
    }

    /// A status reply that is not 6 bytes: the poll timeout is unknown, so wait a
    /// conservative time before anyone asks again (the device may be busy erasing).
    pub(super) fn on_bad_status(&mut self, kind: StepKind, len: usize) {
        if kind == StepKind::ClearToIdle && self.retry_status() {
            return;
        }
        // A device that leaves or manifests may answer garbage as it goes.
        if matches!(kind, StepKind::Leave { .. } | StepKind::EndOfImage { .. }) {
            return self.on_status_failure(&kind, Reply::In(Vec::new()));
        }
        self.fail(ErrorKind::BadStatusReply { len });
        self.pending_wait_ms = UNKNOWN_POLL_MS;
    }

    /// While clearing to idle: wait and ask again (bounded). A strict device stalls a
    /// GETSTATUS that came too early and enters dfuERROR, which the next round clears.
    pub(super) fn retry_status(&mut self) -> bool {
        self.attempts += 1;
        if self.attempts > 8 {
            return false;
        }
        self.pending_wait_ms = UNKNOWN_POLL_MS;
        self.stage = Stage::NeedStatus;
        true
    }

    pub(super) fn on_status_failure(&mut self, kind: &StepKind, r: Reply) {
        // Quirk: a DfuSe command (erase) that overruns its poll timeout may stall
        // GETSTATUS; wait the last poll timeout again, a few times.
        let erase = matches!(
            kind,
            StepKind::Dnload {
                payload: Payload::Command(c),
                ..
            } if c.erases()
        );
        if erase && r == Reply::Stall && self.stalls < self.target.quirks.erase_stalls {
            self.stalls += 1;
            self.pending_wait_ms = self.last_poll_ms.max(1);
            self.stage = Stage::NeedStatus;
            return;
        }
        match kind {
            StepKind::ClearToIdle
                if matches!(r, Reply::Stall | Reply::Failed(LinkError::Timeout))
                    && self.retry_status() => {}
            // After the last block, a non-answering device is manifesting or rebooting.
            StepKind::EndOfImage { .. } => self.reset_decision_after_silence(),
            StepKind::Leave { .. } => self.left(Finish::Restarting),
            _ => self.fail_reply(r, DfuRequest::GetStatus),
        }
    }

    pub(super) fn on_reply(&mut self, reply: Reply) {
        let Some(kind) = self.step().map(|s| s.kind.clone()) else {
            let _ = self.internal(Fault::ReplyWithNoStep);
            return;
        };
        self.last_status = None;
        if let (Stage::SentStatus, Reply::In(b)) = (self.stage, &reply) {
            self.last_status = StatusRecord::parse(b);
        }
        match (self.stage, reply) {
            (Stage::SentRead, Reply::Data(b)) => {
                self.fetched = Some(b);
                self.stage = Stage::Start;
            }
            (Stage::SentRead, _) => {
                let offset = match &kind {
                    StepKind::Dnload {
                        payload: Payload::Source { offset, .. },
                        ..
                    }
                    | StepKind::CompareSource { offset, .. } => *offset,
                    _ => 0,
                };
                self.fail(ErrorKind::FileUnreadable { offset });
            }
            (Stage::Waiting, Reply::Waited) => self.stage = Stage::NeedStatus,
            (Stage::WaitingThenReset, Reply::Waited) => self.stage = Stage::WaitingThenReset,
            (Stage::Waiting | Stage::WaitingThenReset, _) => {
                let _ = self.internal(Fault::WaitGotTransferReply);
            }
            (Stage::SentReset, r @ (Reply::ResetDone | Reply::Failed(_))) => self.on_reset(r),
            (Stage::SentReset, _) => {
                let _ = self.internal(Fault::ResetGotTransferReply);
            }
            (Stage::SentStatus, Reply::In(bytes)) => match StatusRecord::parse(&bytes) {
                Some(st) => self.on_status(&kind, st),
                None => self.on_bad_status(kind.clone(), bytes.len()),
            },
            (Stage::SentStatus, r) => self.on_status_failure(&kind, r),
            (Stage::SentClear | Stage::SentAbort, Reply::Out) => self.stage = Stage::NeedStatus,
            // A stalled CLRSTATUS/ABORT put the device in dfuERROR: look again.
            (Stage::SentClear | Stage::SentAbort, Reply::Stall)
                if kind == StepKind::ClearToIdle && self.retry_status() => {}
            (Stage::SentClear | Stage::SentAbort, r) => {
                let req = if self.stage == Stage::SentClear {
                    DfuRequest::ClrStatus
                } else {
                    DfuRequest::Abort
                };
                self.fail_reply(r, req);
            }
            (Stage::Sent, r) => self.on_main_reply(&kind, r),
            (
                Stage::Start
                | Stage::NeedStatus
                | Stage::SendClear
                | Stage::SendAbort
                | Stage::SendDetach
                | Stage::SendReset
                | Stage::SendManifestWait,
                _,
            ) => {
                let _ = self.internal(Fault::ReplyBeforeRequest);
            }
        }
    }

    fn on_main_reply(&mut self, kind: &StepKind, r: Reply) {
        match (kind, r) {
            (StepKind::ClearToIdle, r) => self.on_status_reply_raw(kind, r),
            (StepKind::Detach, Reply::Stall) => {
                // No GETSTATUS in run-time mode: assume appIDLE (dfu-util, fwupd).
                self.send_detach();
            }
            (StepKind::Detach, r) => self.on_status_reply_raw(kind, r),
            (StepKind::DetachSent, r) => self.on_detach_sent(r),
            (StepKind::Dnload { .. } | StepKind::EndOfImage { .. }, Reply::Out) => {
                self.stage = Stage::NeedStatus
            }
            (StepKind::Leave { .. }, Reply::Out) => self.stage = Stage::NeedStatus,
            // A leave may be silent: the device jumps without answering (GD32VF103).
            (StepKind::Leave { .. }, Reply::Failed(_)) => self.left(Finish::Restarting),
            // A device that refuses the leave is still here, in DFU mode: the image is
            // written (and checked), but it starts only after a replug.
            (StepKind::Leave { .. }, Reply::Stall) => self.left(Finish::ReplugNeeded),
            (StepKind::Upload { block, len, more }, Reply::In(data)) => {
                self.on_upload(*block, usize::from(*len), *more, data)
            }
            (StepKind::Upload { .. }, Reply::Stall) if !self.target.attributes.can_upload => self
                .fail(ErrorKind::Unsupported {
                    what: Operation::Upload,
                }),
            (StepKind::Abort, Reply::Out) => self.next_step(),
            // The reset follows whatever the device makes of it; a refusal is its answer.
            (
                StepKind::DetachBeforeReset,
                Reply::Out | Reply::Stall | Reply::Failed(LinkError::Disconnected),
            ) => self.next_step(),
            (StepKind::DetachBeforeReset, r) => self.fail_reply(r, DfuRequest::Detach),
            (StepKind::Dnload { .. } | StepKind::EndOfImage { .. }, r) => {
                self.fail_reply(r, DfuRequest::Dnload)
            }
            (StepKind::Upload { .. }, r) => self.fail_reply(r, DfuRequest::Upload),
            (StepKind::Abort, r) => self.fail_reply(r, DfuRequest::Abort),
            (_, r) => self.fail_reply(r, DfuRequest::GetStatus),
        }
    }

    fn on_status_reply_raw(&mut self, kind: &StepKind, r: Reply) {
        match r {
            Reply::In(bytes) => match StatusRecord::parse(&bytes) {
                Some(st) => self.on_status(kind, st),
                None => self.on_bad_status(kind.clone(), bytes.len()),
            },
            r => self.on_status_failure(kind, r),
        }
    }
}
