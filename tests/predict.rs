//! End-to-end tests of `screen predict` on the CrystalFramer parity fixtures: the command line
//! reproduces the reference predictions (1e-5) from structure files.

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

const TOL: f64 = 1e-5;

/// Runs `screen`, failing (not hanging) after two minutes.
fn screen(args: &[&str]) -> Output {
    common::screen_in(Path::new("."), args, std::time::Duration::from_secs(120))
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/crystalframer_parity")
}

fn fixture(name: &str) -> String {
    fixtures().join(name).display().to_string()
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("screen-predict-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The fixture crystals as a JSONL data set in the `../shared/data` record layout.
fn write_crystals(dir: &Path) -> (String, Vec<String>) {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(fixtures().join("crystals.json")).unwrap()).unwrap();
    let mut lines = String::new();
    let mut ids = Vec::new();
    for c in v["crystals"].as_array().unwrap() {
        let id = c["name"].as_str().unwrap().to_string();
        let rec = serde_json::json!({
            "id": id,
            "natoms": c["num_atoms"],
            "lattice": c["lattice"],
            "species": c["species"],
            "frac_coords": c["frac_coords"],
        });
        lines.push_str(&rec.to_string());
        lines.push('\n');
        ids.push(id);
    }
    let path = dir.join("fixture_crystals.jsonl");
    std::fs::write(&path, lines).unwrap();
    (path.display().to_string(), ids)
}

fn expected(model: &str) -> Vec<f64> {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(fixtures().join(format!("{model}.expected.json"))).unwrap()).unwrap();
    v["predictions"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn check_csv(text: &str, header: &str, ids: &[String], want: &[f64]) {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(header));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), ids.len(), "{text}");
    for ((row, id), w) in rows.iter().zip(ids).zip(want) {
        assert_eq!(row[0], id);
        let got: f64 = row[2].parse().unwrap();
        assert!((got - w).abs() <= TOL, "{id}: {got} vs {w}");
    }
}

#[test]
fn predict_reproduces_the_fixture_predictions() {
    let dir = tempdir("fixtures");
    let (input, ids) = write_crystals(&dir);
    for model in ["crystalframer_max_default", "crystalframer_max_small_lightweight", "crystalformer_baseline_default"] {
        let out = dir.join(format!("{model}.csv")).display().to_string();
        let r = screen(&[
            "predict",
            "--weights",
            &fixture(&format!("{model}.weights.safetensors")),
            "--config",
            &fixture(&format!("{model}.config.json")),
            &input,
            "--out",
            &out,
        ]);
        assert!(r.status.success(), "{model}: {}", String::from_utf8_lossy(&r.stderr));
        check_csv(&std::fs::read_to_string(&out).unwrap(), "id,formula,formation_energy", &ids, &expected(model));
    }
    let text = std::fs::read_to_string(dir.join("crystalframer_max_default.csv")).unwrap();
    assert!(text.contains("NaCl_rocksalt_prim,NaCl,") && text.contains("SrTiO3_cubic,SrTiO3,"), "{text}");
}

#[test]
fn predict_from_a_model_directory_with_units_and_jsonl_output() {
    let dir = tempdir("modeldir");
    let (input, ids) = write_crystals(&dir);
    let name = "crystalframer_max_default";
    let model = common::fixture_model_dir(&dir, name).display().to_string();

    let csv = dir.join("p.csv").display().to_string();
    let r = screen(&["predict", "--model", &model, &input, "--out", &csv, "--batch-size", "4"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    check_csv(&std::fs::read_to_string(&csv).unwrap(), "id,formula,formation_energy[eV/atom]", &ids, &expected(name));

    let jsonl = dir.join("p.jsonl").display().to_string();
    let r = screen(&["predict", "--model", &model, &input, "--out", &jsonl]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let rows: Vec<Value> = std::fs::read_to_string(&jsonl).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), ids.len());
    for ((row, id), w) in rows.iter().zip(&ids).zip(expected(name)) {
        assert_eq!(row["id"], id.as_str());
        assert_eq!(row["units"]["formation_energy"], "eV/atom");
        assert!((row["formation_energy"].as_f64().unwrap() - w).abs() <= TOL);
    }
    assert_eq!(rows[2]["formula"], "SrTiO3");
}

#[test]
fn predict_reports_bad_inputs_and_models() {
    let dir = tempdir("errors");
    let (input, _) = write_crystals(&dir);
    // An element the model has no embedding for (Es, Z = 99) next to a good crystal.
    let bad = dir.join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"id\":\"es\",\"lattice\":[[3,0,0],[0,3,0],[0,0,3]],\"species\":[99],\"frac_coords\":[[0,0,0]]}\n\
         {\"id\":\"fe\",\"lattice\":[[-1.435,1.435,1.435],[1.435,-1.435,1.435],[1.435,1.435,-1.435]],\"species\":[26],\"frac_coords\":[[0,0,0]]}\n",
    )
    .unwrap();
    let name = "crystalformer_baseline_default";
    let (w, c) = (fixture(&format!("{name}.weights.safetensors")), fixture(&format!("{name}.config.json")));
    let out = dir.join("p.csv").display().to_string();
    let r = screen(&["predict", "--weights", &w, "--config", &c, &bad.display().to_string(), "--out", &out]);
    assert_eq!(r.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(stderr.contains("es") && stderr.contains("Z = 99"), "{stderr}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    let fe: f64 = text.lines().nth(1).unwrap().split(',').nth(2).unwrap().parse().unwrap();
    assert!((fe - expected(name)[5]).abs() <= TOL);

    // Weights that do not fit the configuration; an unknown output format.
    let other = fixture("crystalframer_max_small_lightweight.config.json");
    let r = screen(&["predict", "--weights", &w, "--config", &other, &input, "--out", &out]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("cannot load the model"));
    let r = screen(&["predict", "--weights", &w, "--config", &c, &input, "--out", "x.parquet"]);
    assert_eq!(r.status.code(), Some(2));
}
