//! End-to-end tests of `screen score` and `screen merge` on Castelli perovskites from
//! `../shared/data`, with the smallest CrystalFramer parity fixture as the model: every output
//! format, SIGKILL at random points followed by `--resume`, shards, merging and top-k.
//!
//! The regular tests use 40 to 500 structures to keep CI short; the full-size
//! acceptance runs (10,000 structures, every format, 5 kills each, shards 1/3/7) are
//! `#[ignore]`d:
//!
//! ```sh
//! cargo test --release --test score -- --ignored --nocapture
//! ```
//!
//! Measured on the shared 2-core machine under heavy load (release): the kill/resume run
//! 539 s (each uninterrupted 10,002-record pass 84–91 s), the shard run 946 s. In the dev
//! profile a pass scores ≈ 65–75 structures/s there, so the pair would take about an hour:
//! too long for CI, hence `#[ignore]`.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const MODEL: &str = "crystalframer_max_small_lightweight";
const FORMATS: [&str; 3] = ["csv", "jsonl", "db"];

fn spawn(args: &[String]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_screen"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("screen runs")
}

/// Runs `screen`, failing (not hanging) after 20 minutes.
fn screen(args: &[String]) -> Output {
    let mut child = spawn(args);
    let mut pipe = child.stderr.take().expect("stderr");
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + Duration::from_secs(1200);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("screen {args:?} did not finish within 20 minutes");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output { status, stdout: Vec::new(), stderr: err.join().expect("stderr") }
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("screen-score-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// A model directory from the smallest parity fixture.
fn model_dir(dir: &Path) -> String {
    common::fixture_model_dir(dir, MODEL).display().to_string()
}

/// The first `n` Castelli perovskites as JSONL, with two unreadable records put in at fixed
/// places (an unknown element at record 3, broken JSON at record n/2): `n + 2` records.
fn perovskites(dir: &Path, n: usize) -> String {
    use std::io::BufRead;
    let file = std::fs::File::open(shared().join("data/castelli_perovskites_matbench.jsonl.gz")).unwrap();
    let lines = std::io::BufReader::new(flate2::read::GzDecoder::new(file)).lines();
    let mut out = String::new();
    for (i, line) in lines.take(n).enumerate() {
        if i == 3 {
            out.push_str(r#"{"id":"bad_element","lattice":[[4,0,0],[0,4,0],[0,0,4]],"species":[250],"frac_coords":[[0,0,0]]}"#);
            out.push('\n');
        }
        if i == n / 2 {
            out.push_str("{\"id\": \"broken\", \"lattice\": [[4,0\n");
        }
        out.push_str(&line.unwrap());
        out.push('\n');
    }
    let path = dir.join(format!("perovskites_{n}.jsonl"));
    std::fs::write(&path, out).unwrap();
    path.display().to_string()
}

/// Everything a table holds, as text lines: rows, failures and (for .db) the run state.
fn table(path: &Path) -> Vec<String> {
    if path.extension().is_some_and(|e| e == "db") {
        let conn = rusqlite::Connection::open(path).unwrap();
        let mut lines = Vec::new();
        for sql in ["SELECT * FROM results ORDER BY rowid", "SELECT * FROM errors ORDER BY rowid", "SELECT * FROM screen_run ORDER BY key"] {
            let mut stmt = conn.prepare(sql).unwrap();
            let n = stmt.column_count();
            let mut rows = stmt.query([]).unwrap();
            while let Some(row) = rows.next().unwrap() {
                let fields: Vec<String> = (0..n)
                    .map(|i| match row.get_ref(i).unwrap() {
                        rusqlite::types::ValueRef::Null => "NULL".to_string(),
                        rusqlite::types::ValueRef::Integer(x) => x.to_string(),
                        rusqlite::types::ValueRef::Real(x) => format!("{x:?}"),
                        rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).to_string(),
                        rusqlite::types::ValueRef::Blob(b) => format!("{b:?}"),
                    })
                    .collect();
                lines.push(fields.join("|"));
            }
        }
        lines
    } else {
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let errors = path.with_file_name(format!("{stem}.errors.jsonl"));
        let mut lines: Vec<String> = std::fs::read_to_string(path).unwrap().lines().map(String::from).collect();
        lines.push("--- errors".into());
        lines.extend(std::fs::read_to_string(errors).unwrap().lines().map(String::from));
        lines
    }
}

/// Record numbers of the rows of a table.
fn records(path: &Path) -> Vec<u64> {
    if path.extension().is_some_and(|e| e == "db") {
        let conn = rusqlite::Connection::open(path).unwrap();
        let mut stmt = conn.prepare("SELECT record FROM results ORDER BY rowid").unwrap();
        stmt.query_map([], |r| r.get::<_, i64>(0)).unwrap().map(|r| r.unwrap() as u64).collect()
    } else if path.extension().is_some_and(|e| e == "csv") {
        std::fs::read_to_string(path).unwrap().lines().skip(1).map(|l| l.split(',').next().unwrap().parse().unwrap()).collect()
    } else {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["record"].as_u64().unwrap())
            .collect()
    }
}

fn score_args(model: &str, input: &str, out: &Path, commit_every: usize, extra: &[&str]) -> Vec<String> {
    let mut a = args(&["score", "--model", model, input, "--out"]);
    a.push(out.display().to_string());
    a.extend(args(&["--commit-every", &commit_every.to_string(), "--threads", "2"]));
    a.extend(args(extra));
    a
}

/// Deterministic pseudo-random numbers (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Scores `n` perovskites into every format, once uninterrupted and once killed with SIGKILL
/// at least `kills` times at random points (seeded) and resumed; the tables must be equal.
fn kill_and_resume(name: &str, n: usize, commit_every: usize, kills: usize) {
    let dir = tempdir(name);
    let model = model_dir(&dir);
    let input = perovskites(&dir, n);
    let mut rng = Rng(0x5eed_0000_0000_0007);
    for format in FORMATS {
        let reference = dir.join(format!("reference.{format}"));
        let started = Instant::now();
        let r = screen(&score_args(&model, &input, &reference, commit_every, &[]));
        let duration = started.elapsed();
        assert_eq!(r.status.code(), Some(1), "{}", String::from_utf8_lossy(&r.stderr));
        eprintln!("{format}: uninterrupted run of {} records took {:.1} s", n + 2, duration.as_secs_f64());
        let expected = table(&reference);
        assert_eq!(records(&reference).len(), n);

        let out = dir.join(format!("killed.{format}"));
        let run = score_args(&model, &input, &out, commit_every, &["--resume"]);
        let mut killed = 0;
        for attempt in 0..4 * kills {
            if killed >= kills {
                break;
            }
            // Somewhere in the first sixth of a full run: every kill lands before the end.
            let delay = duration.mul_f64(0.02 + 0.15 * rng.next_f64());
            let mut child = spawn(&run);
            std::thread::sleep(delay);
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap(); // SIGKILL
                killed += 1;
            }
            let _ = child.wait();
            // A torn tail as a kill in the middle of a write leaves it (text outputs).
            let journal = dir.join(format!("killed.{format}.journal"));
            if format != "db" && attempt == 1 && journal.exists() {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new().append(true).open(&out).unwrap();
                f.write_all(b"123,half a ro").unwrap();
                let mut j = std::fs::OpenOptions::new().append(true).open(journal).unwrap();
                j.write_all(b"{\"next\":99").unwrap();
            }
        }
        assert!(killed >= kills, "{format}: only {killed} kills landed before the run finished");
        let r = screen(&run);
        assert_eq!(r.status.code(), Some(1), "{}", String::from_utf8_lossy(&r.stderr));
        let got = table(&out);
        assert_eq!(got.len(), expected.len(), "{format}: row count after {killed} kills");
        for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
            assert_eq!(g, e, "{format}: line {i} differs after {killed} kills");
        }
        eprintln!("{format}: {killed} SIGKILLs, then --resume: {} lines equal to the uninterrupted run", got.len());
        // Resuming a finished table changes nothing.
        let r = screen(&run);
        assert_eq!(r.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&r.stderr).contains("is complete"));
        assert_eq!(table(&out), expected);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Shards 1, 3 and 7 of `n` perovskites: each record in exactly one shard, and the merged
/// shards equal the unsharded table exactly, in every format.
fn shards_equal_unsharded(name: &str, n: usize, commit_every: usize, formats: &[&str]) {
    let dir = tempdir(name);
    let model = model_dir(&dir);
    let input = perovskites(&dir, n);
    for format in formats {
        let full = dir.join(format!("full.{format}"));
        let r = screen(&score_args(&model, &input, &full, commit_every, &[]));
        assert_eq!(r.status.code(), Some(1), "{}", String::from_utf8_lossy(&r.stderr));
        let expected = table(&full);
        let all = records(&full);
        for count in [1usize, 3, 7] {
            let mut outs = Vec::new();
            let mut union = Vec::new();
            for i in 0..count {
                let out = dir.join(format!("shard{i}of{count}.{format}"));
                let shard = format!("{i}/{count}");
                let r = screen(&score_args(&model, &input, &out, commit_every, &["--shard", &shard]));
                assert!(r.status.code() == Some(0) || r.status.code() == Some(1), "{}", String::from_utf8_lossy(&r.stderr));
                union.extend(records(&out));
                outs.push(out.display().to_string());
            }
            union.sort_unstable();
            assert_eq!(union, all, "{format}: shards of {count} do not partition the records");
            let merged = dir.join(format!("merged{count}.{format}"));
            let mut a = args(&["merge"]);
            a.extend(outs.iter().cloned());
            a.extend(args(&["--out", &merged.display().to_string()]));
            let r = screen(&a);
            assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
            let got = table(&merged);
            if *format == "db" {
                // The run state may differ (a merge has no resume point); rows and errors must not.
                let strip = |t: Vec<String>| -> Vec<String> {
                    t.into_iter().filter(|l| !["run|", "next|", "complete|"].iter().any(|k| l.starts_with(k))).collect()
                };
                assert_eq!(strip(got), strip(expected.clone()), "{format}: merged {count} shards");
            } else {
                assert_eq!(got, expected, "{format}: merged {count} shards");
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn killed_runs_resume_to_the_uninterrupted_output() {
    kill_and_resume("kill", 500, 16, 5);
}

#[test]
fn shards_merge_to_the_unsharded_output() {
    shards_equal_unsharded("shards", 150, 8, &FORMATS);
}

/// The acceptance run: 10,000 perovskites (+2 broken records) into every format, each killed
/// 5 times and resumed. `cargo test --test score -- --ignored --nocapture`
#[test]
#[ignore]
fn killed_runs_resume_to_the_uninterrupted_output_10000() {
    kill_and_resume("kill10k", 10_000, 256, 5);
}

/// The acceptance run for shards: 10,000 perovskites, N = 1, 3, 7, every format.
#[test]
#[ignore]
fn shards_merge_to_the_unsharded_output_10000() {
    shards_equal_unsharded("shards10k", 10_000, 256, &FORMATS);
}

#[test]
fn every_format_holds_the_same_rows_and_failures_with_reasons() {
    let dir = tempdir("formats");
    let model = model_dir(&dir);
    let input = perovskites(&dir, 200);
    let mut values: Vec<Vec<(u64, String, f32)>> = Vec::new();
    for format in FORMATS {
        let out = dir.join(format!("r.{format}"));
        let r = screen(&score_args(&model, &input, &out, 64, &[]));
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("200 row(s), 2 failure(s)"), "{stderr}");
        let rows: Vec<(u64, String, f32)> = match format {
            "csv" => {
                let text = std::fs::read_to_string(&out).unwrap();
                assert_eq!(text.lines().next(), Some("record,id,source,formula,formation_energy[eV/atom]"));
                text.lines()
                    .skip(1)
                    .map(|l| {
                        let f: Vec<&str> = l.split(',').collect();
                        (f[0].parse().unwrap(), f[1].to_string(), f[4].parse().unwrap())
                    })
                    .collect()
            }
            "jsonl" => std::fs::read_to_string(&out)
                .unwrap()
                .lines()
                .map(|l| {
                    let v: serde_json::Value = serde_json::from_str(l).unwrap();
                    assert_eq!(v["units"]["formation_energy"], "eV/atom");
                    assert_eq!(v["source"], input.as_str());
                    (v["record"].as_u64().unwrap(), v["id"].as_str().unwrap().to_string(), v["formation_energy"].as_f64().unwrap() as f32)
                })
                .collect(),
            _ => {
                let conn = rusqlite::Connection::open(&out).unwrap();
                let unit: String = conn.query_row("SELECT unit FROM targets WHERE name = 'formation_energy'", [], |r| r.get(0)).unwrap();
                assert_eq!(unit, "eV/atom");
                let mut stmt = conn.prepare("SELECT record, id, formation_energy FROM results ORDER BY record").unwrap();
                stmt.query_map([], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get::<_, f64>(2)? as f32)))
                    .unwrap()
                    .map(|r| r.unwrap())
                    .collect()
            }
        };
        assert_eq!(rows.len(), 200);
        assert_eq!(rows[0].1, "perov_0");
        // Record 3 is the unknown element: perov_3 is record 4.
        assert_eq!((rows[3].0, rows[3].1.as_str()), (4, "perov_3"));
        values.push(rows);
    }
    assert_eq!(values[0], values[1], "csv and jsonl differ");
    assert_eq!(values[0], values[2], "csv and db differ");
    let errors = std::fs::read_to_string(dir.join("r.errors.jsonl")).unwrap();
    let errors: Vec<serde_json::Value> = errors.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0]["record"], 3);
    assert!(errors[0]["reason"].as_str().unwrap().contains("Z=250"), "{:?}", errors[0]);
    assert_eq!(errors[1]["record"], 101);
    assert!(errors[1]["reason"].as_str().unwrap().contains("JSON"), "{:?}", errors[1]);
    let conn = rusqlite::Connection::open(dir.join("r.db")).unwrap();
    let reason: String = conn.query_row("SELECT reason FROM errors WHERE record = 3", [], |r| r.get(0)).unwrap();
    assert!(reason.contains("Z=250"), "{reason}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn merge_keeps_a_global_top_k_and_refuses_bad_inputs() {
    let dir = tempdir("topk");
    let model = model_dir(&dir);
    let input = perovskites(&dir, 150);
    let full = dir.join("full.csv");
    screen(&score_args(&model, &input, &full, 16, &[]));
    let mut outs = Vec::new();
    for i in 0..3 {
        let out = dir.join(format!("s{i}.csv"));
        screen(&score_args(&model, &input, &out, 16, &["--shard", &format!("{i}/3")]));
        outs.push(out.display().to_string());
    }
    let top = dir.join("top.csv");
    let mut a = args(&["merge"]);
    a.extend(outs.iter().cloned());
    a.extend(args(&["--out", &top.display().to_string(), "--top", "10", "--by", "formation_energy", "--descending"]));
    let r = screen(&a);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let value = |l: &str| l.split(',').nth(4).unwrap().parse::<f32>().unwrap();
    let mut all: Vec<String> = std::fs::read_to_string(&full).unwrap().lines().skip(1).map(String::from).collect();
    all.sort_by(|a, b| value(b).total_cmp(&value(a)));
    let got: Vec<String> = std::fs::read_to_string(&top).unwrap().lines().skip(1).map(String::from).collect();
    assert_eq!(got, all[..10].to_vec());

    // A missing shard is reported; the same shard twice, or an unknown target, is refused.
    let r = screen(&args(&["merge", &outs[0], &outs[1], "--out", &dir.join("m.csv").display().to_string()]));
    assert!(String::from_utf8_lossy(&r.stderr).contains("shard(s) 2/3"), "{}", String::from_utf8_lossy(&r.stderr));
    let r = screen(&args(&["merge", &outs[0], &outs[0], "--out", &dir.join("m.csv").display().to_string()]));
    assert_eq!(r.status.code(), Some(2));
    let r = screen(&args(&["merge", &outs[0], "--out", &dir.join("m.csv").display().to_string(), "--top", "3", "--by", "gap"]));
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("no such target"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn resume_refuses_a_different_run_and_models_resolve_by_name() {
    let dir = tempdir("refuse");
    let model = model_dir(&dir);
    let input = perovskites(&dir, 40);
    let out = dir.join("r.jsonl");
    screen(&score_args(&model, &input, &out, 16, &[]));
    let r = screen(&score_args(&model, &input, &out, 16, &["--resume", "--batch-size", "7"]));
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("cannot resume"), "{}", String::from_utf8_lossy(&r.stderr));
    let r = screen(&score_args(&model, &input, &out, 16, &["--resume", "--shard", "1/2"]));
    assert!(String::from_utf8_lossy(&r.stderr).contains("shard 0/1, not 1/2"), "{}", String::from_utf8_lossy(&r.stderr));

    // --model NAME finds models/NAME in the current directory.
    let models = dir.join("cwd/models");
    std::fs::create_dir_all(&models).unwrap();
    let named = models.join("tiny");
    std::fs::rename(&model, &named).unwrap();
    let by_name = Command::new(env!("CARGO_BIN_EXE_screen"))
        .current_dir(dir.join("cwd"))
        .args(["score", "--model", "tiny", &input, "--out", "named.csv"])
        .output()
        .unwrap();
    assert_eq!(by_name.status.code(), Some(1), "{}", String::from_utf8_lossy(&by_name.stderr));
    assert_eq!(std::fs::read_to_string(dir.join("cwd/named.csv")).unwrap().lines().count(), 41);
    let missing = Command::new(env!("CARGO_BIN_EXE_screen"))
        .current_dir(dir.join("cwd"))
        .args(["score", "--model", "nonesuch", &input, "--out", "x.csv"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    // The list names the models of the current directory (and those shipped in the repository).
    let stderr = String::from_utf8_lossy(&missing.stderr);
    let available = stderr.split("available: ").nth(1).unwrap_or("");
    assert!(available.split(|c: char| c == ',' || c == ')').any(|m| m.trim() == "tiny"), "{stderr}");

    // An ensemble (here of the same network twice: spread 0) adds a spread column per target.
    let pair = models.join("pair");
    for member in ["a", "b"] {
        std::fs::create_dir_all(pair.join(member)).unwrap();
        for f in ["model.safetensors", "config.json", "metadata.json"] {
            std::fs::copy(named.join(f), pair.join(member).join(f)).unwrap();
        }
    }
    let card = serde_json::json!({"targets": [{"name": "formation_energy", "unit": "eV/atom"}], "members": ["a", "b"]});
    std::fs::write(pair.join("metadata.json"), card.to_string()).unwrap();
    let ensemble = Command::new(env!("CARGO_BIN_EXE_screen"))
        .current_dir(dir.join("cwd"))
        .args(["score", "--model", "pair", &input, "--out", "pair.csv"])
        .output()
        .unwrap();
    assert_eq!(ensemble.status.code(), Some(1), "{}", String::from_utf8_lossy(&ensemble.stderr));
    let single = std::fs::read_to_string(dir.join("cwd/named.csv")).unwrap();
    let pair = std::fs::read_to_string(dir.join("cwd/pair.csv")).unwrap();
    let (single_header, pair_header) = (single.lines().next().unwrap(), pair.lines().next().unwrap());
    assert_eq!(pair_header, format!("{single_header},formation_energy_std[eV/atom]"));
    for (a, b) in single.lines().zip(pair.lines()).skip(1) {
        assert_eq!(b, format!("{a},0"), "the mean of one network twice is that network");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
