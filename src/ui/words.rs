//! The customer's sentences for what the core reports: a file that cannot be used, a
//! device error, a plan that cannot be made, a warning about a file. The core's own
//! `Display` of these types is a short technical line for logs; what a person reads is
//! worded here (and nowhere else), so it can be translated in one place.

use crate::core::descriptor::DescriptorError;
use crate::core::file::sniff::NotFirmware;
use crate::core::file::{FileError, Warning};
use crate::core::memmap::MemoryMapError;
use crate::core::protocol::Status;
use crate::core::{Error, ErrorKind, LinkError, Phase, PlanError};
use std::fmt::{self, Write};

/// What `write` writes about `x`, as a String (writing into a String cannot fail).
fn written<T: ?Sized>(x: &T, write: fn(&T, &mut String) -> fmt::Result) -> String {
    let mut s = String::new();
    let _ = write(x, &mut s);
    s
}

/// Why a file cannot be used, as a sentence the user can act on.
pub fn file_error(e: &FileError) -> String {
    written(e, file_error_into)
}

/// A warning about a file the page accepted.
pub fn file_warning(w: &Warning) -> String {
    written(w, warning_into)
}

/// A device error: what failed, where, and what the device said (its remedy is
/// `ui::remedy`).
pub fn device_error(e: &Error) -> String {
    written(e, device_error_into)
}

/// Why no update plan could be made for this file and device.
pub fn plan_error(e: &PlanError) -> String {
    written(e, plan_error_into)
}

/// What a DFU status code means, in plain words. `dfuse` selects ST's meanings of
/// errTARGET (bad address) and errVENDOR (read protection).
pub fn status_meaning(status: Status, dfuse: bool) -> &'static str {
    match status {
        Status::Ok => "no error",
        Status::ErrTarget if dfuse => "the address is not allowed on this device",
        Status::ErrTarget => "the file is not meant for this device",
        Status::ErrFile => "the file is for this device but failed its checks",
        Status::ErrWrite => "the device cannot write its memory",
        Status::ErrErase => "erasing the memory failed",
        Status::ErrCheckErased => "the memory was not blank after erasing",
        Status::ErrProg => "programming the memory failed",
        Status::ErrVerify => "the programmed memory failed verification",
        Status::ErrAddress => "the address is out of range",
        Status::ErrNotdone => "the device expected more data before the end",
        Status::ErrFirmware => "the firmware on the device is corrupt or missing",
        Status::ErrVendor if dfuse => "read protection is active on the device",
        Status::ErrVendor => "a vendor-specific error",
        Status::ErrUsbr => "the device saw an unexpected USB reset",
        Status::ErrPor => "the device saw an unexpected power-on reset",
        Status::ErrUnknown => "an unknown failure",
        Status::ErrStalledPkt => "the device refused an unexpected request",
        Status::Other(_) => "a status code the DFU specification does not define",
    }
}

fn warning_into(w: &Warning, f: &mut String) -> fmt::Result {
    match w {
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

fn file_error_into(e: &FileError, f: &mut String) -> fmt::Result {
    match e {
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
        FileError::NotFirmware(kind) => write!(f, "{}", not_firmware(*kind)),
        FileError::DfuWithoutSuffix => write!(
            f,
            "This .dfu file is neither a DfuSe file nor has a DFU suffix: it is damaged or not a firmware file. Download it again from the device's maker."
        ),
        FileError::HexNoEof => write!(
            f,
            "The HEX file has no end-of-file record: it is cut short. Download it again."
        ),
    }
}

/// What the user is told about content that is not firmware: what it is, and what to do.
fn not_firmware(kind: NotFirmware) -> String {
    let choose = "choose the firmware file itself (usually ending in .dfu, .bin or .hex)";
    let what = match kind {
        NotFirmware::Html => {
            return format!("This is a web page (HTML), not a firmware file: the download probably saved the page, or an error page, instead of the file. Go back to the maker's download page, download the firmware again, and {choose}.")
        }
        NotFirmware::Text => {
            return format!("This is a text file, not a firmware file (firmware is binary data, never readable text). It may be release notes or instructions: read them, then {choose}.")
        }
        NotFirmware::Srecord => {
            return "This is a Motorola S-record file, which this page cannot write. Use the .dfu, .bin or .hex file the maker provides.".into()
        }
        NotFirmware::Elf => {
            return "This is an ELF program file (a build output, not a firmware image). Convert it to .bin or .hex, or use the .dfu, .bin or .hex file the maker provides.".into()
        }
        NotFirmware::Uf2 => {
            return "This is a UF2 file. UF2 files are copied onto a device while it shows up as a USB drive (often after pressing its reset button twice); this page cannot write them. Use the maker's .dfu, .bin or .hex file, or copy this file onto the drive.".into()
        }
        NotFirmware::WindowsProgram => {
            return format!("This is a Windows program (perhaps the maker's own update tool), not a firmware file. This page needs no program: {choose}.")
        }
        NotFirmware::MacProgram => {
            return format!("This is a macOS program, not a firmware file. This page needs no program: {choose}.")
        }
        NotFirmware::Zip => "a ZIP archive",
        NotFirmware::Gzip => "a gzip archive",
        NotFirmware::SevenZip => "a 7-Zip archive",
        NotFirmware::Rar => "a RAR archive",
        NotFirmware::Xz => "an xz archive",
        NotFirmware::Bzip2 => "a bzip2 archive",
        NotFirmware::Zstd => "a Zstandard archive",
        NotFirmware::Tar => "a tar archive",
        NotFirmware::Xml => "an XML document",
        NotFirmware::Json => "a JSON data file",
        NotFirmware::Pdf => "a PDF document",
        NotFirmware::OfficeDocument => "a Microsoft Office document",
        NotFirmware::Png => "a picture (PNG)",
        NotFirmware::Jpeg => "a picture (JPEG)",
        NotFirmware::Gif => "a picture (GIF)",
        NotFirmware::Bmp => "a picture (BMP)",
        NotFirmware::Webp => "a picture (WebP)",
    };
    if kind.is_archive() {
        format!("This is {what}, which holds other files. Unpack it first (on most computers: double-click it, or right-click it and choose Extract), then {choose} from inside it.")
    } else {
        format!("This is {what}, not a firmware file. Go back to the maker's download page and {choose}.")
    }
}

fn device_error_into(e: &Error, f: &mut String) -> fmt::Result {
    let what = match e.phase {
        Phase::Prepare => "preparing the device",
        Phase::Detach => "switching the device to update mode",
        Phase::Erase => "erasing",
        Phase::Write => "writing",
        Phase::Verify => "verifying",
        Phase::Manifest => "finishing the update",
        Phase::Leave => "restarting the device",
        Phase::Upload => "reading the firmware",
    };
    if matches!(e.kind, ErrorKind::Cancelled) {
        write!(f, "Cancelled while {what}.")?;
    } else {
        write!(f, "Failed while {what}")?;
        if let Some(a) = e.address {
            write!(f, " at address {a:#010x}")?;
        }
        write!(f, ": ")?;
        match &e.kind {
            ErrorKind::DeviceStatus { status, state, .. } => write!(
                f,
                "{} (the device reports {} in state {}).",
                status_meaning(*status, e.dfuse),
                status.name(),
                state.name()
            )?,
            ErrorKind::Stalled { request } => {
                write!(f, "the device refused the {} request.", request.name())?
            }
            ErrorKind::UnexpectedState { state } => {
                write!(f, "the device reported an unexpected state, {}.", state.name())?
            }
            ErrorKind::BadStatusReply { len } => write!(
                f,
                "the device sent a malformed status reply ({len} bytes instead of 6)."
            )?,
            ErrorKind::OverlongReply { asked, got } => {
                write!(f, "the device sent {got} bytes where {asked} were asked for.")?
            }
            ErrorKind::Link(LinkError::Disconnected) => write!(f, "the device disconnected.")?,
            ErrorKind::Link(LinkError::Timeout) => write!(f, "the device did not answer in time.")?,
            ErrorKind::Link(LinkError::Other) => write!(f, "the USB transfer failed.")?,
            ErrorKind::StuckBusy { polls, waited_ms } => write!(
                f,
                "the device stayed busy for {waited_ms} ms ({polls} status checks)."
            )?,
            ErrorKind::PollTimeoutTooLong { ms } => {
                write!(f, "the device asked to wait {ms} ms, which is not plausible.")?
            }
            ErrorKind::NotIdle { state, status } => write!(
                f,
                "the device could not be made ready (state {}, status {}).",
                state.name(),
                status.name()
            )?,
            ErrorKind::RuntimeMode => write!(f, "the device is not in update mode.")?,
            ErrorKind::Unsupported { what } => write!(f, "the device does not support {what}.")?,
            ErrorKind::VerifyMismatch {
                address,
                expected,
                found,
            } => write!(
                f,
                "the byte read back at {address:#010x} is {found:#04x}, but {expected:#04x} was written."
            )?,
            ErrorKind::ShortRead { address, missing } => write!(
                f,
                "the device returned {missing} bytes too few when reading from {address:#010x}."
            )?,
            ErrorKind::Internal { what } => write!(
                f,
                "the updater stopped itself on an internal error ({what}); nothing more was sent to the device."
            )?,
            ErrorKind::Cancelled => {}
        }
    }
    if let Some(t) = &e.device_text {
        let t: String = t.chars().filter(|c| !c.is_control()).take(120).collect();
        write!(f, " The device says: \u{201c}{}\u{201d}.", t.trim())?;
    }
    Ok(())
}

fn plan_error_into(e: &PlanError, f: &mut String) -> fmt::Result {
    match e {
        PlanError::EmptyImage => write!(f, "The firmware image is empty."),
        PlanError::NotWritable { address, len } => write!(
            f,
            "The file writes {len} bytes at {address:#010x}, which is not writable memory on this device. The file is probably for another device."
        ),
        PlanError::Overlap { address } => write!(
            f,
            "The file writes address {address:#010x} twice. The file is damaged."
        ),
        PlanError::DownloadNotSupported => {
            write!(f, "This device does not accept firmware downloads.")
        }
        PlanError::UploadNotSupported => write!(
            f,
            "This device does not allow reading its firmware back."
        ),
        PlanError::NotReadable { address, len } => write!(
            f,
            "The {len} bytes at {address:#010x} are not readable on this device."
        ),
    }
}

/// A device's descriptors that could not be read, as a clause ("the device sent …").
pub fn descriptor_error(e: &DescriptorError) -> String {
    match e {
        DescriptorError::Truncated { what, needed, got } => {
            format!("the device sent a {what} of {got} bytes where {needed} are needed")
        }
        DescriptorError::WrongType { expected, got } => format!(
            "the device sent descriptor type {got:#04x} where {expected:#04x} was asked for"
        ),
        DescriptorError::BadLength { offset, length } => format!(
            "the device's configuration descriptor is malformed (length {length} at byte {offset})"
        ),
    }
}

/// A memory-layout string the device sent that could not be read.
pub fn memory_map_error(e: &MemoryMapError) -> String {
    format!(
        "the device's memory layout is malformed at character {}: {}",
        e.offset, e.reason
    )
}
