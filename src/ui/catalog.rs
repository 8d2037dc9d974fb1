//! What the vendor's updater says: the one action for the connected product, a catalog
//! with errors (to the vendor, with field paths), a download that is not the published
//! file, and whether the new version took.

use super::device::{clean, size};
use super::problem::{Detail, Problem, ProblemKind};
use crate::core::catalog::{
    Catalog, CatalogError, Channel, Offer, Problem as Field, Product, Release, Version,
};
use crate::core::descriptor::Mode;
use crate::core::json::{JsonErrorKind, ValueKind};
use crate::driver::DeviceInfo;
use serde::Serialize;

/// What the page shows for the connected device under a catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferView {
    /// `update`, `up-to-date`, `newer`, `install`, `no-release`, `unknown-device`.
    pub kind: &'static str,
    pub title: String,
    /// The product's id in the catalog (empty for an unknown device).
    pub product: String,
    /// The product's name as the page shows it (the device's own for an unknown device).
    pub name: String,
    /// The installed version, where the device tells it.
    pub installed: Option<String>,
    /// The release the main button installs (none: no button).
    pub release: Option<ReleaseView>,
    /// The main button's label ("Update Widget to 1.42").
    pub action: Option<String>,
    /// A second, quieter action ("Reinstall 1.42").
    pub secondary: Option<String>,
    /// More to say (the products this page updates, why there is no button).
    pub details: Vec<String>,
    /// Every release on the channel, newest first, to choose one deliberately.
    pub choices: Vec<ReleaseView>,
}

/// One release as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseView {
    pub version: String,
    pub beta: bool,
    /// "1.42 (beta) · 2026-11-20 · 100 KiB".
    pub label: String,
    pub notes: Option<String>,
    pub date: Option<String>,
    pub size: String,
    /// Installing it would go back to an older version than the device runs.
    pub downgrade: bool,
    /// The alt setting it is written to (none: the device's first).
    pub alt: Option<u8>,
    /// What to say before a downgrade (empty otherwise).
    pub warning: String,
}

fn release_view(
    r: &Release,
    installed: Option<&Version>,
    name: &str,
    languages: &[&str],
) -> ReleaseView {
    let beta = r.channel == Channel::Beta;
    let mut label = r.version.as_str().to_string();
    if beta {
        label.push_str(" (beta)");
    }
    if let Some(d) = &r.date {
        label.push_str(&format!(" · {d}"));
    }
    label.push_str(&format!(" · {}", size(r.size)));
    let downgrade = installed.is_some_and(|i| r.version < *i);
    let warning = match installed {
        Some(i) if downgrade => format!(
            "{name} runs {}, which is newer. Installing {} goes back to an older version: do it only if {}'s maker asked you to.",
            i.as_str(),
            r.version.as_str(),
            name
        ),
        _ => String::new(),
    };
    ReleaseView {
        version: r.version.as_str().to_string(),
        beta,
        label,
        notes: r.notes_for(languages).map(str::to_string),
        date: r.date.clone(),
        size: size(r.size),
        downgrade,
        alt: r.alt,
        warning,
    }
}

/// The product's name as the page shows it.
pub fn product_name(p: &Product) -> String {
    clean(&p.name)
}

/// The page's first sentence when it is a vendor's updater.
pub fn catalog_lead(c: &Catalog) -> String {
    let names: Vec<String> = c.products.iter().map(product_name).collect();
    format!(
        "Update your {} from this page: connect it with a USB cable and press the update button. Nothing to install, and no file to look for.",
        names.join(" or ")
    )
}

/// The names of the products the catalog updates, for "This page updates …".
fn products_line(c: &Catalog) -> String {
    let names: Vec<String> = c.products.iter().map(product_name).collect();
    format!(
        "This page updates {} devices: {}.",
        clean(&c.vendor),
        names.join(", ")
    )
}

impl OfferView {
    /// The one obvious action for `device` under `catalog` on `channel`; `languages`, the
    /// user's preferred languages, choose the release notes.
    pub fn new(
        catalog: &Catalog,
        device: &DeviceInfo,
        channel: Channel,
        languages: &[&str],
    ) -> OfferView {
        let Some(product) = catalog.product_for(device.vendor_id, device.product_id, device.mode)
        else {
            let name = clean(&device.display_name());
            return OfferView {
                kind: "unknown-device",
                title: format!("This page does not update {name}"),
                product: String::new(),
                name: name.clone(),
                installed: None,
                release: None,
                action: None,
                secondary: None,
                details: vec![
                    products_line(catalog),
                    format!(
                        "{name} ({:04x}:{:04x}) is not one of them. If you have several devices plugged in, choose the one you want to update.",
                        device.vendor_id, device.product_id
                    ),
                ],
                choices: Vec::new(),
            };
        };
        let name = product_name(product);
        let installed = product.installed(device.mode, device.device_version);
        let choices: Vec<ReleaseView> = product
            .releases_on(channel)
            .into_iter()
            .map(|r| release_view(r, installed.as_ref(), &name, languages))
            .collect();
        let view = |r: &Release| release_view(r, installed.as_ref(), &name, languages);
        let mut o = OfferView {
            kind: "",
            title: String::new(),
            product: product.id.clone(),
            name: name.clone(),
            installed: installed.as_ref().map(|v| v.as_str().to_string()),
            release: None,
            action: None,
            secondary: None,
            details: Vec::new(),
            choices,
        };
        match product.offer(installed.as_ref(), channel) {
            Offer::Update { from, to } => {
                o.kind = "update";
                o.title = format!("{name} {} is available", to.version.as_str());
                o.action = Some(format!(
                    "Update {name} from {} to {}",
                    from.as_str(),
                    to.version.as_str()
                ));
                o.release = Some(view(to));
            }
            Offer::UpToDate { installed, release } => {
                o.kind = "up-to-date";
                o.title = format!("{name} is up to date ({})", installed.as_str());
                o.secondary = Some(format!("Reinstall {}", release.version.as_str()));
                o.release = Some(view(release));
            }
            Offer::Newer { installed, latest } => {
                o.kind = "newer";
                o.title = format!(
                    "{name} runs {}, newer than any release on this page",
                    installed.as_str()
                );
                o.details.push(format!(
                    "The newest release here is {}. There is nothing to update; you can still install an older release below, deliberately.",
                    latest.version.as_str()
                ));
            }
            Offer::Install { release } => {
                o.kind = "install";
                o.title = format!("{name} {} is available", release.version.as_str());
                o.action = Some(format!("Install {} {}", name, release.version.as_str()));
                o.details.push(if device.mode == Mode::Dfu {
                    format!("{name} is in update mode, so it does not tell which version it had.")
                } else {
                    format!("{name} does not tell which version it runs.")
                });
                o.release = Some(view(release));
            }
            Offer::NoRelease => {
                o.kind = "no-release";
                o.title = format!("There is no firmware for {name} on this page yet");
                o.details.push(if channel == Channel::Stable && !product.releases.is_empty() {
                    format!("Only test (beta) releases exist for {name}. Turn on \"Show beta releases\" to see them.")
                } else {
                    format!("Nothing was changed on {name}.")
                });
            }
        }
        o
    }
}

/// What a catalog problem's value must be, in words.
fn expected(p: &Field) -> String {
    let kind = |k: ValueKind| match k {
        ValueKind::Null => "null",
        ValueKind::Bool => "true or false",
        ValueKind::Number => "a number",
        ValueKind::String => "a string",
        ValueKind::Array => "a list",
        ValueKind::Object => "an object",
    };
    let found = |s: &str| {
        let s = clean(s);
        if s.chars().count() > 40 {
            format!("\"{}…\"", s.chars().take(40).collect::<String>())
        } else {
            format!("\"{s}\"")
        }
    };
    match p {
        Field::TooLarge { size: n } => format!(
            "the catalog is {} long, more than the {} a catalog may be",
            size(*n as u64),
            size(crate::core::catalog::MAX_CATALOG_BYTES as u64)
        ),
        Field::NotJson(j) => {
            let what = match &j.kind {
                JsonErrorKind::NotUtf8 => "it is not UTF-8 text".to_string(),
                JsonErrorKind::Empty => "it is empty".to_string(),
                JsonErrorKind::UnexpectedEnd => "it ends too early (cut short?)".to_string(),
                JsonErrorKind::TrailingText => "more text follows the catalog's closing brace".to_string(),
                JsonErrorKind::BadString => "a string has a raw control character or a bad escape".to_string(),
                JsonErrorKind::BadNumber => "a number is malformed".to_string(),
                JsonErrorKind::TooDeep => "it is nested too deeply".to_string(),
                JsonErrorKind::DuplicateKey(k) => format!("an object names {} twice", found(k)),
                _ => "something other than JSON stands here (a web page instead of the catalog?)".to_string(),
            };
            format!("the catalog is not JSON: {what}, at byte {}", j.offset)
        }
        Field::UnknownFormat { found: f } => format!(
            "must be \"{}\"; {} is another format this page does not read",
            crate::core::catalog::FORMAT,
            found(f)
        ),
        Field::Missing => "is missing".into(),
        Field::WrongType { expected: e, found: f } => format!("must be {}, not {}", kind(*e), kind(*f)),
        Field::Empty => "must not be empty".into(),
        Field::TooMany { count, limit } => format!("has {count} entries; at most {limit} are allowed"),
        Field::TooLong { chars, limit } => format!("is {chars} characters long; at most {limit} are allowed"),
        Field::ControlCharacters => "holds control characters".into(),
        Field::BadUsbId { found: f } => format!("must be four hex digits like \"1209\", not {}", found(f)),
        Field::BadMode { found: f } => format!("must be \"runtime\" or \"dfu\", not {}", found(f)),
        Field::BadVersionRule { found: f } => format!(
            "must be \"bcd\", \"pair\", \"number\" or \"none\", not {}",
            found(f)
        ),
        Field::BadVersion { found: f } => format!("must be numbers separated by dots, like \"1.42\", not {}", found(f)),
        Field::BadChannel { found: f } => format!("must be \"stable\" or \"beta\", not {}", found(f)),
        Field::BadDate { found: f } => format!("must be a date like \"2026-11-20\", not {}", found(f)),
        Field::BadSha256 { found: f } => format!(
            "must be the file's SHA-256 as 64 hex digits; this has {} characters{}",
            f.chars().count(),
            if f.chars().all(|c| c.is_ascii_hexdigit()) { "" } else { ", not all hex digits" }
        ),
        Field::BadSize { size: n } => format!(
            "must be the file's size in bytes, a whole number from 1 to {}{}",
            crate::core::file::MAX_FILE,
            if *n > 0 { format!(", not {n}") } else { String::new() }
        ),
        Field::BadAlt => "must be an alt setting number from 0 to 255".into(),
        Field::BadId { found: f } => format!("must be letters, digits, '-', '_' or '.', not {}", found(f)),
        Field::BadFile { found: f } => format!(
            "must be a file name or path relative to the catalog, or an https:// address, without spaces; not {}",
            found(f)
        ),
        Field::BadLanguage { found: f } => format!("must be a language code like \"en\" or \"pt-BR\", not {}", found(f)),
        Field::Duplicate { first } => format!("repeats {first}"),
        Field::SharedDevice { other } => format!(
            "is also listed for product {}: a device must belong to one product",
            found(other)
        ),
    }
}

/// One problem as one line: where, and what is wrong.
pub fn catalog_error_line(e: &CatalogError) -> String {
    let what = expected(&e.problem);
    if e.path.is_empty() {
        let mut s = what;
        // The clauses start with an ASCII letter (no Unicode case tables in the wasm).
        if let Some(c) = s.get_mut(..1) {
            c.make_ascii_uppercase();
        }
        s
    } else {
        format!("{}: {what}", e.path)
    }
}

/// A catalog the page could not use, for the customer (first) and the vendor (the lines).
pub fn catalog_problem(errors: &[CatalogError]) -> Problem {
    let mut details = vec![Detail::Text(
        "This page's list of firmware has errors, so it offers no update. Nothing was changed on your device. The page's owner must fix the list:".into(),
    )];
    details.extend(
        errors
            .iter()
            .take(20)
            .map(|e| Detail::Code(catalog_error_line(e))),
    );
    if errors.len() > 20 {
        details.push(Detail::Text(format!("… and {} more.", errors.len() - 20)));
    }
    Problem {
        title: "The firmware list could not be read".into(),
        details,
        kind: ProblemKind::Other,
    }
}

/// Why the catalog itself could not be had: `status` the HTTP status (0: no answer, with
/// the browser's `message`), or a refused address.
pub fn catalog_fetch_problem(status: u16, message: &str) -> Problem {
    let why = match status {
        0 => format!(
            "The page got no answer ({}). Check your connection and reload the page.",
            clean(message)
        ),
        404 | 410 => format!("The site does not have the firmware list (HTTP {status}). The page's address may be out of date: open the update page from the maker's site again."),
        s => format!("The site answered HTTP {s}. Try again later."),
    };
    Problem {
        title: "The firmware list could not be loaded".into(),
        details: vec![Detail::Text(why)],
        kind: ProblemKind::Other,
    }
}

/// A catalog named on another site than the page's.
pub fn catalog_elsewhere_problem(origin: &str) -> Problem {
    Problem {
        title: "The firmware list is on another site".into(),
        details: vec![Detail::Text(format!(
            "This page reads its firmware list only from its own site ({}), so that a link cannot make it offer somebody else's firmware.",
            clean(origin)
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
        0 => format!(
            "The download did not complete ({}). Check your connection and try again. If it keeps failing, the file's server may not allow this page to download it: tell {vendor}.",
            clean(message)
        ),
        404 | 410 => format!("The server does not have {} (HTTP {status}). Tell {vendor}: their firmware list names a file that is not there.", clean(file)),
        s => format!("The server answered HTTP {s}. Try again later."),
    };
    Problem {
        title: "The firmware could not be downloaded".into(),
        details: vec![
            Detail::Text(why),
            Detail::Text("Nothing was written to your device.".into()),
        ],
        kind: ProblemKind::Transfer,
    }
}

/// The user cancelled while the release downloaded.
pub fn download_cancelled_problem() -> Problem {
    Problem {
        title: "Update cancelled".into(),
        details: vec![Detail::Text(
            "The download was stopped. Nothing was written to your device; you can update it at any time.".into(),
        )],
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
        None => format!(
            "It is {} long, where the published file is {}.",
            size(got_size),
            size(release.size)
        ),
        Some(h) => format!(
            "Its SHA-256 is {}, where the published file's is {}.",
            crate::core::catalog::hex(h),
            release.sha256_hex()
        ),
    };
    Problem {
        title: "The downloaded file is not the one the vendor published".into(),
        details: vec![
            Detail::Text(format!("{what} It was damaged or changed on the way, so it was not used. Nothing was written to your device.")),
            Detail::Text(format!("Try again later. If it happens again, tell {vendor}.")),
        ],
        kind: ProblemKind::WrongFile,
    }
}

/// After an update: what the device reports now, against what was installed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeView {
    /// The device runs the version installed.
    pub ok: bool,
    pub title: String,
    pub details: Vec<String>,
}

impl OutcomeView {
    /// `device` came back in run-time mode after `wanted` was installed.
    pub fn new(catalog: &Catalog, device: &DeviceInfo, wanted: &str) -> OutcomeView {
        let product = catalog.product_for(device.vendor_id, device.product_id, device.mode);
        let name = product.map_or_else(|| clean(&device.display_name()), product_name);
        if device.mode == Mode::Dfu {
            return OutcomeView {
                ok: true,
                title: format!("{name} is updated"),
                details: vec![format!(
                    "It is still in update mode: unplug it and plug it back in to start the new firmware."
                )],
            };
        }
        let installed = product.and_then(|p| p.installed(device.mode, device.device_version));
        let wanted_v = Version::parse(wanted);
        match (installed, wanted_v) {
            (Some(now), Some(w)) if now == w => OutcomeView {
                ok: true,
                title: format!("{name} now runs {}", now.as_str()),
                details: Vec::new(),
            },
            (Some(now), _) => OutcomeView {
                ok: false,
                title: format!("{name} still reports {}", now.as_str()),
                details: vec![format!(
                    "The update to {} was written, but {name} did not take it. Unplug it, plug it back in and look again; if it still reports {}, update it once more, and if that does not help, tell its maker.",
                    clean(wanted),
                    now.as_str()
                )],
            },
            (None, _) => OutcomeView {
                ok: true,
                title: format!("{name} is back"),
                details: vec![format!("{name} does not tell which version it runs, so the page cannot check it.")],
            },
        }
    }

    /// The device did not come back in run-time mode within `seconds`.
    pub fn not_back(name: &str, seconds: u32) -> OutcomeView {
        let name = clean(name);
        OutcomeView {
            ok: false,
            title: format!("{name} has not come back"),
            details: vec![format!(
                "The firmware was written, but {name} did not restart into it within {seconds} seconds. Unplug it, plug it back in, and press Connect device to see which version it runs. If it only shows up in update mode, update it again."
            )],
        }
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
        SignatureProblem::Unsigned => "The page expects its firmware list to be signed by the device's maker, but the list has no signature (the .sig file next to it is missing).",
        SignatureProblem::Mismatch => "The firmware list's signature does not match: the list was changed after the device's maker signed it, or signed with another key.",
        SignatureProblem::Malformed => "The firmware list's signature file is damaged (it must hold 128 hex digits).",
        SignatureProblem::BadKey => "The page's key for checking the firmware list is malformed (it must be 64 hex digits), so the list cannot be checked.",
        SignatureProblem::Unsupported => "This browser cannot check the firmware list's signature. Update the browser (Chrome or Edge 137 or later) and reload the page.",
    };
    Problem {
        title: "The firmware list could not be trusted".into(),
        details: vec![
            Detail::Text(why.into()),
            Detail::Text("Nothing was changed on your device. Tell the device's maker; this page offers no update until the list checks out.".into()),
        ],
        kind: ProblemKind::WrongFile,
    }
}
