//! End-to-end tests of `screen run`: determinism across thread counts, filter plugins (Rhai
//! and Rust), the sandbox, Ctrl-C, and the README's flagship command.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

use common::screen_in;

fn screen(dir: &Path, args: &[&str]) -> Output {
    screen_in(dir, args, Duration::from_secs(300))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("screen-run-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A model directory made of the CrystalFramer parity fixture (a real trained network with
/// reference outputs; its target is JARVIS formation energy per atom).
fn fixture_model(dir: &Path) -> PathBuf {
    let fixtures = repo().join("../shared/fixtures/crystalframer_parity");
    let model = dir.join("models/parity-small");
    std::fs::create_dir_all(&model).unwrap();
    std::fs::copy(fixtures.join("crystalframer_max_small_lightweight.weights.safetensors"), model.join("model.safetensors"))
        .expect("parity fixture weights (../shared)");
    std::fs::copy(fixtures.join("crystalframer_max_small_lightweight.config.json"), model.join("config.json")).unwrap();
    std::fs::write(model.join("metadata.json"), r#"{"targets":[{"name":"formation_energy","unit":"eV/atom"}]}"#).unwrap();
    model
}

const SCREEN: &str = r#"
fn perovskites() {
    let metals = ["Li", "Na", "K", "Rb", "Cs", "Mg", "Ca", "Sr", "Ba", "La", "Y", "Sc",
                  "Ti", "Zr", "Hf", "V", "Nb", "Ta", "Cr", "Mo", "W", "Fe", "Al", "Ga", "In"];
    let s = substitute(prototype("perovskite"), #{ A: metals, B: metals, X: ["O3", "O2N", "O2F", "N3"] });
    s.filter("charge_neutral");
    s.filter("smact");
    s.compute("tolerance_factor");
    s.filter("tolerance_factor", #{ min: 0.75, max: 1.1 });
    s.filter(|c| c.A != c.B);
    s.compute("density");
    s.predict("models/parity-small");
    s.compute("score", |c| c.formation_energy * 5.0 + c.tolerance_factor, "eV");
    s
}
let all = perovskites();
all.write("out/all.csv");
all.write("out/all.jsonl");
all.run();
let best = perovskites();
best.sort_by("formation_energy");
best.top(20);
best.write("out/top.csv");
best.write("out/top_cifs/");
best.run();
"#;

#[test]
fn one_and_two_threads_write_identical_files() {
    let dir = tempdir("threads");
    fixture_model(&dir);
    std::fs::write(dir.join("screen.rhai"), SCREEN).unwrap();
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let _ = std::fs::remove_dir_all(dir.join("out"));
        let out = screen(&dir, &["run", "screen.rhai", "--threads", threads]);
        assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        for name in ["all.csv", "all.jsonl", "top.csv"] {
            files.push((name.into(), std::fs::read(dir.join("out").join(name)).unwrap()));
        }
        let mut cifs: Vec<_> = std::fs::read_dir(dir.join("out/top_cifs")).unwrap().flatten().map(|e| e.path()).collect();
        cifs.sort();
        assert_eq!(cifs.len(), 20);
        for p in cifs {
            files.push((p.file_name().unwrap().to_string_lossy().into(), std::fs::read(&p).unwrap()));
        }
        outputs.push((files, text(&out.stdout)));
    }
    assert_eq!(outputs[0].0, outputs[1].0, "outputs differ between 1 and 2 threads");
    let csv = text(&outputs[0].0[0].1);
    let header = csv.lines().next().unwrap();
    assert_eq!(header, "id,formula,tolerance_factor,density[g/cm^3],formation_energy[eV/atom],score[eV]");
    assert!(csv.lines().count() > 100, "{csv}");
    // The summary names every stage with its removals.
    let summary = &outputs[0].1;
    assert!(summary.contains("not charge neutral: 159"), "{summary}");
    assert!(summary.contains("tolerance factor out of range"), "{summary}");
    assert!(summary.contains("beyond the top 20"), "{summary}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn rhai_filter_plugin_from_the_plugins_directory() {
    let dir = tempdir("plugin");
    std::fs::create_dir_all(dir.join("plugins.d")).unwrap();
    std::fs::write(
        dir.join("plugins.d/max_a_mass.rhai"),
        "fn filter(c, options) {\n    let limit = options.get(\"max\") ?? 100.0;\n    if element(c.A).mass <= limit { true } else { \"A site too heavy\" }\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("plugin.rhai"),
        "let s = substitute(prototype(\"perovskite\"), #{ A: [\"Ca\", \"Sr\", \"Ba\"], B: [\"Ti\", \"Zr\"], X: [\"O3\"] });\n\
         s.filter(\"max_a_mass\", #{ max: 90.0 });\n\
         s.filter(\"benign\");\n\
         s.write(\"out.csv\");\n\
         s.run();\n",
    )
    .unwrap();
    let out = screen(&dir, &["run", "plugin.rhai"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = std::fs::read_to_string(dir.join("out.csv")).unwrap();
    let ids: Vec<&str> = csv.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(ids, ["perovskite:Ca-Ti-O3", "perovskite:Ca-Zr-O3", "perovskite:Sr-Ti-O3", "perovskite:Sr-Zr-O3"]);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("max_a_mass (max: 90)") && stdout.contains("A site too heavy: 2"), "{stdout}");

    // A broken plugin is an error naming the plugin file and line.
    std::fs::write(dir.join("plugins.d/broken.rhai"), "fn filter(c) {\n  c.x +\n}\n").unwrap();
    let out = screen(&dir, &["run", "plugin.rhai"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("plugins.d/broken.rhai:3:"), "{}", text(&out.stderr));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn sandbox_errors_are_clear() {
    let dir = tempdir("sandbox");
    let cases = [
        ("read.rhai", "let s = read(\"/etc\");\ns.run();\n", "read.rhai:1:9: sandbox: cannot read '/etc'"),
        ("up.rhai", "\nlet p = load_prototype(\"../../x.cif\");\n", "up.rhai:2:9: sandbox: cannot read '../../x.cif'"),
        ("process.rhai", "let x = 1;\nsystem(\"ls\");\n", "process.rhai:2:1: sandbox: 'system': screen scripts cannot run processes"),
        ("loop.rhai", "let n = 0;\nwhile true { n += 1; }\n", "exceeded its operation limit (100000 operations"),
        ("write.rhai", "let s = substitute(prototype(\"cscl\"), #{ A: [\"Cs\"] });\ns.write(\"/tmp/screen-out.csv\");\n", "write.rhai:2:3: sandbox: cannot write"),
    ];
    std::fs::write(dir.join("screen.toml"), "[sandbox]\nmax_operations = 100_000\n").unwrap();
    for (name, script, expected) in cases {
        std::fs::write(dir.join(name), script).unwrap();
        let out = screen(&dir, &["run", name]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(text(&out.stderr).contains(expected), "{name}: {}", text(&out.stderr));
    }
    // --allow opens a path.
    let data = dir.join("../").canonicalize().unwrap().join(format!("screen-run-data-{}", std::process::id()));
    std::fs::create_dir_all(&data).unwrap();
    std::fs::copy(repo().join("tests/data/SrTiO3.cif"), data.join("SrTiO3.cif")).unwrap();
    std::fs::write(dir.join("allowed.rhai"), format!("let s = read(\"{}\");\ns.run();\n", data.display())).unwrap();
    let out = screen(&dir, &["run", "allowed.rhai"]);
    assert_eq!(out.status.code(), Some(2));
    let out = screen(&dir, &["run", "allowed.rhai", "--allow", &data.display().to_string()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::remove_dir_all(&data).ok();
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(unix)]
#[test]
fn sigint_leaves_complete_outputs() {
    let dir = tempdir("sigint");
    // Endless enough: ~7 million candidates, streamed to the outputs as they pass.
    std::fs::write(
        dir.join("long.rhai"),
        "let m = elements(\"metals\");\n\
         let s = substitute(prototype(\"double_perovskite\"), #{ A: m, B1: m, B2: m, X: [\"O\", \"F\", \"N\", \"S\"] });\n\
         s.filter(\"smact\");\n\
         s.compute(\"tolerance_factor\");\n\
         s.write(\"out/long.csv\");\n\
         s.write(\"out/long.jsonl\");\n\
         s.run();\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_screen"))
        .args(["run", "long.rhai", "--threads", "2"])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("screen runs");
    let csv = dir.join("out/long.csv");
    let deadline = Instant::now() + Duration::from_secs(120);
    while std::fs::read_to_string(&csv).map_or(0, |t| t.lines().count()) < 50 {
        assert!(Instant::now() < deadline, "no output after 120 s");
        assert!(child.try_wait().unwrap().is_none(), "finished before the interrupt");
        std::thread::sleep(Duration::from_millis(50));
    }
    let kill = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "did not stop within 60 s of SIGINT");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stdout = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(stdout.contains("interrupted"), "{stdout}");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.ends_with('\n'));
    let mut lines = text.lines();
    let columns = lines.next().unwrap().split(',').count();
    let rows: Vec<&str> = lines.collect();
    assert!(rows.len() >= 49);
    assert!(rows.iter().all(|r| r.split(',').count() == columns), "a partial row");
    let jsonl = std::fs::read_to_string(dir.join("out/long.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = jsonl.lines().map(|l| serde_json::from_str(l).expect("whole JSON records")).collect();
    assert_eq!(records.len(), rows.len(), "both outputs hold the same candidates");
    std::fs::remove_dir_all(&dir).ok();
}

/// The README's main command (`screen run scripts/substitute.rhai`), with a smaller top-k.
/// Needs the shipped perovskite models.
#[test]
fn flagship_script_writes_a_ranked_csv() {
    let dir = tempdir("flagship");
    let out_csv = dir.join("substitute.csv");
    let out = screen_in(
        &repo(),
        &["run", "scripts/substitute.rhai", "--threads", "2", "--set", &format!("out={}", out_csv.display())],
        Duration::from_secs(900),
    );
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let csv = std::fs::read_to_string(&out_csv).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let e = header.iter().position(|h| h.starts_with("e_form")).expect("e_form column");
    let g = header.iter().position(|h| h.starts_with("gap_gllbsc")).expect("gap column");
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .map(|r| vec![r[e].parse().unwrap(), r[g].parse().unwrap()])
        .collect();
    assert!(!rows.is_empty(), "the shipped models keep some candidates (103 when last measured)");
    assert!(rows.iter().all(|r| r[0] < 1.0 && (1.5..=3.0).contains(&r[1])));
    assert!(rows.windows(2).all(|w| w[0][0] <= w[1][0]), "ranked by heat of formation");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("18928 candidates"), "{stdout}");
    assert!(stdout.contains("not charge neutral"), "{stdout}");
    assert!(stdout.contains("predict perovskite-eform") && stdout.contains("predict perovskite-gap"), "{stdout}");
    std::fs::remove_dir_all(&dir).ok();
}
