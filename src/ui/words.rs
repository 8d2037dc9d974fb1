//! The customer's sentences for what the core reports: a file that cannot be used, a
//! device error, a plan that cannot be made, a warning about a file. The core's own
//! `Display` of these types is a short technical line for logs; what a person reads is
//! worded here (and nowhere else), by the `words.*` keys of the message table
//! (`lang/<tag>.json`, see `ui::text`), so it can be translated in one place.

use super::text::{fill, text};
use crate::core::descriptor::{DescriptorError, DescriptorKind};
use crate::core::file::sniff::NotFirmware;
use crate::core::file::{self, FileError, FilePart, HexProblem, IdDifference, UsbIds, Warning};
use crate::core::memmap::{MapProblem, MemoryMapError};
use crate::core::protocol::Status;
use crate::core::{Error, ErrorKind, Fault, LinkError, Operation, Phase, PlanError};
use crate::t;

/// An address or a 32-bit value as the sentences show it (`0x08000000`).
fn hex32(v: u32) -> String {
    format!("{v:#010x}")
}

/// A byte as the sentences show it (`0x0c`).
fn hex8(v: u8) -> String {
    format!("{v:#04x}")
}

/// Why a file cannot be used, as a sentence the user can act on.
pub fn file_error(e: &FileError) -> String {
    match e {
        FileError::Empty => t!("words.file.empty"),
        FileError::TooLarge { size, limit } => fill(
            "words.file.too_large",
            &[
                ("size", &super::device::size(*size)),
                ("limit", &super::device::size(*limit)),
            ],
        ),
        FileError::Changed { size, read } => fill(
            "words.file.changed",
            &[
                ("size", &super::device::size(*size)),
                ("read", &super::device::size(*read)),
            ],
        ),
        FileError::CorruptCrc { stored, computed } => fill(
            "words.file.corrupt_crc",
            &[("stored", &hex32(*stored)), ("computed", &hex32(*computed))],
        ),
        FileError::BadSuffixLength { length } => {
            t!("words.file.bad_suffix_length", length = length)
        }
        FileError::NotDfuse => t!("words.file.not_dfuse"),
        FileError::UnsupportedVersion { version } => {
            t!("words.file.unsupported_version", version = version)
        }
        FileError::MissingSuffix => t!("words.file.missing_suffix"),
        FileError::NoTargets => t!("words.file.no_targets"),
        FileError::EmptyTarget { target } => t!("words.file.empty_target", target = target),
        FileError::TooManyElements { target, count } => {
            t!(
                "words.file.too_many_elements",
                target = target,
                count = count
            )
        }
        FileError::Truncated {
            what,
            offset,
            missing,
        } => t!(
            "words.file.truncated",
            what = text(file_part(*what)),
            offset = offset,
            missing = missing
        ),
        FileError::BadTargetSignature { offset } => {
            t!("words.file.bad_target_signature", offset = offset)
        }
        FileError::TargetSizeMismatch {
            target,
            stated,
            actual,
        } => t!(
            "words.file.target_size_mismatch",
            target = target,
            stated = stated,
            actual = actual
        ),
        FileError::AddressOverflow { address, size } => fill(
            "words.file.address_overflow",
            &[("size", &size.to_string()), ("address", &hex32(*address))],
        ),
        FileError::Overlap { target, address } => fill(
            "words.file.overlap",
            &[
                ("target", &target.to_string()),
                ("address", &hex32(*address)),
            ],
        ),
        FileError::HexSyntax { line, reason } => {
            t!(
                "words.file.hex_syntax",
                reason = text(hex_problem(*reason)),
                line = line
            )
        }
        FileError::HexChecksum { line } => t!("words.file.hex_checksum", line = line),
        FileError::HexOverlap {
            line,
            earlier_line,
            address,
        } => fill(
            "words.file.hex_overlap",
            &[
                ("address", &hex32(*address)),
                ("earlier_line", &earlier_line.to_string()),
                ("line", &line.to_string()),
            ],
        ),
        FileError::HexDataAfterEof { eof_line, line } => {
            t!(
                "words.file.hex_data_after_eof",
                eof_line = eof_line,
                line = line
            )
        }
        FileError::NotFirmware(kind) => text(not_firmware(*kind)),
        FileError::DfuWithoutSuffix => t!("words.file.dfu_without_suffix"),
        FileError::HexNoEof => t!("words.file.hex_no_eof"),
    }
}

/// A warning about a file the page accepted.
pub fn file_warning(w: &Warning) -> String {
    match w {
        Warning::CrcIgnored { stored, computed } => fill(
            "words.warning.crc_ignored",
            &[("stored", &hex32(*stored)), ("computed", &hex32(*computed))],
        ),
        Warning::OddSuffixLength { length } => {
            t!("words.warning.odd_suffix_length", length = length)
        }
        Warning::ImageSize { stated, actual } => {
            t!("words.warning.image_size", stated = stated, actual = actual)
        }
        Warning::TrailingBytes { count } => t!("words.warning.trailing_bytes", count = count),
        Warning::DfuseSuffixVersion { bcd_dfu } => t!(
            "words.warning.dfuse_suffix_version",
            version = format!("{bcd_dfu:#06x}")
        ),
    }
}

/// A device error: what failed, where, and what the device said (its remedy is
/// `ui::remedy`).
pub fn device_error(e: &Error) -> String {
    let (cancelled, failed, failed_at) = phase_keys(e.phase);
    let mut s = match reason(e) {
        None => text(cancelled),
        Some(reason) => match e.address {
            Some(a) => fill(failed_at, &[("address", &hex32(a)), ("reason", &reason)]),
            None => fill(failed, &[("reason", &reason)]),
        },
    };
    if let Some(t) = &e.device_text {
        let t: String = t.chars().filter(|c| !c.is_control()).take(120).collect();
        s.push(' ');
        s.push_str(&t!("words.device.says", text = t.trim()));
    }
    s
}

/// The sentences of a device error in `phase`: cancelled, failed, failed at an address.
fn phase_keys(phase: Phase) -> (&'static str, &'static str, &'static str) {
    match phase {
        Phase::Prepare => (
            "words.device.cancelled.prepare",
            "words.device.failed.prepare",
            "words.device.failed_at.prepare",
        ),
        Phase::Detach => (
            "words.device.cancelled.detach",
            "words.device.failed.detach",
            "words.device.failed_at.detach",
        ),
        Phase::Erase => (
            "words.device.cancelled.erase",
            "words.device.failed.erase",
            "words.device.failed_at.erase",
        ),
        Phase::Write => (
            "words.device.cancelled.write",
            "words.device.failed.write",
            "words.device.failed_at.write",
        ),
        Phase::Verify => (
            "words.device.cancelled.verify",
            "words.device.failed.verify",
            "words.device.failed_at.verify",
        ),
        Phase::Manifest => (
            "words.device.cancelled.manifest",
            "words.device.failed.manifest",
            "words.device.failed_at.manifest",
        ),
        Phase::Leave => (
            "words.device.cancelled.leave",
            "words.device.failed.leave",
            "words.device.failed_at.leave",
        ),
        Phase::Compare => (
            "words.device.cancelled.compare",
            "words.device.failed.compare",
            "words.device.failed_at.compare",
        ),
        Phase::Upload => (
            "words.device.cancelled.upload",
            "words.device.failed.upload",
            "words.device.failed_at.upload",
        ),
    }
}

/// What went wrong, as the clause after "Failed while …:" (none for a cancel).
fn reason(e: &Error) -> Option<String> {
    Some(match &e.kind {
        ErrorKind::DeviceStatus { status, state, .. } => t!(
            "words.device.reason.device_status",
            meaning = status_meaning(*status, e.dfuse),
            status = status.name(),
            state = state.name()
        ),
        ErrorKind::Stalled { request } => {
            t!("words.device.reason.stalled", request = request.name())
        }
        ErrorKind::UnexpectedState { state } => {
            t!("words.device.reason.unexpected_state", state = state.name())
        }
        ErrorKind::BadStatusReply { len } => {
            t!("words.device.reason.bad_status_reply", len = len)
        }
        ErrorKind::OverlongReply { asked, got } => {
            t!(
                "words.device.reason.overlong_reply",
                got = got,
                asked = asked
            )
        }
        ErrorKind::Link(LinkError::Disconnected) => t!("words.device.reason.disconnected"),
        ErrorKind::Link(LinkError::Timeout) => t!("words.device.reason.timeout"),
        ErrorKind::Link(LinkError::Other) => t!("words.device.reason.transfer_failed"),
        ErrorKind::StuckBusy { polls, waited_ms } => {
            t!(
                "words.device.reason.stuck_busy",
                ms = waited_ms,
                polls = polls
            )
        }
        ErrorKind::PollTimeoutTooLong { ms } => {
            t!("words.device.reason.poll_timeout_too_long", ms = ms)
        }
        ErrorKind::NotIdle { state, status } => t!(
            "words.device.reason.not_idle",
            state = state.name(),
            status = status.name()
        ),
        ErrorKind::RuntimeMode => t!("words.device.reason.runtime_mode"),
        ErrorKind::Unsupported { what } => {
            t!(
                "words.device.reason.unsupported",
                what = text(operation(*what))
            )
        }
        ErrorKind::VerifyMismatch {
            address,
            expected,
            found,
        } => fill(
            "words.device.reason.verify_mismatch",
            &[
                ("address", &hex32(*address)),
                ("found", &hex8(*found)),
                ("expected", &hex8(*expected)),
            ],
        ),
        ErrorKind::FileUnreadable { offset } => {
            t!("words.device.reason.file_unreadable", offset = offset)
        }
        ErrorKind::ShortRead { address, missing } => fill(
            "words.device.reason.short_read",
            &[
                ("missing", &missing.to_string()),
                ("address", &hex32(*address)),
            ],
        ),
        ErrorKind::Internal { what } => {
            t!("words.device.reason.internal", what = text(fault(*what)))
        }
        ErrorKind::Cancelled => return None,
    })
}

/// Why no update plan could be made for this file and device.
pub fn plan_error(e: &PlanError) -> String {
    match e {
        PlanError::EmptyImage => t!("words.plan.empty_image"),
        PlanError::NotWritable { address, len } => fill(
            "words.plan.not_writable",
            &[("len", &len.to_string()), ("address", &hex32(*address))],
        ),
        PlanError::Overlap { address } => t!("words.plan.overlap", address = hex32(*address)),
        PlanError::DownloadNotSupported => t!("words.plan.download_not_supported"),
        PlanError::UploadNotSupported => t!("words.plan.upload_not_supported"),
        PlanError::NotReadable { address, len } => fill(
            "words.plan.not_readable",
            &[("len", &len.to_string()), ("address", &hex32(*address))],
        ),
    }
}

/// What a DFU status code means, in plain words. `dfuse` selects ST's meanings of
/// errTARGET (bad address) and errVENDOR (read protection).
pub fn status_meaning(status: Status, dfuse: bool) -> String {
    text(match status {
        Status::Ok => "words.status.ok",
        Status::ErrTarget if dfuse => "words.status.err_target_dfuse",
        Status::ErrTarget => "words.status.err_target",
        Status::ErrFile => "words.status.err_file",
        Status::ErrWrite => "words.status.err_write",
        Status::ErrErase => "words.status.err_erase",
        Status::ErrCheckErased => "words.status.err_check_erased",
        Status::ErrProg => "words.status.err_prog",
        Status::ErrVerify => "words.status.err_verify",
        Status::ErrAddress => "words.status.err_address",
        Status::ErrNotdone => "words.status.err_notdone",
        Status::ErrFirmware => "words.status.err_firmware",
        Status::ErrVendor if dfuse => "words.status.err_vendor_dfuse",
        Status::ErrVendor => "words.status.err_vendor",
        Status::ErrUsbr => "words.status.err_usbr",
        Status::ErrPor => "words.status.err_por",
        Status::ErrUnknown => "words.status.err_unknown",
        Status::ErrStalledPkt => "words.status.err_stalled_pkt",
        Status::Other(_) => "words.status.other",
    })
}

/// The key of what the user is told about content that is not firmware: what it is, and
/// what to do. Each kind has its whole sentences (an archive's say to unpack it first).
fn not_firmware(kind: NotFirmware) -> &'static str {
    match kind {
        NotFirmware::Html => "words.not_firmware.html",
        NotFirmware::Xml => "words.not_firmware.xml",
        NotFirmware::Json => "words.not_firmware.json",
        NotFirmware::Srecord => "words.not_firmware.srecord",
        NotFirmware::Text => "words.not_firmware.text",
        NotFirmware::Zip => "words.not_firmware.zip",
        NotFirmware::Gzip => "words.not_firmware.gzip",
        NotFirmware::SevenZip => "words.not_firmware.seven_zip",
        NotFirmware::Rar => "words.not_firmware.rar",
        NotFirmware::Xz => "words.not_firmware.xz",
        NotFirmware::Bzip2 => "words.not_firmware.bzip2",
        NotFirmware::Zstd => "words.not_firmware.zstd",
        NotFirmware::Tar => "words.not_firmware.tar",
        NotFirmware::Pdf => "words.not_firmware.pdf",
        NotFirmware::OfficeDocument => "words.not_firmware.office_document",
        NotFirmware::Png => "words.not_firmware.png",
        NotFirmware::Jpeg => "words.not_firmware.jpeg",
        NotFirmware::Gif => "words.not_firmware.gif",
        NotFirmware::Bmp => "words.not_firmware.bmp",
        NotFirmware::Webp => "words.not_firmware.webp",
        NotFirmware::Elf => "words.not_firmware.elf",
        NotFirmware::WindowsProgram => "words.not_firmware.windows_program",
        NotFirmware::MacProgram => "words.not_firmware.mac_program",
        NotFirmware::Uf2 => "words.not_firmware.uf2",
    }
}

/// A device's descriptors that could not be read, as a clause ("the device sent …").
pub fn descriptor_error(e: &DescriptorError) -> String {
    match e {
        DescriptorError::Truncated { what, needed, got } => t!(
            "words.descriptor.truncated",
            what = text(descriptor_kind(*what)),
            got = got,
            needed = needed
        ),
        DescriptorError::WrongType { expected, got } => fill(
            "words.descriptor.wrong_type",
            &[("got", &hex8(*got)), ("expected", &hex8(*expected))],
        ),
        DescriptorError::BadLength { offset, length } => {
            t!(
                "words.descriptor.bad_length",
                length = length,
                offset = offset
            )
        }
    }
}

/// A memory-layout string the device sent that could not be read (a clause).
pub fn memory_map_error(e: &MemoryMapError) -> String {
    t!(
        "words.memory_map.malformed",
        offset = e.offset,
        reason = text(map_problem(e.reason))
    )
}

/// What is wrong in a memory-layout string, as the clause after the colon.
pub(crate) fn map_problem(p: MapProblem) -> &'static str {
    match p {
        MapProblem::NoAt => "words.memory_map.no_at",
        MapProblem::ExpectedAddress => "words.memory_map.expected_address",
        MapProblem::ExpectedHexDigits => "words.memory_map.expected_hex_digits",
        MapProblem::ExpectedSlash => "words.memory_map.expected_slash",
        MapProblem::ExpectedCount => "words.memory_map.expected_count",
        MapProblem::ExpectedStar => "words.memory_map.expected_star",
        MapProblem::ExpectedSize => "words.memory_map.expected_size",
        MapProblem::ExpectedTypeLetter => "words.memory_map.expected_type_letter",
        MapProblem::NumberTooLarge => "words.memory_map.number_too_large",
        MapProblem::SectorSizeTooLarge => "words.memory_map.sector_size_too_large",
        MapProblem::EmptyGroup => "words.memory_map.empty_group",
        MapProblem::PastAddressSpace => "words.memory_map.past_address_space",
        MapProblem::UnexpectedCharacter => "words.memory_map.unexpected_character",
        MapProblem::NoSegments => "words.memory_map.no_segments",
    }
}

/// What is wrong on a HEX line, as the phrase `words.file.hex_syntax` puts in.
fn hex_problem(p: HexProblem) -> &'static str {
    match p {
        HexProblem::NotHexDigit => "words.hex.not_hex_digit",
        HexProblem::NoColon => "words.hex.no_colon",
        HexProblem::RecordLength => "words.hex.record_length",
        HexProblem::CountMismatch => "words.hex.count_mismatch",
        HexProblem::PastAddressSpace => "words.hex.past_address_space",
        HexProblem::AddressRecordLength => "words.hex.address_record_length",
        HexProblem::UnknownRecordType => "words.hex.unknown_record_type",
    }
}

/// The name of a part of a DfuSe file.
fn file_part(p: FilePart) -> &'static str {
    match p {
        FilePart::Prefix => "words.file_part.prefix",
        FilePart::TargetPrefix => "words.file_part.target_prefix",
        FilePart::ElementHeader => "words.file_part.element_header",
        FilePart::ElementData => "words.file_part.element_data",
    }
}

/// The name of a USB descriptor.
fn descriptor_kind(k: DescriptorKind) -> &'static str {
    match k {
        DescriptorKind::Device => "words.descriptor.kind.device",
        DescriptorKind::Functional => "words.descriptor.kind.functional",
        DescriptorKind::ConfigurationHeader => "words.descriptor.kind.configuration_header",
        DescriptorKind::Configuration => "words.descriptor.kind.configuration",
        DescriptorKind::String => "words.descriptor.kind.string",
    }
}

/// An operation a device does not support, as `words.device.reason.unsupported` puts it in.
pub(crate) fn operation(o: Operation) -> &'static str {
    match o {
        Operation::Upload => "words.operation.upload",
    }
}

/// Which of its own rules the updater broke, as `words.device.reason.internal` puts it in.
pub(crate) fn fault(f: Fault) -> &'static str {
    match f {
        Fault::ReplyDoesNotFit => "words.fault.reply_does_not_fit",
        Fault::CompareWithoutImage => "words.fault.compare_without_image",
        Fault::NothingPlanned => "words.fault.nothing_planned",
        Fault::ReplyForNoRequest => "words.fault.reply_for_no_request",
        Fault::RequestWhileReplyDue => "words.fault.request_while_reply_due",
        Fault::RequestWithNoStep => "words.fault.request_with_no_step",
        Fault::BlockOutsideImage => "words.fault.block_outside_image",
        Fault::CompareAsRequest => "words.fault.compare_as_request",
        Fault::ReplyWithNoStep => "words.fault.reply_with_no_step",
        Fault::WaitGotTransferReply => "words.fault.wait_got_transfer_reply",
        Fault::ResetGotTransferReply => "words.fault.reset_got_transfer_reply",
        Fault::ReplyBeforeRequest => "words.fault.reply_before_request",
    }
}

/// A USB id pair as the sentences show it (`0483:df11`).
fn ids(vendor: u16, product: u16) -> String {
    format!("{vendor:04x}:{product:04x}")
}

/// What differs between the ids a file's suffix names and a device's, as the clause
/// after "The file is made for another device:": the maker, the model or the release
/// (`core::file::difference` decides which).
pub fn mismatch(file: UsbIds, device: UsbIds) -> String {
    let this = ids(device.vendor, device.product);
    match file::difference(file, device) {
        IdDifference::Vendor => fill(
            "words.mismatch.vendor",
            &[("file", &ids(file.vendor, file.product)), ("device", &this)],
        ),
        // The same maker: the file's product id under the device's vendor id (the file
        // may say 0xffff, any maker).
        IdDifference::Product => fill(
            "words.mismatch.product",
            &[
                ("file", &ids(device.vendor, file.product)),
                ("device", &this),
            ],
        ),
        IdDifference::Release => fill(
            "words.mismatch.release",
            &[
                ("file_release", &file::release(file.device)),
                ("device", &this),
                ("device_release", &file::release(device.device)),
            ],
        ),
    }
}
