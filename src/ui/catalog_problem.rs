//! What the vendor's updater says when something is wrong with the catalog or a release:
//! a catalog with errors (to the vendor, with field paths), one that cannot be fetched or
//! is not signed as the page expects, and a download that is not the published file.

use super::device::{clean, size};
use super::problem::{Detail, Problem, ProblemKind};
use super::text::{fill, text};
use crate::core::catalog::{CatalogError, Problem as Field, Release};
use crate::core::json::{JsonErrorKind, ValueKind};

/// What a catalog problem's value must be, in words.
fn expected(p: &Field) -> String {
    let kind = |k: ValueKind| {
        text(match k {
            ValueKind::Null => "catalog.error.type.null",
            ValueKind::Bool => "catalog.error.type.bool",
            ValueKind::Number => "catalog.error.type.number",
            ValueKind::String => "catalog.error.type.string",
            ValueKind::Array => "catalog.error.type.array",
            ValueKind::Object => "catalog.error.type.object",
        })
    };
    // The catalog's text, shortened (the texts put it in quotes).
    let found = |s: &str| {
        let s = clean(s);
        if s.chars().count() > 40 {
            format!("{}…", s.chars().take(40).collect::<String>())
        } else {
            s
        }
    };
    match p {
        Field::TooLarge { size: n } => fill(
            "catalog.error.too_large",
            &[
                ("size", &size(*n as u64)),
                (
                    "limit",
                    &size(crate::core::catalog::MAX_CATALOG_BYTES as u64),
                ),
            ],
        ),
        Field::NotJson(j) => {
            let offset = j.offset.to_string();
            let key = match &j.kind {
                JsonErrorKind::NotUtf8 => "catalog.error.json.not_utf8",
                JsonErrorKind::Empty => "catalog.error.json.empty",
                JsonErrorKind::UnexpectedEnd => "catalog.error.json.unexpected_end",
                JsonErrorKind::TrailingText => "catalog.error.json.trailing_text",
                JsonErrorKind::BadString => "catalog.error.json.bad_string",
                JsonErrorKind::BadNumber => "catalog.error.json.bad_number",
                JsonErrorKind::TooDeep => "catalog.error.json.too_deep",
                JsonErrorKind::DuplicateKey(k) => {
                    return fill(
                        "catalog.error.json.duplicate_key",
                        &[("key", &found(k)), ("offset", &offset)],
                    );
                }
                _ => "catalog.error.json.other",
            };
            fill(key, &[("offset", &offset)])
        }
        Field::UnknownFormat { found: f } => fill(
            "catalog.error.unknown_format",
            &[
                ("format", crate::core::catalog::FORMAT),
                ("found", &found(f)),
            ],
        ),
        Field::Missing => text("catalog.error.missing"),
        Field::WrongType {
            expected: e,
            found: f,
        } => fill(
            "catalog.error.wrong_type",
            &[("expected", &kind(*e)), ("found", &kind(*f))],
        ),
        Field::Empty => text("catalog.error.empty"),
        Field::TooMany { count, limit } => fill(
            "catalog.error.too_many",
            &[("count", &count.to_string()), ("limit", &limit.to_string())],
        ),
        Field::TooLong { chars, limit } => fill(
            "catalog.error.too_long",
            &[("count", &chars.to_string()), ("limit", &limit.to_string())],
        ),
        Field::ControlCharacters => text("catalog.error.control_characters"),
        Field::BadUsbId { found: f } => fill("catalog.error.usb_id", &[("found", &found(f))]),
        Field::BadMode { found: f } => fill("catalog.error.mode", &[("found", &found(f))]),
        Field::BadVersionRule { found: f } => {
            fill("catalog.error.version_rule", &[("found", &found(f))])
        }
        Field::BadVersion { found: f } => fill("catalog.error.version", &[("found", &found(f))]),
        Field::BadChannel { found: f } => fill("catalog.error.channel", &[("found", &found(f))]),
        Field::BadDate { found: f } => fill("catalog.error.date", &[("found", &found(f))]),
        Field::BadSha256 { found: f } => {
            let count = f.chars().count();
            if f.chars().all(|c| c.is_ascii_hexdigit()) {
                fill("catalog.error.sha256", &[("count", &count.to_string())])
            } else {
                fill(
                    "catalog.error.sha256.not_hex",
                    &[("count", &count.to_string())],
                )
            }
        }
        Field::BadSize { size: n } => {
            let max = crate::core::file::MAX_FILE;
            if *n > 0 {
                fill(
                    "catalog.error.size.found",
                    &[("max", &max.to_string()), ("size", &n.to_string())],
                )
            } else {
                fill("catalog.error.size", &[("max", &max.to_string())])
            }
        }
        Field::BadAlt => text("catalog.error.alt"),
        Field::BadId { found: f } => fill("catalog.error.id", &[("found", &found(f))]),
        Field::BadFile { found: f } => fill("catalog.error.file", &[("found", &found(f))]),
        Field::BadLanguage { found: f } => fill("catalog.error.language", &[("found", &found(f))]),
        Field::Duplicate { first } => fill("catalog.error.duplicate", &[("first", first)]),
        Field::SharedDevice { other } => {
            fill("catalog.error.shared_device", &[("product", &found(other))])
        }
    }
}

/// One problem as one line: where, and what is wrong.
pub fn catalog_error_line(e: &CatalogError) -> String {
    let what = expected(&e.problem);
    if e.path.is_empty() {
        let mut s = what;
        // English clauses start with an ASCII letter (no Unicode case tables in the
        // wasm); a text that starts otherwise is left as it is.
        if let Some(c) = s.get_mut(..1) {
            c.make_ascii_uppercase();
        }
        s
    } else {
        fill(
            "catalog.error.line",
            &[("path", &e.path), ("problem", &what)],
        )
    }
}

/// A catalog the page could not use, for the customer (first) and the vendor (the lines).
pub fn catalog_problem(errors: &[CatalogError]) -> Problem {
    let mut details = vec![Detail::Text(text("catalog.invalid.lead"))];
    details.extend(
        errors
            .iter()
            .take(20)
            .map(|e| Detail::Code(catalog_error_line(e))),
    );
    if errors.len() > 20 {
        details.push(Detail::Text(fill(
            "catalog.invalid.more",
            &[("count", &(errors.len() - 20).to_string())],
        )));
    }
    Problem {
        title: text("catalog.invalid.title"),
        details,
        kind: ProblemKind::Other,
    }
}

/// Why the catalog itself could not be had: `status` the HTTP status (0: no answer, with
/// the browser's `message`), or a refused address.
pub fn catalog_fetch_problem(status: u16, message: &str) -> Problem {
    let why = match status {
        0 => fill("catalog.fetch.no_answer", &[("message", &clean(message))]),
        404 | 410 => fill(
            "catalog.fetch.not_found",
            &[("status", &status.to_string())],
        ),
        s => fill("catalog.fetch.status", &[("status", &s.to_string())]),
    };
    Problem {
        title: text("catalog.fetch.title"),
        details: vec![Detail::Text(why)],
        kind: ProblemKind::Other,
    }
}

/// A catalog named on another site than the page's.
pub fn catalog_elsewhere_problem(origin: &str) -> Problem {
    Problem {
        title: text("catalog.elsewhere.title"),
        details: vec![Detail::Text(fill(
            "catalog.elsewhere.detail",
            &[("origin", &clean(origin))],
        ))],
        kind: ProblemKind::Other,
    }
}

/// Why a release's file could not be had. `status`: HTTP status; 0: no answer (with the
/// browser's `message`; a file on another site that does not allow this page also ends
/// here, as the browser reports it the same way).
pub fn release_download_problem(vendor: &str, file: &str, status: u16, message: &str) -> Problem {
    let vendor = clean(vendor);
    let why = match status {
        0 => fill(
            "catalog.download.no_answer",
            &[("message", &clean(message)), ("vendor", &vendor)],
        ),
        404 | 410 => fill(
            "catalog.download.not_found",
            &[
                ("file", &clean(file)),
                ("status", &status.to_string()),
                ("vendor", &vendor),
            ],
        ),
        s => fill("catalog.download.status", &[("status", &s.to_string())]),
    };
    Problem {
        title: text("catalog.download.title"),
        details: vec![
            Detail::Text(why),
            Detail::Text(text("catalog.download.unchanged")),
        ],
        kind: ProblemKind::Transfer,
    }
}

/// The user cancelled while the release downloaded.
pub fn download_cancelled_problem() -> Problem {
    Problem {
        title: text("catalog.cancelled.title"),
        details: vec![Detail::Text(text("catalog.cancelled.detail"))],
        kind: ProblemKind::Cancelled,
    }
}

/// The downloaded file is not the one the catalog pins (`got_size`, and the SHA-256 when
/// the size matched).
pub fn tampered_problem(
    vendor: &str,
    release: &Release,
    got_size: u64,
    got_sha256: Option<&[u8]>,
) -> Problem {
    let vendor = clean(vendor);
    let what = match got_sha256 {
        None => fill(
            "catalog.tampered.size",
            &[("size", &size(got_size)), ("expected", &size(release.size))],
        ),
        Some(h) => fill(
            "catalog.tampered.sha256",
            &[
                ("sha256", &crate::core::catalog::hex(h)),
                ("expected", &release.sha256_hex()),
            ],
        ),
    };
    Problem {
        title: text("catalog.tampered.title"),
        details: vec![
            Detail::Text(what),
            Detail::Text(fill("catalog.tampered.retry", &[("vendor", &vendor)])),
        ],
        kind: ProblemKind::WrongFile,
    }
}

/// Why a signed catalog was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureProblem {
    /// The page is configured with a key, but there is no signature next to the catalog.
    Unsigned,
    /// The signature does not match the catalog and the page's key.
    Mismatch,
    /// The signature file is not 128 hex digits.
    Malformed,
    /// The page's configured key is not 64 hex digits.
    BadKey,
    /// This browser cannot check Ed25519 signatures.
    Unsupported,
}

/// A catalog whose signature could not be confirmed: nothing is offered.
pub fn signature_problem(p: SignatureProblem) -> Problem {
    let why = match p {
        SignatureProblem::Unsigned => "catalog.signature.unsigned",
        SignatureProblem::Mismatch => "catalog.signature.mismatch",
        SignatureProblem::Malformed => "catalog.signature.malformed",
        SignatureProblem::BadKey => "catalog.signature.bad_key",
        SignatureProblem::Unsupported => "catalog.signature.unsupported",
    };
    Problem {
        title: text("catalog.signature.title"),
        details: vec![
            Detail::Text(text(why)),
            Detail::Text(text("catalog.signature.unchanged")),
        ],
        kind: ProblemKind::WrongFile,
    }
}
