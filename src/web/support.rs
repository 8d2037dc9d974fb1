//! The page's support log ("Copy details for support"): one [`SupportLog`] per page,
//! recorded into by the web layer as things happen (a device opened, a file chosen, an
//! update's start, phases, re-pair steps and end), and given to the page as plain text by
//! `supportLog(navigator.userAgent)`. The format is `ui::support`'s. Times are the page's
//! clock (milliseconds since the page started).

use super::clock::now_ms;
use super::convert::{platform, problem_error};
use super::digest::sha256_of;
use crate::driver::FlashError;
use crate::ui::{self, SupportLog};
use js_sys::Uint8Array;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    static LOG: RefCell<SupportLog> = RefCell::new(SupportLog::new());
}

/// Record an event: `f` gets the log and the time now.
pub(crate) fn record(f: impl FnOnce(&mut SupportLog, f64)) {
    let at = now_ms();
    LOG.with(|l| f(&mut l.borrow_mut(), at));
}

/// A device could not be opened (`ids`, when known): logged, and the error the page gets.
pub(crate) fn open_failed(e: &FlashError, ids: Option<(u16, u16)>) -> JsValue {
    let p = ui::problem_for(e, platform(), ids);
    record(|l, t| l.open_failed(t, e, &p));
    problem_error(&p)
}

/// Compute the SHA-256 of the file `name` (by WebCrypto, so asynchronously) and give it to
/// the log's entry for it once known.
pub(crate) fn hash_later(name: String, bytes: &[u8]) {
    let data = Uint8Array::from(bytes);
    wasm_bindgen_futures::spawn_local(async move {
        if let Ok(d) = sha256_of(&data).await {
            LOG.with(|l| l.borrow_mut().file_sha256(&name, &d));
        }
    });
}

/// The session's support log as plain text, for the customer to paste into an email to
/// the vendor: the page version, `browser` (pass `navigator.userAgent`), each device, file,
/// operation, phase and error with its time since the page started. In English whatever
/// the page's language (it is for the vendor's support team); device text is escaped.
#[wasm_bindgen(js_name = supportLog)]
pub fn support_log(browser: &str) -> String {
    let at = now_ms();
    LOG.with(|l| l.borrow().render(browser, at))
}

/// Forget the session's support log (it starts again, empty).
#[wasm_bindgen(js_name = supportLogClear)]
pub fn support_log_clear() {
    LOG.with(|l| *l.borrow_mut() = SupportLog::new());
}
