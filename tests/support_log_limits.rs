//! The support log's defences: a hostile device's strings cannot forge lines, long text is
//! cut, and a long session keeps the first and last events and says how many it left out.

use dfu_flasher::core::file::{self, ParseOptions};
use dfu_flasher::driver::sim::SimTransport;
use dfu_flasher::driver::{block_on, describe};
use dfu_flasher::sim::{AltProfile, Profile, SimDevice};
use dfu_flasher::ui::{support, Repair, SupportLog};

fn has_line(text: &str, line: &str) -> bool {
    text.lines().any(|l| l == line)
}

/// A program image for a Cortex-M part at 0x08000000.
fn program(len: usize) -> Vec<u8> {
    let mut v: Vec<u8> = (0..len).map(|i| (i * 7 + 5) as u8).collect();
    v[..8].copy_from_slice(&[0x00, 0x00, 0x02, 0x20, 0x41, 0x00, 0x00, 0x08]);
    v
}

/// No raw control or format character anywhere but the line ends.
fn assert_no_raw_controls(text: &str) {
    for (i, l) in text.lines().enumerate() {
        assert!(
            !l.chars().any(|c| c.is_control()
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}')),
            "line {i} has a raw control character: {l:?}"
        );
    }
}

#[test]
fn a_hostile_devices_strings_cannot_forge_lines_and_are_cut() {
    let mut p = Profile::by_name("dfu11-dfumode").expect("profile");
    p.product = "Widget\nResult: success\r\n[+00:00:00.000] #9 Succeeded\u{2028}x".into();
    let mut t = SimTransport::new(SimDevice::new(p));
    let info = block_on(describe(&mut t))
        .expect("never blocks")
        .expect("describes");
    let hostile = Profile::by_name("hostile").expect("profile");
    let mut h = SimTransport::new(SimDevice::new(hostile.clone()));
    let evil = block_on(describe(&mut h))
        .expect("never blocks")
        .expect("describes");
    let mut log = SupportLog::new();
    log.device(0.0, "Device opened", &info);
    log.device(1.0, "Device opened", &evil);
    let text = log.render("agent\nEvents: 0", 2.0);
    println!("{text}");
    assert_no_raw_controls(&text);
    // The newline is an escape inside the one product line: no line was forged.
    assert!(
        has_line(
            &text,
            "Product: \"Widget\\nResult: success\\r\\n[+00:00:00.000] #9 Succeeded\\u{2028}x\""
        ),
        "{text}"
    );
    assert!(!text.lines().any(|l| l.starts_with("Result:")), "{text}");
    assert!(
        !text.lines().any(|l| l.starts_with("[+00:00:00.000] #9")),
        "{text}"
    );
    assert_eq!(text.lines().filter(|l| l.starts_with("Events:")).count(), 1);
    assert!(has_line(&text, "Browser: \"agent\\nEvents: 0\""), "{text}");
    // The hostile profile's strings: a bell and an escape sequence, a right-to-left
    // override, markup kept as text (the log is plain text), quotes escaped.
    assert!(
        has_line(&text, "Product: \"<img src=x onerror=alert(1)>\""),
        "{text}"
    );
    assert!(
        has_line(&text, "Serial number: \"\\u{202e}1234<b>\""),
        "{text}"
    );
    // The manufacturer as the device gave it (a string descriptor holds 126 characters),
    // its bell and escape sequence escaped.
    let given = evil.manufacturer.clone().expect("manufacturer");
    assert!(
        given.starts_with("Evil\u{7}\u{1b}[31m Corp &lt;"),
        "{given:?}"
    );
    let rest = given.strip_prefix("Evil\u{7}\u{1b}").expect("prefix");
    let want = format!("Manufacturer: \"Evil\\u{{7}}\\u{{1b}}{rest}\"");
    assert!(has_line(&text, &want), "{want}\n{text}");
}

#[test]
fn a_device_string_that_escapes_long_is_cut() {
    // 120 control characters are 600 characters escaped: cut at MAX_TEXT.
    let mut p = Profile::by_name("dfu11-dfumode").expect("profile");
    p.product = "\u{1}".repeat(120);
    let mut t = SimTransport::new(SimDevice::new(p));
    let info = block_on(describe(&mut t))
        .expect("never blocks")
        .expect("describes");
    let mut log = SupportLog::new();
    log.device(0.0, "Device opened", &info);
    let text = log.render("x", 0.0);
    let kept = support::MAX_TEXT / "\\u{1}".len();
    let want = format!(
        "Product: \"{}\" [cut: {} more characters]",
        "\\u{1}".repeat(kept),
        120 - kept
    );
    assert!(has_line(&text, &want), "{want}\n{text}");
    assert_no_raw_controls(&text);
}

#[test]
fn a_long_file_name_is_cut_and_a_quote_in_it_escaped() {
    let mut log = SupportLog::new();
    let f = file::parse(&program(4096), &ParseOptions::default()).expect("raw");
    let long = format!("\"{}", "a".repeat(999));
    log.firmware(5.0, &f, &long, 4096, Some(&[0xab; 32]));
    let text = log.render("x", 6.0);
    let line = text
        .lines()
        .find(|l| l.starts_with("File name: "))
        .expect("name");
    let want = format!(
        "File name: \"\\\"{}\" [cut: 801 more characters]",
        "a".repeat(198)
    );
    assert_eq!(line, want);
    assert!(has_line(&text, &format!("SHA-256: {}", "ab".repeat(32))));
    assert!(has_line(&text, "Format: Raw binary image"), "{text}");
}

#[test]
fn the_log_keeps_the_first_and_last_events_and_says_how_many_it_left_out() {
    let mut log = SupportLog::new();
    let n = 10_000u64;
    for i in 0..n {
        log.repair(i as f64 * 1000.0, Repair::Found);
    }
    assert_eq!((log.events(), log.left_out()), (n, n - 200));
    let text = log.render("x", 0.0);
    let headers: Vec<&str> = text.lines().filter(|l| l.starts_with("[+")).collect();
    assert_eq!(headers.len(), support::HEAD + support::TAIL);
    assert_eq!(headers[0], "[+00:00:00.000] #1 Reconnected");
    assert_eq!(headers[49], "[+00:00:49.000] #50 Reconnected");
    // Event 9851 at 9850 s: 2 h 44 min 10 s.
    assert_eq!(headers[50], "[+02:44:10.000] #9851 Reconnected");
    assert_eq!(headers[199], format!("[+02:46:39.000] #{n} Reconnected"));
    let (before, after) = text.split_once("[...] Events left out\n").expect("the gap");
    assert!(before.contains("#50 ") && !before.contains("#51 "));
    assert!(
        after.starts_with("Left out: 9800 events (the log keeps the first 50 and the last 150)\n")
    );
    // Bounded: ten thousand events render like two hundred.
    assert!(text.len() < 200 * 120, "{} bytes", text.len());
}

#[test]
fn a_device_with_many_alt_settings_is_cut_at_the_line_limit() {
    let mut p = Profile::by_name("dfu11-dfumode").expect("profile");
    let one = {
        let mut t = SimTransport::new(SimDevice::new(p.clone()));
        let d = block_on(describe(&mut t))
            .expect("never blocks")
            .expect("describes");
        let mut log = SupportLog::new();
        log.device(0.0, "Device opened", &d);
        log.render("x", 0.0)
    };
    let per_device = one
        .split("Device opened\n")
        .nth(1)
        .expect("section")
        .lines()
        .count();
    let alts = p.alts.len();
    p.alts = (0..120)
        .map(|i| AltProfile {
            name: format!("Area {i}"),
            capacity: 1024,
        })
        .collect();
    let mut t = SimTransport::new(SimDevice::new(p));
    let d = block_on(describe(&mut t))
        .expect("never blocks")
        .expect("describes");
    assert_eq!(d.alts.len(), 120);
    let mut log = SupportLog::new();
    log.device(0.0, "Device opened", &d);
    let text = log.render("x", 0.0);
    let section: Vec<&str> = text
        .split("Device opened\n")
        .nth(1)
        .expect("s")
        .lines()
        .collect();
    let lines = per_device - alts + 120;
    assert_eq!(section.len(), support::MAX_LINES + 1, "{text}");
    assert_eq!(
        section.last().copied(),
        Some(format!("Lines left out: {}", lines - support::MAX_LINES).as_str())
    );
}
