//! The vendor's firmware catalog (`dfu-flasher-catalog/1`): which products a support page
//! updates, how a device tells its installed version, and the releases, each pinned by
//! size and SHA-256. Reading it checks everything at once and reports every problem with
//! the path of the field (`products[0].releases[2].sha256`); choosing the release to
//! offer is a pure function of the catalog, the device and the channel.

use super::descriptor::Mode;
use super::json::{JsonError, ValueKind};
use std::cmp::Ordering;

mod check;
pub use check::parse;

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
        crate::core::sort::sort_by(&mut r, |a, b| {
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
