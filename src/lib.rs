//! dfu-flasher: a USB DFU 1.1 and ST DfuSe host.
//!
//! * [`core`]: sans-IO protocol engine, descriptor and file parsers (no I/O, no clock).
//! * [`sim`]: a simulated DFU / DfuSe device on virtual time (std only).
//! * [`driver`]: the async loop that runs the core over a transport.
//! * [`ui`]: what the page shows, worded in Rust (view models).
//! * `web` (wasm32 only): WebUSB, the demo device and the JavaScript API.
pub mod core;
pub mod driver;
pub mod sim;
pub mod ui;
#[cfg(target_arch = "wasm32")]
pub mod web;
