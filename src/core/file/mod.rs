//! Firmware file formats: raw binary, DFU suffix, DfuSe container, Intel HEX.
