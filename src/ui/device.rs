//! What the page shows about a device.

use crate::core::descriptor::{DfuVersion, Mode};
use crate::driver::DeviceInfo;
use serde::Serialize;

/// A table the page renders as is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    pub caption: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The device panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceView {
    pub title: String,
    pub mode_text: String,
    pub facts: Vec<(String, String)>,
    /// One table per alt setting (memory map where the device gives one).
    pub alts: Vec<Table>,
    pub can_upload: bool,
    pub upload_note: String,
}

/// Human size: 1536 → "1.5 KiB".
///
/// Integer arithmetic only: float formatting would add about 15 KB to the wasm.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KiB", "MiB", "GiB"];
    let mut u = 0;
    let mut unit: u64 = 1;
    while bytes / unit >= 1024 && u < UNITS.len() - 1 {
        unit *= 1024;
        u += 1;
    }
    if u == 0 {
        return format!("{bytes} bytes");
    }
    if bytes % unit == 0 {
        return format!("{} {}", bytes / unit, UNITS[u]);
    }
    // Tenths, rounded half to even (as `{:.1}` rounds).
    let (q, r) = ((bytes * 10) / unit, (bytes * 10) % unit);
    let tenths = if 2 * r > unit || (2 * r == unit && q % 2 == 1) {
        q + 1
    } else {
        q
    };
    format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[u])
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
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
    let caption = format!(
        "Memory area {}: {}",
        a.alt,
        name.as_deref()
            .map(clean)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "unnamed".into())
    );
    match &a.memory_map {
        Some(m) => Table {
            caption,
            headers: ["Start", "End", "Sectors", "Access"]
                .map(String::from)
                .to_vec(),
            rows: m
                .segments
                .iter()
                .map(|s| {
                    let access = [
                        (s.readable, "read"),
                        (s.erasable, "erase"),
                        (s.writable, "write"),
                    ]
                    .iter()
                    .filter(|(b, _)| *b)
                    .map(|(_, n)| *n)
                    .collect::<Vec<_>>()
                    .join(", ");
                    vec![
                        format!("{:#010x}", s.start),
                        format!("{:#010x}", s.end().saturating_sub(1)),
                        format!("{} × {}", s.sectors, size(u64::from(s.sector_size))),
                        if access.is_empty() {
                            "none".into()
                        } else {
                            access
                        },
                    ]
                })
                .collect(),
        },
        None => Table {
            caption,
            headers: vec!["Layout".into()],
            rows: vec![vec![a.map_error.as_ref().map_or_else(
                || "The device does not describe this area's layout.".into(),
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
        self.mode_text =
            "Restarted with the new firmware. To update it again, connect it again.".into();
        self.can_upload = false;
        self.upload_note = "Connect the device again first.".into();
        self
    }

    pub fn new(d: &DeviceInfo) -> DeviceView {
        let title = clean(&d.display_name());
        let mode_text = match d.mode {
            Mode::Runtime => {
                "Running its firmware (it will switch to update mode when you update)".to_string()
            }
            Mode::Dfu => "In update mode".to_string(),
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
            (_, None) => "DFU 1.0 (short descriptor)".to_string(),
        };
        let mut facts = vec![
            (
                "Maker".to_string(),
                d.manufacturer
                    .as_deref()
                    .map(clean)
                    .unwrap_or_else(|| "not given".into()),
            ),
            (
                "USB ids".to_string(),
                format!(
                    "{:04x}:{:04x} (release {})",
                    d.vendor_id,
                    d.product_id,
                    crate::core::file::release(d.device_version)
                ),
            ),
            (
                "Serial number".to_string(),
                d.serial
                    .as_deref()
                    .map(clean)
                    .unwrap_or_else(|| "none".into()),
            ),
            ("Protocol".to_string(), version),
            ("Block size".to_string(), size(u64::from(d.transfer_size))),
            (
                "Can read firmware back".to_string(),
                yes_no(d.attributes.can_upload).to_string(),
            ),
            (
                "After the update".to_string(),
                if d.attributes.manifestation_tolerant {
                    "stays connected".to_string()
                } else if d.attributes.will_detach {
                    "restarts by itself".to_string()
                } else {
                    "needs a USB reset".to_string()
                },
            ),
        ];
        if d.other_interfaces > 0 {
            facts.push((
                "Note".into(),
                format!("{} more update interface(s) not shown", d.other_interfaces),
            ));
        }
        const MAX_ALTS: usize = 16;
        let mut alts: Vec<Table> = Vec::new();
        if d.mode == Mode::Runtime {
            facts.push((
                "Memory areas".into(),
                "shown once the device is in update mode".into(),
            ));
        } else if d.version != DfuVersion::DfuSe {
            alts.push(Table {
                caption: "Memory areas".into(),
                headers: vec!["Area".into(), "Name".into()],
                rows: d
                    .alts
                    .iter()
                    .take(MAX_ALTS)
                    .map(|a| {
                        let name = a.name.as_deref().map(clean).filter(|s| !s.is_empty());
                        vec![a.alt.to_string(), name.unwrap_or_else(|| "unnamed".into())]
                    })
                    .collect(),
            });
        } else {
            alts = d.alts.iter().take(MAX_ALTS).map(dfuse_table).collect();
        }
        if d.alts.len() > MAX_ALTS {
            alts.push(Table {
                caption: format!("{} more memory areas not shown", d.alts.len() - MAX_ALTS),
                headers: vec![],
                rows: vec![],
            });
        }
        DeviceView {
            title,
            mode_text,
            facts,
            alts,
            can_upload: d.attributes.can_upload,
            upload_note: if d.attributes.can_upload {
                String::new()
            } else {
                "This device does not allow reading its firmware back.".into()
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
        let name = clean(&before.display_name());
        RepairView {
            message: format!(
                "{name} restarted in update mode. Your browser treats it as a new device, so it needs your permission once more: press the button and choose it from the list."
            ),
            button_label: format!("Select {name} in update mode"),
            vendor_id: before.vendor_id,
            demo: chooser == Chooser::Demo,
        }
    }
}
