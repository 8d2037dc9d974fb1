//! The vendor's firmware catalog (`dfu-flasher-catalog/1`): which products a support page
//! updates, how a device tells its installed version, and the releases, each pinned by
//! size and SHA-256. Reading it checks everything at once and reports every problem with
//! the path of the field (`products[0].releases[2].sha256`); choosing the release to
//! offer is a pure function of the catalog, the device and the channel.

use super::descriptor::Mode;
use super::json::{self, JsonError, Value, ValueKind};
use std::cmp::Ordering;

/// The format this reader understands (the catalog's `format` field).
pub const FORMAT: &str = "dfu-flasher-catalog/1";
/// A catalog larger than this is refused before it is read.
pub const MAX_CATALOG_BYTES: usize = 1 << 20;
/// At most this many products, and releases per product.
pub const MAX_ITEMS: usize = 1000;
/// Longest name (vendor, product) in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest release note in characters.
pub const MAX_NOTE_CHARS: usize = 4000;
/// Most components a version may have, and the largest value of one.
pub const MAX_VERSION_PARTS: usize = 8;

/// A checked catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    pub vendor: String,
    pub products: Vec<Product>,
}

/// One product the page updates.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub id: String,
    pub name: String,
    pub devices: Vec<DeviceId>,
    pub version: VersionRule,
    pub releases: Vec<Release>,
}

/// USB ids a product shows, and in which mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceId {
    pub vid: u16,
    pub pid: u16,
    pub mode: Mode,
}

/// How the run-time interface's bcdDevice reads as the installed firmware version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionRule {
    /// Each byte is two BCD digits: 0x0142 is 1.42 (fwupd's "bcd").
    Bcd,
    /// Each byte is a number: 0x0142 is 1.66.
    Pair,
    /// The whole value is one number: 0x0142 is 322.
    Number,
    /// The device does not tell its version.
    None,
}

/// A release channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Channel {
    Stable,
    Beta,
}

/// One firmware release.
#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    pub version: Version,
    pub channel: Channel,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    /// Relative to the catalog's URL, or absolute.
    pub file: String,
    pub size: u64,
    pub sha256: [u8; 32],
    /// Release notes by language tag (lower case), in the catalog's order.
    pub notes: Vec<(String, String)>,
    /// The alt setting to write, when not the device's first.
    pub alt: Option<u8>,
}

impl Release {
    /// The notes in the first of `languages` the release has (a tag, then its primary
    /// language: `de-AT`, then `de`), else English, else the first given.
    pub fn notes_for(&self, languages: &[&str]) -> Option<&str> {
        let find = |tag: &str| {
            self.notes
                .iter()
                .find(|(l, _)| l.eq_ignore_ascii_case(tag))
                .map(|(_, n)| n.as_str())
        };
        for l in languages {
            if let Some(n) = find(l) {
                return Some(n);
            }
            if let Some((primary, _)) = l.split_once('-') {
                if let Some(n) = find(primary) {
                    return Some(n);
                }
            }
        }
        find("en").or_else(|| self.notes.first().map(|(_, n)| n.as_str()))
    }

    /// The SHA-256 as 64 lower-case hex digits.
    pub fn sha256_hex(&self) -> String {
        hex(&self.sha256)
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// A version: numbers separated by dots, compared component by component with missing
/// components as 0 (1.9 < 1.10, 1.4 = 1.4.0).
#[derive(Debug, Clone)]
pub struct Version {
    parts: Vec<u64>,
    text: String,
}

impl Version {
    /// `1.42`, `2`, `10.0.3`; nothing else (no letters, no empty components).
    pub fn parse(s: &str) -> Option<Version> {
        let parts: Option<Vec<u64>> = s
            .split('.')
            .map(|p| {
                if p.is_empty() || p.len() > 9 || !p.bytes().all(|b| b.is_ascii_digit()) {
                    None
                } else {
                    p.parse().ok()
                }
            })
            .collect();
        let parts = parts?;
        if parts.len() > MAX_VERSION_PARTS {
            return None;
        }
        Some(Version {
            parts,
            text: s.to_string(),
        })
    }

    /// The installed version a device's bcdDevice gives under `rule`; `None` where the rule
    /// says the device does not tell, or the value breaks the rule (a BCD digit over 9).
    pub fn from_bcd_device(rule: VersionRule, bcd: u16) -> Option<Version> {
        let [hi, lo] = bcd.to_be_bytes();
        let text = match rule {
            VersionRule::None => return None,
            VersionRule::Number => bcd.to_string(),
            VersionRule::Pair => format!("{hi}.{lo}"),
            VersionRule::Bcd => {
                let digits = |b: u8| (b >> 4 <= 9 && b & 15 <= 9).then(|| (b >> 4) * 10 + (b & 15));
                let (h, l) = (digits(hi)?, digits(lo)?);
                format!("{h}.{l:02}")
            }
        };
        Version::parse(&text)
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn part(&self, i: usize) -> u64 {
        self.parts.get(i).copied().unwrap_or(0)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.parts.len().max(other.parts.len());
        (0..n)
            .map(|i| self.part(i).cmp(&other.part(i)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

/// One problem in a catalog: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError {
    /// `products[0].releases[1].sha256`; empty for the catalog as a whole.
    pub path: String,
    pub problem: Problem,
}

/// What is wrong with a catalog field.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// Larger than [`MAX_CATALOG_BYTES`].
    TooLarge {
        size: usize,
    },
    /// Not JSON at all.
    NotJson(JsonError),
    /// The `format` names another format (or another version of this one).
    UnknownFormat {
        found: String,
    },
    Missing,
    WrongType {
        expected: ValueKind,
        found: ValueKind,
    },
    /// An empty string or list where something is needed.
    Empty,
    /// More than [`MAX_ITEMS`] entries.
    TooMany {
        count: usize,
        limit: usize,
    },
    /// Longer than allowed, in characters.
    TooLong {
        chars: usize,
        limit: usize,
    },
    /// Control characters in a name or version (a note may hold line breaks).
    ControlCharacters,
    /// Not 4 hex digits (`"1209"`).
    BadUsbId {
        found: String,
    },
    /// `mode` is not `runtime` or `dfu`.
    BadMode {
        found: String,
    },
    /// `version` is not `bcd`, `pair`, `number` or `none`.
    BadVersionRule {
        found: String,
    },
    /// Not numbers separated by dots.
    BadVersion {
        found: String,
    },
    /// `channel` is not `stable` or `beta`.
    BadChannel {
        found: String,
    },
    /// Not `YYYY-MM-DD`.
    BadDate {
        found: String,
    },
    /// Not 64 hex digits.
    BadSha256 {
        found: String,
    },
    /// Zero, or larger than any firmware file.
    BadSize {
        size: u64,
    },
    /// Not an integer 0–255.
    BadAlt,
    /// A product id other than 1–64 letters, digits, `-`, `_`, `.`.
    BadId {
        found: String,
    },
    /// A file reference that is not a plain relative or http(s) URL.
    BadFile {
        found: String,
    },
    /// Not a language tag like `en` or `pt-BR`.
    BadLanguage {
        found: String,
    },
    /// The same value as an earlier entry (`first`: that entry's path).
    Duplicate {
        first: String,
    },
    /// Two products claim the same ids in the same mode (`other`: the other product's id).
    SharedDevice {
        other: String,
    },
}

/// Read and check a catalog: every problem found, or the catalog.
pub fn parse(bytes: &[u8]) -> Result<Catalog, Vec<CatalogError>> {
    if bytes.len() > MAX_CATALOG_BYTES {
        return Err(vec![err("", Problem::TooLarge { size: bytes.len() })]);
    }
    let v = json::parse(bytes).map_err(|e| vec![err("", Problem::NotJson(e))])?;
    let mut c = Checker { errors: Vec::new() };
    let catalog = c.catalog(&v);
    match catalog {
        Some(cat) if c.errors.is_empty() => Ok(cat),
        _ => Err(c.errors),
    }
}

fn err(path: &str, problem: Problem) -> CatalogError {
    CatalogError {
        path: path.to_string(),
        problem,
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

struct Checker {
    errors: Vec<CatalogError>,
}

impl Checker {
    fn fail(&mut self, path: &str, problem: Problem) {
        self.errors.push(err(path, problem));
    }

    fn field<'v>(&mut self, obj: &'v Value, path: &str, key: &str) -> Option<&'v Value> {
        let v = obj.get(key);
        if v.is_none() {
            self.fail(&join(path, key), Problem::Missing);
        }
        v
    }

    fn typed<'v>(&mut self, v: &'v Value, path: &str, expected: ValueKind) -> Option<&'v Value> {
        if v.kind() == expected {
            Some(v)
        } else {
            self.fail(
                path,
                Problem::WrongType {
                    expected,
                    found: v.kind(),
                },
            );
            None
        }
    }

    fn string<'v>(&mut self, v: &'v Value, path: &str) -> Option<&'v str> {
        match self.typed(v, path, ValueKind::String)? {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    fn string_field<'v>(&mut self, obj: &'v Value, path: &str, key: &str) -> Option<&'v str> {
        let v = self.field(obj, path, key)?;
        self.string(v, &join(path, key))
    }

    fn list<'v>(&mut self, v: &'v Value, path: &str) -> Option<&'v [Value]> {
        let Value::Array(items) = self.typed(v, path, ValueKind::Array)? else {
            return None;
        };
        if items.is_empty() {
            self.fail(path, Problem::Empty);
            return None;
        }
        if items.len() > MAX_ITEMS {
            self.fail(
                path,
                Problem::TooMany {
                    count: items.len(),
                    limit: MAX_ITEMS,
                },
            );
            return None;
        }
        Some(items)
    }

    /// A name a person reads: not empty, no control characters, not too long.
    fn name(&mut self, s: &str, path: &str) -> Option<String> {
        let chars = s.chars().count();
        if s.trim().is_empty() {
            self.fail(path, Problem::Empty);
            None
        } else if chars > MAX_NAME_CHARS {
            self.fail(
                path,
                Problem::TooLong {
                    chars,
                    limit: MAX_NAME_CHARS,
                },
            );
            None
        } else if s.chars().any(char::is_control) {
            self.fail(path, Problem::ControlCharacters);
            None
        } else {
            Some(s.trim().to_string())
        }
    }

    fn catalog(&mut self, v: &Value) -> Option<Catalog> {
        self.typed(v, "", ValueKind::Object)?;
        let format = self.string_field(v, "", "format");
        if let Some(f) = format {
            if f != FORMAT {
                self.fail(
                    "format",
                    Problem::UnknownFormat {
                        found: f.to_string(),
                    },
                );
                // Another format's fields mean other things: read no further.
                return None;
            }
        }
        let vendor = self
            .string_field(v, "", "vendor")
            .and_then(|s| self.name(s, "vendor"));
        let products = self
            .field(v, "", "products")
            .and_then(|p| self.list(p, "products"))
            .map(|items| {
                items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, p)| self.product(p, &format!("products[{i}]")))
                    .collect::<Vec<_>>()
            });
        let (vendor, products) = (vendor?, products?);
        self.across_products(&products);
        Some(Catalog { vendor, products })
    }

    /// Product ids unique; no two products claim the same ids in the same mode.
    fn across_products(&mut self, products: &[Product]) {
        for (i, p) in products.iter().enumerate() {
            if let Some(j) = products[..i].iter().position(|q| q.id == p.id) {
                self.fail(
                    &format!("products[{i}].id"),
                    Problem::Duplicate {
                        first: format!("products[{j}].id"),
                    },
                );
            }
            for (k, d) in p.devices.iter().enumerate() {
                if let Some(q) = products[..i].iter().find(|q| q.devices.contains(d)) {
                    self.fail(
                        &format!("products[{i}].devices[{k}]"),
                        Problem::SharedDevice {
                            other: q.id.clone(),
                        },
                    );
                }
            }
        }
    }

    fn product(&mut self, v: &Value, path: &str) -> Option<Product> {
        self.typed(v, path, ValueKind::Object)?;
        let id = self.string_field(v, path, "id").and_then(|s| {
            let p = join(path, "id");
            let ok = !s.is_empty()
                && s.len() <= 64
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
            if !ok {
                self.fail(&p, Problem::BadId { found: s.into() });
            }
            ok.then(|| s.to_string())
        });
        let name = self
            .string_field(v, path, "name")
            .and_then(|s| self.name(s, &join(path, "name")));
        let devices = self.field(v, path, "devices").and_then(|d| {
            let dp = join(path, "devices");
            let items = self.list(d, &dp)?;
            let out: Vec<Option<DeviceId>> = items
                .iter()
                .enumerate()
                .map(|(i, d)| self.device(d, &format!("{dp}[{i}]")))
                .collect();
            let out: Vec<DeviceId> = out.into_iter().collect::<Option<_>>()?;
            for (i, d) in out.iter().enumerate() {
                if let Some(j) = out[..i].iter().position(|e| e == d) {
                    self.fail(
                        &format!("{dp}[{i}]"),
                        Problem::Duplicate {
                            first: format!("{dp}[{j}]"),
                        },
                    );
                }
            }
            Some(out)
        });
        let rule = self.string_field(v, path, "version").and_then(|s| {
            let rule = match s {
                "bcd" => Some(VersionRule::Bcd),
                "pair" => Some(VersionRule::Pair),
                "number" => Some(VersionRule::Number),
                "none" => Some(VersionRule::None),
                _ => None,
            };
            if rule.is_none() {
                self.fail(
                    &join(path, "version"),
                    Problem::BadVersionRule { found: s.into() },
                );
            }
            rule
        });
        let releases = self.field(v, path, "releases").and_then(|r| {
            let rp = join(path, "releases");
            let items = self.list(r, &rp)?;
            let out: Vec<Option<Release>> = items
                .iter()
                .enumerate()
                .map(|(i, r)| self.release(r, &format!("{rp}[{i}]")))
                .collect();
            let out: Vec<Release> = out.into_iter().collect::<Option<_>>()?;
            for (i, r) in out.iter().enumerate() {
                if let Some(j) = out[..i]
                    .iter()
                    .position(|e| e.version == r.version && e.alt == r.alt)
                {
                    self.fail(
                        &format!("{rp}[{i}].version"),
                        Problem::Duplicate {
                            first: format!("{rp}[{j}].version"),
                        },
                    );
                }
            }
            Some(out)
        });
        Some(Product {
            id: id?,
            name: name?,
            devices: devices?,
            version: rule?,
            releases: releases?,
        })
    }

    fn device(&mut self, v: &Value, path: &str) -> Option<DeviceId> {
        self.typed(v, path, ValueKind::Object)?;
        let mut id = |key: &str| {
            let s = self.string_field(v, path, key)?;
            let ok = s.len() == 4 && s.bytes().all(|b| b.is_ascii_hexdigit());
            if !ok {
                self.fail(&join(path, key), Problem::BadUsbId { found: s.into() });
                return None;
            }
            u16::from_str_radix(s, 16).ok()
        };
        let (vid, pid) = (id("vid"), id("pid"));
        let mode = self.string_field(v, path, "mode").and_then(|s| match s {
            "runtime" => Some(Mode::Runtime),
            "dfu" => Some(Mode::Dfu),
            _ => {
                self.fail(&join(path, "mode"), Problem::BadMode { found: s.into() });
                None
            }
        });
        Some(DeviceId {
            vid: vid?,
            pid: pid?,
            mode: mode?,
        })
    }

    fn release(&mut self, v: &Value, path: &str) -> Option<Release> {
        self.typed(v, path, ValueKind::Object)?;
        let version = self.string_field(v, path, "version").and_then(|s| {
            let parsed = Version::parse(s);
            if parsed.is_none() {
                self.fail(
                    &join(path, "version"),
                    Problem::BadVersion { found: s.into() },
                );
            }
            parsed
        });
        let channel = match v.get("channel") {
            None => Some(Channel::Stable),
            Some(c) => self
                .string(c, &join(path, "channel"))
                .and_then(|s| match s {
                    "stable" => Some(Channel::Stable),
                    "beta" => Some(Channel::Beta),
                    _ => {
                        self.fail(
                            &join(path, "channel"),
                            Problem::BadChannel { found: s.into() },
                        );
                        None
                    }
                }),
        };
        let date = match v.get("date") {
            None => Some(None),
            Some(d) => self.string(d, &join(path, "date")).and_then(|s| {
                if is_date(s) {
                    Some(Some(s.to_string()))
                } else {
                    self.fail(&join(path, "date"), Problem::BadDate { found: s.into() });
                    None
                }
            }),
        };
        let file = self.string_field(v, path, "file").and_then(|s| {
            if file_reference_ok(s) {
                Some(s.to_string())
            } else {
                self.fail(&join(path, "file"), Problem::BadFile { found: s.into() });
                None
            }
        });
        let size = self.field(v, path, "size").and_then(|s| {
            let p = join(path, "size");
            self.typed(s, &p, ValueKind::Number)?;
            match s.as_u64() {
                Some(n) if n > 0 && n <= super::file::MAX_FILE as u64 => Some(n),
                other => {
                    self.fail(
                        &p,
                        Problem::BadSize {
                            size: other.unwrap_or(0),
                        },
                    );
                    None
                }
            }
        });
        let sha256 = self.string_field(v, path, "sha256").and_then(|s| {
            let parsed = parse_sha256(s);
            if parsed.is_none() {
                self.fail(
                    &join(path, "sha256"),
                    Problem::BadSha256 { found: s.into() },
                );
            }
            parsed
        });
        let notes = match v.get("notes") {
            None => Some(Vec::new()),
            Some(n) => self.notes(n, &join(path, "notes")),
        };
        let alt = match v.get("alt") {
            None => Some(None),
            Some(a) => match a.as_u64() {
                Some(n) if n <= 255 => Some(Some(n as u8)),
                _ => {
                    self.fail(&join(path, "alt"), Problem::BadAlt);
                    None
                }
            },
        };
        Some(Release {
            version: version?,
            channel: channel?,
            date: date?,
            file: file?,
            size: size?,
            sha256: sha256?,
            notes: notes?,
            alt: alt?,
        })
    }

    fn notes(&mut self, v: &Value, path: &str) -> Option<Vec<(String, String)>> {
        let Value::Object(members) = self.typed(v, path, ValueKind::Object)? else {
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for (lang, text) in members {
            let p = format!("{path}.{lang}");
            if !is_language_tag(lang) {
                self.fail(
                    &p,
                    Problem::BadLanguage {
                        found: lang.clone(),
                    },
                );
                ok = false;
                continue;
            }
            let Some(t) = self.string(text, &p) else {
                ok = false;
                continue;
            };
            let chars = t.chars().count();
            if chars > MAX_NOTE_CHARS {
                self.fail(
                    &p,
                    Problem::TooLong {
                        chars,
                        limit: MAX_NOTE_CHARS,
                    },
                );
                ok = false;
            } else if t.chars().any(|c| c.is_control() && c != '\n') {
                self.fail(&p, Problem::ControlCharacters);
                ok = false;
            } else {
                out.push((lang.to_ascii_lowercase(), t.trim().to_string()));
            }
        }
        ok.then_some(out)
    }
}

/// `YYYY-MM-DD` with a month 01–12 and a day 01–31.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 10
        || b[4] != b'-'
        || b[7] != b'-'
        || !digits(0..4)
        || !digits(5..7)
        || !digits(8..10)
    {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(0);
    (1..=12).contains(&num(5..7)) && (1..=31).contains(&num(8..10))
}

/// `en`, `de`, `pt-BR`, `zh-Hant`: a 2–3 letter language, then optional subtags.
fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let lang_ok = parts
        .next()
        .is_some_and(|l| (2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_alphabetic()));
    lang_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// A relative reference without a scheme, or an `https://` (or `http://`) URL; no spaces,
/// control characters or backslashes (which browsers and servers read differently). The
/// file is pinned by size and SHA-256, so where it comes from cannot change what is
/// written; an https page cannot load http files anyway.
fn file_reference_ok(s: &str) -> bool {
    if s.is_empty() || s.len() > 2000 {
        return false;
    }
    if s.chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return false;
    }
    match s.split_once(':') {
        // A colon before any slash is a scheme.
        Some((scheme, rest)) if !scheme.contains('/') => {
            (scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http"))
                && rest.starts_with("//")
                && rest.len() > 2
        }
        _ => !s.starts_with("//"),
    }
}

/// 64 hex digits (either case) → 32 bytes.
pub fn parse_sha256(s: &str) -> Option<[u8; 32]> {
    parse_hex(s)
}

/// Exactly `2 * N` hex digits (either case) → N bytes.
pub fn parse_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != 2 * N || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// The signature file next to a catalog: `catalog.json` → `catalog.json.sig` (before any
/// query or fragment).
pub fn signature_url(catalog_url: &str) -> String {
    let end = catalog_url.find(['?', '#']).unwrap_or(catalog_url.len());
    format!("{}.sig{}", &catalog_url[..end], &catalog_url[end..])
}

/// What a signature file holds: an Ed25519 signature as 128 hex digits (whitespace around
/// it ignored).
pub fn parse_signature(text: &[u8]) -> Option<[u8; 64]> {
    parse_hex(std::str::from_utf8(text).ok()?.trim())
}

impl Catalog {
    /// The product that shows these ids in this mode (product ids and claims are unique
    /// in a checked catalog, so at most one).
    pub fn product_for(&self, vid: u16, pid: u16, mode: Mode) -> Option<&Product> {
        let id = DeviceId { vid, pid, mode };
        self.products.iter().find(|p| p.devices.contains(&id))
    }
}

/// What the page offers for a connected product.
#[derive(Debug, Clone, PartialEq)]
pub enum Offer<'a> {
    /// A newer release than the installed version.
    Update { from: Version, to: &'a Release },
    /// The installed version is the newest release (it can be reinstalled).
    UpToDate {
        installed: Version,
        release: &'a Release,
    },
    /// The device runs a newer version than any release on this channel.
    Newer {
        installed: Version,
        latest: &'a Release,
    },
    /// The installed version cannot be read: install the newest release.
    Install { release: &'a Release },
    /// No release on this channel (a beta-only product on the stable channel).
    NoRelease,
}

impl Product {
    /// The releases on `channel` (beta shows stable ones too), newest first.
    pub fn releases_on(&self, channel: Channel) -> Vec<&Release> {
        let mut r: Vec<&Release> = self
            .releases
            .iter()
            .filter(|r| r.channel <= channel)
            .collect();
        // Versions are unique per alt setting; unstable sorting is smaller in the wasm.
        r.sort_unstable_by(|a, b| {
            b.version
                .cmp(&a.version)
                .then(a.channel.cmp(&b.channel))
                .then(a.alt.cmp(&b.alt))
        });
        r
    }

    /// The one obvious action for a device running `installed` (if it tells).
    pub fn offer(&self, installed: Option<&Version>, channel: Channel) -> Offer<'_> {
        let Some(&latest) = self.releases_on(channel).first() else {
            return Offer::NoRelease;
        };
        let Some(installed) = installed else {
            return Offer::Install { release: latest };
        };
        match installed.cmp(&latest.version) {
            Ordering::Less => Offer::Update {
                from: installed.clone(),
                to: latest,
            },
            Ordering::Equal => Offer::UpToDate {
                installed: installed.clone(),
                release: latest,
            },
            Ordering::Greater => Offer::Newer {
                installed: installed.clone(),
                latest,
            },
        }
    }

    /// The installed version a device with this bcdDevice runs, read in run-time mode
    /// (in DFU mode bcdDevice is the bootloader's, not the firmware's).
    pub fn installed(&self, mode: Mode, bcd_device: u16) -> Option<Version> {
        match mode {
            Mode::Runtime => Version::from_bcd_device(self.version, bcd_device),
            Mode::Dfu => None,
        }
    }
}
