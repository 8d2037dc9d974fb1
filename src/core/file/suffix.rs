//! The DFU suffix (DFU 1.1 appendix B): 16 bytes at the end of a file, and its CRC.

/// Length of the standard suffix.
pub const SUFFIX_LEN: usize = 16;
/// "DFU" as stored (byte-reversed) at offset −8.
pub const SIGNATURE: [u8; 3] = *b"UFD";
/// Wildcard id.
pub const ANY: u16 = 0xFFFF;

const CRC_TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// CRC-32/JAMCRC: reflected CRC-32, init 0xFFFFFFFF, no final XOR (= !crc32).
pub fn jamcrc(data: &[u8]) -> u32 {
    jamcrc_update(0xFFFF_FFFF, data)
}

/// The fields of a DFU suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suffix {
    #[doc(alias = "bcdDevice")]
    pub device: u16,
    #[doc(alias = "idProduct")]
    pub product: u16,
    #[doc(alias = "idVendor")]
    pub vendor: u16,
    #[doc(alias = "bcdDFU")]
    pub bcd_dfu: u16,
    #[doc(alias = "bLength")]
    pub length: u8,
    /// dwCRC as stored.
    pub crc: u32,
    /// The CRC computed over the file.
    pub computed_crc: u32,
}

impl Suffix {
    pub fn crc_ok(&self) -> bool {
        self.crc == self.computed_crc
    }
}

/// CRC-32/JAMCRC continued over `data`: `jamcrc_update(0xFFFF_FFFF, a ++ b)` is
/// `jamcrc_update(jamcrc_update(0xFFFF_FFFF, a), b)`, so a file can be checked in slices.
pub fn jamcrc_update(crc: u32, data: &[u8]) -> u32 {
    data.iter().fold(crc, |c, &b| {
        CRC_TABLE[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8)
    })
}

/// Find a suffix at the end of `bytes` by its signature. Returns the suffix and the
/// payload length (what precedes the suffix), or `None` if there is no signature.
/// `Err(len)` if the signature is there but bLength is below 16 or past the start.
pub fn find(bytes: &[u8]) -> Option<Result<(Suffix, usize), u8>> {
    let crc = jamcrc(&bytes[..bytes.len().saturating_sub(4)]);
    read(bytes, bytes.len() as u64, crc).map(|r| r.map(|(s, len)| (s, len as usize)))
}

/// The suffix of a file of `total` bytes from its last bytes `last` (16 of them, or the
/// whole file if it is shorter), where `crc` is the JAMCRC of all but the file's last four
/// bytes. As [`find`], for a file read in slices.
pub fn read(last: &[u8], total: u64, crc: u32) -> Option<Result<(Suffix, u64), u8>> {
    if total < SUFFIX_LEN as u64 || last.len() < SUFFIX_LEN {
        return None;
    }
    let s = &last[last.len() - SUFFIX_LEN..];
    if s[8..11] != SIGNATURE {
        return None;
    }
    let length = s[11];
    if usize::from(length) < SUFFIX_LEN || u64::from(length) > total {
        return Some(Err(length));
    }
    let le = |i: usize| u16::from_le_bytes([s[i], s[i + 1]]);
    let stored = u32::from_le_bytes([s[12], s[13], s[14], s[15]]);
    Some(Ok((
        Suffix {
            device: le(0),
            product: le(2),
            vendor: le(4),
            bcd_dfu: le(6),
            length,
            crc: stored,
            computed_crc: crc,
        },
        total - u64::from(length),
    )))
}

/// `payload` followed by a suffix with these ids and a correct CRC.
pub fn append(payload: &[u8], vendor: u16, product: u16, device: u16, bcd_dfu: u16) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + SUFFIX_LEN);
    out.extend_from_slice(payload);
    out.extend_from_slice(&device.to_le_bytes());
    out.extend_from_slice(&product.to_le_bytes());
    out.extend_from_slice(&vendor.to_le_bytes());
    out.extend_from_slice(&bcd_dfu.to_le_bytes());
    out.extend_from_slice(&SIGNATURE);
    out.push(SUFFIX_LEN as u8);
    let crc = jamcrc(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jamcrc_check_value() {
        assert_eq!(jamcrc(b"123456789"), 0x340B_C6D9);
    }

    #[test]
    fn digest_suffix_example() {
        let f = append(&[0x58; 12], 0x1234, 0x4321, 0xDEAD, 0x0100);
        assert_eq!(f.len(), 28);
        assert_eq!(
            &f[12..],
            &[
                0xAD, 0xDE, 0x21, 0x43, 0x34, 0x12, 0x00, 0x01, 0x55, 0x46, 0x44, 0x10, 0x02, 0x6D,
                0x4F, 0x2F
            ]
        );
        let (s, len) = find(&f).expect("signature").expect("valid");
        assert_eq!(len, 12);
        assert_eq!(s.crc, 0x2F4F_6D02);
        assert!(s.crc_ok());
        assert_eq!(
            (s.vendor, s.product, s.device, s.bcd_dfu),
            (0x1234, 0x4321, 0xDEAD, 0x0100)
        );
    }

    #[test]
    fn bad_lengths() {
        let mut f = append(&[1, 2, 3], 1, 2, 3, 0x0100);
        let n = f.len();
        f[n - 5] = 15;
        assert_eq!(find(&f), Some(Err(15)));
        f[n - 5] = 200;
        assert_eq!(find(&f), Some(Err(200)));
        assert_eq!(find(&[0; 15]), None);
    }
}
