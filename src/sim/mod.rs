//! A simulated DFU / DfuSe device on virtual time (std only).
//!
//! It answers raw control transfers like a real device, written from the spec tables
//! (not from the core's encoders), checks the host's protocol manners as it runs, can
//! inject faults, and keeps a transcript. It is the test oracle for the core and the
//! engine of the page's demo mode.

mod bus;
mod contents;
mod descriptors;
mod dfu;
mod fault;
mod flash;
mod medium;
mod profiles;
mod requests;
pub mod wire;

pub use fault::{Activity, Effect, Fault, Trigger};

pub use contents::MemoryContents;
pub use medium::Medium;
pub use profiles::{AltProfile, Partitions, Profile, Timing};
pub use requests::{request_name, Request};

use descriptors::Strings;
use flash::Memory;
use std::collections::BTreeMap;

/// The setup packet of a control transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    pub request_type: u8,
    pub request: u8,
    pub value: u16,
    pub index: u16,
    pub length: u16,
}

impl Setup {
    /// The packet from its eight bytes on the wire (USB 2.0 §9.3), if it has eight.
    pub fn from_bytes(b: &[u8]) -> Option<Setup> {
        let b: &[u8; 8] = b.try_into().ok()?;
        Some(Setup {
            request_type: b[0],
            request: b[1],
            value: u16::from_le_bytes([b[2], b[3]]),
            index: u16::from_le_bytes([b[4], b[5]]),
            length: u16::from_le_bytes([b[6], b[7]]),
        })
    }
}

/// What a host's control transfer sees go wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimError {
    Stall,
    Disconnected,
    Timeout,
}

/// A protocol rule the host broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub at_us: u64,
    pub rule: &'static str,
    pub detail: String,
}

/// One request as the device saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptEntry {
    pub at_us: u64,
    pub name: &'static str,
    pub setup: Setup,
    pub data_len: usize,
    pub outcome: &'static str,
    /// bState after the request (DFU states; 0/1 in run-time mode).
    pub state: u8,
    /// What the device was doing when it took the request.
    pub activity: Activity,
    /// The first data byte of a host→device request (DfuSe: the command of a block-0
    /// DNLOAD, 0x21 Set-Address, 0x41 erase).
    pub first_byte: Option<u8>,
}

/// Which descriptors the device shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Personality {
    Runtime,
    Dfu,
    /// Left DFU mode and runs an application without a DFU interface.
    App,
}

/// The simulated device.
#[derive(Debug)]
pub struct SimDevice {
    profile: Profile,
    personality: Personality,
    attached: bool,
    /// When and as what the device comes back on the bus.
    reattach: Option<(u64, Personality)>,
    enumeration: u32,
    now_us: u64,
    device_time_us: u64,
    strings: Strings,
    alt: u8,
    // DFU state.
    state: u8,
    status: u8,
    busy_until: u64,
    /// When the poll timeout the device reported ends (before `busy_until` only for
    /// a device whose erases overrun).
    stated_until: u64,
    /// Work queued by DNLOAD, run on the next GETSTATUS.
    pending: Option<dfu::Pending>,
    /// The pending work has run; the next GETSTATUS moves on.
    done: bool,
    next_block: Option<u16>,
    image: Vec<u8>,
    upload_pos: usize,
    pointer: u32,
    /// Run-time mode: detach window end.
    detach_deadline: Option<u64>,
    installed: Vec<Vec<u8>>,
    /// An image being manifested late (manifest-overrun devices), and its alt.
    manifesting: Option<(usize, Vec<u8>)>,
    memories: Vec<Option<Memory>>,
    /// DFU 1.1 alts that are partitions ([`Profile::partitions`]).
    media: Vec<Option<Medium>>,
    /// A partition write: the blocks not yet written to the medium, and where they go.
    buffer: Vec<u8>,
    buffer_at: u64,
    faults: Vec<Fault>,
    forced_poll: Option<u32>,
    /// A DETACH arrived in DFU mode (for `needs_detach_to_attach`).
    dfu_detached: bool,
    /// An UPLOAD came after the last DNLOAD (for `needs_upload_to_attach`).
    uploaded: bool,
    /// iString of the current error status (0: none).
    error_string: u8,
    status_fault: Option<Effect>,
    /// Time comes from the host's wall clock ([`SimDevice::advance_to_us`]); transfers
    /// cost nothing extra (the emulated USB device behind a real browser).
    real_time: bool,
    /// Time the transfers themselves took on the bus (their cost in [`Timing`]).
    bus_us: u64,
    counts: BTreeMap<&'static str, usize>,
    /// What the device is doing, and the requests of each type since it began.
    activity: Activity,
    activity_counts: BTreeMap<Request, usize>,
    /// How many times each activity has begun (for [`Trigger::DuringRun`]).
    activity_runs: Vec<(Activity, usize)>,
    transcript: Vec<TranscriptEntry>,
    /// At most this many requests are kept in the transcript (the counts go on).
    transcript_limit: usize,
    violations: Vec<Violation>,
}

impl SimDevice {
    pub fn new(profile: Profile) -> SimDevice {
        let mut strings = Strings::default();
        let _ = strings.add(&profile.manufacturer);
        let _ = strings.add(&profile.product);
        let serial = profile.serial.as_deref().unwrap_or("");
        let _ = if profile.bugs.utf8_serial {
            strings.add_utf8(serial)
        } else {
            strings.add(serial)
        };
        for a in &profile.alts {
            let _ = strings.add(&a.name);
        }
        let _ = strings.add("Demo Widget application");
        let memories = profile
            .alts
            .iter()
            .map(|a| {
                // A device may describe its memory wrongly (GD32VF103): the real
                // layout then comes from the bug description.
                let layout = profile.bugs.real_layout.as_deref().unwrap_or(&a.name);
                let mut m = profile
                    .dfuse
                    .then(|| flash::parse_layout(layout).map(Memory::new))
                    .flatten();
                if let (Some(m), Some(fill)) = (m.as_mut(), profile.bugs.initial_fill) {
                    m.fill(fill);
                }
                m
            })
            .collect();
        let media = profile
            .alts
            .iter()
            .map(|a| profile.partitions.map(|_| Medium::new(a.capacity as u64)))
            .collect();
        let mut installed = vec![Vec::new(); profile.alts.len()];
        if let Some(first) = installed.first_mut() {
            first.clone_from(&profile.firmware);
        }
        let personality = if profile.bugs.no_runtime_interface {
            Personality::App
        } else if profile.runtime_product.is_some() {
            Personality::Runtime
        } else {
            Personality::Dfu
        };
        SimDevice {
            state: if personality == Personality::Runtime {
                0
            } else {
                profile.initial_state
            },
            status: if personality == Personality::Runtime {
                0
            } else {
                profile.initial_status
            },
            profile,
            personality,
            attached: true,
            reattach: None,
            enumeration: 1,
            now_us: 0,
            device_time_us: 0,
            strings,
            alt: 0,
            busy_until: 0,
            stated_until: 0,
            pending: None,
            done: false,
            next_block: None,
            image: Vec::new(),
            upload_pos: 0,
            pointer: 0x0800_0000,
            detach_deadline: None,
            installed,
            manifesting: None,
            memories,
            media,
            buffer: Vec::new(),
            buffer_at: 0,
            faults: Vec::new(),
            forced_poll: None,
            dfu_detached: false,
            uploaded: false,
            error_string: 0,
            status_fault: None,
            real_time: false,
            bus_us: 0,
            counts: BTreeMap::new(),
            activity: if personality == Personality::Dfu {
                Activity::Idle
            } else {
                Activity::Runtime
            },
            activity_counts: BTreeMap::new(),
            activity_runs: Vec::new(),
            transcript: Vec::new(),
            transcript_limit: usize::MAX,
            violations: Vec::new(),
        }
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    pub fn now_us(&self) -> u64 {
        self.now_us
    }

    /// The host waits `ms` milliseconds.
    pub fn sleep(&mut self, ms: u32) {
        self.now_us += u64::from(ms) * 1000;
        self.tick();
    }

    /// Follow a real clock from now on: time moves only by [`SimDevice::advance_to_us`].
    pub fn set_real_time(&mut self) {
        self.real_time = true;
    }

    /// The clock reads `us` now (it never goes back).
    pub fn advance_to_us(&mut self, us: u64) {
        self.now_us = self.now_us.max(us);
        self.tick();
    }

    /// The DFU state (bState) right now.
    pub fn state(&self) -> u8 {
        self.state
    }

    pub fn transcript(&self) -> &[TranscriptEntry] {
        &self.transcript
    }

    /// Keep only the first `n` requests in the transcript (the demo: an image of GiBs
    /// would otherwise cost more memory for its transcript than the page needs).
    pub fn limit_transcript(&mut self, n: usize) {
        self.transcript_limit = n;
        self.transcript.truncate(n);
    }

    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    pub fn request_counts(&self) -> BTreeMap<&'static str, usize> {
        self.counts.clone()
    }

    /// Sum of the waits the device demanded (the bwPollTimeouts it reported).
    pub fn device_time_us(&self) -> u64 {
        self.device_time_us
    }

    /// Time the transfers took on the bus (virtual time that is neither a wait the
    /// device demanded nor one the host added).
    pub fn bus_time_us(&self) -> u64 {
        self.bus_us
    }

    pub fn add_fault(&mut self, fault: Fault) {
        self.faults.push(fault);
    }

    fn violation(&mut self, rule: &'static str, detail: String) {
        self.violations.push(Violation {
            at_us: self.now_us,
            rule,
            detail,
        });
    }

    /// Take the first fault whose trigger matches.
    /// The faults added that have not fired: a test whose fault never fired tested nothing.
    pub fn unfired_faults(&self) -> &[Fault] {
        &self.faults
    }

    fn take_fault(&mut self, f: impl Fn(&Trigger) -> bool) -> Option<Effect> {
        let i = self.faults.iter().position(|x| f(&x.trigger))?;
        Some(self.faults.remove(i).effect)
    }

    /// What the device is doing now (see [`Activity`]).
    pub fn activity(&self) -> Activity {
        self.activity
    }

    fn begin(&mut self, a: Activity) {
        self.activity = a;
        self.activity_counts.clear();
        match self.activity_runs.iter_mut().find(|(x, _)| *x == a) {
            Some((_, n)) => *n += 1,
            None => self.activity_runs.push((a, 1)),
        }
    }

    /// How many times `a` has begun so far.
    fn runs_of(&self, a: Activity) -> usize {
        self.activity_runs
            .iter()
            .find(|(x, _)| *x == a)
            .map_or(0, |(_, n)| *n)
    }

    /// The activity this request starts, if it starts one. The device's own reading of the
    /// request (DFU 1.1 §6, and for DfuSe the command byte of a block-0 DNLOAD, AN3156 §5).
    fn activity_started(
        &self,
        request: Request,
        setup: Setup,
        out: Option<&[u8]>,
    ) -> Option<Activity> {
        if self.personality != Personality::Dfu {
            return Some(Activity::Runtime);
        }
        match request {
            Request::Dnload => {
                let data = out.unwrap_or_default();
                if data.is_empty() {
                    Some(if self.profile.dfuse {
                        Activity::Leave
                    } else {
                        Activity::Manifest
                    })
                } else if self.profile.dfuse && setup.value == 0 {
                    // 0x41: erase a page (5 bytes) or all (1 byte); 0x21 Set-Address and
                    // 0x92 read-unprotect start nothing of their own.
                    (data[0] == 0x41).then_some(Activity::Erase)
                } else {
                    Some(Activity::Write)
                }
            }
            Request::Upload => Some(Activity::Read),
            _ => None,
        }
    }

    fn record(
        &mut self,
        name: &'static str,
        setup: Setup,
        data: (usize, Option<u8>),
        outcome: &'static str,
    ) {
        *self.counts.entry(name).or_insert(0) += 1;
        if self.transcript.len() >= self.transcript_limit {
            return;
        }
        self.transcript.push(TranscriptEntry {
            at_us: self.now_us,
            name,
            setup,
            data_len: data.0,
            outcome,
            state: self.state,
            activity: self.activity,
            first_byte: data.1,
        });
    }

    fn charge(&mut self, bytes: usize) {
        if self.real_time {
            return;
        }
        let t = &self.profile.timing;
        let cost = t.request_us + bytes as u64 * t.byte_ns / 1000;
        self.now_us += cost;
        self.bus_us += cost;
    }

    /// Device→host control transfer.
    pub fn control_in(&mut self, setup: Setup) -> Result<Vec<u8>, SimError> {
        self.transfer(setup, None).map(Option::unwrap_or_default)
    }

    /// Host→device control transfer.
    pub fn control_out(&mut self, setup: Setup, data: &[u8]) -> Result<(), SimError> {
        self.transfer(setup, Some(data)).map(|_| ())
    }

    fn transfer(&mut self, setup: Setup, out: Option<&[u8]>) -> Result<Option<Vec<u8>>, SimError> {
        self.tick();
        if !self.attached {
            return Err(SimError::Disconnected);
        }
        let data_len = out.map_or(usize::from(setup.length), <[u8]>::len);
        self.charge(data_len);
        let request = Request::of(setup);
        let name = request.name();
        let nth = self.counts.get(name).copied().unwrap_or(0) + 1;
        if let Some(a) = self.activity_started(request, setup, out) {
            if a != self.activity {
                self.begin(a);
            }
        }
        let in_activity = {
            let n = self.activity_counts.entry(request).or_insert(0);
            *n += 1;
            *n
        };
        let activity = self.activity;
        let run = self.runs_of(activity);
        let now_ms = self.now_us / 1000;
        let fault = self.take_fault(|t| match t {
            Trigger::DuringRun {
                activity: a,
                run: k,
                request: r,
                nth: n,
            } => *a == activity && *k == run && *r == request && *n == in_activity,
            Trigger::Request { request: r, nth: k } => *r == request && *k == nth,
            Trigger::During {
                activity: a,
                request: r,
                nth: k,
            } => *a == activity && *r == request && *k == in_activity,
            Trigger::AfterMs(ms) => now_ms >= *ms,
            _ => false,
        });
        let result = match fault {
            Some(Effect::Stall) => {
                if self.personality == Personality::Dfu {
                    self.state = 10;
                    self.status = 0x0F;
                }
                Err(SimError::Stall)
            }
            Some(Effect::Timeout) => {
                self.now_us += 5_000_000;
                Err(SimError::Timeout)
            }
            Some(Effect::Disconnect { reattach_ms }) => {
                self.detach(reattach_ms.map(|ms| (ms, Personality::Dfu)));
                Err(SimError::Disconnected)
            }
            Some(Effect::ErrorStatus(s)) => {
                self.state = 10;
                self.status = s;
                self.dispatch(setup, out)
            }
            Some(Effect::VendorError(text)) => {
                self.state = 10;
                self.status = 0x0B;
                self.error_string = self.strings.add(text);
                self.dispatch(setup, out)
            }
            Some(e @ (Effect::ShortStatus | Effect::GarbageStatus)) => {
                self.status_fault = Some(e);
                self.dispatch(setup, out)
            }
            Some(Effect::PollTimeout(ms)) => {
                self.forced_poll = Some(ms);
                self.dispatch(setup, out)
            }
            Some(e @ (Effect::ResetFails | Effect::NeverReattach)) => {
                // Re-arm for the event it names.
                let trigger = if e == Effect::ResetFails {
                    Trigger::Reset
                } else {
                    Trigger::Reattach
                };
                self.faults.push(Fault { trigger, effect: e });
                self.dispatch(setup, out)
            }
            None => self.dispatch(setup, out),
        };
        let outcome = match &result {
            Ok(_) => "ok",
            Err(SimError::Stall) => "stall",
            Err(SimError::Timeout) => "timeout",
            Err(SimError::Disconnected) => "disconnected",
        };
        let first = out.and_then(|d| d.first().copied());
        self.record(name, setup, (data_len, first), outcome);
        result
    }

    fn dispatch(&mut self, setup: Setup, out: Option<&[u8]>) -> Result<Option<Vec<u8>>, SimError> {
        match setup.request_type & 0x60 {
            0x00 => self.standard(setup, out),
            0x20 => match self.personality {
                Personality::Runtime => self.runtime_request(setup),
                Personality::Dfu => self.dfu_request(setup, out),
                Personality::App => Err(SimError::Stall),
            },
            _ => Err(SimError::Stall),
        }
    }
}
