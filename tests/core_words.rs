//! What the core reports as data (which id differs, what is wrong on a HEX line or in a
//! memory layout, which part or descriptor is cut short, which rule the host broke, a
//! device without a name) is worded by the ui in the customer's language: a German or
//! Japanese table gives no English fragment inside its sentences.

use dfu_flasher::core::descriptor::{DescriptorError, DescriptorKind};
use dfu_flasher::core::file::{self, FileError, FilePart, HexProblem, ParseOptions, UsbIds};
use dfu_flasher::core::fit::Misfit;
use dfu_flasher::core::memmap::{MapProblem, MemoryMap, MemoryMapError};
use dfu_flasher::core::{Error, ErrorKind, Fault, Operation, Phase};
use dfu_flasher::driver::sim::SimTransport;
use dfu_flasher::driver::{block_on, describe, DeviceInfo};
use dfu_flasher::sim::{Profile, SimDevice};
use dfu_flasher::ui::{self, text, words};
use std::fs;
use std::path::PathBuf;

fn table(tag: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("lang/{tag}.json"));
    fs::read_to_string(p).expect("lang table")
}

fn info(profile: &str) -> DeviceInfo {
    let mut t = SimTransport::new(SimDevice::new(Profile::by_name(profile).expect("profile")));
    block_on(describe(&mut t))
        .expect("completes")
        .expect("describes")
}

const ST: UsbIds = UsbIds {
    vendor: 0x0483,
    product: 0xdf11,
    device: 0x0200,
};
const WIDGET: UsbIds = UsbIds {
    vendor: 0x1209,
    product: 0x2301,
    device: 0x0100,
};

fn hex_error(text: &str) -> FileError {
    file::parse(text.as_bytes(), &ParseOptions::default()).expect_err("a HEX error")
}

/// Every sentence built from the core's data, one per value it can take.
fn all_sentences() -> Vec<String> {
    let mut out = Vec::new();
    let other_model = UsbIds {
        product: 0x0001,
        ..WIDGET
    };
    let other_release = UsbIds {
        device: 0x0300,
        ..WIDGET
    };
    for file in [ST, other_model, other_release] {
        out.push(words::mismatch(file, WIDGET));
        out.push(ui::misfit_text(
            &Misfit::OtherModel {
                file,
                device: WIDGET,
            },
            "Widget",
        ));
    }
    for reason in [
        HexProblem::NotHexDigit,
        HexProblem::NoColon,
        HexProblem::RecordLength,
        HexProblem::CountMismatch,
        HexProblem::PastAddressSpace,
        HexProblem::AddressRecordLength,
        HexProblem::UnknownRecordType,
    ] {
        out.push(words::file_error(&FileError::HexSyntax { line: 3, reason }));
    }
    for what in [
        FilePart::Prefix,
        FilePart::TargetPrefix,
        FilePart::ElementHeader,
        FilePart::ElementData,
    ] {
        out.push(words::file_error(&FileError::Truncated {
            what,
            offset: 11,
            missing: 5,
        }));
    }
    for reason in [
        MapProblem::NoAt,
        MapProblem::ExpectedAddress,
        MapProblem::ExpectedHexDigits,
        MapProblem::ExpectedSlash,
        MapProblem::ExpectedCount,
        MapProblem::ExpectedStar,
        MapProblem::ExpectedSize,
        MapProblem::ExpectedTypeLetter,
        MapProblem::NumberTooLarge,
        MapProblem::SectorSizeTooLarge,
        MapProblem::EmptyGroup,
        MapProblem::PastAddressSpace,
        MapProblem::UnexpectedCharacter,
        MapProblem::NoSegments,
    ] {
        out.push(words::memory_map_error(&MemoryMapError {
            offset: 7,
            reason,
        }));
    }
    for what in [
        DescriptorKind::Device,
        DescriptorKind::Functional,
        DescriptorKind::ConfigurationHeader,
        DescriptorKind::Configuration,
        DescriptorKind::String,
    ] {
        out.push(words::descriptor_error(&DescriptorError::Truncated {
            what,
            needed: 9,
            got: 8,
        }));
    }
    let device_error = |kind| {
        words::device_error(&Error {
            kind,
            phase: Phase::Upload,
            request: None,
            address: None,
            recovered: None,
            dfuse: false,
            device_text: None,
        })
    };
    out.push(device_error(ErrorKind::Unsupported {
        what: Operation::Upload,
    }));
    for what in [
        Fault::ReplyDoesNotFit,
        Fault::CompareWithoutImage,
        Fault::NothingPlanned,
        Fault::ReplyForNoRequest,
        Fault::RequestWhileReplyDue,
        Fault::RequestWithNoStep,
        Fault::BlockOutsideImage,
        Fault::CompareAsRequest,
        Fault::ReplyWithNoStep,
        Fault::WaitGotTransferReply,
        Fault::ResetGotTransferReply,
        Fault::ReplyBeforeRequest,
    ] {
        out.push(device_error(ErrorKind::Internal { what }));
    }
    let mut d = info("stm32f4");
    d.product = None;
    out.push(ui::device_name(&d));
    out
}

/// The English texts of the keys that word the core's data.
fn english_fragments() -> Vec<String> {
    let en = text::english();
    let prefixes = [
        "words.mismatch.",
        "words.hex.",
        "words.file_part.",
        "words.memory_map.",
        "words.descriptor.kind.",
        "words.operation.",
        "words.fault.",
        "device.name_by_ids",
    ];
    let found: Vec<String> = en
        .keys()
        .filter(|k| prefixes.iter().any(|p| k.starts_with(p)))
        .filter(|k| *k != "words.memory_map.malformed")
        .map(|k| {
            // The words around the placeholders.
            let v = en.get(k).unwrap_or_default();
            v.split(['{', '}'])
                .step_by(2)
                .max_by_key(|s| s.len())
                .unwrap_or_default()
                .trim()
                .to_string()
        })
        .collect();
    assert!(found.len() > 40, "{found:?}");
    found
}

#[test]
fn english_says_what_it_said_before() {
    text::use_english();
    assert_eq!(
        words::mismatch(ST, WIDGET),
        "it names a device from another maker (USB id 0483:df11; this device is 1209:2301)"
    );
    let other_model = UsbIds {
        vendor: 0xffff,
        product: 0x0001,
        device: 0xffff,
    };
    assert_eq!(
        words::mismatch(other_model, WIDGET),
        "it names another model (USB id 1209:0001; this device is 1209:2301)"
    );
    let other_release = UsbIds {
        device: 0x0300,
        ..WIDGET
    };
    assert_eq!(
        words::mismatch(other_release, WIDGET),
        "it is for release 3.00 of this device (USB id 1209:2301), and this device is release 1.00"
    );
    assert_eq!(
        words::file_error(&hex_error(":020000040800F2\nxyz\n:00000001FF\n")),
        "The HEX file has a line that does not start with ':' on line 2. The file is damaged."
    );
    let e = MemoryMap::parse("Flash/0x0/1*1Kg").expect_err("no @");
    assert_eq!(
        words::memory_map_error(&e),
        "the device's memory layout is malformed at character 0: it does not start with '@'"
    );
}

#[test]
fn a_german_table_says_a_mismatch_and_a_hex_error_in_german() {
    text::set_language("de", &table("de")).expect("German");
    assert_eq!(
        ui::misfit_text(
            &Misfit::OtherMaker {
                file: ST,
                device: WIDGET
            },
            "Widget"
        ),
        "Die Datei ist für ein anderes Gerät gemacht: ein Gerät eines anderen Herstellers \
         (USB-Kennung 0483:df11; dieses Gerät hat 1209:2301)."
    );
    assert_eq!(
        words::file_error(&hex_error(":020000040800F2\nxyz\n:00000001FF\n")),
        "Die HEX-Datei enthält in Zeile 2 einen Fehler (eine Zeile, die nicht mit „:“ \
         beginnt). Die Datei ist beschädigt."
    );
    assert_eq!(
        words::file_error(&hex_error(":0200000408G0F2\n:00000001FF\n")),
        "Die HEX-Datei enthält in Zeile 1 einen Fehler (ein Zeichen, das keine Hex-Ziffer \
         ist). Die Datei ist beschädigt."
    );
    let e = MemoryMap::parse("Flash/0x0/1*1Kg").expect_err("no @");
    assert_eq!(
        words::memory_map_error(&e),
        "die Speicherbeschreibung des Geräts ist bei Zeichen 0 fehlerhaft: kein „@“ am Anfang"
    );
    let mut d = info("stm32f4");
    d.product = None;
    assert_eq!(ui::device_name(&d), "USB-Gerät 0483:df11");
    text::use_english();
}

#[test]
fn german_and_japanese_have_no_english_fragment_inside() {
    let english = english_fragments();
    for tag in ["de", "ja"] {
        text::set_language(tag, &table(tag)).expect(tag);
        for said in all_sentences() {
            for fragment in &english {
                assert!(
                    !said.contains(fragment.as_str()),
                    "{tag}: {said:?} has the English {fragment:?}"
                );
            }
        }
        text::use_english();
    }
}
