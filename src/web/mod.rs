//! The browser edge (wasm32 only): the WebUSB transport, device discovery and
//! re-pairing, the demo device, and the `#[wasm_bindgen]` API the page uses.

pub mod api;
mod awake;
pub mod catalog;
pub mod clock;
mod convert;
pub mod demo;
mod digest;
pub mod discover;
mod firmware;
mod handle;
mod page;
pub mod support;
pub mod usb;
