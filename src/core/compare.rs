//! Skip what the device already holds (DfuSe): before erasing, read back every sector the
//! image touches and compare it with what a full update would leave there (the image's
//! bytes, and the erased value where the image does not cover the sector). A sector that
//! matches is neither erased nor written, and counts as verified; the others are erased,
//! written and verified as in a full update. The device's memory is the only state, so the
//! same compare also resumes an interrupted update, after a reload or on another computer.

use super::memmap::MemoryMap;
use super::plan::{DfuseOptions, Run, Target};
use super::progress::Compared;

/// What NOR flash reads as once erased (every DfuSe device this project knows).
pub const ERASED: u8 = 0xFF;

/// Why an update writes everything instead of comparing first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoCompare {
    /// The user asked for a full update (`compare: false`, `--full`).
    Off,
    /// A mass erase was asked for: everything goes.
    MassErase,
    /// The device cannot read its memory back (or its UPLOAD is known broken).
    CannotRead,
    /// Part of the image lies where the memory map says reading is not allowed.
    NotReadable { address: u32 },
    /// Part of the image lies in memory that is not erased sector by sector (option
    /// bytes, OTP): written as given, never compared.
    NotErasable { address: u32 },
    /// The device refused to read back (stalled or reported an error, as a read-protected
    /// chip does), so the update went on writing everything.
    Refused,
    /// The image is too large to hold ([`crate::core::file::Image::Stream`]): what the
    /// device holds is not read back first.
    Streamed,
}

/// What the session needs when the compare's reads are in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// Every sector the image touches, ascending: `(start, size)`.
    pub pages: Vec<(u32, u32)>,
    pub opts: DfuseOptions,
}

/// Whether an update of `spans` (`(address, len)` of the image's runs) may compare
/// first, and if not, why.
pub fn blocked(
    target: Target,
    map: &MemoryMap,
    spans: &[(u32, u64)],
    opts: DfuseOptions,
) -> Option<NoCompare> {
    if !opts.compare {
        return Some(NoCompare::Off);
    }
    if opts.mass_erase {
        return Some(NoCompare::MassErase);
    }
    if !target.attributes.can_upload || target.quirks.broken_upload {
        return Some(NoCompare::CannotRead);
    }
    for &(address, len) in spans {
        // Sector by sector, so the message can name where it is not allowed.
        for (page, size) in map.pages_touching(address, len) {
            if !map.covers(page, u64::from(size), |s| s.readable) {
                return Some(NoCompare::NotReadable { address: page });
            }
        }
        if !map.covers(address, len, |s| s.erasable) {
            let at = first_not_erasable(map, address, len);
            return Some(NoCompare::NotErasable { address: at });
        }
    }
    None
}

/// The first byte of `[address, address + len)` that is not in an erasable segment (in
/// a segment that is not, or in no segment at all). Called where there is one.
fn first_not_erasable(map: &MemoryMap, address: u32, len: u64) -> u32 {
    let end = u64::from(address) + len;
    let mut at = u64::from(address);
    while at < end {
        match u32::try_from(at).ok().and_then(|a| map.segment(a)) {
            Some(s) if s.erasable => at = s.end(),
            _ => break,
        }
    }
    // Below `end`, which is at most 4 GiB (the plan refuses runs past it).
    u32::try_from(at).unwrap_or(u32::MAX)
}

/// Why an update of `elements` (as the plan gets them) will not compare first, if so;
/// `None` for an image the plan would refuse anyway.
pub fn why_not(
    target: Target,
    map: &MemoryMap,
    elements: &[(u32, &[u8])],
    opts: DfuseOptions,
) -> Option<NoCompare> {
    let spans: Vec<(u32, u64)> = elements.iter().map(|e| (e.0, e.1.len() as u64)).collect();
    blocked(target, map, &spans, opts)
}

/// The contiguous address ranges the pages cover, in order: one read each.
pub fn ranges(pages: &[(u32, u32)]) -> Vec<(u32, u64)> {
    let mut out: Vec<(u32, u64)> = Vec::new();
    for &(start, size) in pages {
        match out.last_mut() {
            Some((s, len)) if u64::from(*s) + *len == u64::from(start) => *len += u64::from(size),
            _ => out.push((start, u64::from(size))),
        }
    }
    out
}

/// What a full update leaves in the sector `(start, size)`: erased, then the image's
/// bytes where it has any.
pub fn expected(runs: &[Run], start: u32, size: u32) -> Vec<u8> {
    let mut page = vec![ERASED; size as usize];
    let (lo, hi) = (u64::from(start), u64::from(start) + u64::from(size));
    for r in runs {
        let (a, b) = (
            u64::from(r.address),
            u64::from(r.address) + r.data.len() as u64,
        );
        let (from, to) = (a.max(lo), b.min(hi));
        if from < to {
            let src = &r.data[(from - a) as usize..(to - a) as usize];
            page[(from - lo) as usize..(to - lo) as usize].copy_from_slice(src);
        }
    }
    page
}

/// How many of the image's bytes lie in the sector `(start, size)`.
fn covered(runs: &[Run], start: u32, size: u32) -> u64 {
    let (lo, hi) = (u64::from(start), u64::from(start) + u64::from(size));
    runs.iter()
        .map(|r| {
            let (a, b) = (
                u64::from(r.address),
                u64::from(r.address) + r.data.len() as u64,
            );
            b.min(hi).saturating_sub(a.max(lo))
        })
        .sum()
}

/// Split `read` (the pages' contents, in order, as one buffer) and keep the pages that
/// differ from [`expected`]. `None`: the read is shorter than the pages.
pub fn decide(
    runs: &[Run],
    pages: &[(u32, u32)],
    read: &[u8],
) -> Option<(Vec<(u32, u32)>, Compared)> {
    let mut at = 0usize;
    let mut kept = Vec::new();
    let mut c = Compared {
        sectors: pages.len() as u32,
        same: 0,
        same_bytes: 0,
        write_bytes: 0,
        image_same: 0,
        image_bytes: 0,
    };
    for &(start, size) in pages {
        let got = read.get(at..at + size as usize)?;
        at += size as usize;
        let covered = covered(runs, start, size);
        c.image_bytes += covered;
        if got == expected(runs, start, size).as_slice() {
            c.same += 1;
            c.same_bytes += u64::from(size);
            c.image_same += covered;
        } else {
            kept.push((start, size));
            c.write_bytes += u64::from(size);
        }
    }
    Some((kept, c))
}

/// The parts of the runs inside the kept pages, as `(run, offset, len)`, merged where
/// contiguous: what is written after those pages are erased.
pub fn writes(runs: &[Run], kept: &[(u32, u32)]) -> Vec<(usize, usize, usize)> {
    let mut out: Vec<(usize, usize, usize)> = Vec::new();
    for (ri, r) in runs.iter().enumerate() {
        let (a, b) = (
            u64::from(r.address),
            u64::from(r.address) + r.data.len() as u64,
        );
        for &(start, size) in kept {
            let (from, to) = (
                a.max(u64::from(start)),
                b.min(u64::from(start) + u64::from(size)),
            );
            if from >= to {
                continue;
            }
            let (off, len) = ((from - a) as usize, (to - from) as usize);
            match out.last_mut() {
                Some((run, o, l)) if *run == ri && *o + *l == off => *l += len,
                _ => out.push((ri, off, len)),
            }
        }
    }
    out
}
