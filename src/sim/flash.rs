//! Simulated memory: a DfuSe memory map (parsed here, from UM0424's description) backed
//! by bytes, with erase-before-write.

/// One run of equal sectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sectors {
    pub start: u32,
    pub size: u32,
    pub count: u32,
    /// UM0424 type bits: 1 read, 2 erase, 4 write.
    pub access: u8,
}

impl Sectors {
    pub fn end(&self) -> u64 {
        u64::from(self.start) + u64::from(self.size) * u64::from(self.count)
    }
}

/// Parse `@Name/0xADDR/NN*SSSm t,…[/0xADDR/…]` (multiplier B, K, M, space or none).
pub fn parse_layout(s: &str) -> Option<Vec<Sectors>> {
    let rest = s.strip_prefix('@')?;
    let mut parts = rest.split('/');
    parts.next()?; // name
    let mut out = Vec::new();
    while let Some(addr) = parts.next() {
        if addr.is_empty() {
            continue;
        }
        let mut at = u64::from(
            u32::from_str_radix(
                addr.strip_prefix("0x")
                    .or_else(|| addr.strip_prefix("0X"))?,
                16,
            )
            .ok()?,
        );
        for group in parts.next()?.split(',') {
            let (count, rest) = group.split_once('*')?;
            let count: u32 = count.trim().parse().ok()?;
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let size: u32 = digits.parse().ok()?;
            let tail: Vec<char> = rest[digits.len()..].chars().collect();
            let (mult, kind) = match tail.as_slice() {
                [m, k] => (
                    match m {
                        'K' => 1024,
                        'M' => 1024 * 1024,
                        _ => 1,
                    },
                    *k,
                ),
                [k] => (1, *k),
                _ => return None,
            };
            if !('a'..='g').contains(&kind) {
                return None;
            }
            let sec = Sectors {
                start: u32::try_from(at).ok()?,
                size: size.checked_mul(mult)?,
                count,
                access: kind as u8 - b'`',
            };
            at = sec.end();
            out.push(sec);
        }
    }
    Some(out)
}

/// Memory behind one alt setting.
#[derive(Debug, Clone)]
pub struct Memory {
    pub layout: Vec<Sectors>,
    bytes: Vec<Vec<u8>>,
}

/// Why a memory operation failed (mapped to a DFU status by the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemError {
    /// Not inside a segment with the needed access.
    Address,
    /// A byte to write is not erased.
    NotErased,
}

impl Memory {
    pub fn new(layout: Vec<Sectors>) -> Memory {
        let bytes = layout
            .iter()
            .map(|s| vec![0xFF; (u64::from(s.size) * u64::from(s.count)) as usize])
            .collect();
        Memory { layout, bytes }
    }

    fn locate(&self, address: u32) -> Option<(usize, usize)> {
        self.layout.iter().enumerate().find_map(|(i, s)| {
            (address >= s.start && u64::from(address) < s.end())
                .then(|| (i, (address - s.start) as usize))
        })
    }

    /// Check every byte of the range lies in segments with `access` bits.
    pub fn check(&self, address: u32, len: usize, access: u8) -> bool {
        (0..len as u64).all(|i| {
            u32::try_from(u64::from(address) + i)
                .ok()
                .and_then(|a| self.locate(a))
                .is_some_and(|(s, _)| self.layout[s].access & access == access)
        })
    }

    /// Erase the sector holding `address`; returns its size.
    pub fn erase_page(&mut self, address: u32) -> Result<u32, MemError> {
        let (s, off) = self.locate(address).ok_or(MemError::Address)?;
        let sec = &self.layout[s];
        if sec.access & 2 == 0 {
            return Err(MemError::Address);
        }
        let size = sec.size as usize;
        let start = off / size * size;
        self.bytes[s][start..start + size].fill(0xFF);
        Ok(sec.size)
    }

    /// Erase every erasable sector; returns the bytes erased.
    pub fn erase_all(&mut self) -> u64 {
        let mut n = 0;
        for (i, s) in self.layout.iter().enumerate() {
            if s.access & 2 != 0 {
                self.bytes[i].fill(0xFF);
                n += self.bytes[i].len() as u64;
            }
        }
        n
    }

    /// Program bytes; every target byte must be writable and erased.
    pub fn write(&mut self, address: u32, data: &[u8]) -> Result<(), MemError> {
        if !self.check(address, data.len(), 4) {
            return Err(MemError::Address);
        }
        for (i, b) in data.iter().enumerate() {
            let (s, off) = self.locate(address + i as u32).ok_or(MemError::Address)?;
            if self.bytes[s][off] != 0xFF {
                return Err(MemError::NotErased);
            }
            self.bytes[s][off] = *b;
        }
        Ok(())
    }

    /// Read bytes from readable memory.
    pub fn read(&self, address: u32, len: usize) -> Option<Vec<u8>> {
        if !self.check(address, len, 1) {
            return None;
        }
        self.peek(address, len)
    }

    /// Read regardless of the read bit (the tests' back door).
    pub fn peek(&self, address: u32, len: usize) -> Option<Vec<u8>> {
        (0..len)
            .map(|i| {
                let (s, off) = self.locate(address.checked_add(i as u32)?)?;
                Some(self.bytes[s][off])
            })
            .collect()
    }

    pub fn contains(&self, address: u32) -> bool {
        self.locate(address).is_some()
    }

    /// The same sectors (a memory of the same profile).
    pub fn same_layout(&self, other: &Memory) -> bool {
        self.bytes.len() == other.bytes.len()
            && self
                .bytes
                .iter()
                .zip(&other.bytes)
                .all(|(a, b)| a.len() == b.len())
    }

    /// Set bytes regardless of access bits and erase state (the tests' back door: what
    /// an earlier firmware or an interrupted update left). False if out of memory.
    pub fn poke(&mut self, address: u32, data: &[u8]) -> bool {
        for (i, b) in data.iter().enumerate() {
            let Some((s, off)) = address.checked_add(i as u32).and_then(|a| self.locate(a)) else {
                return false;
            };
            self.bytes[s][off] = *b;
        }
        true
    }

    /// Fill every byte (a chip that holds an old firmware).
    pub fn fill(&mut self, b: u8) {
        for s in &mut self.bytes {
            s.fill(b);
        }
    }

    /// Wipe everything (read-unprotect).
    pub fn wipe(&mut self) {
        for b in &mut self.bytes {
            b.fill(0xFF);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f4_layout() {
        let l =
            parse_layout("@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg").expect("valid");
        assert_eq!(l.len(), 3);
        assert_eq!(l[2].end(), 0x0810_0000);
        let l = parse_layout("@OTP Memory /0x1FFF7800/01*512 g,01*016 g").expect("valid");
        assert_eq!((l[1].start, l[1].size), (0x1FFF_7A00, 16));
    }

    #[test]
    fn erase_before_write() {
        let mut m = Memory::new(parse_layout("@F/0x0/2*1Kg").expect("valid"));
        m.write(10, &[1, 2]).expect("erased");
        assert_eq!(m.write(11, &[3]), Err(MemError::NotErased));
        assert_eq!(m.erase_page(1023), Ok(1024));
        m.write(11, &[3]).expect("erased again");
        assert_eq!(m.write(2047, &[0, 0]), Err(MemError::Address));
    }
}
