//! What the page shows about a device.

use super::text::{fill, plural, text};
use crate::core::descriptor::{DfuVersion, Mode};
use crate::driver::DeviceInfo;
use crate::t;
use serde::Serialize;

/// A device's name for messages: the name it gives itself (its product string), or its
/// ids when it gives none ("USB device 0483:df11"). Untrusted text: `clean` it to show it.
pub fn device_name(d: &DeviceInfo) -> String {
    match d.product_name() {
        Some(p) => p.to_string(),
        None => t!(
            "device.name_by_ids",
            vid = format!("{:04x}", d.vendor_id),
            pid = format!("{:04x}", d.product_id)
        ),
    }
}

/// A table the page renders as is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    pub caption: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The device panel. What a customer reads first is `title` and `mode_text`; `facts`
/// and `alts` are the details behind the page's "Details" disclosure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceView {
    /// The name the device gives (shouting calmed, see [`calm`]).
    pub title: String,
    /// Its state in plain words: "Ready to update", "Running firmware 1.00".
    pub mode_text: String,
    pub facts: Vec<(String, String)>,
    /// One table per alt setting (memory map where the device gives one).
    pub alts: Vec<Table>,
    /// Where a plain image can be written, `(alt, name)`, in update mode: every alt
    /// setting of a DFU 1.1 device (a U-Boot partition, a settings area), the alts with
    /// writable memory of a DfuSe device. The page lets the user choose when there are
    /// several.
    pub targets: Vec<(u8, String)>,
    pub can_upload: bool,
    pub upload_note: String,
}

/// Human size: 1536 → "1.5 KiB".
///
/// Integer arithmetic only: float formatting would add about 15 KB to the wasm.
/// The unit's word and the decimal separator come from the message table.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["size.bytes", "size.kib", "size.mib", "size.gib"];
    let mut u = 0;
    let mut unit: u64 = 1;
    while bytes / unit >= 1024 && u < UNITS.len() - 1 {
        unit *= 1024;
        u += 1;
    }
    if u == 0 {
        return fill(UNITS[0], &[("n", &bytes.to_string())]);
    }
    if bytes % unit == 0 {
        return fill(UNITS[u], &[("n", &(bytes / unit).to_string())]);
    }
    // Tenths, rounded half to even (as `{:.1}` rounds).
    let (q, r) = ((bytes * 10) / unit, (bytes * 10) % unit);
    let tenths = if 2 * r > unit || (2 * r == unit && q % 2 == 1) {
        q + 1
    } else {
        q
    };
    let n = format!("{}{}{}", tenths / 10, text("number.decimal"), tenths % 10);
    fill(UNITS[u], &[("n", &n)])
}

fn yes_no(b: bool) -> String {
    if b {
        t!("device.yes")
    } else {
        t!("device.no")
    }
}

/// A name the device gives, not shouted: a name without lowercase letters has its long
/// words (four letters or more, letters only) written with a capital and small letters
/// ("STM32 BOOTLOADER" → "STM32 Bootloader"); short words and words with digits stay as
/// they are (USB, DFU, STM32). ASCII only: other scripts are left exactly as given.
pub fn calm(name: &str) -> String {
    let shouted = name.bytes().filter(u8::is_ascii_uppercase).count() >= 4
        && !name.bytes().any(|b| b.is_ascii_lowercase());
    if !shouted {
        return name.to_string();
    }
    name.split(' ')
        .map(|w| {
            if w.len() >= 4 && w.bytes().all(|b| b.is_ascii_alphabetic()) {
                let mut s = w.to_ascii_lowercase();
                s[..1].make_ascii_uppercase();
                s
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Shorten untrusted device text for display (it is still rendered as text).
pub fn clean(s: &str) -> String {
    let t: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let t = t.trim();
    if t.chars().count() > 80 {
        let mut short: String = t.chars().take(79).collect();
        short.push('…');
        short
    } else {
        t.to_string()
    }
}

/// One DfuSe alt setting's memory map as a table.
fn dfuse_table(a: &crate::driver::AltInfo) -> Table {
    let name = a
        .memory_map
        .as_ref()
        .map(|m| m.name.clone())
        .or_else(|| a.name.clone());
    let caption = t!(
        "device.area.caption",
        alt = a.alt,
        name = name
            .as_deref()
            .map(clean)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| t!("device.unnamed"))
    );
    match &a.memory_map {
        Some(m) => Table {
            caption,
            headers: [
                "device.area.start",
                "device.area.end",
                "device.area.sectors",
                "device.area.access",
            ]
            .map(text)
            .to_vec(),
            rows: m
                .segments
                .iter()
                .map(|s| {
                    let access = [
                        (s.readable, "device.access.read"),
                        (s.erasable, "device.access.erase"),
                        (s.writable, "device.access.write"),
                    ]
                    .iter()
                    .filter(|(b, _)| *b)
                    .map(|(_, n)| text(n))
                    .collect::<Vec<_>>()
                    .join(&text("list.separator"));
                    vec![
                        format!("{:#010x}", s.start),
                        format!("{:#010x}", s.end().saturating_sub(1)),
                        t!(
                            "device.area.sector_count",
                            count = s.sectors,
                            size = size(u64::from(s.sector_size))
                        ),
                        if access.is_empty() {
                            t!("device.access.none")
                        } else {
                            access
                        },
                    ]
                })
                .collect(),
        },
        None => Table {
            caption,
            headers: vec![t!("device.area.layout")],
            rows: vec![vec![a.map_error.as_ref().map_or_else(
                || t!("device.area.no_layout"),
                |e| {
                    let mut s = super::words::memory_map_error(e);
                    // A clause: the table cell starts it with a capital.
                    // An ASCII letter (no Unicode case tables in the wasm).
                    if let Some(c) = s.get_mut(..1) {
                        c.make_ascii_uppercase();
                    }
                    s
                },
            )]],
        },
    }
}

impl DeviceView {
    /// The panel of a device that just restarted into its firmware: the handle is
    /// stale until the user connects again.
    pub fn restarted(mut self) -> DeviceView {
        self.mode_text = t!("device.restarted");
        self.can_upload = false;
        self.upload_note = t!("device.connect_again_first");
        self
    }

    pub fn new(d: &DeviceInfo) -> DeviceView {
        let title = calm(&clean(&device_name(d)));
        let mode_text = match d.mode {
            Mode::Runtime => t!(
                "device.state.running",
                release = crate::core::file::release(d.device_version)
            ),
            Mode::Dfu => t!("device.state.ready"),
        };
        let version = match (d.version, d.functional.raw_version) {
            (DfuVersion::DfuSe, _) => "ST DfuSe (1.1a)".to_string(),
            (_, Some(v)) => format!(
                "DFU {}.{}{}",
                v >> 8,
                (v >> 4) & 0xF,
                if v & 0xF != 0 {
                    format!("{}", v & 0xF)
                } else {
                    String::new()
                }
            ),
            (_, None) => t!("device.protocol.short"),
        };
        let mut facts = vec![
            (
                t!("device.fact.name"),
                d.product
                    .as_deref()
                    .map(clean)
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| t!("device.not_given")),
            ),
            (
                t!("device.fact.maker"),
                d.manufacturer
                    .as_deref()
                    .map(clean)
                    .unwrap_or_else(|| t!("device.not_given")),
            ),
            (
                t!("device.fact.ids"),
                t!(
                    "device.ids",
                    vid = format!("{:04x}", d.vendor_id),
                    pid = format!("{:04x}", d.product_id),
                    release = crate::core::file::release(d.device_version)
                ),
            ),
            (
                t!("device.fact.serial"),
                d.serial
                    .as_deref()
                    .map(clean)
                    .unwrap_or_else(|| t!("device.none")),
            ),
            (
                t!("device.fact.mode"),
                match d.mode {
                    Mode::Runtime => t!("device.mode.runtime"),
                    Mode::Dfu => t!("device.mode.dfu"),
                },
            ),
            (t!("device.fact.protocol"), version),
            (t!("device.fact.block"), size(u64::from(d.transfer_size))),
            (t!("device.fact.upload"), yes_no(d.attributes.can_upload)),
            (
                t!("device.fact.after"),
                if d.attributes.manifestation_tolerant {
                    t!("device.after.stays")
                } else if d.attributes.will_detach {
                    t!("device.after.restarts")
                } else {
                    t!("device.after.reset")
                },
            ),
        ];
        if d.other_interfaces > 0 {
            facts.push((
                t!("device.fact.note"),
                plural("device.more_interfaces", d.other_interfaces as u64, &[]),
            ));
        }
        const MAX_ALTS: usize = 16;
        let mut alts: Vec<Table> = Vec::new();
        if d.mode == Mode::Runtime {
            facts.push((t!("device.fact.areas"), t!("device.areas_later")));
        } else if d.version != DfuVersion::DfuSe {
            alts.push(Table {
                caption: t!("device.fact.areas"),
                headers: vec![t!("device.area.number"), t!("device.area.name")],
                rows: d
                    .alts
                    .iter()
                    .take(MAX_ALTS)
                    .map(|a| {
                        let name = a.name.as_deref().map(clean).filter(|s| !s.is_empty());
                        vec![
                            a.alt.to_string(),
                            name.unwrap_or_else(|| t!("device.unnamed")),
                        ]
                    })
                    .collect(),
            });
        } else {
            alts = d.alts.iter().take(MAX_ALTS).map(dfuse_table).collect();
        }
        if d.alts.len() > MAX_ALTS {
            alts.push(Table {
                caption: plural("device.more_areas", (d.alts.len() - MAX_ALTS) as u64, &[]),
                headers: vec![],
                rows: vec![],
            });
        }
        let targets = if d.mode == Mode::Runtime {
            Vec::new()
        } else {
            d.alts
                .iter()
                .filter(|a| {
                    d.version != DfuVersion::DfuSe
                        || a.memory_map
                            .as_ref()
                            .is_some_and(|m| m.segments.iter().any(|s| s.writable))
                })
                .map(|a| {
                    let name = match (&a.memory_map, &a.name) {
                        (Some(m), _) if !clean(&m.name).is_empty() => clean(&m.name),
                        (_, Some(n)) if !clean(n).is_empty() => clean(n),
                        _ => fill("device.area.numbered", &[("alt", &a.alt.to_string())]),
                    };
                    (a.alt, name)
                })
                .collect()
        };
        DeviceView {
            title,
            mode_text,
            facts,
            alts,
            targets,
            can_upload: d.attributes.can_upload,
            upload_note: if d.attributes.can_upload {
                String::new()
            } else {
                t!("device.no_upload")
            },
        }
    }
}

/// Which chooser the user picks the re-enumerated device in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chooser {
    /// The browser's USB chooser.
    Browser,
    /// The page's own (the demo device needs no browser permission).
    Demo,
}

/// The re-pair step: the device restarted in update mode and must be selected again.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RepairView {
    pub message: String,
    pub button_label: String,
    /// The vendor id to filter the browser's chooser by.
    pub vendor_id: u16,
    pub demo: bool,
}

impl RepairView {
    pub fn new(before: &DeviceInfo, chooser: Chooser) -> RepairView {
        let name = clean(&device_name(before));
        RepairView {
            message: t!("repair.message", name = name),
            button_label: t!("repair.button", name = name),
            vendor_id: before.vendor_id,
            demo: chooser == Chooser::Demo,
        }
    }
}
