//! The browser edge (wasm32 only): the WebUSB transport, device discovery and
//! re-pairing, the demo device, and the `#[wasm_bindgen]` API the page uses.
//!
//! Two wasm modules are built from it: the page's (everything but `chip`), and the demo
//! chip's (`--features demo-chip`: `chip` alone, the simulator), which the page downloads
//! only when the user chooses the demo. The page's is built twice: with the vendor's
//! catalog (`catalog`, the default feature) for an element given a catalog, and without
//! it for every other page.

#[cfg(not(feature = "demo-chip"))]
pub mod api;
#[cfg(not(feature = "demo-chip"))]
mod awake;
#[cfg(all(feature = "catalog", not(feature = "demo-chip")))]
pub mod catalog;
#[cfg(feature = "demo-chip")]
pub mod chip;
#[cfg(not(feature = "demo-chip"))]
pub mod clock;
#[cfg(not(feature = "demo-chip"))]
mod convert;
#[cfg(not(feature = "demo-chip"))]
pub mod demo;
#[cfg(not(feature = "demo-chip"))]
mod digest;
#[cfg(not(feature = "demo-chip"))]
pub mod discover;
#[cfg(not(feature = "demo-chip"))]
mod firmware;
#[cfg(not(feature = "demo-chip"))]
mod handle;
#[cfg(not(feature = "demo-chip"))]
mod page;
#[cfg(not(feature = "demo-chip"))]
pub mod support;
#[cfg(not(feature = "demo-chip"))]
pub mod usb;
