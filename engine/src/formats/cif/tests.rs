//! Reader and writer tests on small inline files and on the shared corpus.

use super::*;
use crate::crystal::Crystal;
use crate::error::Error;
use crate::formats::{self, Format, ReadOptions};
use std::path::{Path, PathBuf};

fn corpus(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus").join(dir)
}

fn read_one(text: &str) -> Crystal {
    let records = read(text, "t.cif", &ReadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let entry = records.into_iter().next().unwrap().unwrap_or_else(|e| panic!("{e}"));
    entry.structure.as_crystal().unwrap().clone()
}

fn read_err(text: &str) -> String {
    match read(text, "t.cif", &ReadOptions::default()) {
        Err(e) => e.to_string(),
        Ok(records) => records.into_iter().next().unwrap().unwrap_err().to_string(),
    }
}

const NACL: &str = "data_NaCl
_cell_length_a 5.64(1)
_cell_length_b 5.64(1)
_cell_length_c 5.64(1)
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_symmetry_space_group_name_H-M 'F m -3 m'
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
Na1 Na+ 0 0 0
Cl1 Cl- 0.5 0.5 0.5
";

#[test]
fn expands_a_symbol_only_file() {
    let c = read_one(NACL);
    assert_eq!(c.num_sites(), 8);
    assert_eq!(c.composition().reduced_formula(), "NaCl");
    let sym = c.symmetry.as_ref().unwrap();
    assert_eq!(sym.operations.len(), 192);
    assert_eq!(sym.number, Some(225));
    assert_eq!(sym.hermann_mauguin.as_deref(), Some("F m -3 m"));
    assert_eq!(sym.orbits.iter().filter(|&&o| o == 0).count(), 4);
    assert_eq!(c.sites[0].label.as_deref(), Some("Na1"));
    assert_eq!(c.sites[0].occupancy.species()[0].0.oxidation, Some(1.0));
    assert!((c.lattice.parameters().a - 5.64).abs() < 1e-12);
}

#[test]
fn symmetry_sources_in_order() {
    let base = NACL.replace("_symmetry_space_group_name_H-M 'F m -3 m'\n", "");
    // Hall symbol, IT number, operation list, nothing (P1).
    let hall = base.replace("_cell_angle_gamma 90\n", "_cell_angle_gamma 90\n_symmetry_space_group_name_Hall '-F 4 2 3'\n");
    assert_eq!(read_one(&hall).num_sites(), 8);
    let number = base.replace("_cell_angle_gamma 90\n", "_cell_angle_gamma 90\n_space_group_IT_number 225\n");
    assert_eq!(read_one(&number).num_sites(), 8);
    let ops = base.replace(
        "_cell_angle_gamma 90\n",
        "_cell_angle_gamma 90\nloop_\n_space_group_symop.operation_xyz\n'x, y, z'\n'-x+1/2, -y+1/2, z'\n",
    );
    assert_eq!(read_one(&ops).num_sites(), 4);
    let p1 = read_one(&base);
    assert_eq!(p1.num_sites(), 2);
    assert_eq!(p1.symmetry.unwrap().operations.len(), 1);
    // An operator list wins over a symbol; an unknown symbol alone is an error.
    let both = NACL.replace("_cell_angle_gamma 90\n", "_cell_angle_gamma 90\nloop_\n_symmetry_equiv_pos_as_xyz\nx,y,z\n");
    assert_eq!(read_one(&both).num_sites(), 2);
    let e = read_err(&NACL.replace("'F m -3 m'", "'Q 9'"));
    assert!(e.contains("t.cif:8:1: data block 'NaCl': unknown space group"), "{e}");
    let e = read_err(&number.replace("225", "0"));
    assert!(e.contains("not a space-group number"), "{e}");
    // An unquoted symbol with spaces is spoilt; the IT number still gives the group.
    let spoilt = number.replace("_space_group_IT_number 225", "_space_group_IT_number 225\n_symmetry_space_group_name_H-M F m -3 m");
    assert_eq!(read_one(&spoilt).num_sites(), 8);
    let e = read_err(&spoilt.replace("_space_group_IT_number 225\n", ""));
    assert!(e.contains("unexpected extra value after _symmetry_space_group_name_H-M"), "{e}");
}

#[test]
fn disorder_and_merging() {
    let text = "data_d
_cell_length_a 4
_cell_length_b 4
_cell_length_c 4
loop_
_symmetry_equiv_pos_as_xyz
x,y,z
-x,-y,-z
loop_
_atom_site_label
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_occupancy
Fe1 0.25 0.25 0.25 0.5
Ni1 -0.25 -0.25 -0.25 0.5
O1 0.5 0.5 0.5 1
O2 0.00005 0 0 0
Se1 0.33332 0.66668 0 ?
";
    let c = read_one(text);
    // Fe/Ni share both images; O at an inversion centre is one site; O2 (occupancy 0) is
    // skipped; Se at (1/3, 2/3, 0) is snapped before expansion.
    assert_eq!(c.num_sites(), 5);
    let fe = &c.sites[0];
    assert_eq!(fe.occupancy.species().len(), 2);
    assert!((fe.occupancy.total() - 1.0).abs() < 1e-12);
    assert_eq!(c.sites[1].occupancy.species().len(), 2);
    let se = c.sites.iter().find(|s| s.occupancy.majority_element().symbol() == "Se").unwrap();
    assert_eq!(se.frac, [1.0 / 3.0, 2.0 / 3.0, 0.0]);
    assert_eq!(c.symmetry.as_ref().unwrap().orbits, vec![0, 0, 1, 2, 2]);
    // Full occupancies on one position add up above 1: an error at the first row's line.
    let e = read_err(&text.replace("Ni1 -0.25 -0.25 -0.25 0.5", "Ni1 -0.25 -0.25 -0.25 1"));
    assert!(e.contains("t.cif:15:5:") && e.contains("'Fe1' (line 15) + 'Ni1' (line 16)"), "{e}");
}

#[test]
fn species_labels_and_oxidation() {
    let text = "data_s
_cell_length_a 5 _cell_length_b 5 _cell_length_c 5
_cell_angle_alpha 90 _cell_angle_beta 90 _cell_angle_gamma 90
loop_
_atom_type_symbol
_atom_type_oxidation_number
Fe3+ 3
O2- -2
loop_
_atom_site_label
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
FE1a 0 0 0
O1 0.5 0.5 0.5
Wat 0.5 0 0
";
    let c = read_one(text);
    let names: Vec<String> = c.sites.iter().map(|s| s.occupancy.species()[0].0.to_string()).collect();
    assert_eq!(names, ["Fe3+", "O2-", "O2-"]);
    let e = read_err(&text.replace("FE1a", "Qq1"));
    assert!(e.contains("t.cif:14:1:") && e.contains("unknown element 'Qq' in _atom_site_label"), "{e}");
}

#[test]
fn cartesian_sites_and_missing_angles() {
    let text = "data_c
_cell_length_a 4
_cell_length_b 5
_cell_length_c 6
loop_
_atom_site_type_symbol
_atom_site_Cartn_x
_atom_site_Cartn_y
_atom_site_Cartn_z
C 2 2.5 3
";
    let c = read_one(text);
    assert_eq!(c.lattice.parameters().gamma, 90.0);
    assert_eq!(c.sites[0].frac, [0.5, 0.5, 0.5]);
}

#[test]
fn rhombohedral_axes_follow_the_cell() {
    // R-3m named by symbol on rhombohedral axes: 12 operations, not the 36 of hexagonal axes.
    let text = "data_r
_cell_length_a 5 _cell_length_b 5 _cell_length_c 5
_cell_angle_alpha 60 _cell_angle_beta 60 _cell_angle_gamma 60
_symmetry_space_group_name_H-M 'R -3 m'
loop_
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
Bi 0.1 0.1 0.1
";
    let c = read_one(text);
    assert_eq!(c.symmetry.as_ref().unwrap().operations.len(), 12);
    assert_eq!(c.num_sites(), 2);
}

#[test]
fn magnetic_operations_and_moments() {
    let text = "data_m
_cell_length_a 4 _cell_length_b 4 _cell_length_c 4
loop_
_space_group_symop_magn_operation.id
_space_group_symop_magn_operation.xyz
1 x,y,z,+1
2 -x,-y,-z,+1
loop_
_space_group_symop_magn_centering.id
_space_group_symop_magn_centering.xyz
1 x,y,z,+1
2 x+1/2,y+1/2,z+1/2,-1
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
Mn1 Mn 0 0 0
loop_
_atom_site_moment.label
_atom_site_moment.crystalaxis_x
_atom_site_moment.crystalaxis_y
_atom_site_moment.crystalaxis_z
Mn1 0 0 3
";
    let c = read_one(text);
    assert_eq!(c.num_sites(), 2);
    let m = &c.site_properties["magmom"];
    assert_eq!(m.values, crate::crystal::PropertyValues::Real(vec![0.0, 0.0, 3.0, 0.0, 0.0, -3.0]));
}

#[test]
fn cif2_file() {
    let text = "#\\#CIF_2.0
data_two
_cell.length_a 3 _cell.length_b 3 _cell.length_c 3
_cell.angle_alpha 90 _cell.angle_beta 90 _cell.angle_gamma 90
_extra [1 2 {'a':'''x'''}]
loop_
_atom_site.label _atom_site.type_symbol _atom_site.fract_x _atom_site.fract_y _atom_site.fract_z
Po1 Po 0 0 0
";
    assert_eq!(read_one(text).num_sites(), 1);
}

#[test]
fn blocks_are_separate_records() {
    let text = format!("data_info\n_publ_section_title 'no structure'\n{NACL}");
    let records = read(&text, "t.cif", &ReadOptions::default()).unwrap();
    assert_eq!(records.len(), 2);
    let e = records[0].as_ref().unwrap_err().to_string();
    assert!(e.contains("data block 'info'") && e.contains("no atom sites"), "{e}");
    let entry = records[1].as_ref().unwrap();
    assert_eq!((entry.id.as_str(), entry.location.as_str()), ("NaCl", "data block 'NaCl'"));
    assert!(read("# nothing\n", "t.cif", &ReadOptions::default()).unwrap_err().to_string().contains("no data block"));
    let e = read_err(&NACL.replace("_cell_length_b 5.64(1)\n", ""));
    assert!(e.contains("_cell_length_b is missing"), "{e}");
    let e = read_err(&NACL.replace("Cl1 Cl- 0.5 0.5 0.5", "Cl1 Cl- 0.5 ? 0.5"));
    assert!(e.contains("t.cif:16:13:") && e.contains("_atom_site_fract_y is unknown"), "{e}");
}

/// Every malformed CIF of the shared corpus gives a located error quickly, except the two
/// the malformed README allows to be read: invalid UTF-8 is read as Latin-1, and the
/// 300 000-character stray word follows `_cell_volume`, which the reader does not use
/// (stray values are rejected only after data names it reads).
#[test]
fn malformed_corpus_files_fail_cleanly() {
    let accepted = ["cif_invalid_utf8.cif", "cif_very_long_line.cif"];
    let mut seen = 0;
    for entry in std::fs::read_dir(corpus("malformed")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.starts_with("cif_") {
            continue;
        }
        seen += 1;
        let result = formats::read_path(&path, None, &ReadOptions::default());
        let errors: Vec<Error> = match result {
            Err(e) => vec![e],
            Ok(records) => {
                if accepted.contains(&name.as_str()) {
                    assert!(records.iter().all(|r| r.is_ok()), "{name}");
                    continue;
                }
                records.into_iter().map(|r| r.expect_err(&name)).collect()
            }
        };
        assert!(!errors.is_empty(), "{name}");
        for e in errors {
            let Error::Parse(p) = &e else { panic!("{name}: not a parse error: {e}") };
            assert!(e.to_string().contains(&name), "{name}: {e}");
            assert!(p.line.is_some() || name == "cif_empty.cif", "{name}: no line in {e}");
        }
    }
    assert_eq!(seen, 27);
}

/// Reading what the writer wrote gives the same crystal: sites as a multiset (1e-6),
/// lattice parameters (1e-8), occupancies and species.
fn assert_roundtrip(c: &Crystal) {
    let mut out = Vec::new();
    write(c, "round trip", &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let back = read_one(&text);
    let (p, q) = (c.lattice.parameters(), back.lattice.parameters());
    for (x, y) in [(p.a, q.a), (p.b, q.b), (p.c, q.c), (p.alpha, q.alpha), (p.beta, q.beta), (p.gamma, q.gamma)] {
        assert!((x - y).abs() < 1e-8, "{x} vs {y}\n{text}");
    }
    assert_eq!(back.num_sites(), c.num_sites(), "{text}");
    let mut used = vec![false; back.num_sites()];
    for site in &c.sites {
        let found = (0..back.num_sites()).find(|&i| {
            !used[i]
                && back.sites[i].occupancy == site.occupancy
                && (0..3).all(|k| {
                    let d = back.sites[i].frac[k] - site.frac[k];
                    (d - d.round()).abs() < 1e-6
                })
        });
        used[found.unwrap_or_else(|| panic!("site {site:?} lost\n{text}"))] = true;
    }
}

#[test]
fn writer_roundtrips_corpus_files() {
    let files = [
        // Symmetric: Fm-3m from explicit operators.
        "pymatgen-core__cif__site_type_symbol_test.cif",
        // Disordered (mixed Ge/Sb sites) and 2 blocks etc.
        "pymatgen-core__cif__srycoo.cif",
        "cod-tools__tests__inputs__1200017.cif",
        "diffpy__LiCl-bad.cif",
        "chemfiles__cif__1544173.cif",
    ];
    for f in files {
        let path = corpus("structures/cif").join(f);
        for record in formats::read_path(&path, Some(Format::Cif), &ReadOptions::default()).unwrap() {
            let entry = record.unwrap_or_else(|e| panic!("{e}"));
            let c = entry.structure.as_crystal().unwrap();
            assert_roundtrip(c);
            // Without symmetry (P1) too.
            let mut p1 = c.clone();
            p1.symmetry = None;
            assert_roundtrip(&p1);
        }
    }
}

#[test]
fn writer_uses_the_asymmetric_unit() {
    let c = read_one(NACL);
    let mut out = Vec::new();
    write(&c, "Na Cl", &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("data_Na_Cl\n"), "{text}");
    assert!(text.contains("_space_group_IT_number 225"), "{text}");
    assert_eq!(text.lines().filter(|l| l.starts_with("Na1 ") || l.starts_with("Cl1 ")).count(), 2, "{text}");
    // Inconsistent symmetry (a site removed) falls back to P1 with every site.
    let broken = c.select_sites(&[0, 1, 2, 4, 5, 6, 7]);
    let mut out = Vec::new();
    write(&broken, "x", &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("'P 1'"), "{text}");
    assert_roundtrip(&broken);
}

/// Release-mode throughput over the corpus CIFs (read + expand + validate), single thread:
/// `cargo test --release -p screen-engine cif_throughput -- --ignored --nocapture`.
#[test]
#[ignore]
fn cif_throughput() {
    let mut files: Vec<(String, String)> = Vec::new();
    for entry in std::fs::read_dir(corpus("structures/cif")).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        if let Ok(text) = formats::decode_text(&bytes, "x") {
            files.push((path.display().to_string(), text.into_owned()));
        }
    }
    let small: Vec<&(String, String)> = files.iter().filter(|(_, t)| t.len() <= 4096).collect();
    let opts = ReadOptions::default();
    let only_small = std::env::var("CIF_SMALL_ONLY").is_ok();
    for (what, set) in [("all", files.iter().collect::<Vec<_>>()), ("small (<= 4 KiB)", small)] {
        if only_small && what == "all" {
            continue;
        }
        let bytes: usize = set.iter().map(|(_, t)| t.len()).sum();
        let rounds = 20;
        let start = std::time::Instant::now();
        let mut structures = 0usize;
        for _ in 0..rounds {
            for (name, text) in &set {
                if let Ok(records) = read(text, name, &opts) {
                    structures += records.iter().filter(|r| r.is_ok()).count();
                }
            }
        }
        let secs = start.elapsed().as_secs_f64();
        let n = (set.len() * rounds) as f64;
        println!(
            "{what}: {} files, {:.0} files/s, {:.1} MB/s, {} structures per round",
            set.len(),
            n / secs,
            (bytes * rounds) as f64 / secs / 1e6,
            structures / rounds
        );
    }
}

/// One stage over the corpus CIFs up to CIF_MAX_BYTES (default 4096: the small ones), for
/// `perf stat` and callgrind: CIF_STAGE = pest | syntax | full, CIF_ROUNDS passes.
#[test]
#[ignore]
fn cif_throughput_stages() {
    let max_bytes: usize = std::env::var("CIF_MAX_BYTES").ok().and_then(|r| r.parse().ok()).unwrap_or(4096);
    let mut files: Vec<(String, String)> = Vec::new();
    for entry in std::fs::read_dir(corpus("structures/cif")).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        if let Ok(text) = formats::decode_text(&bytes, "x")
            && text.len() <= max_bytes
        {
            files.push((path.display().to_string(), syntax::normalize_newlines(&text).into_owned()));
        }
    }
    let stage = std::env::var("CIF_STAGE").unwrap_or_else(|_| "full".into());
    let rounds: usize = std::env::var("CIF_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(50);
    let opts = ReadOptions::default();
    let start = std::time::Instant::now();
    for _ in 0..rounds {
        for (name, text) in &files {
            match stage.as_str() {
                "pest" => {
                    use pest::Parser;
                    let rule = if text.starts_with("#\\#CIF_2.0") { syntax::Rule::cif2 } else { syntax::Rule::cif1 };
                    let _ = std::hint::black_box(syntax::CifGrammar::parse(rule, text).map(|p| p.count()));
                }
                "syntax" => {
                    let _ = std::hint::black_box(syntax::parse(text, name).map(|d| d.blocks.len()));
                }
                _ => {
                    let _ = std::hint::black_box(read(text, name, &opts).map(|r| r.len()));
                }
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!("{stage}: {} files x {rounds}: {:.0} files/s", files.len(), (files.len() * rounds) as f64 / secs);
}

#[test]
fn operation_lists_are_bounded() {
    let ops: String = (0..5000).map(|i| format!("'x,y,z+{i}/5000'\n")).collect();
    let text = NACL.replace("_symmetry_space_group_name_H-M 'F m -3 m'\n", &format!("loop_\n_symmetry_equiv_pos_as_xyz\n{ops}"));
    let e = read_err(&text);
    assert!(e.contains("5000 operations, more than the 4096"), "{e}");
}

/// Truncated and byte-flipped versions of real files never panic (every prefix is tried).
#[test]
fn damaged_files_never_panic() {
    for f in ["cod-tools__tests__inputs__1200017.cif", "cif_api__complex_data.cif", "pymatgen-core__cif__srycoo.cif"] {
        let bytes = std::fs::read(corpus("structures/cif").join(f)).unwrap();
        let text = formats::decode_text(&bytes, f).unwrap().into_owned();
        let mut cut = 0;
        while cut < text.len() {
            if text.is_char_boundary(cut) {
                let _ = read(&text[..cut], f, &ReadOptions::default());
            }
            cut += 5;
        }
        for (i, b) in [b'\'', b'"', b';', b'[', b'_', b'\n', b'#', b' '].iter().cycle().take(200).enumerate() {
            let mut damaged = text.clone().into_bytes();
            let at = (i * 7919) % damaged.len();
            if damaged[at].is_ascii() {
                damaged[at] = *b;
            }
            let damaged = String::from_utf8_lossy(&damaged).into_owned();
            let _ = read(&damaged, f, &ReadOptions::default());
        }
    }
}
