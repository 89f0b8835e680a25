//! Every ```rhai example of docs/rhai.md runs with `screen run` and succeeds. Examples tagged
//! ```rhai,models need the shipped perovskite models.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// (first line, tag, code) of each fenced rhai block.
fn examples(markdown: &str) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String, String)> = None;
    for (i, line) in markdown.lines().enumerate() {
        match &mut current {
            None => {
                if let Some(tag) = line.strip_prefix("```rhai") {
                    current = Some((i + 1, tag.trim_start_matches(',').to_string(), String::new()));
                }
            }
            Some((_, _, code)) => {
                if line.starts_with("```") {
                    out.extend(current.take());
                } else {
                    code.push_str(line);
                    code.push('\n');
                }
            }
        }
    }
    out
}

/// A directory with `structures/`: five Castelli perovskites as a JSON Lines file.
fn workspace() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("screen-rhai-docs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("structures")).unwrap();
    let data = repo().join("../shared/data/castelli_perovskites_matbench.jsonl.gz");
    let file = std::fs::File::open(&data).expect("../shared data");
    let mut text = String::new();
    use std::io::Read;
    flate2::read::GzDecoder::new(file).take(4000).read_to_string(&mut text).ok();
    let lines: Vec<&str> = text.lines().take(5).collect();
    assert_eq!(lines.len(), 5);
    std::fs::write(dir.join("structures/castelli.jsonl"), lines.join("\n") + "\n").unwrap();
    dir
}

#[test]
fn every_rhai_example_in_the_docs_runs() {
    let markdown = std::fs::read_to_string(repo().join("docs/rhai.md")).unwrap();
    let all = examples(&markdown);
    assert!(all.len() >= 8, "found only {} examples", all.len());
    let dir = workspace();
    let mut ran = 0;
    for (line, _tag, code) in all {
        let script = dir.join(format!("example_{line}.rhai"));
        std::fs::write(&script, &code).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_screen"))
            .args(["run", "--quiet", "--threads", "2"])
            .arg(&script)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "docs/rhai.md:{line}: example failed:\n{code}\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        ran += 1;
    }
    assert!(ran >= 7);
    let _ = Path::new(&dir);
    std::fs::remove_dir_all(&dir).ok();
}
