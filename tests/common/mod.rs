//! Shared by the end-to-end tests: running the `screen` binary without ever hanging a test, and
//! model directories made from the parity fixtures.
#![allow(dead_code)] // each test crate uses part of this module

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `screen args…` in `dir`, draining its output, and fails (kills it and panics) once
/// `limit` has passed instead of hanging the test suite.
pub fn screen_in(dir: &Path, args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_screen"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("screen runs");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            buf
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("stdout")));
    let err = drain(Box::new(child.stderr.take().expect("stderr")));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("screen {args:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output { status, stdout: out.join().expect("stdout"), stderr: err.join().expect("stderr") }
}

/// A model directory `dir/model` from a parity fixture of `../shared` (random weights: the
/// values are not physical, which does not matter for bookkeeping tests), with a unit for its
/// target.
pub fn fixture_model_dir(dir: &Path, fixture: &str) -> PathBuf {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/crystalframer_parity");
    let model = dir.join("model");
    std::fs::create_dir_all(&model).unwrap();
    std::fs::copy(fixtures.join(format!("{fixture}.weights.safetensors")), model.join("model.safetensors")).unwrap();
    std::fs::copy(fixtures.join(format!("{fixture}.config.json")), model.join("config.json")).unwrap();
    let metadata = serde_json::json!({
        "name": "fixture",
        "targets": [{"name": "formation_energy", "unit": "eV/atom"}],
        "training_data": {"note": "random initialisation (parity fixture)"},
        "metrics": {},
    });
    std::fs::write(model.join("metadata.json"), metadata.to_string()).unwrap();
    model
}
