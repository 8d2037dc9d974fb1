//! A firmware file the page chose, parsed (`Firmware` in JavaScript).

use super::convert::to_js;
use super::support;
use crate::core::file::{self, FileError, FirmwareFile, ParseOptions, Scan};
use crate::driver::{Source, SourceRead};
use crate::ui;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::Blob;

/// Bytes read at a time from a file too large to hold: while checking it, and ahead of
/// the blocks sent from it.
const SLICE: f64 = 4.0 * 1024.0 * 1024.0;

/// A parsed firmware file.
#[wasm_bindgen]
pub struct Firmware {
    pub(crate) file: FirmwareFile,
    name: String,
    size: usize,
    /// The file itself, for an image sent from it ([`file::Image::Stream`]).
    pub(crate) blob: Option<Blob>,
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
        r.map(|file| Firmware {
            file,
            name,
            size,
            blob: None,
        })
        .map_err(|e| refused(&e))
    }

    /// Check a file too large to hold, reading it in slices; it stays the source of the
    /// image's bytes.
    async fn scan(blob: Blob, name: String) -> Result<Firmware, JsValue> {
        let size = blob.size() as u64;
        let r = async {
            let mut scan = Scan::new(size)?;
            let mut at = 0.0;
            while (at as u64) < size {
                let end = (at + SLICE).min(size as f64);
                match read_slice(&blob, at, end).await {
                    Some(b) if !b.is_empty() => scan.feed(&b),
                    _ => break,
                }
                at = end;
            }
            scan.finish(&name, &ParseOptions::default())
        }
        .await;
        match &r {
            Ok(f) => support::record(|l, t| l.firmware(t, f, &name, size, None)),
            Err(e) => {
                let shown = ui::words::file_error(e);
                support::record(|l, t| l.firmware_refused(t, &name, size, e, &shown, None));
            }
        }
        r.map(|file| Firmware {
            file,
            name,
            size: size as usize,
            blob: Some(blob),
        })
        .map_err(|e| refused(&e))
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

    /// Parse a `File` (or any `Blob`, with its `name`): read whole when it is small, and
    /// in slices when it is larger than memory should hold (up to 4 GiB), in which case
    /// the update sends the image from the file. Rejects with an `Error` whose message
    /// says what is wrong.
    #[wasm_bindgen(js_name = fromFile)]
    pub async fn from_file(file: Blob, name: String) -> Result<Firmware, JsValue> {
        if file::stream::streamed(file.size() as u64) {
            return Firmware::scan(file, name).await;
        }
        let bytes = read_slice(&file, 0.0, file.size()).await.ok_or_else(|| {
            refused(&FileError::Changed {
                size: file.size() as u64,
                read: 0,
            })
        })?;
        Firmware::read(&bytes, name, None)
    }

    /// Whether the image is sent from the file rather than held in memory.
    #[wasm_bindgen(getter)]
    pub fn streamed(&self) -> bool {
        self.file.is_streamed()
    }

    /// `{title, facts, targets, warnings}` for the page.
    pub fn describe(&self) -> JsValue {
        to_js(&ui::FirmwareView::new(&self.file, &self.name, self.size))
    }
}

fn refused(e: &FileError) -> JsValue {
    JsValue::from(js_sys::Error::new(&ui::words::file_error(e)))
}

/// The bytes of `blob` from `start` to `end`, or `None` if the browser cannot read them
/// (the file was moved or changed).
async fn read_slice(blob: &Blob, start: f64, end: f64) -> Option<Vec<u8>> {
    let part = blob.slice_with_f64_and_f64(start, end).ok()?;
    let buf = JsFuture::from(part.array_buffer()).await.ok()?;
    Some(js_sys::Uint8Array::new(&buf).to_vec())
}

/// The image's bytes, read from its file as the update sends them, a slice ahead.
pub(crate) struct BlobSource {
    blob: Blob,
    window: Vec<u8>,
    at: u64,
}

impl BlobSource {
    pub(crate) fn new(blob: Blob) -> BlobSource {
        BlobSource {
            blob,
            window: Vec::new(),
            at: 0,
        }
    }
}

impl Source for BlobSource {
    fn read(&mut self, offset: u64, len: usize) -> SourceRead<'_> {
        Box::pin(async move {
            let end = offset + len as u64;
            if offset < self.at || end > self.at + self.window.len() as u64 {
                let to = (offset as f64 + SLICE.max(len as f64)).min(self.blob.size());
                self.window = read_slice(&self.blob, offset as f64, to).await.ok_or(())?;
                self.at = offset;
            }
            let from = (offset - self.at) as usize;
            let to = (from + len).min(self.window.len());
            Ok(self.window.get(from..to).unwrap_or_default().to_vec())
        })
    }
}
