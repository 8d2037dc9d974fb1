//! The message table: every sentence the page shows, by a named key, in the customer's
//! language.
//!
//! A language is one flat JSON object in `lang/<tag>.json` (`"key": "text"`). A text
//! names its placeholders in braces (`"Writing {done} of {total}"`); the code fills them
//! by name, so a translation may put them in any order. English is compiled in and is
//! the reference: another language must have exactly its keys, each with the same
//! placeholders (`check` says where it differs; `tests/languages.rs` runs it over every
//! file in `lang/`). A key ending in `.one` / `.other` is a pair chosen by a count
//! ([`plural`]); a language without plural forms gives both the same text. Keys that
//! start with `//` are comments.
//!
//! The language is per thread (the page has one; native tests run in parallel and each
//! starts in English). Text a device, a file or a catalog provides goes in through a
//! placeholder and is never translated.

use crate::core::json::{self, Value};
use std::cell::RefCell;
use std::rc::Rc;

/// The reference language, compiled in.
pub const ENGLISH: &str = include_str!("../../lang/en.json");

/// One language's table, sorted by key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Language {
    pub tag: String,
    messages: Vec<(String, String)>,
}

/// Why a language table cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LanguageError {
    /// Not a JSON object of strings.
    NotATable(String),
    /// It differs from English (missing keys, extra keys, other placeholders).
    Differs(Vec<Difference>),
}

/// One way a language differs from English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    Missing(String),
    Extra(String),
    Placeholders {
        key: String,
        english: Vec<String>,
        theirs: Vec<String>,
    },
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // For vendors and translators, in English (like the table's keys).
        match self {
            Difference::Missing(k) => write!(f, "{k}: missing"),
            Difference::Extra(k) => write!(f, "{k}: not a key of the English table"),
            Difference::Placeholders {
                key,
                english,
                theirs,
            } => write!(
                f,
                "{key}: placeholders {{{}}} where English has {{{}}}",
                theirs.join("}, {"),
                english.join("}, {")
            ),
        }
    }
}

impl Language {
    /// Read a table (a flat JSON object of strings).
    pub fn parse(tag: &str, text: &str) -> Result<Language, LanguageError> {
        let v = json::parse(text.as_bytes())
            .map_err(|e| LanguageError::NotATable(format!("not JSON ({e})")))?;
        let Value::Object(members) = v else {
            return Err(LanguageError::NotATable("not a JSON object".into()));
        };
        let mut messages = Vec::with_capacity(members.len());
        for (k, v) in members {
            if k.starts_with("//") {
                continue; // a comment
            }
            match v {
                Value::String(s) => messages.push((k, s)),
                _ => return Err(LanguageError::NotATable(format!("{k}: not a string"))),
            }
        }
        crate::core::sort::sort_by(&mut messages, |a, b| a.0.cmp(&b.0));
        Ok(Language {
            tag: tag.to_string(),
            messages,
        })
    }

    /// The text of `key`, if the table has it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.messages
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .map(|i| self.messages[i].1.as_str())
    }

    /// Every key, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.messages.iter().map(|(k, _)| k.as_str())
    }

    /// How this table differs from `reference` (English): empty when it can replace it.
    pub fn check(&self, reference: &Language) -> Vec<Difference> {
        let mut out = Vec::new();
        for (k, en) in &reference.messages {
            match self.get(k) {
                None => out.push(Difference::Missing(k.clone())),
                Some(theirs) => {
                    let (a, b) = (placeholders(en), placeholders(theirs));
                    if a != b {
                        out.push(Difference::Placeholders {
                            key: k.clone(),
                            english: a,
                            theirs: b,
                        });
                    }
                }
            }
        }
        for (k, _) in &self.messages {
            if reference.get(k).is_none() {
                out.push(Difference::Extra(k.clone()));
            }
        }
        out
    }
}

/// The placeholder names of a text, sorted and without repeats.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                names.push(after[..close].to_string());
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    crate::core::sort::sort(&mut names);
    names.dedup();
    names
}

thread_local! {
    static ENGLISH_TABLE: Rc<Language> = Rc::new(
        // The compiled-in table is checked by tests/languages.rs; a broken one is a build
        // defect, shown as the keys themselves rather than a panic.
        Language::parse("en", ENGLISH).unwrap_or(Language { tag: "en".into(), messages: Vec::new() }),
    );
    static CURRENT: RefCell<Option<Rc<Language>>> = const { RefCell::new(None) };
}

/// The English table.
pub fn english() -> Rc<Language> {
    ENGLISH_TABLE.with(Rc::clone)
}

/// Use `table` (a language's JSON) from now on, if it matches English exactly; otherwise
/// keep the current language and say how it differs.
pub fn set_language(tag: &str, table: &str) -> Result<(), LanguageError> {
    let lang = Language::parse(tag, table)?;
    let diff = lang.check(&english());
    if !diff.is_empty() {
        return Err(LanguageError::Differs(diff));
    }
    CURRENT.with(|c| *c.borrow_mut() = Some(Rc::new(lang)));
    Ok(())
}

/// Back to English.
pub fn use_english() {
    CURRENT.with(|c| *c.borrow_mut() = None);
}

/// The tag of the language in use (`en` unless another was set).
pub fn language() -> String {
    CURRENT.with(|c| {
        c.borrow()
            .as_ref()
            .map_or_else(|| "en".to_string(), |l| l.tag.clone())
    })
}

/// The text of `key` in the language in use. A key no table has is a defect (the tests
/// check every key the code uses); it shows as the key itself.
pub fn text(key: &str) -> String {
    let found = CURRENT.with(|c| {
        c.borrow()
            .as_ref()
            .and_then(|l| l.get(key).map(str::to_string))
    });
    found
        .or_else(|| english().get(key).map(str::to_string))
        .unwrap_or_else(|| key.to_string())
}

/// The text of `key` with its placeholders filled (`args`: name, value). The values are
/// inserted as they are: text from a device or a file is never translated.
pub fn fill(key: &str, args: &[(&str, &str)]) -> String {
    let t = text(key);
    if args.is_empty() {
        return t;
    }
    let mut out = String::with_capacity(t.len() + 16);
    let mut rest = t.as_str();
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let name = &after[..close];
        match args.iter().find(|(n, _)| *n == name) {
            Some((_, v)) => out.push_str(v),
            // Not given: left visible, so a test sees it.
            None => out.push_str(&rest[open..open + close + 2]),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The `.one` or `.other` text of `key` for `count` (with `{count}` filled and `args`).
pub fn plural(key: &str, count: u64, args: &[(&str, &str)]) -> String {
    let full = format!("{key}.{}", if count == 1 { "one" } else { "other" });
    let n = count.to_string();
    let mut all: Vec<(&str, &str)> = vec![("count", n.as_str())];
    all.extend_from_slice(args);
    fill(&full, &all)
}

/// `t!("key")`, or `t!("key", name = value, …)` with values that implement `Display`.
#[macro_export]
macro_rules! t {
    ($key:literal) => {
        $crate::ui::text::text($key)
    };
    ($key:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::ui::text::fill($key, &[$((stringify!($name), &*$value.to_string())),+])
    };
}
