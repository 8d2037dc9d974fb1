//! `cargo xtask bench` (or `cargo run --release --example figures`): speed figures, one table row
//! each: parsing throughput, and the simulator's updates (requests by type against the
//! protocol minimum, virtual time against the time the device demanded). Figures, not
//! pass/fail: a benchmark prints, the tests assert.

use dfu_flasher::core::file::{self, ParseOptions};
use dfu_flasher::driver::sim::SimTransport;
use dfu_flasher::driver::{self, block_on, FlashImage, FlashOptions};
use dfu_flasher::sim::{Profile, SimDevice};

#[path = "figures/incremental.rs"]
mod incremental;
#[path = "figures/stream.rs"]
mod stream;

fn die(msg: &str) -> ! {
    eprintln!("bench: {msg}");
    std::process::exit(1)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(stream::CHILD) {
        return stream::child(args.get(2).map_or("", String::as_str));
    }
    bench();
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
    let mut data: Vec<u8> = (0..mb << 20).map(|i| (i * 31 + (i >> 11)) as u8).collect();
    // A program, as firmware is: a Cortex-M vector table (stack in SRAM, reset handler
    // inside the image at 0x08000000), so the update is not refused as no program.
    data[..8].copy_from_slice(&[0x00, 0x00, 0x02, 0x20, 0x41, 0x00, 0x00, 0x08]);
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
            // A full update: the protocol minimum above is a full update's.
            let opts = FlashOptions {
                verify: true,
                restart: false,
                full: true,
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
    // Updates that write only what changed (virtual time, one run each: the simulator
    // is deterministic).
    incremental::figures(&mut |figure, ms, note| row(figure, 1, &mut [ms], "", note));
    stream::figures(&mut |figure, v, unit, note| row(figure, v.len(), v, unit, note));
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
