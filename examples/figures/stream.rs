//! Streamed images (issue 12): a 1 GiB raw disk image checked in slices and sent from the
//! disk to the simulated U-Boot board's rootfs partition, verify on. Run in a child
//! process of its own, so that its peak resident memory (VmHWM) is the update's alone.

use dfu_flasher::core::file::{Image, ParseOptions, Scan};
use dfu_flasher::driver::sim::SimTransport;
use dfu_flasher::driver::{self, block_on, FlashImage, FlashOptions, Source, SourceRead};
use dfu_flasher::sim::{Profile, SimDevice};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::time::Instant;

/// The argument the child is started with.
pub const CHILD: &str = "--stream-child";
const SLICE: usize = 1 << 20;

/// A 1 GiB disk-like image: 4 KiB of data at the start of every MiB, zeros between
/// (written sparsely: it takes about 4 MiB of disk).
fn make(path: &std::path::Path, len: u64) -> std::io::Result<()> {
    let mut f = File::create(path)?;
    f.set_len(len)?;
    for m in 0..(len >> 20) {
        let block: Vec<u8> = (0..4096u64)
            .map(|i| ((m * 131 + i * 7) as u8) | 1)
            .collect();
        f.seek(SeekFrom::Start(m << 20))?;
        f.write_all(&block)?;
    }
    Ok(())
}

struct Disk {
    file: File,
    window: Vec<u8>,
    at: u64,
}

impl Source for Disk {
    fn read(&mut self, offset: u64, len: usize) -> SourceRead<'_> {
        let end = offset + len as u64;
        if offset < self.at || end > self.at + self.window.len() as u64 {
            self.window.clear();
            let ok = self.file.seek(SeekFrom::Start(offset)).is_ok()
                && (&mut self.file)
                    .take(SLICE.max(len) as u64)
                    .read_to_end(&mut self.window)
                    .is_ok();
            if !ok {
                return Box::pin(std::future::ready(Err(())));
            }
            self.at = offset;
        }
        let from = (offset - self.at) as usize;
        let to = (from + len).min(self.window.len());
        let d = self.window.get(from..to).unwrap_or_default().to_vec();
        Box::pin(std::future::ready(Ok(d)))
    }
}

fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// The child: scan, update, and print `wall_ms peak_kib sim_kib`.
pub fn child(path: &str) {
    let t0 = Instant::now();
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let Ok(mut scan) = Scan::new(len) else {
        return println!("refused");
    };
    let Ok(mut f) = File::open(path) else {
        return println!("unreadable");
    };
    let mut buf = vec![0; SLICE];
    while let Ok(n) = f.read(&mut buf) {
        if n == 0 {
            break;
        }
        scan.feed(&buf[..n]);
    }
    drop(buf);
    let file = match scan.finish("rootfs.img", &ParseOptions::default()) {
        Ok(file) => file,
        Err(e) => return println!("refused {e}"),
    };
    let Image::Stream(s) = file.image else {
        return println!("not streamed");
    };
    let mut device = SimDevice::new(Profile::by_name("uboot-emmc").expect("profile"));
    // The simulator's own record of 800 000 requests is not the updater's memory.
    device.limit_transcript(0);
    let mut t = SimTransport::new(device);
    let Ok(file) = File::open(path) else {
        return println!("unreadable");
    };
    let mut disk = Disk {
        file,
        window: Vec::new(),
        at: 0,
    };
    let o = FlashOptions {
        alt: 2,
        verify: true,
        restart: false,
        ..FlashOptions::default()
    };
    let img = FlashImage::Stream(s);
    let r = block_on(driver::flash_from(
        &mut t,
        &img,
        Some(&mut disk),
        o,
        &mut |_| {},
    ));
    let ok = matches!(r, Some(Ok(ref rep)) if rep.verified);
    let sim_kib = t.device.medium(2).map_or(0, |m| m.stored_bytes() >> 10) + (8 << 10);
    println!(
        "{} {:.0} {} {}",
        if ok { "ok" } else { "failed" },
        t0.elapsed().as_secs_f64() * 1000.0,
        peak_kib(),
        sim_kib
    );
}

/// Prints one table row: figure, values, unit, note.
pub type Row<'a> = dyn FnMut(&str, &mut [f64], &str, &str) + 'a;

/// The parent: make the file, run the child three times, print the rows.
pub fn figures(row: &mut Row<'_>) {
    let dir = std::env::temp_dir().join(format!("dfu-stream-bench-{}", std::process::id()));
    let path = dir.join("rootfs.img");
    let len = 1u64 << 30;
    if std::fs::create_dir_all(&dir).is_err() || make(&path, len).is_err() {
        println!("streamed 1 GiB: not measured (cannot write a temporary file)");
        return;
    }
    let (mut wall, mut peak, mut sim) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..3 {
        let out = std::env::current_exe()
            .ok()
            .and_then(|exe| {
                std::process::Command::new(exe)
                    .args([CHILD, path.to_str().unwrap_or_default()])
                    .output()
                    .ok()
            })
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let f: Vec<&str> = out.split_whitespace().collect();
        if f.first() != Some(&"ok") || f.len() < 4 {
            println!("streamed 1 GiB: the update failed: {out}");
            let _ = std::fs::remove_dir_all(&dir);
            return;
        }
        let n = |i: usize| f[i].parse::<f64>().unwrap_or(f64::NAN);
        wall.push(n(1));
        peak.push(n(2) / 1024.0);
        sim.push(n(3) / 1024.0);
    }
    let _ = std::fs::remove_dir_all(&dir);
    row(
        "streamed 1 GiB raw image → U-Boot rootfs, verify: wall time",
        &mut wall,
        "ms",
        "check in 1 MiB slices, write, read back block by block (simulator)",
    );
    row(
        "streamed 1 GiB: peak resident memory of the whole process",
        &mut peak,
        "MiB",
        "target ≤ 64 MiB; includes the simulated board's memory below",
    );
    row(
        "streamed 1 GiB: of which the simulated board (buffer + partition)",
        &mut sim,
        "MiB",
        "8 MiB write buffer, sparse partition",
    );
}
