//! The vendor's catalog in the page (`VendorCatalog` in JavaScript): loaded from the page's
//! own site, it names the connected product's one action, downloads the release's file
//! with progress, and checks its size and SHA-256 (WebCrypto) before the page can write a
//! byte of it.

use super::clock::with_timeout;
use super::convert::{problem_error, to_js};
use super::digest::sha256;
use super::firmware::Firmware;
use super::handle::DeviceHandle;
use super::support;
use crate::core::catalog::{self, Catalog, Channel, Release};
use crate::ui::{self, OfferView, OutcomeView, ProgressView, SignatureProblem};
use js_sys::{Function, Promise, Uint8Array};
use std::future::Future;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

/// How long the page waits for the catalog, and for the next piece of a file.
const FETCH_TIMEOUT_MS: u32 = 30_000;

/// A checked vendor catalog and the address it came from (files are relative to it).
#[wasm_bindgen]
pub struct VendorCatalog {
    catalog: Catalog,
    url: String,
}

/// The HTTP status and the browser's message of a fetch that failed (status 0: no answer),
/// or that the user cancelled it.
struct Failed {
    status: u16,
    message: String,
    cancelled: bool,
}

fn js_message(e: &JsValue) -> String {
    js_sys::Reflect::get(e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| "no answer".into())
}

/// Resolve `f`, or `None` as soon as `cancelled` says so (looked at every 100 ms).
async fn or_cancel<F: std::future::Future>(
    f: F,
    cancelled: &dyn Fn() -> bool,
) -> Option<F::Output> {
    let mut f = std::pin::pin!(f);
    let mut watch = std::pin::pin!(async {
        while !cancelled() {
            super::clock::sleep(100).await;
        }
    });
    std::future::poll_fn(|cx| {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(cx) {
            return std::task::Poll::Ready(Some(v));
        }
        if watch.as_mut().poll(cx).is_ready() {
            return std::task::Poll::Ready(None);
        }
        std::task::Poll::Pending
    })
    .await
}

/// Fetch `url` and read its body, at most `limit` bytes (one more means "too large"),
/// telling `progress` the bytes so far; stop when `cancelled` says so.
async fn fetch_bytes(
    url: &str,
    limit: u64,
    progress: &mut dyn FnMut(u64),
    cancelled: &dyn Fn() -> bool,
) -> Result<Vec<u8>, Failed> {
    let no_answer = |message: String| Failed {
        status: 0,
        message,
        cancelled: false,
    };
    let send = gloo_net::http::Request::get(url)
        .cache(web_sys::RequestCache::NoCache)
        .send();
    let stopped = Failed {
        status: 0,
        message: String::new(),
        cancelled: true,
    };
    let r = or_cancel(with_timeout(send, FETCH_TIMEOUT_MS), cancelled)
        .await
        .ok_or(stopped)?
        .ok_or_else(|| no_answer("it took longer than 30 seconds".into()))?
        .map_err(|e| no_answer(e.to_string()))?;
    if !r.ok() {
        return Err(Failed {
            status: r.status(),
            message: r.status_text(),
            cancelled: false,
        });
    }
    let Some(body) = r.body() else {
        return Ok(Vec::new());
    };
    let reader: web_sys::ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut out: Vec<u8> = Vec::new();
    loop {
        let next = JsFuture::from(reader.read());
        let Some(chunk) = or_cancel(with_timeout(next, FETCH_TIMEOUT_MS), cancelled).await else {
            let _ = reader.cancel();
            return Err(Failed {
                status: 0,
                message: String::new(),
                cancelled: true,
            });
        };
        let chunk = chunk
            .ok_or_else(|| no_answer("the download stalled for 30 seconds".into()))?
            .map_err(|e| no_answer(js_message(&e)))?;
        let done = js_sys::Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            return Ok(out);
        }
        let value = js_sys::Reflect::get(&chunk, &"value".into()).unwrap_or(JsValue::UNDEFINED);
        let bytes: Uint8Array = value.unchecked_into();
        let start = out.len();
        out.resize(start + bytes.length() as usize, 0);
        bytes.copy_to(&mut out[start..]);
        progress(out.len() as u64);
        if out.len() as u64 > limit {
            // Larger than it may be: stop here (the caller says so).
            let _ = reader.cancel();
            return Ok(out);
        }
    }
}

/// Check `catalog.json.sig` against the catalog's exact bytes and the vendor's key, with
/// WebCrypto's Ed25519.
async fn verify_signature(href: &str, bytes: &[u8], key_hex: &str) -> Result<(), SignatureProblem> {
    let key = catalog::parse_hex::<32>(key_hex.trim()).ok_or(SignatureProblem::BadKey)?;
    let sig_file = fetch_bytes(&catalog::signature_url(href), 1024, &mut |_| {}, &|| false)
        .await
        .map_err(|_| SignatureProblem::Unsigned)?;
    let sig = catalog::parse_signature(&sig_file).ok_or(SignatureProblem::Malformed)?;
    let subtle = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .map(|c| c.subtle())
        .ok_or(SignatureProblem::Unsupported)?;
    let usages = js_sys::Array::of1(&"verify".into());
    let imported = subtle
        .import_key_with_str(
            "raw",
            &Uint8Array::from(&key[..]),
            "Ed25519",
            false,
            &usages,
        )
        .map_err(|_| SignatureProblem::Unsupported)?;
    let crypto_key: web_sys::CryptoKey = JsFuture::from(imported)
        .await
        .map_err(|_| SignatureProblem::Unsupported)?
        .unchecked_into();
    let verified = subtle
        .verify_with_str_and_buffer_source_and_buffer_source(
            "Ed25519",
            &crypto_key,
            &Uint8Array::from(&sig[..]),
            &Uint8Array::from(bytes),
        )
        .map_err(|_| SignatureProblem::Unsupported)?;
    let ok = JsFuture::from(verified)
        .await
        .map_err(|_| SignatureProblem::Unsupported)?
        .as_bool()
        .unwrap_or(false);
    if ok {
        Ok(())
    } else {
        Err(SignatureProblem::Mismatch)
    }
}

/// `file` resolved against the catalog's address.
fn resolve(file: &str, base: &str) -> Option<String> {
    web_sys::Url::new_with_base(file, base)
        .ok()
        .map(|u| u.href())
}

/// The page's options for `offer`: `{beta, languages}`.
fn channel_and_languages(options: &JsValue) -> (Channel, Vec<String>) {
    let get = |k: &str| js_sys::Reflect::get(options, &k.into()).ok();
    let beta = get("beta").and_then(|b| b.as_bool()).unwrap_or(false);
    let mut languages: Vec<String> = get("languages")
        .filter(js_sys::Array::is_array)
        .map(|a| {
            js_sys::Array::from(&a)
                .iter()
                .filter_map(|l| l.as_string())
                .collect()
        })
        .unwrap_or_default();
    if languages.is_empty() {
        languages = web_sys::window()
            .map(|w| {
                w.navigator()
                    .languages()
                    .iter()
                    .filter_map(|l| l.as_string())
                    .collect()
            })
            .unwrap_or_default();
    }
    (
        if beta { Channel::Beta } else { Channel::Stable },
        languages,
    )
}

#[wasm_bindgen]
impl VendorCatalog {
    /// Load the catalog at `href` (already resolved against the page's address) for a page
    /// whose origin is `origin`: only a catalog on the page's own site is read. With
    /// `publicKey` (the vendor's Ed25519 key, 64 hex digits) the catalog must come with a
    /// matching signature, `catalog.json.sig`. Throws an `Error` with
    /// `{title, details, kind}` saying what is wrong.
    pub async fn load(
        href: String,
        origin: String,
        public_key: Option<String>,
    ) -> Result<VendorCatalog, JsValue> {
        if !ui::same_site(&href, &origin) {
            return Err(problem_error(&ui::catalog_elsewhere_problem(&origin)));
        }
        let limit = catalog::MAX_CATALOG_BYTES as u64;
        let bytes = fetch_bytes(&href, limit, &mut |_| {}, &|| false)
            .await
            .map_err(|f| problem_error(&ui::catalog_fetch_problem(f.status, &f.message)))?;
        if let Some(key) = public_key.filter(|k| !k.trim().is_empty()) {
            verify_signature(&href, &bytes, &key)
                .await
                .map_err(|p| problem_error(&ui::signature_problem(p)))?;
        }
        Self::from_bytes(&bytes, href)
    }

    /// A catalog the embedding page fetched itself; `url` is where it came from (its
    /// files are relative to it).
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &[u8], url: String) -> Result<VendorCatalog, JsValue> {
        let catalog = catalog::parse(bytes).map_err(|e| problem_error(&ui::catalog_problem(&e)))?;
        Ok(VendorCatalog { catalog, url })
    }

    /// The vendor's name.
    pub fn vendor(&self) -> String {
        ui::clean(&self.catalog.vendor)
    }

    /// The page's first sentence as the vendor's updater.
    pub fn lead(&self) -> String {
        ui::catalog_lead(&self.catalog)
    }

    /// The names of the products this catalog updates.
    pub fn products(&self) -> Vec<String> {
        self.catalog.products.iter().map(ui::product_name).collect()
    }

    /// What to offer for `device`: `{kind, title, product, installed, release, action,
    /// secondary, details, choices}` (see the README). `options`: `{beta, languages}`.
    pub fn offer(&self, device: &DeviceHandle, options: JsValue) -> JsValue {
        let (channel, languages) = channel_and_languages(&options);
        let langs: Vec<&str> = languages.iter().map(String::as_str).collect();
        to_js(&OfferView::new(
            &self.catalog,
            &device.info(),
            channel,
            &langs,
        ))
    }

    /// Download release `version` for `device`'s product, check its size and SHA-256, and
    /// parse it. `onProgress(p)` gets the page's progress object. Resolves to a `Firmware`;
    /// rejects with `{title, details, kind}` (nothing is written in either case).
    pub fn download(
        &self,
        device: &DeviceHandle,
        version: String,
        on_progress: Function,
    ) -> Promise {
        let info = device.info();
        let product = self
            .catalog
            .product_for(info.vendor_id, info.product_id, info.mode)
            .cloned();
        let vendor = self.catalog.vendor.clone();
        let base = self.url.clone();
        let cancel = device.fresh_cancel();
        future_to_promise(async move {
            let Some(product) = product else {
                return Err(JsValue::from(js_sys::Error::new(
                    "this device is not in the catalog",
                )));
            };
            let wanted = catalog::Version::parse(&version);
            let Some(release): Option<Release> = product
                .releases
                .iter()
                .find(|r| Some(&r.version) == wanted.as_ref())
                .cloned()
            else {
                return Err(JsValue::from(js_sys::Error::new("no such release")));
            };
            let what = format!("{} {}", product.name, release.version.as_str());
            let Some(url) = resolve(&release.file, &base) else {
                return Err(problem_error(&ui::release_download_problem(
                    &vendor,
                    &release.file,
                    0,
                    "bad address",
                )));
            };
            support::record(|l, t| {
                l.download_started(t, &what, &url, release.size, &release.sha256)
            });
            // Each refusal is logged with the browser's or the check's own words.
            let refuse = |p: ui::Problem, technical: &str| {
                support::record(|l, t| l.problem(t, "Download failed", &p, technical));
                problem_error(&p)
            };
            let report = |done: u64| {
                let _ = on_progress.call1(
                    &JsValue::NULL,
                    &to_js(&ProgressView::downloading(&what, done, release.size)),
                );
            };
            report(0);
            let bytes = fetch_bytes(&url, release.size, &mut |n| report(n), &|| cancel.get())
                .await
                .map_err(|f| {
                    let technical = format!("HTTP status {}: {}", f.status, f.message);
                    refuse(
                        if f.cancelled {
                            ui::download_cancelled_problem()
                        } else {
                            ui::release_download_problem(
                                &vendor,
                                &release.file,
                                f.status,
                                &f.message,
                            )
                        },
                        &technical,
                    )
                })?;
            let got = bytes.len() as u64;
            if got != release.size {
                let technical = format!("size {got} bytes, expected {}", release.size);
                let p = ui::tampered_problem(&vendor, &release, got, None);
                return Err(refuse(p, &technical));
            }
            let digest = sha256(&bytes).await.map_err(|m| {
                refuse(
                    ui::release_download_problem(&vendor, &release.file, 0, &m),
                    &m,
                )
            })?;
            if digest[..] != release.sha256[..] {
                let technical = format!("SHA-256 {}", catalog::hex(&digest));
                let p = ui::tampered_problem(&vendor, &release, got, Some(&digest));
                return Err(refuse(p, &technical));
            }
            support::record(|l, t| l.download_done(t, got));
            let name = release
                .file
                .rsplit('/')
                .next()
                .unwrap_or(&release.file)
                .to_string();
            Firmware::read(&bytes, name, Some(&digest)).map(JsValue::from)
        })
    }

    /// After installing `version`: what `device` (back in run-time mode) reports now,
    /// `{ok, title, details}`.
    pub fn outcome(&self, device: &DeviceHandle, version: String) -> JsValue {
        to_js(&OutcomeView::new(&self.catalog, &device.info(), &version))
    }

    /// The device did not come back within `seconds`: `{ok, title, details}`.
    #[wasm_bindgen(js_name = notBack)]
    pub fn not_back(name: String, seconds: u32) -> JsValue {
        to_js(&OutcomeView::not_back(&name, seconds))
    }
}
