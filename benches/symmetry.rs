//! Symmetry dataset per structure, spglib vs moyo, on three corpus structures of 5, 8 and 56
//! atoms (the same files `benches/pymatgen_symmetry.py` times with pymatgen's
//! SpacegroupAnalyzer), at pymatgen's default tolerances (symprec 0.01 Å, 5°).
//!
//!     cargo bench -p screen-engine --bench symmetry
//!     python3 benches/pymatgen_symmetry.py

use criterion::{Criterion, criterion_group, criterion_main};
use screen_engine::crystal::Crystal;
use screen_engine::formats::{self, ReadOptions};
use screen_engine::symmetry::{Backend, SymmetryDataset, SymmetryOptions};
use std::hint::black_box;
use std::path::Path;

/// (label, corpus file) — keep in sync with `benches/pymatgen_symmetry.py`.
pub const STRUCTURES: [(&str, &str); 3] = [
    ("5_atoms_PbTiO3_Pm-3m", "poscar/jarvis__core__POSCAR-JVASP-4957"),
    ("8_atoms_Si_Fd-3m", "poscar/jarvis__io__phonopy__POSCAR"),
    ("56_atoms_Na2MoO4_Fd-3m", "cif/cod-tools__tests__inputs__spacegroup-builder__cif__2240655.cif"),
];

fn load(rel: &str) -> Crystal {
    let dir = std::env::var("SCREEN_CORPUS").unwrap_or_else(|_| {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/structures").display().to_string()
    });
    let path = Path::new(&dir).join(rel);
    let records = formats::read_path(&path, None, &ReadOptions::default()).expect("corpus file reads");
    records.into_iter().next().expect("one structure").expect("valid").structure.as_crystal().cloned().expect("crystal")
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("symmetry_dataset");
    for (label, file) in STRUCTURES {
        let crystal = load(file);
        // moyo with the 5° angle tolerance runs two searches (the first, distance-only, checks
        // that the second cannot run away; see `SymmetryOptions::answering_backend`); without an
        // explicit angle tolerance it runs one.
        let moyo_distance_only = SymmetryOptions { angle_tolerance: None, ..SymmetryOptions::default() };
        for (name, options) in [
            ("spglib", SymmetryOptions::default()),
            ("moyo", SymmetryOptions::default().with_backend(Backend::Moyo)),
            ("moyo_no_angle_tolerance", moyo_distance_only.with_backend(Backend::Moyo)),
        ] {
            let d = SymmetryDataset::new(&crystal, &options).expect("symmetry found");
            println!("{label} ({} sites): {name} → {} (No. {}, answered by {})", crystal.num_sites(), d.international, d.number, d.backend);
            group.bench_function(format!("{label}/{name}"), |b| {
                b.iter(|| SymmetryDataset::new(black_box(&crystal), &options).map(|d| d.number))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
