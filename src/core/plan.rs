//! The block scheduler: turns an operation and an image into the [`Plan`] a session runs. Plans are plain data, so tests can check that the writes cover
//! exactly the image.

use super::descriptor::Attributes;
use super::dfuse::DfuseCommand;
use super::progress::Phase;
use super::quirks::Quirks;
use std::fmt;

mod dfuse;
mod stream;

pub(crate) use dfuse::dfuse_tail;
use dfuse::{push_end, push_erase};

/// What the session needs to know about the DFU interface it talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub interface: u8,
    /// Normalised wTransferSize.
    pub transfer_size: u16,
    pub attributes: Attributes,
    /// ST DfuSe command set.
    pub dfuse: bool,
    /// Workarounds for this device's bugs.
    pub quirks: Quirks,
}

/// What to do, on which target: the steps with the phase and progress bytes each accounts
/// for, and the image runs they write. A plain value: [`crate::core::Session::new`] runs it,
/// and tests check it without running it ([`Plan::planned_writes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub(crate) target: Target,
    pub(crate) runs: Vec<Run>,
    pub(crate) steps: Vec<Step>,
}

/// DfuSe block numbers 0 and 1 are reserved: data blocks start at 2.
const DFUSE_FIRST_BLOCK: u16 = 2;

/// A contiguous piece of image to write at `address` (DfuSe) or offset 0 (DFU 1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub address: u32,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Payload {
    /// A DfuSe block-0 command.
    Command(DfuseCommand),
    Run {
        run: usize,
        offset: usize,
        len: usize,
    },
    /// `len` bytes of the image's source from `offset`, read just before they are sent.
    Source { offset: u64, len: usize },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StepKind {
    /// GETSTATUS, then CLRSTATUS / ABORT until dfuIDLE.
    ClearToIdle,
    /// GETSTATUS (a stall means appIDLE), then DETACH.
    Detach,
    /// DETACH sent; then the reset decision.
    DetachSent,
    /// DNLOAD, then GETSTATUS until dfuDNLOAD-IDLE.
    Dnload {
        block: u16,
        payload: Payload,
    },
    /// Zero-length DNLOAD, then manifestation.
    EndOfImage {
        block: u16,
    },
    /// DfuSe zero-length DNLOAD that makes the device jump to its firmware.
    Leave {
        block: u16,
    },
    /// One UPLOAD of `len` bytes. `more`: `None` for an exact read (a short reply is
    /// an error); `Some(n)` for a DFU 1.1 read that a short reply ends, which may go on
    /// for `n` more blocks (the next one is planned when this one comes back full).
    Upload {
        block: u16,
        len: u16,
        more: Option<u64>,
    },
    Abort,
    /// Compare what was read with `len` bytes of a run from `offset`.
    Compare {
        run: usize,
        offset: usize,
        len: usize,
    },
    /// The compare's reads are in: keep the pages that differ from what the update
    /// would leave, and plan their erase, write and verify in place of the steps after
    /// this one (see [`super::compare`]).
    Decide(Box<super::compare::Pending>),
    /// `len` bytes of the image's source from `offset`, written as DNLOAD blocks
    /// `block`, `block + 1`, …: planned one block at a time as this step comes to the
    /// front, so a streamed image of gigabytes does not need a step per block.
    Blocks {
        offset: u64,
        len: u64,
        block: u16,
    },
    /// Read back `len` bytes and compare them with the source's from `offset`, one
    /// UPLOAD (`block`, `block + 1`, …) and one [`StepKind::CompareSource`] at a time.
    /// `address`: DfuSe, where the first byte is.
    Check {
        offset: u64,
        len: u64,
        block: u16,
        address: Option<u32>,
    },
    /// Compare what was read with `len` bytes of the source from `offset` (the bytes at
    /// `address`, for the messages).
    CompareSource {
        offset: u64,
        len: usize,
        address: u32,
    },
    /// A USB reset so a tolerant device starts its new firmware.
    Reset,
    /// DETACH in DFU mode, before that reset (quirk `detach_for_attach`).
    DetachBeforeReset,
}

/// One step of a plan, with the phase and the progress bytes it accounts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Step {
    pub kind: StepKind,
    pub phase: Phase,
    pub bytes: u64,
    pub address: Option<u32>,
}

/// One request of a plan as the scheduler sees it, for tests and reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlannedWrite {
    /// A data block written at this address (DfuSe) or image offset (DFU 1.1).
    Data {
        block: u16,
        address: u32,
        len: usize,
    },
    SetAddress(u32),
    ErasePage(u32),
    MassErase,
}

/// Options for a DFU 1.1 download.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DownloadOptions {
    /// Read the image back after manifestation and compare (tolerant devices only).
    pub verify: bool,
    /// Reset a manifestation-tolerant device afterwards so it runs the new firmware.
    pub restart: bool,
}

/// Options for a DfuSe download.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DfuseOptions {
    pub verify: bool,
    /// One mass erase instead of page erases.
    pub mass_erase: bool,
    /// Leave DFU mode afterwards, jumping to this address (None: the image's lowest).
    pub leave: bool,
    pub leave_address: Option<u32>,
    /// Read back the sectors the image touches first, and erase and write only those
    /// that differ from what the update would leave (where that is safe: see
    /// [`super::compare::blocked`]).
    pub compare: bool,
}

/// Why a plan cannot be made: the image does not fit the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    EmptyImage,
    NotWritable { address: u32, len: u64 },
    Overlap { address: u32 },
    DownloadNotSupported,
    UploadNotSupported,
    NotReadable { address: u32, len: u64 },
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A technical line for logs and developers; what a person reads is worded in
        // `ui::words`.
        write!(f, "{self:?}")
    }
}

impl std::error::Error for PlanError {}

fn step(kind: StepKind, phase: Phase, bytes: u64, address: Option<u32>) -> Step {
    Step {
        kind,
        phase,
        bytes,
        address,
    }
}

fn clear(phase: Phase) -> Step {
    step(StepKind::ClearToIdle, phase, 0, None)
}

fn dfuse_command(command: DfuseCommand, phase: Phase, credit: u64, address: Option<u32>) -> Step {
    step(
        StepKind::Dnload {
            block: 0,
            payload: Payload::Command(command),
        },
        phase,
        credit,
        address,
    )
}

fn set_address(address: u32, phase: Phase) -> Step {
    dfuse_command(DfuseCommand::SetAddress(address), phase, 0, Some(address))
}

impl Plan {
    /// Bring a DFU-mode device to a clean dfuIDLE (CLRSTATUS / ABORT as needed).
    pub fn clear_to_idle(target: Target) -> Plan {
        Plan {
            target,
            runs: Vec::new(),
            steps: vec![clear(Phase::Prepare)],
        }
    }

    /// Run-time → DFU mode: GETSTATUS (stall ⇒ appIDLE), DETACH, and a USB reset
    /// unless the device detaches by itself (bitWillDetach).
    pub fn detach(target: Target) -> Plan {
        Plan {
            target,
            runs: Vec::new(),
            steps: vec![step(StepKind::Detach, Phase::Detach, 0, None)],
        }
    }

    /// DFU 1.1 download: wTransferSize blocks from 0 (wrapping at 65535), the
    /// zero-length end, and manifestation.
    pub fn download(
        target: Target,
        image: &[u8],
        opts: DownloadOptions,
    ) -> Result<Plan, PlanError> {
        let verify = dfu11_verify(target, image.len() as u64, opts)?;
        let ts = usize::from(target.transfer_size.max(1));
        let mut steps = vec![clear(Phase::Prepare)];
        let mut block: u16 = 0;
        for (i, chunk) in image.chunks(ts).enumerate() {
            steps.push(step(
                StepKind::Dnload {
                    block,
                    payload: Payload::Run {
                        run: 0,
                        offset: i * ts,
                        len: chunk.len(),
                    },
                },
                Phase::Write,
                chunk.len() as u64,
                None,
            ));
            block = block.wrapping_add(1);
        }
        steps.push(step(
            StepKind::EndOfImage { block },
            Phase::Manifest,
            1,
            None,
        ));
        if verify {
            push_dfu11_upload(
                &mut steps,
                ts,
                image.len() as u64,
                Phase::Verify,
                image.len() as u64,
            );
            let len = image.len();
            steps.push(step(
                StepKind::Compare {
                    run: 0,
                    offset: 0,
                    len,
                },
                Phase::Verify,
                0,
                None,
            ));
        }
        push_restart(&mut steps, target, opts, verify, ts);
        let runs = vec![Run {
            address: 0,
            data: image.to_vec(),
        }];
        Ok(Plan {
            target,
            runs,
            steps,
        })
    }

    /// DFU 1.1 upload: blocks until a short reply, at most `max_len` bytes.
    pub fn upload(target: Target, max_len: u64) -> Result<Plan, PlanError> {
        if !target.attributes.can_upload || target.quirks.broken_upload {
            return Err(PlanError::UploadNotSupported);
        }
        let mut steps = vec![clear(Phase::Prepare)];
        push_dfu11_upload(
            &mut steps,
            usize::from(target.transfer_size.max(1)),
            max_len,
            Phase::Upload,
            // A backup's length is learnt from the device's short reply, not known ahead.
            0,
        );
        Ok(Plan {
            target,
            runs: Vec::new(),
            steps,
        })
    }

    /// How many steps the plan holds (a long read is planned one block at a time).
    pub fn step_count(&self) -> usize {
        self.steps.len()
    }

    /// The writes this plan makes, in order (for tests and reports).
    pub fn planned_writes(&self) -> Vec<PlannedWrite> {
        let ts = u32::from(self.target.transfer_size);
        let mut pointer = 0u32;
        let mut out = Vec::new();
        // A lazily planned run of blocks counts as the blocks it becomes.
        let mut expanded = Vec::new();
        for s in &self.steps {
            let mut s = s.clone();
            if matches!(s.kind, StepKind::Blocks { .. }) {
                while !stream::spent(&s) {
                    expanded.extend(stream::split(&mut s, u64::from(ts.max(1))));
                }
            } else {
                expanded.push(s);
            }
        }
        for s in &expanded {
            if let StepKind::Dnload { block, payload } = &s.kind {
                match payload {
                    Payload::Command(DfuseCommand::SetAddress(a)) => {
                        pointer = *a;
                        out.push(PlannedWrite::SetAddress(pointer));
                    }
                    Payload::Command(DfuseCommand::ErasePage(a)) => {
                        out.push(PlannedWrite::ErasePage(*a))
                    }
                    Payload::Command(DfuseCommand::MassErase) => out.push(PlannedWrite::MassErase),
                    Payload::Command(DfuseCommand::ReadUnprotect) => {}
                    Payload::Run { .. } | Payload::Source { .. } => {
                        let (offset, len) = match payload {
                            Payload::Run { offset, len, .. } => (*offset as u64, len),
                            Payload::Source { offset, len } => (*offset, len),
                            Payload::Command(_) => continue,
                        };
                        let address = if self.target.dfuse {
                            pointer.wrapping_add(u32::from(*block).wrapping_sub(2).wrapping_mul(ts))
                        } else {
                            offset as u32
                        };
                        out.push(PlannedWrite::Data {
                            block: *block,
                            address,
                            len: *len,
                        });
                    }
                }
            }
        }
        out
    }
}

/// The first block of a lazily planned step, as the steps to run now (the step keeps
/// the rest).
pub(crate) fn split_front(s: &mut Step, ts: u64) -> Vec<Step> {
    stream::split(s, ts)
}

/// Whether a lazily planned step has nothing left.
pub(crate) fn spent_step(s: &Step) -> bool {
    stream::spent(s)
}

/// Whether a DFU 1.1 download of `len` bytes can be made, and whether it is read back:
/// only from a manifestation-tolerant device (the others leave DFU mode) whose UPLOAD
/// is not known broken.
fn dfu11_verify(target: Target, len: u64, opts: DownloadOptions) -> Result<bool, PlanError> {
    if len == 0 {
        return Err(PlanError::EmptyImage);
    }
    if !target.attributes.can_download {
        return Err(PlanError::DownloadNotSupported);
    }
    let verify =
        opts.verify && target.attributes.manifestation_tolerant && !target.quirks.broken_upload;
    if verify && !target.attributes.can_upload {
        return Err(PlanError::UploadNotSupported);
    }
    Ok(verify)
}

/// The end of a DFU 1.1 download with `restart`: the quirks' UPLOAD or DETACH, then the
/// USB reset that starts a manifestation-tolerant device's new firmware.
fn push_restart(
    steps: &mut Vec<Step>,
    target: Target,
    opts: DownloadOptions,
    verify: bool,
    ts: usize,
) {
    if opts.restart && target.attributes.manifestation_tolerant {
        if target.quirks.upload_before_attach && !verify && target.attributes.can_upload {
            // One block read (and ended) is the UPLOAD the device waits for.
            steps.push(step(
                StepKind::Upload {
                    block: 0,
                    len: ts as u16,
                    more: Some(0),
                },
                Phase::Manifest,
                0,
                None,
            ));
            steps.push(step(StepKind::Abort, Phase::Manifest, 0, None));
        }
        if target.quirks.detach_for_attach {
            steps.push(step(StepKind::DetachBeforeReset, Phase::Manifest, 0, None));
        }
        steps.push(step(StepKind::Reset, Phase::Manifest, 0, None));
    }
}

/// UPLOAD steps for a DFU 1.1 read of up to `len` bytes: one block more than `len`
/// needs, so an image that fills whole blocks still ends with its short reply; the
/// trailing ABORT runs only if no short reply came. `credit`: the progress bytes the read
/// counts for (the length when it is known, as for a verify).
fn push_dfu11_upload(steps: &mut Vec<Step>, ts: usize, len: u64, phase: Phase, credit: u64) {
    let blocks = len / ts as u64 + 1;
    steps.push(step(
        StepKind::Upload {
            block: 0,
            len: ts as u16,
            more: Some(blocks - 1),
        },
        phase,
        credit,
        None,
    ));
    steps.push(step(StepKind::Abort, phase, 0, None));
}
