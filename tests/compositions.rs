//! `screen compositions`: the four `smact_filter` reference runs of
//! `../shared/data/chem/smact_reference.json` reproduced through the CLI (as sets), output
//! formats, and usage errors.

use serde_json::Value;
use std::collections::BTreeSet;
use std::process::{Command, Output};

fn screen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_screen")).args(args).output().expect("screen runs")
}

const REFERENCE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/chem/smact_reference.json");

/// A result as a set of (element, oxidation state, count), independent of element order.
type Row = BTreeSet<(String, i64, u64)>;

#[test]
fn reference_pools_through_the_cli() {
    let text = std::fs::read_to_string(REFERENCE).unwrap_or_else(|e| panic!("{REFERENCE}: {e}"));
    let reference: Value = serde_json::from_str(&text).unwrap();
    let dir = std::env::temp_dir().join(format!("screen-compositions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut checked = 0;
    for run in reference["smact_filter"].as_array().unwrap() {
        let call = run["call"].as_str().unwrap();
        let (threshold, set) = if call.contains("threshold=4") { ("4", "smact14") } else { ("8", "icsd24") };
        let elements: Vec<&str> = run["elements"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
        let out = dir.join(format!("{}-{set}.jsonl", elements.join("")));
        let o = screen(&[
            "compositions",
            "--elements",
            &elements.join(","),
            "--size",
            &elements.len().to_string(),
            "--max-stoich",
            threshold,
            "--oxidation-states",
            set,
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let got: BTreeSet<Row> = std::fs::read_to_string(&out)
            .unwrap()
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                let els = v["elements"].as_array().unwrap();
                let ox = v["oxidation_states"].as_array().unwrap();
                let n = v["stoichiometry"].as_array().unwrap();
                (0..els.len())
                    .map(|i| (els[i].as_str().unwrap().to_string(), ox[i].as_i64().unwrap(), n[i].as_u64().unwrap()))
                    .collect()
            })
            .collect();
        let expected: BTreeSet<Row> = run["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (0..elements.len())
                    .map(|i| (r[0][i].as_str().unwrap().to_string(), r[1][i].as_i64().unwrap(), r[2][i].as_u64().unwrap()))
                    .collect()
            })
            .collect();
        assert_eq!(got.len() as u64, run["n_results"].as_u64().unwrap(), "{elements:?} {call}");
        assert_eq!(got, expected, "{elements:?} {call}");
        checked += 1;
    }
    assert_eq!(checked, 5);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn csv_to_stdout_and_unique_stoichiometries() {
    let o = screen(&["compositions", "--elements", "O,Fe", "--size", "2", "--max-stoich", "3"]);
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("formula,elements,oxidation_states,stoichiometry"));
    // Cation first, whatever the order given.
    assert!(text.contains("Fe2O3,Fe O,3 -2,2 3"), "{text}");
    let unique = screen(&["compositions", "--elements", "Fe,O", "--size", "2", "--max-stoich", "3", "--unique"]);
    let unique = String::from_utf8(unique.stdout).unwrap();
    assert!(unique.lines().count() < text.lines().count());
    assert_eq!(unique.lines().filter(|l| l.starts_with("FeO,")).count(), 1);
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["compositions", "--elements", "Li,Xx"],
        vec!["compositions", "--elements", "He,F"],
        vec!["compositions", "--elements", "Li,F", "--oxidation-states", "nope"],
        vec!["compositions", "--elements", "Li,F", "-o", "x.txt"],
        vec!["compositions"],
    ] {
        let o = screen(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    }
    let help = screen(&["compositions", "--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("--max-stoich"));
}
