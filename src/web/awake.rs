//! Keep the screen on while an update or a backup runs.
//!
//! On a phone or a Chromebook the screen dims and locks by itself after a minute or two;
//! the browser then puts the page in the background (Android freezes it), and an update
//! stops half-written until the user comes back. A screen wake lock prevents that. The
//! browser lets go of it whenever the page is hidden, so it is taken again when the page
//! is shown while an operation still runs. Where it is refused (battery saver, a policy,
//! no support) the operation runs anyway.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/web/awake.js")]
extern "C" {
    fn hold();
    fn release();
}

/// The screen stays on while this lives (an operation's future holds one).
pub struct Awake(());

impl Awake {
    pub fn new() -> Awake {
        hold();
        Awake(())
    }
}

impl Drop for Awake {
    fn drop(&mut self) {
        release();
    }
}
