//! Build the wasm and the page, serve it on 127.0.0.1, and write a deployable `dist/`.

use crate::{deps, run};
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;

const WASM: &str = "target/wasm32-unknown-unknown/release/dfu_flasher.wasm";
const CHIP_WASM: &str = "target/chip/wasm32-unknown-unknown/release/dfu_flasher.wasm";
const PLAIN_WASM: &str = "target/plain/wasm32-unknown-unknown/release/dfu_flasher.wasm";
const PKG: &str = "www/pkg";

/// Build `www/pkg/` from the library: the page's module with the vendor's catalog
/// (`dfu_flasher`, loaded by an element given a catalog, and the API's), the same without
/// it (`dfu_flasher_plain`, `--no-default-features`, loaded by every other element), and
/// the demo chip's (`dfu_demo`, `--features demo-chip`, loaded when the demo is chosen),
/// each release wasm → wasm-bindgen --target web → wasm-opt -Oz.
pub fn build() -> Result<(), String> {
    deps::web_tools()?;
    // wasm-bindgen never removes what an earlier build wrote (old `snippets/` folders).
    let _ = fs::remove_dir_all(PKG);
    module(WASM, &[], "dfu_flasher")?;
    module(
        PLAIN_WASM,
        &["--no-default-features", "--target-dir", "target/plain"],
        "dfu_flasher_plain",
    )?;
    module(
        CHIP_WASM,
        &["--features", "demo-chip", "--target-dir", "target/chip"],
        "dfu_demo",
    )?;
    copy_languages()
}

/// One wasm module of the library into `www/pkg/<name>.js` and `<name>_bg.wasm`.
fn module(wasm: &str, cargo_args: &[&str], name: &str) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(Command::new(&cargo)
        .args([
            "build",
            "--release",
            "--lib",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .args(cargo_args))?;
    crate::wasm::check_no_env_imports(wasm)?;
    run(Command::new(deps::wasm_bindgen_path()).args([
        "--target",
        "web",
        "--out-dir",
        PKG,
        "--out-name",
        name,
        "--no-typescript",
        wasm,
    ]))?;
    let out = format!("{PKG}/{name}_bg.wasm");
    let before = fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    run(Command::new(deps::wasm_opt_path()).args([
        "-Oz",
        "--enable-bulk-memory",
        "--enable-sign-ext",
        "--enable-mutable-globals",
        "--enable-nontrapping-float-to-int",
        "--enable-reference-types",
        "--enable-multivalue",
        &out,
        "-o",
        &out,
    ]))?;
    let after = fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    println!("{name}.wasm: {before} bytes → {after} bytes after wasm-opt -Oz");
    Ok(())
}

/// The message tables beside the element (`www/lang/`), where it downloads a language
/// when it is chosen. English is also compiled into the wasm.
fn copy_languages() -> Result<(), String> {
    let out = Path::new("www/lang");
    let _ = fs::remove_dir_all(out);
    fs::create_dir_all(out).map_err(|e| format!("cannot create www/lang: {e}"))?;
    for e in fs::read_dir("lang")
        .map_err(|e| format!("cannot read lang/: {e}"))?
        .flatten()
    {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "json") {
            let to = out.join(e.file_name());
            fs::copy(&p, &to).map_err(|e| format!("cannot copy {}: {e}", p.display()))?;
            let text =
                fs::read_to_string(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            let first = first_table(&text).map_err(|e| format!("{}: {e}", p.display()))?;
            let name = format!(
                "{}.first.json",
                p.file_stem().and_then(|s| s.to_str()).unwrap_or("?")
            );
            fs::write(out.join(&name), first)
                .map_err(|e| format!("cannot write www/lang/{name}: {e}"))?;
        }
    }
    Ok(())
}

/// The first screen's table of a language: its `page.*` messages and `language.name`
/// (what `www/dfu-flasher.js` words before the wasm is here). The tables hold one
/// `"key": "text"` pair a line (src/ui/text.rs writes and checks them so).
fn first_table(table: &str) -> Result<String, String> {
    let mut kept = Vec::new();
    for (n, line) in table.lines().enumerate() {
        let l = line.trim().trim_end_matches(',');
        if !l.starts_with('"') {
            continue;
        }
        let Some((key, value)) = l.split_once("\": ") else {
            return Err(format!("line {}: not one \"key\": \"text\" pair", n + 1));
        };
        if !(value.starts_with('"') && value.ends_with('"') && value.len() >= 2) {
            return Err(format!("line {}: not one \"key\": \"text\" pair", n + 1));
        }
        if key.starts_with("\"page.") || key == "\"language.name" {
            kept.push(format!("  {key}\": {value}"));
        }
    }
    if kept.is_empty() {
        return Err("no page.* messages".into());
    }
    Ok(format!("{{\n{}\n}}\n", kept.join(",\n")))
}

/// Files of the static site, relative to the project root: `index.html` and everything
/// under `www/` (the page's files, and wasm-bindgen's output in `www/pkg/` with its
/// `snippets/`).
fn site_files() -> Result<Vec<PathBuf>, String> {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
        for e in fs::read_dir(dir)
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .flatten()
        {
            let p = e.path();
            if p.is_dir() {
                walk(&p, files)?;
            } else if p.is_file() && !p.ends_with(".gitignore") {
                files.push(p);
            }
        }
        Ok(())
    }
    let mut files = vec![PathBuf::from("index.html")];
    walk(Path::new("www"), &mut files)?;
    files.sort();
    Ok(files)
}

/// Print every served file's size, raw and gzip -9, and the totals.
pub fn page_sizes() -> Result<(), String> {
    println!("\n{:<40} {:>10} {:>10}", "page file", "raw", "gzip -9");
    let (mut raw, mut gz) = (0u64, 0u64);
    for f in site_files()? {
        let r = fs::metadata(&f).map(|m| m.len()).unwrap_or(0);
        let g = gzip_size(&f)?;
        println!("{:<40} {:>10} {:>10}", f.display(), r, g);
        raw += r;
        gz += g;
    }
    println!(
        "{:<40} {:>10} {:>10}   (everything served; each page loads a part: see the page rows)",
        "total", raw, gz
    );
    Ok(())
}

/// The page's weight and load rows of `cargo xtask bench` (tests/bench/page.mjs: what is
/// downloaded before the user acts, navigation to usable under throttling, peak memory of
/// a 1 MiB update). Says why when it cannot run.
pub fn page_bench() -> Result<(), String> {
    println!();
    if let Err(why) = deps::browser_tools().and_then(|()| deps::test_tools()) {
        println!("page rows: not measured: {why}");
        return Ok(());
    }
    run(Command::new("node").arg("tests/bench/page.mjs"))
}

/// The browser rows of `cargo xtask bench`: the page updating an emulated device in real
/// Chromium against the device-mandated time and a minimal JS loop, and navigation to
/// ready. Needs what the real-browser USB tests need; says why when it cannot run.
pub fn browser_bench() -> Result<(), String> {
    println!();
    if let Err(why) = deps::real_usb_tools() {
        println!("browser rows: not measured: {why}");
        return Ok(());
    }
    run(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())).args([
            "build",
            "--release",
            "--bin",
            "dfu-flasher",
        ]),
    )?;
    let port = spawn_server()?;
    run(Command::new("node")
        .arg("tests/usb/bench.mjs")
        .env("E2E_URL", format!("http://127.0.0.1:{port}/"))
        .env("FLASHER", "target/release/dfu-flasher"))
}

/// Headers every host should send (a `_headers` file for hosts that read one).
pub const HEADERS: &[(&str, &str)] = &[
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Permissions-Policy", "usb=(self)"),
    (
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ),
];

/// The embeddable element's files in `www/` (relative to it): the element, its modules,
/// styles and timer worker, the wasm (`pkg/`) and the message tables (`lang/`); nothing of
/// the project's own page (`index.html`, `host.js`, `page.css`, `demo/`). The element
/// finds every one of them relative to its own module (`new URL('./…', import.meta.url)`).
fn bundle_files() -> Result<Vec<PathBuf>, String> {
    let www = Path::new("www");
    let mut files = Vec::new();
    for f in site_files()? {
        let Ok(rel) = f.strip_prefix(www) else {
            continue;
        };
        let top = rel
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy());
        let name = rel.to_string_lossy();
        let wanted = match top.as_deref() {
            Some("pkg") | Some("lang") => true,
            _ if rel.components().count() == 1 => {
                name == "dfu-flasher.js"
                    || name == "flasher.css"
                    || name == "timer-worker.js"
                    || (name.starts_with("flasher-") && name.ends_with(".js"))
            }
            _ => false,
        };
        if wanted {
            files.push(rel.to_path_buf());
        }
    }
    for needed in [
        "dfu-flasher.js",
        "flasher.css",
        "pkg/dfu_flasher.js",
        "pkg/dfu_flasher_bg.wasm",
        "pkg/dfu_flasher_plain.js",
        "pkg/dfu_flasher_plain_bg.wasm",
        "pkg/dfu_demo.js",
        "pkg/dfu_demo_bg.wasm",
        "lang/en.json",
    ] {
        if !files.iter().any(|f| f == Path::new(needed)) {
            return Err(format!(
                "www/{needed} is missing: run `cargo xtask build` first"
            ));
        }
    }
    Ok(files)
}

/// Write the embeddable element to `out` (e.g. `dist/dfu-flasher/`) from what `build`
/// wrote into `www/`, and print its size.
pub fn bundle(out: &Path) -> Result<(), String> {
    let files = bundle_files()?;
    let _ = fs::remove_dir_all(out);
    let (mut raw, mut gz) = (0u64, 0u64);
    for rel in &files {
        let from = Path::new("www").join(rel);
        let to = out.join(rel);
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        raw += fs::copy(&from, &to).map_err(|e| format!("cannot copy {}: {e}", from.display()))?;
        gz += gzip_size(&from)?;
    }
    println!(
        "{}: the embeddable <dfu-flasher>, {} files, {raw} bytes, {gz} bytes gzip -9",
        out.display(),
        files.len()
    );
    Ok(())
}

fn gzip_size(f: &Path) -> Result<u64, String> {
    let out = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(f)
        .output()
        .map_err(|e| format!("gzip: {e}"))?;
    Ok(out.stdout.len() as u64)
}

pub fn dist() -> Result<(), String> {
    build()?;
    let out = Path::new("dist");
    let _ = fs::remove_dir_all(out);
    for f in site_files()? {
        let to = out.join(&f);
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        fs::copy(&f, &to).map_err(|e| format!("cannot copy {}: {e}", f.display()))?;
    }
    let mut headers = String::from("/*\n");
    for (k, v) in HEADERS {
        headers.push_str(&format!("  {k}: {v}\n"));
    }
    headers.push_str("/*.wasm\n  Content-Type: application/wasm\n");
    fs::write(out.join("_headers"), headers).map_err(|e| format!("cannot write _headers: {e}"))?;
    bundle(&out.join("dfu-flasher"))?;
    println!("dist/ is ready: upload its contents to any static host (HTTPS required).");
    println!("dist/dfu-flasher/ alone is the element for a page of your own (see the README).");
    Ok(())
}

fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

fn respond(mut s: TcpStream, root: &Path) {
    let mut line = String::new();
    let mut reader = BufReader::new(match s.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    if reader.read_line(&mut line).is_err() {
        return;
    }
    // Drain the headers.
    let mut h = String::new();
    while reader.read_line(&mut h).map(|n| n > 2).unwrap_or(false) {
        h.clear();
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/");
    // `%XX` escapes decoded, as every static host does (`widget%202.dfu`).
    let raw = path.split(['?', '#']).next().unwrap_or("/");
    let path = percent_encoding::percent_decode_str(raw)
        .decode_utf8_lossy()
        .into_owned();
    let rel = if path == "/" {
        "index.html"
    } else {
        path.trim_start_matches('/')
    };
    let safe = !rel.split('/').any(|c| c == ".." || c.is_empty());
    let file = root.join(rel);
    let (status, body, ctype) = match (safe, fs::read(&file)) {
        (true, Ok(b)) => ("200 OK", b, mime(&file)),
        _ => ("404 Not Found", b"not found".to_vec(), "text/plain"),
    };
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in HEADERS {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = s.write_all(head.as_bytes());
    let _ = s.write_all(&body);
}

/// Serve the project root on an unused loopback port in a background thread.
pub fn spawn_server() -> Result<u16, String> {
    let listener =
        TcpListener::bind(("127.0.0.1", 0)).map_err(|e| format!("cannot listen: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let root = std::env::current_dir().map_err(|e| e.to_string())?;
    thread::spawn(move || {
        for s in listener.incoming().flatten() {
            let root = root.clone();
            thread::spawn(move || respond(s, &root));
        }
    });
    Ok(port)
}

/// Build the page, serve it, and run the end-to-end tests in Chromium.
pub fn e2e() -> Result<(), String> {
    build()?;
    deps::browser_tools()?;
    // The element as `dist` ships it, for the test that runs it from that folder alone.
    let element = Path::new("target/e2e/dfu-flasher");
    bundle(element)?;
    let port = spawn_server()?;
    let shots = std::env::var("E2E_SCREENSHOTS").unwrap_or_default();
    // Under Xvfb: the hidden-tab test drives a windowed Chromium (the others are headless);
    // it speaks the DevTools protocol over Node's WebSocket.
    run(Command::new("xvfb-run")
        .args([
            "-a",
            "node",
            "--experimental-websocket",
            "--test",
            "--test-concurrency=1",
            "tests/e2e/",
        ])
        .env("E2E_URL", format!("http://127.0.0.1:{port}/"))
        .env("E2E_BUNDLE", element)
        .env("E2E_SCREENSHOTS", shots))
}

/// The real-browser USB tests: the page in Debian's Chromium, its own WebUSB stack, an
/// emulated device (umockdev) backed by the simulator (`dfu-flasher emulate`).
pub fn real_usb() -> Result<(), String> {
    deps::real_usb_tools()?;
    build()?;
    run(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())).args([
            "build",
            "--bin",
            "dfu-flasher",
        ]),
    )?;
    let port = spawn_server()?;
    let shots = std::env::var("E2E_SCREENSHOTS").unwrap_or_default();
    run(Command::new("node")
        .args(["--test", "--test-concurrency=1", "tests/usb/"])
        .env("E2E_URL", format!("http://127.0.0.1:{port}/"))
        .env("FLASHER", "target/debug/dfu-flasher")
        .env("E2E_SCREENSHOTS", shots))
}

/// Serve the project root on 127.0.0.1:`port` until interrupted.
pub fn serve(port: u16) -> Result<(), String> {
    build()?;
    let listener = TcpListener::bind(("127.0.0.1", port))
        .map_err(|e| format!("cannot listen on port {port}: {e}"))?;
    let root = std::env::current_dir().map_err(|e| e.to_string())?;
    println!("\nServing the flasher on http://127.0.0.1:{port}/  (Ctrl-C to stop)");
    for s in listener.incoming().flatten() {
        let root = root.clone();
        thread::spawn(move || respond(s, &root));
    }
    Ok(())
}
