//! The support log's facts of a device, a firmware file and an update's options, each
//! as a fixed English label and a value (see `ui::support`).

use super::line::{english, hex, quoted, text_or_none, yes, Line};
use super::{MAX_SHOWN, MAX_TEXT};
use crate::core::descriptor::{Attributes, DfuVersion, Mode};
use crate::core::file::{self, FirmwareFile, Image};
use crate::driver::{DeviceInfo, FlashOptions};

/// Elements listed per DfuSe target.
const MAX_ELEMENTS: usize = 16;

fn ids(vendor: u16, product: u16) -> String {
    format!("{vendor:04x}:{product:04x}")
}

fn attributes(a: Attributes) -> String {
    let bits = [
        (a.can_download, 0x01, "can-download"),
        (a.can_upload, 0x02, "can-upload"),
        (a.manifestation_tolerant, 0x04, "manifestation-tolerant"),
        (a.will_detach, 0x08, "will-detach"),
        (a.accelerated, 0x80, "accelerated"),
    ];
    let value: u8 = bits.iter().filter(|b| b.0).map(|b| b.1).sum();
    let names: Vec<&str> = bits.iter().filter(|b| b.0).map(|b| b.2).collect();
    format!("{value:#04x} ({})", names.join(" "))
}

/// A device's descriptors and strings.
pub(super) fn device(d: &DeviceInfo) -> Vec<Line> {
    let f = &d.functional;
    let version = match (d.version, f.raw_version) {
        (DfuVersion::DfuSe, Some(v)) => format!("DfuSe (bcdDFUVersion {v:#06x})"),
        (DfuVersion::DfuSe, None) => "DfuSe".into(),
        (DfuVersion::Dfu11, Some(v)) => format!("DFU 1.1 (bcdDFUVersion {v:#06x})"),
        (DfuVersion::Dfu11, None) => "DFU 1.1 (7-byte descriptor, no bcdDFUVersion)".into(),
    };
    let mut v = vec![
        Line::new("USB id", ids(d.vendor_id, d.product_id)),
        Line::new(
            "bcdDevice",
            format!(
                "{:#06x} (release {})",
                d.device_version,
                file::release(d.device_version)
            ),
        ),
        Line::new("Manufacturer", text_or_none(d.manufacturer.as_deref())),
        Line::new("Product", text_or_none(d.product.as_deref())),
        Line::new("Serial number", text_or_none(d.serial.as_deref())),
        Line::new(
            "Mode",
            match d.mode {
                Mode::Dfu => "update mode (DFU mode)",
                Mode::Runtime => "running its firmware (run-time mode)",
            }
            .into(),
        ),
        Line::new("DFU interface", d.interface.to_string()),
        Line::new("DFU version", version),
        Line::new("Attributes", attributes(d.attributes)),
        Line::new(
            "Transfer size",
            format!(
                "{} (wTransferSize {})",
                d.transfer_size, f.raw_transfer_size
            ),
        ),
        Line::new("Detach timeout", format!("{} ms", f.detach_timeout_ms)),
        Line::new("bMaxPacketSize0", d.max_packet_size0.to_string()),
        Line::new("Alt settings", d.alts.len().to_string()),
    ];
    for a in &d.alts {
        let name = text_or_none(a.name.as_deref());
        v.push(Line::new("Alt setting", format!("{} {name}", a.alt)));
        if let Some(m) = &a.memory_map {
            let (start, end) = match (m.segments.first(), m.segments.last()) {
                (Some(s), Some(e)) => (u64::from(s.start), e.end()),
                _ => (0, 0),
            };
            v.push(Line::new(
                "Memory map",
                format!(
                    "alt {}, {} segments, {start:#010x}..{end:#010x}",
                    a.alt,
                    m.segments.len()
                ),
            ));
        }
        if let Some(e) = &a.map_error {
            let reason = english(crate::ui::words::map_problem(e.reason));
            let line = format!("alt {}, at offset {}: {reason}", a.alt, e.offset);
            v.push(Line::new("Memory map error", line));
        }
    }
    if d.other_interfaces > 0 {
        v.push(Line::new(
            "Other DFU interfaces",
            d.other_interfaces.to_string(),
        ));
    }
    let q = &d.quirks;
    let mut quirks: Vec<String> = [
        (q.force_dfu_mode, "force-dfu-mode"),
        (q.broken_upload, "broken-upload"),
        (q.gd32_layout, "gd32-layout"),
        (q.manifest_poll, "manifest-poll"),
        (q.no_dfu_runtime, "no-dfu-runtime"),
        (q.detach_for_attach, "detach-for-attach"),
        (q.upload_before_attach, "upload-before-attach"),
    ]
    .iter()
    .filter(|x| x.0)
    .map(|x| x.1.to_string())
    .collect();
    if let Some(p) = q.fixed_poll_ms {
        quirks.push(format!("fixed-poll {p} ms"));
    }
    if let Some(p) = q.force_version {
        quirks.push(format!("force-version {p:#06x}"));
    }
    if q.erase_stalls > 0 {
        quirks.push(format!("erase-stalls {}", q.erase_stalls));
    }
    if !quirks.is_empty() {
        v.push(Line::new("Quirks", quirks.join(", ")));
    }
    if let Some(c) = d.learned_capacity {
        v.push(Line::new("Learned capacity", format!("{c} bytes")));
    }
    v
}

/// What is known of any file: its name, size and digest.
pub(super) fn file_head(name: &str, size: u64, sha256: Option<&[u8]>) -> Vec<Line> {
    vec![
        Line::new("File name", quoted(name, MAX_TEXT)),
        Line::new("File size", format!("{size} bytes")),
        Line::new(
            "SHA-256",
            sha256.map_or_else(|| "(not computed)".into(), hex),
        ),
    ]
}

/// A parsed firmware file.
pub(super) fn file(f: &FirmwareFile) -> Vec<Line> {
    let mut v = vec![
        Line::new("Format", f.format.label().into()),
        Line::new("Firmware size", format!("{} bytes", f.payload_len())),
    ];
    if let Some(s) = f.suffix {
        v.push(Line::new(
            "Suffix ids",
            format!("{} bcdDevice {:#06x}", ids(s.vendor, s.product), s.device),
        ));
        v.push(Line::new("Suffix bcdDFU", format!("{:#06x}", s.bcd_dfu)));
        v.push(Line::new(
            "Suffix CRC",
            if s.crc_ok() {
                format!("{:#010x}, correct", s.crc)
            } else {
                format!("{:#010x}, wrong (computed {:#010x})", s.crc, s.computed_crc)
            },
        ));
    }
    if let Some(e) = f.entry_point {
        v.push(Line::new("Start address", format!("{e:#010x}")));
    }
    if let Image::Addressed(targets) = &f.image {
        for t in targets {
            let bytes: u64 = t.elements.iter().map(|e| e.data.len() as u64).sum();
            v.push(Line::new(
                "Target",
                format!(
                    "alt {} {}, {bytes} bytes in {} element(s)",
                    t.alt,
                    text_or_none(t.name.as_deref()),
                    t.elements.len()
                ),
            ));
            for e in t.elements.iter().take(MAX_ELEMENTS) {
                let line = format!("alt {}, {:#010x}, {} bytes", t.alt, e.address, e.data.len());
                v.push(Line::new("Element", line));
            }
            if t.elements.len() > MAX_ELEMENTS {
                let more = (t.elements.len() - MAX_ELEMENTS).to_string();
                v.push(Line::new("Elements left out", more));
            }
        }
    }
    for w in &f.warnings {
        // The page's words: the core's Display is Debug formatting (it would cost the wasm).
        let said = crate::ui::words::file_warning(w);
        v.push(Line::new("Warning", quoted(&said, MAX_SHOWN)));
    }
    v
}

/// An update's options.
pub(super) fn options(o: &FlashOptions, file: &str) -> Vec<Line> {
    vec![
        Line::new("File", quoted(file, MAX_TEXT)),
        Line::new("Verify", yes(o.verify)),
        Line::new("Force", yes(o.force)),
        Line::new("Alt setting", o.alt.to_string()),
        Line::new(
            "Address",
            o.address
                .map_or_else(|| "default".into(), |a| format!("{a:#010x}")),
        ),
        Line::new("Restart", yes(o.restart)),
        Line::new("Mass erase", yes(o.mass_erase)),
    ]
}
