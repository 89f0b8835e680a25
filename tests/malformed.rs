//! Every file of `../shared/corpus/malformed` must be rejected by `screen info` with a clear
//! error — exit code 1, a message naming the file and (for text problems) the line — and
//! never a panic (exit 101) or a hang. Two files are accepted, as the corpus README allows:
//! `cif_invalid_utf8.cif`, whose invalid byte sits in a quoted value and is read as Latin-1
//! (documented in `formats::decode_text`), and `cif_very_long_line.cif`, whose 300,000-character
//! stray word follows `_cell_volume`, an item the reader does not use (stray values after a
//! data name the structure needs are errors; see `grammars/cif.pest`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Guard against hangs only; the measured times are printed (all well under a second).
const HANG_GUARD: Duration = Duration::from_secs(20);

fn malformed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/malformed")
}

struct Outcome {
    code: Option<i32>,
    stderr: String,
    elapsed: Duration,
}

fn run_info(file: &Path) -> Outcome {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_screen"))
        .arg("info")
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("screen binary runs");
    loop {
        if let Some(status) = child.try_wait().expect("wait works") {
            let mut stderr = String::new();
            use std::io::Read;
            child.stderr.take().map(|mut s| s.read_to_string(&mut stderr));
            return Outcome { code: status.code(), stderr, elapsed: start.elapsed() };
        }
        if start.elapsed() > HANG_GUARD {
            let _ = child.kill();
            panic!("{} hangs (killed after {HANG_GUARD:?})", file.display());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn malformed_inputs_give_clear_errors() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(malformed_dir())
        .expect("../shared/corpus/malformed present")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 56, "the malformed corpus has 56 files");
    let mut problems = Vec::new();
    for file in &files {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let out = run_info(file);
        let first_error = out.stderr.lines().find(|l| l.starts_with("error:")).unwrap_or("").to_string();
        println!("{:>6.1} ms  exit {:?}  {name}: {first_error}", out.elapsed.as_secs_f64() * 1e3, out.code);
        if name == "cif_invalid_utf8.cif" || name == "cif_very_long_line.cif" {
            if out.code != Some(0) {
                problems.push(format!("{name}: should be accepted (documented), got {:?}: {}", out.code, out.stderr));
            }
            continue;
        }
        if out.code != Some(1) {
            problems.push(format!("{name}: exit code {:?} (expected 1): {}", out.code, out.stderr));
            continue;
        }
        if !first_error.contains(&name) {
            problems.push(format!("{name}: error does not name the file: {first_error}"));
        }
        // Empty files have no line to point at; everything else must name one.
        let empty = std::fs::metadata(file).map(|m| m.len() == 0).unwrap_or(false);
        let located = first_error.split(&name).nth(1).is_some_and(|rest| {
            rest.strip_prefix(':').and_then(|r| r.split(':').next()).is_some_and(|n| n.parse::<usize>().is_ok())
        });
        if !empty && !located {
            problems.push(format!("{name}: error does not name a line: {first_error}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
