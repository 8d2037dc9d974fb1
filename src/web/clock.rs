//! The page's waits (bwPollTimeout, the demo's pacing, polls while a device re-enumerates).
//!
//! Chromium runs the timers of a hidden tab at most once a second, so a user who switches
//! tabs during an update would turn every few-millisecond poll wait into a whole second:
//! minutes instead of seconds. Timers in a dedicated worker are not throttled, so while the
//! page is hidden a wait is timed by the worker the page hands over (`setTimerWorker`,
//! `www/timer-worker.js`); while it is visible, by the page's own `setTimeout`, which is
//! quicker to answer. Without a worker (a host whose CSP forbids it, an embedding page that
//! gave none) waits still work, throttled when hidden. A wait never ends early: the worker
//! starts its timer after the page asked, and if it fails, the waits it held go back to the
//! page's timers for the time they have left.

use std::future::{Future, IntoFuture};
use std::pin::pin;
use std::task::Poll;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/web/clock.js")]
extern "C" {
    #[wasm_bindgen(js_name = use_worker)]
    fn use_worker(worker: &JsValue);
    #[wasm_bindgen(js_name = use_worker_now)]
    fn use_worker_now() -> bool;
    #[wasm_bindgen(js_name = worker_sleep)]
    fn worker_sleep(ms: u32) -> js_sys::Promise;
}

/// Time waits with `worker` while the page is hidden (`null`/`undefined`: the page's own
/// timers only). The worker answers `[id, ms]` with `id` after `ms` milliseconds.
#[wasm_bindgen(js_name = setTimerWorker)]
pub fn set_timer_worker(worker: JsValue) {
    use_worker(&worker);
}

/// Milliseconds on the page's monotonic clock, since the page started (`performance.now()`).
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or_else(js_sys::Date::now, |p| p.now())
}

/// Wait at least `ms` milliseconds: the worker's timer while the page is hidden, a plain
/// timeout (cancelled if this future is dropped) while it is visible.
pub async fn sleep(ms: u32) {
    if use_worker_now() {
        // The promise only ever resolves (with undefined).
        let _ = wasm_bindgen_futures::JsFuture::from(worker_sleep(ms)).await;
    } else {
        gloo_timers::future::TimeoutFuture::new(ms).await;
    }
}

/// How much of a wait [`sleep_until`] spends watching the clock rather than on a timer:
/// about a timer's lateness, and short enough not to hold up the page.
const SPIN_MS: f64 = 1.5;

/// Wait until `at` on [`now_ms`]'s clock: never less, and hardly more. A timer for all
/// but the last [`SPIN_MS`] (a timer fires at its time or up to a millisecond or so
/// later), the rest by watching the clock. Rounding every poll wait up to whole
/// milliseconds on a timer instead cost 0.5–0.8 ms per wait, 2–4 % of an update.
pub async fn sleep_until(at: f64) {
    let rest = at - now_ms() - SPIN_MS;
    if rest >= 1.0 {
        sleep(rest as u32).await;
    }
    while now_ms() < at {
        std::hint::spin_loop();
    }
}

/// Resolve `f`, or `None` after `ms` milliseconds.
pub async fn with_timeout<F: IntoFuture>(f: F, ms: u32) -> Option<F::Output> {
    let mut f = pin!(f.into_future());
    let mut t = pin!(sleep(ms));
    std::future::poll_fn(|cx| {
        if let Poll::Ready(v) = f.as_mut().poll(cx) {
            return Poll::Ready(Some(v));
        }
        if t.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await
}
