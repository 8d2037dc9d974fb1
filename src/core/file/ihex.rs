//! Intel HEX: records 00 (data), 01 (end of file), 02 (extended segment address),
//! 03 (start segment address), 04 (extended linear address), 05 (start linear address).

use super::{Element, FileError};
use std::collections::BTreeMap;

/// Largest image a HEX file may describe (a few bytes of text cannot make us allocate
/// gigabytes: each data byte needs two hex digits anyway, and the total is capped).
pub const MAX_IMAGE: u64 = 64 << 20;

/// A parsed HEX file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hex {
    pub elements: Vec<Element>,
    /// From record 03 (CS:IP as a linear address) or 05.
    pub entry_point: Option<u32>,
}

/// What is wrong with a HEX line (`FileError::HexSyntax`); `ui::words` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HexProblem {
    /// A character that is not a hex digit.
    NotHexDigit,
    /// A line that does not start with `:`.
    NoColon,
    /// A record shorter than 10 digits or with an odd number of them.
    RecordLength,
    /// A byte count that does not match the record's length.
    CountMismatch,
    /// Data past the 4 GiB address space.
    PastAddressSpace,
    /// An address record (02–05) with the wrong number of data bytes.
    AddressRecordLength,
    /// A record type other than 00–05.
    UnknownRecordType,
}

fn hex_byte(s: &[u8], line: usize) -> Result<u8, FileError> {
    let d = |c: u8| char::from(c).to_digit(16);
    match (d(s[0]), d(s[1])) {
        (Some(h), Some(l)) => Ok((h * 16 + l) as u8),
        _ => Err(FileError::HexSyntax {
            line,
            reason: HexProblem::NotHexDigit,
        }),
    }
}

/// Parse HEX text.
pub fn parse(text: &[u8]) -> Result<Hex, FileError> {
    // Data by address: start → (bytes, line it came from).
    let mut chunks: BTreeMap<u64, (Vec<u8>, usize)> = BTreeMap::new();
    let mut total: u64 = 0;
    let mut base: u64 = 0;
    let mut entry_point = None;
    let mut eof_line = None;
    for (i, raw) in text.split(|&c| c == b'\n').enumerate() {
        let line = i + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let raw = raw.trim_ascii();
        if raw.is_empty() {
            continue;
        }
        if let Some(at) = eof_line {
            // Ignoring it could silently drop half of two files joined together.
            return Err(FileError::HexDataAfterEof { eof_line: at, line });
        }
        let Some(body) = raw.strip_prefix(b":") else {
            return Err(FileError::HexSyntax {
                line,
                reason: HexProblem::NoColon,
            });
        };
        if body.len() < 10 || body.len() % 2 != 0 {
            return Err(FileError::HexSyntax {
                line,
                reason: HexProblem::RecordLength,
            });
        }
        let bytes: Vec<u8> = body
            .chunks_exact(2)
            .map(|p| hex_byte(p, line))
            .collect::<Result<_, _>>()?;
        let count = usize::from(bytes[0]);
        if bytes.len() != count + 5 {
            return Err(FileError::HexSyntax {
                line,
                reason: HexProblem::CountMismatch,
            });
        }
        let sum = bytes.iter().fold(0u8, |a, b| a.wrapping_add(*b));
        if sum != 0 {
            return Err(FileError::HexChecksum { line });
        }
        let offset = u64::from(u16::from_be_bytes([bytes[1], bytes[2]]));
        let data = &bytes[4..4 + count];
        match bytes[3] {
            0x00 => {
                let address = base + offset;
                if address + count as u64 > 1 << 32 {
                    return Err(FileError::HexSyntax {
                        line,
                        reason: HexProblem::PastAddressSpace,
                    });
                }
                total += count as u64;
                if total > MAX_IMAGE {
                    return Err(FileError::TooLarge {
                        size: total,
                        limit: MAX_IMAGE,
                    });
                }
                if !data.is_empty() {
                    let end = address + count as u64;
                    let prev = chunks
                        .range(..=address)
                        .next_back()
                        .map(|(a, (d, l))| (*a, *a + d.len() as u64, *l));
                    if let Some((_, _, l)) = prev.filter(|p| p.1 > address) {
                        return Err(FileError::HexOverlap {
                            line,
                            earlier_line: l,
                            address: address as u32,
                        });
                    }
                    if let Some((a, (_, l))) = chunks.range(address + 1..).next() {
                        if end > *a {
                            return Err(FileError::HexOverlap {
                                line,
                                earlier_line: *l,
                                address: *a as u32,
                            });
                        }
                    }
                    match prev {
                        // Contiguous with the chunk before: extend it.
                        Some((a, prev_end, _)) if prev_end == address => {
                            if let Some((d, l)) = chunks.get_mut(&a) {
                                d.extend_from_slice(data);
                                *l = line;
                            }
                        }
                        _ => {
                            chunks.insert(address, (data.to_vec(), line));
                        }
                    }
                }
            }
            0x01 => eof_line = Some(line),
            0x02 if count == 2 => base = u64::from(u16::from_be_bytes([data[0], data[1]])) << 4,
            0x04 if count == 2 => base = u64::from(u16::from_be_bytes([data[0], data[1]])) << 16,
            0x03 if count == 4 => {
                let cs = u32::from(u16::from_be_bytes([data[0], data[1]]));
                let ip = u32::from(u16::from_be_bytes([data[2], data[3]]));
                entry_point = Some((cs << 4).wrapping_add(ip));
            }
            0x05 if count == 4 => {
                entry_point = Some(u32::from_be_bytes([data[0], data[1], data[2], data[3]]))
            }
            0x02..=0x05 => {
                return Err(FileError::HexSyntax {
                    line,
                    reason: HexProblem::AddressRecordLength,
                })
            }
            _ => {
                return Err(FileError::HexSyntax {
                    line,
                    reason: HexProblem::UnknownRecordType,
                })
            }
        }
    }
    if eof_line.is_none() {
        return Err(FileError::HexNoEof);
    }
    // Merge contiguous chunks; gaps start a new element.
    let mut elements: Vec<Element> = Vec::new();
    for (address, (data, _)) in chunks {
        if let Some(last) = elements.last_mut() {
            if last.end() == address {
                last.data.extend_from_slice(&data);
                continue;
            }
        }
        elements.push(Element {
            address: address as u32,
            data,
        });
    }
    if elements.is_empty() {
        return Err(FileError::Empty);
    }
    Ok(Hex {
        elements,
        entry_point,
    })
}

fn record(out: &mut String, kind: u8, offset: u16, data: &[u8]) {
    let mut bytes = vec![data.len() as u8];
    bytes.extend_from_slice(&offset.to_be_bytes());
    bytes.push(kind);
    bytes.extend_from_slice(data);
    let sum = bytes.iter().fold(0u8, |a, b| a.wrapping_add(*b));
    bytes.push(sum.wrapping_neg());
    out.push(':');
    for b in bytes {
        out.push_str(&format!("{b:02X}"));
    }
    out.push('\n');
}

/// Write elements as HEX (records 04, 00 of up to 16 bytes, optional 05, 01).
pub fn write(elements: &[Element], entry_point: Option<u32>) -> String {
    let mut out = String::new();
    let mut upper: Option<u16> = None;
    for e in elements {
        let mut addr = e.address;
        for chunk in e.data.chunks(16) {
            // Split a chunk that crosses a 64 KiB boundary.
            let room = 0x1_0000 - (addr & 0xFFFF) as usize;
            let (a, b) = chunk.split_at(chunk.len().min(room));
            for part in [a, b] {
                if part.is_empty() {
                    continue;
                }
                let hi = (addr >> 16) as u16;
                if upper != Some(hi) {
                    record(&mut out, 0x04, 0, &hi.to_be_bytes());
                    upper = Some(hi);
                }
                record(&mut out, 0x00, addr as u16, part);
                addr = addr.wrapping_add(part.len() as u32);
            }
        }
    }
    if let Some(ep) = entry_point {
        record(&mut out, 0x05, 0, &ep.to_be_bytes());
    }
    record(&mut out, 0x01, 0, &[]);
    out
}
