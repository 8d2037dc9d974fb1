//! The DfuSe plans: erase exactly the pages an image touches (or mass erase), one
//! Set-Address per contiguous run and per 65534 blocks, the data blocks, the read-back,
//! and the leave; the compare's reads and its `Decide` step before them.

use super::{
    clear, dfuse_command, set_address, step, DfuseOptions, Payload, Plan, PlanError, Run, Step,
    StepKind, Target, DFUSE_FIRST_BLOCK,
};
use crate::core::compare;
use crate::core::dfuse::DfuseCommand;
use crate::core::memmap::MemoryMap;
use crate::core::progress::Phase;

impl Plan {
    /// DfuSe download of `elements` into the memory described by `map`: erase exactly
    /// the touched erasable pages (or mass erase), one Set-Address per contiguous run,
    /// data blocks 2, 3, …, optional verify by read-back and optional leave.
    pub fn dfuse_download(
        target: Target,
        map: &MemoryMap,
        elements: &[(u32, &[u8])],
        opts: DfuseOptions,
    ) -> Result<Plan, PlanError> {
        let opts = dfuse_capable(target, opts)?;
        let runs = merge_runs(elements)?;
        for r in &runs {
            let len = r.data.len() as u64;
            if !map.covers(r.address, len, |s| s.writable) {
                return Err(PlanError::NotWritable {
                    address: r.address,
                    len,
                });
            }
            if opts.verify && !map.covers(r.address, len, |s| s.readable) {
                return Err(PlanError::NotReadable {
                    address: r.address,
                    len,
                });
            }
        }
        let ts = usize::from(target.transfer_size.max(1));
        let mut steps = vec![clear(Phase::Prepare)];
        let mut pages: Vec<(u32, u32)> = runs
            .iter()
            .flat_map(|r| map.pages_touching(r.address, r.data.len() as u64))
            .collect();
        crate::core::sort::sort(&mut pages);
        pages.dedup();
        let whole: Vec<(usize, usize, usize)> = runs
            .iter()
            .enumerate()
            .map(|(i, r)| (i, 0, r.data.len()))
            .collect();
        let spans: Vec<(u32, u64)> = runs
            .iter()
            .map(|r| (r.address, r.data.len() as u64))
            .collect();
        if compare::blocked(target, map, &spans, opts).is_none() {
            for (at, len) in compare::ranges(&pages) {
                push_dfuse_read(&mut steps, ts, at, len, Phase::Compare);
            }
            let pending = compare::Pending {
                pages: pages.clone(),
                opts,
            };
            steps.push(step(
                StepKind::Decide(Box::new(pending)),
                Phase::Compare,
                0,
                None,
            ));
        }
        // With a compare, the full update's steps stand for what is left until it
        // decides (so the progress knows every phase from the start).
        steps.extend(dfuse_tail(target, &runs, &pages, &whole, map.size(), opts));
        Ok(Plan {
            target,
            runs,
            steps,
        })
    }

    /// DfuSe upload of `len` bytes from `address`.
    pub fn dfuse_upload(target: Target, address: u32, len: u64) -> Result<Plan, PlanError> {
        if !target.attributes.can_upload || target.quirks.broken_upload {
            return Err(PlanError::UploadNotSupported);
        }
        if u64::from(address) + len > 1 << 32 {
            return Err(PlanError::NotReadable { address, len });
        }
        let mut steps = vec![clear(Phase::Prepare)];
        push_dfuse_read(
            &mut steps,
            usize::from(target.transfer_size.max(1)),
            address,
            len,
            Phase::Upload,
        );
        Ok(Plan {
            target,
            runs: Vec::new(),
            steps,
        })
    }
}

/// The DfuSe steps after the Prepare (and the compare): erase `pages` (or mass erase,
/// counting `map_size` bytes), write `writes` (`(run, offset, len)`, one Set-Address per
/// range and per 65534 blocks), verify each of them by read-back, then leave or abort.
pub(crate) fn dfuse_tail(
    target: Target,
    runs: &[Run],
    pages: &[(u32, u32)],
    writes: &[(usize, usize, usize)],
    map_size: u64,
    opts: DfuseOptions,
) -> Vec<Step> {
    let ts = usize::from(target.transfer_size.max(1));
    let mut steps = Vec::new();
    push_erase(&mut steps, pages, map_size, opts.mass_erase);
    // Blocks per Set-Address: wValue runs from 2 up to 0xFFFF.
    let max_blocks = usize::from(u16::MAX - DFUSE_FIRST_BLOCK) + 1;
    for &(ri, from, len) in writes {
        let r = &runs[ri];
        for seg_off in (from..from + len).step_by(max_blocks * ts) {
            let seg_end = (seg_off + max_blocks * ts).min(from + len);
            let seg_addr = r.address.wrapping_add(seg_off as u32);
            steps.push(set_address(seg_addr, Phase::Write));
            for (bi, offset) in (seg_off..seg_end).step_by(ts).enumerate() {
                let n = ts.min(seg_end - offset);
                // bi < max_blocks, so the block number stays within u16.
                let block = DFUSE_FIRST_BLOCK + bi as u16;
                steps.push(step(
                    StepKind::Dnload {
                        block,
                        payload: Payload::Run {
                            run: ri,
                            offset,
                            len: n,
                        },
                    },
                    Phase::Write,
                    n as u64,
                    Some(r.address.wrapping_add(offset as u32)),
                ));
            }
        }
    }
    if opts.verify {
        for &(ri, offset, len) in writes {
            let at = runs[ri].address.wrapping_add(offset as u32);
            push_dfuse_read(&mut steps, ts, at, len as u64, Phase::Verify);
            steps.push(step(
                StepKind::Compare {
                    run: ri,
                    offset,
                    len,
                },
                Phase::Verify,
                0,
                None,
            ));
        }
    }
    // Left in dfuIDLE rather than dfuDNLOAD-IDLE, the ABORT is part of the write, or of
    // the compare when it found nothing to write.
    let abort = if writes.is_empty() {
        Phase::Compare
    } else {
        Phase::Write
    };
    let first = runs.first().map_or(0, |r| r.address);
    push_end(&mut steps, opts, first, abort);
    steps
}

/// A DfuSe update's erase: `pages` one by one, or one mass erase counting `map_size`.
pub(super) fn push_erase(steps: &mut Vec<Step>, pages: &[(u32, u32)], map_size: u64, mass: bool) {
    if mass {
        steps.push(dfuse_command(
            DfuseCommand::MassErase,
            Phase::Erase,
            map_size,
            None,
        ));
        return;
    }
    for &(page, size) in pages {
        steps.push(dfuse_command(
            DfuseCommand::ErasePage(page),
            Phase::Erase,
            u64::from(size),
            Some(page),
        ));
    }
}

/// A DfuSe update's end: leave for the firmware at `opts.leave_address` (else `first`,
/// the image's lowest address), or an ABORT back to dfuIDLE counted in phase `abort`.
pub(super) fn push_end(steps: &mut Vec<Step>, opts: DfuseOptions, first: u32, abort: Phase) {
    if !opts.leave {
        steps.push(step(StepKind::Abort, abort, 0, None));
        return;
    }
    let to = opts.leave_address.unwrap_or(first);
    steps.push(set_address(to, Phase::Leave));
    steps.push(step(
        StepKind::Leave {
            block: DFUSE_FIRST_BLOCK,
        },
        Phase::Leave,
        1,
        Some(to),
    ));
}

/// DfuSe read: Set-Address, ABORT (UPLOAD is legal only from dfuIDLE), UPLOAD 2, 3, …;
/// a partial last block gets its own Set-Address so its address does not depend on
/// how the device scales wValue.
pub(super) fn push_dfuse_read(
    steps: &mut Vec<Step>,
    ts: usize,
    address: u32,
    len: u64,
    phase: Phase,
) {
    let max_blocks = u64::from(u16::MAX - DFUSE_FIRST_BLOCK) + 1;
    let full = len / ts as u64;
    let tail = len % ts as u64;
    let mut done = 0u64;
    let mut i = 0u64;
    while i < full || (i == full && tail > 0) {
        let start_block_group = i % max_blocks == 0 || i == full;
        let at = address.wrapping_add(done as u32);
        if start_block_group {
            if i > 0 {
                // DNLOAD (Set-Address) is illegal in dfuUPLOAD-IDLE.
                steps.push(step(StepKind::Abort, phase, 0, None));
            }
            steps.push(set_address(at, phase));
            steps.push(step(StepKind::Abort, phase, 0, None));
        }
        let (block, n) = if i == full {
            (DFUSE_FIRST_BLOCK, tail)
        } else {
            (DFUSE_FIRST_BLOCK + (i % max_blocks) as u16, ts as u64)
        };
        steps.push(step(
            StepKind::Upload {
                block,
                len: n as u16,
                more: None,
            },
            phase,
            n,
            Some(at),
        ));
        done += n;
        i += 1;
    }
    steps.push(step(StepKind::Abort, phase, 0, None));
}

/// Sort elements by address, merge adjacent ones and refuse overlaps.
fn merge_runs(elements: &[(u32, &[u8])]) -> Result<Vec<Run>, PlanError> {
    let mut sorted: Vec<&(u32, &[u8])> = elements.iter().filter(|e| !e.1.is_empty()).collect();
    crate::core::sort::sort_by_key(&mut sorted, |e| e.0);
    let mut runs: Vec<Run> = Vec::new();
    for (address, data) in sorted {
        if u64::from(*address) + data.len() as u64 > 1 << 32 {
            return Err(PlanError::NotWritable {
                address: *address,
                len: data.len() as u64,
            });
        }
        if let Some(last) = runs.last_mut() {
            let end = u64::from(last.address) + last.data.len() as u64;
            if u64::from(*address) < end {
                return Err(PlanError::Overlap { address: *address });
            }
            if u64::from(*address) == end {
                last.data.extend_from_slice(data);
                continue;
            }
        }
        runs.push(Run {
            address: *address,
            data: data.to_vec(),
        });
    }
    if runs.is_empty() {
        return Err(PlanError::EmptyImage);
    }
    Ok(runs)
}

/// Can the device take a DfuSe download with `opts`? The options it can: no read-back on a
/// device whose UPLOAD is broken (quirk); one that cannot upload refuses a read-back.
pub(super) fn dfuse_capable(target: Target, opts: DfuseOptions) -> Result<DfuseOptions, PlanError> {
    if !target.attributes.can_download {
        return Err(PlanError::DownloadNotSupported);
    }
    let mut opts = opts;
    opts.verify &= !target.quirks.broken_upload;
    if opts.verify && !target.attributes.can_upload {
        return Err(PlanError::UploadNotSupported);
    }
    Ok(opts)
}
