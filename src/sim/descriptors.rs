//! The simulator's own descriptor encoders (USB 2.0 chapter 9 and DFU 1.1 §4), written
//! independently of the core's parsers.

/// A string table: index 0 is the language list.
#[derive(Debug, Clone, Default)]
pub struct Strings {
    strings: Vec<String>,
    /// Indices whose descriptor carries UTF-8 bytes instead of UTF-16 (GD32VF103).
    utf8: Vec<u8>,
}

impl Strings {
    /// Add a string and return its index (1-based).
    pub fn add(&mut self, s: &str) -> u8 {
        self.strings.push(s.to_string());
        self.strings.len() as u8
    }

    /// Add a string sent as raw UTF-8 (a device bug) and return its index.
    pub fn add_utf8(&mut self, s: &str) -> u8 {
        let i = self.add(s);
        self.utf8.push(i);
        i
    }

    /// String descriptor `index`, or `None` if there is no such string.
    pub fn descriptor(&self, index: u8) -> Option<Vec<u8>> {
        if index == 0 {
            return Some(vec![4, 0x03, 0x09, 0x04]);
        }
        let s = self.strings.get(usize::from(index) - 1)?;
        let mut out = vec![0, 0x03];
        if self.utf8.contains(&index) {
            out.extend(s.bytes().take(253));
            out[0] = out.len() as u8;
            return Some(out);
        }
        for unit in s.encode_utf16().take(126) {
            out.extend_from_slice(&unit.to_le_bytes());
        }
        out[0] = out.len() as u8;
        Some(out)
    }
}

/// The 18-byte device descriptor.
#[allow(clippy::too_many_arguments)]
pub fn device(
    class: u8,
    subclass: u8,
    vendor: u16,
    product: u16,
    release: u16,
    strings: [u8; 3],
) -> Vec<u8> {
    let mut d = vec![18, 0x01, 0x00, 0x02, class, subclass, 0, 64];
    d.extend_from_slice(&vendor.to_le_bytes());
    d.extend_from_slice(&product.to_le_bytes());
    d.extend_from_slice(&release.to_le_bytes());
    d.extend_from_slice(&strings);
    d.push(1);
    d
}

/// One interface descriptor (9 bytes).
pub fn interface(
    number: u8,
    alt: u8,
    endpoints: u8,
    class: u8,
    subclass: u8,
    protocol: u8,
    name: u8,
) -> Vec<u8> {
    vec![
        9, 0x04, number, alt, endpoints, class, subclass, protocol, name,
    ]
}

/// A bulk endpoint descriptor.
pub fn endpoint(address: u8) -> Vec<u8> {
    vec![7, 0x05, address, 0x02, 64, 0, 0]
}

/// The DFU functional descriptor; `long` selects the 9-byte DFU 1.1 form.
pub fn functional(
    attributes: u8,
    detach_timeout: u16,
    transfer_size: u16,
    version: u16,
    long: bool,
) -> Vec<u8> {
    let mut d = vec![if long { 9 } else { 7 }, 0x21, attributes];
    d.extend_from_slice(&detach_timeout.to_le_bytes());
    d.extend_from_slice(&transfer_size.to_le_bytes());
    if long {
        d.extend_from_slice(&version.to_le_bytes());
    }
    d
}

/// A configuration descriptor wrapping `body` (interfaces and what follows them).
pub fn configuration(num_interfaces: u8, body: &[u8]) -> Vec<u8> {
    let total = (9 + body.len()) as u16;
    let mut c = vec![9, 0x02];
    c.extend_from_slice(&total.to_le_bytes());
    c.extend_from_slice(&[num_interfaces, 1, 0, 0x80, 50]);
    c.extend_from_slice(body);
    c
}
