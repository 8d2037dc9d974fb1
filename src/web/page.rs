//! The page's side of a long operation: progress reports paced for the page, and the
//! re-pair step (find the re-enumerated device among those permitted, or ask the page to
//! show the one-click chooser button).

use super::convert::to_js;
use super::discover;
use super::support;
use crate::driver::{self, DeviceInfo, TransferError, TransferErrorKind};
use crate::ui::{Chooser, ProgressView, Repair, RepairView};
use js_sys::{Function, Promise};
use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;
use std::task::Poll;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::UsbDevice;

/// Progress for the page. The driver reports after every request, about a thousand
/// times a second on a fast device; crossing into JavaScript and touching the DOM that
/// often costs transfer time and shows nothing more. Report on a phase change, at the
/// end of a phase, and otherwise at most every 40 ms. The support log is told at the same
/// moments (it notes phase changes, with the counters of the phase that ended).
pub(super) fn page_progress(
    on_progress: &Function,
    resuming: bool,
) -> impl FnMut(&driver::ProgressReport) + '_ {
    let mut last: Option<(crate::core::Phase, f64)> = None;
    move |p| {
        let cur = p.progress.current();
        let due = match last {
            Some((phase, at)) => {
                phase != cur.phase || p.elapsed_ms - at >= 40.0 || cur.done >= cur.total
            }
            None => true,
        };
        if due {
            last = Some((cur.phase, p.elapsed_ms));
            support::record(|l, t| l.progress(t, p));
            let view = if resuming {
                ProgressView::resuming(p)
            } else {
                ProgressView::new(p)
            };
            let _ = on_progress.call1(&JsValue::NULL, &to_js(&view));
        }
    }
}

/// How long the page waits for the user to select the re-enumerated device.
/// Wait for the page's re-pair promise: the user's choice, or an error once
/// [`REPAIR_TIMEOUT_MS`] has passed (an update must not wait forever for a click).
pub(super) async fn await_choice(p: Promise) -> Result<JsValue, TransferError> {
    super::clock::with_timeout(p, REPAIR_TIMEOUT_MS)
        .await
        .ok_or_else(|| {
            TransferError::new(
                TransferErrorKind::Disconnected,
                "the device was not selected again in time",
            )
        })?
        .map_err(|e| discover::chooser_error(&e))
}

pub(super) const REPAIR_TIMEOUT_MS: u32 = 5 * 60 * 1000;

/// Run `f` until it ends or the user cancels (`cancel` set), whichever comes first: a
/// wait for the user or the device must end at once when they press Cancel.
pub(super) async fn unless_cancelled<T>(
    f: impl Future<Output = Result<T, TransferError>>,
    cancel: Rc<Cell<bool>>,
) -> Result<T, TransferError> {
    let mut f = std::pin::pin!(f);
    let mut watch = std::pin::pin!(async move {
        while !cancel.get() {
            super::clock::sleep(100).await;
        }
    });
    std::future::poll_fn(|cx| {
        if let Poll::Ready(v) = f.as_mut().poll(cx) {
            return Poll::Ready(v);
        }
        if watch.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(TransferError::new(
                TransferErrorKind::Cancelled,
                "cancelled while waiting for the device",
            )));
        }
        Poll::Pending
    })
    .await
}

/// The page's re-pair step, the one way both backends (WebUSB and the demo) ask for the
/// device again after it re-enumerated: the page's `onRepair` shows the button, progress
/// shows the countdown, and Cancel ends the wait at once.
pub(crate) struct PageRepair {
    pub(super) on_repair: Function,
    pub(super) on_progress: Function,
    pub(super) cancel: Rc<Cell<bool>>,
}

impl PageRepair {
    /// Look for the device that was `before` (the browser's object `old`) among those the
    /// page may already use (same serial, or a policy), for a few seconds, with a countdown.
    pub(crate) async fn wait_known(
        &self,
        before: &DeviceInfo,
        old: &UsbDevice,
    ) -> Option<UsbDevice> {
        support::record(|l, t| l.repair(t, Repair::Looking));
        let report = |p: &ProgressView| {
            let _ = self.on_progress.call1(&JsValue::NULL, &to_js(p));
        };
        let found = unless_cancelled(
            async { Ok(discover::wait_for_known(before, old, 6, &report).await) },
            self.cancel.clone(),
        )
        .await
        .ok()
        .flatten();
        if found.is_some() {
            support::record(|l, t| l.repair(t, Repair::Found));
        }
        found
    }

    /// Ask the user to select the device that was `before` again, in the browser's chooser
    /// or (`Chooser::Demo`) the page's own. Resolves to what the page chose (a `USBDevice`,
    /// or anything for the demo), or fails after [`REPAIR_TIMEOUT_MS`] or on Cancel.
    pub(crate) async fn ask(
        &self,
        before: &DeviceInfo,
        chooser: Chooser,
    ) -> Result<JsValue, TransferError> {
        support::record(|l, t| l.repair(t, Repair::Asked(chooser)));
        let req = to_js(&RepairView::new(before, chooser));
        let asked = self.on_repair.call1(&JsValue::NULL, &req);
        let r = unless_cancelled(
            async move {
                let p: Promise = asked
                    .map_err(|e| discover::chooser_error(&e))?
                    .unchecked_into();
                await_choice(p).await
            },
            self.cancel.clone(),
        )
        .await;
        match &r {
            Ok(_) => support::record(|l, t| l.repair(t, Repair::Chosen)),
            Err(e) => support::record(|l, t| l.repair(t, Repair::NotChosen(e))),
        }
        r
    }
}
