//! End-to-end tests of `screen convert` and `screen info`.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn screen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_screen")).args(args).output().expect("screen runs")
}

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name).display().to_string()
}

fn shared(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared").join(rel).display().to_string()
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("screen-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn info_json(path: &str) -> Vec<Value> {
    let out = screen(&["info", "--json", path]);
    assert!(out.status.success(), "info {path} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect()
}

fn assert_same_crystal(a: &Value, b: &Value) {
    assert_eq!(a["reduced_formula"], b["reduced_formula"]);
    assert_eq!(a["n_sites"], b["n_sites"]);
    for k in ["a", "b", "c", "alpha", "beta", "gamma"] {
        let (x, y) = (a["lattice"][k].as_f64().unwrap(), b["lattice"][k].as_f64().unwrap());
        assert!((x - y).abs() < 1e-8 * x.abs().max(1.0), "{k}: {x} vs {y}");
    }
    let (x, y) = (a["density"].as_f64().unwrap(), b["density"].as_f64().unwrap());
    assert!((x - y).abs() < 1e-9 * x, "density {x} vs {y}");
}

#[test]
fn info_reports_the_expanded_perovskite() {
    let v = &info_json(&data("SrTiO3.cif"))[0];
    assert_eq!(v["reduced_formula"], "SrTiO3");
    assert_eq!(v["anonymous_formula"], "ABC3");
    assert_eq!(v["n_sites"], 5, "Pm-3m expands Sr, Ti, O to 1 + 1 + 3 sites");
    assert_eq!(v["declared_space_group"]["number"], 221);
    assert_eq!(v["declared_space_group"]["n_operations"], 48);
    assert!((v["volume"].as_f64().unwrap() - 3.905f64.powi(3)).abs() < 1e-9);
    assert!((v["density"].as_f64().unwrap() - 5.1166).abs() < 1e-3);
    let text = screen(&["info", &data("SrTiO3.cif")]);
    assert!(text.status.success());
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("SrTiO3") && text.contains("Å³") && text.contains("g/cm³"), "{text}");
}

#[test]
fn convert_round_trips_through_every_crystal_format() {
    let dir = tempdir("roundtrip");
    let original = info_json(&data("SrTiO3.cif"))[0].clone();
    let mut previous = data("SrTiO3.cif");
    for ext in ["vasp", "xyz", "jsonl", "json", "cif"] {
        let next = dir.join(format!("SrTiO3.{ext}")).display().to_string();
        let out = screen(&["convert", &previous, &next]);
        assert!(out.status.success(), "convert to {ext}: {}", String::from_utf8_lossy(&out.stderr));
        assert_same_crystal(&original, &info_json(&next)[0]);
        previous = next;
    }
}

#[test]
fn convert_many_inputs_into_one_jsonl_and_a_directory() {
    let dir = tempdir("many");
    let inputs = [
        shared("corpus/structures/poscar/pymatgen-core__electronic_structure__cohp__POSCAR.COBI"),
        data("SrTiO3.cif"),
    ];
    let jsonl = dir.join("all.jsonl").display().to_string();
    let out = screen(&["convert", &inputs[0], &inputs[1], &jsonl]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(info_json(&jsonl).len(), 2);

    let outdir = dir.join("cifs/");
    let out = screen(&["convert", "--to", "cif", &jsonl, &outdir.display().to_string()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_dir(&outdir).unwrap().count(), 2);
}

#[test]
fn many_structures_into_a_single_structure_format_is_a_usage_error() {
    let dir = tempdir("usage");
    let out = screen(&["convert", &shared("data/tiny_mp_flla_1000.jsonl.gz"), &dir.join("x.vasp").display().to_string()]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exactly one structure"));
}

#[test]
fn bad_arguments_exit_with_2_and_missing_files_with_1() {
    assert_eq!(screen(&["info"]).status.code(), Some(2));
    assert_eq!(screen(&["convert", "--to", "pdb", "a.cif", "b.pdb"]).status.code(), Some(2));
    let out = screen(&["info", "/nonexistent/file.cif"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/file.cif"));
}

#[test]
fn molecules_are_read_but_refuse_crystal_formats() {
    let dir = tempdir("molecule");
    let xyz = shared("corpus/structures/xyz/chemfiles__xyz__methane.xyz");
    let v = &info_json(&xyz)[0];
    assert_eq!(v["periodic"], false);
    let out = screen(&["convert", &xyz, &dir.join("m.cif").display().to_string()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("molecule"), "{}", String::from_utf8_lossy(&out.stderr));
}
