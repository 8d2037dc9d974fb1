//! The whole update as the user sees it: detach a run-time device and wait for it to come
//! back in DFU mode, write every target, verify, and restart.

use super::describe::{describe, DescribeError, DeviceInfo};
use super::{run, ProgressReport, TransferError, Transport};
use crate::core::descriptor::{DfuVersion, Mode};
use crate::core::file::{self, FirmwareFile, IdCheck, Image, UsbIds};
use crate::core::{DfuseOptions, DownloadOptions, Error, Finish, PlanError, Session};
use serde::Serialize;
use std::fmt;

/// What to write: a plain image (DFU 1.1, or DfuSe at an address) or addressed
/// elements per alt setting (DfuSe files, Intel HEX).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlashImage {
    Raw(Vec<u8>),
    Targets(Vec<FlashTarget>),
}

impl From<&FirmwareFile> for FlashImage {
    fn from(f: &FirmwareFile) -> FlashImage {
        match &f.image {
            Image::Raw(d) => FlashImage::Raw(d.clone()),
            Image::Addressed(targets) => FlashImage::Targets(
                targets
                    .iter()
                    .map(|t| FlashTarget {
                        alt: t.alt,
                        elements: t
                            .elements
                            .iter()
                            .map(|e| (e.address, e.data.clone()))
                            .collect(),
                    })
                    .collect(),
            ),
        }
    }
}

/// Elements for one alt setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlashTarget {
    pub alt: u8,
    pub elements: Vec<(u32, Vec<u8>)>,
}

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
    /// Flash even though the suffix names another device.
    pub force: bool,
}

/// The end of a successful update.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlashReport {
    pub written: u64,
    pub verified: bool,
    pub finish: Finish,
    /// Whether the device had to be switched from run-time to DFU mode first.
    pub detached: bool,
    /// Where a raw image was placed on a DfuSe device.
    pub address: Option<u32>,
    pub device: DeviceInfo,
}

/// Why an update failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum FlashError {
    Describe(DescribeError),
    Transfer(TransferError),
    Device(Error),
    Plan(PlanError),
    /// The device did not come back in DFU mode after the detach.
    NoDfuMode,
    /// The file has addressed data but the device is plain DFU 1.1.
    NeedsDfuse,
    /// The file names an alt setting the device lacks.
    NoSuchAlt {
        alt: u8,
    },
    /// The alt setting has no readable memory map.
    NoMemoryMap {
        alt: u8,
    },
    /// The file's suffix names another device.
    WrongDevice {
        file: UsbIds,
        device: UsbIds,
    },
}

impl fmt::Display for FlashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlashError::Describe(e) => write!(f, "{e}"),
            FlashError::Transfer(e) => write!(
                f,
                "The connection to the device failed ({}). Unplug it, plug it back in and try again.",
                e.message
            ),
            FlashError::Device(e) => write!(f, "{e}"),
            FlashError::Plan(e) => write!(f, "{e}"),
            FlashError::NoDfuMode => write!(
                f,
                "The device did not come back in update mode. Unplug it, plug it back in and try again."
            ),
            FlashError::NeedsDfuse => write!(
                f,
                "This file places data at memory addresses, but the device takes a plain image. Use the vendor's .bin or .dfu file for this device."
            ),
            FlashError::NoSuchAlt { alt } => write!(
                f,
                "The file is for memory area {alt}, which this device does not have. The file is probably for another device."
            ),
            FlashError::WrongDevice { file, device } => write!(
                f,
                "This file is for another device (USB id {:04x}:{:04x}); this device is {:04x}:{:04x}. Get the firmware made for your device.",
                file.vendor, file.product, device.vendor, device.product
            ),
            FlashError::NoMemoryMap { alt } => write!(
                f,
                "The device does not describe memory area {alt}, so the file cannot be placed safely."
            ),
        }
    }
}

impl From<DescribeError> for FlashError {
    fn from(e: DescribeError) -> Self {
        FlashError::Describe(e)
    }
}
impl From<TransferError> for FlashError {
    fn from(e: TransferError) -> Self {
        FlashError::Transfer(e)
    }
}
impl From<Error> for FlashError {
    fn from(e: Error) -> Self {
        FlashError::Device(e)
    }
}
impl From<PlanError> for FlashError {
    fn from(e: PlanError) -> Self {
        FlashError::Plan(e)
    }
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
    let info = describe(t).await?;
    if info.mode == Mode::Dfu {
        return Ok((info, None));
    }
    t.select_alt(info.interface, 0).await?;
    let mut s = Session::detach(info.target());
    let o = run(t, &mut s, on_progress).await?;
    let detached = o.finish != Finish::AlreadyInDfuMode;
    if detached {
        t.reconnect(&info).await?;
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
) -> Result<FlashReport, FlashError> {
    let (info, runtime) = enter_dfu_mode(t, on_progress).await?;
    let detached = runtime.is_some();
    if let Some(file_ids) = opts.suffix {
        if let IdCheck::Mismatch { file, device } =
            file::check_ids(file_ids, runtime.as_ref().map(ids), Some(ids(&info)))
        {
            if !opts.force {
                return Err(FlashError::WrongDevice { file, device });
            }
        }
    }
    let mut placed = None;
    let dfuse = info.version == DfuVersion::DfuSe;
    let jobs: Vec<FlashTarget> = match image {
        FlashImage::Raw(data) if dfuse => {
            let address = match opts.address {
                Some(a) => a,
                None => first_writable(&info, opts.alt)?,
            };
            placed = Some(address);
            vec![FlashTarget {
                alt: opts.alt,
                elements: vec![(address, data.clone())],
            }]
        }
        FlashImage::Raw(data) => vec![FlashTarget {
            alt: opts.alt,
            elements: vec![(0, data.clone())],
        }],
        FlashImage::Targets(_) if !dfuse => return Err(FlashError::NeedsDfuse),
        FlashImage::Targets(t) => t.clone(),
    };
    // Check every target before touching the device.
    let mut sessions = Vec::new();
    let last = jobs.len().saturating_sub(1);
    for (i, job) in jobs.iter().enumerate() {
        let Some(alt) = info.alt(job.alt) else {
            return Err(FlashError::NoSuchAlt { alt: job.alt });
        };
        let s = if dfuse {
            let Some(map) = &alt.memory_map else {
                return Err(FlashError::NoMemoryMap { alt: job.alt });
            };
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
            };
            Session::dfuse_download(info.target(), map, &elements, o)?
        } else {
            let data = job.elements.first().map(|e| e.1.as_slice()).unwrap_or(&[]);
            let o = DownloadOptions {
                verify: opts.verify,
                restart: opts.restart && i == last,
            };
            Session::download(info.target(), data, o)?
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
    };
    for (alt, mut s) in sessions {
        t.select_alt(info.interface, alt).await?;
        let o = run(t, &mut s, on_progress).await?;
        report.written += o.written;
        report.verified &= o.verified;
        report.finish = o.finish;
    }
    Ok(report)
}

fn first_writable(info: &DeviceInfo, alt: u8) -> Result<u32, FlashError> {
    let a = info.alt(alt).ok_or(FlashError::NoSuchAlt { alt })?;
    let map = a
        .memory_map
        .as_ref()
        .ok_or(FlashError::NoMemoryMap { alt })?;
    map.segments
        .iter()
        .find(|s| s.writable)
        .map(|s| s.start)
        .ok_or(FlashError::NoMemoryMap { alt })
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
) -> Result<Backup, FlashError> {
    let (info, _) = enter_dfu_mode(t, on_progress).await?;
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
    let stem: String = info
        .display_name()
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
