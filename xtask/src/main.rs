//! `cargo xtask …`: project automation in plain Rust.
//!
//! * `cargo xtask test [--skip-real-usb]` — install what the tests need, then formatting,
//!   clippy (native and wasm32), every test (native, wasm in Chromium, the page against the
//!   demo device, the page against an emulated USB device in real Chromium), and a short
//!   fuzz run of every parser. The real-USB step needs root on Debian; without it, it fails
//!   unless skipped explicitly.
//! * `cargo xtask real-usb` — only the real-browser USB tests.
//! * `cargo xtask fuzz [SECONDS]` — fuzz every target for SECONDS each (default 60).
//! * `cargo xtask bench` — print speed figures.
//! * `cargo xtask serve [--port N]` — build the page and serve it on http://127.0.0.1:8000.
//! * `cargo xtask dist` — write a deployable static folder `dist/`, with the embeddable
//!   element alone in `dist/dfu-flasher/`.
//! * `cargo xtask bundle DIR` — copy the element (as in `dist/dfu-flasher/`) to DIR from what
//!   `cargo xtask build` wrote, without building.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{exit, Command};
use std::time::Instant;

mod deps;
mod wasm;
mod web;

/// The fuzz targets in `fuzz/fuzz_targets/`.
const FUZZ_TARGETS: &[&str] = &[
    "descriptors",
    "memory_map",
    "suffix",
    "dfuse",
    "ihex",
    "session",
];

fn main() {
    let args: Vec<String> = env::args().skip(1).collect();
    let root = project_root();
    env::set_current_dir(&root)
        .unwrap_or_else(|e| fail(&format!("cannot enter {}: {e}", root.display())));
    if let Err(e) = deps::dev_null() {
        fail(&e);
    }
    let result = match args.first().map(String::as_str) {
        Some("test") => test(args.iter().any(|a| a == "--skip-real-usb")),
        Some("real-usb") => web::real_usb(),
        Some("fuzz") => {
            let secs = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(60);
            deps::fuzz_tools().and_then(|()| fuzz(secs, None))
        }
        Some("bench") => bench(),
        Some("mutants") => mutants(&args[1..]),
        Some("serve") => {
            let port = args
                .iter()
                .position(|a| a == "--port")
                .and_then(|i| args.get(i + 1))
                .and_then(|p| p.parse().ok())
                .unwrap_or(8000);
            web::serve(port)
        }
        Some("build") => web::build(),
        Some("e2e") => web::e2e(),
        Some("dist") => web::dist(),
        Some("bundle") => match args.get(1) {
            Some(dir) => web::bundle(Path::new(dir)),
            None => Err("usage: cargo xtask bundle DIR".into()),
        },
        _ => {
            eprintln!("usage: cargo xtask <test [--skip-real-usb] | fuzz [SECONDS] | bench | mutants [--shard K/N] | build | e2e | real-usb | serve [--port N] | dist | bundle DIR>");
            exit(2);
        }
    };
    if let Err(e) = result {
        fail(&e);
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("xtask: error: {msg}");
    exit(1);
}

fn project_root() -> PathBuf {
    let dir = env::var("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("xtask"));
    dir.parent().map(Path::to_path_buf).unwrap_or(dir)
}

/// Run a command, echoing it; fail if it fails.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    println!("$ {}", show(cmd));
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {}: {e}", show(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", show(cmd)))
    }
}

pub fn show(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

fn cargo() -> Command {
    Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn test(skip_real_usb: bool) -> Result<(), String> {
    let t0 = Instant::now();
    deps::test_tools()?;
    let mut steps: Vec<(&str, f64)> = Vec::new();
    let mut timed =
        |name: &'static str, f: &mut dyn FnMut() -> Result<(), String>| -> Result<(), String> {
            let t = Instant::now();
            println!("\n==> {name}");
            f()?;
            steps.push((name, t.elapsed().as_secs_f64()));
            Ok(())
        };
    timed("format", &mut || {
        run(cargo().args(["fmt", "--all", "--check"]))
    })?;
    timed("clippy (native)", &mut || {
        run(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))
    })?;
    timed("clippy (wasm32)", &mut || {
        // Each wasm module: the page's with the catalog (and the bridge tests), the page's
        // without it, and the demo chip's, each built with its own features.
        for args in [
            &["--test", "web_bridge"][..],
            &["--no-default-features", "--target-dir", "target/plain"],
            &["--features", "demo-chip", "--target-dir", "target/chip"],
        ] {
            run(cargo()
                .args(["clippy", "--lib", "--target", "wasm32-unknown-unknown"])
                .args(args)
                .args(["--", "-D", "warnings"]))?;
        }
        Ok(())
    })?;
    timed("JavaScript syntax (node --check)", &mut js_check)?;
    timed("tests", &mut || run(cargo().args(["test", "--workspace"])))?;
    timed("fault matrix summary", &mut || {
        run(cargo().args(["test", "--test", "fault_matrix", "--", "--nocapture"]))
    })?;
    timed("wasm bridge tests (headless Chromium)", &mut || {
        deps::browser_tools()?;
        // Not `-q`: the runner needs the default output.
        run(cargo()
            .args([
                "test",
                "--target",
                "wasm32-unknown-unknown",
                "--test",
                "web_bridge",
            ])
            .env("CHROMEDRIVER", "/usr/bin/chromedriver")
            .env("WASM_BINDGEN_TEST_TIMEOUT", "120"))
    })?;
    timed("browser end-to-end (demo device)", &mut web::e2e)?;
    if skip_real_usb {
        println!("\n==> real-browser USB (umockdev): SKIPPED because --skip-real-usb was given");
    } else {
        timed("real-browser USB (umockdev)", &mut || {
            web::real_usb().map_err(|e| {
                format!("{e}\n(real-browser USB tests failed or cannot run here; `cargo xtask test --skip-real-usb` skips them, and says so)")
            })
        })?;
    }
    timed("fuzz (short run per target)", &mut || {
        fuzz(15, Some(2_000_000))
    })?;
    println!(
        "\nxtask test: every step passed in {:.0} s:",
        t0.elapsed().as_secs_f64()
    );
    for (name, secs) in steps {
        println!("  {name:<30} {secs:>6.1} s");
    }
    Ok(())
}

/// Fuzz every target for `secs` seconds (or `runs` executions, whichever comes first).
fn fuzz(secs: u32, runs: Option<u64>) -> Result<(), String> {
    for target in FUZZ_TARGETS {
        let corpus = format!("fuzz/corpus/{target}");
        // Start from the saved inputs (minimized corpus, past crashes) kept in git.
        let seeds = format!("fuzz/regressions/{target}");
        std::fs::create_dir_all(&corpus).map_err(|e| format!("cannot create {corpus}: {e}"))?;
        // libFuzzer needs nightly; `rustup run` picks it however xtask was started.
        let mut cmd = Command::new("rustup");
        cmd.env_remove("RUSTUP_TOOLCHAIN").env_remove("CARGO");
        cmd.args([
            "run",
            "nightly",
            "cargo",
            "fuzz",
            "run",
            "--fuzz-dir",
            "fuzz",
            target,
            &corpus,
        ]);
        if Path::new(&seeds).is_dir() {
            cmd.arg(&seeds);
        }
        cmd.arg("--");
        cmd.arg(format!("-max_total_time={secs}"));
        if let Some(r) = runs {
            cmd.arg(format!("-runs={r}"));
        }
        cmd.arg("-print_final_stats=1");
        run(&mut cmd)?;
    }
    Ok(())
}

/// Every JavaScript file of the page, the wasm's JS modules and the tests, checked by Node's
/// parser (as ES modules): a syntax error fails here, not in a customer's browser.
fn js_check() -> Result<(), String> {
    let mut files = Vec::new();
    for dir in ["www", "src/web", "tests/e2e", "tests/e2e/host", "tests/usb"] {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read {dir}: {e}"))?;
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "js" || x == "mjs") {
                files.push(p);
            }
        }
    }
    files.sort();
    if files.len() < 5 {
        return Err(format!(
            "only {} JavaScript files found: the check is broken",
            files.len()
        ));
    }
    for f in &files {
        run(Command::new("node")
            .args(["--experimental-default-type=module", "--check"])
            .arg(f))?;
    }
    println!("{} JavaScript files parse", files.len());
    Ok(())
}

/// Mutation testing of `src/core` (not part of `test`: hours on two cores). Each mutant is a
/// small change to the core's code that some test should catch; the ones none catches are
/// listed in `mutants.out/missed.txt`. `--shard K/N` runs the K-th of N slices, so the work
/// can be split over runs or machines.
fn mutants(args: &[String]) -> Result<(), String> {
    deps::mutants_tools()?;
    let mut c = cargo();
    c.args(["mutants", "--file", "src/core/**/*.rs"]);
    match args {
        [] => {}
        [flag, shard] if flag == "--shard" => {
            let ok = shard
                .split_once('/')
                .and_then(|(k, n)| Some((k.parse::<u32>().ok()?, n.parse::<u32>().ok()?)))
                .is_some_and(|(k, n)| n > 0 && k < n);
            if !ok {
                return Err(format!("--shard takes K/N with 0 <= K < N, not {shard:?}"));
            }
            c.args(["--shard", shard]);
        }
        other => {
            return Err(format!(
                "usage: cargo xtask mutants [--shard K/N], not {other:?}"
            ))
        }
    }
    // The native tests of the library judge: the browser and fuzz runs see the core's
    // mutants no better, and take minutes each.
    c.args(["--", "--lib", "--tests"]);
    run(&mut c)
}

fn bench() -> Result<(), String> {
    web::build()?;
    // The native figures: examples/figures.rs, outside the shipped binary, built as shipped.
    run(cargo().args(["run", "--release", "--quiet", "--example", "figures"]))?;
    web::page_sizes()?;
    web::page_bench()?;
    web::browser_bench()
}
