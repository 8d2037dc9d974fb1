//! The simulator's line protocol (`dfu-flasher emulate`), which the umockdev glue of the
//! real-browser tests speaks: every answer checked against the simulator itself or the
//! core's descriptor parser, faults, unplug and plug, the transcript, and bad lines.

use dfu_flasher::core::descriptor::{parse_configuration, DeviceDescriptor};
use dfu_flasher::sim::wire::{answer, serve};
use dfu_flasher::sim::{Profile, SimDevice};

fn device(name: &str) -> SimDevice {
    let mut d = SimDevice::new(Profile::by_name(name).expect("profile"));
    d.set_real_time();
    d
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Run `script` through `serve` with a clock that moves `step_us` per line.
fn session(d: &mut SimDevice, script: &str, step_us: u64) -> Vec<String> {
    let mut out = Vec::new();
    let mut now = 0;
    serve(d, script.as_bytes(), &mut out, || {
        now += step_us;
        now
    })
    .expect("in-memory I/O");
    String::from_utf8(out)
        .expect("text")
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn describe_gives_what_the_core_parses_as_the_profile() {
    for name in ["stm32f4", "dfu11-runtime"] {
        let mut d = device(name);
        let reply = answer(&mut d, "describe");
        let w: Vec<&str> = reply.split(' ').collect();
        assert_eq!(w[0], "ok", "{reply}");
        let dev = DeviceDescriptor::parse(&unhex(w[1])).expect("device descriptor");
        let (vid, pid) = d.ids();
        assert_eq!((dev.vendor_id, dev.product_id), (vid, pid));
        let config = parse_configuration(&unhex(w[2])).expect("configuration");
        let alts: usize = config.interfaces.iter().map(|i| i.alts.len()).sum();
        let expected = if d.in_dfu_mode() {
            d.profile().alts.len()
        } else {
            1
        };
        assert_eq!(alts, expected, "{name}");
        let product = String::from_utf8(unhex(w[4])).expect("utf-8");
        assert_eq!(product, d.profile().product);
    }
}

#[test]
fn transfers_answer_as_the_device_does() {
    let mut d = device("stm32f4");
    // GETSTATUS: 6 bytes, dfuIDLE.
    let r = answer(&mut d, "in a1 3 0 0 6");
    let b = unhex(r.strip_prefix("ok ").expect("ok"));
    assert_eq!(b.len(), 6);
    assert_eq!(b[4], 2, "dfuIDLE");
    // A request the device does not know stalls.
    assert_eq!(answer(&mut d, "in a1 7f 0 0 1"), "stall");
    // The stall put it in dfuERROR; CLRSTATUS brings it back.
    assert_eq!(answer(&mut d, "out 21 4 0 0 -"), "ok");
    assert_eq!(d.state(), 2);
}

#[test]
fn faults_unplug_and_plug() {
    let mut d = device("stm32f4");
    assert_eq!(answer(&mut d, "fault stall request:GETSTATE:1"), "ok");
    assert_eq!(answer(&mut d, "in a1 5 0 0 1"), "stall");
    assert_eq!(answer(&mut d, "out 21 4 0 0 -"), "ok");
    assert_eq!(answer(&mut d, "in a1 5 0 0 1"), "ok 02");
    assert!(answer(&mut d, "fault melt request:GETSTATE:1").starts_with("error "));
    assert!(answer(&mut d, "fault stall request:NOPE:1").starts_with("error "));
    assert!(answer(&mut d, "bus").starts_with("attached 1 0483 df11"));
    assert_eq!(answer(&mut d, "unplug"), "ok");
    assert_eq!(answer(&mut d, "bus"), "detached");
    assert_eq!(answer(&mut d, "in a1 3 0 0 6"), "gone");
    assert_eq!(answer(&mut d, "describe"), "gone");
    assert_eq!(answer(&mut d, "plug"), "ok");
    assert!(answer(&mut d, "bus").starts_with("attached 2 0483 df11"));
}

#[test]
fn hang_means_the_transfer_never_completes() {
    let mut d = device("stm32f4");
    assert_eq!(answer(&mut d, "fault hang request:GETSTATUS:1"), "ok");
    assert_eq!(answer(&mut d, "in a1 3 0 0 6"), "hang");
}

#[test]
fn memory_reads_match_the_simulator() {
    let mut d = device("stm32f4");
    let r = answer(&mut d, "read 0 8000000 10");
    let held = d.read_memory(0, 0x0800_0000, 16).expect("flash");
    assert_eq!(r, format!("ok {}", dfu_hex(&held)));
    assert!(answer(&mut d, "read 0 ffffff00 10").starts_with("error "));
}

fn dfu_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn serve_follows_the_callers_clock_and_records_a_transcript() {
    let mut d = device("stm32f4");
    let lines = session(
        &mut d,
        "mark\nin a1 3 0 0 6\nout 21 6 0 0 -\ntranscript\ntranscript\nreport\n",
        1500,
    );
    assert_eq!(lines[0], "ok");
    assert_eq!(lines[3], "ok 0 in a1 3 0 0 6;out 21 6 0 0 -");
    assert_eq!(lines[4], "error no mark");
    assert!(lines[5].contains("GETSTATUS=1"), "{}", lines[5]);
    assert!(lines[5].contains("violations=0"), "{}", lines[5]);
    // Six lines, 1.5 ms apart: the device's clock is the caller's.
    assert_eq!(d.now_us(), 9000);
}

#[test]
fn bad_lines_get_an_error_line_not_a_panic() {
    let mut d = device("stm32f4");
    for bad in [
        "",
        "in",
        "in zz 3 0 0 6",
        "in a1 3 0 0 fffff",
        "out 21 1 0 0 abc",
        "out 21 1 0 0 zz",
        "read 0",
        "fault",
        "launch the rockets",
    ] {
        let r = answer(&mut d, bad);
        assert!(r.starts_with("error "), "{bad:?} -> {r}");
    }
}

/// `span` on a DFU 1.1 device, with a clock that reads `at[i]` µs for line `i`: one
/// block (erase and program, 126 ms), the zero-length DNLOAD and the manifestation
/// (200 ms), then a bus reset, after which nothing counts.
#[test]
fn span_times_from_the_first_dnload_to_the_last_request_on_the_device_clock() {
    let mut d = device("dfu11-dfumode");
    let block = "ab".repeat(16);
    let script = [
        ("span", 500),
        ("mark", 1_000),
        ("span", 1_500),
        ("in a1 3 0 0 6", 2_000), // before the first DNLOAD: not counted
        (&*format!("out 21 1 0 0 {block}"), 5_000),
        ("in a1 3 0 0 6", 6_000), // dfuDNBUSY, 126 ms
        ("span", 6_500),          // that poll timeout is not yet a wait kept
        ("in a1 3 0 0 6", 132_000),
        ("out 21 1 1 0 -", 133_000),
        ("in a1 3 0 0 6", 134_000), // dfuMANIFEST, 200 ms
        ("in a1 3 0 0 6", 334_000),
        ("reset", 335_000),
        ("in a1 3 0 0 6", 336_000), // after the reset: not counted
        ("span", 337_000),
        ("transcript", 338_000),
    ];
    let input: String = script.iter().map(|(l, _)| format!("{l}\n")).collect();
    let mut times = script.iter().map(|&(_, t)| t);
    let mut out = Vec::new();
    serve(&mut d, input.as_bytes(), &mut out, || {
        times.next().expect("a time per line")
    })
    .expect("in-memory I/O");
    let lines: Vec<String> = String::from_utf8(out)
        .expect("text")
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(lines[0], "error no mark");
    assert_eq!(lines[2], "error no DNLOAD since mark");
    // DNLOAD at 5 ms, GETSTATUS at 6 ms: no wait kept yet, two transfers.
    assert_eq!(lines[6], "ok 5000 6000 0 2");
    // DNLOAD, GETSTATUS, GETSTATUS, DNLOAD (zero length), GETSTATUS, GETSTATUS: six
    // transfers from 5 ms to 334 ms, 126 + 200 ms of them demanded by the device.
    assert_eq!(lines[13], "ok 5000 334000 326000 6");
    // The transcript is what it was: the requests since mark, the device time.
    let t = &lines[14];
    assert!(
        t.starts_with("ok 326000 in a1 3 0 0 6;out 21 1 0 0 "),
        "{t}"
    );
    assert_eq!(t.matches(';').count(), 8, "{t}"); // nine requests
    assert_eq!(d.violations().len(), 0, "{:?}", d.violations());
}
