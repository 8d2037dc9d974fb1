//! The support log's lines: `Label: value`, and the escaping and cutting that keep a
//! value on its line (see `ui::support`).

use super::MAX_TEXT;

/// One `Label: value` line. The label is fixed text; the value has no control characters.
#[derive(Debug, Clone)]
pub(super) struct Line {
    pub(super) label: &'static str,
    pub(super) value: String,
}

impl Line {
    pub(super) fn new(label: &'static str, value: String) -> Line {
        // Every value is made safe here too, whoever built it: nothing can break a line.
        let value = if value.chars().any(needs_escape) {
            escaped(&value, usize::MAX, false)
        } else {
            value
        };
        Line { label, value }
    }

    pub(super) fn write(&self, out: &mut String) {
        out.push_str(self.label);
        out.push_str(": ");
        out.push_str(&self.value);
        out.push('\n');
    }
}

/// Characters that could end or reorder a line in a mail or an editor: control characters
/// (C0, DEL, C1), Unicode line and paragraph separators, and invisible format characters
/// (bidirectional overrides and isolates, zero-width characters, the byte-order mark).
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// `s` with [`needs_escape`] characters written as escapes (`\n`, `\u{1b}`) and, when
/// `quote`, backslashes and double quotes escaped too; cut once the result would pass
/// `cap` characters, saying how many were left out.
fn escaped(s: &str, cap: usize, quote: bool) -> String {
    let mut out = String::new();
    let mut len = 0;
    let mut piece = String::new();
    for (i, c) in s.chars().enumerate() {
        piece.clear();
        match c {
            '\n' => piece.push_str("\\n"),
            '\r' => piece.push_str("\\r"),
            '\t' => piece.push_str("\\t"),
            c if needs_escape(c) => {
                piece.push_str("\\u{");
                piece.push_str(&format!("{:x}", u32::from(c)));
                piece.push('}');
            }
            '\\' | '"' if quote => {
                piece.push('\\');
                piece.push(c);
            }
            c => piece.push(c),
        }
        let n = piece.chars().count();
        if len + n > cap {
            let rest = s.chars().count() - i;
            if quote {
                out.push('"');
            }
            out.push_str(&format!(" [cut: {rest} more characters]"));
            return out;
        }
        len += n;
        out.push_str(&piece);
    }
    if quote {
        out.push('"');
    }
    out
}

/// Text from a device, a file or the page, quoted and escaped, at most `cap` characters
/// between the quotes.
pub(super) fn quoted(s: &str, cap: usize) -> String {
    format!("\"{}", escaped(s, cap, true))
}

/// A technical line (the browser's or the OS's words in it), escaped and cut.
pub(super) fn clip(s: &str, cap: usize) -> String {
    escaped(s, cap, false)
}

/// The English text of message `key`: the log's values are English whatever the page's
/// language.
pub(super) fn english(key: &str) -> String {
    crate::ui::text::english()
        .get(key)
        .unwrap_or(key)
        .to_string()
}

pub(super) fn text_or_none(s: Option<&str>) -> String {
    s.map_or_else(|| "(none)".into(), |s| quoted(s, MAX_TEXT))
}

pub(super) fn yes(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whole milliseconds (no float formatting: it costs the wasm).
pub(super) fn ms(t: f64) -> String {
    format!("{} ms", t.max(0.0).round() as u64)
}

/// A time since the page started: `+HH:MM:SS.mmm`.
pub(super) fn stamp(t: f64) -> String {
    let t = t.max(0.0).round() as u64;
    let (s, milli) = (t / 1000, t % 1000);
    format!(
        "+{:02}:{:02}:{:02}.{milli:03}",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}
