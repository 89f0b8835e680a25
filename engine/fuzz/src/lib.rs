//! The body shared by every fuzz target: parse the input as one format and, for every
//! structure read, write it back in the same format and parse that again. Any panic (index
//! out of bounds, overflow with debug assertions, `unwrap` on bad data) or a run over the
//! libFuzzer `-timeout` is a bug.
//!
//! With `SCREEN_FUZZ_STRICT=1` the round trip is also checked: writing what was read must
//! succeed, and reading it back must give the same number of structures with the same
//! number of sites. Off by default because a writer may legitimately round numbers so that
//! a borderline structure (two sites just above the overlap threshold) changes on re-reading.

use screen_engine::crystal::{Entry, Structure};
use screen_engine::formats::{self, Format, ReadOptions};
use std::sync::OnceLock;

fn strict() -> bool {
    static STRICT: OnceLock<bool> = OnceLock::new();
    *STRICT.get_or_init(|| std::env::var_os("SCREEN_FUZZ_STRICT").is_some_and(|v| v == "1"))
}

/// Parses `data` as `format`, then writes back and re-reads what it read.
pub fn round_trip(data: &[u8], format: Format) {
    let opts = ReadOptions::default();
    let Ok(records) = formats::read_bytes(data, "fuzz", format, &opts) else { return };
    let entries: Vec<&Entry> = records
        .iter()
        .filter_map(|r| r.as_ref().ok())
        // Only XYZ stores molecules; the other writers refuse them by design.
        .filter(|e| format == Format::Xyz || matches!(e.structure, Structure::Crystal(_)))
        .collect();
    // POSCAR and pymatgen JSON hold one structure per file.
    let chunk = if format.single_structure() { 1 } else { entries.len().max(1) };
    for group in entries.chunks(chunk) {
        let mut out = Vec::new();
        match formats::write(group, format, &mut out) {
            Ok(()) => {
                let again = formats::read_bytes(&out, "fuzz-rewritten", format, &opts);
                if strict() {
                    check_same(group, again, &out);
                }
            }
            Err(e) => assert!(!strict(), "cannot write back what was read: {e}"),
        }
    }
}

fn check_same(written: &[&Entry], again: screen_engine::Result<formats::Records>, text: &[u8]) {
    let text = String::from_utf8_lossy(text);
    let again = match again {
        Ok(records) => records,
        Err(e) => panic!("re-reading failed: {e}\n--- written ---\n{text}"),
    };
    assert_eq!(again.len(), written.len(), "structure count changed\n--- written ---\n{text}");
    for (before, after) in written.iter().zip(&again) {
        match after {
            Ok(after) => assert_eq!(
                before.structure.num_sites(),
                after.structure.num_sites(),
                "site count changed\n--- written ---\n{text}"
            ),
            Err(e) => panic!("re-reading failed: {e}\n--- written ---\n{text}"),
        }
    }
}
