//! What a built `.wasm` imports, read from its import section: the page's module must
//! import nothing from `env` (quinn's CI check). An `env` import is a symbol the linker
//! could not resolve, usually a C dependency or a std function wasm32 lacks; the browser
//! would fail to instantiate the module, and only at run time.

/// Read an unsigned LEB128 number at `*at`.
fn leb(b: &[u8], at: &mut usize) -> Result<u64, String> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*at).ok_or("wasm: truncated number")?;
        *at += 1;
        v |= u64::from(byte & 0x7F) << shift;
        if byte & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err("wasm: number too long".into())
}

fn name(b: &[u8], at: &mut usize) -> Result<String, String> {
    let len = leb(b, at)? as usize;
    let end = at.checked_add(len).ok_or("wasm: bad name")?;
    let s = b.get(*at..end).ok_or("wasm: truncated name")?;
    *at = end;
    Ok(String::from_utf8_lossy(s).into_owned())
}

fn limits(b: &[u8], at: &mut usize) -> Result<(), String> {
    let flags = leb(b, at)?;
    leb(b, at)?;
    if flags & 1 == 1 {
        leb(b, at)?;
    }
    Ok(())
}

/// Every import as (module, field).
pub fn imports(b: &[u8]) -> Result<Vec<(String, String)>, String> {
    if b.get(..8) != Some(b"\0asm\x01\0\0\0") {
        return Err("not a wasm module (version 1)".into());
    }
    let mut at = 8;
    let mut out = Vec::new();
    while at < b.len() {
        let id = b[at];
        at += 1;
        let size = leb(b, &mut at)? as usize;
        let end = at.checked_add(size).ok_or("wasm: bad section")?;
        if end > b.len() {
            return Err("wasm: truncated section".into());
        }
        if id == 2 {
            let mut p = at;
            for _ in 0..leb(b, &mut p)? {
                let module = name(b, &mut p)?;
                let field = name(b, &mut p)?;
                let kind = *b.get(p).ok_or("wasm: truncated import")?;
                p += 1;
                match kind {
                    0x00 => {
                        leb(b, &mut p)?;
                    }
                    0x01 => {
                        p += 1;
                        limits(b, &mut p)?;
                    }
                    0x02 => limits(b, &mut p)?,
                    0x03 => p += 2,
                    0x04 => {
                        p += 1;
                        leb(b, &mut p)?;
                    }
                    k => return Err(format!("wasm: unknown import kind {k:#x}")),
                }
                out.push((module, field));
            }
        }
        at = end;
    }
    Ok(out)
}

/// Fail, naming them, if the module imports anything from `env`.
pub fn check_no_env_imports(path: &str) -> Result<(), String> {
    let b = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let env: Vec<String> = imports(&b)?
        .into_iter()
        .filter(|(m, _)| m == "env")
        .map(|(_, f)| f)
        .collect();
    if env.is_empty() {
        println!("wasm imports: nothing from `env`");
        Ok(())
    } else {
        Err(format!(
            "{path} imports from `env`, which no browser provides: {}",
            env.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module with one import section, written by hand from the spec.
    fn module(imports: &[(&str, &str, &[u8])]) -> Vec<u8> {
        let mut sec = vec![imports.len() as u8];
        for (m, f, desc) in imports {
            sec.push(m.len() as u8);
            sec.extend_from_slice(m.as_bytes());
            sec.push(f.len() as u8);
            sec.extend_from_slice(f.as_bytes());
            sec.extend_from_slice(desc);
        }
        let mut b = b"\0asm\x01\0\0\0".to_vec();
        // A type section first (one `() -> ()`), then the imports.
        b.extend_from_slice(&[1, 4, 1, 0x60, 0, 0]);
        b.push(2);
        b.push(sec.len() as u8);
        b.extend_from_slice(&sec);
        b
    }

    #[test]
    fn reads_every_kind_of_import() {
        let b = module(&[
            ("wbg", "__wbg_log", &[0x00, 0x00]),
            ("env", "memcpy", &[0x00, 0x00]),
            ("js", "table", &[0x01, 0x70, 0x00, 0x01]),
            ("js", "mem", &[0x02, 0x01, 0x01, 0x02]),
            ("js", "g", &[0x03, 0x7F, 0x00]),
        ]);
        let got = imports(&b).expect("parses");
        let names: Vec<(&str, &str)> = got.iter().map(|(m, f)| (m.as_str(), f.as_str())).collect();
        assert_eq!(
            names,
            [
                ("wbg", "__wbg_log"),
                ("env", "memcpy"),
                ("js", "table"),
                ("js", "mem"),
                ("js", "g")
            ]
        );
    }

    #[test]
    fn refuses_what_is_not_wasm() {
        assert!(imports(b"\x7fELF\x02\x01\x01\0").is_err());
        let mut cut = module(&[("env", "f", &[0x00, 0x00])]);
        cut.truncate(cut.len() - 3);
        assert!(imports(&cut).is_err());
    }
}
