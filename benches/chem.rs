//! Chemistry and candidate-generation throughput (criterion). Groups:
//!
//! - `ternary_sweep`: SMACT's `smact_filter` (threshold 8, `icsd24`) over all 2,925 ternary
//!   combinations of a 27-element pool of 19 cations and 8 anions — the sweep of SMACT's docs
//!   (which time it at 14.6 s); `benches/compare_smact.py` runs SMACT on the same pool;
//! - `substitution`: explicit substitution into the cubic perovskite (52 A × 52 B × 7 anion
//!   decorations = 18,928 candidates, the Castelli set): building every candidate
//!   (`candidate`), and the composition-only SMACT pre-filter (`assignment + smact`);
//!   candidates/s on one thread.
//!
//! Run: `cargo bench -p screen-engine --bench chem [-- GROUP]`. Numbers in benches/README.md.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use screen_engine::chem::Element;
use screen_engine::chem::screening::{FilterOptions, for_each_neutral_composition};
use screen_engine::filter::{SmactOptions, smact_composition};
use screen_engine::prototype::Prototype;
use screen_engine::substitute::Substitution;
use std::hint::black_box;

/// The 27-element pool (same in `compare_smact.py`).
pub const CATIONS: [&str; 19] = [
    "Li", "Na", "K", "Rb", "Cs", "Mg", "Ca", "Sr", "Ba", "Al", "Ga", "In", "Ti", "Zr", "Zn", "Cd", "Sn", "Pb", "Bi",
];
pub const ANIONS: [&str; 8] = ["O", "S", "Se", "Te", "F", "Cl", "Br", "I"];

fn el(s: &str) -> Element {
    Element::from_symbol(s).unwrap()
}

fn ternaries() -> Vec<[Element; 3]> {
    let pool: Vec<Element> = CATIONS.iter().chain(&ANIONS).map(|s| el(s)).collect();
    let n = pool.len();
    let mut out = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            for k in j + 1..n {
                out.push([pool[i], pool[j], pool[k]]);
            }
        }
    }
    out
}

fn ternary_sweep(c: &mut Criterion) {
    let systems = ternaries();
    assert_eq!(systems.len(), 2925);
    let options = FilterOptions::default();
    let mut group = c.benchmark_group("ternary_sweep");
    group.throughput(Throughput::Elements(systems.len() as u64));
    group.bench_function("smact_filter_2925", |b| {
        b.iter(|| {
            let mut n = 0u64;
            for t in &systems {
                for_each_neutral_composition(t, &options, |_, _| n += 1).unwrap();
            }
            black_box(n)
        })
    });
    group.finish();
}

/// The Castelli-style perovskite substitution: the 52 cations of the set on A and B, seven
/// anion decorations.
pub fn castelli_substitution() -> Substitution {
    let cations = [
        "Ag", "Al", "As", "Au", "B", "Ba", "Be", "Bi", "Ca", "Cd", "Co", "Cr", "Cs", "Cu", "Fe", "Ga", "Ge", "Hf", "Hg",
        "In", "Ir", "K", "La", "Li", "Mg", "Mn", "Mo", "Na", "Nb", "Ni", "Os", "Pb", "Pd", "Pt", "Rb", "Re", "Rh", "Ru",
        "Sb", "Sc", "Si", "Sn", "Sr", "Ta", "Te", "Ti", "Tl", "V", "W", "Y", "Zn", "Zr",
    ];
    let anions = ["O", "O2N", "ON2", "N", "O2F", "ONF", "O2S"];
    Substitution::parse(
        Prototype::builtin("perovskite").unwrap(),
        [("A", cations.to_vec()), ("B", cations.to_vec()), ("X", anions.to_vec())],
    )
    .unwrap()
}

fn substitution(c: &mut Criterion) {
    let sub = castelli_substitution();
    let n = sub.len();
    let options = SmactOptions::default();
    let mut group = c.benchmark_group("substitution");
    group.throughput(Throughput::Elements(n));
    group.bench_function("candidate", |b| {
        b.iter(|| {
            for i in 0..n {
                black_box(sub.candidate(i).unwrap());
            }
        })
    });
    group.bench_function("assignment_smact", |b| {
        let mut comp = Vec::with_capacity(8);
        b.iter(|| {
            let mut valid = 0u64;
            for i in 0..n {
                if let Some(a) = sub.assignment(i) {
                    a.composition_into(&mut comp);
                    valid += u64::from(smact_composition(&comp, &options).is_ok());
                }
            }
            black_box(valid)
        })
    });
    group.finish();
}

criterion_group!(benches, ternary_sweep, substitution);
criterion_main!(benches);
