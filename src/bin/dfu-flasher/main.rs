//! The native command line: inspect firmware files and flash them onto the simulator.
//!
//! Native only: on wasm32 the crate is the page's library, and this binary (built there
//! by `cargo test --target wasm32-unknown-unknown`) does nothing.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    cli::main();
}
