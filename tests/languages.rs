//! The message table: every language in `lang/` has exactly English's keys with the same
//! placeholders; every key the code uses exists, every key exists for a reason; filling,
//! plurals and switching languages behave as `ui::text` documents.

use dfu_flasher::ui::text::{self, Difference, Language, LanguageError};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn languages() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in fs::read_dir(root().join("lang")).expect("lang/") {
        let p = e.expect("entry").path();
        if p.extension().and_then(|x| x.to_str()) == Some("json") {
            let tag = p.file_stem().unwrap().to_str().unwrap().to_string();
            out.push((tag, fs::read_to_string(&p).expect("read")));
        }
    }
    out.sort();
    out
}

#[test]
fn english_german_and_japanese_are_there() {
    let tags: Vec<String> = languages().into_iter().map(|(t, _)| t).collect();
    for t in ["en", "de", "ja"] {
        assert!(tags.iter().any(|x| x == t), "lang/{t}.json is missing");
    }
}

#[test]
fn every_language_has_englishs_keys_and_placeholders() {
    let en = Language::parse("en", text::ENGLISH).expect("English parses");
    assert!(en.keys().count() > 50, "the English table looks empty");
    for (tag, body) in languages() {
        let lang = Language::parse(&tag, &body).unwrap_or_else(|e| panic!("{tag}: {e:?}"));
        let diff = lang.check(&en);
        let lines: Vec<String> = diff.iter().map(|d| d.to_string()).collect();
        assert!(
            lines.is_empty(),
            "lang/{tag}.json differs from English:\n{}",
            lines.join("\n")
        );
        assert!(
            lang.get("language.name").is_some_and(|n| !n.is_empty()),
            "{tag}: language.name"
        );
    }
}

#[test]
fn a_missing_key_or_other_placeholders_are_found() {
    let en = Language::parse(
        "en",
        r#"{"a": "Hello {name}", "b": "Bye", "c.one": "{count} file"}"#,
    )
    .unwrap();
    let xx = Language::parse(
        "xx",
        r#"{"// note": "comments are not keys", "a": "Hallo {nom}", "c.one": "{count} Datei", "d": "extra"}"#,
    )
    .unwrap();
    let diff = xx.check(&en);
    assert_eq!(
        diff,
        vec![
            Difference::Placeholders {
                key: "a".into(),
                english: vec!["name".into()],
                theirs: vec!["nom".into()]
            },
            Difference::Missing("b".into()),
            Difference::Extra("d".into()),
        ]
    );
    assert_eq!(
        diff[0].to_string(),
        "a: placeholders {nom} where English has {name}"
    );
    // The same placeholders in another order, or twice, are the same set.
    let en2 = Language::parse("en", r#"{"a": "{x} of {y}"}"#).unwrap();
    let yy = Language::parse("yy", r#"{"a": "{y}の{x}、{x}"}"#).unwrap();
    assert!(yy.check(&en2).is_empty());
}

#[test]
fn a_table_that_is_not_a_flat_object_of_strings_is_refused() {
    for bad in [
        "[]",
        "{\"a\": 1}",
        "{\"a\": {\"b\": \"c\"}}",
        "not json",
        "{\"a\": \"x\", \"a\": \"y\"}",
    ] {
        assert!(
            matches!(Language::parse("xx", bad), Err(LanguageError::NotATable(_))),
            "{bad}"
        );
    }
}

#[test]
fn filling_puts_values_where_the_language_wants_them() {
    text::use_english();
    let en_key = "progress.line.left";
    let english = text::fill(
        en_key,
        &[("phase", "Writing"), ("percent", "19%"), ("left", "8 s")],
    );
    assert_eq!(english, "Writing… 19% · about 8 s left");
    // A language that orders them differently (and a value with braces in it, from a
    // device, is inserted as it is and not read as a placeholder).
    let en = Language::parse("en", text::ENGLISH).unwrap();
    let mut table = String::from("{");
    for (i, k) in en.keys().enumerate() {
        if i > 0 {
            table.push(',');
        }
        let v = en.get(k).unwrap();
        let v = if k == en_key {
            "noch {left}: {phase} ({percent})"
        } else {
            v
        };
        table.push_str(&format!("{:?}: {:?}", k, v));
    }
    table.push('}');
    text::set_language("xx", &table).expect("a complete table is taken");
    assert_eq!(text::language(), "xx");
    assert_eq!(
        text::fill(
            en_key,
            &[("phase", "{weird}"), ("percent", "19 %"), ("left", "8 s")]
        ),
        "noch 8 s: {weird} (19 %)"
    );
    text::use_english();
    assert_eq!(text::language(), "en");
    assert_eq!(
        text::fill(
            en_key,
            &[("phase", "W"), ("percent", "1%"), ("left", "2 s")]
        ),
        "W… 1% · about 2 s left"
    );
}

#[test]
fn an_incomplete_table_is_refused_and_the_language_stays() {
    text::use_english();
    let r = text::set_language("xx", r#"{"language.name": "X"}"#);
    match r {
        Err(LanguageError::Differs(d)) => {
            assert!(d.iter().any(|x| matches!(x, Difference::Missing(_))))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(text::language(), "en");
    assert_eq!(text::text("device.state.ready"), "Ready to update");
}

#[test]
fn plurals_choose_by_count() {
    text::use_english();
    assert_eq!(
        text::plural("device.more_areas", 1, &[]),
        "1 more memory area not shown"
    );
    assert_eq!(
        text::plural("device.more_areas", 3, &[]),
        "3 more memory areas not shown"
    );
    assert_eq!(
        text::plural("device.more_areas", 0, &[]),
        "0 more memory areas not shown"
    );
}

#[test]
fn the_german_and_japanese_tables_are_used_when_set() {
    for (tag, body) in languages() {
        if tag == "en" {
            continue;
        }
        text::set_language(&tag, &body).unwrap_or_else(|e| panic!("{tag}: {e:?}"));
        let ready = text::text("device.state.ready");
        assert_ne!(
            ready, "Ready to update",
            "{tag} has not translated device.state.ready"
        );
        assert_eq!(text::language(), tag);
        text::use_english();
    }
}

/// Source files that may name keys.
fn sources() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n == "pkg") {
                    continue;
                }
                walk(&p, out);
            } else if matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("rs" | "js" | "html")
            ) {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join("src"), &mut out);
    walk(&root().join("www"), &mut out);
    out.push(root().join("index.html"));
    out
}

/// A message key's shape: lowercase dotted words (`area.word_two`).
fn key_shaped(s: &str) -> bool {
    s.contains('.')
        && s.len() < 80
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_')
        && s.split('.').all(|w| !w.is_empty())
}

/// Quoted strings in a source that look like message keys (`"k"` or `'k'`; read
/// without pairing quotes, so an apostrophe in a comment does not shift them).
fn quoted_keys(src: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let b = src.as_bytes();
    for (i, &q) in b.iter().enumerate() {
        if q != b'"' && q != b'\'' {
            continue;
        }
        let rest = &b[i + 1..];
        let len = rest
            .iter()
            .take_while(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || **c == b'.' || **c == b'_'
            })
            .count();
        if rest.get(len) == Some(&q) {
            let k = &src[i + 1..i + 1 + len];
            if key_shaped(k) {
                out.insert(k.to_string());
            }
        }
    }
    out
}

/// Keys named where the code asks for a text: `t!("k"`, `text("k"`, `fill("k"`,
/// `plural("k"`, and in the page `t('k'` and `data-t="k"`.
fn asked_keys(src: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for opener in [
        "t!(\"",
        "text(\"",
        "fill(\"",
        "plural(\"",
        " t('",
        "(t('",
        "data-t=\"",
        "tr('",
    ] {
        let mut rest = src;
        while let Some(i) = rest.find(opener) {
            let after = &rest[i + opener.len()..];
            let end = after.find(['"', '\'']).unwrap_or(0);
            let k = &after[..end];
            if !key_shaped(k) {
                // Another function of that name, called with a sentence.
            } else if opener.starts_with("plural") {
                out.insert(format!("{k}.one"));
                out.insert(format!("{k}.other"));
            } else {
                out.insert(k.to_string());
            }
            rest = &after[end..];
        }
    }
    out
}

#[test]
fn every_key_asked_for_exists_and_every_key_is_used() {
    let en = Language::parse("en", text::ENGLISH).unwrap();
    let mut named = BTreeSet::new();
    let mut missing = Vec::new();
    for p in sources() {
        let src = fs::read_to_string(&p).unwrap();
        for k in asked_keys(&src) {
            if en.get(&k).is_none() {
                missing.push(format!("{}: {k}", p.display()));
            }
        }
        named.extend(quoted_keys(&src));
    }
    assert!(
        missing.is_empty(),
        "keys not in lang/en.json:\n{}",
        missing.join("\n")
    );
    let unused: Vec<&str> = en
        .keys()
        .filter(|k| *k != "language.name")
        .filter(|k| {
            let base = k.strip_suffix(".one").or_else(|| k.strip_suffix(".other"));
            !named.contains(*k) && !base.is_some_and(|b| named.contains(b))
        })
        .collect();
    assert!(
        unused.is_empty(),
        "keys no source names:\n{}",
        unused.join("\n")
    );
}

#[test]
fn shouted_device_names_are_calmed_and_others_kept() {
    use dfu_flasher::ui::calm;
    assert_eq!(calm("STM32  BOOTLOADER"), "STM32  Bootloader");
    assert_eq!(calm("DFU IN FS MODE"), "DFU IN FS Mode");
    assert_eq!(calm("Demo Widget"), "Demo Widget");
    assert_eq!(calm("USB DFU"), "USB DFU");
    assert_eq!(calm("GD32 DEVICE in DFU"), "GD32 DEVICE in DFU");
    assert_eq!(calm("ÄRGER BOARD"), "ÄRGER Board");
    assert_eq!(calm("ボード BOARD"), "ボード Board");
}

#[test]
fn sizes_durations_and_percentages_follow_the_language() {
    let de = fs::read_to_string(root().join("lang/de.json")).unwrap();
    let ja = fs::read_to_string(root().join("lang/ja.json")).unwrap();
    text::use_english();
    assert_eq!(dfu_flasher::ui::size(1536), "1.5 KiB");
    assert_eq!(dfu_flasher::ui::duration(65_000.0), "1 min 05 s");
    text::set_language("de", &de).unwrap();
    assert_eq!(dfu_flasher::ui::size(1536), "1,5 KiB");
    assert_eq!(dfu_flasher::ui::size(100), "100 Byte");
    assert_eq!(dfu_flasher::ui::percent(19.4), "19 %");
    text::set_language("ja", &ja).unwrap();
    assert_eq!(dfu_flasher::ui::duration(65_000.0), "1 分 05 秒");
    assert_eq!(dfu_flasher::ui::size(1536), "1.5 KiB");
    text::use_english();
    assert_eq!(dfu_flasher::ui::percent(19.6), "20%");
}

#[test]
fn catalog_dates_are_written_the_languages_way() {
    use dfu_flasher::ui::date;
    let de = fs::read_to_string(root().join("lang/de.json")).unwrap();
    let ja = fs::read_to_string(root().join("lang/ja.json")).unwrap();
    text::use_english();
    assert_eq!(date("2026-11-02"), "2 November 2026");
    assert_eq!(date("2027-01-31"), "31 January 2027");
    text::set_language("de", &de).unwrap();
    assert_eq!(date("2026-03-09"), "9. März 2026");
    assert_eq!(date("2026-12-24"), "24. Dezember 2026");
    text::set_language("ja", &ja).unwrap();
    assert_eq!(date("2026-11-02"), "2026年11月2日");
    text::use_english();
    // Not a calendar date: shown as given rather than guessed at.
    for odd in [
        "2026-13-01",
        "2026-00-10",
        "2026-11-32",
        "2026-11-00",
        "26-11-02",
        "2026-1-02",
        "soon",
        "",
    ] {
        assert_eq!(date(odd), odd);
    }
}

#[test]
fn the_element_lists_exactly_the_languages_there_are_tables_for() {
    // www/flasher-lang.js names each language in itself, so that the switch needs no
    // download; those names are each table's own `language.name`.
    let js = fs::read_to_string(root().join("www/flasher-lang.js")).unwrap();
    let mut listed = Vec::new();
    for line in js.lines() {
        let l = line.trim();
        if let Some(rest) = l.strip_prefix("['") {
            let mut it = rest.split('\'');
            let tag = it.next().unwrap().to_string();
            let name = it.nth(1).unwrap().to_string();
            listed.push((tag, name));
        }
    }
    let mut files = Vec::new();
    for e in fs::read_dir(root().join("lang")).unwrap().flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "json") {
            let tag = p.file_stem().unwrap().to_string_lossy().to_string();
            let lang = Language::parse(&tag, &fs::read_to_string(&p).unwrap()).unwrap();
            files.push((tag, lang.get("language.name").unwrap().to_string()));
        }
    }
    listed.sort();
    files.sort();
    assert!(listed.len() >= 3, "the list was read: {listed:?}");
    assert_eq!(listed, files);
}
