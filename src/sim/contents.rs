//! What the device's memories hold, read and set from outside the protocol: the
//! tests' and the bench's checks, and the demo's chip keeping its flash between
//! connections.

use super::flash::Memory;
use super::{Medium, SimDevice};

/// A device's memories, as [`SimDevice::memory_contents`] took them.
#[derive(Debug, Clone)]
pub struct MemoryContents(Vec<Option<Memory>>);

impl SimDevice {
    /// DfuSe: bytes at an absolute address of an alt's memory; DFU 1.1: bytes of the
    /// installed image of the alt at an offset.
    pub fn read_memory(&self, alt: u8, address: u32, len: usize) -> Option<Vec<u8>> {
        if let Some(Some(m)) = self.media.get(usize::from(alt)) {
            let d = m.read(u64::from(address), len);
            return (d.len() == len).then_some(d);
        }
        match self.memories.get(usize::from(alt))? {
            Some(m) => m.peek(address, len),
            None => {
                let img = self.installed.get(usize::from(alt))?;
                let start = address as usize;
                img.get(start..start.checked_add(len)?).map(<[u8]>::to_vec)
            }
        }
    }

    /// What every alt's memory holds, to give to another device of the same profile
    /// (the demo's chip keeps its flash when it is connected again).
    pub fn memory_contents(&self) -> MemoryContents {
        MemoryContents(self.memories.clone())
    }

    /// Hold what `m` says (taken from a device of the same profile); false, and nothing
    /// changed, if its layout differs.
    pub fn restore_memory(&mut self, m: &MemoryContents) -> bool {
        let same = m.0.len() == self.memories.len()
            && m.0.iter().zip(&self.memories).all(|(a, b)| match (a, b) {
                (Some(a), Some(b)) => a.same_layout(b),
                (None, None) => true,
                _ => false,
            });
        if same {
            self.memories = m.0.clone();
        }
        same
    }

    /// DfuSe: set bytes of an alt's memory directly, as an earlier firmware or an
    /// interrupted update left them (tests). False if the alt has no such memory.
    pub fn poke_memory(&mut self, alt: u8, address: u32, data: &[u8]) -> bool {
        match self.memories.get_mut(usize::from(alt)) {
            Some(Some(m)) => m.poke(address, data),
            _ => false,
        }
    }

    /// A partition of a U-Boot-like device ([`Profile::partitions`]).
    pub fn medium(&self, alt: u8) -> Option<&Medium> {
        self.media.get(usize::from(alt))?.as_ref()
    }

    /// DFU 1.1: the installed application image (alt 0).
    pub fn firmware(&self) -> &[u8] {
        self.installed.first().map_or(&[], Vec::as_slice)
    }
}
