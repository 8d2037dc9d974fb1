//! The DfuSe container (ST UM0391): prefix, targets, elements. The standard suffix
//! follows and is handled by the caller.

use super::{Element, FileError, Target, Warning};

pub const PREFIX_LEN: usize = 11;
pub const TARGET_PREFIX_LEN: usize = 274;
pub const ELEMENT_HEADER_LEN: usize = 8;
/// fwupd's cap; real files have a handful.
pub const MAX_ELEMENTS: u32 = 10_000;

/// Which DFUImageSize convention a file uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageSize {
    /// Without the 16-byte suffix (fwupd; what fwupdtool requires).
    WithoutSuffix,
    /// The whole file (dfu-util's dfuse-pack).
    WholeFile,
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// A part of a DfuSe file, for a file that ends inside it (`FileError::Truncated`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilePart {
    /// The 11-byte file prefix (`DfuSe`, version, size, target count).
    Prefix,
    /// A target's 274-byte prefix (`Target`, alt setting, name, size, element count).
    TargetPrefix,
    /// An element's 8-byte header (address and size).
    ElementHeader,
    /// An element's data.
    ElementData,
}

fn need(b: &[u8], at: usize, n: usize, what: FilePart) -> Result<(), FileError> {
    if b.len() < at.saturating_add(n) {
        return Err(FileError::Truncated {
            what,
            offset: at,
            missing: at.saturating_add(n) - b.len(),
        });
    }
    Ok(())
}

/// Parse the container in `payload` (the file without its suffix). `file_len` is the
/// whole file's length, for the DFUImageSize check.
pub fn parse(
    payload: &[u8],
    file_len: usize,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Target>, FileError> {
    need(payload, 0, PREFIX_LEN, FilePart::Prefix)?;
    if &payload[..5] != b"DfuSe" {
        return Err(FileError::NotDfuse);
    }
    if payload[5] != 0x01 {
        return Err(FileError::UnsupportedVersion {
            version: payload[5],
        });
    }
    let image_size = le32(payload, 6) as usize;
    if image_size != payload.len() && image_size != file_len {
        warnings.push(Warning::ImageSize {
            stated: image_size as u64,
            actual: payload.len() as u64,
        });
    }
    let n_targets = payload[10];
    if n_targets == 0 {
        return Err(FileError::NoTargets);
    }
    let mut at = PREFIX_LEN;
    let mut targets = Vec::new();
    for ti in 0..n_targets {
        need(payload, at, TARGET_PREFIX_LEN, FilePart::TargetPrefix)?;
        let t = &payload[at..at + TARGET_PREFIX_LEN];
        if &t[..6] != b"Target" {
            return Err(FileError::BadTargetSignature { offset: at });
        }
        let alt = t[6];
        let named = le32(t, 7) != 0;
        let raw_name = &t[11..266];
        let end = raw_name
            .iter()
            .position(|&c| c == 0)
            .unwrap_or(raw_name.len());
        let name = named.then(|| String::from_utf8_lossy(&raw_name[..end]).into_owned());
        let target_size = le32(t, 266) as usize;
        let n_elements = le32(t, 270);
        at += TARGET_PREFIX_LEN;
        if n_elements == 0 {
            return Err(FileError::EmptyTarget { target: ti });
        }
        // Each element needs at least its header: refuse counts the bytes cannot hold
        // before allocating anything for them.
        let remaining = payload.len() - at;
        if n_elements > MAX_ELEMENTS || n_elements as usize > remaining / ELEMENT_HEADER_LEN {
            return Err(FileError::TooManyElements {
                target: ti,
                count: n_elements,
            });
        }
        let start = at;
        let mut elements: Vec<Element> = Vec::new();
        for _ in 0..n_elements {
            need(payload, at, ELEMENT_HEADER_LEN, FilePart::ElementHeader)?;
            let address = le32(payload, at);
            let size = le32(payload, at + 4) as usize;
            at += ELEMENT_HEADER_LEN;
            need(payload, at, size, FilePart::ElementData)?;
            if u64::from(address) + size as u64 > 1 << 32 {
                return Err(FileError::AddressOverflow {
                    address,
                    size: size as u64,
                });
            }
            elements.push(Element {
                address,
                data: payload[at..at + size].to_vec(),
            });
            at += size;
        }
        if at - start != target_size {
            return Err(FileError::TargetSizeMismatch {
                target: ti,
                stated: target_size as u64,
                actual: (at - start) as u64,
            });
        }
        check_overlaps(&elements, ti)?;
        targets.push(Target {
            alt,
            name,
            elements,
        });
    }
    if at < payload.len() {
        warnings.push(Warning::TrailingBytes {
            count: (payload.len() - at) as u64,
        });
    }
    Ok(targets)
}

/// Refuse elements of one target that write the same address twice.
pub fn check_overlaps(elements: &[Element], target: u8) -> Result<(), FileError> {
    let mut spans: Vec<(u64, u64)> = elements
        .iter()
        .filter(|e| !e.data.is_empty())
        .map(|e| (u64::from(e.address), e.end()))
        .collect();
    crate::core::sort::sort(&mut spans);
    for w in spans.windows(2) {
        if w[1].0 < w[0].1 {
            return Err(FileError::Overlap {
                target,
                address: w[1].0 as u32,
            });
        }
    }
    Ok(())
}

/// Write a DfuSe file (prefix, targets, suffix with bcdDFU 0x011A).
pub fn write(
    targets: &[Target],
    vendor: u16,
    product: u16,
    device: u16,
    convention: ImageSize,
) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"DfuSe");
    out.push(0x01);
    out.extend_from_slice(&[0; 4]); // DFUImageSize, filled in below
    out.push(targets.len() as u8);
    for t in targets {
        out.extend_from_slice(b"Target");
        out.push(t.alt);
        let mut name = [0u8; 255];
        if let Some(n) = &t.name {
            let b = n.as_bytes();
            let len = b.len().min(254);
            name[..len].copy_from_slice(&b[..len]);
        }
        out.extend_from_slice(&u32::from(t.name.is_some()).to_le_bytes());
        out.extend_from_slice(&name);
        let size: usize = t
            .elements
            .iter()
            .map(|e| ELEMENT_HEADER_LEN + e.data.len())
            .sum();
        out.extend_from_slice(&(size as u32).to_le_bytes());
        out.extend_from_slice(&(t.elements.len() as u32).to_le_bytes());
        for e in &t.elements {
            out.extend_from_slice(&e.address.to_le_bytes());
            out.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
            out.extend_from_slice(&e.data);
        }
    }
    let size = match convention {
        ImageSize::WithoutSuffix => out.len(),
        ImageSize::WholeFile => out.len() + super::suffix::SUFFIX_LEN,
    } as u32;
    out[6..10].copy_from_slice(&size.to_le_bytes());
    super::suffix::append(&out, vendor, product, device, 0x011A)
}
