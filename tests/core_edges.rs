//! Edges of the core that `cargo xtask mutants` found untested: the boundaries of the
//! configuration parser, release numbers, id wildcards, segments, names and labels, and
//! the fit assessment's placement, learned capacity and read-back rules. Each expectation
//! comes from the spec (USB 2.0 §9.6, DFU 1.1 §4, UM0424) or from the device simulator.

use dfu_flasher::core::descriptor::{parse_configuration, DescriptorError};
use dfu_flasher::core::file::{self, check_ids, Format, IdCheck, UsbIds};
use dfu_flasher::core::fit::{assess, FlashImage, Misfit, Placement};
use dfu_flasher::core::memmap::MemoryMap;
use dfu_flasher::driver::sim::SimTransport;
use dfu_flasher::driver::{block_on, describe, DeviceInfo};
use dfu_flasher::sim::{Profile, SimDevice};

fn info(profile: &str) -> DeviceInfo {
    let mut t = SimTransport::new(SimDevice::new(Profile::by_name(profile).expect("profile")));
    block_on(describe(&mut t))
        .expect("completes")
        .expect("describes")
}

/// A configuration descriptor (USB 2.0 table 9-10) with these interfaces (table 9-12).
fn configuration(interfaces: &[(u8, u8, u8)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (i, (class, subclass, protocol)) in interfaces.iter().enumerate() {
        body.extend_from_slice(&[9, 4, i as u8, 0, 0, *class, *subclass, *protocol, 0]);
    }
    let total = (9 + body.len()) as u16;
    let mut c = vec![
        9,
        2,
        total as u8,
        (total >> 8) as u8,
        interfaces.len() as u8,
        1,
        0,
        0x80,
        50,
    ];
    c.extend(body);
    c
}

#[test]
fn a_bare_configuration_descriptor_has_no_interfaces() {
    let c = parse_configuration(&configuration(&[])).expect("9 bytes are a whole descriptor");
    assert!(c.interfaces.is_empty());
    assert!(matches!(
        parse_configuration(&configuration(&[])[..8]),
        Err(DescriptorError::Truncated {
            needed: 9,
            got: 8,
            ..
        })
    ));
}

/// DFU is class 0xFE subclass 0x01 (DFU 1.1 §4.2.1): either alone is another function.
#[test]
fn only_class_fe_subclass_1_is_dfu() {
    let c = parse_configuration(&configuration(&[(0xFE, 0x02, 0x00), (0x03, 0x01, 0x01)]))
        .expect("parses");
    assert!(
        c.interfaces.is_empty(),
        "IrDA bridge and HID boot are not DFU: {c:?}"
    );
    let c = parse_configuration(&configuration(&[(0x03, 0x01, 0x01), (0xFE, 0x01, 0x02)]))
        .expect("parses");
    assert_eq!(c.interfaces.len(), 1);
    assert_eq!(c.interfaces[0].number, 1);
}

#[test]
fn descriptor_errors_say_what_is_wrong() {
    let e = DescriptorError::Truncated {
        what: dfu_flasher::core::descriptor::DescriptorKind::Configuration,
        needed: 9,
        got: 8,
    };
    let said = dfu_flasher::ui::words::descriptor_error(&e);
    assert!(
        said.contains("configuration descriptor") && said.contains('9') && said.contains('8'),
        "{said}"
    );
}

/// bcdDevice is binary-coded decimal: every nibble 0–9, or it is shown in hex.
#[test]
fn releases_are_decimal_only_when_every_nibble_is() {
    assert_eq!(file::release(0x0100), "1.00");
    assert_eq!(file::release(0x9999), "99.99");
    assert_eq!(
        file::release(0xA100),
        "0xa100",
        "a high nibble that is not decimal"
    );
    assert_eq!(file::release(0x0A00), "0x0a00");
    assert_eq!(file::release(0x00A0), "0x00a0");
}

/// 0xFFFF is a wildcard per field (DFU 1.1 appendix B): only all three make a file that
/// names no device.
#[test]
fn only_an_all_wildcard_suffix_names_no_device() {
    let dev = UsbIds {
        vendor: 0x1209,
        product: 0x2302,
        device: 0x0100,
    };
    let any = |vendor, product, device| UsbIds {
        vendor,
        product,
        device,
    };
    assert_eq!(
        check_ids(any(0xFFFF, 0xFFFF, 0xFFFF), None, Some(dev)),
        IdCheck::Unspecified
    );
    assert_eq!(
        check_ids(any(0xFFFF, 0xFFFF, 0x0100), None, Some(dev)),
        IdCheck::Match
    );
    assert_eq!(
        check_ids(any(0x1209, 0xFFFF, 0xFFFF), None, Some(dev)),
        IdCheck::Match
    );
    assert!(matches!(
        check_ids(any(0xFFFF, 0xFFFF, 0x0200), None, Some(dev)),
        IdCheck::Mismatch { .. }
    ));
}

#[test]
fn a_segment_contains_exactly_its_addresses() {
    let m = MemoryMap::parse("@Flash /0x08000000/02*001Kg").expect("map");
    let s = &m.segments[0];
    assert!(!s.contains(0x07FF_FFFF));
    assert!(s.contains(0x0800_0000) && s.contains(0x0800_07FF));
    assert!(!s.contains(0x0800_0800), "one past the end");
}

#[test]
fn a_device_is_named_by_its_product_string_or_its_ids() {
    use dfu_flasher::ui::device_name;
    let mut d = info("stm32f4");
    let product = d.product.clone().expect("product");
    assert_eq!(d.product_name(), Some(product.trim()));
    assert_eq!(device_name(&d), product.trim());
    d.product = Some("   ".into());
    assert_eq!(d.product_name(), None);
    assert_eq!(device_name(&d), "USB device 0483:df11");
    d.product = None;
    assert_eq!(device_name(&d), "USB device 0483:df11");
}

#[test]
fn formats_have_labels_people_read() {
    assert_eq!(Format::Raw.label(), "Raw binary image");
    assert_eq!(Format::DfuSuffix.label(), "Binary image with DFU suffix");
    assert_eq!(Format::Dfuse.label(), "DfuSe file");
    assert_eq!(Format::IntelHex.label(), "Intel HEX file");
}

/// A program image for the simulator's STM32: stack in SRAM, reset handler inside.
fn program(len: usize) -> Vec<u8> {
    let mut v: Vec<u8> = (0..len).map(|i| (i * 7 + 1) as u8).collect();
    v[..8].copy_from_slice(&[0x00, 0x00, 0x02, 0x20, 0x41, 0x00, 0x00, 0x08]);
    v
}

#[test]
fn where_a_plain_image_goes_is_said_also_when_it_needs_a_confirmation() {
    let f4 = info("stm32f4");
    let zeros = FlashImage::Raw(vec![0; 4096]);
    let a = assess(&f4, None, &zeros, None, Placement::default());
    assert!(
        matches!(a.misfits.as_slice(), [Misfit::NotAProgram(_)]),
        "{a:?}"
    );
    assert_eq!(a.placed.as_ref().map(|p| p.0), Some(0x0800_0000));
    // Refused (outside memory): not placed.
    let big = FlashImage::Raw(program(2 << 20));
    let a = assess(&f4, None, &big, None, Placement::default());
    assert!(a.placed.is_none() && !a.writable(), "{a:?}");
    let a = assess(
        &f4,
        None,
        &FlashImage::Raw(program(4096)),
        None,
        Placement::default(),
    );
    assert_eq!(a.placed.as_ref().map(|p| p.0), Some(0x0800_0000));
    assert_eq!(a.jobs[0].erases, 1, "4 KiB touch one 16 KiB sector");
}

#[test]
fn a_file_exactly_as_large_as_the_learned_capacity_fits() {
    let mut d = info("dfu11-dfumode");
    d.learned_capacity = Some(4096);
    let fits = assess(
        &d,
        None,
        &FlashImage::Raw(program(4096)),
        None,
        Placement::default(),
    );
    assert!(fits.misfits.is_empty(), "{fits:?}");
    let over = assess(
        &d,
        None,
        &FlashImage::Raw(program(4097)),
        None,
        Placement::default(),
    );
    assert!(matches!(
        over.misfits.as_slice(),
        [Misfit::LargerThanLearned {
            size: 4097,
            capacity: 4096
        }]
    ));
}

/// A read-back is possible where the device can upload and does not lie about it, and,
/// for plain DFU, where it stays in DFU mode after manifestation (tolerant) or runs its
/// firmware now (it is read back in update mode before the restart). Expectations from the
/// simulator profiles' attributes (DFU 1.1 table 4.2) and quirks.
#[test]
fn a_read_back_is_possible_where_the_device_allows_it() {
    let img = FlashImage::Raw(program(4096));
    for (profile, expected) in [
        ("stm32f4", true),           // DfuSe, can upload
        ("dfu11-dfumode", true),     // DFU mode, manifestation-tolerant
        ("dfu11-runtime", true),     // run-time: read back before the restart
        ("dfu11-nontolerant", true), // run-time too
        ("dfu11-noupload", false),   // bitCanUpload clear
        ("flatfrog", false),         // upload broken (quirk)
    ] {
        let a = assess(&info(profile), None, &img, None, Placement::default());
        assert_eq!(a.can_verify, expected, "{profile}");
    }
    // In DFU mode and not manifestation-tolerant: it is gone after manifesting.
    let mut d = info("dfu11-dfumode");
    d.attributes.manifestation_tolerant = false;
    assert!(!assess(&d, None, &img, None, Placement::default()).can_verify);
}

fn target(transfer_size: u16, dfuse: bool, attributes: u8) -> dfu_flasher::core::Target {
    dfu_flasher::core::Target {
        interface: 0,
        transfer_size,
        attributes: dfu_flasher::core::descriptor::Attributes::from_bits(attributes),
        dfuse,
        quirks: Default::default(),
    }
}

#[test]
fn memory_map_errors_say_where() {
    let e = MemoryMap::parse("@Flash /0x0800000G/1*1Kg").expect_err("bad address");
    assert_eq!(
        e.reason,
        dfu_flasher::core::memmap::MapProblem::ExpectedSlash
    );
    let said = dfu_flasher::ui::words::memory_map_error(&e);
    assert!(
        said.contains(&e.offset.to_string()) && said.contains("expected '/' after the address"),
        "{said}"
    );
}

/// A DfuSe read (UM0424: Set Address, then UPLOAD blocks from 2): one Set-Address per
/// 65534 blocks (wValue 2..=0xFFFF), ABORTs only where the state requires them, and the
/// address space ends at 4 GiB.
#[test]
fn dfuse_reads_are_planned_to_the_block() {
    use dfu_flasher::core::{Plan, PlanError, PlannedWrite};
    let t = target(4, true, 0x0F);
    let p = Plan::dfuse_upload(t, 0x0800_0000, 8).expect("plan");
    assert_eq!(p.planned_writes(), [PlannedWrite::SetAddress(0x0800_0000)]);
    // Clear to idle, Set-Address, ABORT (UPLOAD needs dfuIDLE), two UPLOADs, ABORT.
    assert_eq!(p.step_count(), 6);
    assert_eq!(Plan::clear_to_idle(t).step_count(), 1);
    // A partial last block gets its own Set-Address.
    let p = Plan::dfuse_upload(t, 0x0800_0000, 10).expect("plan");
    assert_eq!(
        p.planned_writes(),
        [
            PlannedWrite::SetAddress(0x0800_0000),
            PlannedWrite::SetAddress(0x0800_0008)
        ]
    );
    // 65535 one-byte blocks: the 65535th starts a new group at its address.
    let p = Plan::dfuse_upload(target(1, true, 0x0F), 0x0800_0000, 65_535).expect("plan");
    assert_eq!(
        p.planned_writes(),
        [
            PlannedWrite::SetAddress(0x0800_0000),
            PlannedWrite::SetAddress(0x0800_FFFE)
        ]
    );
    // Up to the end of the address space, not past it.
    assert!(Plan::dfuse_upload(t, 0xFFFF_FF00, 0x100).is_ok());
    assert_eq!(
        Plan::dfuse_upload(t, 0xFFFF_FF00, 0x101).err(),
        Some(PlanError::NotReadable {
            address: 0xFFFF_FF00,
            len: 0x101
        })
    );
    // Without upload, or with an upload that lies: no read.
    assert_eq!(
        Plan::dfuse_upload(target(4, true, 0x0D), 0x0800_0000, 8).err(),
        Some(PlanError::UploadNotSupported)
    );
    let mut broken = t;
    broken.quirks.broken_upload = true;
    assert_eq!(
        Plan::dfuse_upload(broken, 0x0800_0000, 8).err(),
        Some(PlanError::UploadNotSupported)
    );
}

#[test]
fn nothing_is_written_past_4_gib() {
    use dfu_flasher::core::{DfuseOptions, Plan, PlanError};
    let map = MemoryMap::parse("@All /0xFFFFF000/04*001Kg").expect("map");
    let data = [0u8; 32];
    let r = Plan::dfuse_download(
        target(4, true, 0x0F),
        &map,
        &[(0xFFFF_FFF0, &data)],
        DfuseOptions::default(),
    );
    assert_eq!(
        r.err(),
        Some(PlanError::NotWritable {
            address: 0xFFFF_FFF0,
            len: 32
        })
    );
}

/// Progress over a whole update on the simulator: it starts near 0, never goes back, each
/// phase counts exactly its bytes, and it ends at 1; a backup of unknown size counts up.
#[test]
fn progress_counts_each_phase_exactly_and_ends_at_one() {
    use dfu_flasher::core::Phase;
    use dfu_flasher::driver::{flash, FlashOptions};
    let data = program(40_000);
    let mut t = SimTransport::new(SimDevice::new(Profile::by_name("stm32f4").expect("p")));
    let mut fractions = Vec::new();
    let mut last = None;
    let opts = FlashOptions {
        verify: true,
        restart: false,
        ..FlashOptions::default()
    };
    block_on(flash(
        &mut t,
        &FlashImage::Raw(data.clone()),
        opts,
        &mut |r| {
            fractions.push(r.progress.fraction());
            last = Some(r.progress.clone());
        },
    ))
    .expect("completes")
    .expect("flashes");
    assert!(fractions[0] < 0.05, "{:?}", &fractions[..3]);
    assert!(
        fractions.windows(2).all(|w| w[1] >= w[0]),
        "never goes back"
    );
    assert_eq!(fractions.last().copied(), Some(1.0));
    let last = last.expect("reported");
    let phase = |p: Phase| {
        last.phases
            .iter()
            .find(|x| x.phase == p)
            .copied()
            .expect("phase")
    };
    assert_eq!(phase(Phase::Write).done, 40_000);
    assert_eq!(phase(Phase::Write).total, 40_000);
    assert_eq!(phase(Phase::Verify).done, 40_000);
    // 40 000 bytes at 0x08000000 touch three 16 KiB sectors.
    assert_eq!(phase(Phase::Erase).done, 3 * 16_384);
    // A DFU 1.1 backup: its size is unknown, so the phase counts up and the fraction stays 0.
    let mut t = SimTransport::new(SimDevice::new(
        Profile::by_name("dfu11-dfumode").expect("p"),
    ));
    let shipped = t.device.firmware().len() as u64;
    let mut seen = Vec::new();
    block_on(dfu_flasher::driver::backup(&mut t, &mut |r| {
        seen.push((r.progress.current(), r.progress.fraction()));
    }))
    .expect("completes")
    .expect("backup");
    let (up, _) = seen
        .iter()
        .rev()
        .find(|(p, _)| p.phase == Phase::Upload)
        .copied()
        .expect("upload");
    assert_eq!(up.done, shipped);
    assert!(
        seen.iter().all(|(_, f)| *f == 0.0 || *f == 1.0),
        "no made-up fraction: {:?}",
        &seen[..3]
    );
}

/// The seven DFU requests (DFU 1.1 table 3.2) round-trip through a setup packet.
#[test]
fn dfu_requests_are_read_back_from_their_setup() {
    use dfu_flasher::core::protocol::{Control, Data, DfuRequest};
    for r in [
        DfuRequest::Detach,
        DfuRequest::Dnload,
        DfuRequest::Upload,
        DfuRequest::GetStatus,
        DfuRequest::ClrStatus,
        DfuRequest::GetState,
        DfuRequest::Abort,
    ] {
        assert_eq!(
            Control::dfu(r, 0, 0, Data::Out(Vec::new())).dfu_request(),
            Some(r)
        );
        assert_eq!(Control::dfu_in(r, 0, 0, 6).dfu_request(), Some(r));
    }
    assert_eq!(Control::get_descriptor(1, 0, 0, 18).dfu_request(), None);
}

/// DfuSe gives errTARGET and errVENDOR their own meanings (the digest, §5.1): a bad address,
/// read protection; in plain DFU they mean another file and a vendor error.
#[test]
fn dfuse_status_meanings_differ_where_st_redefined_them() {
    use dfu_flasher::core::protocol::Status;
    use dfu_flasher::ui::words::status_meaning;
    assert_ne!(
        status_meaning(Status::ErrTarget, true),
        status_meaning(Status::ErrTarget, false)
    );
    assert!(status_meaning(Status::ErrTarget, true).contains("address"));
    assert!(status_meaning(Status::ErrTarget, false).contains("not meant for this device"));
    assert_eq!(
        status_meaning(Status::ErrAddress, true),
        status_meaning(Status::ErrAddress, false)
    );
}

fn dfuse_with(elements: Vec<(u32, Vec<u8>)>) -> Vec<u8> {
    use dfu_flasher::core::file::{dfuse, Element, Target};
    let t = [Target {
        alt: 0,
        name: None,
        elements: elements
            .into_iter()
            .map(|(address, data)| Element { address, data })
            .collect(),
    }];
    dfuse::write(&t, 0x0483, 0xDF11, 0xFFFF, dfuse::ImageSize::WithoutSuffix)
}

fn parse_bytes(b: &[u8]) -> Result<file::FirmwareFile, file::FileError> {
    file::parse(b, &file::ParseOptions::default())
}

/// The edges of a DfuSe file (UM0391): adjacent elements are fine and overlapping ones are
/// not, an element may end exactly at 4 GiB but not past it, bytes after the last target
/// are counted, and a cut file says how many bytes are missing.
#[test]
fn dfuse_files_at_their_edges() {
    use dfu_flasher::core::file::{suffix, FileError, Warning};
    assert!(parse_bytes(&dfuse_with(vec![
        (0x0800_0000, vec![1; 16]),
        (0x0800_0010, vec![2; 16])
    ]))
    .is_ok());
    assert!(matches!(
        parse_bytes(&dfuse_with(vec![
            (0x0800_0000, vec![1; 16]),
            (0x0800_000F, vec![2; 16])
        ])),
        Err(FileError::Overlap { .. })
    ));
    assert!(parse_bytes(&dfuse_with(vec![(0xFFFF_FFF0, vec![1; 16])])).is_ok());
    assert!(matches!(
        parse_bytes(&dfuse_with(vec![(0xFFFF_FFF0, vec![1; 17])])),
        Err(FileError::AddressOverflow {
            address: 0xFFFF_FFF0,
            size: 17
        })
    ));
    // Three bytes after the last target, under a correct suffix.
    let whole = dfuse_with(vec![(0x0800_0000, vec![1; 16])]);
    let mut payload = whole[..whole.len() - 16].to_vec();
    payload.extend_from_slice(b"XYZ");
    let f = parse_bytes(&suffix::append(&payload, 0x0483, 0xDF11, 0xFFFF, 0x011A)).expect("parses");
    assert!(
        f.warnings.contains(&Warning::TrailingBytes { count: 3 }),
        "{:?}",
        f.warnings
    );
    assert!(parse_bytes(&whole).expect("parses").warnings.is_empty());
    // The element's data cut by 5 bytes.
    let cut = &whole[..whole.len() - 16 - 5];
    match parse_bytes(&suffix::append(cut, 0x0483, 0xDF11, 0xFFFF, 0x011A)) {
        Err(FileError::Truncated { missing, .. }) => assert_eq!(missing, 5),
        other => panic!("{other:?}"),
    }
}

/// Text with a UTF-16 byte-order mark needs whole code units after it.
#[test]
fn utf16_text_needs_whole_units() {
    use dfu_flasher::core::file::sniff::{sniff, NotFirmware};
    let mut t = vec![0xFF, 0xFE];
    t.extend("Hi\r\n".encode_utf16().flat_map(u16::to_le_bytes));
    assert_eq!(sniff(&t), Some(NotFirmware::Text));
    let mut be = vec![0xFE, 0xFF];
    be.extend("Hi\r\n".encode_utf16().flat_map(u16::to_be_bytes));
    assert_eq!(sniff(&be), Some(NotFirmware::Text));
    t.push(0x41);
    assert_ne!(
        sniff(&t),
        Some(NotFirmware::Text),
        "an odd byte after the units"
    );
    assert_ne!(
        sniff(&[0xFF, 0xFE]),
        Some(NotFirmware::Text),
        "a mark and nothing else"
    );
}

/// bmAttributes, bit by bit (DFU 1.1 §4.1.3 table 4.2; bit 7 is ST's "accelerated"), over
/// every byte value: each flag is its own bit and nothing else.
#[test]
fn functional_attributes_read_each_bit() {
    use dfu_flasher::core::descriptor::Attributes;
    for b in 0..=255u8 {
        let a = Attributes::from_bits(b);
        let bit = |n: u8| b & (1 << n) != 0;
        assert_eq!(
            (
                a.can_download,
                a.can_upload,
                a.manifestation_tolerant,
                a.will_detach,
                a.accelerated
            ),
            (bit(0), bit(1), bit(2), bit(3), bit(7)),
            "bmAttributes {b:#04x}"
        );
    }
}

/// A configuration descriptor from its parts, with wTotalLength filled in (USB 2.0 §9.6.3).
fn config_of(parts: &[&[u8]]) -> Vec<u8> {
    let body: Vec<u8> = parts.concat();
    let total = (9 + body.len()) as u16;
    let mut v = vec![9, 2, total as u8, (total >> 8) as u8, 1, 1, 0, 0x80, 50];
    v.extend(body);
    v
}

const DFU_INTF: [u8; 9] = [9, 4, 0, 0, 0, 0xFE, 0x01, 0x02, 0];
const HID_INTF: [u8; 9] = [9, 4, 1, 0, 1, 0x03, 0x00, 0x00, 0];
/// A HID class descriptor: type 0x21, like DFU's functional descriptor.
const HID_DESC: [u8; 9] = [9, 0x21, 0x11, 0x01, 0x00, 0x01, 0x22, 0x40, 0x00];
const DFU_FUNC: [u8; 9] = [9, 0x21, 0x0B, 0xFF, 0x00, 0x00, 0x08, 0x1A, 0x01];

#[test]
fn configuration_headers_at_their_minimum_length_are_read() {
    use dfu_flasher::core::descriptor::configuration_total_length;
    assert_eq!(configuration_total_length(&[9, 2, 0x20, 0x01]), Ok(0x120));
    assert!(matches!(
        configuration_total_length(&[9, 2, 0x20]),
        Err(DescriptorError::Truncated {
            needed: 4,
            got: 3,
            ..
        })
    ));
    // Exactly nine bytes: a configuration with no interfaces.
    let c = parse_configuration(&config_of(&[])).expect("nine bytes");
    assert!(c.interfaces.is_empty());
    assert!(matches!(
        parse_configuration(&config_of(&[])[..8]),
        Err(DescriptorError::Truncated {
            needed: 9,
            got: 8,
            ..
        })
    ));
}

#[test]
fn short_or_foreign_descriptors_inside_a_configuration_are_skipped() {
    // An interface descriptor of five bytes is not read as one (it has no class fields).
    let short_interface: &[u8] = &[5, 4, 0, 0, 0];
    let c =
        parse_configuration(&config_of(&[short_interface, &DFU_INTF, &DFU_FUNC])).expect("parses");
    assert_eq!(c.interfaces.len(), 1);
    assert_eq!(c.interfaces[0].number, 0);
    // A descriptor of two bytes (bLength and bDescriptorType only) is legal: skipped.
    let c = parse_configuration(&config_of(&[&[2, 0x24], &DFU_INTF, &DFU_FUNC])).expect("parses");
    assert_eq!(c.interfaces.len(), 1);
    assert!(matches!(
        parse_configuration(&config_of(&[&[1, 0x24], &DFU_INTF])),
        Err(DescriptorError::BadLength {
            offset: 9,
            length: 1
        })
    ));
    // A HID descriptor (also type 0x21) after a HID interface is not the DFU interface's.
    let c = parse_configuration(&config_of(&[&DFU_INTF, &HID_INTF, &HID_DESC])).expect("parses");
    assert_eq!(c.interfaces.len(), 1);
    assert_eq!(c.interfaces[0].functional, None, "{c:?}");
    // A class descriptor of type 0x21 shorter than a functional descriptor is skipped too.
    let short_hid: &[u8] = &[6, 0x21, 0x11, 0x01, 0x00, 0x01];
    let c = parse_configuration(&config_of(&[&DFU_INTF, &DFU_FUNC, &HID_INTF, short_hid]))
        .expect("parses");
    assert_eq!(
        c.interfaces[0].functional.map(|f| f.raw_version),
        Some(Some(0x011A))
    );
    // A functional descriptor before any interface applies to DFU interfaces without one.
    let c = parse_configuration(&config_of(&[&DFU_FUNC, &DFU_INTF])).expect("parses");
    assert_eq!(
        c.interfaces[0].functional.map(|f| f.raw_version),
        Some(Some(0x011A))
    );
}

#[test]
fn the_functional_descriptor_version_is_read_only_where_declared_and_present() {
    use dfu_flasher::core::descriptor::FunctionalDescriptor;
    // bLength 7 (DFU 1.0): no bcdDFUVersion, even if more bytes follow in the buffer.
    let mut seven = DFU_FUNC;
    seven[0] = 7;
    assert_eq!(
        FunctionalDescriptor::parse(&seven).expect("7").raw_version,
        None
    );
    // bLength 9 but only seven bytes sent: no version, and no read past the end.
    assert_eq!(
        FunctionalDescriptor::parse(&DFU_FUNC[..7])
            .expect("cut")
            .raw_version,
        None
    );
    assert_eq!(
        FunctionalDescriptor::parse(&DFU_FUNC)
            .expect("9")
            .raw_version,
        Some(0x011A)
    );
}

/// Protocol 0 means DFU mode only for a device whose class is DFU (class 0xFE with
/// subclass 0x01: DFU 1.0 style) or a DfuSe descriptor; 0xFE with another subclass is
/// another application-specific class (0x02 IrDA bridge, 0x03 test and measurement).
#[test]
fn protocol_zero_is_dfu_mode_only_for_the_dfu_class() {
    use dfu_flasher::core::descriptor::{DeviceDescriptor, Mode};
    let device = |class: u8, subclass: u8| {
        DeviceDescriptor::parse(&[
            18, 1, 0x00, 0x02, class, subclass, 0, 64, 0x09, 0x12, 0x03, 0x20, 0x00, 0x01, 1, 2, 3,
            1,
        ])
        .expect("device")
    };
    let mut intf = DFU_INTF;
    intf[7] = 0;
    let c = parse_configuration(&config_of(&[&intf])).expect("parses");
    let i = &c.interfaces[0];
    assert_eq!(i.mode(&device(0xFE, 0x01)), Mode::Dfu);
    assert_eq!(i.mode(&device(0xFE, 0x02)), Mode::Runtime);
    assert_eq!(i.mode(&device(0xFF, 0x01)), Mode::Runtime);
    assert_eq!(i.mode(&device(0x00, 0x00)), Mode::Runtime);
}

/// The core's own Display is a technical line naming the case (the customer's sentence is
/// `ui::words`): never empty, so a log says what happened.
#[test]
fn technical_lines_name_the_case() {
    use dfu_flasher::core::file::FileError;
    let d = DescriptorError::BadLength {
        offset: 9,
        length: 1,
    };
    assert!(d.to_string().contains("BadLength"), "{d}");
    let m = MemoryMap::parse("@Flash/0x0800000G/1*1Kg").expect_err("bad");
    assert!(m.to_string().contains("MemoryMapError"), "{m}");
    assert!(FileError::Empty.to_string().contains("Empty"));
}

/// A DfuSe file (addressed data) for one alt setting.
fn targets(address: u32, len: usize) -> FlashImage {
    use dfu_flasher::core::fit::FlashTarget;
    FlashImage::Targets(vec![FlashTarget {
        alt: 0,
        elements: vec![(address, program(len))],
    }])
}

/// Where addressed data can go is decided by what the device says of itself: a DFU 1.1
/// device in update mode never takes it; one running its firmware refuses it before the
/// detach only if its descriptor states DFU 1.1 (a short descriptor says nothing); a DfuSe
/// device running its firmware is checked again once in update mode.
#[test]
fn addressed_data_is_judged_by_what_the_device_states() {
    use dfu_flasher::core::descriptor::Mode;
    let needs_dfuse = |a: &dfu_flasher::core::fit::Assessment| {
        a.misfits.iter().any(|m| matches!(m, Misfit::NeedsDfuse))
    };
    // DFU 1.1 in update mode, with or without the version field.
    let mut plain = info("dfu11-dfumode");
    assert!(needs_dfuse(&assess(
        &plain,
        None,
        &targets(0x0800_0000, 4096),
        None,
        Placement::default()
    )));
    plain.functional.raw_version = None;
    assert!(needs_dfuse(&assess(
        &plain,
        None,
        &targets(0x0800_0000, 4096),
        None,
        Placement::default()
    )));
    // Running its firmware: refused early only when it states DFU 1.1.
    let mut runtime = info("dfu11-runtime");
    assert_eq!(runtime.mode, Mode::Runtime);
    assert!(needs_dfuse(&assess(
        &runtime,
        None,
        &targets(0x0800_0000, 4096),
        None,
        Placement::default()
    )));
    runtime.functional.raw_version = None;
    let a = assess(
        &runtime,
        None,
        &targets(0x0800_0000, 4096),
        None,
        Placement::default(),
    );
    assert!(a.misfits.is_empty() && a.checked_again, "{a:?}");
    // A DfuSe device running its firmware (no memory map yet): nothing refused now.
    let mut f4 = info("stm32f4");
    f4.mode = Mode::Runtime;
    f4.alts.clear();
    let a = assess(
        &f4,
        None,
        &targets(0x0800_0000, 4096),
        None,
        Placement::default(),
    );
    assert!(
        a.misfits.is_empty() && a.checked_again && a.jobs.is_empty(),
        "{a:?}"
    );
}

#[test]
fn writable_means_every_misfit_can_be_confirmed() {
    let f4 = info("stm32f4");
    let fits = assess(
        &f4,
        None,
        &FlashImage::Raw(program(4096)),
        None,
        Placement::default(),
    );
    assert!(fits.misfits.is_empty() && fits.writable());
    let zeros = assess(
        &f4,
        None,
        &FlashImage::Raw(vec![0; 4096]),
        None,
        Placement::default(),
    );
    assert!(
        !zeros.misfits.is_empty() && zeros.writable(),
        "only a confirmation is needed"
    );
    let big = assess(
        &f4,
        None,
        &FlashImage::Raw(program(2 << 20)),
        None,
        Placement::default(),
    );
    assert!(!big.writable());
    assert!(FlashImage::Raw(Vec::new()).is_empty());
    assert!(!FlashImage::Raw(vec![0]).is_empty());
    assert!(!targets(0x0800_0000, 8).is_empty());
    assert!(FlashImage::Targets(Vec::new()).is_empty());
}

#[test]
fn boundaries_of_files_and_strings() {
    use dfu_flasher::core::descriptor::parse_string;
    use dfu_flasher::core::file::{ParseOptions, MAX_FILE, TINY_IMAGE};
    let raw =
        |n: usize| file::parse(&program(n.max(8))[..n], &ParseOptions::default()).expect("raw");
    assert!(raw(TINY_IMAGE as usize - 1).is_tiny());
    assert!(!raw(TINY_IMAGE as usize).is_tiny());
    // The largest file accepted, and one byte more.
    let mut big = program(MAX_FILE);
    assert!(file::parse(&big, &ParseOptions::default()).is_ok());
    big.push(0);
    assert!(matches!(
        file::parse(&big, &ParseOptions::default()),
        Err(file::FileError::TooLarge { .. })
    ));
    // An empty string descriptor is two bytes: bLength and bDescriptorType.
    assert_eq!(parse_string(&[2, 3]), Ok(String::new()));
    assert!(parse_string(&[2]).is_err());
    // A ':' before binary bytes on the first line is not a HEX file.
    let mut colon = vec![b':'];
    colon.extend((0..600u32).map(|i| (i * 7 + 128) as u8));
    let f = file::parse(&colon, &ParseOptions::default());
    assert!(
        !matches!(f, Err(file::FileError::HexSyntax { .. })),
        "{f:?}"
    );
    assert_ne!(
        f.as_ref().map(|f| f.format).ok(),
        Some(Format::IntelHex),
        "{f:?}"
    );
}

#[test]
fn technical_lines_of_errors_and_warnings() {
    use dfu_flasher::core::file::Warning;
    let w = Warning::TrailingBytes { count: 3 };
    assert!(w.to_string().contains("TrailingBytes"), "{w}");
}

/// The core Error's technical line for logs: the phase, the kind, the status and state the
/// device reported, and the address.
#[test]
fn the_error_technical_line() {
    use dfu_flasher::core::protocol::{State, Status};
    use dfu_flasher::core::{Error, ErrorKind, LinkError, Phase};
    let e = Error {
        kind: ErrorKind::DeviceStatus {
            status: Status::ErrWrite,
            state: State::DfuError,
            string_index: 0,
        },
        phase: Phase::Write,
        request: None,
        address: Some(0x0800_4000),
        recovered: Some(true),
        dfuse: true,
        device_text: None,
    };
    assert_eq!(
        e.to_string(),
        "write: device error status errWRITE in dfuERROR at 0x08004000"
    );
    let gone = Error {
        kind: ErrorKind::Link(LinkError::Disconnected),
        address: None,
        phase: Phase::Erase,
        ..e
    };
    assert_eq!(gone.to_string(), "erase: disconnected");
}

/// A DFU 1.1 backup needs a device that can upload and whose upload is not known broken.
#[test]
fn uploads_are_planned_only_where_they_work() {
    use dfu_flasher::core::plan::{Plan, PlanError};
    let d = info("dfu11-dfumode");
    assert!(d.attributes.can_upload && !d.quirks.broken_upload);
    assert!(Plan::upload(d.target(), 4096).is_ok());
    let mut broken = d.clone();
    broken.quirks.broken_upload = true;
    assert!(matches!(
        Plan::upload(broken.target(), 4096),
        Err(PlanError::UploadNotSupported)
    ));
    let mut cannot = d.clone();
    cannot.attributes.can_upload = false;
    assert!(matches!(
        Plan::upload(cannot.target(), 4096),
        Err(PlanError::UploadNotSupported)
    ));
    assert!(PlanError::EmptyImage.to_string().contains("EmptyImage"));
}

/// A GETSTATUS may legitimately wait for a busy device (a long erase); every other request
/// gets the ordinary timeout.
#[test]
fn only_getstatus_waits_for_a_busy_device() {
    use dfu_flasher::core::protocol::{Control, Data, DfuRequest, Timeout};
    for r in [
        DfuRequest::Detach,
        DfuRequest::Dnload,
        DfuRequest::Upload,
        DfuRequest::GetStatus,
        DfuRequest::ClrStatus,
        DfuRequest::GetState,
        DfuRequest::Abort,
    ] {
        let want = if r == DfuRequest::GetStatus {
            Timeout::Busy
        } else {
            Timeout::Ordinary
        };
        assert_eq!(
            Control::dfu(r, 0, 0, Data::Out(Vec::new())).timeout,
            want,
            "{r:?}"
        );
        assert_eq!(Control::dfu_in(r, 0, 0, 6).timeout, want, "{r:?}");
    }
}

/// Data may end exactly at the top of the 4 GiB address space, never run past it.
#[test]
fn addressed_data_may_end_at_four_gib() {
    use dfu_flasher::core::plan::{DfuseOptions, Plan};
    let top = MemoryMap::parse("@Top /0xFFFFFF00/01*256 g").expect("map");
    let d = info("stm32f4");
    let opts = || DfuseOptions {
        verify: false,
        mass_erase: false,
        leave: false,
        leave_address: None,
        compare: false,
    };
    let data = vec![0x5A; 256];
    assert!(Plan::dfuse_download(d.target(), &top, &[(0xFFFF_FF00, &data)], opts()).is_ok());
    let past = vec![0x5A; 257];
    assert!(Plan::dfuse_download(d.target(), &top, &[(0xFFFF_FF00, &past)], opts()).is_err());
    let wraps = vec![0x5A; 32];
    assert!(Plan::dfuse_download(d.target(), &top, &[(0xFFFF_FFF0, &wraps)], opts()).is_err());
}

/// The reset vector must point into the image: its last halfword is inside, one past its
/// end is not.
#[test]
fn the_reset_vector_at_the_image_end() {
    use dfu_flasher::core::vectors::check;
    let base = 0x0800_0000u32;
    let image = |reset: u32| {
        let mut v = vec![0u8; 64];
        v[..4].copy_from_slice(&0x2000_0400u32.to_le_bytes());
        v[4..8].copy_from_slice(&reset.to_le_bytes());
        v
    };
    let last = image(base + 62 + 1);
    assert!(check(base, &[(base, &last)]).is_ok());
    let past = image(base + 64 + 1);
    assert!(check(base, &[(base, &past)]).is_err());
}

/// One Intel HEX record with its checksum (the spec's rule: the two's complement of the
/// sum of the other bytes), written here independently of the parser.
fn hex_record(offset: u16, kind: u8, data: &[u8]) -> String {
    let mut bytes = vec![data.len() as u8, (offset >> 8) as u8, offset as u8, kind];
    bytes.extend_from_slice(data);
    let sum = bytes.iter().fold(0u8, |a, b| a.wrapping_add(*b));
    bytes.push(sum.wrapping_neg());
    let mut s = String::from(":");
    for b in bytes {
        s.push_str(&format!("{b:02X}"));
    }
    s.push('\n');
    s
}

fn hex_file(records: &[String]) -> Vec<u8> {
    let mut s: String = records.concat();
    s.push_str(":00000001FF\n");
    s.into_bytes()
}

/// Intel HEX at its edges: address records of the wrong length, data ending exactly at
/// 4 GiB or past it, adjacent and overlapping records in either order.
#[test]
fn intel_hex_at_its_edges() {
    use dfu_flasher::core::file::{FileError, HexProblem};
    let wrong_length = |r: &Result<file::FirmwareFile, FileError>| {
        matches!(
            r,
            Err(FileError::HexSyntax {
                reason: HexProblem::AddressRecordLength,
                ..
            })
        )
    };
    let data = hex_record(0, 0x00, &[1, 2, 3, 4]);
    for (kind, len) in [
        (0x02u8, 3usize),
        (0x04, 3),
        (0x04, 1),
        (0x03, 3),
        (0x05, 2),
        (0x05, 5),
    ] {
        let r = parse_bytes(&hex_file(&[
            hex_record(0, kind, &vec![0; len]),
            data.clone(),
        ]));
        assert!(wrong_length(&r), "type {kind:02x} with {len} bytes: {r:?}");
    }
    for (kind, len) in [(0x02u8, 2usize), (0x04, 2), (0x03, 4), (0x05, 4)] {
        let r = parse_bytes(&hex_file(&[
            hex_record(0, kind, &vec![0; len]),
            data.clone(),
        ]));
        assert!(r.is_ok(), "type {kind:02x} with {len} bytes: {r:?}");
    }
    // The top of the address space: ends exactly at 4 GiB, or one record past it.
    let top = hex_record(0, 0x04, &[0xFF, 0xFF]);
    let at_end = parse_bytes(&hex_file(&[
        top.clone(),
        hex_record(0xFFF0, 0x00, &[7; 16]),
    ]));
    assert!(at_end.is_ok(), "{at_end:?}");
    let past = parse_bytes(&hex_file(&[top, hex_record(0xFFF8, 0x00, &[7; 16])]));
    assert!(
        matches!(
            &past,
            Err(FileError::HexSyntax {
                reason: HexProblem::PastAddressSpace,
                ..
            })
        ),
        "{past:?}"
    );
    // A record just below an earlier one: adjacent is fine, one byte of overlap is not.
    let high = hex_record(0x0100, 0x00, &[1; 4]);
    let adjacent = parse_bytes(&hex_file(&[
        high.clone(),
        hex_record(0x00F0, 0x00, &[2; 16]),
    ]));
    assert!(adjacent.is_ok(), "{adjacent:?}");
    let overlap = parse_bytes(&hex_file(&[
        high.clone(),
        hex_record(0x00F1, 0x00, &[2; 16]),
    ]));
    assert!(
        matches!(
            overlap,
            Err(FileError::HexOverlap {
                line: 2,
                earlier_line: 1,
                address: 0x100
            })
        ),
        "{overlap:?}"
    );
    // … and just above it.
    let above = parse_bytes(&hex_file(&[
        high.clone(),
        hex_record(0x0104, 0x00, &[3; 4]),
    ]));
    assert!(above.is_ok(), "{above:?}");
    let into = parse_bytes(&hex_file(&[high, hex_record(0x0103, 0x00, &[3; 4])]));
    assert!(
        matches!(into, Err(FileError::HexOverlap { line: 2, .. })),
        "{into:?}"
    );
}

/// A DfuSe target may hold MAX_ELEMENTS elements, not one more; a target whose stated size
/// differs from its elements says both sizes.
#[test]
fn dfuse_element_counts_and_target_sizes() {
    use dfu_flasher::core::file::dfuse::MAX_ELEMENTS;
    use dfu_flasher::core::file::FileError;
    let elements = |n: u32| {
        (0..n)
            .map(|i| (0x0800_0000 + 2 * i, vec![i as u8]))
            .collect()
    };
    assert!(parse_bytes(&dfuse_with(elements(MAX_ELEMENTS))).is_ok());
    assert!(matches!(
        parse_bytes(&dfuse_with(elements(MAX_ELEMENTS + 1))),
        Err(FileError::TooManyElements { count, .. }) if count == MAX_ELEMENTS + 1
    ));
    // The target header's size field (offset 266 of the target prefix, after the 11-byte
    // file prefix), one more than its elements hold.
    let mut f = dfuse_with(vec![(0x0800_0000, vec![1; 16])]);
    let body = f.len() - 16;
    let at = 11 + 266;
    let stated = u32::from_le_bytes([f[at], f[at + 1], f[at + 2], f[at + 3]]) + 1;
    f[at..at + 4].copy_from_slice(&stated.to_le_bytes());
    let s = dfu_flasher::core::file::suffix::append(&f[..body], 0x0483, 0xDF11, 0xFFFF, 0x011A);
    let r = parse_bytes(&s);
    assert!(
        matches!(r, Err(FileError::TargetSizeMismatch { stated: st, actual, .. }) if st == u64::from(stated) && actual == u64::from(stated) - 1),
        "{r:?}"
    );
}

/// HEX details the parser and writer must get right: contiguous records become one
/// element, a type 03 start address is CS << 4 + IP (the spec's 8086 rule), and records
/// written across a 64 KiB boundary are split there, with a new upper-address record.
#[test]
fn intel_hex_elements_entry_points_and_64k_boundaries() {
    use dfu_flasher::core::file::{ihex, Element, Image};
    let f = parse_bytes(&hex_file(&[
        hex_record(0x0100, 0x00, &[1; 4]),
        hex_record(0x0104, 0x00, &[2; 4]),
    ]))
    .expect("hex");
    let Image::Addressed(t) = &f.image else {
        panic!("{f:?}")
    };
    assert_eq!(t[0].elements.len(), 1, "{t:?}");
    assert_eq!(t[0].elements[0].data.len(), 8);
    let f = parse_bytes(&hex_file(&[
        hex_record(0, 0x03, &[0x12, 0x34, 0x00, 0x10]),
        hex_record(0, 0x00, &[1; 4]),
    ]))
    .expect("hex");
    assert_eq!(f.entry_point, Some(0x12350));
    let data: Vec<u8> = (0..32u8).collect();
    let across = [Element {
        address: 0x0800_FFF8,
        data: data.clone(),
    }];
    let text = ihex::write(&across, None);
    assert!(text.contains(":020000040801"), "{text}");
    // No data record runs past the end of its 64 KiB segment (strict readers wrap there).
    for line in text.lines().filter(|l| l.len() > 9 && &l[7..9] == "00") {
        let count = usize::from_str_radix(&line[1..3], 16).expect("hex");
        let offset = usize::from_str_radix(&line[3..7], 16).expect("hex");
        assert!(offset + count <= 0x1_0000, "{line}");
    }
    let back = parse_bytes(text.as_bytes()).expect("round trip");
    let Image::Addressed(t) = &back.image else {
        panic!()
    };
    assert_eq!(t[0].elements, across);
}

#[test]
fn setup_packets_in_their_wire_form() {
    use dfu_flasher::core::protocol::{Control, Setup};
    // GET_DESCRIPTOR(device, 18 bytes) as every USB trace shows it, and a DFU_DNLOAD of
    // block 2 with 2048 bytes on interface 0 (DFU 1.1 §6.1.1).
    let get = Control::get_descriptor(1, 0, 0, 18).setup;
    assert_eq!(
        get.to_bytes(),
        [0x80, 0x06, 0x00, 0x01, 0x00, 0x00, 0x12, 0x00]
    );
    let dnload = Setup {
        request_type: 0x21,
        request: 0x01,
        value: 2,
        index: 0,
        length: 2048,
    };
    assert_eq!(
        dnload.to_bytes(),
        [0x21, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x08]
    );
    // The simulator (written from the spec) reads the same bytes back.
    let back = dfu_flasher::sim::Setup::from_bytes(&dnload.to_bytes()).expect("eight bytes");
    assert_eq!(
        (
            back.request_type,
            back.request,
            back.value,
            back.index,
            back.length
        ),
        (0x21, 0x01, 2, 0, 2048)
    );
    let odd = Setup {
        request_type: 0xA1,
        request: 0x03,
        value: 0xBEEF,
        index: 0x1234,
        length: 6,
    };
    let b = dfu_flasher::sim::Setup::from_bytes(&odd.to_bytes()).expect("eight bytes");
    assert_eq!((b.value, b.index, b.length), (0xBEEF, 0x1234, 6));
    assert!(dfu_flasher::sim::Setup::from_bytes(&[0x80, 0x06, 0x00]).is_none());
    assert!(dfu_flasher::sim::Setup::from_bytes(&[0; 9]).is_none());
}
