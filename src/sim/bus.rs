//! The device on the bus: plugged in or not, attaching as one of its personalities (the
//! ids and release it shows then), the changes its clock drives, and a host's bus reset.

use super::{Activity, Effect, Personality, Setup, SimDevice, SimError, Trigger};

impl SimDevice {
    /// The user pulls the cable: the device is gone until [`SimDevice::plug`].
    pub fn unplug(&mut self) {
        self.detach(None);
    }

    /// The user plugs the device back in (after [`SimDevice::unplug`]). A device whose
    /// update was cut short starts in DFU mode, as a bootloader does without a valid
    /// application; otherwise it starts as it did at first.
    pub fn plug(&mut self) {
        if self.attached {
            return;
        }
        self.reattach = None;
        let runtime = self.profile.runtime_product.is_some() && !self.firmware().is_empty();
        let was_writing = self.personality == Personality::Dfu;
        let p = if runtime && !was_writing {
            Personality::Runtime
        } else {
            Personality::Dfu
        };
        self.attach(p);
    }

    pub fn is_attached(&self) -> bool {
        self.attached
    }

    /// Increments each time the device (re)attaches.
    pub fn enumeration(&self) -> u32 {
        self.enumeration
    }

    /// (idVendor, idProduct) the device shows now.
    pub fn ids(&self) -> (u16, u16) {
        match self.personality {
            Personality::Runtime | Personality::App => (
                self.profile.vendor,
                self.profile
                    .runtime_product
                    .unwrap_or(self.profile.dfu_product),
            ),
            Personality::Dfu => (self.profile.vendor, self.profile.dfu_product),
        }
    }

    /// bcdDevice as the device shows it now (see [`Profile::version_in_firmware`]).
    pub fn release(&self) -> u16 {
        if self.personality == Personality::Dfu || !self.profile.version_in_firmware {
            return self.profile.release;
        }
        self.installed
            .first()
            .and_then(|f| firmware_version(f))
            .unwrap_or(self.profile.release)
    }

    /// Is the device in DFU mode?
    pub fn in_dfu_mode(&self) -> bool {
        self.personality == Personality::Dfu
    }

    /// Time-driven changes: re-attach, busy periods ending, detach windows.
    pub(super) fn tick(&mut self) {
        if let Some((at, p)) = self.reattach {
            if self.now_us >= at {
                self.reattach = None;
                if self.take_fault(|t| *t == Trigger::Reattach) == Some(Effect::NeverReattach) {
                    return;
                }
                self.attach(p);
            }
        }
        if self.personality == Personality::Runtime && self.state == 1 {
            if let Some(d) = self.detach_deadline {
                if self.now_us > d {
                    self.state = 0;
                    self.detach_deadline = None;
                }
            }
        }
        if self.personality == Personality::Dfu {
            self.dfu_tick();
        }
    }

    fn attach(&mut self, p: Personality) {
        self.attached = true;
        self.personality = p;
        self.enumeration += 1;
        self.alt = 0;
        self.pending = None;
        self.done = false;
        self.next_block = None;
        self.image.clear();
        self.buffer = Vec::new();
        self.buffer_at = 0;
        self.detach_deadline = None;
        self.dfu_detached = false;
        self.uploaded = false;
        self.begin(match p {
            Personality::Dfu => Activity::Idle,
            _ => Activity::Runtime,
        });
        match p {
            Personality::Dfu => {
                self.state = 2;
                self.status = 0;
            }
            _ => {
                self.state = 0;
                self.status = 0;
            }
        }
    }

    /// Drop off the bus; come back as `p` after `ms` (unless `None`).
    pub(super) fn detach(&mut self, back: Option<(u32, Personality)>) {
        self.attached = false;
        // A device that leaves the bus forgets a garbled reply it had yet to give.
        self.status_fault = None;
        self.forced_poll = None;
        self.reattach = back.map(|(ms, p)| (self.now_us + u64::from(ms) * 1000, p));
    }

    /// A host-issued USB bus reset.
    pub fn reset(&mut self) -> Result<(), SimError> {
        self.tick();
        if !self.attached {
            return Err(SimError::Disconnected);
        }
        self.record(
            "RESET",
            Setup {
                request_type: 0,
                request: 0,
                value: 0,
                index: 0,
                length: 0,
            },
            (0, None),
            "ok",
        );
        if self.take_fault(|t| *t == Trigger::Reset) == Some(Effect::ResetFails) {
            return Err(SimError::Timeout);
        }
        let back = self.profile.timing.reattach_ms;
        match self.personality {
            Personality::Runtime => {
                let detaching =
                    self.state == 1 && self.detach_deadline.is_some_and(|d| self.now_us <= d);
                if detaching && self.profile.attributes & 0x08 != 0 {
                    self.violation(
                        "reset only where allowed",
                        "host reset a bitWillDetach device after DETACH".into(),
                    );
                }
                let to = if detaching {
                    Personality::Dfu
                } else {
                    Personality::Runtime
                };
                self.detach(Some((back, to)));
            }
            Personality::Dfu => {
                if matches!(self.state, 3..=7) {
                    self.violation(
                        "reset only where allowed",
                        format!(
                            "host reset the device in state {} (mid-transfer)",
                            self.state
                        ),
                    );
                }
                // A valid application starts after the reset; else DFU mode again.
                let detached = (!self.profile.bugs.needs_detach_to_attach || self.dfu_detached)
                    && (!self.profile.bugs.needs_upload_to_attach || self.uploaded);
                let to = if self.profile.runtime_product.is_some()
                    && !self.firmware().is_empty()
                    && detached
                {
                    Personality::Runtime
                } else {
                    Personality::Dfu
                };
                self.detach(Some((back, to)));
            }
            Personality::App => self.detach(Some((back, Personality::App))),
        }
        Ok(())
    }
}

/// The version a firmware names at the end of its first line (`NAME v1.42`), as BCD
/// (0x0142): two digits before the dot at most, exactly two after.
fn firmware_version(image: &[u8]) -> Option<u16> {
    let line = image.split(|&b| b == b'\n').next()?;
    let at = line.iter().rposition(|&b| b == b'v')?;
    let v = &line[at + 1..];
    let dot = v.iter().position(|&b| b == b'.')?;
    let (major, minor) = (&v[..dot], &v[dot + 1..]);
    let digits = |d: &[u8]| !d.is_empty() && d.iter().all(u8::is_ascii_digit);
    if !digits(major) || major.len() > 2 || minor.len() != 2 || !digits(minor) {
        return None;
    }
    let bcd = |d: &[u8]| d.iter().fold(0u16, |n, &c| (n << 4) | u16::from(c - b'0'));
    Some((bcd(major) << 8) | bcd(minor))
}
