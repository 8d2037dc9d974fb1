//! The whole update as the user sees it: detach a run-time device and wait for it to come
//! back in DFU mode, write every target, verify, and restart.

use super::describe::{describe, DescribeError, DeviceInfo};
use super::failure::{FlashError, FlashFailure, Track};
use super::{run, run_from, ProgressReport, Source, TransferError, TransferErrorKind, Transport};
use crate::core::compare::{self, NoCompare};
use crate::core::descriptor::{DfuVersion, Mode};
use crate::core::file::UsbIds;
use crate::core::fit::{self, Placement};
pub use crate::core::fit::{FlashImage, FlashTarget};
use crate::core::{Compared, DfuseOptions, DownloadOptions, Finish, PlanError, Session};

/// How to flash.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlashOptions {
    /// Alt setting for a raw image (default 0).
    pub alt: u8,
    /// DfuSe address for a raw image (default: the alt's first writable segment).
    pub address: Option<u32>,
    pub verify: bool,
    pub mass_erase: bool,
    /// Restart the device into its new firmware at the end.
    pub restart: bool,
    /// The ids the file's suffix names (checked against the run-time and DFU-mode ids).
    pub suffix: Option<UsbIds>,
    /// The user confirmed the risks the page showed: the suffix names another model of
    /// the same maker, the image is tiny, or it does not look like a program
    /// (the confirmable [`Misfit`]s). A file for another maker's device is never written.
    pub force: bool,
    /// Erase and write everything the image touches, without reading back first what the
    /// device already holds (`--full`; `compare: false` in the page's API).
    pub full: bool,
}

/// The end of a successful update.
#[derive(Debug, Clone, PartialEq)]
pub struct FlashReport {
    pub written: u64,
    pub verified: bool,
    pub finish: Finish,
    /// Whether the device had to be switched from run-time to DFU mode first.
    pub detached: bool,
    /// Where a raw image was placed on a DfuSe device.
    pub address: Option<u32>,
    pub device: DeviceInfo,
    /// What the compare found, summed over the targets (DfuSe, when it compared).
    pub compared: Option<Compared>,
    /// Why it wrote everything without comparing first, if it did (DfuSe).
    pub no_compare: Option<NoCompare>,
}

/// A transport that can find the device again after it re-enumerates.
#[allow(async_fn_in_trait)] // Futures need not be Send: single-threaded wasm.
pub trait Reconnect: Transport {
    /// Wait for the device described by `before` to come back (in DFU mode after a
    /// detach, or in either mode after a reset) and open it.
    async fn reconnect(&mut self, before: &DeviceInfo) -> Result<(), TransferError>;
}

/// Describe the device and, if it runs its application, detach it and wait for it to
/// come back in DFU mode. Returns the DFU-mode description and whether it detached.
pub async fn enter_dfu_mode<T: Reconnect>(
    t: &mut T,
    on_progress: &mut dyn FnMut(&ProgressReport),
) -> Result<(DeviceInfo, Option<DeviceInfo>), FlashError> {
    enter_tracked(t, on_progress, &mut Track::default()).await
}

async fn enter_tracked<T: Reconnect>(
    t: &mut T,
    on_progress: &mut dyn FnMut(&ProgressReport),
    track: &mut Track,
) -> Result<(DeviceInfo, Option<DeviceInfo>), FlashError> {
    let info = describe(t).await?;
    if info.mode == Mode::Dfu {
        return Ok((info, None));
    }
    t.select_alt(info.interface, 0).await?;
    let mut s = Session::detach(info.target());
    let o = run(t, &mut s, on_progress).await?;
    let detached = o.finish != Finish::AlreadyInDfuMode;
    if detached {
        track.detached = true;
        track.runtime = Some(info.clone());
        t.reconnect(&info).await.map_err(|e| match e.kind {
            TransferErrorKind::Cancelled => FlashError::Cancelled,
            _ => FlashError::Transfer(e),
        })?;
    }
    let now = describe(t).await?;
    if now.mode != Mode::Dfu {
        return Err(FlashError::NoDfuMode);
    }
    Ok((now, Some(info)))
}

fn ids(d: &DeviceInfo) -> UsbIds {
    UsbIds {
        vendor: d.vendor_id,
        product: d.product_id,
        device: d.device_version,
    }
}

/// Update the device behind `t` with `image`.
pub async fn flash<T: Reconnect>(
    t: &mut T,
    image: &FlashImage,
    opts: FlashOptions,
    on_progress: &mut dyn FnMut(&ProgressReport),
) -> Result<FlashReport, FlashFailure> {
    flash_from(t, image, None, opts, on_progress).await
}

/// [`flash`], with the bytes of a streamed image ([`FlashImage::Stream`]) read from
/// `source` as they are sent.
pub async fn flash_from<'s, T: Reconnect>(
    t: &mut T,
    image: &FlashImage,
    mut source: Option<&mut (dyn Source + 's)>,
    opts: FlashOptions,
    on_progress: &mut dyn FnMut(&ProgressReport),
) -> Result<FlashReport, FlashFailure> {
    let mut track = Track {
        total: image.len(),
        ..Track::default()
    };
    let mut r = flash_tracked(
        t,
        image,
        source.as_deref_mut(),
        opts,
        on_progress,
        &mut track,
    )
    .await;
    // Some devices leave the bus once more right after they came back in update mode
    // (a bootloader that re-enumerates twice). Nothing was written yet: look for the
    // device once more and start over in update mode.
    if let (Err(e), Some(before)) = (&r, track.runtime.clone()) {
        if !track.touched && !track.looked_again && gone(e) {
            track.looked_again = true;
            r = match t.reconnect(&before).await {
                Ok(()) => {
                    let s = source;
                    flash_tracked(t, image, s, opts, on_progress, &mut track).await
                }
                Err(e) if e.kind == TransferErrorKind::Cancelled => Err(FlashError::Cancelled),
                Err(e) => Err(FlashError::Transfer(e)),
            };
        }
    }
    r.map_err(|e| track.failure(e))
}

/// The device left the bus.
fn gone(e: &FlashError) -> bool {
    match e {
        FlashError::Transfer(t) | FlashError::Describe(DescribeError::Transfer(t)) => {
            t.kind == TransferErrorKind::Disconnected
        }
        FlashError::Device(d) => d.device_gone(),
        _ => false,
    }
}

async fn flash_tracked<'s, T: Reconnect>(
    t: &mut T,
    image: &FlashImage,
    mut source: Option<&mut (dyn Source + 's)>,
    opts: FlashOptions,
    on_progress: &mut dyn FnMut(&ProgressReport),
    track: &mut Track,
) -> Result<FlashReport, FlashError> {
    let (info, runtime) = enter_tracked(t, on_progress, track).await?;
    // Started over after the device left the bus again: it was switched from this.
    let runtime = runtime.or_else(|| track.runtime.clone());
    let detached = runtime.is_some();
    let dfuse = info.version == DfuVersion::DfuSe;
    // The same assessment as the page's verdict, now with the device in update mode.
    let place = Placement {
        alt: opts.alt,
        address: opts.address,
    };
    let a = fit::assess(&info, runtime.as_ref().map(ids), image, opts.suffix, place);
    if let Some(m) = a.misfits.iter().find(|m| !m.confirmable()) {
        return Err(FlashError::from_misfit(m.clone()));
    }
    if let Some(m) = a.risks().next().filter(|_| !opts.force) {
        return Err(FlashError::from_misfit(m.clone()));
    }
    let placed = match (image, &a.placed) {
        (FlashImage::Raw(_) | FlashImage::Stream(_), Some((at, _))) if dfuse => Some(*at),
        _ => None,
    };
    // Plan every target before touching the device.
    let mut sessions = Vec::new();
    let mut no_compare = None;
    let last = a.jobs.len().saturating_sub(1);
    for (i, job) in a.jobs.iter().enumerate() {
        let s = if dfuse {
            // The assessment placed the job inside this alt's map.
            let Some(map) = info.alt(job.alt).and_then(|x| x.memory_map.as_ref()) else {
                return Err(FlashError::NoMemoryMap { alt: job.alt });
            };
            if let Some((at, len)) = job.stream {
                let o = DfuseOptions {
                    verify: opts.verify,
                    mass_erase: opts.mass_erase,
                    leave: opts.restart && i == last,
                    leave_address: None,
                    compare: false,
                };
                no_compare.get_or_insert(if opts.full {
                    NoCompare::Off
                } else if opts.mass_erase {
                    NoCompare::MassErase
                } else {
                    NoCompare::Streamed
                });
                let s = Session::dfuse_download_streamed(info.target(), map, at, len, o)?;
                sessions.push((job.alt, s));
                continue;
            }
            let elements: Vec<(u32, &[u8])> = job
                .elements
                .iter()
                .map(|(a, d)| (*a, d.as_slice()))
                .collect();
            let o = DfuseOptions {
                verify: opts.verify,
                mass_erase: opts.mass_erase,
                leave: opts.restart && i == last,
                leave_address: None,
                compare: !opts.full,
            };
            if let Some(why) = compare::why_not(info.target(), map, &elements, o) {
                no_compare.get_or_insert(why);
            }
            Session::dfuse_download(info.target(), map, &elements, o)?
        } else {
            let data = job.elements.first().map(|e| e.1.as_slice()).unwrap_or(&[]);
            let o = DownloadOptions {
                verify: opts.verify,
                restart: opts.restart && i == last,
            };
            match job.stream {
                Some((_, len)) => Session::download_streamed(info.target(), len, o)?,
                None => Session::download(info.target(), data, o)?,
            }
        };
        sessions.push((job.alt, s));
    }
    let mut report = FlashReport {
        written: 0,
        verified: opts.verify,
        finish: Finish::Idle,
        detached,
        address: placed,
        device: info.clone(),
        compared: None,
        no_compare,
    };
    let count = sessions.len();
    for (i, (alt, mut s)) in sessions.into_iter().enumerate() {
        t.select_alt(info.interface, alt).await?;
        let o = match run_from(t, &mut s, source.as_deref_mut(), on_progress).await {
            Ok(o) => o,
            Err(e) => {
                track.session_failed(&e, &s, i == 0, i + 1 == count);
                return Err(e.into());
            }
        };
        report.written += o.written;
        if o.compare_refused {
            report.no_compare.get_or_insert(NoCompare::Refused);
        }
        if let Some(c) = s.progress().compared {
            let sum = report.compared.get_or_insert(Compared {
                sectors: 0,
                same: 0,
                same_bytes: 0,
                write_bytes: 0,
                image_same: 0,
                image_bytes: 0,
            });
            sum.sectors += c.sectors;
            sum.same += c.same;
            sum.same_bytes += c.same_bytes;
            sum.write_bytes += c.write_bytes;
            sum.image_same += c.image_same;
            sum.image_bytes += c.image_bytes;
        }
        track.written = report.written;
        track.touched = true;
        report.verified &= o.verified;
        report.finish = o.finish;
    }
    Ok(report)
}

/// A firmware read back from a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backup {
    pub data: Vec<u8>,
    /// Where the data starts (DfuSe), 0 for DFU 1.1.
    pub address: u32,
    pub file_name: String,
}

/// Largest DFU 1.1 image read back (the device ends it earlier with a short block).
pub const MAX_BACKUP: u64 = 64 << 20;

/// Read the firmware: DfuSe reads the first readable area of alt 0, DFU 1.1 uploads
/// until the device's short block.
pub async fn backup<T: Reconnect>(
    t: &mut T,
    on_progress: &mut dyn FnMut(&ProgressReport),
) -> Result<Backup, FlashFailure> {
    let mut track = Track::default();
    backup_tracked(t, on_progress, &mut track)
        .await
        .map_err(|e| track.failure(e))
}

async fn backup_tracked<T: Reconnect>(
    t: &mut T,
    on_progress: &mut dyn FnMut(&ProgressReport),
    track: &mut Track,
) -> Result<Backup, FlashError> {
    let (info, _) = enter_tracked(t, on_progress, track).await?;
    if !info.attributes.can_upload {
        return Err(FlashError::Plan(PlanError::UploadNotSupported));
    }
    let alt = info.alts.first().map_or(0, |a| a.alt);
    t.select_alt(info.interface, alt).await?;
    let (mut session, address) = if info.version == DfuVersion::DfuSe {
        let map = info
            .alt(alt)
            .and_then(|a| a.memory_map.clone())
            .ok_or(FlashError::NoMemoryMap { alt })?;
        // The first run of readable segments.
        let mut segs = map.segments.iter().skip_while(|s| !s.readable);
        let first = segs.next().ok_or(FlashError::NoMemoryMap { alt })?;
        let mut end = first.end();
        for s in segs {
            if !s.readable || u64::from(s.start) != end {
                break;
            }
            end = s.end();
        }
        let len = end - u64::from(first.start);
        (
            Session::dfuse_upload(info.target(), first.start, len)?,
            first.start,
        )
    } else {
        (Session::upload(info.target(), MAX_BACKUP)?, 0)
    };
    let o = run(t, &mut session, on_progress).await?;
    // The file's name: the device's own name, or its ids (a name, not a sentence).
    let stem: String = info
        .product_name()
        .map_or_else(
            || format!("usb-device-{:04x}-{:04x}", info.vendor_id, info.product_id),
            str::to_string,
        )
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let stem = stem.trim_matches('-').to_string();
    let file_name = if info.version == DfuVersion::DfuSe {
        format!("{stem}-backup-{address:#010x}.bin")
    } else {
        format!("{stem}-backup.bin")
    };
    Ok(Backup {
        data: o.data,
        address,
        file_name,
    })
}
