//! What the page says about an update that compared first: what the device already held,
//! what will be written, and why an update wrote everything instead.

use super::device::size;
use super::text::{fill, plural, text};
use crate::core::compare::NoCompare;
use crate::core::Compared;

/// The line under the progress once the compare is over. `resuming`: the last update of
/// this file on this device did not finish (the page knows it; after a reload it does
/// not, and says what it found instead). `None` when nothing was already there.
pub fn compare_note(c: &Compared, resuming: bool) -> Option<String> {
    if c.same == 0 {
        return None;
    }
    if resuming && c.write_bytes > 0 {
        // In the file's bytes, as the customer knows its size.
        return Some(fill(
            "compare.resuming",
            &[
                ("done", &size(c.image_same)),
                ("total", &size(c.image_bytes)),
            ],
        ));
    }
    if c.write_bytes == 0 {
        return Some(plural(
            "compare.all_there",
            u64::from(c.sectors),
            &[("sectors", &c.sectors.to_string())],
        ));
    }
    let left = c.sectors - c.same;
    Some(fill(
        "compare.some_there",
        &[
            ("same", &c.same.to_string()),
            ("sectors", &c.sectors.to_string()),
            (
                "write",
                &plural(
                    "compare.sectors_to_write",
                    u64::from(left),
                    &[("n", &left.to_string()), ("size", &size(c.write_bytes))],
                ),
            ),
        ],
    ))
}

/// The result's first line after an update that compared: what was written and what was
/// already there. `None`: nothing was already there (the plain "Wrote …" says it).
pub fn compare_done(c: &Compared, written: u64, name: &str) -> Option<String> {
    if c.same == 0 {
        return None;
    }
    if written == 0 {
        return Some(fill("compare.done.nothing", &[("name", name)]));
    }
    Some(fill(
        "compare.done.some",
        &[("written", &size(written)), ("there", &size(c.image_same))],
    ))
}

/// Why a DfuSe update erased and wrote everything, in one line (none when the user
/// asked for it: they know).
pub fn full_reason(why: NoCompare) -> Option<String> {
    let key = match why {
        NoCompare::Off => return None,
        NoCompare::MassErase => "compare.full.mass_erase",
        NoCompare::CannotRead => "compare.full.cannot_read",
        NoCompare::NotReadable { .. } => "compare.full.not_readable",
        NoCompare::NotErasable { .. } => "compare.full.not_erasable",
        NoCompare::Refused => "compare.full.refused",
        NoCompare::Streamed => "compare.full.streamed",
    };
    Some(text(key))
}
