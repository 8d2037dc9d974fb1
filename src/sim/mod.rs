//! A simulated DFU / DfuSe device on virtual time (std only).
