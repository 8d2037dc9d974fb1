//! A firmware file the page chose, parsed (`Firmware` in JavaScript).

use super::convert::to_js;
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

#[wasm_bindgen]
impl Firmware {
    /// Parse a file's bytes; throws an `Error` whose message says what is wrong.
    pub fn parse(bytes: &[u8], name: String) -> Result<Firmware, JsValue> {
        file::parse_named(bytes, &name, &ParseOptions::default())
            .map(|file| Firmware {
                file,
                name,
                size: bytes.len(),
            })
            .map_err(|e| JsValue::from(js_sys::Error::new(&ui::words::file_error(&e))))
    }

    /// `{title, facts, targets, warnings}` for the page.
    pub fn describe(&self) -> JsValue {
        to_js(&ui::FirmwareView::new(&self.file, &self.name, self.size))
    }
}
