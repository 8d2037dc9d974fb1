//! What the vendor's updater says: the one action for the connected product, a catalog
//! with errors (to the vendor, with field paths), a download that is not the published
//! file, and whether the new version took.

use super::device::{clean, size};
use super::problem::{Detail, Problem, ProblemKind};
use super::text::{fill, text};
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
    let (version, file_size) = (r.version.as_str(), size(r.size));
    // "1.42 · 20 November 2026 · 100 KiB", with "beta" where it is one; the date only
    // where the catalog gives it.
    let date = r.date.as_deref().map(super::date);
    let key = match (beta, date.is_some()) {
        (false, false) => "catalog.release.label",
        (false, true) => "catalog.release.label.dated",
        (true, false) => "catalog.release.label.beta",
        (true, true) => "catalog.release.label.beta.dated",
    };
    let mut args = vec![("version", version), ("size", file_size.as_str())];
    if let Some(d) = &date {
        args.push(("date", d.as_str()));
    }
    let label = fill(key, &args);
    let downgrade = installed.is_some_and(|i| r.version < *i);
    let warning = match installed {
        Some(i) if downgrade => fill(
            "catalog.release.downgrade",
            &[
                ("name", name),
                ("installed", i.as_str()),
                ("version", version),
            ],
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
    let products = c
        .products
        .iter()
        .map(product_name)
        .reduce(|list, name| fill("catalog.lead.or", &[("list", &list), ("name", &name)]))
        .unwrap_or_default();
    fill("catalog.lead", &[("products", &products)])
}

/// The names of the products the catalog updates, for "This page updates …".
fn products_line(c: &Catalog) -> String {
    let products = c
        .products
        .iter()
        .map(product_name)
        .reduce(|list, name| fill("catalog.products.and", &[("list", &list), ("name", &name)]))
        .unwrap_or_default();
    fill(
        "catalog.products",
        &[("vendor", &clean(&c.vendor)), ("products", &products)],
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
            let name = clean(&super::device_name(device));
            return OfferView {
                kind: "unknown-device",
                title: fill("catalog.offer.unknown.title", &[("name", &name)]),
                product: String::new(),
                name: name.clone(),
                installed: None,
                release: None,
                action: None,
                secondary: None,
                details: vec![
                    products_line(catalog),
                    fill(
                        "catalog.offer.unknown.detail",
                        &[
                            ("name", &name),
                            (
                                "usb_id",
                                &format!("{:04x}:{:04x}", device.vendor_id, device.product_id),
                            ),
                        ],
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
                o.title = fill(
                    "catalog.offer.update.title",
                    &[("name", &name), ("version", to.version.as_str())],
                );
                o.action = Some(fill(
                    "catalog.offer.update.action",
                    &[
                        ("name", &name),
                        ("installed", from.as_str()),
                        ("version", to.version.as_str()),
                    ],
                ));
                o.release = Some(view(to));
            }
            Offer::UpToDate { installed, release } => {
                o.kind = "up-to-date";
                o.title = fill(
                    "catalog.offer.up_to_date.title",
                    &[("name", &name), ("installed", installed.as_str())],
                );
                o.secondary = Some(fill(
                    "catalog.offer.up_to_date.reinstall",
                    &[("version", release.version.as_str())],
                ));
                o.release = Some(view(release));
            }
            Offer::Newer { installed, latest } => {
                o.kind = "newer";
                o.title = fill(
                    "catalog.offer.newer.title",
                    &[("name", &name), ("installed", installed.as_str())],
                );
                o.details.push(fill(
                    "catalog.offer.newer.detail",
                    &[("latest", latest.version.as_str())],
                ));
            }
            Offer::Install { release } => {
                o.kind = "install";
                o.title = fill(
                    "catalog.offer.install.title",
                    &[("name", &name), ("version", release.version.as_str())],
                );
                o.action = Some(fill(
                    "catalog.offer.install.action",
                    &[("name", &name), ("version", release.version.as_str())],
                ));
                o.details.push(if device.mode == Mode::Dfu {
                    fill("catalog.offer.install.in_update_mode", &[("name", &name)])
                } else {
                    fill("catalog.offer.install.no_version", &[("name", &name)])
                });
                o.release = Some(view(release));
            }
            Offer::NoRelease => {
                o.kind = "no-release";
                o.title = fill("catalog.offer.no_release.title", &[("name", &name)]);
                o.details.push(
                    if channel == Channel::Stable && !product.releases.is_empty() {
                        fill("catalog.offer.no_release.beta_only", &[("name", &name)])
                    } else {
                        fill("catalog.offer.no_release.unchanged", &[("name", &name)])
                    },
                );
            }
        }
        o
    }
}

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
        let name = product.map_or_else(|| clean(&super::device_name(device)), product_name);
        if device.mode == Mode::Dfu {
            return OutcomeView {
                ok: true,
                title: fill("catalog.outcome.dfu.title", &[("name", &name)]),
                details: vec![text("catalog.outcome.dfu.detail")],
            };
        }
        let installed = product.and_then(|p| p.installed(device.mode, device.device_version));
        let wanted_v = Version::parse(wanted);
        match (installed, wanted_v) {
            (Some(now), Some(w)) if now == w => OutcomeView {
                ok: true,
                title: fill(
                    "catalog.outcome.ok.title",
                    &[("name", &name), ("version", now.as_str())],
                ),
                details: Vec::new(),
            },
            (Some(now), _) => OutcomeView {
                ok: false,
                title: fill(
                    "catalog.outcome.unchanged.title",
                    &[("name", &name), ("installed", now.as_str())],
                ),
                details: vec![fill(
                    "catalog.outcome.unchanged.detail",
                    &[
                        ("version", &clean(wanted)),
                        ("name", &name),
                        ("installed", now.as_str()),
                    ],
                )],
            },
            (None, _) => OutcomeView {
                ok: true,
                title: fill("catalog.outcome.back.title", &[("name", &name)]),
                details: vec![fill("catalog.outcome.back.detail", &[("name", &name)])],
            },
        }
    }

    /// The device did not come back in run-time mode within `seconds`.
    pub fn not_back(name: &str, seconds: u32) -> OutcomeView {
        let name = clean(name);
        OutcomeView {
            ok: false,
            title: fill("catalog.outcome.not_back.title", &[("name", &name)]),
            details: vec![fill(
                "catalog.outcome.not_back.detail",
                &[("name", &name), ("seconds", &seconds.to_string())],
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
