//! The operation engine: a sans-IO state machine that runs a plan of steps.
//!
//! Drive it with [`Session::next_action`] and [`Session::handle`]:
//!
//! ```text
//! loop {
//!     match session.next_action() {
//!         Action::Control(c) => session.handle(perform(c)),   // Reply::Out / In / Stall / Failed
//!         Action::Wait { ms } => { sleep(ms); session.handle(Reply::Waited) }
//!         Action::Reset => session.handle(reset()),           // Reply::ResetDone / Failed
//!         Action::Done(outcome) => break Ok(outcome),
//!         Action::Failed(error) => break Err(error),
//!     }
//! }
//! ```
//!
//! Every `Control`, `Wait` and `Reset` must be answered by exactly one `handle` call
//! before `next_action` is called again; it repeats the pending action otherwise.

mod failing;
mod replies;

use super::error::{Error, ErrorKind, Fault, LinkError, Operation};
pub use super::plan::Target;
use super::plan::{DfuseOptions, DownloadOptions, Payload, Plan, PlanError, Run, Step, StepKind};
use super::progress::{Phase, Progress};
use super::protocol::{Control, Data, DfuRequest, State, Status, StatusRecord};
use std::collections::VecDeque;

/// The longest single wait the host accepts from bwPollTimeout.
pub const MAX_POLL_MS: u32 = 60_000;
/// How long to wait before asking again when the device's poll timeout is unknown
/// (malformed or stalled status): long enough for a sector erase.
pub const UNKNOWN_POLL_MS: u32 = 1_000;
/// A step fails as stuck after this many status polls …
pub const MAX_POLLS_PER_STEP: u32 = 2_000;
/// … or after the device asked for this much waiting in total (fwupd: 120 s).
pub const MAX_BUSY_MS: u64 = 120_000;

/// The next thing the driver must do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "the session waits until the action is performed and its reply handled"]
pub enum Action {
    /// Perform this control transfer and report the reply.
    Control(Control),
    /// Sleep at least `ms` milliseconds, counted from the reply to the last GETSTATUS,
    /// then report [`Reply::Waited`].
    Wait { ms: u32 },
    /// Issue a USB bus reset and report [`Reply::ResetDone`] or the failure.
    Reset,
    /// Read `len` bytes of the image's source (its file) from `offset`, and report them
    /// as [`Reply::Data`], or [`Reply::Unreadable`] (a streamed image only).
    Read { offset: u64, len: usize },
    /// The operation succeeded.
    Done(Outcome),
    /// The operation failed.
    Failed(Error),
}

/// The result of performing an [`Action`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// A host→device transfer completed.
    Out,
    /// A device→host transfer completed with these bytes.
    In(Vec<u8>),
    /// The device stalled the request.
    Stall,
    /// The requested wait is over.
    Waited,
    /// The bus reset was issued.
    ResetDone,
    /// The bytes an [`Action::Read`] asked for (fewer only if the source ended).
    Data(Vec<u8>),
    /// The source could not be read.
    Unreadable,
    /// The transfer or reset failed.
    Failed(LinkError),
}

/// How the device was left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// In DFU mode, dfuIDLE.
    Idle,
    /// Restarting into its firmware (reset sent, or it leaves by itself).
    Restarting,
    /// The firmware is in place but the host could not reset the device: the user
    /// must unplug and replug it.
    ReplugNeeded,
    /// Run-time device told to detach; `reset` says whether the host reset it.
    Detached { reset: bool },
    /// Run-time device told to detach, but the host reset failed: replug needed.
    DetachedReplugNeeded,
    /// The device was already in DFU mode.
    AlreadyInDfuMode,
}

/// What a successful operation produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub finish: Finish,
    /// Bytes written to the device.
    pub written: u64,
    /// Whether a read-back comparison succeeded.
    pub verified: bool,
    /// Bytes read from the device (uploads and backups).
    pub data: Vec<u8>,
    /// The device refused the compare's reads (a stall or an error status, as a
    /// read-protected chip answers): the update wrote everything instead.
    pub compare_refused: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Emit the step's main request.
    Start,
    /// Awaiting the reply to the main request.
    Sent,
    /// Next: GETSTATUS (after the pending wait, if any).
    NeedStatus,
    Waiting,
    SentStatus,
    SentClear,
    SentAbort,
    /// Awaiting the bytes of an [`Action::Read`].
    SentRead,
    /// After a wait on a non-tolerant device in dfuMANIFEST: go to the reset decision.
    WaitingThenReset,
    SentReset,
    // What a reply decided to send next; `advance` emits it (the one place that does).
    SendClear,
    SendAbort,
    SendDetach,
    SendReset,
    /// Wait the manifestation's poll timeout, then the reset decision.
    SendManifestWait,
}

/// A running operation.
#[derive(Debug)]
pub struct Session {
    target: Target,
    runs: Vec<Run>,
    steps: VecDeque<Step>,
    stage: Stage,
    pending: Option<Action>,
    /// bwPollTimeout of the last status reply, still to be waited before the next one.
    pending_wait_ms: u32,
    polls: u32,
    waited_ms: u64,
    /// The poll timeout of the last status, and stalls tolerated in this step (quirk).
    last_poll_ms: u32,
    stalls: u8,
    attempts: u32,
    progress: Progress,
    outcome: Outcome,
    read: Vec<u8>,
    /// The source bytes the front step needs, once read ([`Action::Read`]).
    fetched: Option<Vec<u8>>,
    /// The error being recovered from (CLRSTATUS/ABORT in progress).
    failing: Option<Error>,
    /// The last status reply, if nothing was sent since: spares a GETSTATUS when
    /// clearing to idle right after it.
    last_status: Option<StatusRecord>,
    cancel: bool,
    finished: bool,
}

impl Session {
    /// Run `plan`: the session owns it from here.
    pub fn new(plan: Plan) -> Session {
        let Plan {
            target,
            runs,
            steps,
        } = plan;
        let mut totals: Vec<(Phase, u64)> = Vec::new();
        for s in &steps {
            match totals.iter_mut().find(|(p, _)| *p == s.phase) {
                Some((_, t)) => *t += s.bytes,
                None => totals.push((s.phase, s.bytes)),
            }
        }
        Session {
            target,
            runs,
            steps: steps.into(),
            stage: Stage::Start,
            pending: None,
            pending_wait_ms: 0,
            polls: 0,
            waited_ms: 0,
            last_poll_ms: 0,
            stalls: 0,
            attempts: 0,
            progress: Progress::new(totals),
            outcome: Outcome {
                finish: Finish::Idle,
                written: 0,
                verified: false,
                data: Vec::new(),
                compare_refused: false,
            },
            read: Vec::new(),
            fetched: None,
            failing: None,
            last_status: None,
            cancel: false,
            finished: false,
        }
    }

    /// Bring a DFU-mode device to a clean dfuIDLE ([`Plan::clear_to_idle`]).
    pub fn clear_to_idle(target: Target) -> Session {
        Session::new(Plan::clear_to_idle(target))
    }

    /// Run-time → DFU mode ([`Plan::detach`]).
    pub fn detach(target: Target) -> Session {
        Session::new(Plan::detach(target))
    }

    /// DFU 1.1 download ([`Plan::download`]).
    pub fn download(
        target: Target,
        image: &[u8],
        opts: DownloadOptions,
    ) -> Result<Session, PlanError> {
        Plan::download(target, image, opts).map(Session::new)
    }

    /// DFU 1.1 download of a streamed image ([`Plan::download_streamed`]).
    pub fn download_streamed(
        target: Target,
        len: u64,
        opts: DownloadOptions,
    ) -> Result<Session, PlanError> {
        Plan::download_streamed(target, len, opts).map(Session::new)
    }

    /// DfuSe download of a streamed image ([`Plan::dfuse_download_streamed`]).
    pub fn dfuse_download_streamed(
        target: Target,
        map: &super::memmap::MemoryMap,
        address: u32,
        len: u64,
        opts: DfuseOptions,
    ) -> Result<Session, PlanError> {
        Plan::dfuse_download_streamed(target, map, address, len, opts).map(Session::new)
    }

    /// DFU 1.1 upload ([`Plan::upload`]).
    pub fn upload(target: Target, max_len: u64) -> Result<Session, PlanError> {
        Plan::upload(target, max_len).map(Session::new)
    }

    /// DfuSe download ([`Plan::dfuse_download`]).
    pub fn dfuse_download(
        target: Target,
        map: &super::memmap::MemoryMap,
        elements: &[(u32, &[u8])],
        opts: DfuseOptions,
    ) -> Result<Session, PlanError> {
        Plan::dfuse_download(target, map, elements, opts).map(Session::new)
    }

    /// DfuSe upload ([`Plan::dfuse_upload`]).
    pub fn dfuse_upload(target: Target, address: u32, len: u64) -> Result<Session, PlanError> {
        Plan::dfuse_upload(target, address, len).map(Session::new)
    }

    /// The progress so far.
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// Ask the operation to stop. The block in flight finishes, then the device is
    /// brought back to dfuIDLE and the session fails with [`ErrorKind::Cancelled`].
    pub fn cancel(&mut self) {
        self.cancel = true;
    }

    /// The action to perform now (the same one until it is handled).
    pub fn next_action(&mut self) -> Action {
        if self.pending.is_none() {
            let a = self.advance();
            self.pending = Some(a);
        }
        match self.pending.clone() {
            Some(a) => a,
            // Set just above; should it not be, nothing is sent to the device.
            None => self.internal(Fault::NothingPlanned),
        }
    }

    /// Report the result of the pending action.
    pub fn handle(&mut self, reply: Reply) {
        match self.pending.take() {
            // The end was already reported; a late reply changes nothing.
            Some(Action::Done(_)) | Some(Action::Failed(_)) => {}
            None if self.finished => {}
            None => {
                let _ = self.internal(Fault::ReplyForNoRequest);
            }
            Some(_) => self.on_reply(reply),
        }
    }

    fn step(&self) -> Option<&Step> {
        self.steps.front()
    }

    fn phase(&self) -> Phase {
        self.step().map_or(self.progress.phase, |s| s.phase)
    }

    fn control(&self, request: DfuRequest, value: u16, data: Data) -> Action {
        Action::Control(Control::dfu(request, self.target.interface, value, data))
    }

    fn get_status(&self) -> Action {
        Action::Control(Control::dfu_in(
            DfuRequest::GetStatus,
            self.target.interface,
            0,
            6,
        ))
    }

    /// Compute the next action from the current state.
    /// The DfuSe leave is over (answered, silent or refused): nothing more to send, and
    /// the progress says the whole job is done.
    fn left(&mut self, finish: Finish) {
        self.outcome.finish = finish;
        self.steps.clear();
        self.progress.complete(Phase::Leave);
    }

    fn advance(&mut self) -> Action {
        loop {
            if self.finished {
                return match &self.failing {
                    Some(e) => Action::Failed(e.clone()),
                    None => Action::Done(self.outcome.clone()),
                };
            }
            if self.stage == Stage::Start && self.cancel && self.failing.is_none() {
                self.fail(ErrorKind::Cancelled);
                continue;
            }
            let Some(step) = self.steps.front() else {
                self.finish_ok();
                continue;
            };
            self.progress.enter(step.phase);
            match self.stage {
                Stage::Start => match &step.kind {
                    StepKind::Blocks { .. } | StepKind::Check { .. } => {
                        self.expand();
                        continue;
                    }
                    StepKind::Dnload {
                        payload: Payload::Source { offset, len },
                        ..
                    }
                    | StepKind::CompareSource { offset, len, .. }
                        if self.fetched.is_none() =>
                    {
                        let (offset, len) = (*offset, *len);
                        self.stage = Stage::SentRead;
                        return Action::Read { offset, len };
                    }
                    StepKind::CompareSource {
                        offset, address, ..
                    } => {
                        let (offset, address) = (*offset, *address);
                        let data = self.fetched.take().unwrap_or_default();
                        self.compare_source(offset, address, data);
                        continue;
                    }
                    StepKind::Compare { run, offset, len } => {
                        let (run, offset, len) = (*run, *offset, *len);
                        self.compare(run, offset, len);
                        continue;
                    }
                    StepKind::Decide(p) => {
                        let p = (**p).clone();
                        self.decide(p);
                        continue;
                    }
                    StepKind::ClearToIdle => {
                        match self.last_status.take() {
                            // Act on the status just read instead of asking again.
                            Some(st) => self.on_clear_status(st),
                            // Honour a poll timeout still pending from an earlier status.
                            None => self.stage = Stage::NeedStatus,
                        }
                        continue;
                    }
                    _ => {
                        let a = self.start_request();
                        if self.stage == Stage::Start {
                            self.stage = Stage::Sent;
                        }
                        return a;
                    }
                },
                Stage::NeedStatus => {
                    if self.pending_wait_ms > 0 {
                        let ms = std::mem::take(&mut self.pending_wait_ms);
                        self.waited_ms += u64::from(ms);
                        self.stage = Stage::Waiting;
                        return Action::Wait { ms };
                    }
                    self.stage = Stage::SentStatus;
                    return self.get_status();
                }
                Stage::WaitingThenReset => {
                    return self.reset_or_finish();
                }
                Stage::SendClear => {
                    self.stage = Stage::SentClear;
                    return self.control(DfuRequest::ClrStatus, 0, Data::Out(Vec::new()));
                }
                Stage::SendAbort => {
                    self.stage = Stage::SentAbort;
                    return self.control(DfuRequest::Abort, 0, Data::Out(Vec::new()));
                }
                Stage::SendDetach => {
                    // Both dfu-util and fwupd send a fixed 1000 ms detach timeout.
                    self.stage = Stage::Sent;
                    return self.control(DfuRequest::Detach, 1000, Data::Out(Vec::new()));
                }
                Stage::SendReset => {
                    self.stage = Stage::SentReset;
                    return Action::Reset;
                }
                Stage::SendManifestWait => {
                    let ms = std::mem::take(&mut self.pending_wait_ms);
                    self.stage = Stage::WaitingThenReset;
                    return Action::Wait { ms };
                }
                _ => {
                    // Awaiting a reply: `next_action` repeats the pending action instead.
                    return self.internal(Fault::RequestWhileReplyDue);
                }
            }
        }
    }

    /// The first request of the current step.
    fn start_request(&mut self) -> Action {
        let Some(step) = self.steps.front() else {
            return self.internal(Fault::RequestWithNoStep);
        };
        match &step.kind {
            StepKind::ClearToIdle | StepKind::Detach | StepKind::DetachSent => self.get_status(),
            StepKind::Dnload { block, payload } => {
                let bytes = match payload {
                    Payload::Command(c) => c.encode(),
                    Payload::Source { offset, len } => match self.fetched.take() {
                        Some(b) if b.len() == *len => b,
                        // The file ended early: it changed since it was checked.
                        Some(_) => {
                            let offset = *offset;
                            self.fail(ErrorKind::FileUnreadable { offset });
                            return self.advance();
                        }
                        None => return self.internal(Fault::BlockOutsideImage),
                    },
                    Payload::Run { run, offset, len } => {
                        let slice = self
                            .runs
                            .get(*run)
                            .and_then(|r| r.data.get(*offset..offset.checked_add(*len)?));
                        match slice {
                            Some(b) => b.to_vec(),
                            // An empty DNLOAD would end the image: never send one for this.
                            None => return self.internal(Fault::BlockOutsideImage),
                        }
                    }
                };
                self.control(DfuRequest::Dnload, *block, Data::Out(bytes))
            }
            StepKind::EndOfImage { block } | StepKind::Leave { block } => {
                self.control(DfuRequest::Dnload, *block, Data::Out(Vec::new()))
            }
            StepKind::Upload { block, len, .. } => Action::Control(Control::dfu_in(
                DfuRequest::Upload,
                self.target.interface,
                *block,
                *len,
            )),
            StepKind::Abort => self.control(DfuRequest::Abort, 0, Data::Out(Vec::new())),
            // The same fixed 1000 ms detach timeout as in run-time mode.
            StepKind::DetachBeforeReset => {
                self.control(DfuRequest::Detach, 1000, Data::Out(Vec::new()))
            }
            StepKind::Reset => {
                self.stage = Stage::SentReset;
                Action::Reset
            }
            // Handled in `advance` without a request.
            StepKind::Compare { .. }
            | StepKind::Decide(_)
            | StepKind::Blocks { .. }
            | StepKind::Check { .. }
            | StepKind::CompareSource { .. } => self.internal(Fault::CompareAsRequest),
        }
    }

    /// Plan the first block of the lazily planned step at the front.
    fn expand(&mut self) {
        let ts = u64::from(self.target.transfer_size.max(1));
        let Some(front) = self.steps.front_mut() else {
            return;
        };
        let now = super::plan::split_front(front, ts);
        if super::plan::spent_step(front) {
            self.steps.pop_front();
        }
        for s in now.into_iter().rev() {
            self.steps.push_front(s);
        }
    }

    fn next_step(&mut self) {
        self.steps.pop_front();
        self.fetched = None;
        self.stage = Stage::Start;
        self.polls = 0;
        self.waited_ms = 0;
        self.attempts = 0;
        self.stalls = 0;
    }

    fn finish_ok(&mut self) {
        self.finished = true;
        if let Some(e) = &mut self.failing {
            e.recovered = Some(true);
        }
    }
}
