//! Acceptance test of the substitution volume rule: regenerate every cubic perovskite of the
//! Castelli et al. (2012) set (`../shared/data/castelli_perovskites_matbench.jsonl.gz`, 18,928
//! ABX3 with X3 = O3, O2N, ON2, N3, O2F, NOF, O2S; RPBE-relaxed cubic cells) by substituting its
//! A, B and anions into the built-in `perovskite` prototype, and compare the lattice parameter.
//!
//! Which cation is B: the one whose three anion neighbours are nearest (sum of minimum-image
//! distances), since the relaxed cells keep the cubic lattice but not always the site order.
//!
//! Run with `cargo test -p screen-engine --test castelli_lattice -- --nocapture` to see the
//! numbers (they are in the README).

use flate2::read::GzDecoder;
use screen_engine::chem::Element;
use screen_engine::filter::{PerovskiteOptions, SmactOptions, octahedral_factor_in_range, smact_composition, tolerance_factor_in_range};
use screen_engine::prototype::Prototype;
use screen_engine::substitute::{Substitution, VolumeRule};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/castelli_perovskites_matbench.jsonl.gz");

struct Record {
    a: Element,
    b: Element,
    anions: Vec<Element>,
    a_dft: f64,
}

fn records() -> Vec<Record> {
    let file = std::fs::File::open(DATA).unwrap_or_else(|e| panic!("{DATA}: {e}"));
    let mut out = Vec::new();
    for (n, line) in BufReader::new(GzDecoder::new(file)).lines().enumerate() {
        let line = line.unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{DATA}:{}: {e}", n + 1));
        let lattice: Vec<Vec<f64>> = serde_json::from_value(v["lattice"].clone()).unwrap();
        let a_dft = lattice[0][0];
        assert!((lattice[1][1] - a_dft).abs() < 1e-6 && (lattice[2][2] - a_dft).abs() < 1e-6, "line {}", n + 1);
        let z: Vec<u32> = serde_json::from_value(v["species"].clone()).unwrap();
        let f: Vec<[f64; 3]> = serde_json::from_value(v["frac_coords"].clone()).unwrap();
        assert_eq!(z.len(), 5);
        let dist = |p: [f64; 3], q: [f64; 3]| {
            (0..3).map(|k| ((p[k] - q[k]) - (p[k] - q[k]).round()).powi(2)).sum::<f64>().sqrt()
        };
        let reach = |i: usize| (2..5).map(|k| dist(f[i], f[k])).sum::<f64>();
        let (ia, ib) = if reach(0) < reach(1) { (1, 0) } else { (0, 1) };
        let el = |z: u32| Element::from_z(z).unwrap();
        let mut anions: Vec<Element> = z[2..].iter().map(|&z| el(z)).collect();
        anions.sort_by_key(|e| std::cmp::Reverse(e.z() == 8)); // O first: "O,O,N"
        out.push(Record { a: el(z[ia]), b: el(z[ib]), anions, a_dft });
    }
    out
}

struct Stats {
    n: usize,
    mean_rel: f64,
    median_rel: f64,
    mean_signed: f64,
}

fn stats(mut errors: Vec<f64>) -> Stats {
    let n = errors.len();
    let mean_signed = errors.iter().sum::<f64>() / n as f64;
    let mut abs: Vec<f64> = errors.drain(..).map(f64::abs).collect();
    abs.sort_by(f64::total_cmp);
    Stats { n, mean_rel: abs.iter().sum::<f64>() / n as f64, median_rel: abs[n / 2], mean_signed }
}

#[test]
fn castelli_lattice_parameters_from_the_volume_rule() {
    let records = records();
    assert_eq!(records.len(), 18_928);
    let prototype = Prototype::builtin("perovskite").unwrap();
    // The 52 cations of the set, each on A and on B, and the seven anion triples.
    let mut cations: Vec<Element> = records.iter().flat_map(|r| [r.a, r.b]).collect();
    cations.sort();
    cations.dedup();
    let mut triples: Vec<Vec<Element>> = records.iter().map(|r| r.anions.clone()).collect();
    triples.sort();
    triples.dedup();
    assert_eq!(triples.len(), 7);
    assert_eq!(cations.len(), 52);
    let symbols: Vec<&str> = cations.iter().map(|e| e.symbol()).collect();
    let smact = SmactOptions::default();
    let mut report = BTreeMap::new();
    for rule in [VolumeRule::Contact, VolumeRule::IonicVolumeRatio] {
        let subs: Vec<Substitution> = triples
            .iter()
            .map(|t| {
                let x = t.iter().map(|e| e.symbol()).collect::<Vec<_>>().join(",");
                Substitution::parse(prototype.clone(), [("A", symbols.clone()), ("B", symbols.clone()), ("X", vec![x.as_str()])])
                    .unwrap()
                    .with_volume_rule(rule)
            })
            .collect();
        let (mut all, mut valid, mut plausible) = (Vec::new(), Vec::new(), Vec::new());
        let mut comp = Vec::new();
        for r in &records {
            let t = triples.iter().position(|t| *t == r.anions).unwrap();
            let ia = cations.iter().position(|&e| e == r.a).unwrap();
            let ib = cations.iter().position(|&e| e == r.b).unwrap();
            let index = (ia * cations.len() + ib) as u64;
            let assignment = subs[t].assignment(index).unwrap();
            let c = assignment.candidate().unwrap();
            // The regenerated structure has the record's composition.
            let mut want = vec![r.a, r.b];
            want.extend(&r.anions);
            let mut got: Vec<Element> = c.crystal.sites.iter().map(|s| s.occupancy.species()[0].0.element).collect();
            got.sort();
            want.sort();
            assert_eq!(got, want);
            let a = c.crystal.lattice.parameters().a;
            let err = (a - r.a_dft) / r.a_dft;
            all.push(err);
            assignment.composition_into(&mut comp);
            if smact_composition(&comp, &smact).is_ok() {
                valid.push(err);
                let geometry = PerovskiteOptions::default();
                if tolerance_factor_in_range(&c, &geometry).is_ok() && octahedral_factor_in_range(&c, &geometry).is_ok() {
                    plausible.push(err);
                }
            }
        }
        let (s_all, s_valid, s_plausible) = (stats(all), stats(valid), stats(plausible));
        for (name, s) in [("all", &s_all), ("SMACT-valid", &s_valid), ("valid + t, mu in range", &s_plausible)] {
            println!(
                "{:>18} {:>24} ({:>5}): mean |Δa|/a = {:5.2}%  median {:5.2}%  mean signed {:+6.2}%",
                rule.name(),
                name,
                s.n,
                100.0 * s.mean_rel,
                100.0 * s.median_rel,
                100.0 * s.mean_signed,
            );
        }
        report.insert(rule.name(), (s_all.mean_rel, s_plausible.mean_rel));
    }
    let (contact_all, contact_plausible) = report["contact"];
    assert!(contact_all < BOUND_ALL, "contact rule: mean relative error {contact_all}");
    assert!(contact_plausible < BOUND_PLAUSIBLE, "contact rule on plausible perovskites: {contact_plausible}");
    // The default rule is the best of the three on this set.
    for (name, (all, plausible)) in &report {
        assert!(contact_all <= *all && contact_plausible <= *plausible + 1e-3, "{name}");
    }
}

/// Measured 7.17 % (all) and 2.57 % (plausible), 2026-12-06.
const BOUND_ALL: f64 = 0.075;
const BOUND_PLAUSIBLE: f64 = 0.03;
