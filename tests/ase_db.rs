//! The ASE SQLite reader against a database written by ASE itself
//! (`tests/data/ase/make_ase_db.py`, ASE 3.29.0): ids, atomic numbers, positions, cell, pbc
//! and key-value pairs as ASE reads them back (`candidates.expected.json`), and `screen score`
//! on it.

use screen_engine::crystal::Structure;
use screen_engine::formats::{self, ReadOptions};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ase")
}

#[test]
fn a_database_written_by_ase_reads_as_ase_reads_it() {
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(data().join("candidates.expected.json")).unwrap()).unwrap();
    let rows = expected["rows"].as_array().unwrap();
    let entries: Vec<_> = formats::open(&data().join("candidates.db"), None, &ReadOptions::default()).unwrap().collect();
    assert_eq!(entries.len(), rows.len());
    // Row 4 was deleted: ids are ASE's, gaps included.
    let ids: Vec<String> = entries.iter().map(|e| e.as_ref().unwrap().id.clone()).collect();
    assert_eq!(ids, ["1", "2", "3", "5", "6"]);
    for (entry, row) in entries.iter().zip(rows) {
        let entry = entry.as_ref().unwrap();
        assert_eq!(entry.id, row["id"].as_i64().unwrap().to_string());
        let numbers: Vec<u64> = row["numbers"].as_array().unwrap().iter().map(|z| z.as_u64().unwrap()).collect();
        let positions: Vec<[f64; 3]> = row["positions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let p = p.as_array().unwrap();
                [p[0].as_f64().unwrap(), p[1].as_f64().unwrap(), p[2].as_f64().unwrap()]
            })
            .collect();
        let pbc: Vec<bool> = row["pbc"].as_array().unwrap().iter().map(|p| p.as_bool().unwrap()).collect();
        let (species, cartesian, properties) = match &entry.structure {
            Structure::Crystal(c) => {
                assert_eq!(c.pbc.to_vec(), pbc, "row {}", entry.id);
                for (i, axis) in c.lattice.matrix().iter().enumerate() {
                    for (j, v) in axis.iter().enumerate() {
                        assert_eq!(*v, row["cell"][i][j].as_f64().unwrap(), "row {} cell[{i}][{j}]", entry.id);
                    }
                }
                let z: Vec<u64> = c.sites.iter().map(|s| s.occupancy.element().unwrap().z() as u64).collect();
                let cart: Vec<[f64; 3]> = (0..c.num_sites()).map(|i| c.cartesian(i)).collect();
                (z, cart, &c.properties)
            }
            Structure::Molecule(m) => {
                assert!(pbc.iter().all(|p| !p), "row {}", entry.id);
                let z: Vec<u64> = m.species.iter().map(|s| s.element.z() as u64).collect();
                (z, m.positions.clone(), &m.properties)
            }
        };
        assert_eq!(species, numbers, "row {}", entry.id);
        for (got, want) in cartesian.iter().zip(&positions) {
            for k in 0..3 {
                assert!((got[k] - want[k]).abs() < 1e-12, "row {}: {got:?} vs {want:?}", entry.id);
            }
        }
        for (key, value) in row["key_value_pairs"].as_object().unwrap() {
            assert_eq!(properties.get(key), Some(value), "row {} key {key}", entry.id);
        }
        assert_eq!(properties["unique_id"], row["unique_id"]);
        if let Some(energy) = row["energy"].as_f64() {
            assert_eq!(properties["energy"].as_f64(), Some(energy));
        }
    }
}

#[test]
fn scoring_an_ase_database_scores_its_crystals_and_reports_the_rest() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/crystalframer_parity");
    let dir = std::env::temp_dir().join(format!("screen-ase-score-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("scores.csv");
    let model = "crystalframer_max_small_lightweight";
    let r = std::process::Command::new(env!("CARGO_BIN_EXE_screen"))
        .args(["score", "--weights"])
        .arg(fixtures.join(format!("{model}.weights.safetensors")))
        .arg("--config")
        .arg(fixtures.join(format!("{model}.config.json")))
        .arg(data().join("candidates.db"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{stderr}");
    let text = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let ids: Vec<&str> = rows.iter().map(|r| r[1]).collect();
    let formulas: Vec<&str> = rows.iter().map(|r| r[3]).collect();
    assert_eq!(ids, ["1", "2", "3"]);
    assert_eq!(formulas, ["SrTiO3", "NaCl", "Li2FeO3"]);
    let errors = std::fs::read_to_string(dir.join("scores.errors.jsonl")).unwrap();
    let errors: Vec<Value> = errors.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0]["id"], "5");
    assert!(errors[0]["reason"].as_str().unwrap().contains("molecule"), "{errors:?}");
    assert_eq!(errors[1]["id"], "6");
    assert!(errors[1]["reason"].as_str().unwrap().contains("[true, true, false]"), "{errors:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
