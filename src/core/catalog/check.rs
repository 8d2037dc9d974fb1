//! Reading a catalog: every field checked at once, every problem with its path.

use super::{
    parse_sha256, Catalog, CatalogError, Channel, DeviceId, Problem, Product, Release, Version,
    VersionRule, FORMAT, MAX_CATALOG_BYTES, MAX_ITEMS, MAX_NAME_CHARS, MAX_NOTE_CHARS,
};
use crate::core::descriptor::Mode;
use crate::core::json::{self, Value, ValueKind};

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
                Some(n) if n > 0 && n <= crate::core::file::MAX_FILE as u64 => Some(n),
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
