//! A firmware file the page chose, parsed (`Firmware` in JavaScript).

use super::convert::to_js;
use super::support;
use crate::core::file::{self, FirmwareFile, ParseOptions};
use crate::ui;
use wasm_bindgen::prelude::*;

/// A parsed firmware file.
#[wasm_bindgen]
pub struct Firmware {
    pub(crate) file: FirmwareFile,
    name: String,
    size: usize,
}

impl Firmware {
    /// Parse a file's bytes, and log it for support with its SHA-256 (`digest` when the
    /// caller has it already, else computed now).
    pub(super) fn read(
        bytes: &[u8],
        name: String,
        digest: Option<&[u8]>,
    ) -> Result<Firmware, JsValue> {
        let size = bytes.len();
        let r = file::parse_named(bytes, &name, &ParseOptions::default());
        match &r {
            Ok(f) => support::record(|l, t| l.firmware(t, f, &name, size as u64, digest)),
            Err(e) => {
                let shown = ui::words::file_error(e);
                support::record(|l, t| {
                    l.firmware_refused(t, &name, size as u64, e, &shown, digest)
                });
            }
        }
        if digest.is_none() {
            support::hash_later(name.clone(), bytes);
        }
        r.map(|file| Firmware { file, name, size })
            .map_err(|e| JsValue::from(js_sys::Error::new(&ui::words::file_error(&e))))
    }

    /// The file's name as the page gave it.
    pub(super) fn name(&self) -> &str {
        &self.name
    }
}

#[wasm_bindgen]
impl Firmware {
    /// Parse a file's bytes; throws an `Error` whose message says what is wrong.
    pub fn parse(bytes: &[u8], name: String) -> Result<Firmware, JsValue> {
        Firmware::read(bytes, name, None)
    }

    /// `{title, facts, targets, warnings}` for the page.
    pub fn describe(&self) -> JsValue {
        to_js(&ui::FirmwareView::new(&self.file, &self.name, self.size))
    }
}
