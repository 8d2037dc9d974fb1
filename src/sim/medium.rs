//! A block medium (eMMC, SD card, NAND) behind a DFU 1.1 alt setting, as U-Boot's DFU
//! exposes partitions: stored sparsely, so a partition of gigabytes costs only what was
//! written to it that is not zero.

use std::collections::BTreeMap;

/// Bytes per stored piece.
const CHUNK: u64 = 4096;

/// A partition: `size` bytes that read as zero until written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Medium {
    size: u64,
    chunks: BTreeMap<u64, Box<[u8]>>,
}

impl Medium {
    pub fn new(size: u64) -> Medium {
        Medium {
            size,
            chunks: BTreeMap::new(),
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Write `data` at `offset`; false, and nothing written, if it does not fit.
    pub fn write(&mut self, offset: u64, data: &[u8]) -> bool {
        let Some(end) = offset.checked_add(data.len() as u64) else {
            return false;
        };
        if end > self.size {
            return false;
        }
        let mut at = offset;
        let mut rest = data;
        while !rest.is_empty() {
            let base = at - at % CHUNK;
            let within = (at - base) as usize;
            let n = rest.len().min(CHUNK as usize - within);
            let chunk = self
                .chunks
                .entry(base)
                .or_insert_with(|| vec![0; CHUNK as usize].into_boxed_slice());
            chunk[within..within + n].copy_from_slice(&rest[..n]);
            if chunk.iter().all(|&b| b == 0) {
                self.chunks.remove(&base);
            }
            at += n as u64;
            rest = &rest[n..];
        }
        true
    }

    /// Up to `len` bytes from `offset` (fewer where the partition ends).
    pub fn read(&self, offset: u64, len: usize) -> Vec<u8> {
        let end = offset.saturating_add(len as u64).min(self.size);
        if offset >= end {
            return Vec::new();
        }
        let mut out = vec![0; (end - offset) as usize];
        let first = offset - offset % CHUNK;
        for (&base, chunk) in self.chunks.range(first..end) {
            let from = base.max(offset);
            let to = (base + CHUNK).min(end);
            out[(from - offset) as usize..(to - offset) as usize]
                .copy_from_slice(&chunk[(from - base) as usize..(to - base) as usize]);
        }
        out
    }

    /// Bytes of memory the stored pieces take.
    pub fn stored_bytes(&self) -> u64 {
        self.chunks.len() as u64 * CHUNK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_was_written_and_zero_elsewhere() {
        let mut m = Medium::new(3 * CHUNK + 100);
        assert!(m.write(CHUNK - 2, &[1, 2, 3, 4]));
        assert_eq!(m.read(CHUNK - 3, 6), [0, 1, 2, 3, 4, 0]);
        assert_eq!(m.stored_bytes(), 2 * CHUNK);
        assert!(m.write(CHUNK - 2, &[0, 0, 0, 0]));
        assert_eq!(m.stored_bytes(), 0, "zero pieces are not kept");
        assert!(!m.write(3 * CHUNK + 99, &[1, 1]), "past the end");
        assert_eq!(m.read(3 * CHUNK + 98, 10).len(), 2, "short at the end");
        assert!(m.read(4 * CHUNK, 10).is_empty());
    }
}
