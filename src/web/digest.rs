//! SHA-256 by WebCrypto: a release's file against its catalog entry, and every firmware
//! file for the support log. A leaf module.

use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

fn js_message(e: &JsValue) -> String {
    js_sys::Reflect::get(e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| "no answer".into())
}

/// The SHA-256 of `bytes` by WebCrypto.
#[cfg(feature = "catalog")]
pub(crate) async fn sha256(bytes: &[u8]) -> Result<Vec<u8>, String> {
    sha256_of(&Uint8Array::from(bytes)).await
}

/// The SHA-256 of bytes already copied to JavaScript (so that the caller need not keep
/// its own copy while the digest is computed).
pub(crate) async fn sha256_of(data: &Uint8Array) -> Result<Vec<u8>, String> {
    let subtle = web_sys::window()
        .map(|w| w.crypto())
        .ok_or("no window")?
        .map_err(|e| js_message(&e))?
        .subtle();
    let p = subtle
        .digest_with_str_and_buffer_source("SHA-256", data)
        .map_err(|e| js_message(&e))?;
    let digest = JsFuture::from(p).await.map_err(|e| js_message(&e))?;
    Ok(Uint8Array::new(&digest).to_vec())
}
