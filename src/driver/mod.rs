//! The async loop that runs the core over a [`Transport`] (control in/out, reset, sleep).
//!
//! Futures are not `Send`: the browser runs them on one thread.

mod describe;
mod failure;
mod flash;
pub mod sim;

pub use describe::{describe, AltInfo, DescribeError, DeviceInfo};
pub use failure::{vector_problem, FlashError, FlashFailure, Left};
pub use flash::{
    backup, enter_dfu_mode, flash, flash_from, Backup, FlashImage, FlashOptions, FlashReport,
    FlashTarget, Reconnect,
};

use crate::core::error::LinkError;
use crate::core::protocol::{Control, Data, DfuRequest, Setup, Timeout};
use crate::core::{Action, Error, Outcome, Progress, Reply, Session};
use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Control-transfer timeout for ordinary requests (dfu-util: 5 s).
pub const TRANSFER_TIMEOUT_MS: u32 = 5_000;
/// Timeout for GETSTATUS, which can block while a DfuSe device erases (fwupd: 35 s).
pub const STATUS_TIMEOUT_MS: u32 = 35_000;

/// How a transfer failed, as the transport sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferErrorKind {
    Stall,
    Disconnected,
    Timeout,
    /// The OS, another program or another tab holds the device.
    AccessDenied,
    /// The platform cannot do this (e.g. a USB reset on Windows).
    Unsupported,
    /// The user cancelled while the transport waited (for the device to be selected again).
    Cancelled,
    Other,
}

/// A transport failure: a kind plus the platform's own message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferError {
    pub kind: TransferErrorKind,
    pub message: String,
}

impl TransferError {
    pub fn new(kind: TransferErrorKind, message: impl Into<String>) -> TransferError {
        TransferError {
            kind,
            message: message.into(),
        }
    }

    fn link(&self) -> LinkError {
        match self.kind {
            TransferErrorKind::Disconnected => LinkError::Disconnected,
            TransferErrorKind::Timeout => LinkError::Timeout,
            _ => LinkError::Other,
        }
    }
}

impl fmt::Display for TransferError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The browser's or the OS's own words; the kind is in `kind`.
        write!(f, "{}", self.message)
    }
}

/// What the driver needs from a USB device (WebUSB, the simulator, …).
#[allow(async_fn_in_trait)] // Futures need not be Send: single-threaded wasm.
pub trait Transport {
    /// Device→host control transfer of up to `setup.length` bytes.
    async fn control_in(&mut self, setup: Setup, timeout_ms: u32)
        -> Result<Vec<u8>, TransferError>;
    /// Host→device control transfer.
    async fn control_out(
        &mut self,
        setup: Setup,
        data: &[u8],
        timeout_ms: u32,
    ) -> Result<(), TransferError>;
    /// USB bus reset.
    async fn reset(&mut self) -> Result<(), TransferError>;
    /// Sleep `ms` milliseconds.
    async fn sleep(&mut self, ms: u32);
    /// Sleep until `at_ms` on [`Transport::now_ms`]'s clock, never less. By default in
    /// whole milliseconds, rounded up; a transport with a finer clock may do better.
    async fn sleep_until(&mut self, at_ms: f64) {
        let rest = at_ms - self.now_ms();
        if rest > 0.0 {
            self.sleep(rest.ceil() as u32).await;
        }
    }
    /// Milliseconds on the transport's clock (virtual for the simulator).
    fn now_ms(&self) -> f64;
    /// Claim `interface` and select `alt` (SET_INTERFACE).
    async fn select_alt(&mut self, interface: u8, alt: u8) -> Result<(), TransferError>;
    /// Has the user asked to cancel? Checked between requests.
    fn cancelled(&self) -> bool {
        false
    }
}

/// Progress with the rates the driver measured.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressReport {
    pub progress: Progress,
    /// Milliseconds since the operation started.
    pub elapsed_ms: f64,
    /// Bytes per second in the current phase.
    pub rate: f64,
    /// Estimated milliseconds to the end of the whole operation (none until it is 1 %
    /// done and half a second in).
    pub eta_ms: Option<f64>,
}

async fn perform<T: Transport>(t: &mut T, c: &Control) -> Reply {
    let timeout = match c.timeout {
        Timeout::Ordinary => TRANSFER_TIMEOUT_MS,
        Timeout::Busy => STATUS_TIMEOUT_MS,
    };
    let r = match &c.data {
        Data::In => t.control_in(c.setup, timeout).await.map(Reply::In),
        Data::Out(bytes) => t
            .control_out(c.setup, bytes, timeout)
            .await
            .map(|()| Reply::Out),
    };
    r.unwrap_or_else(|e| match e.kind {
        TransferErrorKind::Stall => Reply::Stall,
        _ => Reply::Failed(e.link()),
    })
}

/// Where a streamed image's bytes come from ([`Action::Read`]): its file on disk, or
/// the `File` the page was given.
pub trait Source {
    /// `len` bytes from `offset` (fewer only where the source ends); `Err` if it cannot
    /// be read.
    fn read(&mut self, offset: u64, len: usize) -> SourceRead<'_>;
}

/// What [`Source::read`] returns: a boxed future, so sources of every kind fit one
/// `&mut dyn Source`.
pub type SourceRead<'a> = std::pin::Pin<Box<dyn Future<Output = Result<Vec<u8>, ()>> + 'a>>;

/// Run a session to its end over `t`, reporting progress after every step.
pub async fn run<T: Transport>(
    t: &mut T,
    session: &mut Session,
    on_progress: &mut dyn FnMut(&ProgressReport),
) -> Result<Outcome, Error> {
    run_from(t, session, None, on_progress).await
}

/// [`run`] for a session whose image comes from `source` (a streamed image).
pub async fn run_from<'s, T: Transport>(
    t: &mut T,
    session: &mut Session,
    mut source: Option<&mut (dyn Source + 's)>,
    on_progress: &mut dyn FnMut(&ProgressReport),
) -> Result<Outcome, Error> {
    let start = t.now_ms();
    let mut last_status_at = start;
    let mut phase_start = (session.progress().phase, start, 0u64);
    loop {
        if t.cancelled() {
            session.cancel();
        }
        match session.next_action() {
            Action::Control(c) => {
                let reply = perform(t, &c).await;
                if c.dfu_request() == Some(DfuRequest::GetStatus) {
                    last_status_at = t.now_ms();
                }
                session.handle(reply);
            }
            Action::Wait { ms } => {
                // The wait counts from the last status reply.
                t.sleep_until(last_status_at + f64::from(ms)).await;
                session.handle(Reply::Waited);
            }
            Action::Reset => {
                let r = match t.reset().await {
                    Ok(()) => Reply::ResetDone,
                    Err(e) => Reply::Failed(e.link()),
                };
                session.handle(r);
            }
            Action::Read { offset, len } => {
                let r = match source.as_deref_mut() {
                    Some(s) => s.read(offset, len).await.map(Reply::Data),
                    None => Err(()),
                };
                session.handle(r.unwrap_or(Reply::Unreadable));
            }
            Action::Done(o) => return Ok(o),
            Action::Failed(e) => return Err(describe_error(t, e).await),
        }
        let now = t.now_ms();
        let p = session.progress();
        let cur = p.current();
        if cur.phase != phase_start.0 {
            phase_start = (cur.phase, now, cur.done);
        }
        let dt = (now - phase_start.1) / 1000.0;
        let rate = if dt > 0.0 {
            (cur.done - phase_start.2) as f64 / dt
        } else {
            0.0
        };
        // The time left of the whole job, from its pace so far (the same measure as the
        // percentage, so it does not start again at each phase).
        let f = p.fraction();
        let so_far = now - start;
        let eta_ms = ((0.01..1.0).contains(&f) && so_far >= 500.0).then(|| so_far * (1.0 - f) / f);
        on_progress(&ProgressReport {
            progress: p.clone(),
            elapsed_ms: now - start,
            rate,
            eta_ms,
        });
    }
}

/// Add the device's own words (its iString) to an error status, if it gave any.
async fn describe_error<T: Transport>(t: &mut T, mut e: Error) -> Error {
    use crate::core::ErrorKind;
    if let ErrorKind::DeviceStatus { string_index, .. } = e.kind {
        if string_index != 0 && !e.device_gone() {
            let c =
                Control::get_descriptor(crate::core::descriptor::STRING, string_index, 0x0409, 255);
            if let Ok(b) = t.control_in(c.setup, TRANSFER_TIMEOUT_MS).await {
                e.device_text = crate::core::descriptor::parse_string(&b)
                    .ok()
                    .filter(|s| !s.trim().is_empty());
            }
        }
    }
    e
}

/// Run a future that never waits on anything outside itself (the simulator transport
/// completes every call at once on virtual time). Returns `None` if it would block.
pub fn block_on<F: Future>(f: F) -> Option<F::Output> {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    match f.as_mut().poll(&mut cx) {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}
