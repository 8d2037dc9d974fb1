//! The sans-IO DFU core: protocol types, parsers and state machines.
//!
//! Nothing in here performs I/O, reads a clock or awaits: operations return the next
//! request as a value and are told the reply.
pub mod catalog;
pub mod compare;
pub mod descriptor;
pub mod device;
pub mod dfuse;
pub mod error;
pub mod file;
pub mod fit;
pub mod json;
pub mod memmap;
pub mod plan;
pub mod progress;
pub mod protocol;
pub mod quirks;
pub mod session;
pub mod sort;
pub mod vectors;

pub use error::{Error, ErrorKind, Fault, LinkError, Operation};
pub use plan::{DfuseOptions, DownloadOptions, Plan, PlanError, PlannedWrite, Target};
pub use progress::{Compared, Phase, Progress};
pub use session::{Action, Finish, Outcome, Reply, Session};
