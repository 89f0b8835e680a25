//! End to end through the command line: `screen train` trains a tiny model for a few steps on
//! 1,000 MP crystals (no accuracy expected), `screen eval` evaluates the exported model
//! directory, and `screen predict` loads it; two snapshots of the run make an ensemble that
//! `screen eval` and `screen predict` take like any model.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

/// Runs `screen` from the repository root, failing (not hanging) after ten minutes.
fn screen(args: &[&str]) -> Output {
    common::screen_in(Path::new(env!("CARGO_MANIFEST_DIR")), args, std::time::Duration::from_secs(600))
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("screen-train-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn train_eval_predict_a_tiny_model() {
    let dir = tempdir("tiny");
    let run = dir.join("run");
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/tiny.toml");
    let out = screen(&["train", config.to_str().unwrap(), "--out-dir", run.to_str().unwrap(), "--quiet"]);
    // Cells above max_atoms = 16 are reported and skipped: exit code 1, training still done.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let log = text(&out);
    assert!(log.contains("skipped") && log.contains("max_atoms"), "{log}");
    assert!(log.contains("epoch 2/2"), "{log}");
    let csv = std::fs::read_to_string(run.join("log.csv")).unwrap();
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("epoch,step,lr,train_loss,train_mae_formation_energy_per_atom"));
    assert_eq!(lines.count(), 2);
    let model = run.join("model");
    for f in ["model.safetensors", "config.json", "metadata.json", "training_log.csv"] {
        assert!(model.join(f).exists(), "{f} missing");
    }
    let meta: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(model.join("metadata.json")).unwrap()).unwrap();
    assert_eq!(meta["targets"][0]["unit"], "eV/atom");
    assert_eq!(meta["training"]["epochs"], 2);
    assert!(meta["training"]["wall_time_s"].as_f64().unwrap() > 0.0);

    // The 2-epoch export, kept as an ensemble member.
    let snapshot = dir.join("ensemble/epoch2");
    std::fs::create_dir_all(&snapshot).unwrap();
    for f in ["model.safetensors", "config.json", "metadata.json"] {
        std::fs::copy(model.join(f), snapshot.join(f)).unwrap();
    }

    // Resuming a finished run with more epochs continues it.
    let out = screen(&["train", config.to_str().unwrap(), "--out-dir", run.to_str().unwrap(), "--quiet", "--resume", "--epochs", "3"]);
    assert!(text(&out).contains("resuming after epoch 2") && text(&out).contains("epoch 3/3"), "{}", text(&out));

    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/tiny_mp_flla_1000.jsonl.gz");
    let eval_dir = dir.join("eval");
    let out = screen(&[
        "eval", "--model", model.to_str().unwrap(), "--data", data.to_str().unwrap(), "--split", "test", "--out",
        eval_dir.to_str().unwrap(), "--update-card",
    ]);
    assert!(out.status.code() == Some(0) || out.status.code() == Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("formation_energy_per_atom") && stdout.contains("MAE"), "{stdout}");
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(eval_dir.join("metrics_test.json")).unwrap()).unwrap();
    let m = &metrics["targets"]["formation_energy_per_atom"];
    assert!(m["model"]["mae"].as_f64().unwrap().is_finite() && m["model"]["n"].as_u64().unwrap() > 50);
    assert!(m["mean_predictor"]["mae"].as_f64().unwrap() > 0.0);
    for f in ["parity_formation_energy_per_atom_test.svg", "learning_curve.svg", "predictions_test.csv"] {
        let body = std::fs::read_to_string(eval_dir.join(f)).unwrap();
        assert!(body.len() > 200, "{f}");
    }
    let meta: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(model.join("metadata.json")).unwrap()).unwrap();
    assert!(meta["metrics"]["formation_energy_per_atom"]["test"]["mae"].is_number(), "{meta}");

    // The exported directory is a regular model for `screen predict`.
    let pred = dir.join("p.csv");
    let out = screen(&["predict", "--model", model.to_str().unwrap(), "tests/data/SrTiO3.cif", "--out", pred.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(std::fs::read_to_string(&pred).unwrap().starts_with("id,formula,formation_energy_per_atom[eV/atom]"));

    // An ensemble of the 2- and 3-epoch exports: mean and spread, scored member by member.
    let ensemble = dir.join("ensemble");
    std::fs::create_dir_all(ensemble.join("epoch3")).unwrap();
    for f in ["model.safetensors", "config.json", "metadata.json"] {
        std::fs::copy(model.join(f), ensemble.join("epoch3").join(f)).unwrap();
    }
    let card = serde_json::json!({
        "name": "tiny-ensemble",
        "targets": [{"name": "formation_energy_per_atom", "unit": "eV/atom"}],
        "members": ["epoch2", "epoch3"],
    });
    std::fs::write(ensemble.join("metadata.json"), card.to_string()).unwrap();
    let out = screen(&["eval", "--model", ensemble.to_str().unwrap(), "--data", data.to_str().unwrap(), "--split", "test", "--update-card"]);
    assert!(out.status.code() == Some(0) || out.status.code() == Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("member ").count(), 2, "{stdout}");
    assert!(stdout.contains("spread"), "{stdout}");
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ensemble.join("eval/metrics_test.json")).unwrap()).unwrap();
    let m = &metrics["targets"]["formation_energy_per_atom"];
    assert_eq!(m["members"].as_array().map(Vec::len), Some(2), "{m}");
    assert!(m["spread"]["mean_std"].as_f64().unwrap() > 0.0, "{m}");
    let predictions = std::fs::read_to_string(ensemble.join("eval/predictions_test.csv")).unwrap();
    assert!(predictions.starts_with("id,formation_energy_per_atom_true,formation_energy_per_atom_pred,formation_energy_per_atom_std\n"));
    let card: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(ensemble.join("metadata.json")).unwrap()).unwrap();
    assert!(card["metrics"]["formation_energy_per_atom"]["test_members"].is_array(), "{card}");
    let out = screen(&["predict", "--model", ensemble.to_str().unwrap(), "tests/data/SrTiO3.cif", "--out", pred.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let body = std::fs::read_to_string(&pred).unwrap();
    assert!(
        body.starts_with("id,formula,formation_energy_per_atom[eV/atom],formation_energy_per_atom_std[eV/atom]\n"),
        "{body}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_configuration_is_a_usage_error() {
    let dir = tempdir("bad");
    let cfg = dir.join("bad.toml");
    std::fs::write(&cfg, "name = \"x\"\nout_dir = \"r\"\n[data]\nfile = \"nope.jsonl\"\ntargets = [\"a\"]\nunits = []\n").unwrap();
    let out = screen(&["train", cfg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("units"), "{}", text(&out));
    let _ = std::fs::remove_dir_all(&dir);
}
