//! The sans-IO DFU core: protocol types, parsers and state machines.
//!
//! Nothing in here performs I/O, reads a clock or awaits: operations return the next
//! request as a value and are told the reply.
pub mod file;
