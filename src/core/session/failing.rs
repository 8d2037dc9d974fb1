//! How a session fails: an error the device caused starts the recovery to dfuIDLE; a broken
//! invariant of the host stops it at once, sending nothing more.

use super::*;

impl Session {
    /// Stop at once on a broken invariant of the host: no recovery requests, nothing
    /// claimed. Returns the failure as the action to report.
    pub(super) fn internal(&mut self, what: Fault) -> Action {
        let mut e = Error::new(ErrorKind::Internal { what }, self.phase());
        e.dfuse = self.target.dfuse;
        // An error being recovered from is still the first cause; the host's own fault
        // ends the recovery.
        let e = match self.failing.take() {
            Some(mut orig) => {
                orig.recovered = None;
                orig
            }
            None => e,
        };
        self.failing = Some(e.clone());
        self.steps.clear();
        self.finished = true;
        // `advance` reports it from here on (finished, failing).
        Action::Failed(e)
    }

    pub(super) fn fail_status(&mut self, st: &StatusRecord) {
        let e = Error::from_status(st, self.phase()).during(DfuRequest::GetStatus);
        self.fail_with(e);
    }

    pub(super) fn fail_reply(&mut self, r: Reply, request: DfuRequest) {
        let kind = match r {
            Reply::Stall => ErrorKind::Stalled { request },
            Reply::Failed(l) => ErrorKind::Link(l),
            // Data, a completed OUT, a wait or a reset where this request's failure was
            // due: the driver answered another request.
            Reply::In(_)
            | Reply::Out
            | Reply::Waited
            | Reply::ResetDone
            | Reply::Data(_)
            | Reply::Unreadable => {
                let _ = self.internal(Fault::ReplyDoesNotFit);
                return;
            }
        };
        let e = Error::new(kind, self.phase()).during(request);
        self.fail_with(e);
    }

    pub(super) fn fail(&mut self, kind: ErrorKind) {
        let e = Error::new(kind, self.phase());
        self.fail_with(e);
    }

    /// The device refused a read of the compare (it stalled it or reported an error, as
    /// a read-protected chip does): nothing was changed, so clear the error and go on with
    /// the full update the plan holds after its Decide step. True if it did.
    fn compare_refused(&mut self, e: &Error) -> bool {
        let refusal = matches!(
            e.kind,
            ErrorKind::Stalled { .. }
                | ErrorKind::DeviceStatus { .. }
                | ErrorKind::ShortRead { .. }
        );
        let decide = self
            .steps
            .iter()
            .position(|s| matches!(s.kind, StepKind::Decide(_)));
        let (true, Phase::Compare, Some(at)) = (refusal, e.phase, decide) else {
            return false;
        };
        self.steps.drain(..=at);
        self.steps.push_front(Step {
            kind: StepKind::ClearToIdle,
            phase: Phase::Compare,
            bytes: 0,
            address: None,
        });
        self.read.clear();
        self.last_status = None;
        self.progress.complete(Phase::Compare);
        self.outcome.compare_refused = true;
        true
    }

    /// Record the error and start recovery (back to dfuIDLE) where that makes sense.
    pub(super) fn fail_with(&mut self, mut e: Error) {
        e.dfuse = self.target.dfuse;
        if e.address.is_none() {
            e.address = self.step().and_then(|s| s.address);
        }
        self.stage = Stage::Start;
        self.polls = 0;
        self.waited_ms = 0;
        self.attempts = 0;
        if self.failing.is_none() && self.compare_refused(&e) {
            return;
        }
        if self.failing.is_some() {
            // Recovery itself failed: report the original error.
            if let Some(orig) = &mut self.failing {
                orig.recovered = Some(false);
            }
            self.steps.clear();
            self.finished = true;
            return;
        }
        let can_recover = !matches!(
            e.kind,
            ErrorKind::Link(LinkError::Disconnected) | ErrorKind::RuntimeMode
        );
        let runtime = matches!(
            self.step().map(|s| &s.kind),
            Some(StepKind::Detach | StepKind::DetachSent)
        );
        self.steps.clear();
        if can_recover && !runtime {
            self.steps.push_back(Step {
                kind: StepKind::ClearToIdle,
                phase: e.phase,
                bytes: 0,
                address: None,
            });
        } else {
            self.finished = true;
        }
        self.failing = Some(e);
    }
}
