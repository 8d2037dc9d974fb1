//! DFU-mode behaviour: the DFU 1.1 state table (spec appendix A) and the DfuSe command
//! set (UM0424, AN3156), with the host-manners checks.

use super::flash::MemError;
use super::{Effect, Personality, SimDevice, SimError, Trigger};

// States (DFU 1.1 table 6.1), as the device encodes them.
const DFU_IDLE: u8 = 2;
const DNLOAD_SYNC: u8 = 3;
const DNBUSY: u8 = 4;
const DNLOAD_IDLE: u8 = 5;
const MANIFEST_SYNC: u8 = 6;
const MANIFEST: u8 = 7;
const MANIFEST_WAIT_RESET: u8 = 8;
const UPLOAD_IDLE: u8 = 9;
const DFU_ERROR: u8 = 10;

// Statuses.
const OK: u8 = 0x00;
const ERR_TARGET: u8 = 0x01;
const ERR_PROG: u8 = 0x06;
const ERR_ADDRESS: u8 = 0x08;
const ERR_NOTDONE: u8 = 0x09;
const ERR_STALLEDPKT: u8 = 0x0F;
/// errUNKNOWN: what U-Boot reports for every failure.
const ERR_UNKNOWN: u8 = 0x0E;

/// What a device with a garbage bwPollTimeout reports (3.5 hours).
const GARBAGE_POLL_MS: u32 = 0xC0_FFEE;

/// Work a DNLOAD queued; it runs on the next GETSTATUS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    Block(Vec<u8>),
    Write { address: u32, data: Vec<u8> },
    SetAddress(u32),
    Erase(u32),
    MassErase,
    Unprotect,
    Manifest,
    Leave,
    Fail(u8),
}

type Reply = Result<Option<Vec<u8>>, SimError>;

impl SimDevice {
    fn attr(&self, bit: u8) -> bool {
        self.profile.attributes & bit != 0
    }

    /// Stall and enter dfuERROR / errSTALLEDPKT, as the spec's "other" rows say.
    fn refuse(&mut self) -> Reply {
        self.state = DFU_ERROR;
        self.status = ERR_STALLEDPKT;
        self.pending = None;
        Err(SimError::Stall)
    }

    pub(super) fn dfu_tick(&mut self) {
        if self.state == DNBUSY && self.now_us >= self.busy_until {
            self.state = DNLOAD_SYNC;
        }
        if self.state == MANIFEST && self.now_us >= self.busy_until {
            if let Some((alt, image)) = self.manifesting.take() {
                if let Some(slot) = self.installed.get_mut(alt) {
                    *slot = image;
                }
            }
            if self.attr(0x04) {
                self.state = MANIFEST_SYNC;
            } else {
                self.state = MANIFEST_WAIT_RESET;
                if self.attr(0x08) {
                    // Will-detach devices reboot by themselves.
                    let back = self.profile.timing.reattach_ms;
                    let to = if self.profile.runtime_product.is_some() {
                        Personality::Runtime
                    } else {
                        Personality::Dfu
                    };
                    self.detach(Some((back, to)));
                }
            }
        }
    }

    pub(super) fn dfu_request(&mut self, s: super::Setup, out: Option<&[u8]>) -> Reply {
        // Host manners that every request must keep.
        if s.index != 0 {
            self.violation(
                "class request to the DFU interface",
                format!("wIndex {} instead of 0", s.index),
            );
        }
        if matches!(s.request, 1 | 2) && s.length > self.profile.transfer_size {
            let (len, ts) = (s.length, self.profile.transfer_size);
            self.violation(
                "no transfer above wTransferSize",
                format!("wLength {len} > {ts}"),
            );
        }
        if matches!(self.state, DNBUSY | MANIFEST) && self.now_us < self.busy_until {
            let bugs = &self.profile.bugs;
            let late_manifest = bugs.manifest_overrun_ms > 0
                && self.state == MANIFEST
                && self.now_us >= self.stated_until;
            if s.request == 3 && (bugs.lenient_busy || late_manifest) {
                // U-Boot answers GETSTATUS while busy.
                return Ok(Some(self.busy_status(usize::from(s.length))));
            }
            if s.request == 3 && bugs.erase_overrun_ms > 0 && self.now_us >= self.stated_until {
                // The host waited as told; the erase runs late: stall, state unchanged.
                return Err(SimError::Stall);
            }
            let early = (self.busy_until - self.now_us) / 1000;
            self.violation(
                "request to busy device",
                format!(
                    "{} {} ms before the poll timeout ended",
                    super::request_name(s),
                    early
                ),
            );
            return self.refuse();
        }
        if self.state == MANIFEST_WAIT_RESET {
            return Err(SimError::Stall);
        }
        let data = out.unwrap_or(&[]);
        match s.request {
            1 => self.dnload(s.value, data),
            2 => self.upload(s.value, usize::from(s.length)),
            3 => Ok(Some(self.get_status(usize::from(s.length)))),
            4 if self.state == DFU_ERROR => {
                self.state = DFU_IDLE;
                self.status = OK;
                Ok(None)
            }
            5 => Ok(Some(vec![self.state])),
            0 if self.profile.bugs.needs_detach_to_attach && self.state == DFU_IDLE => {
                self.dfu_detached = true;
                Ok(None)
            }
            6 if matches!(self.state, DFU_IDLE | DNLOAD_IDLE | UPLOAD_IDLE) => {
                self.state = DFU_IDLE;
                self.pending = None;
                self.next_block = None;
                Ok(None)
            }
            _ => self.refuse(),
        }
    }

    fn dnload(&mut self, block: u16, data: &[u8]) -> Reply {
        if !matches!(self.state, DFU_IDLE | DNLOAD_IDLE) || !self.attr(0x01) {
            return self.refuse();
        }
        self.uploaded = false;
        let pending = if self.profile.dfuse {
            if data.is_empty() {
                Pending::Leave
            } else if block == 0 {
                match data {
                    [0x21, a @ ..] if a.len() == 4 => {
                        Pending::SetAddress(u32::from_le_bytes([a[0], a[1], a[2], a[3]]))
                    }
                    [0x41] => Pending::MassErase,
                    [0x41, a @ ..] if a.len() == 4 => {
                        Pending::Erase(u32::from_le_bytes([a[0], a[1], a[2], a[3]]))
                    }
                    [0x92] => Pending::Unprotect,
                    _ => return self.refuse(),
                }
            } else if block == 1 {
                return self.refuse();
            } else {
                let offset = u64::from(block - 2) * u64::from(self.profile.transfer_size);
                let address = (u64::from(self.pointer) + offset) as u32;
                Pending::Write {
                    address,
                    data: data.to_vec(),
                }
            }
        } else if data.is_empty() {
            if self.state == DFU_IDLE {
                return self.refuse();
            }
            Pending::Manifest
        } else {
            let expected = if self.state == DFU_IDLE {
                self.image.clear();
                self.buffer.clear();
                self.buffer_at = 0;
                0
            } else {
                self.next_block.unwrap_or(0)
            };
            if block != expected {
                self.violation(
                    "blocks in order",
                    format!("block {block} where {expected} was due"),
                );
                return self.refuse();
            }
            self.next_block = Some(block.wrapping_add(1));
            Pending::Block(data.to_vec())
        };
        // Faults aimed at a data block or an address.
        let touches = match &pending {
            Pending::Write { address, data } => Some((*address, data.len() as u64)),
            Pending::Erase(a) => Some((*a, 1)),
            _ => None,
        };
        let is_data = matches!(pending, Pending::Write { .. } | Pending::Block(_));
        let fault = self.take_fault(|t| match t {
            Trigger::Block(b) => is_data && *b == block,
            Trigger::Address(a) => touches.is_some_and(|(s, n)| {
                u64::from(*a) >= u64::from(s) && u64::from(*a) < u64::from(s) + n
            }),
            _ => false,
        });
        let pending = match fault {
            Some(Effect::ErrorStatus(st)) => Pending::Fail(st),
            Some(Effect::VendorError(text)) => {
                self.error_string = self.strings.add(text);
                Pending::Fail(0x0B)
            }
            Some(Effect::Stall) => return self.refuse(),
            Some(Effect::Disconnect { reattach_ms }) => {
                self.detach(reattach_ms.map(|ms| (ms, Personality::Dfu)));
                return Err(SimError::Disconnected);
            }
            Some(Effect::Timeout) => {
                self.now_us += 5_000_000;
                return Err(SimError::Timeout);
            }
            _ => pending,
        };
        self.state = if matches!(pending, Pending::Manifest | Pending::Leave) {
            MANIFEST_SYNC
        } else {
            DNLOAD_SYNC
        };
        self.pending = Some(pending);
        self.done = false;
        Ok(None)
    }

    fn upload(&mut self, block: u16, len: usize) -> Reply {
        if !matches!(self.state, DFU_IDLE | UPLOAD_IDLE) || !self.attr(0x02) {
            return self.refuse();
        }
        self.uploaded = true;
        if self.profile.dfuse {
            if block == 0 {
                self.state = UPLOAD_IDLE;
                let mut c = vec![0x00, 0x21, 0x41, 0x92];
                c.truncate(len);
                return Ok(Some(c));
            }
            if block == 1 {
                return self.refuse();
            }
            let address = u64::from(self.pointer) + u64::from(block - 2) * len as u64;
            let mem = self
                .memories
                .get(usize::from(self.alt))
                .and_then(Option::as_ref);
            let read = u32::try_from(address)
                .ok()
                .and_then(|a| mem.and_then(|m| m.read(a, len)));
            return match read {
                Some(d) => {
                    self.state = UPLOAD_IDLE;
                    Ok(Some(d))
                }
                None => {
                    self.state = DFU_ERROR;
                    self.status = ERR_TARGET;
                    Err(SimError::Stall)
                }
            };
        }
        if self.state == DFU_IDLE {
            self.upload_pos = 0;
        }
        if let Some(Some(m)) = self.media.get(usize::from(self.alt)) {
            // A partition reads back whole, short at its end.
            let d = m.read(self.upload_pos as u64, len);
            self.upload_pos += d.len();
            self.state = if d.len() < len { DFU_IDLE } else { UPLOAD_IDLE };
            return Ok(Some(d));
        }
        let img = self
            .installed
            .get(usize::from(self.alt))
            .cloned()
            .unwrap_or_default();
        let start = self.upload_pos.min(img.len());
        let end = (start + len).min(img.len());
        self.upload_pos = end;
        self.state = if end - start < len {
            DFU_IDLE
        } else {
            UPLOAD_IDLE
        };
        if self.profile.bugs.broken_upload {
            return Ok(Some(vec![0; end - start]));
        }
        Ok(Some(img[start..end].to_vec()))
    }

    /// Run the queued work; returns the busy time in ms or the error status.
    fn execute(&mut self, p: Pending) -> Result<u32, u8> {
        let t = self.profile.timing.clone();
        let alt = usize::from(self.alt);
        match p {
            Pending::Fail(st) => Err(st),
            Pending::Block(data) if self.media.get(alt).is_some_and(Option::is_some) => {
                let Some(p) = self.profile.partitions else {
                    return Err(ERR_UNKNOWN);
                };
                let cap = self.profile.alts.get(alt).map_or(0, |a| a.capacity as u64);
                let received = self.buffer_at + self.buffer.len() as u64;
                if received + data.len() as u64 > cap {
                    // "Request would exceed designated area!"
                    return Err(ERR_UNKNOWN);
                }
                self.buffer.extend_from_slice(&data);
                if self.buffer.len() >= p.buffer as usize {
                    return self.drain(alt);
                }
                Ok(t.program_ms)
            }
            Pending::Block(data) => {
                let cap = self.profile.alts.get(alt).map_or(0, |a| a.capacity);
                if self.image.len() + data.len() > cap {
                    return Err(ERR_ADDRESS);
                }
                let first = self.image.is_empty();
                self.image.extend_from_slice(&data);
                Ok(t.program_ms + if first { t.first_block_erase_ms } else { 0 })
            }
            Pending::Write { address, data } => {
                let ts = u32::from(self.profile.transfer_size.max(1));
                let Some(Some(m)) = self.memories.get_mut(alt) else {
                    return Err(ERR_TARGET);
                };
                match m.write(address, &data) {
                    Ok(()) => Ok((t.program_ms * data.len() as u32).div_ceil(ts).max(1)),
                    Err(MemError::Address) => Err(ERR_TARGET),
                    Err(MemError::NotErased) => {
                        self.violation(
                            "no write to unerased flash",
                            format!("write of {} bytes at {address:#010x}", data.len()),
                        );
                        Err(ERR_PROG)
                    }
                }
            }
            Pending::SetAddress(a) => match self.memories.get(alt) {
                Some(Some(m)) if m.contains(a) => {
                    self.pointer = a;
                    Ok(t.command_ms)
                }
                _ => Err(ERR_TARGET),
            },
            Pending::Erase(a) => {
                let Some(Some(m)) = self.memories.get_mut(alt) else {
                    return Err(ERR_TARGET);
                };
                match m.erase_page(a) {
                    Ok(size) => Ok(self.profile.erase_time_ms(size)),
                    Err(_) => Err(ERR_TARGET),
                }
            }
            Pending::MassErase => {
                if let Some(Some(m)) = self.memories.get_mut(alt) {
                    m.erase_all();
                }
                Ok(t.mass_erase_ms)
            }
            Pending::Unprotect => {
                for m in self.memories.iter_mut().flatten() {
                    m.wipe();
                }
                // The chip resets: no second status reply.
                let back = t.reattach_ms;
                self.detach(Some((back, Personality::Dfu)));
                Ok(t.command_ms)
            }
            Pending::Manifest if self.media.get(alt).is_some_and(Option::is_some) => {
                if self.buffer_at == 0 && self.buffer.is_empty() {
                    return Err(ERR_NOTDONE);
                }
                Ok(self.drain(alt)? + t.manifest_ms)
            }
            Pending::Manifest => {
                if self.image.is_empty() {
                    return Err(ERR_NOTDONE);
                }
                let image = std::mem::take(&mut self.image);
                if self.profile.bugs.manifest_overrun_ms > 0 {
                    // Written only when the (late) manifestation ends.
                    self.manifesting = Some((alt, image));
                } else if let Some(slot) = self.installed.get_mut(alt) {
                    *slot = image;
                }
                Ok(t.manifest_ms)
            }
            Pending::Leave => Ok(0),
        }
    }

    /// Write a partition's buffer to its medium: the time it takes, in ms.
    fn drain(&mut self, alt: usize) -> Result<u32, u8> {
        let ms_per_mib = self.profile.partitions.map_or(0, |p| p.ms_per_mib);
        let data = std::mem::take(&mut self.buffer);
        let Some(Some(m)) = self.media.get_mut(alt) else {
            return Err(ERR_UNKNOWN);
        };
        if !m.write(self.buffer_at, &data) {
            return Err(ERR_UNKNOWN);
        }
        self.buffer_at += data.len() as u64;
        let ms = (data.len() as u64 * u64::from(ms_per_mib)) >> 20;
        // The buffer's memory is kept for the next blocks.
        self.buffer = data;
        self.buffer.clear();
        Ok(u32::try_from(ms).unwrap_or(u32::MAX))
    }

    /// The status a lenient device gives while still busy.
    fn busy_status(&self, len: usize) -> Vec<u8> {
        let left = ((self.busy_until - self.now_us) / 1000) as u32;
        let poll = if self.profile.bugs.garbage_poll {
            GARBAGE_POLL_MS
        } else {
            left
        };
        let p = poll.to_le_bytes();
        let istring = if self.status == OK {
            0
        } else {
            self.error_string
        };
        let mut r = vec![self.status, p[0], p[1], p[2], self.state, istring];
        r.truncate(len);
        r
    }

    fn get_status(&mut self, len: usize) -> Vec<u8> {
        let mut poll = 0u32;
        match self.state {
            DNLOAD_SYNC | MANIFEST_SYNC if !self.done => {
                let leave = self.pending == Some(Pending::Leave);
                let erase = matches!(self.pending, Some(Pending::Erase(_) | Pending::MassErase));
                let manifest = self.pending == Some(Pending::Manifest);
                match self.pending.take().map(|p| self.execute(p)) {
                    Some(Err(st)) => {
                        self.state = DFU_ERROR;
                        self.status = st;
                    }
                    Some(Ok(ms)) => {
                        self.done = true;
                        poll = ms;
                        self.busy_until = self.now_us + u64::from(ms) * 1000;
                        self.stated_until = self.busy_until;
                        if erase {
                            self.busy_until += u64::from(self.profile.bugs.erase_overrun_ms) * 1000;
                        }
                        if manifest {
                            self.busy_until +=
                                u64::from(self.profile.bugs.manifest_overrun_ms) * 1000;
                        }
                        self.state = match (self.state, ms) {
                            (DNLOAD_SYNC, 0) => DNLOAD_IDLE,
                            (DNLOAD_SYNC, _) => DNBUSY,
                            _ => MANIFEST,
                        };
                        if leave {
                            // The ROM jumps to the application after this reply.
                            let back = self.profile.timing.reattach_ms;
                            self.detach(Some((back, Personality::App)));
                        }
                    }
                    None => {}
                }
            }
            DNLOAD_SYNC => {
                self.state = DNLOAD_IDLE;
                self.done = false;
            }
            MANIFEST_SYNC => {
                self.state = DFU_IDLE;
                self.done = false;
            }
            _ => {}
        }
        self.device_time_us += u64::from(poll) * 1000;
        if self.profile.bugs.garbage_poll && poll > 0 {
            poll = GARBAGE_POLL_MS;
        }
        if let Some(p) = self.forced_poll.take() {
            poll = p;
        }
        let p = poll.to_le_bytes();
        let istring = if self.status == OK {
            0
        } else {
            self.error_string
        };
        let mut r = vec![self.status, p[0], p[1], p[2], self.state, istring];
        match self.status_fault.take() {
            Some(Effect::ShortStatus) => r.truncate(3),
            Some(Effect::GarbageStatus) => r[4] = 0xEE,
            _ => {}
        }
        r.truncate(len);
        r
    }
}
