//! One answer to "does this file fit this device, and what will be written?": the page's
//! verdict and the driver's update both come from [`assess`], so the page never calls a
//! file a fit for an update the driver then refuses for a reason it could have known.
//!
//! Sans-IO: it reads the device's description and the image, nothing else. A device in
//! run-time mode is assessed with what it says there (the maker's vendor id, its
//! functional descriptor); the rest is assessed again once it is in update mode.

use super::descriptor::{DfuVersion, Mode};
use super::device::DeviceInfo;
use super::file::{self, FirmwareFile, IdCheck, Image, Streamed, UsbIds};
use super::vectors::{self, VectorProblem};

/// What to write: a plain image (DFU 1.1, or DfuSe at an address) or addressed
/// elements per alt setting (DfuSe files, Intel HEX).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlashImage {
    Raw(Vec<u8>),
    /// A plain image too large to hold, sent from its file ([`file::stream`]).
    Stream(Streamed),
    Targets(Vec<FlashTarget>),
}

/// Elements for one alt setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlashTarget {
    pub alt: u8,
    pub elements: Vec<(u32, Vec<u8>)>,
}

impl From<&FirmwareFile> for FlashImage {
    fn from(f: &FirmwareFile) -> FlashImage {
        match &f.image {
            Image::Raw(d) => FlashImage::Raw(d.clone()),
            Image::Stream(s) => FlashImage::Stream(s.clone()),
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

impl FlashImage {
    /// Bytes to write.
    pub fn len(&self) -> u64 {
        match self {
            FlashImage::Raw(d) => d.len() as u64,
            FlashImage::Stream(s) => s.len,
            FlashImage::Targets(t) => t
                .iter()
                .flat_map(|t| &t.elements)
                .map(|e| e.1.len() as u64)
                .sum(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Where a plain image goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Placement {
    /// The alt setting (memory area) a plain image is written to.
    pub alt: u8,
    /// DfuSe: the address of a plain image (default: the alt's first writable segment).
    pub address: Option<u32>,
}

/// Why a file does not fit, or is risky. In the order a person would check them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Misfit {
    /// The suffix names a device from another maker. Never written.
    OtherMaker {
        file: UsbIds,
        device: UsbIds,
    },
    /// The suffix names another model or release of the same maker. Risky.
    OtherModel {
        file: UsbIds,
        device: UsbIds,
    },
    /// Addressed data for a device that takes a plain image.
    NeedsDfuse,
    NoSuchAlt {
        alt: u8,
    },
    /// The alt setting has no readable memory map.
    NoMemoryMap {
        alt: u8,
    },
    /// The memory map has no writable segment for a plain image.
    NoWritableMemory {
        alt: u8,
    },
    /// Data outside the writable memory of the alt setting.
    OutsideMemory {
        alt: u8,
        address: u32,
        len: u64,
        /// Writable bytes the memory has from `address` on.
        room: u64,
        /// Untrusted text from the device.
        memory: String,
    },
    /// Larger than a DFU 1.1 device took when a file was last written to it.
    LargerThanLearned {
        size: u64,
        capacity: u64,
    },
    DownloadNotSupported,
    /// A plain image much smaller than any real firmware. Risky.
    TinyImage {
        size: u64,
    },
    /// No plausible Cortex-M vector table at the flash base. Risky.
    NotAProgram(VectorProblem),
}

impl Misfit {
    /// May the user confirm it ("Flash anyway")? Everything else is never written.
    pub fn confirmable(&self) -> bool {
        matches!(
            self,
            Misfit::OtherModel { .. } | Misfit::TinyImage { .. } | Misfit::NotAProgram(_)
        )
    }
}

/// Where each part of the image goes, once the device is in update mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub alt: u8,
    pub elements: Vec<(u32, Vec<u8>)>,
    /// A streamed image instead of `elements`: its address (0 on DFU 1.1) and length.
    pub stream: Option<(u32, u64)>,
    /// DfuSe: the pages or sectors erased for it.
    pub erases: usize,
}

/// The answer: what will be written, and what does not fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// Empty when the device runs its firmware (its memory is known only in update mode).
    pub jobs: Vec<Job>,
    /// DfuSe: where a plain image goes, and the name of that memory.
    pub placed: Option<(u32, String)>,
    pub misfits: Vec<Misfit>,
    /// The device runs its firmware: assessed again once it is in update mode, before
    /// anything is written.
    pub checked_again: bool,
    /// A read-back check is possible.
    pub can_verify: bool,
}

impl Assessment {
    /// Nothing that is never written.
    pub fn writable(&self) -> bool {
        self.misfits.iter().all(Misfit::confirmable)
    }

    /// The misfits that need the user's confirmation.
    pub fn risks(&self) -> impl Iterator<Item = &Misfit> {
        self.misfits.iter().filter(|m| m.confirmable())
    }
}

fn ids(d: &DeviceInfo) -> UsbIds {
    UsbIds {
        vendor: d.vendor_id,
        product: d.product_id,
        device: d.device_version,
    }
}

/// Assess writing `image` (with the ids its suffix names) to the device `d`, placing a
/// plain image as `place` says. `runtime`: the ids the device had in run-time mode, when
/// it was switched from there (a suffix may name either).
pub fn assess(
    d: &DeviceInfo,
    runtime: Option<UsbIds>,
    image: &FlashImage,
    suffix: Option<UsbIds>,
    place: Placement,
) -> Assessment {
    let in_runtime = d.mode == Mode::Runtime;
    let dfuse = d.version == DfuVersion::DfuSe;
    let mut misfits = Vec::new();
    // What the suffix names. In run-time mode only the maker can be compared: the
    // product id usually changes in update mode.
    if let Some(file) = suffix {
        if in_runtime {
            if file.vendor != file::suffix::ANY && file.vendor != d.vendor_id {
                misfits.push(Misfit::OtherMaker {
                    file,
                    device: ids(d),
                });
            }
        } else if let IdCheck::Mismatch { file, device } =
            file::check_ids(file, runtime, Some(ids(d)))
        {
            misfits.push(if file.vendor == device.vendor {
                Misfit::OtherModel { file, device }
            } else {
                Misfit::OtherMaker { file, device }
            });
        }
    }
    // A run-time functional descriptor that states DFU 1.1 (rather than none) says the
    // device takes plain images in update mode too.
    let says_plain = d.functional.raw_version.is_some() && !dfuse;
    let mut jobs = Vec::new();
    let mut placed = None;
    match image {
        FlashImage::Targets(_) if !dfuse && (!in_runtime || says_plain) => {
            misfits.push(Misfit::NeedsDfuse)
        }
        FlashImage::Targets(_) if in_runtime => {}
        FlashImage::Targets(targets) => {
            for t in targets {
                if let Some(job) = place_job(d, t.alt, t.elements.clone(), &mut misfits) {
                    jobs.push(job);
                }
            }
        }
        FlashImage::Raw(_) | FlashImage::Stream(_) if in_runtime => {}
        FlashImage::Raw(_) | FlashImage::Stream(_) if dfuse => {
            let map = d.alt(place.alt).and_then(|a| a.memory_map.as_ref());
            let at = place.address.or_else(|| {
                map.and_then(|m| m.segments.iter().find(|s| s.writable))
                    .map(|s| s.start)
            });
            match (d.alt(place.alt), map, at) {
                (None, ..) => misfits.push(Misfit::NoSuchAlt { alt: place.alt }),
                (_, None, _) => misfits.push(Misfit::NoMemoryMap { alt: place.alt }),
                (_, Some(_), None) => misfits.push(Misfit::NoWritableMemory { alt: place.alt }),
                (_, Some(m), Some(at)) => {
                    let before = misfits.len();
                    let job = match image {
                        FlashImage::Stream(st) => place_stream(d, place.alt, at, st, &mut misfits),
                        _ => place_job(
                            d,
                            place.alt,
                            vec![(at, plain(image).to_vec())],
                            &mut misfits,
                        ),
                    };
                    if let Some(job) = job {
                        jobs.push(job);
                    }
                    if misfits.len() == before || misfits[before..].iter().all(Misfit::confirmable)
                    {
                        placed = Some((at, m.name.clone()));
                    }
                }
            }
        }
        FlashImage::Raw(_) | FlashImage::Stream(_) if d.alt(place.alt).is_none() => {
            misfits.push(Misfit::NoSuchAlt { alt: place.alt })
        }
        FlashImage::Raw(_) | FlashImage::Stream(_) => {
            let size = image.len();
            if let Some(cap) = d.learned_capacity {
                if size > cap {
                    misfits.push(Misfit::LargerThanLearned {
                        size,
                        capacity: cap,
                    });
                }
            }
            let streamed = matches!(image, FlashImage::Stream(_));
            jobs.push(Job {
                alt: place.alt,
                elements: if streamed {
                    Vec::new()
                } else {
                    vec![(0, plain(image).to_vec())]
                },
                stream: streamed.then_some((0, size)),
                erases: 0,
            });
        }
    }
    if let FlashImage::Raw(data) = image {
        let size = data.len() as u64;
        if size < file::TINY_IMAGE {
            misfits.push(Misfit::TinyImage { size });
        }
    }
    if !d.attributes.can_download {
        misfits.push(Misfit::DownloadNotSupported);
    }
    Assessment {
        jobs,
        placed,
        misfits,
        checked_again: in_runtime,
        can_verify: d.attributes.can_upload
            && !d.quirks.broken_upload
            && (dfuse || d.attributes.manifestation_tolerant || in_runtime),
    }
}

/// The bytes of a plain image held in memory (none for the others).
fn plain(image: &FlashImage) -> &[u8] {
    match image {
        FlashImage::Raw(d) => d,
        _ => &[],
    }
}

/// Writable bytes of `map` from `address` on, without a gap.
fn room(map: &super::memmap::MemoryMap, address: u32) -> u64 {
    let mut at = u64::from(address);
    let mut segs: Vec<_> = map.segments.iter().filter(|s| s.writable).collect();
    crate::core::sort::sort_by_key(&mut segs, |s| s.start);
    for s in segs {
        let (start, end) = (u64::from(s.start), s.end());
        if start <= at && at < end {
            at = end;
        }
    }
    at - u64::from(address)
}

/// A DfuSe job for a streamed image at `at`: the same checks as [`place_job`], the
/// vector table from the image's first bytes.
fn place_stream(
    d: &DeviceInfo,
    alt: u8,
    at: u32,
    st: &Streamed,
    misfits: &mut Vec<Misfit>,
) -> Option<Job> {
    let head = vec![(at, st.head.clone())];
    let before = misfits.len();
    let mut job = place_job(d, alt, head, misfits)?;
    let map = d.alt(alt).and_then(|a| a.memory_map.as_ref())?;
    if !map.covers(at, st.len, |s| s.writable) {
        misfits.truncate(before);
        misfits.push(Misfit::OutsideMemory {
            alt,
            address: at,
            len: st.len,
            room: room(map, at),
            memory: map.name.clone(),
        });
        return None;
    }
    let mut pages = map.pages_touching(at, st.len);
    pages.dedup();
    job.elements = Vec::new();
    job.stream = Some((at, st.len));
    job.erases = pages.len();
    Some(job)
}

/// A DfuSe job for alt `alt`: inside its writable memory, and a program where the device
/// starts one.
fn place_job(
    d: &DeviceInfo,
    alt: u8,
    elements: Vec<(u32, Vec<u8>)>,
    misfits: &mut Vec<Misfit>,
) -> Option<Job> {
    let Some(a) = d.alt(alt) else {
        misfits.push(Misfit::NoSuchAlt { alt });
        return None;
    };
    let Some(map) = &a.memory_map else {
        misfits.push(Misfit::NoMemoryMap { alt });
        return None;
    };
    let mut inside = true;
    for (address, data) in &elements {
        let len = data.len() as u64;
        if !map.covers(*address, len, |s| s.writable) {
            inside = false;
            misfits.push(Misfit::OutsideMemory {
                alt,
                address: *address,
                len,
                room: room(map, *address),
                memory: map.name.clone(),
            });
        }
    }
    if !inside {
        return None;
    }
    if let Some(base) = vectors::applies(alt, map, d.quirks.gd32_layout) {
        let borrowed: Vec<(u32, &[u8])> =
            elements.iter().map(|(a, v)| (*a, v.as_slice())).collect();
        if let Err(p) = vectors::check(base, &borrowed) {
            misfits.push(Misfit::NotAProgram(p));
        }
    }
    let mut pages: Vec<(u32, u32)> = elements
        .iter()
        .flat_map(|(a, v)| map.pages_touching(*a, v.len() as u64))
        .collect();
    crate::core::sort::sort(&mut pages);
    pages.dedup();
    Some(Job {
        alt,
        elements,
        stream: None,
        erases: pages.len(),
    })
}
