//! DfuSe memory-map strings (UM0424 §4.3.2, digest §5.4), e.g.
//! `@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg`.

use std::fmt;

/// A run of equal sectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub start: u32,
    pub sector_size: u32,
    pub sectors: u32,
    pub readable: bool,
    pub erasable: bool,
    pub writable: bool,
}

impl Segment {
    /// One past the last byte, as u64 so a segment may end exactly at 4 GiB.
    pub fn end(&self) -> u64 {
        u64::from(self.start) + u64::from(self.sector_size) * u64::from(self.sectors)
    }

    pub fn contains(&self, address: u32) -> bool {
        address >= self.start && u64::from(address) < self.end()
    }

    /// The type letter `a`..`g` (UM0424).
    pub fn type_letter(&self) -> char {
        let bits =
            u8::from(self.readable) | u8::from(self.erasable) << 1 | u8::from(self.writable) << 2;
        char::from(0x60 + bits)
    }
}

/// A parsed memory map of one DfuSe alt setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryMap {
    pub name: String,
    pub segments: Vec<Segment>,
}

/// Why a memory-map string could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryMapError {
    /// Byte offset in the string.
    pub offset: usize,
    pub reason: MapProblem,
}

/// What is wrong at that offset; `ui::words` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapProblem {
    /// The string does not start with `@`.
    NoAt,
    /// Not `0x` where a zone's address starts.
    ExpectedAddress,
    /// No hex digits after `0x`.
    ExpectedHexDigits,
    /// No `/` after a zone's address.
    ExpectedSlash,
    /// No decimal sector count.
    ExpectedCount,
    /// No `*` after the sector count.
    ExpectedStar,
    /// No decimal sector size.
    ExpectedSize,
    /// No type letter `a`–`g` after the size.
    ExpectedTypeLetter,
    /// A number that does not fit 32 bits.
    NumberTooLarge,
    /// A sector size that does not fit 32 bits with its multiplier.
    SectorSizeTooLarge,
    /// A group of zero sectors or of zero-byte sectors.
    EmptyGroup,
    /// The segments run past the 4 GiB address space.
    PastAddressSpace,
    /// Something after the last segment.
    UnexpectedCharacter,
    /// No segment at all.
    NoSegments,
}

impl fmt::Display for MemoryMapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A technical line for logs and developers; what a person reads is worded in
        // `ui::words`.
        write!(f, "{self:?}")
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }
    fn err(&self, reason: MapProblem) -> MemoryMapError {
        MemoryMapError {
            offset: self.pos,
            reason,
        }
    }
    fn number(&mut self, radix: u32, reason: MapProblem) -> Result<u32, MemoryMapError> {
        let start = self.pos;
        let mut v: u32 = 0;
        while let Some(d) = self.peek().and_then(|c| char::from(c).to_digit(radix)) {
            v = v
                .checked_mul(radix)
                .and_then(|v| v.checked_add(d))
                .ok_or_else(|| self.err(MapProblem::NumberTooLarge))?;
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.err(reason));
        }
        Ok(v)
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
}

impl MemoryMap {
    /// Parse a map string. Accepts several `/0xADDR/` zones, multipliers `B`, `K`, `M`,
    /// a space or none at all (bytes), and type letters `a`–`g`.
    pub fn parse(s: &str) -> Result<MemoryMap, MemoryMapError> {
        let mut c = Cursor {
            s: s.as_bytes(),
            pos: 0,
        };
        if !c.eat(b'@') {
            return Err(c.err(MapProblem::NoAt));
        }
        let name_end = s[1..].find('/').map_or(s.len(), |i| i + 1);
        let name = s[1..name_end].trim_end().to_string();
        c.pos = name_end;
        let mut segments = Vec::new();
        while c.eat(b'/') {
            // Tolerate a trailing '/'.
            if c.peek().is_none() {
                break;
            }
            if !(c.eat(b'0') && (c.eat(b'x') || c.eat(b'X'))) {
                return Err(c.err(MapProblem::ExpectedAddress));
            }
            let mut address = u64::from(c.number(16, MapProblem::ExpectedHexDigits)?);
            if !c.eat(b'/') {
                return Err(c.err(MapProblem::ExpectedSlash));
            }
            loop {
                let count = c.number(10, MapProblem::ExpectedCount)?;
                if !c.eat(b'*') {
                    return Err(c.err(MapProblem::ExpectedStar));
                }
                let size = c.number(10, MapProblem::ExpectedSize)?;
                let mult: u32 = match c.peek() {
                    Some(b'B') | Some(b' ') => {
                        c.pos += 1;
                        1
                    }
                    Some(b'K') => {
                        c.pos += 1;
                        1024
                    }
                    Some(b'M') => {
                        c.pos += 1;
                        1024 * 1024
                    }
                    _ => 1, // absent multiplier (MATEKF722SE): bytes
                };
                let kind = match c.peek() {
                    Some(l @ b'a'..=b'g') => {
                        c.pos += 1;
                        l - 0x60
                    }
                    _ => return Err(c.err(MapProblem::ExpectedTypeLetter)),
                };
                let sector_size = size
                    .checked_mul(mult)
                    .ok_or_else(|| c.err(MapProblem::SectorSizeTooLarge))?;
                if count == 0 || sector_size == 0 {
                    return Err(c.err(MapProblem::EmptyGroup));
                }
                let start =
                    u32::try_from(address).map_err(|_| c.err(MapProblem::PastAddressSpace))?;
                let seg = Segment {
                    start,
                    sector_size,
                    sectors: count,
                    readable: kind & 1 != 0,
                    erasable: kind & 2 != 0,
                    writable: kind & 4 != 0,
                };
                if seg.end() > 1 << 32 {
                    return Err(c.err(MapProblem::PastAddressSpace));
                }
                address = seg.end();
                segments.push(seg);
                if !c.eat(b',') {
                    break;
                }
            }
        }
        if c.peek().is_some() {
            return Err(c.err(MapProblem::UnexpectedCharacter));
        }
        if segments.is_empty() {
            return Err(c.err(MapProblem::NoSegments));
        }
        Ok(MemoryMap { name, segments })
    }

    /// The segment holding `address`.
    pub fn segment(&self, address: u32) -> Option<&Segment> {
        self.segments.iter().find(|s| s.contains(address))
    }

    /// Is every byte of `[address, address + len)` in a segment with the given property?
    pub fn covers(&self, address: u32, len: u64, pred: impl Fn(&Segment) -> bool) -> bool {
        let end = u64::from(address) + len;
        let mut at = u64::from(address);
        while at < end {
            let Ok(a) = u32::try_from(at) else {
                return false;
            };
            match self.segment(a) {
                Some(s) if pred(s) => at = s.end(),
                _ => return false,
            }
        }
        true
    }

    /// Start addresses of the erasable pages that `[address, address + len)` touches,
    /// in ascending order. Bytes in non-erasable segments need no erase.
    pub fn pages_touching(&self, address: u32, len: u64) -> Vec<(u32, u32)> {
        let end = u64::from(address) + len;
        let mut pages = Vec::new();
        for s in self.segments.iter().filter(|s| s.erasable) {
            let lo = u64::from(address).max(u64::from(s.start));
            let hi = end.min(s.end());
            if lo >= hi {
                continue;
            }
            let size = u64::from(s.sector_size);
            let first = (lo - u64::from(s.start)) / size;
            let last = (hi - 1 - u64::from(s.start)) / size;
            for i in first..=last {
                // Inside a segment that ends at or below 4 GiB (checked when parsing).
                let page = u32::try_from(u64::from(s.start) + i * size).unwrap_or(u32::MAX);
                pages.push((page, s.sector_size));
            }
        }
        crate::core::sort::sort(&mut pages);
        pages.dedup();
        pages
    }

    /// Total bytes described.
    pub fn size(&self) -> u64 {
        self.segments
            .iter()
            .map(|s| u64::from(s.sector_size) * u64::from(s.sectors))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stm32f4_internal_flash() {
        let m = MemoryMap::parse("@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg")
            .expect("valid");
        assert_eq!(m.name, "Internal Flash");
        let expect = [
            (0x0800_0000, 16384, 4),
            (0x0801_0000, 65536, 1),
            (0x0802_0000, 131072, 7),
        ];
        for (s, (start, size, n)) in m.segments.iter().zip(expect) {
            assert_eq!((s.start, s.sector_size, s.sectors), (start, size, n));
            assert!(s.readable && s.erasable && s.writable);
        }
        assert_eq!(m.size(), 1 << 20);
        assert_eq!(m.segments[2].end(), 0x0810_0000);
    }

    #[test]
    fn space_multiplier_and_several_groups() {
        let m = MemoryMap::parse("@OTP Memory /0x1FFF7800/01*512 g,01*016 g").expect("valid");
        assert_eq!(m.segments[0].sector_size, 512);
        assert_eq!(m.segments[1].start, 0x1FFF_7A00);
        assert_eq!(m.segments[1].sector_size, 16);
    }

    #[test]
    fn every_type_letter() {
        for (l, (r, e, w)) in [
            ('a', (true, false, false)),
            ('b', (false, true, false)),
            ('c', (true, true, false)),
            ('d', (false, false, true)),
            ('e', (true, false, true)),
            ('f', (false, true, true)),
            ('g', (true, true, true)),
        ] {
            let m = MemoryMap::parse(&format!("@X/0x0/1*1K{l}")).expect("valid");
            let s = m.segments[0];
            assert_eq!((s.readable, s.erasable, s.writable), (r, e, w), "{l}");
            assert_eq!(s.type_letter(), l);
        }
        assert!(MemoryMap::parse("@X/0x0/1*1Kh").is_err());
    }

    #[test]
    fn multipliers_b_and_m_and_missing_multiplier() {
        let m = MemoryMap::parse("@X/0x0/2*3Ba,1*2Mg,1*528e").expect("valid");
        assert_eq!(m.segments[0].sector_size, 3);
        assert_eq!(m.segments[1].sector_size, 2 << 20);
        assert_eq!(m.segments[2].sector_size, 528);
    }

    #[test]
    fn several_zones() {
        let m = MemoryMap::parse("@Flash/0x08000000/2*1Kg/0x20000000/1*4Ke").expect("valid");
        assert_eq!(m.segments.len(), 2);
        assert_eq!(m.segments[1].start, 0x2000_0000);
        assert!(!m.segments[1].erasable);
    }

    #[test]
    fn pages_touching_picks_exactly_the_needed_sectors() {
        let m = MemoryMap::parse("@F/0x08000000/04*016Kg,01*064Kg,07*128Kg").expect("valid");
        assert_eq!(m.pages_touching(0x0800_0000, 1), vec![(0x0800_0000, 16384)]);
        assert_eq!(
            m.pages_touching(0x0800_3FFF, 2),
            vec![(0x0800_0000, 16384), (0x0800_4000, 16384)]
        );
        assert_eq!(
            m.pages_touching(0x0800_C000, 0x5000).len(),
            2,
            "last 16K sector and the 64K sector"
        );
        assert!(m.pages_touching(0x0700_0000, 16).is_empty());
        assert!(m.covers(0x0800_0000, 1 << 20, |s| s.writable));
        assert!(!m.covers(0x0800_0000, (1 << 20) + 1, |s| s.writable));
    }

    #[test]
    fn bad_maps_are_errors() {
        for bad in [
            "",
            "Internal",
            "@X/08000000/1*1Kg",
            "@X/0x0/1*1K",
            "@X/0x0/0*1Kg",
            "@X/0xFFFFFFFF/2*1Kg",
            "@X/0x0/99999999999*1Kg",
            "@X/0x0/1*1Kg;",
            "@X",
        ] {
            assert!(MemoryMap::parse(bad).is_err(), "{bad:?}");
        }
        assert!(MemoryMap::parse("@X/0xFFFFFC00/1*1Kg").is_ok());
    }
}
