//! USB descriptors as the DFU host needs them: the device descriptor, DFU interfaces and
//! alt settings from a raw configuration descriptor, the DFU functional descriptor, and
//! string descriptors (digest §1).

use std::fmt;

/// Descriptor types (bDescriptorType).
pub const DEVICE: u8 = 0x01;
pub const CONFIGURATION: u8 = 0x02;
pub const STRING: u8 = 0x03;
pub const INTERFACE: u8 = 0x04;
pub const DFU_FUNCTIONAL: u8 = 0x21;

/// Interface class / subclass of a DFU interface.
pub const DFU_CLASS: u8 = 0xFE;
pub const DFU_SUBCLASS: u8 = 0x01;

/// Why a descriptor could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DescriptorError {
    /// Fewer bytes than the structure needs.
    Truncated {
        what: DescriptorKind,
        needed: usize,
        got: usize,
    },
    /// A descriptor's bDescriptorType is not the one expected here.
    WrongType { expected: u8, got: u8 },
    /// A descriptor inside the configuration claims a length of 0 or 1, or runs past the end.
    BadLength { offset: usize, length: u8 },
}

/// Which descriptor (a structure USB defines), for one that came short; `ui::words`
/// names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DescriptorKind {
    /// The device descriptor (18 bytes).
    Device,
    /// The DFU functional descriptor.
    Functional,
    /// The first 9 bytes of the configuration descriptor.
    ConfigurationHeader,
    /// The whole configuration descriptor (wTotalLength).
    Configuration,
    /// A string descriptor.
    String,
}

impl fmt::Display for DescriptorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A technical line for logs and developers; what a person reads is worded in
        // `ui::words`.
        write!(f, "{self:?}")
    }
}

/// The standard device descriptor (18 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceDescriptor {
    #[doc(alias = "bcdUSB")]
    pub usb_version: u16,
    pub class: u8,
    pub subclass: u8,
    pub protocol: u8,
    #[doc(alias = "bMaxPacketSize0")]
    pub max_packet_size0: u8,
    #[doc(alias = "idVendor")]
    pub vendor_id: u16,
    #[doc(alias = "idProduct")]
    pub product_id: u16,
    #[doc(alias = "bcdDevice")]
    pub device_version: u16,
    pub manufacturer_index: u8,
    pub product_index: u8,
    pub serial_index: u8,
    pub num_configurations: u8,
}

impl DeviceDescriptor {
    pub fn parse(b: &[u8]) -> Result<DeviceDescriptor, DescriptorError> {
        if b.len() < 18 {
            return Err(DescriptorError::Truncated {
                what: DescriptorKind::Device,
                needed: 18,
                got: b.len(),
            });
        }
        if b[1] != DEVICE {
            return Err(DescriptorError::WrongType {
                expected: DEVICE,
                got: b[1],
            });
        }
        let le = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        Ok(DeviceDescriptor {
            usb_version: le(2),
            class: b[4],
            subclass: b[5],
            protocol: b[6],
            max_packet_size0: b[7],
            vendor_id: le(8),
            product_id: le(10),
            device_version: le(12),
            manufacturer_index: b[14],
            product_index: b[15],
            serial_index: b[16],
            num_configurations: b[17],
        })
    }
}

/// bmAttributes of the DFU functional descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attributes {
    #[doc(alias = "bitCanDnload")]
    pub can_download: bool,
    #[doc(alias = "bitCanUpload")]
    pub can_upload: bool,
    #[doc(alias = "bitManifestationTolerant")]
    pub manifestation_tolerant: bool,
    #[doc(alias = "bitWillDetach")]
    pub will_detach: bool,
    /// Bit 7: ST's "accelerated" flag, not part of DFU 1.1.
    pub accelerated: bool,
}

impl Attributes {
    pub fn from_bits(b: u8) -> Attributes {
        Attributes {
            can_download: b & 0x01 != 0,
            can_upload: b & 0x02 != 0,
            manifestation_tolerant: b & 0x04 != 0,
            will_detach: b & 0x08 != 0,
            accelerated: b & 0x80 != 0,
        }
    }
}

/// DFU version after the normalisation the digest describes (§1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DfuVersion {
    /// Plain DFU (1.0 and 1.1 behave the same for the host).
    Dfu11,
    /// ST DfuSe, bcdDFUVersion 0x011A.
    DfuSe,
}

/// The DFU functional descriptor (type 0x21), 7- or 9-byte form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionalDescriptor {
    pub attributes: Attributes,
    #[doc(alias = "wDetachTimeOut")]
    pub detach_timeout_ms: u16,
    /// As the device reports it; see [`FunctionalDescriptor::transfer_size`].
    #[doc(alias = "wTransferSize")]
    pub raw_transfer_size: u16,
    /// `None` for the 7-byte DFU 1.0 form.
    #[doc(alias = "bcdDFUVersion")]
    pub raw_version: Option<u16>,
}

impl FunctionalDescriptor {
    pub fn parse(b: &[u8]) -> Result<FunctionalDescriptor, DescriptorError> {
        if b.len() < 7 {
            return Err(DescriptorError::Truncated {
                what: DescriptorKind::Functional,
                needed: 7,
                got: b.len(),
            });
        }
        if b[1] != DFU_FUNCTIONAL {
            return Err(DescriptorError::WrongType {
                expected: DFU_FUNCTIONAL,
                got: b[1],
            });
        }
        let declared = usize::from(b[0]);
        let raw_version = if declared >= 9 && b.len() >= 9 {
            Some(u16::from_le_bytes([b[7], b[8]]))
        } else {
            None
        };
        Ok(FunctionalDescriptor {
            attributes: Attributes::from_bits(b[2]),
            detach_timeout_ms: u16::from_le_bytes([b[3], b[4]]),
            raw_transfer_size: u16::from_le_bytes([b[5], b[6]]),
            raw_version,
        })
    }

    /// Normalised version: 0x011A is DfuSe; 0x0100, 0x0101, 0x0110, a missing field
    /// and anything unknown are treated as DFU 1.1 (fwupd's rule).
    pub fn version(&self) -> DfuVersion {
        match self.raw_version {
            Some(0x011A) => DfuVersion::DfuSe,
            _ => DfuVersion::Dfu11,
        }
    }

    /// The transfer size to use: 0 → the control endpoint's packet size (or 64) and
    /// 0xFFFF → 1024 (fwupd's guesses). Other values are used as they are: a DfuSe
    /// device computes addresses from its own wTransferSize, so raising it (as dfu-util
    /// does to bMaxPacketSize0) would misplace data.
    pub fn transfer_size(&self, max_packet_size0: u8) -> u16 {
        match self.raw_transfer_size {
            0 if max_packet_size0 > 0 => u16::from(max_packet_size0),
            0 => 64,
            0xFFFF => 1024,
            t => t,
        }
    }
}

/// Whether an interface is the run-time DFU interface of an application, or the device
/// is in DFU mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Runtime,
    Dfu,
}

/// One alternate setting of a DFU interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AltSetting {
    pub alt: u8,
    #[doc(alias = "iInterface")]
    pub name_index: u8,
}

/// A DFU interface found in a configuration descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DfuInterface {
    pub number: u8,
    #[doc(alias = "bInterfaceProtocol")]
    pub protocol: u8,
    pub alts: Vec<AltSetting>,
    /// The functional descriptor after the interface (or at configuration level).
    pub functional: Option<FunctionalDescriptor>,
}

impl DfuInterface {
    /// Decide the mode from bInterfaceProtocol, with the DFU 1.0 variants: protocol 0
    /// is DFU mode when the device class is DFU (0xFE/0x01, DFU 1.0 style) or the
    /// descriptor says DfuSe (DSO Nano), else run-time.
    pub fn mode(&self, device: &DeviceDescriptor) -> Mode {
        match self.protocol {
            2 => Mode::Dfu,
            0 if device.class == DFU_CLASS && device.subclass == DFU_SUBCLASS => Mode::Dfu,
            0 if self.functional.map(|f| f.raw_version) == Some(Some(0x011A)) => Mode::Dfu,
            _ => Mode::Runtime,
        }
    }
}

/// The DFU-relevant part of a configuration descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configuration {
    #[doc(alias = "bConfigurationValue")]
    pub value: u8,
    pub num_interfaces: u8,
    pub interfaces: Vec<DfuInterface>,
}

/// Read wTotalLength from the first bytes of a configuration descriptor.
pub fn configuration_total_length(b: &[u8]) -> Result<u16, DescriptorError> {
    if b.len() < 4 {
        return Err(DescriptorError::Truncated {
            what: DescriptorKind::ConfigurationHeader,
            needed: 4,
            got: b.len(),
        });
    }
    if b[1] != CONFIGURATION {
        return Err(DescriptorError::WrongType {
            expected: CONFIGURATION,
            got: b[1],
        });
    }
    Ok(u16::from_le_bytes([b[2], b[3]]))
}

/// Parse a full configuration descriptor and collect its DFU interfaces.
///
/// A functional descriptor belongs to the DFU interface it follows; one found before any
/// DFU interface (at configuration level) applies to every DFU interface lacking its own.
pub fn parse_configuration(b: &[u8]) -> Result<Configuration, DescriptorError> {
    if b.len() < 9 {
        return Err(DescriptorError::Truncated {
            what: DescriptorKind::Configuration,
            needed: 9,
            got: b.len(),
        });
    }
    let total = usize::from(configuration_total_length(b)?).min(b.len());
    let mut config = Configuration {
        value: b[5],
        num_interfaces: b[4],
        interfaces: Vec::new(),
    };
    let mut config_level: Option<FunctionalDescriptor> = None;
    // Index into `config.interfaces` of the DFU interface the last interface descriptor
    // opened, if it was one.
    let mut current: Option<usize> = None;
    let mut off = usize::from(b[0]).max(9);
    while off + 2 <= total {
        let len = usize::from(b[off]);
        if len < 2 || off + len > total {
            return Err(DescriptorError::BadLength {
                offset: off,
                length: b[off],
            });
        }
        let d = &b[off..off + len];
        match d[1] {
            INTERFACE if len >= 9 => {
                let (number, alt, class, subclass, protocol, name) =
                    (d[2], d[3], d[5], d[6], d[7], d[8]);
                current = None;
                if class == DFU_CLASS && subclass == DFU_SUBCLASS {
                    let idx = match config.interfaces.iter().position(|i| i.number == number) {
                        Some(i) => i,
                        None => {
                            config.interfaces.push(DfuInterface {
                                number,
                                protocol,
                                alts: Vec::new(),
                                functional: None,
                            });
                            config.interfaces.len() - 1
                        }
                    };
                    let intf = &mut config.interfaces[idx];
                    if !intf.alts.iter().any(|a| a.alt == alt) {
                        intf.alts.push(AltSetting {
                            alt,
                            name_index: name,
                        });
                    }
                    current = Some(idx);
                }
            }
            DFU_FUNCTIONAL if len >= 7 => {
                // Type 0x21 is also HID's: only take it inside a DFU interface or
                // before any interface.
                let fd = FunctionalDescriptor::parse(d)?;
                match current {
                    Some(idx) => config.interfaces[idx].functional = Some(fd),
                    None if config.interfaces.is_empty() => config_level = Some(fd),
                    None => {}
                }
            }
            _ => {}
        }
        off += len;
    }
    if let Some(fd) = config_level {
        for intf in &mut config.interfaces {
            intf.functional.get_or_insert(fd);
        }
    }
    Ok(config)
}

/// The language ids a device lists in string descriptor 0.
pub fn parse_language_ids(b: &[u8]) -> Vec<u16> {
    let len = usize::from(b.first().copied().unwrap_or(0)).min(b.len());
    if len < 4 || b[1] != STRING {
        return Vec::new();
    }
    b[2..len]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect()
}

/// Decode a string descriptor (UTF-16LE). Invalid code units become U+FFFD; the result
/// is untrusted text and must be rendered as text.
pub fn parse_string(b: &[u8]) -> Result<String, DescriptorError> {
    if b.len() < 2 {
        return Err(DescriptorError::Truncated {
            what: DescriptorKind::String,
            needed: 2,
            got: b.len(),
        });
    }
    if b[1] != STRING {
        return Err(DescriptorError::WrongType {
            expected: STRING,
            got: b[1],
        });
    }
    let len = usize::from(b[0]).min(b.len()).max(2);
    let units = b[2..len]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    Ok(char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The STM32F4 ROM's configuration: one interface, four alts, functional
    /// descriptor 0x0B / 255 ms / 2048 / 0x011A (device-logs/stm32f4discovery.lsusb).
    fn stm32_config() -> Vec<u8> {
        let mut c = vec![9, 2, 0, 0, 1, 1, 0, 0xC0, 50];
        for alt in 0..4u8 {
            c.extend_from_slice(&[9, 4, 0, alt, 0, 0xFE, 1, 2, 4 + alt]);
        }
        c.extend_from_slice(&[9, 0x21, 0x0B, 0xFF, 0x00, 0x00, 0x08, 0x1A, 0x01]);
        let total = c.len() as u16;
        c[2..4].copy_from_slice(&total.to_le_bytes());
        c
    }

    #[test]
    fn stm32_rom_configuration_is_one_dfu_interface_with_four_alts() {
        let c = parse_configuration(&stm32_config()).expect("valid");
        assert_eq!(c.interfaces.len(), 1);
        let i = &c.interfaces[0];
        assert_eq!(i.alts.len(), 4);
        assert_eq!(i.alts[3].name_index, 7);
        let f = i.functional.expect("functional descriptor");
        assert!(f.attributes.can_download && f.attributes.can_upload && f.attributes.will_detach);
        assert!(!f.attributes.manifestation_tolerant);
        assert_eq!(f.detach_timeout_ms, 255);
        assert_eq!(f.transfer_size(64), 2048);
        assert_eq!(f.version(), DfuVersion::DfuSe);
    }

    #[test]
    fn seven_byte_functional_descriptor_is_dfu_1_0() {
        let f = FunctionalDescriptor::parse(&[7, 0x21, 0x03, 0xE8, 0x03, 0x00, 0x01]).expect("ok");
        assert_eq!(f.raw_version, None);
        assert_eq!(f.version(), DfuVersion::Dfu11);
        assert_eq!(f.transfer_size(8), 256);
        assert_eq!(f.transfer_size(64), 256, "never raised to bMaxPacketSize0");
    }

    #[test]
    fn transfer_size_normalisation() {
        let mut f = FunctionalDescriptor::parse(&[9, 0x21, 0, 0, 0, 0, 0, 0x10, 0x01]).expect("ok");
        assert_eq!(f.transfer_size(8), 8, "0 means the control packet size");
        assert_eq!(f.transfer_size(0), 64);
        f.raw_transfer_size = 0xFFFF;
        assert_eq!(f.transfer_size(64), 1024);
        f.raw_transfer_size = 16;
        assert_eq!(f.transfer_size(64), 16);
    }

    #[test]
    fn hid_descriptor_outside_dfu_interface_is_ignored() {
        // interface 0: HID with a 0x21 descriptor; interface 1: DFU run-time.
        let mut c = vec![9, 2, 0, 0, 2, 1, 0, 0x80, 50];
        c.extend_from_slice(&[9, 4, 0, 0, 1, 3, 0, 0, 0]);
        c.extend_from_slice(&[9, 0x21, 0x11, 0x01, 0, 1, 0x22, 0x40, 0]);
        c.extend_from_slice(&[9, 4, 1, 0, 0, 0xFE, 1, 1, 5]);
        c.extend_from_slice(&[9, 0x21, 0x07, 0xE8, 0x03, 0x00, 0x04, 0x10, 0x01]);
        let total = c.len() as u16;
        c[2..4].copy_from_slice(&total.to_le_bytes());
        let cfg = parse_configuration(&c).expect("valid");
        assert_eq!(cfg.interfaces.len(), 1);
        let f = cfg.interfaces[0].functional.expect("dfu functional");
        assert_eq!(f.raw_transfer_size, 1024);
        assert_eq!(cfg.interfaces[0].protocol, 1);
    }

    #[test]
    fn lying_lengths_are_errors_not_panics() {
        let mut c = stm32_config();
        c[9] = 0; // zero-length descriptor would loop forever
        assert!(matches!(
            parse_configuration(&c),
            Err(DescriptorError::BadLength { .. })
        ));
        let mut c = stm32_config();
        c[9] = 200; // runs past the end
        assert!(parse_configuration(&c).is_err());
        let mut c = stm32_config();
        c[2] = 0xFF; // wTotalLength larger than what was sent: parse what is there
        c[3] = 0xFF;
        assert!(parse_configuration(&c).is_ok());
    }

    #[test]
    fn protocol_zero_variants() {
        let dev = |class, subclass| DeviceDescriptor {
            usb_version: 0x0200,
            class,
            subclass,
            protocol: 0,
            max_packet_size0: 64,
            vendor_id: 1,
            product_id: 2,
            device_version: 0,
            manufacturer_index: 0,
            product_index: 0,
            serial_index: 0,
            num_configurations: 1,
        };
        let mut i = DfuInterface {
            number: 0,
            protocol: 0,
            alts: vec![],
            functional: None,
        };
        assert_eq!(i.mode(&dev(0, 0)), Mode::Runtime);
        assert_eq!(i.mode(&dev(0xFE, 1)), Mode::Dfu);
        i.functional = FunctionalDescriptor::parse(&[9, 0x21, 0, 0, 0, 0, 8, 0x1A, 0x01]).ok();
        assert_eq!(i.mode(&dev(0, 0)), Mode::Dfu);
    }

    #[test]
    fn strings_decode_utf16_and_tolerate_garbage() {
        let s = [10, 3, b'S', 0, b'T', 0, 0x3D, 0xD8, b'!', 0];
        assert_eq!(parse_string(&s).expect("ok"), "ST\u{FFFD}!");
        assert_eq!(parse_language_ids(&[4, 3, 0x09, 0x04]), vec![0x0409]);
        assert_eq!(parse_string(&[255, 3, b'A', 0]).expect("ok"), "A");
        assert_eq!(parse_string(&[0, 3, b'A', 0]).expect("ok"), "");
    }
}
