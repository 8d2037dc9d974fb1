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
