//! Issue 12's figures: how long an update takes on the stm32f4 profile at its realistic
//! timings (virtual time of the simulator, verify on) when it writes only what changed.
//! Printed, not asserted: the tests check behaviour, this says how fast.

use dfu_flasher::core::Phase;
use dfu_flasher::driver::sim::SimTransport;
use dfu_flasher::driver::{self, block_on, FlashImage, FlashOptions};
use dfu_flasher::sim::{Effect, Fault, Profile, SimDevice, Trigger};

const BASE: u32 = 0x0800_0000;

fn image(len: usize, seed: u8) -> Vec<u8> {
    let mut v: Vec<u8> = (0..len)
        .map(|i| (i as u8).wrapping_mul(29).wrapping_add(seed) ^ (i >> 9) as u8)
        .collect();
    v[..8].copy_from_slice(&[0x00, 0x00, 0x02, 0x20, 0x41, 0x00, 0x00, 0x08]);
    v
}

fn opts(full: bool) -> FlashOptions {
    FlashOptions {
        verify: true,
        restart: false,
        full,
        ..FlashOptions::default()
    }
}

/// One update: (virtual ms, device-mandated ms, compare-phase ms, sectors erased).
fn run(t: &mut SimTransport, img: &[u8], full: bool) -> Option<(f64, f64, f64, usize)> {
    let (t0, d0, n0) = (
        t.device.now_us(),
        t.device.device_time_us(),
        t.device.transcript().len(),
    );
    let mut compare_end: Option<f64> = None;
    let r = block_on(driver::flash(
        t,
        &FlashImage::Raw(img.to_vec()),
        opts(full),
        &mut |p| {
            if compare_end.is_none()
                && !matches!(p.progress.current().phase, Phase::Prepare | Phase::Compare)
            {
                compare_end = Some(p.elapsed_ms);
            }
        },
    ))?;
    r.ok()?;
    let erased = t.device.transcript()[n0..]
        .iter()
        .filter(|e| e.name == "DNLOAD" && e.setup.value == 0 && e.first_byte == Some(0x41))
        .count();
    let total = (t.device.now_us() - t0) as f64 / 1000.0;
    Some((
        total,
        (t.device.device_time_us() - d0) as f64 / 1000.0,
        if full {
            0.0
        } else {
            compare_end.unwrap_or(total)
        },
        erased,
    ))
}

fn device() -> SimTransport {
    SimTransport::new(SimDevice::new(
        Profile::by_name("stm32f4").expect("profile"),
    ))
}

/// Print the table rows for `len`-byte images through `row`.
pub fn figures(row: &mut dyn FnMut(&str, f64, &str)) {
    for len in [256 * 1024, 1024 * 1024] {
        let kib = len / 1024;
        let old = image(len, 1);
        let label = |what: &str| format!("stm32f4 {kib} KiB, {what}");
        // (a) full update onto blank flash.
        let mut t = device();
        let Some(a) = run(&mut t, &old, true) else {
            row(&label("(a) FAILED"), 0.0, "");
            continue;
        };
        row(&label("(a) full update, blank flash"), a.0, "ms (baseline)");
        // The default (compare first) onto blank flash: every sector differs.
        let mut t = device();
        if let Some(x) = run(&mut t, &old, false) {
            row(
                &label("    compare first, blank flash"),
                x.0,
                &format!("ms, {:.3}× (a)", x.0 / a.0),
            );
        }
        // (b) reinstalling the identical image.
        let b = run(&mut t, &old, false).map_or(f64::NAN, |x| x.0);
        row(
            &label("(b) reinstall identical"),
            b,
            &format!("ms, {:.3}× (a); target ≤ 0.15", b / a.0),
        );
        // (c) one 16 KiB sector changed (sector 1, 0x08004000).
        let mut one = old.clone();
        one[0x4000 + 100] ^= 0xA5;
        let c = run(&mut t, &one, false);
        row(
            &label("(c) one 16 KiB sector changed"),
            c.map_or(f64::NAN, |x| x.0),
            &format!(
                "ms, {:.3}× (a); target ≤ 0.25; {} sector(s) erased",
                c.map_or(f64::NAN, |x| x.0) / a.0,
                c.map_or(0, |x| x.3)
            ),
        );
        // (d) everything changed, with and without compare.
        let new = image(len, 2);
        let mut t1 = device();
        let mut t2 = device();
        let _ = run(&mut t1, &old, true);
        let _ = run(&mut t2, &old, true);
        let d_full = run(&mut t1, &new, true).map_or(f64::NAN, |x| x.0);
        let d_cmp = run(&mut t2, &new, false).map_or(f64::NAN, |x| x.0);
        row(&label("(d) all changed, full"), d_full, "ms");
        row(
            &label("(d) all changed, compare first"),
            d_cmp,
            &format!("ms, {:.3}× full; target ≤ 1.10", d_cmp / d_full),
        );
        // (e) the retry after an unplug at 50 % and 90 % of the writing.
        for pc in [50usize, 90] {
            let mut t = device();
            let at = BASE + (len * pc / 100) as u32 + 1024;
            t.device.add_fault(Fault {
                trigger: Trigger::Address(at),
                effect: Effect::Disconnect {
                    reattach_ms: Some(500),
                },
            });
            let cut = block_on(driver::flash(
                &mut t,
                &FlashImage::Raw(old.clone()),
                opts(false),
                &mut |_| {},
            ));
            if !matches!(cut, Some(Err(_))) {
                row(
                    &label(&format!("(e) unplug at {pc} %: the cut did not happen")),
                    f64::NAN,
                    "",
                );
                continue;
            }
            t.device.sleep(1000);
            // The sectors the cut left unfinished: from the one it hit to the end. What
            // a full update of only those costs on this device, for comparison.
            let map = dfu_flasher::core::memmap::MemoryMap::parse(&t.device.profile().alts[0].name)
                .expect("map");
            let from = map.pages_touching(at, 1).first().map_or(at, |p| p.0);
            let rest = FlashImage::Targets(vec![driver::FlashTarget {
                alt: 0,
                elements: vec![(from, old[(from - BASE) as usize..].to_vec())],
            }]);
            let mut blank = device();
            let only = {
                let t0 = blank.device.now_us();
                let o = FlashOptions {
                    force: true,
                    ..opts(true)
                };
                block_on(driver::flash(&mut blank, &rest, o, &mut |_| {}))
                    .and_then(|r| r.ok())
                    .map(|_| (blank.device.now_us() - t0) as f64 / 1000.0)
                    .unwrap_or(f64::NAN)
            };
            match run(&mut t, &old, false) {
                Some((total, mandated, compare, erased)) => {
                    let bound = mandated + compare;
                    row(
                        &label(&format!("(e) retry after unplug at {pc} %")),
                        total,
                        &format!(
                            "ms, {:.3}× (a); {erased} sector(s) erased; {:.3}× (device-mandated {mandated:.0} ms + compare {compare:.0} ms), target ≤ 1.10; {:.3}× (a full update of those sectors alone {only:.0} ms + compare)",
                            total / a.0,
                            total / bound,
                            total / (only + compare)
                        ),
                    );
                }
                None => row(
                    &label(&format!("(e) retry after unplug at {pc} %: FAILED")),
                    f64::NAN,
                    "",
                ),
            }
        }
    }
}
