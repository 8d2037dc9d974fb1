//! `dfu-flasher inspect FILE [--json] [--ignore-crc]`: what a firmware file holds (its
//! format, suffix, targets and elements with their SHA-256), or why it is refused.

use super::{die, read_and_parse, sha256, stream, Args};
use dfu_flasher::core::file::{self, FileError, Image};
use dfu_flasher::ui::words;
use serde::Serialize;
use std::process::exit;

/// What a refused file is, for `inspect --json`.
#[derive(Serialize)]
struct Refused {
    file: String,
    refused: String,
    message: String,
}

fn refusal_kind(e: &FileError) -> String {
    match e {
        FileError::NotFirmware(k) => format!("not-firmware:{}", k.name()),
        FileError::DfuWithoutSuffix => "dfu-without-suffix".into(),
        FileError::CorruptCrc { .. } => "corrupt-crc".into(),
        FileError::Truncated { .. } | FileError::HexNoEof => "truncated".into(),
        _ => "invalid".into(),
    }
}

#[derive(Serialize)]
struct ElementOut {
    address: String,
    size: usize,
    sha256: String,
}

#[derive(Serialize)]
struct TargetOut {
    alt: u8,
    name: Option<String>,
    elements: Vec<ElementOut>,
}

#[derive(Serialize)]
struct SuffixOut {
    vendor: String,
    product: String,
    device: String,
    bcd_dfu: String,
    crc: String,
    crc_ok: bool,
}

#[derive(Serialize)]
struct Inspect {
    file: String,
    size: usize,
    /// `raw`, `dfu_suffix`, `dfuse` or `intel_hex`.
    format: &'static str,
    suffix: Option<SuffixOut>,
    payload_size: u64,
    payload_sha256: Option<String>,
    targets: Vec<TargetOut>,
    entry_point: Option<String>,
    warnings: Vec<String>,
}

pub(super) fn inspect(a: &Args) {
    let path = &a.positional[1];
    let size = std::fs::metadata(path)
        .map(|m| m.len() as usize)
        .unwrap_or(0);
    let json = a.flags.iter().any(|f| f == "json");
    let f = match read_and_parse(path, a.flags.iter().any(|f| f == "ignore-crc")) {
        Ok(f) => f,
        Err(e) if json => {
            let out = Refused {
                file: path.clone(),
                refused: refusal_kind(&e),
                message: words::file_error(&e),
            };
            println!(
                "{}",
                serde_json::to_string_pretty(&out).unwrap_or_else(|e| die(&e.to_string()))
            );
            exit(1)
        }
        Err(e) => die(&format!("{path}: {}", words::file_error(&e))),
    };
    let mut warnings: Vec<String> = f.warnings.iter().map(words::file_warning).collect();
    if f.is_tiny() {
        warnings.push(format!(
            "only {} bytes, far less than any firmware: simulate needs --force to write it",
            f.payload_len()
        ));
    }
    let out = Inspect {
        file: path.clone(),
        size,
        format: match f.format {
            file::Format::Raw => "raw",
            file::Format::DfuSuffix => "dfu_suffix",
            file::Format::Dfuse => "dfuse",
            file::Format::IntelHex => "intel_hex",
        },
        suffix: f.suffix.map(|s| SuffixOut {
            vendor: format!("{:#06x}", s.vendor),
            product: format!("{:#06x}", s.product),
            device: format!("{:#06x}", s.device),
            bcd_dfu: format!("{:#06x}", s.bcd_dfu),
            crc: format!("{:#010x}", s.crc),
            crc_ok: s.crc_ok(),
        }),
        payload_size: f.payload_len(),
        payload_sha256: match &f.image {
            Image::Raw(d) => Some(sha256(d)),
            Image::Stream(s) => stream::sha256_prefix(path, s.len),
            Image::Addressed(_) => None,
        },
        targets: match &f.image {
            Image::Raw(_) | Image::Stream(_) => Vec::new(),
            Image::Addressed(t) => t
                .iter()
                .map(|t| TargetOut {
                    alt: t.alt,
                    name: t.name.clone(),
                    elements: t
                        .elements
                        .iter()
                        .map(|e| ElementOut {
                            address: format!("{:#010x}", e.address),
                            size: e.data.len(),
                            sha256: sha256(&e.data),
                        })
                        .collect(),
                })
                .collect(),
        },
        entry_point: f.entry_point.map(|e| format!("{e:#010x}")),
        warnings,
    };
    if a.flags.iter().any(|f| f == "json") {
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        return;
    }
    println!("file:     {} ({} bytes)", out.file, out.size);
    println!("format:   {}", f.format.label());
    if let Some(s) = &out.suffix {
        println!(
            "suffix:   vendor {} product {} device {} bcdDFU {}, CRC {} ({})",
            s.vendor,
            s.product,
            s.device,
            s.bcd_dfu,
            s.crc,
            if s.crc_ok {
                "valid"
            } else {
                "WRONG, accepted with --ignore-crc"
            }
        );
    }
    match &out.payload_sha256 {
        Some(h) => println!("payload:  {} bytes, sha256 {h}", out.payload_size),
        None => {
            for t in &out.targets {
                println!(
                    "target:   alt {} {:?}, {} element(s)",
                    t.alt,
                    t.name.as_deref().unwrap_or(""),
                    t.elements.len()
                );
                for e in &t.elements {
                    println!(
                        "  element {} {:>8} bytes  sha256 {}",
                        e.address, e.size, e.sha256
                    );
                }
            }
        }
    }
    if let Some(e) = &out.entry_point {
        println!("entry:    {e}");
    }
    for w in &out.warnings {
        println!("warning:  {w}");
    }
}
