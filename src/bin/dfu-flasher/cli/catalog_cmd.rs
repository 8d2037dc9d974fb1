//! `dfu-flasher catalog check|add`: the vendor's release pipeline, on the same core as the
//! page. `check` reads the catalog as the page does, then finds every release's file and
//! checks its size, SHA-256, that it is firmware, that its DFU suffix names the product,
//! and (with `--device`) that it fits that device. `add` adds a release with its size and
//! SHA-256 computed, refusing a file that is not firmware or a result the page would refuse.

use dfu_flasher::core::catalog::{self, Catalog, Release};
use dfu_flasher::core::file::{self, suffix, FirmwareFile, ParseOptions, UsbIds};
use dfu_flasher::core::fit::{self, FlashImage, Placement};
use dfu_flasher::driver::sim::SimTransport;
use dfu_flasher::driver::{block_on, describe, DeviceInfo};
use dfu_flasher::sim::SimDevice;
use dfu_flasher::ui::{self, words};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{exit, Command};

/// Read the catalog at `path`; print every problem and exit 1 if the page would refuse it.
fn read_catalog(path: &str) -> (Vec<u8>, Catalog) {
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| super::die(&format!("cannot read {path}: {e}")));
    match catalog::parse(&bytes) {
        Ok(c) => (bytes, c),
        Err(errors) => {
            for e in &errors {
                println!("{path}: {}", ui::catalog_error_line(e));
            }
            eprintln!(
                "dfu-flasher: {path}: {} problem{}; the page would refuse this catalog",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            );
            exit(1)
        }
    }
}

/// The folder a catalog's relative references start from ("." for a bare file name).
fn folder(path: &str) -> PathBuf {
    match Path::new(path).parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn is_url(file: &str) -> bool {
    file.contains("://")
}

/// The bytes of a release's file: a path relative to the catalog's folder, or a URL
/// fetched with curl. `Ok(None)`: a URL skipped with `--offline`.
fn fetch(file: &str, dir: &Path, offline: bool) -> Result<Option<Vec<u8>>, String> {
    if is_url(file) {
        if offline {
            return Ok(None);
        }
        let out = Command::new("curl")
            .args(["--fail", "--silent", "--show-error", "--location", "--max-time", "120", file])
            .output()
            .map_err(|e| format!("cannot run curl to fetch {file}: {e} (use --offline to check local files only)"))?;
        if !out.status.success() {
            return Err(format!(
                "cannot download {file}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        return Ok(Some(out.stdout));
    }
    // A relative reference: percent-escapes as a browser would decode them.
    let rel = ui::percent_decode(file.split(['?', '#']).next().unwrap_or(file));
    let path = dir.join(rel);
    std::fs::read(&path)
        .map(Some)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Everything wrong with one release's file.
fn check_release(
    c: &Catalog,
    p: usize,
    r: usize,
    bytes: &[u8],
    device: Option<&(DeviceInfo, Option<UsbIds>)>,
) -> Vec<String> {
    let product = &c.products[p];
    let release: &Release = &product.releases[r];
    let mut problems = Vec::new();
    if bytes.len() as u64 != release.size {
        problems.push(format!(
            "{} is {} bytes; the catalog says {}",
            release.file,
            bytes.len(),
            release.size
        ));
    }
    let digest = Sha256::digest(bytes);
    if digest[..] != release.sha256[..] {
        problems.push(format!(
            "{} has SHA-256 {}; the catalog says {}",
            release.file,
            catalog::hex(&digest),
            release.sha256_hex()
        ));
    }
    let name = release.file.rsplit('/').next().unwrap_or(&release.file);
    let f: FirmwareFile = match file::parse_named(bytes, name, &ParseOptions::default()) {
        Ok(f) => f,
        Err(e) => {
            problems.push(format!("{}: {}", release.file, words::file_error(&e)));
            return problems;
        }
    };
    // A suffix that names ids must name one of the product's devices.
    if let Some(s) = f.suffix {
        let any = |v: u16| v == suffix::ANY;
        let matches = product.devices.iter().any(|d| {
            (any(s.vendor) || s.vendor == d.vid) && (any(s.product) || s.product == d.pid)
        });
        if !matches {
            problems.push(format!(
                "{}: its DFU suffix names {:04x}:{:04x}, which is not one of {}'s devices",
                release.file, s.vendor, s.product, product.id
            ));
        }
    }
    if let Some((d, runtime)) = device {
        let place = Placement {
            alt: release.alt.unwrap_or(0),
            address: None,
        };
        let a = fit::assess(d, *runtime, &FlashImage::from(&f), f.suffix_ids(), place);
        let name = ui::clean(&ui::device_name(d));
        for m in &a.misfits {
            problems.push(format!(
                "{} does not fit {name}: {}",
                release.file,
                ui::misfit_text(m, &name)
            ));
        }
    }
    problems
}

/// The simulator profile's device as the page would see it in update mode.
/// With the ids it shows while running its firmware, if it has a run-time mode (a suffix
/// may name either).
fn device_for(name: &str) -> (DeviceInfo, Option<UsbIds>) {
    let mut profile = super::profile(name);
    let runtime = profile.runtime_product.map(|product| UsbIds {
        vendor: profile.vendor,
        product,
        device: profile.release,
    });
    // The memory layout is shown in update mode: the device as it is after the detach.
    profile.runtime_product = None;
    let mut t = SimTransport::new(SimDevice::new(profile));
    let info = block_on(describe(&mut t))
        .unwrap_or_else(|| super::die("the simulator did not answer"))
        .unwrap_or_else(|e| super::die(&ui::describe_error_text(&e)));
    (info, runtime)
}

pub fn check(a: &super::Args) {
    let path = &a.positional[2];
    let offline = a.flags.iter().any(|f| f == "offline");
    let device = a.values.get("device").map(|n| device_for(n));
    let (bytes, c) = read_catalog(path);
    if let Some(k) = a.values.get("public-key") {
        match check_signature(path, &bytes, k) {
            Ok(()) => println!("{path}: signature good"),
            Err(e) => {
                println!("{path}: {e}");
                eprintln!("dfu-flasher: {path}: the signature does not check out");
                exit(1);
            }
        }
    }
    let dir = folder(path);
    let (mut releases, mut bad, mut skipped) = (0, 0, 0);
    for (p, product) in c.products.iter().enumerate() {
        for (r, release) in product.releases.iter().enumerate() {
            releases += 1;
            let at = format!(
                "products[{p}].releases[{r}] ({} {})",
                product.id,
                release.version.as_str()
            );
            let problems = match fetch(&release.file, &dir, offline) {
                Ok(Some(bytes)) => check_release(&c, p, r, &bytes, device.as_ref()),
                Ok(None) => {
                    skipped += 1;
                    println!("{path}: {at}: {} not checked (--offline)", release.file);
                    continue;
                }
                Err(e) => vec![e],
            };
            for x in &problems {
                println!("{path}: {at}: {x}");
            }
            if !problems.is_empty() {
                bad += 1;
            }
        }
    }
    let products = c.products.len();
    if bad > 0 {
        eprintln!("dfu-flasher: {path}: {bad} of {releases} releases have problems");
        exit(1);
    }
    println!(
        "{path}: {products} product{}, {releases} release{}: every file checked{}",
        if products == 1 { "" } else { "s" },
        if releases == 1 { "" } else { "s" },
        if skipped > 0 {
            format!(" but {skipped} on other sites (--offline)")
        } else {
            String::new()
        }
    );
}

pub fn add(a: &super::Args) {
    let path = &a.positional[2];
    let need = |k: &str| {
        a.values
            .get(k)
            .cloned()
            .unwrap_or_else(|| super::usage_error(&format!("catalog add needs --{k}")))
    };
    let (product_id, version, file_arg) = (need("product"), need("version"), need("file"));
    // The catalog as JSON: it may still lack its first release (the one problem a catalog
    // being written may have); the result must be one the page accepts.
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| super::die(&format!("cannot read {path}: {e}")));
    let mut doc: serde_json::Value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| super::die(&format!("{path} is not JSON: {e}")));
    let ids: Vec<String> = doc["products"]
        .as_array()
        .map(|ps| {
            ps.iter()
                .filter_map(|p| p["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let Some(p) = ids.iter().position(|id| *id == product_id) else {
        super::usage_error(&format!(
            "no product {product_id:?} in {path} (it has: {})",
            ids.join(", ")
        ))
    };
    let alt = super::number(a, "alt", 0..=255).map(|n| n as u8);
    let new_version = catalog::Version::parse(&version).unwrap_or_else(|| {
        super::usage_error(&format!(
            "--version must be numbers separated by dots, like 1.42, not {version:?}"
        ))
    });
    let existing = doc["products"][p]["releases"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if let Some(r) = existing.iter().position(|r| {
        let v = r["version"].as_str().and_then(catalog::Version::parse);
        let ralt = r["alt"].as_u64().and_then(|n| u8::try_from(n).ok());
        v.as_ref() == Some(&new_version) && ralt == alt
    }) {
        super::die(&format!(
            "{path} not changed: {product_id} already has release {} (products[{p}].releases[{r}])",
            existing[r]["version"].as_str().unwrap_or_default()
        ));
    }
    let data = std::fs::read(&file_arg)
        .unwrap_or_else(|e| super::die(&format!("cannot read {file_arg}: {e}")));
    let name = Path::new(&file_arg)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file_arg.clone());
    if let Err(e) = file::parse_named(&data, &name, &ParseOptions::default()) {
        super::die(&format!("{file_arg}: {}", words::file_error(&e)));
    }
    // The reference the catalog stores: --url, or the file's path relative to the catalog.
    let dir = folder(path);
    let reference = match a.values.get("url") {
        Some(u) => u.clone(),
        None => relative(Path::new(&file_arg), &dir).unwrap_or_else(|| {
            super::usage_error(&format!(
                "{file_arg} is not inside {}: put it there, or give the address it will be published at with --url",
                dir.display()
            ))
        }),
    };
    let mut release = serde_json::json!({
        "version": version,
        "channel": a.values.get("channel").map_or("stable", String::as_str),
        "file": reference,
        "size": data.len(),
        "sha256": catalog::hex(&Sha256::digest(&data)),
    });
    if let Some(d) = a.values.get("date") {
        release["date"] = serde_json::json!(d);
    }
    if let Some(alt) = alt {
        release["alt"] = serde_json::json!(alt);
    }
    if let Some(n) = a.values.get("notes") {
        let lang = a.values.get("lang").map_or("en", String::as_str);
        release["notes"] = serde_json::json!({ lang: n });
    }
    match doc["products"][p]["releases"].as_array_mut() {
        Some(list) => list.insert(0, release),
        None => doc["products"][p]["releases"] = serde_json::json!([release]),
    }
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_else(|e| super::die(&e.to_string()));
    out.push('\n');
    // What the page would make of the result.
    if let Err(errors) = catalog::parse(out.as_bytes()) {
        for e in &errors {
            println!("{path}: {}", ui::catalog_error_line(e));
        }
        super::die(&format!(
            "{path} not changed: the release would make the catalog invalid"
        ));
    }
    std::fs::write(path, out).unwrap_or_else(|e| super::die(&format!("cannot write {path}: {e}")));
    println!(
        "{path}: added {product_id} {version} ({reference}, {} bytes)",
        data.len()
    );
}

/// `file` relative to `dir` with forward slashes, if it is inside it.
fn relative(file: &Path, dir: &Path) -> Option<String> {
    let file = std::fs::canonicalize(file).ok()?;
    let dir = std::fs::canonicalize(dir).ok()?;
    let rel = file.strip_prefix(&dir).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(parts.join("/"))
}

/// `catalog keygen KEYFILE`: a new Ed25519 key; the secret seed (64 hex digits) goes to
/// KEYFILE (readable by its owner only), the public key is printed for the page's
/// `<meta name="dfu-flasher-catalog-key">`.
pub fn keygen(a: &super::Args) {
    let out = &a.positional[2];
    if Path::new(out).exists() {
        super::die(&format!("{out} exists; not overwriting a key"));
    }
    let mut seed = [0u8; 32];
    use std::io::Read;
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .unwrap_or_else(|e| super::die(&format!("no randomness: {e}")));
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    write_secret(out, &format!("{}\n", catalog::hex(&seed)));
    println!("{}", catalog::hex(key.verifying_key().as_bytes()));
}

#[cfg(unix)]
fn write_secret(path: &str, text: &str) {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .unwrap_or_else(|e| super::die(&format!("cannot write {path}: {e}")));
}

#[cfg(not(unix))]
fn write_secret(path: &str, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| super::die(&format!("cannot write {path}: {e}")));
}

fn signing_key(path: &str) -> ed25519_dalek::SigningKey {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| super::die(&format!("cannot read {path}: {e}")));
    let seed = catalog::parse_hex::<32>(text.trim()).unwrap_or_else(|| {
        super::die(&format!(
            "{path} is not a key made by `catalog keygen` (64 hex digits)"
        ))
    });
    ed25519_dalek::SigningKey::from_bytes(&seed)
}

/// `catalog sign CATALOG --key FILE`: sign the catalog's exact bytes; the signature (128
/// hex digits) goes to CATALOG.sig. The catalog must be one the page accepts.
pub fn sign(a: &super::Args) {
    use ed25519_dalek::Signer;
    let path = &a.positional[2];
    let key = signing_key(
        a.values
            .get("key")
            .unwrap_or_else(|| super::usage_error("catalog sign needs --key FILE")),
    );
    let (bytes, _) = read_catalog(path);
    let sig = key.sign(&bytes);
    let out = catalog::signature_url(path);
    std::fs::write(&out, format!("{}\n", catalog::hex(&sig.to_bytes())))
        .unwrap_or_else(|e| super::die(&format!("cannot write {out}: {e}")));
    println!(
        "{out}: signed with the key whose public half is {}",
        catalog::hex(key.verifying_key().as_bytes())
    );
}

/// With `--public-key`: the catalog's signature must verify, as the page would check it.
fn check_signature(path: &str, bytes: &[u8], public_hex: &str) -> Result<(), String> {
    use ed25519_dalek::Verifier;
    let key = catalog::parse_hex::<32>(public_hex.trim())
        .and_then(|k| ed25519_dalek::VerifyingKey::from_bytes(&k).ok())
        .ok_or_else(|| {
            format!("--public-key must be 64 hex digits of an Ed25519 key, not {public_hex:?}")
        })?;
    let sig_path = catalog::signature_url(path);
    let text =
        std::fs::read(&sig_path).map_err(|e| format!("unsigned: cannot read {sig_path}: {e}"))?;
    let sig = catalog::parse_signature(&text)
        .ok_or_else(|| format!("{sig_path} is not a signature (128 hex digits)"))?;
    key.verify(bytes, &ed25519_dalek::Signature::from_bytes(&sig))
        .map_err(|_| {
            format!("{sig_path} does not match the catalog and this key: the page would refuse it")
        })
}
