//! `screen info` symmetry: the space group and Wyckoff sequence it finds, and the reduced
//! cells `--primitive`, `--standard`, `--niggli` write.

mod common;

use screen_engine::formats::{self, Format, ReadOptions};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn screen(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_screen")).args(args).output().expect("screen runs");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn info_finds_symmetry_and_writes_cells() {
    let cif = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/SrTiO3.cif");
    let cif = cif.to_str().unwrap();
    for backend in ["spglib", "moyo"] {
        let (ok, stdout, _) = screen(&["info", cif, "--json", "--symmetry", backend]);
        assert!(ok);
        let v: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
        assert_eq!(v["space_group"]["number"], 221, "{backend}");
        assert_eq!(v["space_group"]["symbol"], "Pm-3m");
        assert_eq!(v["space_group"]["wyckoff_sequence"], "1a 1b 3c");
        assert_eq!(v["space_group"]["backend"], backend);
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("info_symmetry");
    std::fs::create_dir_all(&dir).unwrap();
    let (p, s, n) = (dir.join("prim.vasp"), dir.join("std.cif"), dir.join("niggli.jsonl"));
    let (ok, _, err) = screen(&[
        "info", cif, "--primitive", p.to_str().unwrap(), "--standard", s.to_str().unwrap(), "--niggli", n.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    for path in [&p, &s, &n] {
        let records = formats::read_path(path, None, &ReadOptions::default()).unwrap();
        let c = records[0].as_ref().unwrap().structure.as_crystal().cloned().unwrap();
        assert_eq!(c.num_sites(), 5, "{}", path.display());
        assert!((c.volume() - 3.905f64.powi(3)).abs() < 1e-6);
    }
    // Bad options are usage errors (exit 2).
    let out = Command::new(env!("CARGO_BIN_EXE_screen")).args(["info", cif, "--symprec", "nan"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(env!("CARGO_BIN_EXE_screen")).args(["info", cif, "--symmetry", "foo"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// TaS2 `mp-1411` (Materials Project, `../shared/data/mp_flla2015.jsonl.gz`): moyo with an
/// explicit angle tolerance never returns on it; `screen info --symmetry moyo` (5° by default)
/// must answer, through spglib, and say so.
#[test]
fn info_with_moyo_answers_on_a_cell_where_moyo_runs_away() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/mp_flla2015.jsonl.gz");
    let entry = formats::open(&data, None, &ReadOptions::default())
        .expect("mp_flla2015 present")
        .filter_map(Result::ok)
        .find(|e| e.id == "mp-1411")
        .expect("mp-1411 in the dataset");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("info_symmetry_runaway");
    std::fs::create_dir_all(&dir).unwrap();
    let mut bytes = Vec::new();
    formats::write(&[&entry], Format::Jsonl, &mut bytes).unwrap();
    std::fs::write(dir.join("mp-1411.jsonl"), bytes).unwrap();
    let mut answers = Vec::new();
    for backend in ["moyo", "spglib"] {
        // The limit only turns a hang into a failure; the run takes well under a second.
        let args = ["info", "mp-1411.jsonl", "--json", "--symprec", "0.1", "--symmetry", backend];
        let out = common::screen_in(&dir, &args, Duration::from_secs(120));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        answers.push((v["space_group"]["backend"].clone(), v["space_group"]["number"].clone()));
    }
    assert_eq!(answers[0].0, "spglib", "moyo's request is answered by spglib");
    assert_eq!(answers[0], answers[1]);
}
