//! Standard requests (descriptors, SET_INTERFACE) and the run-time personality.

use super::Setup;
use super::{descriptors, Personality, SimDevice, SimError};

impl SimDevice {
    pub(super) fn configuration(&self) -> Vec<u8> {
        let p = &self.profile;
        let fd = descriptors::functional(
            p.attributes,
            p.detach_timeout,
            p.transfer_size,
            p.dfu_version,
            true,
        );
        match self.personality {
            Personality::Runtime => {
                let mut body = descriptors::interface(0, 0, 2, 0xFF, 0, 0, 4 + p.alts.len() as u8);
                body.extend(descriptors::endpoint(0x81));
                body.extend(descriptors::endpoint(0x01));
                body.extend(descriptors::interface(1, 0, 0, 0xFE, 0x01, 0x01, 0));
                body.extend(fd);
                descriptors::configuration(2, &body)
            }
            Personality::Dfu => {
                let mut body = Vec::new();
                for (i, _) in p.alts.iter().enumerate() {
                    body.extend(descriptors::interface(
                        0,
                        i as u8,
                        0,
                        0xFE,
                        0x01,
                        p.dfu_protocol,
                        4 + i as u8,
                    ));
                }
                body.extend(fd);
                descriptors::configuration(1, &body)
            }
            Personality::App => {
                let body = descriptors::interface(0, 0, 0, 0xFF, 0, 0, 0);
                descriptors::configuration(1, &body)
            }
        }
    }

    pub(super) fn standard(
        &mut self,
        s: Setup,
        out: Option<&[u8]>,
    ) -> Result<Option<Vec<u8>>, SimError> {
        let len = usize::from(s.length);
        match (s.request_type & 0x80 != 0, s.request) {
            // GET_DESCRIPTOR
            (true, 0x06) => {
                let index = (s.value & 0xFF) as u8;
                let d = match s.value >> 8 {
                    0x01 => {
                        let (v, pid) = self.ids();
                        Some(descriptors::device(
                            0,
                            0,
                            v,
                            pid,
                            self.release(),
                            [1, 2, if self.profile.serial.is_some() { 3 } else { 0 }],
                        ))
                    }
                    0x02 if index == 0 => Some(self.configuration()),
                    0x03 => self.strings.descriptor(index),
                    _ => None,
                };
                let mut d = d.ok_or(SimError::Stall)?;
                d.truncate(len);
                Ok(Some(d))
            }
            // GET_STATUS
            (true, 0x00) => Ok(Some(vec![0, 0][..len.min(2)].to_vec())),
            // SET_CONFIGURATION
            (false, 0x09) => Ok(None),
            // SET_INTERFACE
            (false, 0x0B) => {
                let alt = s.value as u8;
                if self.personality == Personality::Dfu {
                    if usize::from(alt) >= self.profile.alts.len() || s.index != 0 {
                        return Err(SimError::Stall);
                    }
                    if matches!(self.state, 3..=9) {
                        self.violation(
                            "alt change mid-transfer",
                            format!("SET_INTERFACE in state {}", self.state),
                        );
                    }
                    self.alt = alt;
                } else if alt != 0 {
                    return Err(SimError::Stall);
                }
                let _ = out;
                Ok(None)
            }
            _ => Err(SimError::Stall),
        }
    }

    pub(super) fn runtime_request(&mut self, s: Setup) -> Result<Option<Vec<u8>>, SimError> {
        if s.index != 1 {
            self.violation(
                "class request to the DFU interface",
                format!("wIndex {} instead of 1", s.index),
            );
        }
        match s.request {
            3 if self.profile.runtime_getstatus => {
                // Status faults apply in run-time mode too (a garbled reply, an absurd
                // poll timeout), not later to a status in DFU mode.
                let p = self.forced_poll.take().unwrap_or(0).to_le_bytes();
                let mut r = vec![0, p[0], p[1], p[2], self.state, 0];
                match self.status_fault.take() {
                    Some(super::Effect::ShortStatus) => r.truncate(3),
                    Some(super::Effect::GarbageStatus) => r[4] = 0xEE,
                    _ => {}
                }
                r.truncate(usize::from(s.length));
                Ok(Some(r))
            }
            5 if self.profile.runtime_getstatus => Ok(Some(vec![self.state])),
            0 => {
                self.state = 1;
                let window = u64::from(s.value.min(self.profile.detach_timeout)) * 1000;
                self.detach_deadline = Some(self.now_us + window);
                if self.profile.attributes & 0x08 != 0 {
                    let t = &self.profile.timing;
                    let (delay, back) = (t.detach_delay_ms, t.reattach_ms);
                    // Leaves the bus shortly after, then enumerates in DFU mode.
                    self.reattach = Some((
                        self.now_us + u64::from(delay + back) * 1000,
                        Personality::Dfu,
                    ));
                    self.attached = true;
                    self.pending_detach(delay);
                }
                Ok(None)
            }
            _ => Err(SimError::Stall),
        }
    }

    /// bitWillDetach: the device leaves the bus by itself after DETACH (the host sees
    /// it gone from its next request on; `delay` is part of the re-attach time).
    pub(super) fn pending_detach(&mut self, _delay: u32) {
        self.attached = false;
    }
}

/// A request by type, as the spec tables name them: standard requests first, then the DFU
/// class requests in the order of their codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Request {
    GetDescriptor,
    /// The standard GET_STATUS (not DFU's GETSTATUS).
    GetStatusStandard,
    SetConfiguration,
    SetInterface,
    Detach,
    Dnload,
    Upload,
    GetStatus,
    ClrStatus,
    GetState,
    Abort,
    Other,
}

impl Request {
    /// Every request type.
    pub const ALL: [Request; 12] = [
        Request::GetDescriptor,
        Request::GetStatusStandard,
        Request::SetConfiguration,
        Request::SetInterface,
        Request::Detach,
        Request::Dnload,
        Request::Upload,
        Request::GetStatus,
        Request::ClrStatus,
        Request::GetState,
        Request::Abort,
        Request::Other,
    ];

    /// The type of the request a setup packet carries.
    pub fn of(s: Setup) -> Request {
        match (s.request_type & 0x60, s.request) {
            (0x00, 0x06) => Request::GetDescriptor,
            (0x00, 0x00) => Request::GetStatusStandard,
            (0x00, 0x09) => Request::SetConfiguration,
            (0x00, 0x0B) => Request::SetInterface,
            (0x20, 0) => Request::Detach,
            (0x20, 1) => Request::Dnload,
            (0x20, 2) => Request::Upload,
            (0x20, 3) => Request::GetStatus,
            (0x20, 4) => Request::ClrStatus,
            (0x20, 5) => Request::GetState,
            (0x20, 6) => Request::Abort,
            _ => Request::Other,
        }
    }

    /// Its name, as transcripts, counts and the wire protocol show it.
    pub fn name(self) -> &'static str {
        match self {
            Request::GetDescriptor => "GET_DESCRIPTOR",
            Request::GetStatusStandard => "GET_STATUS",
            Request::SetConfiguration => "SET_CONFIGURATION",
            Request::SetInterface => "SET_INTERFACE",
            Request::Detach => "DETACH",
            Request::Dnload => "DNLOAD",
            Request::Upload => "UPLOAD",
            Request::GetStatus => "GETSTATUS",
            Request::ClrStatus => "CLRSTATUS",
            Request::GetState => "GETSTATE",
            Request::Abort => "ABORT",
            Request::Other => "OTHER",
        }
    }

    /// The request with this name.
    pub fn named(name: &str) -> Option<Request> {
        Request::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// The name of a request, as transcripts and counts show it.
pub fn request_name(s: Setup) -> &'static str {
    Request::of(s).name()
}
