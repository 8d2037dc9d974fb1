//! dfu-flasher: USB DFU 1.1 and ST DfuSe host, sans-IO core plus drivers.
pub mod core;
pub mod sim;
