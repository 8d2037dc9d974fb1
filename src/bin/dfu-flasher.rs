//! The native command line: inspect firmware files and flash them onto the simulator.

use dfu_flasher::core::file::{self, FileError, FirmwareFile, Image, ParseOptions};
use dfu_flasher::driver::sim::SimTransport;
use dfu_flasher::driver::{self, block_on, FlashImage, FlashOptions};
use dfu_flasher::sim::{Profile, SimDevice};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::process::exit;

const USAGE: &str = "usage:
  dfu-flasher inspect FILE [--json] [--ignore-crc]
  dfu-flasher simulate FILE --device NAME [--json] [--no-verify] [--no-restart] [--mass-erase]
                             [--alt N] [--address 0xADDR] [--force]
  dfu-flasher emulate NAME [--faster N]   (a simulated device on stdin/stdout, see sim::wire)
  dfu-flasher devices";

fn sha256(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

fn die(msg: &str) -> ! {
    eprintln!("dfu-flasher: {msg}");
    exit(1)
}

struct Args {
    positional: Vec<String>,
    flags: Vec<String>,
    values: BTreeMap<String, String>,
}

fn args() -> Args {
    let mut a = Args {
        positional: Vec::new(),
        flags: Vec::new(),
        values: BTreeMap::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(x) = it.next() {
        if let Some(name) = x.strip_prefix("--") {
            if matches!(name, "device" | "alt" | "address" | "faster") {
                let v = it
                    .next()
                    .unwrap_or_else(|| die(&format!("--{name} needs a value")));
                a.values.insert(name.to_string(), v);
            } else {
                a.flags.push(name.to_string());
            }
        } else {
            a.positional.push(x);
        }
    }
    a
}

fn read_and_parse(path: &str, ignore_crc: bool) -> Result<FirmwareFile, FileError> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| die(&format!("cannot read {path}: {e}")));
    file::parse_named(&bytes, path, &ParseOptions { ignore_crc })
}

fn load(path: &str, ignore_crc: bool) -> FirmwareFile {
    read_and_parse(path, ignore_crc).unwrap_or_else(|e| die(&format!("{path}: {e}")))
}

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
    format: file::Format,
    suffix: Option<SuffixOut>,
    payload_size: u64,
    payload_sha256: Option<String>,
    targets: Vec<TargetOut>,
    entry_point: Option<String>,
    warnings: Vec<String>,
}

fn inspect(a: &Args) {
    let path = a.positional.get(1).unwrap_or_else(|| die(USAGE));
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
                message: e.to_string(),
            };
            println!(
                "{}",
                serde_json::to_string_pretty(&out).unwrap_or_else(|e| die(&e.to_string()))
            );
            exit(1)
        }
        Err(e) => die(&format!("{path}: {e}")),
    };
    let mut warnings: Vec<String> = f.warnings.iter().map(ToString::to_string).collect();
    if f.is_tiny() {
        warnings.push(format!(
            "only {} bytes, far less than any firmware: simulate needs --force to write it",
            f.payload_len()
        ));
    }
    let out = Inspect {
        file: path.clone(),
        size,
        format: f.format,
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
            Image::Addressed(_) => None,
        },
        targets: match &f.image {
            Image::Raw(_) => Vec::new(),
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

#[derive(Serialize)]
struct RangeOut {
    alt: u8,
    address: String,
    size: usize,
    sha256: String,
}

#[derive(Serialize)]
struct Simulate {
    device: String,
    outcome: String,
    message: String,
    written: u64,
    verified: bool,
    detached: bool,
    requests: BTreeMap<&'static str, usize>,
    elapsed_ms: f64,
    device_time_ms: f64,
    device_holds: Vec<RangeOut>,
    violations: Vec<String>,
}

fn parse_u32(s: &str) -> u32 {
    let r = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(h, 16),
        None => s.parse(),
    };
    r.unwrap_or_else(|_| die(&format!("not a number: {s}")))
}

fn simulate(a: &Args) {
    let path = a.positional.get(1).unwrap_or_else(|| die(USAGE));
    let name = a
        .values
        .get("device")
        .unwrap_or_else(|| die("--device NAME is required (see `dfu-flasher devices`)"));
    let profile = Profile::by_name(name)
        .unwrap_or_else(|| die(&format!("unknown device {name}; see `dfu-flasher devices`")));
    let f = load(path, false);
    let image = FlashImage::from(&f);
    let opts = FlashOptions {
        alt: a.values.get("alt").map_or(0, |v| parse_u32(v) as u8),
        address: a.values.get("address").map(|v| parse_u32(v)),
        verify: !a.flags.iter().any(|f| f == "no-verify"),
        mass_erase: a.flags.iter().any(|f| f == "mass-erase"),
        restart: !a.flags.iter().any(|f| f == "no-restart"),
        suffix: f.suffix_ids(),
        force: a.flags.iter().any(|f| f == "force"),
    };
    let mut t = SimTransport::new(SimDevice::new(profile));
    let mut quiet = |_: &driver::ProgressReport| {};
    let result = block_on(driver::flash(&mut t, &image, opts, &mut quiet))
        .unwrap_or_else(|| die("internal error: the simulated transfer did not complete"));
    let sim = &t.device;
    let ranges: Vec<(u8, u32, usize)> = match (&image, &result) {
        (FlashImage::Raw(d), Ok(r))
            if r.device.version == dfu_flasher::core::descriptor::DfuVersion::Dfu11 =>
        {
            vec![(opts.alt, 0, d.len())]
        }
        (FlashImage::Raw(d), Ok(r)) => vec![(opts.alt, r.address.unwrap_or(0), d.len())],
        (FlashImage::Targets(ts), _) => ts
            .iter()
            .flat_map(|t| t.elements.iter().map(move |(a, d)| (t.alt, *a, d.len())))
            .collect(),
        _ => Vec::new(),
    };
    let out = Simulate {
        device: name.clone(),
        outcome: if result.is_ok() {
            "success".into()
        } else {
            "failure".into()
        },
        message: match &result {
            Ok(r) => format!("{:?}", r.finish),
            Err(e) => e.to_string(),
        },
        written: result.as_ref().map_or(0, |r| r.written),
        verified: result.as_ref().is_ok_and(|r| r.verified),
        detached: result.as_ref().is_ok_and(|r| r.detached),
        requests: sim.request_counts(),
        elapsed_ms: sim.now_us() as f64 / 1000.0,
        device_time_ms: sim.device_time_us() as f64 / 1000.0,
        device_holds: ranges
            .into_iter()
            .map(|(alt, address, size)| RangeOut {
                alt,
                address: format!("{address:#010x}"),
                size,
                sha256: sim
                    .read_memory(alt, address, size)
                    .map(|d| sha256(&d))
                    .unwrap_or_else(|| "unreadable".into()),
            })
            .collect(),
        violations: sim
            .violations()
            .iter()
            .map(|v| format!("{}: {}", v.rule, v.detail))
            .collect(),
    };
    if a.flags.iter().any(|f| f == "json") {
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    } else {
        println!("device:       {}", out.device);
        println!("outcome:      {} ({})", out.outcome, out.message);
        println!(
            "written:      {} bytes, verified: {}, detached first: {}",
            out.written, out.verified, out.detached
        );
        let reqs: Vec<String> = out
            .requests
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        println!("requests:     {}", reqs.join(", "));
        println!(
            "virtual time: {:.1} ms (device-mandated waits {:.1} ms)",
            out.elapsed_ms, out.device_time_ms
        );
        for r in &out.device_holds {
            println!(
                "device holds: alt {} {} {:>8} bytes sha256 {}",
                r.alt, r.address, r.size, r.sha256
            );
        }
        for v in &out.violations {
            println!("VIOLATION:    {v}");
        }
    }
    if result.is_err() || !out.violations.is_empty() {
        exit(1);
    }
}

/// One row of the benchmark table: a figure, its repetitions, median and spread.
fn row(figure: &str, reps: usize, values: &mut [f64], unit: &str, note: &str) {
    values.sort_by(f64::total_cmp);
    let median = values.get(values.len() / 2).copied().unwrap_or(f64::NAN);
    let (lo, hi) = (
        values.first().copied().unwrap_or(f64::NAN),
        values.last().copied().unwrap_or(f64::NAN),
    );
    let fmt = |v: f64| {
        if unit == "×" {
            format!("{v:.3}")
        } else if v.fract() == 0.0 && v.abs() < 1e9 {
            format!("{v:.0}")
        } else if v.abs() >= 100.0 {
            format!("{v:.1}")
        } else {
            format!("{v:.3}")
        }
    };
    println!(
        "{figure:<58} {reps:>5} {:>14} {:>23}  {note}",
        format!("{} {unit}", fmt(median)).trim_end(),
        format!("{}–{}", fmt(lo), fmt(hi)),
    );
}

/// Speed figures, one table row each: parsing throughput, and the simulator's updates
/// (requests by type against the protocol minimum, virtual time against the time the
/// device demanded).
fn bench() {
    use dfu_flasher::core::file::{dfuse, ihex, suffix, Element, Target};
    use std::time::Instant;
    const REPS: usize = 5;
    println!(
        "{:<58} {:>5} {:>14} {:>23}  note",
        "figure", "reps", "median", "spread (min–max)"
    );
    let mb = 8usize;
    let data: Vec<u8> = (0..mb << 20).map(|i| (i * 31 + (i >> 11)) as u8).collect();
    let throughput = |label: &str, bytes: usize, f: &mut dyn FnMut()| {
        let mut v: Vec<f64> = (0..REPS)
            .map(|_| {
                let t = Instant::now();
                f();
                bytes as f64 / t.elapsed().as_secs_f64() / 1e6
            })
            .collect();
        row(label, REPS, &mut v, "MB/s", "");
    };
    let with_suffix = suffix::append(&data, 0x0483, 0xDF11, 0xFFFF, 0x0100);
    throughput(
        "parse raw + DFU suffix (8 MiB)",
        with_suffix.len(),
        &mut || {
            let _ = file::parse(&with_suffix, &ParseOptions::default());
        },
    );
    let t = vec![Target {
        alt: 0,
        name: Some("bench".into()),
        elements: vec![Element {
            address: 0x0800_0000,
            data: data.clone(),
        }],
    }];
    let dfu = dfuse::write(&t, 0x0483, 0xDF11, 0xFFFF, dfuse::ImageSize::WithoutSuffix);
    throughput("parse DfuSe (8 MiB)", dfu.len(), &mut || {
        let _ = file::parse(&dfu, &ParseOptions::default());
    });
    let hex = ihex::write(&t[0].elements, None);
    throughput("parse Intel HEX (8 MiB of data)", hex.len(), &mut || {
        let _ = file::parse(hex.as_bytes(), &ParseOptions::default());
    });
    // The simulator: 1 MiB written and checked on a DfuSe and a DFU 1.1 device.
    let len = 1usize << 20;
    for name in ["stm32f4", "dfu11-dfumode"] {
        let mut profile = Profile::by_name(name).unwrap_or_else(|| die("profile"));
        if let Some(a) = profile.alts.first_mut() {
            a.capacity = a.capacity.max(len);
        }
        let block = usize::from(profile.transfer_size);
        let blocks = len.div_ceil(block);
        // The protocol minimum. DfuSe: one erase per sector touched, one Set Address,
        // the data blocks; read back with one UPLOAD per block. DFU 1.1: the data blocks
        // and the zero-length end; read back until a short block. Every DNLOAD needs a
        // GETSTATUS to start it and, on a device that reports itself busy, one after its
        // poll timeout to see it done.
        let (dnload_min, upload_min) = if profile.dfuse {
            let (lo, hi) = (0x0800_0000u64, 0x0800_0000 + len as u64);
            let sectors = profile
                .alts
                .first()
                .and_then(|a| dfu_flasher::core::memmap::MemoryMap::parse(&a.name).ok())
                .map_or(0, |m| {
                    m.segments
                        .iter()
                        .flat_map(|s| {
                            (0..u64::from(s.sectors))
                                .map(move |i| u64::from(s.start) + i * u64::from(s.sector_size))
                        })
                        .filter(|start| (lo..hi).contains(start))
                        .count()
                });
            (sectors + 1 + blocks, blocks)
        } else {
            (blocks + 1, blocks + usize::from(len % block == 0))
        };
        let getstatus_min = 2 * dnload_min;
        let img = FlashImage::Raw(data[..len].to_vec());
        let mut cpu = Vec::new();
        let mut ratio = Vec::new();
        let mut counts = Default::default();
        let mut ok = true;
        let mut mandated = 0.0;
        let mut bus = 0.0;
        let mut host_waits = Vec::new();
        for _ in 0..REPS {
            let opts = FlashOptions {
                verify: true,
                restart: false,
                ..FlashOptions::default()
            };
            let mut t = SimTransport::new(SimDevice::new(profile.clone()));
            let t0 = Instant::now();
            let r = block_on(driver::flash(&mut t, &img, opts, &mut |_| {}));
            cpu.push(t0.elapsed().as_secs_f64() * 1e3);
            ok &= matches!(r, Some(Ok(_))) && t.device.violations().is_empty();
            mandated = t.device.device_time_us() as f64 / 1e6;
            let dev = t.device.device_time_us().max(1) as f64;
            ratio.push(t.device.now_us() as f64 / dev);
            bus = t.device.bus_time_us() as f64 / 1e6;
            host_waits.push((t.device.now_us() - t.device.bus_time_us()) as f64 / dev);
            counts = t.device.request_counts();
        }
        let label = |what: &str| format!("sim {name}, 1 MiB write+verify: {what}");
        if !ok {
            row(
                &label("FAILED"),
                REPS,
                &mut [],
                "",
                "the update failed or broke a protocol rule",
            );
            continue;
        }
        let n = |k: &str| counts.get(k).copied().unwrap_or(0) as f64;
        for (k, min) in [
            ("DNLOAD", dnload_min),
            ("GETSTATUS", getstatus_min),
            ("UPLOAD", upload_min),
        ] {
            row(
                &label(k),
                REPS,
                &mut [n(k); REPS],
                "",
                &format!("protocol minimum {min}, ratio {:.3}", n(k) / min as f64),
            );
        }
        let others: Vec<String> = counts
            .iter()
            .filter(|(k, _)| !matches!(**k, "DNLOAD" | "GETSTATUS" | "UPLOAD"))
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let total: usize = counts.values().sum();
        row(
            &label("requests"),
            REPS,
            &mut [total as f64; REPS],
            "",
            &format!("others: {}", others.join(", ")),
        );
        row(
            &label("virtual/mandated"),
            REPS,
            &mut ratio,
            "×",
            &format!("device-mandated waits {mandated:.2} s, bus time {bus:.2} s"),
        );
        row(
            &label("(virtual−bus)/mandated"),
            REPS,
            &mut host_waits,
            "×",
            "the host's waits against the device's: 1.000 means no wait beyond bwPollTimeout",
        );
        row(&label("host CPU"), REPS, &mut cpu, "ms", "");
    }
    if let Ok(m) = std::fs::metadata("www/pkg/dfu_flasher_bg.wasm") {
        row(
            "wasm module size (after wasm-opt -Oz)",
            1,
            &mut [m.len() as f64],
            "bytes",
            "",
        );
    }
}

/// Serve a simulated device on stdin/stdout (the line protocol of `sim::wire`), on the
/// wall clock: the device behind the emulated USB node of the real-browser tests.
fn emulate(a: &Args) {
    let name = a
        .positional
        .get(1)
        .unwrap_or_else(|| die("emulate needs a device name (see `dfu-flasher devices`)"));
    let mut profile =
        Profile::by_name(name).unwrap_or_else(|| die(&format!("no simulated device {name:?}")));
    if let Some(d) = a.values.get("faster") {
        profile = profile.faster(d.parse().unwrap_or_else(|_| die("--faster needs a number")));
    }
    let mut device = SimDevice::new(profile);
    let start = std::time::Instant::now();
    let stdin = std::io::stdin();
    let result =
        dfu_flasher::sim::wire::serve(&mut device, stdin.lock(), std::io::stdout(), || {
            u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX)
        });
    if let Err(e) = result {
        die(&format!("emulate: {e}"));
    }
}

fn main() {
    let a = args();
    match a.positional.first().map(String::as_str) {
        Some("inspect") => inspect(&a),
        Some("simulate") => simulate(&a),
        Some("bench") => bench(),
        Some("emulate") => emulate(&a),
        Some("devices") => {
            for n in Profile::names() {
                println!("{n}");
            }
        }
        _ => die(USAGE),
    }
}
