//! The command line itself: arguments, `inspect` (in `inspect`), `simulate`, `emulate`,
//! `devices`, `catalog` (in `catalog_cmd`).

mod catalog_cmd;
mod inspect;
mod stream;

use dfu_flasher::core::file::{self, FileError, FirmwareFile, ParseOptions};
use dfu_flasher::driver::sim::SimTransport;
use dfu_flasher::driver::{self, block_on, FlashImage, FlashOptions};
use dfu_flasher::sim::{Profile, SimDevice};
use dfu_flasher::ui::words;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::process::exit;

const USAGE: &str = "usage:
  dfu-flasher inspect FILE [--json] [--ignore-crc]
  dfu-flasher simulate FILE --device NAME [--json] [--no-verify] [--no-restart] [--mass-erase] [--full]
                             [--alt N] [--address 0xADDR] [--force]
  dfu-flasher emulate NAME [--faster N]   (a simulated device on stdin/stdout, see sim::wire)
  dfu-flasher devices
  dfu-flasher catalog check CATALOG [--offline] [--device NAME] [--public-key HEX]
  dfu-flasher catalog add CATALOG --product ID --version V --file FILE [--url URL]
                             [--channel stable|beta] [--date YYYY-MM-DD] [--alt N]
                             [--notes TEXT [--lang en]]
  dfu-flasher catalog keygen KEYFILE     (writes a new key, prints its public half)
  dfu-flasher catalog sign CATALOG --key KEYFILE   (writes CATALOG.sig)";

fn sha256(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// SHA-256 of what the simulated device holds, read in slices (an image may be GiBs).
fn memory_sha256(sim: &SimDevice, alt: u8, address: u32, size: usize) -> String {
    let mut h = Sha256::new();
    let mut off = 0usize;
    while off < size {
        let n = (size - off).min(1 << 20);
        match sim.read_memory(alt, address.wrapping_add(off as u32), n) {
            Some(d) => h.update(&d),
            None => return "unreadable".into(),
        }
        off += n;
    }
    h.finalize().iter().map(|x| format!("{x:02x}")).collect()
}

fn die(msg: &str) -> ! {
    eprintln!("dfu-flasher: {msg}");
    exit(1)
}

/// A command line that cannot be obeyed: one line saying why, exit status 2.
fn usage_error(msg: &str) -> ! {
    eprintln!("dfu-flasher: {msg} (see `dfu-flasher` for the usage)");
    exit(2)
}

struct Args {
    positional: Vec<String>,
    flags: Vec<String>,
    values: BTreeMap<String, String>,
}

/// What each command takes: its positional arguments, flags and options with a value.
struct Spec {
    positional: &'static [&'static str],
    flags: &'static [&'static str],
    values: &'static [&'static str],
}

fn spec(command: &str) -> Option<Spec> {
    Some(match command {
        "inspect" => Spec {
            positional: &["FILE"],
            flags: &["json", "ignore-crc"],
            values: &[],
        },
        "simulate" => Spec {
            positional: &["FILE"],
            flags: &[
                "json",
                "no-verify",
                "no-restart",
                "mass-erase",
                "force",
                "full",
            ],
            values: &["device", "alt", "address"],
        },
        "emulate" => Spec {
            positional: &["NAME"],
            flags: &[],
            values: &["faster"],
        },
        "devices" => Spec {
            positional: &[],
            flags: &[],
            values: &[],
        },
        "catalog" => Spec {
            positional: &["check|add|sign|keygen", "CATALOG|KEYFILE"],
            flags: &["offline"],
            values: &[
                "device",
                "product",
                "version",
                "file",
                "url",
                "channel",
                "date",
                "alt",
                "notes",
                "lang",
                "key",
                "public-key",
            ],
        },
        _ => return None,
    })
}

/// Read the command line strictly: an unknown option, a missing value or a stray argument is
/// refused rather than ignored (`--no-verfy` must not flash without the check).
fn args() -> Args {
    let mut it = std::env::args().skip(1);
    let Some(command) = it.next() else {
        eprintln!("{USAGE}");
        exit(2)
    };
    let Some(spec) = spec(&command) else {
        usage_error(&format!("unknown command {command:?}"))
    };
    let mut a = Args {
        positional: vec![command.clone()],
        flags: Vec::new(),
        values: BTreeMap::new(),
    };
    while let Some(x) = it.next() {
        if let Some(name) = x.strip_prefix("--") {
            if spec.values.contains(&name) {
                let v = it
                    .next()
                    .unwrap_or_else(|| usage_error(&format!("--{name} needs a value")));
                a.values.insert(name.to_string(), v);
            } else if spec.flags.contains(&name) {
                a.flags.push(name.to_string());
            } else {
                let known: Vec<String> = spec
                    .flags
                    .iter()
                    .chain(spec.values)
                    .map(|f| format!("--{f}"))
                    .collect();
                let takes = if known.is_empty() {
                    "no options".to_string()
                } else {
                    known.join(", ")
                };
                usage_error(&format!(
                    "unknown option {x} for {command} (it takes {takes})"
                ))
            }
        } else {
            a.positional.push(x);
        }
    }
    let given = a.positional.len() - 1;
    if given < spec.positional.len() {
        usage_error(&format!(
            "{command} needs {}",
            spec.positional[given..].join(" ")
        ));
    }
    if given > spec.positional.len() {
        usage_error(&format!(
            "unexpected argument {:?} for {command}",
            a.positional[spec.positional.len() + 1]
        ));
    }
    a
}

/// A number option within `range` (decimal, or hex with 0x).
fn number(a: &Args, name: &str, range: std::ops::RangeInclusive<u64>) -> Option<u64> {
    let s = a.values.get(name)?;
    let n = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16),
        None => s.parse(),
    };
    match n {
        Ok(n) if range.contains(&n) => Some(n),
        _ if *range.end() == u64::from(u32::MAX) => usage_error(&format!(
            "--{name} must be a whole number from {} to {:#x}, not {s:?}",
            range.start(),
            range.end()
        )),
        _ => usage_error(&format!(
            "--{name} must be a whole number from {} to {}, not {s:?}",
            range.start(),
            range.end()
        )),
    }
}

/// `--device NAME`: a simulator profile.
fn profile(name: &str) -> Profile {
    Profile::by_name(name).unwrap_or_else(|| {
        usage_error(&format!(
            "unknown device {name:?} (one of: {})",
            Profile::names().join(", ")
        ))
    })
}

fn read_and_parse(path: &str, ignore_crc: bool) -> Result<FirmwareFile, FileError> {
    let len = std::fs::metadata(path)
        .unwrap_or_else(|e| die(&format!("cannot read {path}: {e}")))
        .len();
    if stream::streamed(len) {
        return stream::scan(path, len, &ParseOptions { ignore_crc });
    }
    let bytes = std::fs::read(path).unwrap_or_else(|e| die(&format!("cannot read {path}: {e}")));
    file::parse_named(&bytes, path, &ParseOptions { ignore_crc })
}

fn load(path: &str, ignore_crc: bool) -> FirmwareFile {
    read_and_parse(path, ignore_crc)
        .unwrap_or_else(|e| die(&format!("{path}: {}", words::file_error(&e))))
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
    /// What the compare found (DfuSe), or why it wrote everything.
    compare: String,
    requests: BTreeMap<&'static str, usize>,
    elapsed_ms: f64,
    device_time_ms: f64,
    device_holds: Vec<RangeOut>,
    violations: Vec<String>,
}

fn simulate(a: &Args) {
    let path = &a.positional[1];
    let name = a
        .values
        .get("device")
        .unwrap_or_else(|| usage_error("simulate needs --device NAME (see `dfu-flasher devices`)"));
    let profile = profile(name);
    // The options are checked before the file is read: a usage error says so first.
    // In range by `number`.
    let alt = number(a, "alt", 0..=255).map_or(0, |n| n as u8);
    let address = number(a, "address", 0..=u64::from(u32::MAX)).map(|n| n as u32);
    let f = load(path, false);
    let image = FlashImage::from(&f);
    let opts = FlashOptions {
        alt,
        address,
        verify: !a.flags.iter().any(|f| f == "no-verify"),
        mass_erase: a.flags.iter().any(|f| f == "mass-erase"),
        restart: !a.flags.iter().any(|f| f == "no-restart"),
        suffix: f.suffix_ids(),
        force: a.flags.iter().any(|f| f == "force"),
        full: a.flags.iter().any(|f| f == "full"),
    };
    let mut t = SimTransport::new(SimDevice::new(profile));
    let mut quiet = |_: &driver::ProgressReport| {};
    let mut file_source = match &image {
        FlashImage::Stream(_) => Some(
            stream::FileSource::open(path).unwrap_or_else(|| die(&format!("cannot read {path}"))),
        ),
        _ => None,
    };
    let source = file_source.as_mut().map(|s| s as &mut dyn driver::Source);
    let result = block_on(driver::flash_from(&mut t, &image, source, opts, &mut quiet))
        .unwrap_or_else(|| die("internal error: the simulated transfer did not complete"));
    let sim = &t.device;
    let ranges: Vec<(u8, u32, usize)> = match (&image, &result) {
        (FlashImage::Raw(d), Ok(r))
            if r.device.version == dfu_flasher::core::descriptor::DfuVersion::Dfu11 =>
        {
            vec![(opts.alt, 0, d.len())]
        }
        (FlashImage::Raw(d), Ok(r)) => vec![(opts.alt, r.address.unwrap_or(0), d.len())],
        (FlashImage::Stream(s), Ok(r)) => {
            vec![(opts.alt, r.address.unwrap_or(0), s.len as usize)]
        }
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
            // The page's words for it: the title and what it says to do.
            Err(e) => {
                let p = dfu_flasher::ui::failure_problem(
                    e,
                    &dfu_flasher::ui::clean(name),
                    dfu_flasher::ui::Platform::Linux,
                    None,
                );
                let mut said = vec![p.title];
                said.extend(p.details.into_iter().map(|d| match d {
                    dfu_flasher::ui::Detail::Text(t) | dfu_flasher::ui::Detail::Code(t) => t,
                }));
                let confirmable = match &e.error {
                    driver::FlashError::Unconfirmed(_) => true,
                    driver::FlashError::WrongDevice { file, device } => {
                        file.vendor == device.vendor
                    }
                    _ => false,
                };
                if confirmable {
                    said.push("Use --force to write it anyway.".into());
                }
                said.join(" ")
            }
        },
        written: result.as_ref().map_or(0, |r| r.written),
        verified: result.as_ref().is_ok_and(|r| r.verified),
        detached: result.as_ref().is_ok_and(|r| r.detached),
        compare: match &result {
            Ok(r) => match (&r.compared, r.no_compare) {
                (Some(c), _) => dfu_flasher::ui::compare_note(c, false).unwrap_or_else(|| {
                    format!("no sector of {} already held this firmware", c.sectors)
                }),
                (None, Some(why)) => dfu_flasher::ui::full_reason(why)
                    .unwrap_or_else(|| "off (--full): everything written".into()),
                (None, None) => "not done (DFU 1.1 writes the whole image)".into(),
            },
            Err(_) => String::new(),
        },
        requests: sim.request_counts(),
        elapsed_ms: sim.now_us() as f64 / 1000.0,
        device_time_ms: sim.device_time_us() as f64 / 1000.0,
        device_holds: ranges
            .into_iter()
            .map(|(alt, address, size)| RangeOut {
                alt,
                address: format!("{address:#010x}"),
                size,
                sha256: memory_sha256(sim, alt, address, size),
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
        if !out.compare.is_empty() {
            println!("compare:      {}", out.compare);
        }
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

/// Serve a simulated device on stdin/stdout (the line protocol of `sim::wire`), on the
/// wall clock: the device behind the emulated USB node of the real-browser tests.
fn emulate(a: &Args) {
    let mut profile = profile(&a.positional[1]);
    if let Some(d) = number(a, "faster", 1..=10_000) {
        // In range by `number`.
        profile = profile.faster(d as u32);
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

/// `catalog check|add|sign|keygen`: each takes only its own options.
fn catalog(a: &Args) {
    let (own, run): (&[&str], fn(&Args)) = match a.positional.get(1).map(String::as_str) {
        Some("check") => (&["offline", "device", "public-key"], catalog_cmd::check),
        Some("sign") => (&["key"], catalog_cmd::sign),
        Some("keygen") => (&[], catalog_cmd::keygen),
        Some("add") => (
            &[
                "product", "version", "file", "url", "channel", "date", "alt", "notes", "lang",
            ],
            catalog_cmd::add,
        ),
        other => usage_error(&format!(
            "catalog takes check, add, sign or keygen, not {:?}",
            other.unwrap_or("")
        )),
    };
    let given = a.flags.iter().chain(a.values.keys());
    if let Some(x) = given.into_iter().find(|x| !own.contains(&x.as_str())) {
        usage_error(&format!(
            "--{x} is not an option of catalog {}",
            a.positional[1]
        ));
    }
    run(a)
}

pub fn main() {
    let a = args();
    match a.positional.first().map(String::as_str) {
        Some("inspect") => inspect::inspect(&a),
        Some("simulate") => simulate(&a),
        Some("emulate") => emulate(&a),
        Some("devices") => {
            for n in Profile::names() {
                println!("{n}");
            }
        }
        Some("catalog") => catalog(&a),
        // `args` accepts only the commands above.
        _ => usage_error("unknown command"),
    }
}
