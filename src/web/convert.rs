//! Conversions at the JavaScript boundary: values to JS objects, the page's numbers, the
//! user's platform, and errors as the `Error` objects the page catches. A leaf module: it
//! uses the layers below, and every other module of `web` may use it.

use crate::driver::{TransferError, TransferErrorKind};
use crate::ui::{self, Platform, Problem};
use js_sys::Reflect;
use serde::Serialize;
use wasm_bindgen::prelude::*;

pub(crate) fn to_js<T: Serialize>(v: &T) -> JsValue {
    let s = serde_wasm_bindgen::Serializer::json_compatible();
    v.serialize(&s).unwrap_or(JsValue::NULL)
}

/// A JS number that is a whole number in `0..=u32::MAX` (options the page passes).
pub(crate) fn whole_number(v: &JsValue) -> Option<u32> {
    v.as_f64()
        .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= f64::from(u32::MAX))
        .map(|f| f as u32)
}

pub(crate) fn platform() -> Platform {
    web_sys::window()
        .and_then(|w| w.navigator().user_agent().ok())
        .map(|ua| Platform::from_user_agent(&ua))
        .unwrap_or(Platform::Other)
}

/// A thrown error: an `Error` whose message is the title, plus `title`, `details`
/// (paragraphs, or `{code}` blocks) and `kind`.
pub(crate) fn problem_error(p: &Problem) -> JsValue {
    let e = js_sys::Error::new(&p.title);
    let details = js_sys::Array::new();
    for d in &p.details {
        match d {
            ui::Detail::Text(t) => details.push(&JsValue::from_str(t)),
            ui::Detail::Code(c) => {
                let o = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&o, &"code".into(), &JsValue::from_str(c));
                details.push(&o)
            }
        };
    }
    let _ = js_sys::Reflect::set(&e, &"title".into(), &JsValue::from_str(&p.title));
    let _ = js_sys::Reflect::set(&e, &"details".into(), &details);
    let _ = js_sys::Reflect::set(&e, &"kind".into(), &JsValue::from_str(p.kind.name()));
    e.into()
}

/// Map a rejected WebUSB promise to an error kind, keeping the browser's message.
pub fn map_error(e: &JsValue, during: &str) -> TransferError {
    let name = Reflect::get(e, &"name".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    let message = Reflect::get(e, &"message".into())
        .ok()
        .and_then(|v| v.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".into());
    let kind = match (name.as_str(), during) {
        ("NetworkError", "reset") => TransferErrorKind::Unsupported,
        ("NetworkError", "claim") | ("SecurityError", _) => TransferErrorKind::AccessDenied,
        ("NotFoundError", _) | ("NetworkError", _) | ("AbortError", _) => {
            TransferErrorKind::Disconnected
        }
        ("NotSupportedError", _) => TransferErrorKind::Unsupported,
        ("TimeoutError", _) => TransferErrorKind::Timeout,
        _ => TransferErrorKind::Other,
    };
    let shown = if name.is_empty() {
        message
    } else {
        format!("{name}: {message}")
    };
    TransferError::new(kind, shown)
}
