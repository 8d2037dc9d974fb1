//! Tidy rules as ordinary tests: the architecture's invariants hold in the source.

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).expect("readable source dir").flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Lines of code, ignoring comments, so a doc comment may name what is forbidden.
fn code_lines(p: &Path) -> Vec<(usize, String)> {
    fs::read_to_string(p)
        .expect("readable source")
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(i, l)| (i + 1, l.to_string()))
        .collect()
}

fn assert_absent(dir: &str, forbidden: &[&str], why: &str) {
    let files = rust_files(&root().join(dir));
    assert!(!files.is_empty(), "{dir} has no Rust files");
    let mut hits = Vec::new();
    for f in files {
        for (n, line) in code_lines(&f) {
            for word in forbidden {
                if line.contains(word) {
                    hits.push(format!("{}:{n}: `{word}` in: {}", f.display(), line.trim()));
                }
            }
        }
    }
    assert!(hits.is_empty(), "{why}:\n{}", hits.join("\n"));
}

#[test]
fn core_has_no_io_no_async_no_clock_no_web() {
    assert_absent(
        "src/core",
        &[
            "web_sys",
            "js_sys",
            "wasm_bindgen",
            "gloo",
            "async ",
            ".await",
            "std::time",
            "Instant",
            "SystemTime",
            "std::fs",
            "std::net",
            "std::thread",
            "std::io",
            "crate::driver",
            "crate::sim",
            "crate::web",
        ],
        "src/core must stay sans-IO: no web, async, clock, I/O or outward dependencies",
    );
}

#[test]
fn sim_is_std_only_and_independent_of_the_core() {
    assert_absent(
        "src/sim",
        &[
            "crate::core",
            "crate::driver",
            "crate::web",
            "web_sys",
            "js_sys",
            "wasm_bindgen",
            "std::time",
            "std::thread",
        ],
        "src/sim must use std only, its own encoders and virtual time",
    );
}

#[test]
fn driver_does_not_reach_into_the_web_layer() {
    assert_absent(
        "src/driver",
        &["crate::web", "web_sys", "js_sys"],
        "the driver is platform-neutral",
    );
}

/// The top-level modules a path in `file` names: `crate::x`, `crate::{x, y}`, and `super::`
/// chains that climb to the crate root (`super::super::x`), each with its line.
fn top_level_uses(file: &Path) -> Vec<(usize, String, String)> {
    let rel = file.strip_prefix(root().join("src")).expect("under src");
    uses_in(rel, code_lines(file))
}

/// [`top_level_uses`] of `lines` in the file at `rel` (relative to `src`).
fn uses_in(rel: &Path, lines: Vec<(usize, String)>) -> Vec<(usize, String, String)> {
    let mut module: Vec<String> = rel
        .with_extension("")
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    if module.last().is_some_and(|m| m == "mod" || m == "lib") {
        module.pop();
    }
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    for (n, line) in lines {
        let mut rest = line.as_str();
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + 7..];
            if let Some(group) = after.strip_prefix('{') {
                // `crate::{a, b::c}`: the names at the top of the group.
                let body = group.split('}').next().unwrap_or("");
                for part in body.split(',') {
                    let m = ident(part.trim());
                    if !m.is_empty() {
                        out.push((n, m, line.trim().to_string()));
                    }
                }
            } else {
                out.push((n, ident(after), line.trim().to_string()));
            }
            rest = after;
        }
        let mut rest = line.as_str();
        while let Some(i) = rest.find("super::") {
            // Count the chain: super::super::x.
            let mut up = 0;
            let mut tail = &rest[i..];
            while let Some(t) = tail.strip_prefix("super::") {
                up += 1;
                tail = t;
            }
            if up >= module.len() {
                out.push((n, ident(tail), line.trim().to_string()));
            }
            rest = tail;
        }
    }
    out
}

/// The module directions the README states: www → web → ui → driver → core; sim depends on
/// std only; the driver uses sim only in its `sim` transport. A violation names the file,
/// the line and the `use`.
#[test]
fn module_directions_follow_the_readme() {
    let allowed: &[(&str, &[&str])] = &[
        ("core", &["core"]),
        ("sim", &["sim"]),
        ("driver", &["driver", "core", "sim"]),
        ("ui", &["ui", "driver", "core"]),
        ("web", &["web", "ui", "driver", "core", "sim"]),
    ];
    let mut hits = Vec::new();
    let mut checked = 0;
    for (module, may) in allowed {
        for f in rust_files(&root().join("src").join(module)) {
            for (n, target, line) in top_level_uses(&f) {
                checked += 1;
                // `t!` is ui::text's macro: `#[macro_export]` puts it at the crate root.
                let target = if target == "t" {
                    "ui".to_string()
                } else {
                    target
                };
                let sim_transport = *module == "driver"
                    && target == "sim"
                    && !f.ends_with("driver/sim.rs")
                    && !line.starts_with("pub mod sim");
                if !may.contains(&target.as_str()) || sim_transport {
                    hits.push(format!(
                        "{}:{n}: {module} must not use {target}: {line}",
                        f.display()
                    ));
                }
            }
        }
    }
    assert!(
        checked > 50,
        "the scan found only {checked} paths: it is broken"
    );
    assert!(
        hits.is_empty(),
        "module directions broken:\n{}",
        hits.join("\n")
    );
}

/// The scanner itself: the forms of a path it must see.
#[test]
fn the_direction_scan_sees_grouped_and_relative_paths() {
    let lines = [
        "use crate::{core, ui::Problem};",
        "use super::super::super::web::usb;",
        "use super::plan::Step;",
        "let x = crate::driver::flash;",
    ];
    let numbered = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (i + 1, l.to_string()))
        .collect();
    let found: Vec<String> = uses_in(Path::new("core/session/probe.rs"), numbered)
        .into_iter()
        .map(|u| u.1)
        .collect();
    // `super::plan` stays inside core: not a top-level use.
    assert_eq!(found, ["core", "ui", "web", "driver"]);
    // From a module's mod.rs, one `super::` is the crate root.
    let root_level = uses_in(
        Path::new("core/mod.rs"),
        vec![(1, "use super::web;".into())],
    );
    assert_eq!(root_level[0].1, "web");
}

/// The scheduler returns a plan and the session runs it: the plan knows nothing of the
/// session (no dependency circle).
#[test]
fn the_plan_does_not_know_the_session() {
    // The plan module is plan.rs and its files in plan/.
    let mut files = vec![root().join("src/core/plan.rs")];
    let dir = std::fs::read_dir(root().join("src/core/plan")).expect("src/core/plan/");
    files.extend(dir.flatten().map(|e| e.path()));
    assert!(files.len() >= 3, "plan.rs, plan/dfuse.rs, plan/stream.rs");
    let hits: Vec<String> = files
        .iter()
        .flat_map(|f| {
            code_lines(f)
                .into_iter()
                .filter(|(_, l)| l.contains("session::") || l.contains("Session"))
                .filter(|(_, l)| !l.trim_start().starts_with("///"))
                .map(move |(n, l)| format!("{}:{n}: {}", f.display(), l.trim()))
        })
        .collect();
    assert!(
        hits.is_empty(),
        "the plan uses the session:\n{}",
        hits.join("\n")
    );
}

/// One place emits the session's actions: `next_action` stores what `advance` returns; reply
/// handlers only set the stage.
#[test]
fn only_next_action_plans_an_action() {
    let mut hits = Vec::new();
    for f in rust_files(&root().join("src/core/session")) {
        for (n, line) in code_lines(&f) {
            if line.contains("self.pending = ") {
                hits.push(format!("{}:{n}: {}", f.display(), line.trim()));
            }
        }
    }
    assert_eq!(
        hits.len(),
        1,
        "the pending action is set in more places than next_action: {hits:#?}"
    );
}

/// The modules of `src/web` use each other without a circle (api → handle → page → discover
/// → convert, …): each can be read, and changed, from its dependencies up.
#[test]
fn web_modules_form_no_circle() {
    let dir = root().join("src/web");
    let mut graph: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for f in rust_files(&dir) {
        let name = f.file_stem().expect("stem").to_string_lossy().into_owned();
        if name == "mod" {
            continue;
        }
        let mut uses: Vec<String> = code_lines(&f)
            .into_iter()
            .filter_map(|(_, l)| {
                let t = l.trim_start();
                let rest = t
                    .strip_prefix("use super::")
                    .or_else(|| t.strip_prefix("pub use super::"))
                    .or_else(|| t.strip_prefix("pub(crate) use super::"))?;
                Some(
                    rest.chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect(),
                )
            })
            .collect();
        // Paths written inline (`super::clock::sleep`) count too.
        for (_, l) in code_lines(&f) {
            for part in l.split("super::").skip(1) {
                let m: String = part
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !m.is_empty() && m != "super" {
                    uses.push(m);
                }
            }
        }
        uses.sort();
        uses.dedup();
        uses.retain(|u| *u != name);
        graph.insert(name, uses);
    }
    assert!(graph.len() >= 8, "{graph:?}");
    // Depth-first search for a back edge.
    fn visit(
        n: &str,
        g: &std::collections::BTreeMap<String, Vec<String>>,
        path: &mut Vec<String>,
        done: &mut std::collections::BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == n) {
            let mut cycle = path[i..].to_vec();
            cycle.push(n.to_string());
            return Some(cycle);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_string());
        for m in g.get(n).into_iter().flatten() {
            if g.contains_key(m) {
                if let Some(c) = visit(m, g, path, done) {
                    return Some(c);
                }
            }
        }
        path.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = Default::default();
    for n in graph.keys() {
        if let Some(c) = visit(n, &graph, &mut Vec::new(), &mut done) {
            panic!("src/web has a circle: {}", c.join(" → "));
        }
    }
}

/// String literals on a line that read as a sentence for a person: a capitalised word,
/// at least four words, ending in `.`, `!` or `?`.
fn sentences(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find('"') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('"') else { break };
        let lit = &after[..end];
        let mut chars = lit.chars();
        let capital = chars.next().is_some_and(char::is_uppercase)
            && chars.next().is_some_and(char::is_lowercase);
        let words = lit.split_whitespace().count();
        if capital && words >= 4 && lit.trim_end().ends_with(['.', '!', '?']) {
            out.push(lit.to_string());
        }
        rest = &after[end + 1..];
    }
    out
}

/// Every sentence a user reads is worded in `src/ui` (so it can be translated in one
/// place): the core and the driver describe what happened as data and technical lines.
#[test]
fn core_and_driver_word_nothing_for_the_user() {
    let mut found = Vec::new();
    for dir in ["src/core", "src/driver"] {
        for f in rust_files(&root().join(dir)) {
            for (n, line) in code_lines(&f) {
                for s in sentences(&line) {
                    found.push(format!("{}:{n}: \"{s}\"", f.display()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "user sentences belong in src/ui:\n{}",
        found.join("\n")
    );
}

/// The sentence scan itself.
#[test]
fn the_sentence_scan_sees_sentences_and_only_them() {
    assert_eq!(
        sentences(r#"write!(f, "The file is empty. Choose it again.")"#),
        ["The file is empty. Choose it again."]
    );
    assert_eq!(
        sentences(r#"x("Is it there at all?", "no")"#),
        ["Is it there at all?"]
    );
    assert!(sentences(r#"write!(f, "{self:?}")"#).is_empty());
    assert!(sentences(r#""transfer: {e}", "Flash 64 KiB""#).is_empty());
    assert!(sentences(r#""the device did not come back.""#).is_empty());
}

/// String literals on a line that read as a clause a sentence is built from: starting
/// with a lowercase letter, at least four words ("it names another model (…)"). The
/// ui's sentences put such clauses in (`{reason}`, `{what}`), so the core's would be
/// English inside any language.
fn clauses(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find('"') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('"') else { break };
        let lit = &after[..end];
        let lower = lit.chars().next().is_some_and(|c| c.is_ascii_lowercase());
        if lower && lit.split_whitespace().count() >= 4 {
            out.push(lit.to_string());
        }
        rest = &after[end + 1..];
    }
    out
}

/// The core hands the ui data, never a clause to paste into a translated sentence: which
/// id differs, what is wrong on a HEX line or in a memory layout, which part is cut
/// short, which rule the host broke, all as enums `ui::words` says in the customer's
/// language. (Its tests, and `#[must_use]` notes for developers, are not read.)
#[test]
fn core_hands_the_ui_no_clauses() {
    let mut found = Vec::new();
    for f in rust_files(&root().join("src/core")) {
        for (n, line) in code_lines(&f) {
            if line.trim_start().starts_with("#[cfg(test)]") {
                break;
            }
            if line.contains("#[must_use") {
                continue;
            }
            for s in clauses(&line) {
                found.push(format!("{}:{n}: \"{s}\"", f.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "clauses a person reads belong in lang/*.json (worded by src/ui):\n{}",
        found.join("\n")
    );
}

/// The clause scan itself.
#[test]
fn the_clause_scan_sees_clauses_and_only_them() {
    assert_eq!(
        clauses(r#"reason: "a line that does not start with ':'","#),
        ["a line that does not start with ':'"]
    );
    assert!(clauses(r#"Truncated { what: "DfuSe prefix" }"#).is_empty());
    assert!(clauses(r#"format!("{v:#04x}"), "Raw binary image""#).is_empty());
    assert!(clauses(r#"what: "configuration descriptor header","#).is_empty());
}

/// The first screen opens the browser's chooser before the wasm is here, with its own copy
/// of the devices that hide their DFU interface: it is the quirk table's list.
#[test]
fn the_first_screens_chooser_lists_the_quirk_tables_hidden_devices() {
    let js = fs::read_to_string(root().join("www/dfu-flasher.js")).unwrap();
    let begin = js.find("// without_runtime_interface: begin").unwrap();
    let end = js.find("// without_runtime_interface: end").unwrap();
    let hex = |s: &str| u16::from_str_radix(s.trim().trim_start_matches("0x"), 16).unwrap();
    let listed: Vec<(u16, u16)> = js[begin..end]
        .lines()
        .skip(1)
        .filter_map(|l| {
            let l = l.trim().strip_prefix('[')?.strip_suffix("],")?;
            let (v, p) = l.split_once(',')?;
            Some((hex(v), hex(p)))
        })
        .collect();
    let expected: Vec<(u16, u16)> =
        dfu_flasher::core::quirks::without_runtime_interface().collect();
    assert!(!expected.is_empty());
    assert_eq!(listed, expected, "www/dfu-flasher.js HIDE_DFU_INTERFACE");
}

#[test]
fn the_library_sorts_with_its_own_sort() {
    // std's sorts are instantiated per element type, about 30 KB of the wasm for the dozen
    // types the library sorts; `core::sort` is compiled once (README, the page's weight).
    let std_sorts = [
        ".sort()",
        ".sort_by(",
        ".sort_by_key(",
        ".sort_by_cached_key(",
        ".sort_unstable",
    ];
    let mut hits = Vec::new();
    for dir in ["src/core", "src/ui", "src/driver", "src/web"] {
        for f in rust_files(&root().join(dir)) {
            if f.ends_with("core/sort.rs") {
                continue; // the one sort, tested against std's
            }
            for (n, line) in code_lines(&f) {
                for s in std_sorts {
                    if line.contains(s) {
                        hits.push(format!("{}:{n}: {}", f.display(), line.trim()));
                    }
                }
            }
        }
    }
    assert!(
        hits.is_empty(),
        "use crate::core::sort instead of std's slice sorts:\n{}",
        hits.join("\n")
    );
}
