//! Firmware file formats: raw binary, DFU suffix, DfuSe container, Intel HEX.
//!
//! [`parse`] detects the format; the result is the only way to hold a firmware image.

pub mod dfuse;
pub mod ihex;
pub mod sniff;
pub mod stream;
pub mod suffix;

pub use dfuse::FilePart;
pub use ihex::HexProblem;
pub use sniff::NotFirmware;
pub use stream::{Scan, Streamed, MAX_STREAM};
pub use suffix::{jamcrc, Suffix};

use std::fmt;

/// Largest file accepted (no DFU device holds more).
pub const MAX_FILE: usize = 64 << 20;

/// A plain image smaller than this is much smaller than any real firmware (a vector table
/// and a startup routine alone take more): flashing it needs the user's confirmation.
pub const TINY_IMAGE: u64 = 256;

/// How to parse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Accept a file whose suffix CRC is wrong (the user insists).
    pub ignore_crc: bool,
}

/// What kind of file it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub address: u32,
    pub data: Vec<u8>,
}

impl Element {
    /// One past the last byte.
    pub fn end(&self) -> u64 {
        u64::from(self.address) + self.data.len() as u64
    }
}

/// The elements for one alt setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub alt: u8,
    /// Untrusted text from the file.
    pub name: Option<String>,
    pub elements: Vec<Element>,
}

/// The firmware itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Image {
    /// Bytes to send as they are (DFU 1.1), or to place at an address on DfuSe.
    Raw(Vec<u8>),
    /// Addressed elements per alt setting (DfuSe files, Intel HEX).
    Addressed(Vec<Target>),
    /// A plain image too large to hold, sent from its file as [`Image::Raw`] would be
    /// ([`stream`]).
    Stream(Streamed),
}

/// Something odd but not fatal about a file.
#[derive(Debug, Clone, PartialEq, Eq)]
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
        // A technical line for logs and developers; what a person reads is worded in
        // `ui::words`.
        write!(f, "{self:?}")
    }
}

/// Why a file cannot be used, as data: `ui::words::file_error` says it as a sentence the
/// user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The file ends inside `what` (a part's name, worded by `ui::words`).
    Truncated {
        what: FilePart,
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
    /// A line that is not a well-formed record (what is wrong is worded by `ui::words`).
    HexSyntax {
        line: usize,
        reason: HexProblem,
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
    /// The content is plainly not a firmware image (a web page, text, an archive, …).
    NotFirmware(NotFirmware),
    /// A file named `.dfu` that is neither a DfuSe file nor carries a DFU suffix.
    DfuWithoutSuffix,
    /// The file's length changed while it was read: it was `size` bytes when chosen,
    /// and `read` bytes came.
    Changed {
        size: u64,
        read: u64,
    },
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A technical line for logs and developers; what a person reads is worded in
        // `ui::words`.
        write!(f, "{self:?}")
    }
}

impl std::error::Error for FileError {}

/// A parsed firmware file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirmwareFile {
    pub format: Format,
    pub suffix: Option<Suffix>,
    pub image: Image,
    /// HEX start address (records 03/05).
    pub entry_point: Option<u32>,
    pub warnings: Vec<Warning>,
}

/// USB ids of a device, to check a suffix against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsbIds {
    pub vendor: u16,
    pub product: u16,
    /// bcdDevice.
    pub device: u16,
}

/// Whether a file's suffix names this device.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// A release number (bcdDevice) as people write it: 0x0100 is "1.00", 0x0213 "2.13";
/// one that is not binary-coded decimal in hex ("0x00ab").
pub fn release(bcd: u16) -> String {
    let decimal = (0..4).all(|i| (bcd >> (i * 4)) & 0xF <= 9);
    if decimal {
        format!("{:x}.{:02x}", bcd >> 8, bcd & 0xFF)
    } else {
        format!("{bcd:#06x}")
    }
}

/// Which of a device's ids a file names otherwise: the maker, the model or the release.
/// It is data; `ui::words::mismatch` says it in the customer's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdDifference {
    /// Another vendor id.
    Vendor,
    /// The same vendor, another product id.
    Product,
    /// The same vendor and product, another release (bcdDevice).
    Release,
}

/// What differs between the ids a file names and a device's (a wildcard or an unspecified
/// release never differs; ids that all agree are reported as a release difference).
pub fn difference(file: UsbIds, device: UsbIds) -> IdDifference {
    if !id_ok(file.vendor, device.vendor) {
        IdDifference::Vendor
    } else if !id_ok(file.product, device.product) {
        IdDifference::Product
    } else {
        IdDifference::Release
    }
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
    /// A plain image much smaller than any real firmware ([`TINY_IMAGE`]).
    pub fn is_tiny(&self) -> bool {
        matches!(&self.image, Image::Raw(d) if (d.len() as u64) < TINY_IMAGE)
    }

    /// The image is sent from its file, not held ([`Image::Stream`]).
    pub fn is_streamed(&self) -> bool {
        matches!(self.image, Image::Stream(_))
    }

    /// Total payload bytes.
    pub fn payload_len(&self) -> u64 {
        match &self.image {
            Image::Raw(d) => d.len() as u64,
            Image::Stream(s) => s.len,
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
            check_suffix(&s, opts, &mut warnings)?;
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
    plain(payload.is_empty(), payload, suffix, warnings, || {
        Image::Raw(payload.to_vec())
    })
}

/// A plain image, with or without a DFU suffix: refused when `empty`, or when its first
/// bytes `start` are plainly not firmware; else `image()` (held whole, or streamed).
fn plain(
    empty: bool,
    start: &[u8],
    suffix: Option<Suffix>,
    warnings: Vec<Warning>,
    image: impl FnOnce() -> Image,
) -> Result<FirmwareFile, FileError> {
    if empty {
        return Err(FileError::Empty);
    }
    if let Some(kind) = sniff::sniff(start) {
        return Err(FileError::NotFirmware(kind));
    }
    Ok(FirmwareFile {
        format: if suffix.is_some() {
            Format::DfuSuffix
        } else {
            Format::Raw
        },
        suffix,
        image: image(),
        entry_point: None,
        warnings,
    })
}

/// Parse a file the user chose, by its content and its name: a file named `.dfu` must be a
/// DfuSe file or carry a DFU suffix (a plain image saved under that name is a damaged
/// download, or not firmware at all).
pub fn parse_named(
    bytes: &[u8],
    name: &str,
    opts: &ParseOptions,
) -> Result<FirmwareFile, FileError> {
    let f = parse(bytes, opts)?;
    if dfu_name(name) && !matches!(f.format, Format::DfuSuffix | Format::Dfuse) {
        return Err(FileError::DfuWithoutSuffix);
    }
    Ok(f)
}

/// A file named `*.dfu`.
fn dfu_name(name: &str) -> bool {
    name.trim_end()
        .rsplit_once('.')
        .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("dfu"))
}

/// A suffix's CRC (refused when wrong, unless the user insists) and its bLength (a
/// warning when it is not 16): the same for a file held whole and one read in slices.
fn check_suffix(
    s: &Suffix,
    opts: &ParseOptions,
    warnings: &mut Vec<Warning>,
) -> Result<(), FileError> {
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
    Ok(())
}
