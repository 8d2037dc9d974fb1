//! The simulated device behind a line protocol, for emulators that live in another
//! process (the umockdev glue that shows the device to a real Chromium).
//!
//! One request per line in, one answer per line out. Numbers are hexadecimal without
//! a prefix, byte strings are lowercase hex (`-` for none).
//!
//! | request                          | answers                                    |
//! |----------------------------------|--------------------------------------------|
//! | `in RT REQ VALUE INDEX LENGTH`   | `ok HEX`, `stall`, `gone`, `hang`          |
//! | `out RT REQ VALUE INDEX HEX`     | `ok`, `stall`, `gone`, `hang`              |
//! | `reset`                          | `ok`, `gone`, `fail`                       |
//! | `bus`                            | `attached ENUM VID PID`, `detached`        |
//! | `describe`                       | `ok DEVICE CONFIG MANUFACTURER PRODUCT SERIAL` (strings as UTF-8 hex) |
//! | `unplug`, `plug`                 | `ok`                                       |
//! | `fault EFFECT TRIGGER`           | `ok`, `error TEXT`                         |
//! | `read ALT ADDRESS LENGTH`        | `ok HEX`, `error TEXT`                     |
//! | `report`                         | `ok REQUEST=COUNT… violations=N device_us=N` |
//! | `mark`                           | `ok` (start recording transfers)           |
//! | `transcript`                     | `ok DEVICE_US REQUEST;REQUEST;…`           |
//! | `span`                           | `ok FIRST_DNLOAD_US LAST_US BUSY_US TRANSFERS`, `error TEXT` |
//!
//! `hang` means the transfer never completes (the emulator must leave it pending until
//! the device is unplugged). Faults: EFFECT is `stall`, `hang`, `vanish` or `status:NN`;
//! TRIGGER is `request:NAME:NTH` or `block:N`. Every request first moves the device's
//! clock to the caller's wall clock, so poll timeouts are real time. `transcript` gives the
//! `in`, `out` and `reset` requests since `mark`, as they were sent, and the time the
//! device demanded meanwhile (the sum of its poll timeouts): benchmarks replay it.
//!
//! `span` measures a host on the device's clock (decimal µs, [`SimDevice::now_us`]),
//! since the last `mark` (which it does not end): when the first DNLOAD (class OUT
//! request 1) arrived, when the last `in` or `out` request after it arrived, the time the
//! device demanded in between (the poll timeouts of the replies before that last request:
//! the waits the host had to keep) and how many `in` and `out` requests there were from
//! the first DNLOAD to the last one, both included. The span ends when the device leaves
//! the bus or is reset (a leave, a bus reset, an unplug): what a host does after it came back is not part
//! of the transfer it measures. `error no mark`, `error no DNLOAD since mark`.

use super::{Effect, Fault, Setup, SimDevice, SimError, Trigger};
use std::fmt::Write as _;
use std::io::{BufRead, Write};

fn hex(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "-".into();
    }
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s == "-" {
        return Some(Vec::new());
    }
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn num<T: TryFrom<u64>>(s: Option<&str>) -> Option<T> {
    u64::from_str_radix(s?, 16)
        .ok()
        .and_then(|v| T::try_from(v).ok())
}

fn setup(words: &[&str]) -> Option<Setup> {
    Some(Setup {
        request_type: num(words.get(1).copied())?,
        request: num(words.get(2).copied())?,
        value: num(words.get(3).copied())?,
        index: num(words.get(4).copied())?,
        length: 0,
    })
}

fn transfer_error(e: SimError) -> String {
    match e {
        SimError::Stall => "stall".into(),
        SimError::Disconnected => "gone".into(),
        SimError::Timeout => "hang".into(),
    }
}

/// A standard GET_DESCRIPTOR, answered by the device itself.
fn descriptor(device: &mut SimDevice, kind: u8, index: u8, lang: u16) -> Vec<u8> {
    let s = Setup {
        request_type: 0x80,
        request: 0x06,
        value: u16::from(kind) << 8 | u16::from(index),
        index: lang,
        length: 0xFFFF,
    };
    device.control_in(s).unwrap_or_default()
}

fn string(device: &mut SimDevice, index: u8) -> String {
    if index == 0 {
        return String::new();
    }
    let d = descriptor(device, 3, index, 0x0409);
    let units: Vec<u16> = d
        .get(2..)
        .unwrap_or(&[])
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

fn describe(device: &mut SimDevice) -> String {
    let dev = descriptor(device, 1, 0, 0);
    let mut config = descriptor(device, 2, 0, 0);
    // The whole configuration (wTotalLength), however it was first asked for.
    if let Some(total) = config
        .get(2..4)
        .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
    {
        config.truncate(total);
    }
    let idx = |i: usize| dev.get(i).copied().unwrap_or(0);
    let (m, p, s) = (idx(14), idx(15), idx(16));
    let names = [m, p, s].map(|i| hex(string(device, i).as_bytes()));
    format!("ok {} {} {}", hex(&dev), hex(&config), names.join(" "))
}

fn fault(words: &[&str]) -> Result<Fault, String> {
    let effect = match words.get(1).copied().unwrap_or("") {
        "stall" => Effect::Stall,
        "hang" => Effect::Timeout,
        "vanish" => Effect::Disconnect { reattach_ms: None },
        e => match e.strip_prefix("status:").and_then(|n| num(Some(n))) {
            Some(n) => Effect::ErrorStatus(n),
            None => return Err(format!("unknown effect {e:?}")),
        },
    };
    let t = words.get(2).copied().unwrap_or("");
    let parts: Vec<&str> = t.split(':').collect();
    let trigger = match parts.as_slice() {
        ["request", name, nth] => {
            let request =
                super::Request::named(name).ok_or_else(|| format!("unknown request {name:?}"))?;
            Trigger::Request {
                request,
                nth: nth.parse().map_err(|_| format!("bad count {nth:?}"))?,
            }
        }
        ["block", n] => Trigger::Block(n.parse().map_err(|_| format!("bad block {n:?}"))?),
        _ => return Err(format!("unknown trigger {t:?}")),
    };
    Ok(Fault { trigger, effect })
}

/// Answer one request line.
pub fn answer(device: &mut SimDevice, line: &str) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.first().copied() {
        Some("in") => match (setup(&words), num::<u16>(words.get(5).copied())) {
            (Some(mut s), Some(len)) => {
                s.length = len;
                match device.control_in(s) {
                    Ok(mut data) => {
                        data.truncate(usize::from(len));
                        format!("ok {}", hex(&data))
                    }
                    Err(e) => transfer_error(e),
                }
            }
            _ => format!("error bad request {line:?}"),
        },
        Some("out") => match (setup(&words), words.get(5).and_then(|h| unhex(h))) {
            (Some(mut s), Some(data)) => {
                s.length = u16::try_from(data.len()).unwrap_or(u16::MAX);
                match device.control_out(s, &data) {
                    Ok(()) => "ok".into(),
                    Err(e) => transfer_error(e),
                }
            }
            _ => format!("error bad request {line:?}"),
        },
        Some("reset") => match device.reset() {
            Ok(()) => "ok".into(),
            Err(SimError::Disconnected) => "gone".into(),
            Err(_) => "fail".into(),
        },
        Some("bus") => {
            if device.is_attached() {
                let (v, p) = device.ids();
                format!("attached {:x} {v:04x} {p:04x}", device.enumeration())
            } else {
                "detached".into()
            }
        }
        Some("describe") => {
            if device.is_attached() {
                describe(device)
            } else {
                "gone".into()
            }
        }
        Some("unplug") => {
            device.unplug();
            "ok".into()
        }
        Some("plug") => {
            device.plug();
            "ok".into()
        }
        Some("fault") => match fault(&words) {
            Ok(f) => {
                device.add_fault(f);
                "ok".into()
            }
            Err(e) => format!("error {e}"),
        },
        Some("read") => {
            let alt = num::<u8>(words.get(1).copied());
            let addr = num::<u32>(words.get(2).copied());
            let len = num::<usize>(words.get(3).copied());
            match (alt, addr, len) {
                (Some(a), Some(at), Some(n)) => match device.read_memory(a, at, n) {
                    Some(b) => format!("ok {}", hex(&b)),
                    None => "error outside the device's memory".into(),
                },
                _ => format!("error bad request {line:?}"),
            }
        }
        Some("report") => {
            let mut s = String::from("ok");
            for (name, n) in device.request_counts() {
                let _ = write!(s, " {name}={n}");
            }
            let _ = write!(s, " violations={}", device.violations().len());
            let _ = write!(s, " device_us={}", device.device_time_us());
            for v in device.violations() {
                eprintln!("violation: {}: {}", v.rule, v.detail);
            }
            s
        }
        _ => format!("error unknown request {line:?}"),
    }
}

/// What `span` reports: the requests from the first DNLOAD since `mark` on, while the
/// device stays on the bus as the same enumeration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    enumeration: u32,
    first_us: u64,
    last_us: u64,
    /// The device-mandated time when the first DNLOAD and the last request arrived.
    busy_first_us: u64,
    busy_last_us: u64,
    transfers: u64,
    /// The device left the bus: later requests are not counted.
    ended: bool,
}

/// Count one `in` or `out` request in the span, before it is answered.
fn follow_span(span: &mut Option<Span>, device: &SimDevice, line: &str) {
    let w: Vec<&str> = line.split_whitespace().collect();
    let here = device.is_attached();
    let (enumeration, now, busy) = (
        device.enumeration(),
        device.now_us(),
        device.device_time_us(),
    );
    match span {
        None => {
            let rt = num::<u8>(w.get(1).copied());
            let req = num::<u8>(w.get(2).copied());
            let dnload = w.first() == Some(&"out")
                && rt.is_some_and(|t| t & 0x60 == 0x20 && t & 0x80 == 0)
                && req == Some(1);
            if dnload && here {
                *span = Some(Span {
                    enumeration,
                    first_us: now,
                    last_us: now,
                    busy_first_us: busy,
                    busy_last_us: busy,
                    transfers: 1,
                    ended: false,
                });
            }
        }
        Some(s) if s.ended => {}
        Some(s) if !here || enumeration != s.enumeration => s.ended = true,
        Some(s) => {
            s.last_us = now;
            s.busy_last_us = busy;
            s.transfers += 1;
        }
    }
}

/// Serve requests until the input ends. `clock_us` reads the caller's wall clock.
pub fn serve(
    device: &mut SimDevice,
    input: impl BufRead,
    mut output: impl Write,
    mut clock_us: impl FnMut() -> u64,
) -> std::io::Result<()> {
    device.set_real_time();
    // Transfers since `mark`, and the device-mandated time at the mark.
    let mut recording: Option<(Vec<String>, u64)> = None;
    // `span`: None before a mark; Some(None) after it, until the first DNLOAD.
    let mut span: Option<Option<Span>> = None;
    for line in input.lines() {
        let line = line?;
        device.advance_to_us(clock_us());
        let reply = match line.split_whitespace().next() {
            Some("mark") => {
                recording = Some((Vec::new(), device.device_time_us()));
                span = Some(None);
                "ok".to_string()
            }
            Some("span") => match span {
                None => "error no mark".to_string(),
                Some(None) => "error no DNLOAD since mark".to_string(),
                Some(Some(s)) => format!(
                    "ok {} {} {} {}",
                    s.first_us,
                    s.last_us,
                    s.busy_last_us - s.busy_first_us,
                    s.transfers
                ),
            },
            Some("transcript") => match recording.take() {
                Some((lines, since)) => format!(
                    "ok {} {}",
                    device.device_time_us().saturating_sub(since),
                    lines.join(";")
                ),
                None => "error no mark".to_string(),
            },
            word => {
                match (word, &mut span) {
                    (Some("in" | "out"), Some(s)) => follow_span(s, device, &line),
                    // A bus reset ends the DFU session being measured.
                    (Some("reset"), Some(Some(s))) => s.ended = true,
                    _ => {}
                }
                if let (Some("in" | "out" | "reset"), Some((lines, _))) = (word, &mut recording) {
                    lines.push(line.trim().to_string());
                }
                answer(device, &line)
            }
        };
        writeln!(output, "{reply}")?;
        output.flush()?;
    }
    Ok(())
}
