//! `screen dedup` on Materials Project structures (`../shared/data/mp_flla2015.jsonl.gz`) plus
//! five copies of each (rotated, origin-shifted, 2×1×1 supercell, sites shuffled, and all of
//! these in another basis): the output must be exactly the originals, each original's group
//! exactly its own copies, and a shuffled input must give the identical grouping.
//!
//! The regular test uses the first 150 structures (900 inputs); the full set (3,938 originals,
//! 23,628 inputs) is `cargo test --release --test dedup -- --ignored --nocapture`.

use screen_engine::crystal::{Entry, Structure};
use screen_engine::formats::{self, Format, ReadOptions};
use screen_engine::symmetry::setting::equivalent_copies;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/mp_flla2015.jsonl.gz")
}

fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).expect("tmp dir");
    dir
}

/// Writes originals then copies; returns (path, original ids in order).
fn write_inputs(n: usize, dir: &Path, shuffle: bool) -> (PathBuf, Vec<String>) {
    let originals: Vec<Entry> = formats::open(&data(), None, &ReadOptions::default())
        .expect("mp_flla2015 present")
        .filter_map(Result::ok)
        .take(n)
        .collect();
    let mut entries = originals.clone();
    for e in &originals {
        let c = e.structure.as_crystal().expect("crystal");
        for (suffix, mut copy) in equivalent_copies(c, 7).expect("copies") {
            copy.properties.remove("id");
            entries.push(Entry { id: format!("{}~{suffix}", e.id), location: e.location.clone(), structure: Structure::Crystal(copy) });
        }
    }
    if shuffle {
        let mut state = 99u64;
        for i in (1..entries.len()).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            entries.swap(i, (state >> 33) as usize % (i + 1));
        }
    }
    let path = dir.join(if shuffle { "shuffled.jsonl" } else { "inputs.jsonl" });
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    let refs: Vec<&Entry> = entries.iter().collect();
    formats::write(&refs, Format::Jsonl, &mut f).expect("write");
    f.flush().expect("flush");
    (path, originals.iter().map(|e| e.id.clone()).collect())
}

/// Runs `screen dedup`; returns (kept ids in output order, groups as sets of ids).
fn dedup(input: &Path, dir: &Path, tag: &str) -> (Vec<String>, BTreeSet<BTreeSet<String>>) {
    let out = dir.join(format!("unique_{tag}.jsonl"));
    let groups = dir.join(format!("groups_{tag}.csv"));
    let status = Command::new(env!("CARGO_BIN_EXE_screen"))
        .args(["dedup"])
        .arg(input)
        .arg("--out")
        .arg(&out)
        .arg("--groups")
        .arg(&groups)
        .status()
        .expect("screen runs");
    assert!(status.success(), "screen dedup failed: {status}");
    let kept: Vec<String> = formats::read_path(&out, None, &ReadOptions::default())
        .expect("output reads")
        .into_iter()
        .map(|r| r.expect("valid record").id)
        .collect();
    let csv = std::fs::read_to_string(&groups).expect("groups csv");
    let mut by_group: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in csv.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        by_group.entry(cols[3].to_string()).or_default().insert(cols[2].to_string());
    }
    (kept, by_group.into_values().collect())
}

/// Pairs of dataset entries that are one structure (pymatgen agrees; see the file).
fn known_duplicates() -> Vec<(String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/mp_flla2015_duplicates.tsv");
    std::fs::read_to_string(path)
        .expect("duplicates list")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c[0].to_string(), c[1].to_string())
        })
        .collect()
}

fn check(n: usize, name: &str) {
    let dir = workdir(name);
    let (input, originals) = write_inputs(n, &dir, false);
    let (kept, groups) = dedup(&input, &dir, "ordered");
    // Expected: the originals, minus the later entry of each listed duplicate pair present.
    let present: BTreeSet<&String> = originals.iter().collect();
    let pairs: Vec<(String, String)> =
        known_duplicates().into_iter().filter(|(a, b)| present.contains(a) && present.contains(b)).collect();
    let position = |id: &String| originals.iter().position(|o| o == id).unwrap_or(0);
    let dropped: BTreeSet<String> =
        pairs.iter().map(|(a, b)| if position(a) < position(b) { b.clone() } else { a.clone() }).collect();
    let expected: Vec<String> = originals.iter().filter(|o| !dropped.contains(*o)).cloned().collect();
    assert_eq!(kept, expected, "the output must be exactly the originals, in input order");
    let base = |id: &String| id.split('~').next().unwrap_or("").to_string();
    let wrong: Vec<&BTreeSet<String>> = groups
        .iter()
        .filter(|g| {
            let bases: BTreeSet<String> = g.iter().map(base).collect();
            let listed = bases.len() == 2 && pairs.iter().any(|(a, b)| bases.contains(a) && bases.contains(b));
            !((bases.len() == 1 && g.len() == 6) || (listed && g.len() == 12))
        })
        .collect();
    assert!(wrong.is_empty(), "groups that are not one original with its copies: {wrong:?}");
    let (shuffled, _) = write_inputs(n, &dir, true);
    let (kept2, groups2) = dedup(&shuffled, &dir, "shuffled");
    assert_eq!(groups2, groups, "a shuffled input must give the identical grouping");
    assert_eq!(kept2.len(), expected.len());
}

#[test]
fn dedup_returns_the_originals() {
    check(150, "dedup_150");
}

#[test]
#[ignore = "heavy: 23,628 structures; run with --release"]
fn dedup_returns_the_originals_full() {
    check(usize::MAX, "dedup_full");
}
