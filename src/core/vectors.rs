//! Is the image at a Cortex-M flash base a program? A Cortex-M core starts by loading its
//! stack pointer from the first word of the vector table and jumping to the second (the
//! reset handler, a Thumb address: odd). An image written to the flash base whose first two
//! words are not that cannot start, whatever it is: a document, a dump of another chip, a
//! file for another area of memory.

use super::memmap::MemoryMap;

/// Where a Cortex-M stack may start: the architecture's SRAM region (0x2000_0000 up to and
/// including its end, since the stack pointer starts one past the top of RAM), the
/// external RAM regions, and tightly coupled or core-coupled RAM in the code region
/// (0x1000_0000: STM32F3/F4 CCM, GD32/AT32 likewise).
const STACK_REGIONS: &[(u32, u32)] = &[
    (0x1000_0000, 0x1010_0000),
    (0x2000_0000, 0x4000_0000),
    (0x6000_0000, 0xA000_0000),
];

/// Why an image does not look like a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VectorProblem {
    /// Fewer than 8 bytes at the flash base.
    TooShort { address: u32 },
    /// The initial stack pointer is not in RAM (or not word-aligned).
    StackNotInRam { address: u32, stack: u32 },
    /// The reset handler is an even address (not Thumb code).
    ResetNotThumb { address: u32, reset: u32 },
    /// The reset handler lies outside the image being written.
    ResetOutsideImage { address: u32, reset: u32 },
}

/// Does the vector table rule apply to writing `map` of this device? On a DfuSe device,
/// alt 0 is the internal flash whose first segment holds the vector table
/// (0x0800_0000 on STM32, GD32 and AT32). `riscv` devices (GD32VF103) start differently.
pub fn applies(alt: u8, map: &MemoryMap, riscv: bool) -> Option<u32> {
    let first = map.segments.first()?;
    (alt == 0 && !riscv && first.writable && first.erasable && first.start < 0x2000_0000)
        .then_some(first.start)
}

/// Check the vector table of the image written at `base` (the flash base). `elements` is
/// everything written to that memory; an image that does not start at `base` leaves the
/// vector table as it is and is not checked.
pub fn check(base: u32, elements: &[(u32, &[u8])]) -> Result<(), VectorProblem> {
    let Some((_, first)) = elements.iter().find(|(a, _)| *a == base) else {
        return Ok(());
    };
    let word = |i: usize| {
        first
            .get(i..i + 4)
            .and_then(|w| <[u8; 4]>::try_from(w).ok())
            .map(u32::from_le_bytes)
    };
    let (Some(stack), Some(reset)) = (word(0), word(4)) else {
        return Err(VectorProblem::TooShort { address: base });
    };
    let in_ram = STACK_REGIONS
        .iter()
        .any(|&(lo, hi)| stack >= lo && stack <= hi);
    if !in_ram || stack % 4 != 0 {
        return Err(VectorProblem::StackNotInRam {
            address: base,
            stack,
        });
    }
    if reset & 1 == 0 {
        return Err(VectorProblem::ResetNotThumb {
            address: base,
            reset,
        });
    }
    let handler = u64::from(reset & !1);
    let inside = |at: u64| {
        elements
            .iter()
            .any(|(a, d)| at >= u64::from(*a) && at < u64::from(*a) + d.len() as u64)
    };
    // Also accept a program linked for the boot alias of the flash at address 0.
    if inside(handler) || inside(handler + u64::from(base)) {
        Ok(())
    } else {
        Err(VectorProblem::ResetOutsideImage {
            address: base,
            reset,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(s: &str) -> MemoryMap {
        MemoryMap::parse(s).expect("map")
    }

    /// Only the internal flash of a Cortex-M device holds the vector table.
    #[test]
    fn applies_to_alt_0_writable_flash_in_the_code_region() {
        let flash = map("@Internal Flash  /0x08000000/04*016Kg,01*064Kg");
        assert_eq!(applies(0, &flash, false), Some(0x0800_0000));
        assert_eq!(applies(1, &flash, false), None, "another alt setting");
        assert_eq!(applies(0, &flash, true), None, "RISC-V");
        // SRAM (the first address past the code region) and read-only memory are not.
        assert_eq!(applies(0, &map("@SRAM /0x20000000/08*001Kg"), false), None);
        assert_eq!(
            applies(0, &map("@Flash /0x1FFFFC00/01*001Kg"), false),
            Some(0x1FFF_FC00)
        );
        assert_eq!(applies(0, &map("@ROM /0x08000000/04*016Ka"), false), None);
        assert_eq!(
            applies(0, &map("@ROM /0x08000000/04*016Kd"), false),
            None,
            "not erasable"
        );
    }
}
