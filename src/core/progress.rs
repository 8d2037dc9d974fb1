//! Progress as values: the phase and the bytes done, so the driver can compute rate and ETA.

use serde::Serialize;

/// The phases of an operation, in the order they can occur. Serialized for the page's
/// progress reports (`phase`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Bringing the device to a clean dfuIDLE.
    Prepare,
    Detach,
    /// Reading back what the device holds where the image goes, to skip what is there.
    Compare,
    Erase,
    Write,
    Verify,
    Manifest,
    Leave,
    /// Reading the firmware back for a backup.
    Upload,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Prepare => "prepare",
            Phase::Detach => "detach",
            Phase::Compare => "compare",
            Phase::Erase => "erase",
            Phase::Write => "write",
            Phase::Verify => "verify",
            Phase::Manifest => "manifest",
            Phase::Leave => "leave",
            Phase::Upload => "upload",
        }
    }
}

/// Bytes done and planned for one phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhaseProgress {
    pub phase: Phase,
    pub done: u64,
    pub total: u64,
}

/// A snapshot of an operation's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// The phase in progress now.
    pub phase: Phase,
    /// Every phase of the plan, in order.
    pub phases: Vec<PhaseProgress>,
    /// What the compare found, once it is over (DfuSe updates that compare first).
    pub compared: Option<Compared>,
}

/// What the compare found: how much of what the image touches the device already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Compared {
    /// Sectors the image touches.
    pub sectors: u32,
    /// Of those, the sectors that already hold exactly what a full update would leave.
    pub same: u32,
    /// The bytes of the sectors that are the same, and of those to erase and write.
    pub same_bytes: u64,
    pub write_bytes: u64,
    /// The image's bytes in the sectors that are the same, and in all of them.
    pub image_same: u64,
    pub image_bytes: u64,
}

impl Progress {
    pub(crate) fn new(phases: Vec<(Phase, u64)>) -> Progress {
        let first = phases.first().map_or(Phase::Prepare, |p| p.0);
        Progress {
            phase: first,
            phases: phases
                .into_iter()
                .map(|(phase, total)| PhaseProgress {
                    phase,
                    done: 0,
                    total,
                })
                .collect(),
            compared: None,
        }
    }

    pub(crate) fn enter(&mut self, phase: Phase) {
        self.phase = phase;
    }

    pub(crate) fn add(&mut self, phase: Phase, bytes: u64) {
        if let Some(p) = self.phases.iter_mut().find(|p| p.phase == phase) {
            // A phase of unknown size (a DFU 1.1 backup) just counts.
            p.done = if p.total == 0 {
                p.done + bytes
            } else {
                (p.done + bytes).min(p.total)
            };
        }
    }

    /// After the compare: what is left to do for `phase` (its bytes done so far stay).
    pub(crate) fn retotal(&mut self, phase: Phase, total: u64) {
        if let Some(p) = self.phases.iter_mut().find(|p| p.phase == phase) {
            p.total = total.max(p.done);
        }
    }

    pub(crate) fn complete(&mut self, phase: Phase) {
        if let Some(p) = self.phases.iter_mut().find(|p| p.phase == phase) {
            p.total = p.total.max(p.done);
            p.done = p.total;
        }
    }

    /// The current phase's counters.
    pub fn current(&self) -> PhaseProgress {
        self.phases
            .iter()
            .copied()
            .find(|p| p.phase == self.phase)
            .unwrap_or(PhaseProgress {
                phase: self.phase,
                done: 0,
                total: 0,
            })
    }

    /// Overall fraction 0.0..=1.0, weighting phases by their bytes.
    pub fn fraction(&self) -> f64 {
        let known = self.phases.iter().filter(|p| p.total > 0);
        let total: u64 = known.clone().map(|p| p.total).sum();
        let done: u64 = known.map(|p| p.done).sum();
        if total == 0 {
            0.0
        } else {
            done as f64 / total as f64
        }
    }
}
