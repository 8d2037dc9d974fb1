//! Every saved fuzz input (`fuzz/regressions/<target>/`: the minimized corpus and any
//! input that once crashed) through the same code as the fuzz targets, natively.

#[allow(dead_code, unused_imports)]
#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::Path;

type Target = fn(&[u8]);

const TARGETS: &[(&str, Target)] = &[
    ("descriptors", harness::descriptors),
    ("memory_map", harness::memory_map),
    ("suffix", harness::suffix),
    ("dfuse", harness::dfuse),
    ("ihex", harness::ihex),
    ("session", harness::session),
];

#[test]
fn saved_fuzz_inputs_still_pass() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut total = 0;
    for (name, run) in TARGETS {
        let dir = root.join(name);
        let mut n = 0;
        for entry in std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .flatten()
        {
            let data = std::fs::read(entry.path()).expect("readable");
            run(&data);
            n += 1;
        }
        assert!(n > 0, "{name}: no saved inputs in {}", dir.display());
        total += n;
    }
    println!("{total} saved fuzz inputs replayed");
}
