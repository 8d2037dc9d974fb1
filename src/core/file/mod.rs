//! Firmware file formats: raw binary, DFU suffix, DfuSe container, Intel HEX.
//!
//! [`parse`] detects the format; the result is the only way to hold a firmware image.

pub mod dfuse;
pub mod ihex;
pub mod suffix;

pub use suffix::{jamcrc, Suffix};

use serde::Serialize;
use std::fmt;

/// Largest file accepted (no DFU device holds more).
pub const MAX_FILE: usize = 64 << 20;

/// How to parse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Accept a file whose suffix CRC is wrong (the user insists).
    pub ignore_crc: bool,
}

/// What kind of file it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// A plain image, without a suffix.
    Raw,
    /// A plain image with a DFU suffix.
    DfuSuffix,
    /// An ST DfuSe container.
    Dfuse,
    /// Intel HEX.
    IntelHex,
}

impl Format {
    pub fn label(self) -> &'static str {
        match self {
            Format::Raw => "Raw binary image",
            Format::DfuSuffix => "Binary image with DFU suffix",
            Format::Dfuse => "DfuSe file",
            Format::IntelHex => "Intel HEX file",
        }
    }
}

/// A run of bytes at an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Element {
    pub address: u32,
    #[serde(skip)]
    pub data: Vec<u8>,
}

impl Element {
    /// One past the last byte.
    pub fn end(&self) -> u64 {
        u64::from(self.address) + self.data.len() as u64
    }
}

/// The elements for one alt setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    pub alt: u8,
    /// Untrusted text from the file.
    pub name: Option<String>,
    pub elements: Vec<Element>,
}

/// The firmware itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Image {
    /// Bytes to send as they are (DFU 1.1), or to place at an address on DfuSe.
    Raw(#[serde(skip)] Vec<u8>),
    /// Addressed elements per alt setting (DfuSe files, Intel HEX).
    Addressed(Vec<Target>),
}

/// Something odd but not fatal about a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Warning {
    /// The suffix CRC is wrong and the user chose to go on.
    CrcIgnored {
        stored: u32,
        computed: u32,
    },
    /// bLength is not 16.
    OddSuffixLength {
        length: u8,
    },
    /// DFUImageSize is neither convention.
    ImageSize {
        stated: u64,
        actual: u64,
    },
    TrailingBytes {
        count: u64,
    },
    /// A DfuSe file whose suffix does not say bcdDFU 0x011A.
    DfuseSuffixVersion {
        bcd_dfu: u16,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::CrcIgnored { stored, computed } => write!(
                f,
                "The file's checksum is wrong (stored {stored:#010x}, computed {computed:#010x}); it was accepted because you asked for it."
            ),
            Warning::OddSuffixLength { length } => {
                write!(f, "The DFU suffix says it is {length} bytes long instead of 16.")
            }
            Warning::ImageSize { stated, actual } => write!(
                f,
                "The DfuSe header gives the image size as {stated} bytes, but it is {actual}."
            ),
            Warning::TrailingBytes { count } => {
                write!(f, "{count} unused bytes follow the last DfuSe target.")
            }
            Warning::DfuseSuffixVersion { bcd_dfu } => write!(
                f,
                "The DfuSe file's suffix gives DFU version {bcd_dfu:#06x} instead of 0x011a."
            ),
        }
    }
}

/// Why a file cannot be used. Each message is a sentence the user can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum FileError {
    Empty,
    TooLarge {
        size: u64,
        limit: u64,
    },
    CorruptCrc {
        stored: u32,
        computed: u32,
    },
    BadSuffixLength {
        length: u8,
    },
    NotDfuse,
    UnsupportedVersion {
        version: u8,
    },
    MissingSuffix,
    NoTargets,
    EmptyTarget {
        target: u8,
    },
    TooManyElements {
        target: u8,
        count: u32,
    },
    Truncated {
        what: &'static str,
        offset: usize,
        missing: usize,
    },
    BadTargetSignature {
        offset: usize,
    },
    TargetSizeMismatch {
        target: u8,
        stated: u64,
        actual: u64,
    },
    AddressOverflow {
        address: u32,
        size: u64,
    },
    Overlap {
        target: u8,
        address: u32,
    },
    HexSyntax {
        line: usize,
        reason: &'static str,
    },
    HexChecksum {
        line: usize,
    },
    HexOverlap {
        line: usize,
        earlier_line: usize,
        address: u32,
    },
    HexNoEof,
    HexDataAfterEof {
        eof_line: usize,
        line: usize,
    },
    /// A format we do not flash (ELF, Motorola S-record).
    Unsupported {
        what: &'static str,
    },
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::Empty => write!(f, "The file is empty. Choose the firmware file again."),
            FileError::TooLarge { size, limit } => write!(
                f,
                "The file is too large ({size} bytes; the limit is {limit}). It is not a firmware file for a USB device."
            ),
            FileError::CorruptCrc { stored, computed } => write!(
                f,
                "The file is damaged: its checksum does not match (stored {stored:#010x}, computed {computed:#010x}). Download it again."
            ),
            FileError::BadSuffixLength { length } => write!(
                f,
                "The file's DFU suffix is malformed (length {length}). Download the file again."
            ),
            FileError::NotDfuse => write!(f, "The file is not a DfuSe file."),
            FileError::UnsupportedVersion { version } => write!(
                f,
                "The DfuSe file has format version {version}, which is not supported (only version 1 exists)."
            ),
            FileError::MissingSuffix => write!(
                f,
                "The DfuSe file has no DFU suffix at its end: it is incomplete or damaged. Download it again."
            ),
            FileError::NoTargets => write!(f, "The DfuSe file contains no firmware images."),
            FileError::EmptyTarget { target } => {
                write!(f, "Image {target} of the DfuSe file contains no data.")
            }
            FileError::TooManyElements { target, count } => write!(
                f,
                "Image {target} of the DfuSe file claims {count} parts, more than the file can hold. The file is damaged."
            ),
            FileError::Truncated { what, offset, missing } => write!(
                f,
                "The file is cut short: the {what} at byte {offset} is missing {missing} bytes. Download it again."
            ),
            FileError::BadTargetSignature { offset } => write!(
                f,
                "The DfuSe file is damaged: no image header where one should be (byte {offset})."
            ),
            FileError::TargetSizeMismatch { target, stated, actual } => write!(
                f,
                "The DfuSe file is damaged: image {target} says it is {stated} bytes long but holds {actual}."
            ),
            FileError::AddressOverflow { address, size } => write!(
                f,
                "The file places {size} bytes at {address:#010x}, past the end of the address space. The file is damaged."
            ),
            FileError::Overlap { target, address } => write!(
                f,
                "Image {target} of the DfuSe file writes address {address:#010x} twice. The file is damaged."
            ),
            FileError::HexSyntax { line, reason } => {
                write!(f, "The HEX file has {reason} on line {line}. The file is damaged.")
            }
            FileError::HexChecksum { line } => write!(
                f,
                "The HEX file is damaged: the checksum of line {line} is wrong. Download it again."
            ),
            FileError::HexOverlap { line, earlier_line, address } => write!(
                f,
                "The HEX file writes address {address:#010x} twice (lines {earlier_line} and {line}). The file is damaged."
            ),
            FileError::HexDataAfterEof { eof_line, line } => write!(
                f,
                "The HEX file goes on after its end-of-file record (line {eof_line}) at line {line}: it may be two files joined. Use the vendor's original file."
            ),
            FileError::Unsupported { what } => write!(
                f,
                "This is {what}, which cannot be flashed directly. Use the .bin, .dfu or .hex file the vendor provides."
            ),
            FileError::HexNoEof => write!(
                f,
                "The HEX file has no end-of-file record: it is cut short. Download it again."
            ),
        }
    }
}

impl std::error::Error for FileError {}

/// A parsed firmware file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FirmwareFile {
    pub format: Format,
    pub suffix: Option<Suffix>,
    pub image: Image,
    /// HEX start address (records 03/05).
    pub entry_point: Option<u32>,
    pub warnings: Vec<Warning>,
}

/// USB ids of a device, to check a suffix against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct UsbIds {
    pub vendor: u16,
    pub product: u16,
    /// bcdDevice.
    pub device: u16,
}

/// Whether a file's suffix names this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum IdCheck {
    /// No suffix, or only wildcards: the file does not say.
    Unspecified,
    Match,
    /// The suffix names another device.
    Mismatch {
        file: UsbIds,
        device: UsbIds,
    },
}

fn id_ok(file: u16, device: u16) -> bool {
    file == suffix::ANY || file == device
}

/// bcdDevice 0x0000 is what dfuse-pack writes when not told otherwise: unspecified too.
fn release_ok(file: u16, device: u16) -> bool {
    file == 0 || id_ok(file, device)
}

/// Check a suffix's ids against the run-time and the DFU-mode ids: either may match
/// (dfu-util and fwupd do the same). 0xFFFF is a wildcard.
pub fn check_ids(file: UsbIds, runtime: Option<UsbIds>, dfu: Option<UsbIds>) -> IdCheck {
    let s = file;
    if s.vendor == suffix::ANY && s.product == suffix::ANY && s.device == suffix::ANY {
        return IdCheck::Unspecified;
    }
    let fits = |d: &UsbIds| {
        id_ok(s.vendor, d.vendor) && id_ok(s.product, d.product) && release_ok(s.device, d.device)
    };
    let candidates: Vec<UsbIds> = runtime.into_iter().chain(dfu).collect();
    if candidates.iter().any(fits) {
        IdCheck::Match
    } else {
        IdCheck::Mismatch {
            file,
            device: candidates.last().copied().unwrap_or(file),
        }
    }
}

impl FirmwareFile {
    /// The ids the suffix names, if there is a suffix.
    pub fn suffix_ids(&self) -> Option<UsbIds> {
        self.suffix.map(|s| UsbIds {
            vendor: s.vendor,
            product: s.product,
            device: s.device,
        })
    }

    /// Check the suffix ids against the run-time and the DFU-mode ids.
    pub fn check_ids(&self, runtime: Option<UsbIds>, dfu: Option<UsbIds>) -> IdCheck {
        match self.suffix_ids() {
            Some(ids) => check_ids(ids, runtime, dfu),
            None => IdCheck::Unspecified,
        }
    }
}

impl FirmwareFile {
    /// Total payload bytes.
    pub fn payload_len(&self) -> u64 {
        match &self.image {
            Image::Raw(d) => d.len() as u64,
            Image::Addressed(t) => t
                .iter()
                .flat_map(|t| &t.elements)
                .map(|e| e.data.len() as u64)
                .sum(),
        }
    }
}

fn looks_like_hex(b: &[u8]) -> bool {
    let t = b.trim_ascii_start();
    // A ':' and a first line of printable text: a HEX file (damaged ones get HEX errors
    // rather than being flashed as a binary).
    t.first() == Some(&b':')
        && t.iter()
            .take(600)
            .take_while(|&&c| c != b'\n')
            .all(|c| c.is_ascii_graphic() || matches!(c, b'\r' | b' ' | b'\t'))
}

/// Parse a firmware file of any supported format.
pub fn parse(bytes: &[u8], opts: &ParseOptions) -> Result<FirmwareFile, FileError> {
    if bytes.is_empty() {
        return Err(FileError::Empty);
    }
    if bytes.len() > MAX_FILE {
        return Err(FileError::TooLarge {
            size: bytes.len() as u64,
            limit: MAX_FILE as u64,
        });
    }
    let mut warnings = Vec::new();
    let (suffix, payload) = match suffix::find(bytes) {
        None => (None, bytes),
        Some(Err(length)) => return Err(FileError::BadSuffixLength { length }),
        Some(Ok((s, len))) => {
            if !s.crc_ok() {
                if !opts.ignore_crc {
                    return Err(FileError::CorruptCrc {
                        stored: s.crc,
                        computed: s.computed_crc,
                    });
                }
                warnings.push(Warning::CrcIgnored {
                    stored: s.crc,
                    computed: s.computed_crc,
                });
            }
            if usize::from(s.length) != suffix::SUFFIX_LEN {
                warnings.push(Warning::OddSuffixLength { length: s.length });
            }
            (Some(s), &bytes[..len])
        }
    };
    if payload.starts_with(b"DfuSe") {
        let Some(s) = suffix else {
            return Err(FileError::MissingSuffix);
        };
        if s.bcd_dfu != 0x011A {
            warnings.push(Warning::DfuseSuffixVersion { bcd_dfu: s.bcd_dfu });
        }
        let targets = dfuse::parse(payload, bytes.len(), &mut warnings)?;
        return Ok(FirmwareFile {
            format: Format::Dfuse,
            suffix,
            image: Image::Addressed(targets),
            entry_point: None,
            warnings,
        });
    }
    if looks_like_hex(payload) {
        let hex = ihex::parse(payload)?;
        return Ok(FirmwareFile {
            format: Format::IntelHex,
            suffix,
            image: Image::Addressed(vec![Target {
                alt: 0,
                name: None,
                elements: hex.elements,
            }]),
            entry_point: hex.entry_point,
            warnings,
        });
    }
    if payload.is_empty() {
        return Err(FileError::Empty);
    }
    if payload.starts_with(b"\x7fELF") {
        return Err(FileError::Unsupported {
            what: "an ELF program file (a build output, not a firmware image)",
        });
    }
    if payload.len() >= 4
        && payload.starts_with(b"S0")
        && payload[2..4].iter().all(u8::is_ascii_hexdigit)
    {
        return Err(FileError::Unsupported {
            what: "a Motorola S-record file",
        });
    }
    Ok(FirmwareFile {
        format: if suffix.is_some() {
            Format::DfuSuffix
        } else {
            Format::Raw
        },
        suffix,
        image: Image::Raw(payload.to_vec()),
        entry_point: None,
        warnings,
    })
}
