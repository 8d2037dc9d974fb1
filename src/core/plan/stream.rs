//! Plans for a streamed image ([`crate::core::file::Image::Stream`]): the same requests
//! as for an image held in memory, but the blocks and their read-back are planned lazily
//! ([`StepKind::Blocks`], [`StepKind::Check`]) and their bytes come from the source, so
//! the plan and the session stay small whatever the image's size.

use super::{
    clear, dfu11_verify, push_end, push_erase, push_restart, set_address, step, DfuseOptions,
    DownloadOptions, Plan, PlanError, Step, StepKind, Target, DFUSE_FIRST_BLOCK,
};
use crate::core::memmap::MemoryMap;
use crate::core::progress::Phase;

impl Plan {
    /// DFU 1.1 download of the first `len` bytes of the image's source: the requests of
    /// [`Plan::download`], with the read-back compared one block at a time.
    pub fn download_streamed(
        target: Target,
        len: u64,
        opts: DownloadOptions,
    ) -> Result<Plan, PlanError> {
        let verify = dfu11_verify(target, len, opts)?;
        let ts = usize::from(target.transfer_size.max(1));
        let blocks = len.div_ceil(ts as u64);
        let mut steps = vec![clear(Phase::Prepare)];
        steps.push(step(
            StepKind::Blocks {
                offset: 0,
                len,
                block: 0,
            },
            Phase::Write,
            len,
            None,
        ));
        // The block numbers wrap at 65535, as DFU 1.1 allows: the truncation is the wrap.
        let end = blocks as u16;
        steps.push(step(
            StepKind::EndOfImage { block: end },
            Phase::Manifest,
            1,
            None,
        ));
        if verify {
            steps.push(step(
                StepKind::Check {
                    offset: 0,
                    len,
                    block: 0,
                    address: None,
                },
                Phase::Verify,
                len,
                None,
            ));
            // The read stops at the image's end, not at the device's: end the upload.
            steps.push(step(StepKind::Abort, Phase::Verify, 0, None));
        }
        push_restart(&mut steps, target, opts, verify, ts);
        Ok(Plan {
            target,
            // The bytes come from the source (`Payload::Source`), not from a run.
            runs: Vec::new(),
            steps,
        })
    }

    /// DfuSe download of the first `len` bytes of the image's source at `address`: the
    /// requests of [`Plan::dfuse_download`] for one run, without the compare (reading
    /// back what is there would need as much memory as the image).
    pub fn dfuse_download_streamed(
        target: Target,
        map: &MemoryMap,
        address: u32,
        len: u64,
        opts: DfuseOptions,
    ) -> Result<Plan, PlanError> {
        if len == 0 {
            return Err(PlanError::EmptyImage);
        }
        let opts = super::dfuse::dfuse_capable(target, opts)?;
        if u64::from(address) + len > 1 << 32 || !map.covers(address, len, |s| s.writable) {
            return Err(PlanError::NotWritable { address, len });
        }
        if opts.verify && !map.covers(address, len, |s| s.readable) {
            return Err(PlanError::NotReadable { address, len });
        }
        let ts = usize::from(target.transfer_size.max(1)) as u64;
        let mut steps = vec![clear(Phase::Prepare)];
        let mut pages = map.pages_touching(address, len);
        crate::core::sort::sort(&mut pages);
        pages.dedup();
        push_erase(&mut steps, &pages, map.size(), opts.mass_erase);
        // Blocks per Set-Address: wValue runs from 2 up to 0xFFFF.
        let group = (u64::from(u16::MAX - DFUSE_FIRST_BLOCK) + 1) * ts;
        let mut offset = 0;
        while offset < len {
            let n = group.min(len - offset);
            let at = address.wrapping_add(offset as u32);
            steps.push(set_address(at, Phase::Write));
            steps.push(step(
                StepKind::Blocks {
                    offset,
                    len: n,
                    block: DFUSE_FIRST_BLOCK,
                },
                Phase::Write,
                n,
                Some(at),
            ));
            offset += n;
        }
        if opts.verify {
            push_dfuse_check(&mut steps, ts, address, len, group);
        }
        push_end(&mut steps, opts, address, Phase::Write);
        Ok(Plan {
            target,
            runs: Vec::new(),
            steps,
        })
    }
}

/// The DfuSe read-back of `len` bytes at `address`, as [`super::dfuse::push_dfuse_read`] reads
/// (Set-Address and ABORT per group of blocks, a partial last block on its own address),
/// each block compared with the source as it comes.
fn push_dfuse_check(steps: &mut Vec<Step>, ts: u64, address: u32, len: u64, group: u64) {
    let full = len - len % ts;
    let mut offset = 0;
    while offset < len {
        let n = if offset < full {
            group.min(full - offset)
        } else {
            len - offset
        };
        let at = address.wrapping_add(offset as u32);
        if offset > 0 {
            // DNLOAD (Set-Address) is illegal in dfuUPLOAD-IDLE.
            steps.push(step(StepKind::Abort, Phase::Verify, 0, None));
        }
        steps.push(set_address(at, Phase::Verify));
        steps.push(step(StepKind::Abort, Phase::Verify, 0, None));
        steps.push(step(
            StepKind::Check {
                offset,
                len: n,
                block: DFUSE_FIRST_BLOCK,
                address: Some(at),
            },
            Phase::Verify,
            n,
            Some(at),
        ));
        offset += n;
    }
    steps.push(step(StepKind::Abort, Phase::Verify, 0, None));
}

/// The first block of a [`StepKind::Blocks`] or [`StepKind::Check`] step at the front,
/// as the steps to run now; `step` becomes the rest (`None` when nothing is left).
pub(crate) fn split(step_: &mut Step, ts: u64) -> Vec<Step> {
    let phase = step_.phase;
    let address = step_.address;
    match &mut step_.kind {
        StepKind::Blocks { offset, len, block } => {
            let n = ts.min(*len);
            let first = step(
                StepKind::Dnload {
                    block: *block,
                    payload: super::Payload::Source {
                        offset: *offset,
                        len: n as usize,
                    },
                },
                phase,
                n,
                address,
            );
            *offset += n;
            *len -= n;
            *block = block.wrapping_add(1);
            step_.bytes = step_.bytes.saturating_sub(n);
            step_.address = address.map(|a| a.wrapping_add(n as u32));
            vec![first]
        }
        StepKind::Check {
            offset,
            len,
            block,
            address: at,
        } => {
            let n = ts.min(*len);
            let here = at.unwrap_or(*offset as u32);
            let read = step(
                StepKind::Upload {
                    block: *block,
                    len: n as u16,
                    more: None,
                },
                phase,
                n,
                *at,
            );
            let compare = step(
                StepKind::CompareSource {
                    offset: *offset,
                    len: n as usize,
                    address: here,
                },
                phase,
                0,
                None,
            );
            *offset += n;
            *len -= n;
            *block = block.wrapping_add(1);
            *at = at.map(|a| a.wrapping_add(n as u32));
            step_.bytes = step_.bytes.saturating_sub(n);
            step_.address = *at;
            vec![read, compare]
        }
        _ => Vec::new(),
    }
}

/// Whether a lazily planned step has nothing left.
pub(crate) fn spent(step_: &Step) -> bool {
    matches!(
        step_.kind,
        StepKind::Blocks { len: 0, .. } | StepKind::Check { len: 0, .. }
    )
}
