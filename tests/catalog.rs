//! The vendor catalog, table-driven against catalogs written by hand: good ones, every kind
//! of bad field (each reported with its path), versions and their order, product matching
//! and the release offered. The JSON reader is checked against serde_json.

use dfu_flasher::core::catalog::{
    self, Catalog, CatalogError, Channel, Offer, Problem, Version, VersionRule,
};
use dfu_flasher::core::descriptor::Mode;
use dfu_flasher::core::json::{self, JsonErrorKind, Value, ValueKind};
use proptest::prelude::*;

const SHA_A: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const SHA_B: &str = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";

/// The example of the issue, with a beta release and a second product.
fn good() -> serde_json::Value {
    serde_json::json!({
        "format": "dfu-flasher-catalog/1",
        "vendor": "Example Gadgets",
        "products": [{
            "id": "widget",
            "name": "Widget",
            "devices": [
                {"vid": "1209", "pid": "2003", "mode": "runtime"},
                {"vid": "1209", "pid": "2004", "mode": "dfu"}
            ],
            "version": "bcd",
            "releases": [
                {
                    "version": "1.42", "channel": "stable", "date": "2026-11-20",
                    "file": "widget-1.42.dfu", "size": 102400, "sha256": SHA_A,
                    "notes": {"en": "Fixes the battery gauge.", "de": "Behebt die Akkuanzeige."}
                },
                {
                    "version": "1.9", "file": "https://cdn.example.com/w/widget-1.9.dfu",
                    "size": 99000, "sha256": SHA_B
                },
                {
                    "version": "1.50", "channel": "beta", "file": "beta/widget-1.50.dfu",
                    "size": 103000, "sha256": SHA_B.to_uppercase(), "alt": 0
                }
            ]
        }, {
            "id": "gizmo",
            "name": "Gizmo",
            "devices": [{"vid": "0483", "pid": "df11", "mode": "dfu"}],
            "version": "none",
            "releases": [{"version": "3", "file": "gizmo.dfu", "size": 5000, "sha256": SHA_A}]
        }]
    })
}

fn parse_value(v: &serde_json::Value) -> Result<Catalog, Vec<CatalogError>> {
    catalog::parse(
        serde_json::to_string_pretty(v)
            .expect("serialises")
            .as_bytes(),
    )
}

fn ok(v: &serde_json::Value) -> Catalog {
    parse_value(v).unwrap_or_else(|e| panic!("{e:?}"))
}

#[test]
fn the_example_catalog_reads_as_written() {
    let c = ok(&good());
    assert_eq!(c.vendor, "Example Gadgets");
    assert_eq!(c.products.len(), 2);
    let w = &c.products[0];
    assert_eq!((w.id.as_str(), w.name.as_str()), ("widget", "Widget"));
    assert_eq!(w.version, VersionRule::Bcd);
    assert_eq!(w.devices.len(), 2);
    assert_eq!(
        (w.devices[0].vid, w.devices[0].pid, w.devices[0].mode),
        (0x1209, 0x2003, Mode::Runtime)
    );
    assert_eq!(w.devices[1].mode, Mode::Dfu);
    let r = &w.releases[0];
    assert_eq!(r.version.as_str(), "1.42");
    assert_eq!(r.channel, Channel::Stable);
    assert_eq!(r.date.as_deref(), Some("2026-11-20"));
    assert_eq!(r.file, "widget-1.42.dfu");
    assert_eq!(r.size, 102_400);
    assert_eq!(r.sha256_hex(), SHA_A);
    assert_eq!(r.alt, None);
    // Defaults: stable, no date, no notes.
    assert_eq!(w.releases[1].channel, Channel::Stable);
    assert_eq!(w.releases[1].date, None);
    assert!(w.releases[1].notes.is_empty());
    // Upper-case hex is the same digest.
    assert_eq!(w.releases[2].sha256_hex(), SHA_B);
    assert_eq!(w.releases[2].alt, Some(0));
    assert_eq!(c.products[1].version, VersionRule::None);
}

/// A test of one reported problem.
type Check = fn(&Problem) -> bool;

/// Apply `edit` to the good catalog; expect exactly these problems at these paths.
fn expect_problems(
    what: &str,
    edit: impl FnOnce(&mut serde_json::Value),
    expected: &[(&str, Check)],
) {
    let mut v = good();
    edit(&mut v);
    let errors = parse_value(&v).expect_err(what);
    assert_eq!(errors.len(), expected.len(), "{what}: {errors:#?}");
    for (e, (path, check)) in errors.iter().zip(expected) {
        assert_eq!(e.path, *path, "{what}: {errors:#?}");
        assert!(check(&e.problem), "{what}: {:?}", e.problem);
    }
}

fn remove(v: &mut serde_json::Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    let obj = v
        .pointer_mut(parent)
        .expect("parent")
        .as_object_mut()
        .expect("object");
    obj.remove(key).expect("present");
}

/// Set (or add) the member at `pointer`.
fn set(v: &mut serde_json::Value, pointer: &str, new: serde_json::Value) {
    if let Some(old) = v.pointer_mut(pointer) {
        *old = new;
        return;
    }
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    let obj = v
        .pointer_mut(parent)
        .expect("parent")
        .as_object_mut()
        .expect("object");
    obj.insert(key.to_string(), new);
}

#[test]
fn every_required_field_missing_is_named_by_its_path() {
    let required = [
        ("/format", "format"),
        ("/vendor", "vendor"),
        ("/products", "products"),
        ("/products/0/id", "products[0].id"),
        ("/products/0/name", "products[0].name"),
        ("/products/0/devices", "products[0].devices"),
        ("/products/0/version", "products[0].version"),
        ("/products/0/releases", "products[0].releases"),
        ("/products/0/devices/1/vid", "products[0].devices[1].vid"),
        ("/products/0/devices/1/pid", "products[0].devices[1].pid"),
        ("/products/0/devices/1/mode", "products[0].devices[1].mode"),
        (
            "/products/0/releases/1/version",
            "products[0].releases[1].version",
        ),
        (
            "/products/0/releases/1/file",
            "products[0].releases[1].file",
        ),
        (
            "/products/0/releases/1/size",
            "products[0].releases[1].size",
        ),
        (
            "/products/0/releases/1/sha256",
            "products[0].releases[1].sha256",
        ),
        (
            "/products/1/releases/0/sha256",
            "products[1].releases[0].sha256",
        ),
    ];
    for (pointer, path) in required {
        expect_problems(
            pointer,
            |v| remove(v, pointer),
            &[(path, |p| *p == Problem::Missing)],
        );
    }
}

#[test]
fn wrong_types_say_what_was_expected() {
    use serde_json::json;
    let cases: [(&str, serde_json::Value, ValueKind, ValueKind); 9] = [
        ("/vendor", json!(7), ValueKind::String, ValueKind::Number),
        ("/products", json!({}), ValueKind::Array, ValueKind::Object),
        (
            "/products/0",
            json!("widget"),
            ValueKind::Object,
            ValueKind::String,
        ),
        (
            "/products/0/devices/0/vid",
            json!(4617),
            ValueKind::String,
            ValueKind::Number,
        ),
        (
            "/products/0/releases/0/size",
            json!("102400"),
            ValueKind::Number,
            ValueKind::String,
        ),
        (
            "/products/0/releases/0/notes",
            json!(["en"]),
            ValueKind::Object,
            ValueKind::Array,
        ),
        (
            "/products/0/releases/0/notes/en",
            json!(null),
            ValueKind::String,
            ValueKind::Null,
        ),
        (
            "/products/0/releases/0/channel",
            json!(true),
            ValueKind::String,
            ValueKind::Bool,
        ),
        (
            "/products/0/releases/0/date",
            json!(20261120),
            ValueKind::String,
            ValueKind::Number,
        ),
    ];
    for (pointer, value, expected, found) in cases {
        let mut v = good();
        set(&mut v, pointer, value);
        let errors = parse_value(&v).expect_err(pointer);
        let path = pointer_to_path(pointer);
        assert_eq!(
            errors,
            [CatalogError {
                path,
                problem: Problem::WrongType { expected, found }
            }],
            "{pointer}"
        );
    }
}

/// `/products/0/releases/1/sha256` → `products[0].releases[1].sha256`, by hand.
fn pointer_to_path(pointer: &str) -> String {
    let mut out = String::new();
    for part in pointer.trim_start_matches('/').split('/') {
        if part.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(part);
        }
    }
    out
}

#[test]
fn bad_values_are_named_with_what_was_found() {
    use serde_json::json;
    let cases: Vec<(&str, serde_json::Value, Check)> = vec![
        (
            "/format",
            json!("dfu-flasher-catalog/2"),
            |p| matches!(p, Problem::UnknownFormat { found } if found == "dfu-flasher-catalog/2"),
        ),
        (
            "/products/0/releases/0/sha256",
            json!(&SHA_A[..63]),
            |p| matches!(p, Problem::BadSha256 { found } if found.len() == 63),
        ),
        (
            "/products/0/releases/0/sha256",
            json!(format!("{}g", &SHA_A[..63])),
            |p| matches!(p, Problem::BadSha256 { .. }),
        ),
        (
            "/products/0/releases/0/sha256",
            json!(format!("{SHA_A}00")),
            |p| matches!(p, Problem::BadSha256 { .. }),
        ),
        ("/products/0/devices/0/vid", json!("12090"), |p| {
            matches!(p, Problem::BadUsbId { .. })
        }),
        ("/products/0/devices/0/pid", json!("0x20"), |p| {
            matches!(p, Problem::BadUsbId { .. })
        }),
        (
            "/products/0/devices/0/mode",
            json!("bootloader"),
            |p| matches!(p, Problem::BadMode { found } if found == "bootloader"),
        ),
        ("/products/0/version", json!("semver"), |p| {
            matches!(p, Problem::BadVersionRule { .. })
        }),
        ("/products/0/releases/0/version", json!("v1.42"), |p| {
            matches!(p, Problem::BadVersion { .. })
        }),
        ("/products/0/releases/0/version", json!("1..2"), |p| {
            matches!(p, Problem::BadVersion { .. })
        }),
        ("/products/0/releases/0/version", json!("1.42-rc1"), |p| {
            matches!(p, Problem::BadVersion { .. })
        }),
        ("/products/0/releases/0/version", json!(""), |p| {
            matches!(p, Problem::BadVersion { .. })
        }),
        ("/products/0/releases/0/channel", json!("nightly"), |p| {
            matches!(p, Problem::BadChannel { .. })
        }),
        ("/products/0/releases/0/date", json!("20.11.2026"), |p| {
            matches!(p, Problem::BadDate { .. })
        }),
        ("/products/0/releases/0/date", json!("2026-13-01"), |p| {
            matches!(p, Problem::BadDate { .. })
        }),
        ("/products/0/releases/0/date", json!("2026-11-00"), |p| {
            matches!(p, Problem::BadDate { .. })
        }),
        // One digit too many: the length decides, whatever the first ten characters say.
        ("/products/0/releases/0/date", json!("2026-11-201"), |p| {
            matches!(p, Problem::BadDate { .. })
        }),
        // A day that a number parser would take ("+1") is still not two digits.
        ("/products/0/releases/0/date", json!("2026-11-+1"), |p| {
            matches!(p, Problem::BadDate { .. })
        }),
        ("/products/0/releases/0/size", json!(0), |p| {
            matches!(p, Problem::BadSize { size: 0 })
        }),
        ("/products/0/releases/0/size", json!(-5), |p| {
            matches!(p, Problem::BadSize { .. })
        }),
        ("/products/0/releases/0/size", json!(1.5), |p| {
            matches!(p, Problem::BadSize { .. })
        }),
        ("/products/0/releases/0/size", json!(1u64 << 40), |p| {
            matches!(p, Problem::BadSize { .. })
        }),
        ("/products/0/releases/0/alt", json!(256), |p| {
            *p == Problem::BadAlt
        }),
        ("/products/0/releases/0/alt", json!("0"), |p| {
            *p == Problem::BadAlt
        }),
        ("/products/0/releases/0/file", json!(""), |p| {
            matches!(p, Problem::BadFile { .. })
        }),
        (
            "/products/0/releases/0/file",
            json!("javascript:alert(1)"),
            |p| matches!(p, Problem::BadFile { .. }),
        ),
        (
            "/products/0/releases/0/file",
            json!("data:application/octet-stream,AAAA"),
            |p| matches!(p, Problem::BadFile { .. }),
        ),
        (
            "/products/0/releases/0/file",
            json!("//evil.example/x.dfu"),
            |p| matches!(p, Problem::BadFile { .. }),
        ),
        ("/products/0/releases/0/file", json!("my file.dfu"), |p| {
            matches!(p, Problem::BadFile { .. })
        }),
        ("/products/0/releases/0/file", json!("dir\\file.dfu"), |p| {
            matches!(p, Problem::BadFile { .. })
        }),
        ("/products/0/id", json!("wid get"), |p| {
            matches!(p, Problem::BadId { .. })
        }),
        ("/products/0/name", json!("   "), |p| *p == Problem::Empty),
        ("/products/0/name", json!("Wid\u{0007}get"), |p| {
            *p == Problem::ControlCharacters
        }),
        ("/products/0/name", json!("W".repeat(101)), |p| {
            matches!(p, Problem::TooLong { chars: 101, .. })
        }),
        (
            "/products/0/releases/0/notes/en",
            json!("a\u{1b}[31m"),
            |p| *p == Problem::ControlCharacters,
        ),
        (
            "/products/0/releases/0/notes/en",
            json!("n".repeat(4001)),
            |p| matches!(p, Problem::TooLong { .. }),
        ),
        ("/products/0/devices", json!([]), |p| *p == Problem::Empty),
        ("/products/0/releases", json!([]), |p| *p == Problem::Empty),
        ("/products", json!([]), |p| *p == Problem::Empty),
    ];
    for (pointer, value, check) in cases {
        let mut v = good();
        set(&mut v, pointer, value.clone());
        let errors = parse_value(&v).expect_err(pointer);
        assert_eq!(errors.len(), 1, "{pointer} = {value}: {errors:#?}");
        assert_eq!(
            errors[0].path,
            pointer_to_path(pointer),
            "{pointer} = {value}"
        );
        assert!(
            check(&errors[0].problem),
            "{pointer} = {value}: {:?}",
            errors[0].problem
        );
    }
    // A language tag that is not one.
    expect_problems(
        "notes language",
        |v| {
            set(
                v,
                "/products/0/releases/0/notes",
                serde_json::json!({"english!": "x"}),
            );
        },
        &[("products[0].releases[0].notes.english!", |p| {
            matches!(p, Problem::BadLanguage { .. })
        })],
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut v = good();
    set(&mut v, "/vendor", serde_json::json!(""));
    set(
        &mut v,
        "/products/0/releases/0/sha256",
        serde_json::json!("00"),
    );
    remove(&mut v, "/products/1/releases/0/size");
    let errors = parse_value(&v).expect_err("three problems");
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "vendor",
            "products[0].releases[0].sha256",
            "products[1].releases[0].size"
        ]
    );
}

#[test]
fn duplicates_and_shared_ids_are_refused() {
    use serde_json::json;
    // The same version twice in one product (1.42 and 1.420 are not the same; 1.42.0 is).
    expect_problems(
        "duplicate version",
        |v| set(v, "/products/0/releases/1/version", json!("1.42.0")),
        &[(
            "products[0].releases[1].version",
            |p| matches!(p, Problem::Duplicate { first } if first == "products[0].releases[0].version"),
        )],
    );
    let mut v = good();
    set(&mut v, "/products/0/releases/1/version", json!("1.420"));
    ok(&v);
    expect_problems(
        "duplicate product id",
        |v| set(v, "/products/1/id", json!("widget")),
        &[("products[1].id", |p| matches!(p, Problem::Duplicate { .. }))],
    );
    expect_problems(
        "two products claim one device",
        |v| {
            set(
                v,
                "/products/1/devices/0",
                json!({"vid": "1209", "pid": "2004", "mode": "dfu"}),
            )
        },
        &[(
            "products[1].devices[0]",
            |p| matches!(p, Problem::SharedDevice { other } if other == "widget"),
        )],
    );
    expect_problems(
        "a device listed twice",
        |v| {
            set(
                v,
                "/products/0/devices/1",
                json!({"vid": "1209", "pid": "2003", "mode": "runtime"}),
            )
        },
        &[("products[0].devices[1]", |p| {
            matches!(p, Problem::Duplicate { .. })
        })],
    );
    // The same ids in both modes are one device that keeps its ids: allowed.
    let mut v = good();
    set(
        &mut v,
        "/products/0/devices/1",
        json!({"vid": "1209", "pid": "2003", "mode": "dfu"}),
    );
    ok(&v);
}

#[test]
fn huge_and_non_json_catalogs_are_refused_before_reading() {
    // Exactly at the limit (padded with whitespace) is read; one byte more is not.
    let mut exact = serde_json::to_vec(&good()).expect("serialises");
    exact.resize(catalog::MAX_CATALOG_BYTES, b' ');
    assert!(catalog::parse(&exact).is_ok());
    let big = vec![b' '; catalog::MAX_CATALOG_BYTES + 1];
    assert!(matches!(
        catalog::parse(&big).expect_err("too large")[..],
        [CatalogError {
            problem: Problem::TooLarge { .. },
            ..
        }]
    ));
    let mut v = good();
    let product = v["products"][1].clone();
    let many: Vec<serde_json::Value> = (0..=catalog::MAX_ITEMS)
        .map(|i| {
            let mut p = product.clone();
            p["id"] = serde_json::json!(format!("p{i}"));
            p["devices"][0]["pid"] = serde_json::json!(format!("{i:04x}"));
            p
        })
        .collect();
    v["products"] = serde_json::Value::Array(many);
    let e = parse_value(&v).expect_err("too many");
    assert!(
        matches!(
            e[..],
            [CatalogError {
                problem: Problem::TooMany {
                    count: 1001,
                    limit: 1000
                },
                ..
            }]
        ),
        "{e:?}"
    );
    for (text, kind) in [
        (&b"<!DOCTYPE html><html>"[..], JsonErrorKind::Unexpected),
        (b"", JsonErrorKind::Empty),
        (
            b"{\"format\": \"dfu-flasher-catalog/1\",}",
            JsonErrorKind::Unexpected,
        ),
        (b"{\"a\": 1} x", JsonErrorKind::TrailingText),
        (
            b"{\"a\": 1, \"a\": 2}",
            JsonErrorKind::DuplicateKey("a".into()),
        ),
        (b"\xff\xfe{", JsonErrorKind::NotUtf8),
    ] {
        let e = catalog::parse(text).expect_err("not json");
        assert!(
            matches!(&e[..], [CatalogError { problem: Problem::NotJson(j), .. }] if j.kind == kind),
            "{:?}: {e:?}",
            String::from_utf8_lossy(text)
        );
    }
    // A byte-order mark before the catalog is accepted (editors on Windows write one).
    let mut with_bom = "\u{feff}".as_bytes().to_vec();
    with_bom.extend(serde_json::to_vec(&good()).expect("serialises"));
    assert!(catalog::parse(&with_bom).is_ok());
}

#[test]
fn hostile_text_in_names_and_notes_is_kept_as_text() {
    let mut v = good();
    let html = "<img src=x onerror=alert(1)> & <script>alert(2)</script>";
    set(
        &mut v,
        "/products/0/name",
        serde_json::json!("<b>Widget</b>"),
    );
    set(
        &mut v,
        "/products/0/releases/0/notes/en",
        serde_json::json!(html),
    );
    let c = ok(&v);
    assert_eq!(c.products[0].name, "<b>Widget</b>");
    assert_eq!(c.products[0].releases[0].notes_for(&["en"]), Some(html));
}

#[test]
fn versions_compare_numerically_component_by_component() {
    let v = |s: &str| Version::parse(s).unwrap_or_else(|| panic!("{s}"));
    let ordered = [
        "0.9", "1", "1.0.1", "1.2", "1.9", "1.10", "1.10.3", "2.0", "10",
    ];
    for (i, a) in ordered.iter().enumerate() {
        for (j, b) in ordered.iter().enumerate() {
            assert_eq!(v(a).cmp(&v(b)), i.cmp(&j), "{a} vs {b}");
        }
    }
    assert_eq!(v("1.4"), v("1.4.0"));
    assert_eq!(v("1.05"), v("1.5"));
    // At the limits: eight parts, nine digits a part.
    assert!(Version::parse("1.2.3.4.5.6.7.8").is_some());
    assert!(Version::parse("123456789.0").is_some());
    for bad in [
        "",
        ".",
        "1.",
        ".1",
        "a",
        "1.x",
        "-1",
        "1 .2",
        "1.2.3.4.5.6.7.8.9",
        "1234567890",
    ] {
        assert!(Version::parse(bad).is_none(), "{bad:?}");
    }
}

#[test]
fn bcd_device_reads_as_each_rule_says() {
    let text = |rule, bcd| Version::from_bcd_device(rule, bcd).map(|v| v.as_str().to_string());
    let table = [
        (VersionRule::Bcd, 0x0142, Some("1.42")),
        (VersionRule::Bcd, 0x0100, Some("1.00")),
        (VersionRule::Bcd, 0x1009, Some("10.09")),
        (VersionRule::Bcd, 0x9999, Some("99.99")),
        (VersionRule::Bcd, 0x01A0, None),
        (VersionRule::Bcd, 0xF001, None),
        (VersionRule::Pair, 0x0142, Some("1.66")),
        (VersionRule::Pair, 0xFFFF, Some("255.255")),
        (VersionRule::Number, 0x0142, Some("322")),
        (VersionRule::Number, 0, Some("0")),
        (VersionRule::None, 0x0142, None),
    ];
    for (rule, bcd, want) in table {
        assert_eq!(text(rule, bcd).as_deref(), want, "{rule:?} {bcd:#06x}");
    }
    // The installed version is read in run-time mode only (in DFU mode bcdDevice is the
    // bootloader's).
    let c = ok(&good());
    let w = &c.products[0];
    assert_eq!(w.installed(Mode::Runtime, 0x0142), Version::parse("1.42"));
    assert_eq!(w.installed(Mode::Dfu, 0x0142), None);
}

#[test]
fn products_are_matched_by_ids_and_mode() {
    let c = ok(&good());
    let id = |vid, pid, mode| c.product_for(vid, pid, mode).map(|p| p.id.as_str());
    assert_eq!(id(0x1209, 0x2003, Mode::Runtime), Some("widget"));
    assert_eq!(id(0x1209, 0x2004, Mode::Dfu), Some("widget"));
    assert_eq!(
        id(0x1209, 0x2003, Mode::Dfu),
        None,
        "listed for run-time mode only"
    );
    assert_eq!(id(0x0483, 0xDF11, Mode::Dfu), Some("gizmo"));
    assert_eq!(id(0x0483, 0xDF11, Mode::Runtime), None);
    assert_eq!(id(0x1209, 0x2005, Mode::Runtime), None);
}

#[test]
fn the_offer_is_the_one_obvious_action() {
    let c = ok(&good());
    let w = &c.products[0];
    let v = |s| Version::parse(s).expect("version");
    let to = |o: &Offer| match o {
        Offer::Update { to, .. } => to.version.as_str().to_string(),
        other => format!("{other:?}"),
    };
    assert_eq!(to(&w.offer(Some(&v("1.00")), Channel::Stable)), "1.42");
    // 1.9 < 1.10 < 1.42: numeric, not by string.
    assert_eq!(to(&w.offer(Some(&v("1.10")), Channel::Stable)), "1.42");
    assert!(matches!(
        w.offer(Some(&v("1.42")), Channel::Stable),
        Offer::UpToDate { release, .. } if release.version == v("1.42")
    ));
    assert!(matches!(
        w.offer(Some(&v("1.43")), Channel::Stable),
        Offer::Newer { latest, .. } if latest.version == v("1.42")
    ));
    assert!(matches!(
        w.offer(None, Channel::Stable),
        Offer::Install { release } if release.version == v("1.42")
    ));
    // The beta channel sees the beta and the stable releases.
    assert_eq!(to(&w.offer(Some(&v("1.42")), Channel::Beta)), "1.50");
    let on_beta: Vec<&str> = w
        .releases_on(Channel::Beta)
        .iter()
        .map(|r| r.version.as_str())
        .collect();
    assert_eq!(on_beta, ["1.50", "1.42", "1.9"]);
    let stable: Vec<&str> = w
        .releases_on(Channel::Stable)
        .iter()
        .map(|r| r.version.as_str())
        .collect();
    assert_eq!(stable, ["1.42", "1.9"]);
    // A product with only a beta release offers nothing on the stable channel.
    let mut only_beta = good();
    only_beta["products"][1]["releases"][0]["channel"] = serde_json::json!("beta");
    let c = ok(&only_beta);
    assert_eq!(c.products[1].offer(None, Channel::Stable), Offer::NoRelease);
    assert!(matches!(
        c.products[1].offer(None, Channel::Beta),
        Offer::Install { .. }
    ));
}

#[test]
fn release_notes_follow_the_users_languages() {
    let c = ok(&good());
    let r = &c.products[0].releases[0];
    assert_eq!(
        r.notes_for(&["de-AT", "en"]),
        Some("Behebt die Akkuanzeige.")
    );
    assert_eq!(r.notes_for(&["DE"]), Some("Behebt die Akkuanzeige."));
    assert_eq!(
        r.notes_for(&["fr"]),
        Some("Fixes the battery gauge."),
        "English otherwise"
    );
    let mut v = good();
    set(
        &mut v,
        "/products/0/releases/0/notes",
        serde_json::json!({"ja": "修正", "ko": "x"}),
    );
    let c = ok(&v);
    assert_eq!(
        c.products[0].releases[0].notes_for(&["fr"]),
        Some("修正"),
        "else the first"
    );
    assert_eq!(c.products[0].releases[1].notes_for(&["en"]), None);
}

// The JSON reader against serde_json.

fn to_serde(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => serde_json::from_str(n).expect("a JSON number"),
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Array(a) => serde_json::Value::Array(a.iter().map(to_serde).collect()),
        Value::Object(m) => {
            serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), to_serde(v))).collect())
        }
    }
}

fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        any::<u64>().prop_map(|n| serde_json::json!(n)),
        // Binary fractions print and read back exactly.
        (-1_000_000i64..1_000_000).prop_map(|n| serde_json::json!(n as f64 / 1024.0)),
        any::<String>().prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..8)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn the_json_reader_agrees_with_serde_json(v in arb_json(), pretty in any::<bool>()) {
        let text = if pretty {
            serde_json::to_string_pretty(&v)
        } else {
            serde_json::to_string(&v)
        }
        .expect("serialises");
        let ours = json::parse(text.as_bytes()).expect("valid JSON");
        prop_assert_eq!(to_serde(&ours), v);
    }

    /// Whatever the bytes, the reader accepts exactly what serde_json accepts (duplicate
    /// keys aside, which serde_json takes and this reader refuses), and never panics.
    #[test]
    fn the_json_reader_refuses_what_serde_json_refuses(bytes in prop::collection::vec(
        prop::sample::select(b" \t\n{}[]:,\"\\/-+.0123456789eEtrufalsn\xc3\xa9ux".to_vec()), 0..40)
    ) {
        let ours = json::parse(&bytes);
        let theirs: Result<serde_json::Value, _> = serde_json::from_slice(&bytes);
        let duplicate = matches!(&ours, Err(e) if matches!(e.kind, JsonErrorKind::DuplicateKey(_)));
        if !duplicate {
            prop_assert_eq!(ours.is_ok(), theirs.is_ok(), "{:?}", String::from_utf8_lossy(&bytes));
        }
    }
}

#[test]
fn json_edge_cases() {
    // Escapes, surrogate pairs, and the limits.
    let v = json::parse(br#"["\u00e9\ud83d\ude00\n\"\/", -0, 1e5, 0.5E-3]"#).expect("valid");
    assert_eq!(
        to_serde(&v),
        serde_json::json!(["é😀\n\"/", -0.0, 1e5, 0.5e-3])
    );
    for bad in [
        &br#""\ud83d""#[..],
        br#""\ude00""#,
        br#""\x""#,
        b"\"a\x01\"",
        b"01",
        b"1.",
        b"-",
        b".5",
        b"1e",
        b"tru",
        b"[1,]",
        b"{\"a\" 1}",
        b"\"open",
    ] {
        assert!(
            json::parse(bad).is_err(),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
    let deep_ok = format!(
        "{}{}",
        "[".repeat(json::MAX_DEPTH),
        "]".repeat(json::MAX_DEPTH)
    );
    assert!(json::parse(deep_ok.as_bytes()).is_ok());
    let deep = format!(
        "{}{}",
        "[".repeat(json::MAX_DEPTH + 1),
        "]".repeat(json::MAX_DEPTH + 1)
    );
    assert_eq!(
        json::parse(deep.as_bytes()).expect_err("too deep").kind,
        JsonErrorKind::TooDeep
    );
    // A deep hostile nesting far beyond the limit is refused, not a stack overflow.
    let hostile = "[".repeat(1_000_000);
    assert!(json::parse(hostile.as_bytes()).is_err());
    assert_eq!(
        json::parse(b"18446744073709551615").expect("n").as_u64(),
        Some(u64::MAX)
    );
    assert_eq!(
        json::parse(b"18446744073709551616").expect("n").as_u64(),
        None
    );
    assert_eq!(json::parse(b"1.0").expect("n").as_u64(), None);
}

// What the page says (ui), natively, for the simulated devices.

use dfu_flasher::driver::sim::SimTransport;
use dfu_flasher::driver::{block_on, describe, DeviceInfo};
use dfu_flasher::sim::{Profile, SimDevice};
use dfu_flasher::ui::{self, OfferView, OutcomeView};

fn device(profile: &str) -> DeviceInfo {
    let mut t = SimTransport::new(SimDevice::new(Profile::by_name(profile).expect("profile")));
    block_on(describe(&mut t))
        .expect("completes")
        .expect("describes")
}

/// The good catalog with the demo widget's ids (1209:2301 running, 1209:2302 in update mode).
fn widget_catalog(releases: serde_json::Value) -> Catalog {
    let mut v = good();
    v["products"][0]["devices"] = serde_json::json!([
        {"vid": "1209", "pid": "2301", "mode": "runtime"},
        {"vid": "1209", "pid": "2302", "mode": "dfu"}
    ]);
    v["products"][0]["name"] = serde_json::json!("Widget");
    v["products"][0]["releases"] = releases;
    ok(&v)
}

fn rel(version: &str, channel: &str) -> serde_json::Value {
    serde_json::json!({"version": version, "channel": channel, "file": "w.dfu", "size": 102400,
        "sha256": SHA_A, "date": "2026-11-20", "notes": {"en": "English.", "de": "Deutsch."}})
}

#[test]
fn the_offer_in_words() {
    // The demo widget runs 1.00 (bcdDevice 0x0100, rule bcd).
    let w = device("dfu11-runtime");
    assert_eq!(w.device_version, 0x0100);
    let c = widget_catalog(serde_json::json!([
        rel("1.42", "stable"),
        rel("1.50", "beta"),
        rel("0.9", "stable")
    ]));
    let o = OfferView::new(&c, &w, Channel::Stable, &["de-DE"]);
    assert_eq!(o.kind, "update");
    assert_eq!(o.title, "Widget 1.42 is available");
    assert_eq!(o.action.as_deref(), Some("Update Widget from 1.00 to 1.42"));
    assert_eq!(o.installed.as_deref(), Some("1.00"));
    let r = o.release.as_ref().expect("a release");
    assert_eq!(r.notes.as_deref(), Some("Deutsch."));
    assert_eq!(r.label, "1.42 · 20 November 2026 · 100 KiB");
    assert!(!r.downgrade);
    // The older release is a deliberate downgrade, with a warning.
    let older: Vec<(&str, bool)> = o
        .choices
        .iter()
        .map(|x| (x.version.as_str(), x.downgrade))
        .collect();
    assert_eq!(older, [("1.42", false), ("0.9", true)]);
    assert!(
        o.choices[1]
            .warning
            .contains("Widget runs 1.00, which is newer. Installing 0.9 goes back"),
        "{}",
        o.choices[1].warning
    );
    // Beta.
    let o = OfferView::new(&c, &w, Channel::Beta, &[]);
    assert_eq!(o.action.as_deref(), Some("Update Widget from 1.00 to 1.50"));
    assert!(o
        .release
        .as_ref()
        .is_some_and(|r| r.beta && r.label.starts_with("1.50 (beta)")));
    // Up to date, newer, in update mode (no version), no release, not covered.
    let c = widget_catalog(serde_json::json!([rel("1.00", "stable")]));
    let o = OfferView::new(&c, &w, Channel::Stable, &[]);
    assert_eq!(
        (o.kind, o.title.as_str()),
        ("up-to-date", "Widget is up to date (1.00)")
    );
    assert_eq!(
        (o.action.as_deref(), o.secondary.as_deref()),
        (None, Some("Reinstall 1.00"))
    );
    let c = widget_catalog(serde_json::json!([rel("0.9", "stable")]));
    let o = OfferView::new(&c, &w, Channel::Stable, &[]);
    assert_eq!(o.kind, "newer");
    assert_eq!(
        o.title,
        "Widget runs 1.00, newer than any release on this page"
    );
    assert_eq!(o.action, None);
    let mut in_update_mode = device("dfu11-dfumode");
    in_update_mode.vendor_id = 0x1209;
    in_update_mode.product_id = 0x2302;
    let c = widget_catalog(serde_json::json!([rel("1.42", "stable")]));
    let o = OfferView::new(&c, &in_update_mode, Channel::Stable, &[]);
    assert_eq!(o.kind, "install");
    assert_eq!(o.action.as_deref(), Some("Install Widget 1.42"));
    assert!(o.details[0].contains("is in update mode, so it does not tell which version it had"));
    let c = widget_catalog(serde_json::json!([rel("1.42", "beta")]));
    let o = OfferView::new(&c, &w, Channel::Stable, &[]);
    assert_eq!(o.kind, "no-release");
    assert!(o.details[0].contains("Only test (beta) releases exist for Widget"));
    // The STM32 ROM is the catalog's Gizmo (0483:df11 in update mode, version "none").
    let o = OfferView::new(&c, &device("stm32f4"), Channel::Stable, &[]);
    assert_eq!(
        (o.kind, o.title.as_str()),
        ("install", "Gizmo 3 is available")
    );
    let o = OfferView::new(&c, &device("openmoko-freerunner"), Channel::Stable, &[]);
    assert_eq!(o.kind, "unknown-device");
    assert!(
        o.title.starts_with("This page does not update Neo1973"),
        "{}",
        o.title
    );
    assert_eq!(
        o.details[0],
        "This page updates Example Gadgets devices: Widget, Gizmo."
    );
}

#[test]
fn the_outcome_in_words() {
    let c = widget_catalog(serde_json::json!([rel("1.42", "stable")]));
    let w = device("dfu11-runtime");
    let o = OutcomeView::new(&c, &w, "1.00");
    assert!(o.ok);
    assert_eq!(o.title, "Widget now runs 1.00");
    let o = OutcomeView::new(&c, &w, "1.42");
    assert!(!o.ok);
    assert_eq!(o.title, "Widget still reports 1.00");
    assert!(o.details[0].contains("The update to 1.42 was written, but Widget did not take it"));
    let o = OutcomeView::not_back("Widget", 30);
    assert!(!o.ok && o.details[0].contains("within 30 seconds"));
}

#[test]
fn catalog_problems_in_words_name_the_field() {
    let mut v = good();
    v["products"][0]["releases"][0]["sha256"] = serde_json::json!("xyz");
    v["products"][0]["devices"][0]["mode"] = serde_json::json!("bootloader");
    let errors = parse_value(&v).expect_err("two problems");
    let lines: Vec<String> = errors.iter().map(ui::catalog_error_line).collect();
    assert_eq!(
        lines,
        [
            "products[0].devices[0].mode: must be \"runtime\" or \"dfu\", not \"bootloader\"",
            "products[0].releases[0].sha256: must be the file's SHA-256 as 64 hex digits; this has 3 characters, not all hex digits",
        ]
    );
    let p = ui::catalog_problem(&errors);
    assert_eq!(p.title, "The firmware list could not be read");
    let not_json = catalog::parse(b"<html>").expect_err("html");
    assert_eq!(
        ui::catalog_error_line(&not_json[0]),
        "The catalog is not JSON: something other than JSON stands here (a web page instead of the catalog?), at byte 0"
    );
    // A tampered download names both digests and says nothing was written.
    let c = ok(&good());
    let r = &c.products[0].releases[0];
    let p = ui::tampered_problem("Example Gadgets", r, r.size, Some(&[0u8; 32]));
    let text: Vec<String> = p.details.iter().map(|d| format!("{d:?}")).collect();
    assert!(
        text[0].contains(&"0".repeat(64)) && text[0].contains(SHA_A),
        "{text:?}"
    );
    assert!(text[0].contains("Nothing was written to your device"));
}

/// Every limit holds exactly at its value, and each rule and id character is read.
#[test]
fn limits_rules_and_characters_at_their_edges() {
    use serde_json::json;
    let check = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut v = good();
        edit(&mut v);
        parse_value(&v)
    };
    // Names and notes at their longest.
    assert!(check(&|v| set(
        v,
        "/products/0/name",
        json!("W".repeat(catalog::MAX_NAME_CHARS))
    ))
    .is_ok());
    assert!(check(&|v| set(
        v,
        "/products/0/releases/0/notes/en",
        json!("n".repeat(catalog::MAX_NOTE_CHARS))
    ))
    .is_ok());
    // Ids with each allowed punctuation mark.
    for id in ["wid-get", "wid_get", "wid.get"] {
        assert!(
            check(&|v| set(v, "/products/0/id", json!(id))).is_ok(),
            "{id}"
        );
    }
    // Each version rule by name.
    for (name, rule) in [
        ("bcd", VersionRule::Bcd),
        ("pair", VersionRule::Pair),
        ("number", VersionRule::Number),
        ("none", VersionRule::None),
    ] {
        let c = check(&|v| set(v, "/products/0/version", json!(name))).expect(name);
        assert_eq!(c.products[0].version, rule);
    }
    // Dates with a wrong separator or a letter anywhere.
    for bad in [
        "2026/11-20",
        "2026-11/20",
        "2026-1a-20",
        "20x6-11-20",
        "2026-11-2x",
        "2026-11-200",
    ] {
        let e = check(&|v| set(v, "/products/0/releases/0/date", json!(bad))).expect_err(bad);
        assert!(
            matches!(
                e[..],
                [CatalogError {
                    problem: Problem::BadDate { .. },
                    ..
                }]
            ),
            "{bad}: {e:?}"
        );
    }
    assert!(check(&|v| set(v, "/products/0/releases/0/date", json!("2026-12-31"))).is_ok());
    // Exactly MAX_ITEMS releases.
    let many = check(&|v| {
        let r = v["products"][0]["releases"][1].clone();
        let list: Vec<serde_json::Value> = (0..catalog::MAX_ITEMS)
            .map(|i| {
                let mut x = r.clone();
                x["version"] = json!(format!("0.{i}"));
                x
            })
            .collect();
        v["products"][0]["releases"] = serde_json::Value::Array(list);
    });
    assert!(many.is_ok(), "{:?}", many.err());
}

/// The remaining edges the mutation run named: literals and separators read exactly,
/// where a duplicate key is reported, language tags and file references at their limits.
#[test]
fn json_and_reference_edges() {
    use serde_json::json;
    for bad in [
        &b"trux"[..],
        b"nulx",
        b"falsy",
        br#"{"a"x1}"#,
        br#"{"a":1 "b":2}"#,
    ] {
        assert!(
            json::parse(bad).is_err(),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
    let e = json::parse(br#"{"a":1,"a":2}"#).expect_err("duplicate");
    assert_eq!(
        (e.offset, e.kind.clone()),
        (7, JsonErrorKind::DuplicateKey("a".into()))
    );
    assert!(e.to_string().contains("DuplicateKey"), "{e}");
    for (n, want) in [("1e3", None), ("10", Some(10)), ("0", Some(0))] {
        assert_eq!(
            json::parse(n.as_bytes()).expect("number").as_u64(),
            want,
            "{n}"
        );
    }
    let with = |k: &str, v: serde_json::Value| {
        let mut c = good();
        set(&mut c, &format!("/products/0/releases/0/{k}"), v);
        parse_value(&c)
    };
    for tag in ["e1", "en-", "en-abcdefghi", "-en", "e"] {
        assert!(with("notes", json!({ tag: "x" })).is_err(), "{tag}");
    }
    for tag in ["en", "pt-BR", "zh-Hant", "sr-Latn-RS", "gsw"] {
        assert!(with("notes", json!({ tag: "x" })).is_ok(), "{tag}");
    }
    let long = format!("{}.dfu", "a".repeat(1996));
    assert_eq!(long.len(), 2000);
    assert!(with("file", json!(long)).is_ok());
    assert!(with("file", json!(format!("a{long}"))).is_err());
    for bad in [
        "https:x.dfu",
        "https://",
        "ftp://host/x.dfu",
        "file:///etc/x.dfu",
    ] {
        assert!(with("file", json!(bad)).is_err(), "{bad}");
    }
    for good_ref in [
        "dir/a:b.dfu",
        "http://host/x.dfu",
        "HTTPS://host/x.dfu",
        "../x.dfu",
    ] {
        assert!(with("file", json!(good_ref)).is_ok(), "{good_ref}");
    }
}

/// Where the reader says JSON goes wrong, to the byte, and what each escape means (RFC
/// 8259 §7), against hand-written expectations.
#[test]
fn json_errors_point_at_the_offending_byte_and_escapes_decode() {
    let at = |s: &str| {
        let e = json::parse(s.as_bytes()).expect_err(s);
        (e.offset, e.kind)
    };
    // After a member or an item, something that is neither a comma nor the close.
    assert_eq!(at(r#"{"a":1 x}"#), (7, JsonErrorKind::Unexpected));
    assert_eq!(at("[1 x]"), (3, JsonErrorKind::Unexpected));
    // A bad hex digit in \u, an unknown escape, a raw control character.
    assert_eq!(at(r#""\u12x4""#), (5, JsonErrorKind::BadString));
    assert_eq!(at(r#""\q""#), (2, JsonErrorKind::BadString));
    assert_eq!(at("\"a\u{1}\""), (2, JsonErrorKind::BadString));
    // A high surrogate not followed by \u: the error names the escape's digits.
    assert_eq!(at(r#""\uD800\n""#), (3, JsonErrorKind::BadString));
    assert_eq!(at(r#""\uD800x""#), (3, JsonErrorKind::BadString));
    // Every single-letter escape.
    assert_eq!(
        json::parse(br#""\b\f\n\r\t\"\\\/""#).unwrap(),
        Value::String("\u{8}\u{c}\n\r\t\"\\/".into())
    );
    // Nesting through objects counts as nesting through arrays does.
    let deep =
        |open: &str, close: &str, n: usize| format!("{}1{}", open.repeat(n), close.repeat(n));
    // (the number inside n objects is at depth n; MAX_DEPTH levels are 0..MAX_DEPTH)
    assert!(json::parse(deep(r#"{"a":"#, "}", json::MAX_DEPTH - 1).as_bytes()).is_ok());
    assert_eq!(
        at(&deep(r#"{"a":"#, "}", json::MAX_DEPTH)).1,
        JsonErrorKind::TooDeep
    );
    // Many siblings are not depth.
    let wide = format!("[{}]", vec![r#"{"a":[1]}"#; 3 * json::MAX_DEPTH].join(","));
    assert!(json::parse(wide.as_bytes()).is_ok());
    // A whole number is digits only: Rust's own parser would take "+1".
    assert_eq!(Value::Number("+1".into()).as_u64(), None);
    assert_eq!(Value::Number("42".into()).as_u64(), Some(42));
}
