//! Symmetry on the structure corpus (`../shared/corpus`):
//!
//! - `spglib_test_poscars`: every spglib test POSCAR (space-group number in its name) gets that
//!   number at spglib's test tolerance (symprec 1e-5 Å, 0.1 Å for `distorted/`, no angle
//!   tolerance), with both backends;
//! - `reference_space_groups`: agreement with pymatgen's `SpacegroupAnalyzer` (symprec 0.1 and
//!   1e-3 Å, 5°) on every corpus structure the reference gives a space group for (ASE/spglib for
//!   XYZ frames: no angle tolerance); disagreements must be listed with their reason in
//!   `tests/data/spacegroup_exceptions.tsv` (stale entries fail too) and stay under 0.5%;
//! - `niggli_matches_pymatgen`: Niggli cells of every corpus lattice against
//!   `tests/data/niggli_reference.jsonl` (pymatgen, see `benches/niggli_reference.py`), 1e-5
//!   relative;
//! - `backends_agree_on_the_corpus`: spglib and moyo give the same space group on every corpus
//!   structure the reference gives a space group for, at the reference's tolerances (0.1 and 1e-3 Å; 5°, none for XYZ
//!   frames); differences must be listed with their reason in `tests/data/backend_exceptions.tsv`
//!   (stale entries fail too). ≈ 20-30 s in the test profile; it once took over 15 minutes because
//!   moyo's search with the 5° angle tolerance runs away on one corpus cell
//!   (`Ni_fcc_111_missing_row_1x2.cif` at 0.1 Å; now sent to spglib, see
//!   `moyo_with_an_angle_tolerance_returns_on_its_runaway_cells`);
//! - `spglib_test_poscars` also checks moyo on every spglib POSCAR in the folder;
//! - `moyo_with_an_angle_tolerance_returns_on_its_runaway_cells`: the 6 Materials Project
//!   structures (and copies) on which moyo with 5° never returns; the ignored
//!   `moyo_with_an_angle_tolerance_returns_on_every_mp_input` runs all 23,628 dedup inputs;
//! - `malformed_and_degenerate_inputs_never_panic`.
//!
//! Run: `cargo test --test symmetry -- --nocapture` (prints the agreement numbers).

use screen_engine::chem::Element;
use screen_engine::crystal::{Crystal, Entry, Lattice, Site, Structure};
use screen_engine::formats::{self, ReadOptions};
use screen_engine::symmetry::matcher::{MatcherOptions, StructureMatcher};
use screen_engine::symmetry::reduction::{self, LatticeReduction};
use screen_engine::symmetry::{Backend, SymmetryDataset, SymmetryOptions, TypedCell};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/structures")
}

fn reference() -> Vec<Value> {
    let text = std::fs::read_to_string(corpus().join("reference.jsonl")).expect("../shared corpus present");
    text.lines().map(|l| serde_json::from_str(l).expect("reference line is JSON")).collect()
}

/// Reads a corpus file as the reference did: reader checks off (pymatgen builds structures
/// without a proximity check), VASP 4 files without species get H, He, Li, ... per type.
fn read(rec: &Value) -> Result<Vec<screen_engine::Result<Entry>>, String> {
    let id = rec["id"].as_str().unwrap_or("");
    let path = corpus().join(id);
    let mut opts = ReadOptions { min_distance: 0.0, ..ReadOptions::default() };
    let info = &rec["structures"][0];
    if rec["format"] == "poscar" && info["species_from_file"] == Value::Bool(false) {
        let mut types: Vec<Element> = Vec::new();
        for s in info["site_species_in_file_order"].as_array().into_iter().flatten() {
            let e = Element::from_symbol(s.as_str().unwrap_or("")).map_err(|e| e.to_string())?;
            if types.last() != Some(&e) {
                types.push(e);
            }
        }
        opts.poscar_species = Some(types);
    }
    formats::read_path(&path, None, &opts).map_err(|e| e.to_string())
}

fn exceptions(file: &str) -> BTreeMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(file);
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .map(|(id, why)| (id.trim().to_string(), why.trim().to_string()))
        .collect()
}

/// "spglib__data__cubic__POSCAR-225-2" → 225.
fn number_in_name(name: &str) -> Option<u16> {
    let rest = name.split("POSCAR-").nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

#[test]
fn spglib_test_poscars() {
    let name_exceptions = exceptions("spglib_poscar_exceptions.tsv");
    let mut checked = 0;
    let mut wrong = Vec::new();
    let mut backends_differ = Vec::new();
    for rec in reference() {
        let id = rec["id"].as_str().unwrap_or("").to_string();
        if !id.starts_with("poscar/spglib__") {
            continue;
        }
        let Some(expected) = number_in_name(&id) else { continue };
        let records = read(&rec).unwrap_or_else(|e| panic!("{id}: {e}"));
        let crystal = records[0].as_ref().unwrap_or_else(|e| panic!("{id}: {e}")).structure.as_crystal().cloned().unwrap();
        let symprec = if id.contains("__distorted__") { 0.1 } else { 1e-5 };
        let options = SymmetryOptions { backend: Backend::Spglib, symprec, angle_tolerance: None };
        let ours = SymmetryDataset::new(&crystal, &options).map(|d| d.number);
        let moyo = SymmetryDataset::new(&crystal, &options.with_backend(Backend::Moyo)).map(|d| d.number);
        checked += 1;
        if ours.as_ref().ok() != Some(&expected) {
            let reference = rec["structures"][0]["spacegroup_symprec_1e_3"]["number"].as_u64().map(|n| n as u16);
            let listed = name_exceptions.contains_key(&id) && ours.as_ref().ok().copied() == reference;
            if !listed {
                wrong.push(format!("{id}: expected {expected}, spglib gave {ours:?} (reference {reference:?})"));
            }
        }
        if moyo.as_ref().ok() != ours.as_ref().ok() {
            backends_differ.push(format!("{id}: spglib {ours:?}, moyo {moyo:?}"));
        }
    }
    // Every spglib test POSCAR in the corpus folder is checked (none skipped for want of a
    // reference record or a number in its name).
    let on_disk = std::fs::read_dir(corpus().join("poscar"))
        .expect("corpus poscar folder")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("spglib__"))
        .count();
    println!(
        "spglib test POSCARs: {checked} checked of {on_disk} in the folder, {} wrong, moyo differs on {}",
        wrong.len(),
        backends_differ.len()
    );
    for d in &backends_differ {
        println!("  backends differ: {d}");
    }
    assert!(checked >= 340 && checked == on_disk, "{checked} of {on_disk} spglib POSCARs checked");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let allowed = exceptions("backend_exceptions.tsv");
    let unexplained: Vec<&String> =
        backends_differ.iter().filter(|d| !allowed.contains_key(d.split(':').next().unwrap_or(""))).collect();
    assert!(unexplained.is_empty(), "moyo disagrees with spglib:\n{unexplained:#?}");
}

/// (record id, structure or frame label, reference object, reader result) for every
/// structure that has a reference space group.
fn reference_structures() -> Vec<(String, String, Value, Result<Crystal, String>, bool)> {
    let mut out = Vec::new();
    for rec in reference() {
        if rec["status"] != "ok" {
            continue;
        }
        let id = rec["id"].as_str().unwrap_or("").to_string();
        let records = read(&rec);
        match rec["format"].as_str() {
            Some("xyz") => {
                for frame in rec["frames"].as_array().into_iter().flatten() {
                    if frame["spacegroup_symprec_0_1"].is_null() {
                        continue;
                    }
                    let idx = frame["frame_index"].as_u64().unwrap_or(0) as usize;
                    let crystal = match &records {
                        Ok(r) => match r.get(idx) {
                            Some(Ok(e)) => e.structure.as_crystal().cloned().ok_or("read as a molecule".to_string()),
                            Some(Err(e)) => Err(e.to_string()),
                            None => Err("frame missing".into()),
                        },
                        Err(e) => Err(e.clone()),
                    };
                    out.push((id.clone(), format!("frame {idx}"), frame.clone(), crystal, true));
                }
            }
            Some("cif") => {
                let structures = rec["structures"].as_array().cloned().unwrap_or_default();
                for block in rec["blocks"].as_array().into_iter().flatten() {
                    if block["status"] != "ok" {
                        continue;
                    }
                    let name = block["block"].as_str().unwrap_or("").to_string();
                    let s = &structures[block["structure_index"].as_u64().unwrap_or(0) as usize];
                    let crystal = match &records {
                        // The last structure with the block's name, as the conformance test pairs
                        // them (a `global_` block and a data block can share a name).
                        Ok(r) => r
                            .iter()
                            .rev()
                            .find_map(|e| e.as_ref().ok().filter(|e| e.id == name))
                            .and_then(|e| e.structure.as_crystal().cloned())
                            .ok_or_else(|| format!("block '{name}' not read")),
                        Err(e) => Err(e.clone()),
                    };
                    out.push((id.clone(), format!("block '{name}'"), s.clone(), crystal, false));
                }
            }
            _ => {
                let crystal = match &records {
                    Ok(r) => match r.first() {
                        Some(Ok(e)) => e.structure.as_crystal().cloned().ok_or("read as a molecule".to_string()),
                        Some(Err(e)) => Err(e.to_string()),
                        None => Err("no structure".into()),
                    },
                    Err(e) => Err(e.clone()),
                };
                out.push((id.clone(), String::new(), rec["structures"][0].clone(), crystal, false));
            }
        }
    }
    out
}

#[test]
fn reference_space_groups() {
    let allowed = exceptions("spacegroup_exceptions.tsv");
    let structures = reference_structures();
    let mut unexplained = Vec::new();
    let mut seen_exceptions = std::collections::BTreeSet::new();
    for (field, symprec) in [("spacegroup_symprec_0_1", 0.1), ("spacegroup_symprec_1e_3", 1e-3)] {
        let (mut compared, mut agree, mut unread) = (0usize, 0usize, 0usize);
        let mut disagreements = Vec::new();
        for (id, label, reference, crystal, is_xyz) in &structures {
            let Some(expected) = reference.get(field).filter(|v| !v.is_null()) else { continue };
            let Ok(crystal) = crystal else {
                unread += 1;
                println!("  not read: {id} {label}: {}", crystal.as_ref().err().map(String::as_str).unwrap_or(""));
                continue;
            };
            let angle = if *is_xyz { None } else { Some(5.0) };
            let options = SymmetryOptions { backend: Backend::Spglib, symprec, angle_tolerance: angle };
            let ours = SymmetryDataset::new(crystal, &options).map(|d| d.number);
            let theirs = expected["number"].as_u64().map(|n| n as u16);
            compared += 1;
            if ours.as_ref().ok().copied() == theirs {
                agree += 1;
            } else {
                let key = format!("{id} {label}").trim().to_string();
                let line = format!("{key} @ {symprec}: reference {theirs:?}, ours {ours:?}");
                let listed = allowed.contains_key(&format!("{key} @ {symprec}"));
                if listed {
                    seen_exceptions.insert(format!("{key} @ {symprec}"));
                } else {
                    unexplained.push(line.clone());
                }
                disagreements.push(line);
            }
        }
        let rate = agree as f64 / compared.max(1) as f64;
        println!(
            "{field}: {agree}/{compared} agree ({:.2}%), {} disagree, {unread} not read by screen's readers",
            100.0 * rate,
            disagreements.len()
        );
        for d in &disagreements {
            println!("  {d}");
        }
        assert!(rate >= 0.995, "{field}: agreement {rate} below 99.5%");
    }
    let stale: Vec<&String> = allowed.keys().filter(|k| !seen_exceptions.contains(*k)).collect();
    assert!(unexplained.is_empty(), "unlisted disagreements:\n{}", unexplained.join("\n"));
    assert!(stale.is_empty(), "listed exceptions that now agree: {stale:?}");
}

#[test]
fn backends_agree_on_the_corpus() {
    let allowed = exceptions("backend_exceptions.tsv");
    let (mut compared, mut differ, mut listed) = (0, Vec::new(), std::collections::BTreeSet::new());
    let mut handed_to_spglib = 0;
    let start = std::time::Instant::now();
    for (id, label, _, crystal, is_xyz) in reference_structures() {
        let Ok(crystal) = crystal else { continue };
        // The reference's angle criterion: 5° (pymatgen), none for XYZ frames (ASE/spglib).
        let angle_tolerance = if is_xyz { None } else { Some(5.0) };
        for symprec in [0.1, 1e-3] {
            let options = SymmetryOptions { backend: Backend::Spglib, symprec, angle_tolerance };
            let a = SymmetryDataset::new(&crystal, &options).map(|d| d.number);
            let b = SymmetryDataset::new(&crystal, &options.with_backend(Backend::Moyo)).map(|d| (d.number, d.backend));
            compared += 1;
            // Where moyo's search could run away, spglib answers the moyo request: nothing to compare.
            if b.as_ref().is_ok_and(|b| b.1 == Backend::Spglib) {
                handed_to_spglib += 1;
                println!("  answered by spglib: {} @ {symprec}", format!("{id} {label}").trim());
                continue;
            }
            let b = b.map(|b| b.0);
            if a.as_ref().ok() != b.as_ref().ok() {
                let key = format!("{} @ {symprec}", format!("{id} {label}").trim());
                let line = format!("{key}: spglib {a:?}, moyo {b:?}");
                println!("  {line}");
                if allowed.contains_key(&key) {
                    listed.insert(key);
                } else {
                    differ.push(line);
                }
            }
        }
    }
    println!(
        "spglib vs moyo: {compared} analyses, {} listed and {} unexplained differences, {handed_to_spglib} moyo requests answered by spglib, {:.1} s",
        listed.len(),
        differ.len(),
        start.elapsed().as_secs_f64()
    );
    let stale: Vec<&String> = allowed.keys().filter(|k| !listed.contains(*k)).collect();
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    assert!(stale.is_empty(), "listed differences that no longer occur: {stale:?}");
}

/// The Materials Project structures of `../shared/data/mp_flla2015.jsonl.gz` on which moyo 0.22
/// with an explicit 5° angle tolerance never returns at 0.1 Å (its lattice-group closure grows
/// without bound; found by running every structure and its five copies under a watchdog).
const MOYO_RUNAWAY_AT_5_DEGREES: [&str; 6] = ["mp-1411", "mp-18377", "mp-581412", "mp-616900", "mp-640862", "mp-849060"];

#[test]
fn moyo_with_an_angle_tolerance_returns_on_its_runaway_cells() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/mp_flla2015.jsonl.gz");
    let entries: Vec<Entry> = formats::open(&path, None, &ReadOptions::default())
        .expect("mp_flla2015 present")
        .filter_map(Result::ok)
        .filter(|e| MOYO_RUNAWAY_AT_5_DEGREES.contains(&e.id.as_str()))
        .collect();
    assert_eq!(entries.len(), MOYO_RUNAWAY_AT_5_DEGREES.len());
    for e in &entries {
        let original = e.structure.as_crystal().expect("crystal");
        let mut cells = vec![("original", original.clone())];
        cells.extend(screen_engine::symmetry::setting::equivalent_copies(original, 7).expect("copies"));
        for (what, c) in &cells {
            let options = SymmetryOptions { backend: Backend::Moyo, symprec: 0.1, angle_tolerance: Some(5.0) };
            let ours = SymmetryDataset::new(c, &options).unwrap_or_else(|err| panic!("{} {what}: {err}", e.id));
            let spglib = SymmetryDataset::new(c, &options.with_backend(Backend::Spglib)).expect("spglib");
            assert_eq!((ours.backend, ours.number), (Backend::Spglib, spglib.number), "{} {what}", e.id);
        }
    }
}

/// Every input of the dedup test (the 3,938 `mp_flla2015` structures and their five copies) with
/// moyo and an explicit 5° at 0.1, 0.01 and 0.001 Å: each search returns (a watchdog names the
/// structure if one does not within a minute). ≈ 1 minute per tolerance in the test profile:
/// `cargo test --test symmetry moyo_with_an_angle_tolerance_returns_on_every_mp_input -- --ignored --nocapture`
#[test]
#[ignore = "heavy (minutes): 23,628 structures at three tolerances"]
fn moyo_with_an_angle_tolerance_returns_on_every_mp_input() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/mp_flla2015.jsonl.gz");
    let mut inputs: Vec<(String, Crystal)> = Vec::new();
    for e in formats::open(&path, None, &ReadOptions::default()).expect("mp_flla2015 present").filter_map(Result::ok) {
        let c = e.structure.as_crystal().expect("crystal").clone();
        for (what, copy) in screen_engine::symmetry::setting::equivalent_copies(&c, 7).expect("copies") {
            inputs.push((format!("{}~{what}", e.id), copy));
        }
        inputs.push((e.id, c));
    }
    for symprec in [0.1, 0.01, 1e-3] {
        let (tx, rx) = std::sync::mpsc::channel();
        let work = inputs.clone();
        std::thread::spawn(move || {
            let options = SymmetryOptions { backend: Backend::Moyo, symprec, angle_tolerance: Some(5.0) };
            for (i, (_, c)) in work.iter().enumerate() {
                let answer = SymmetryDataset::new(c, &options).map(|d| d.backend);
                if tx.send((i, answer)).is_err() {
                    return;
                }
            }
        });
        let (mut by_spglib, mut failed) = (0, 0);
        for i in 0..inputs.len() {
            match rx.recv_timeout(std::time::Duration::from_secs(60)) {
                Ok((_, Ok(Backend::Spglib))) => by_spglib += 1,
                Ok((_, Ok(Backend::Moyo))) => {}
                Ok((_, Err(_))) => failed += 1,
                Err(_) => panic!("moyo at {symprec} Å and 5° did not return on {}", inputs[i].0),
            }
        }
        println!("{symprec} Å, 5°: {} inputs, {by_spglib} answered by spglib, {failed} without an answer", inputs.len());
    }
}

#[test]
fn niggli_matches_pymatgen() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/niggli_reference.jsonl");
    let text = std::fs::read_to_string(path).expect("tests/data/niggli_reference.jsonl");
    let mut checked = 0;
    let mut bad = Vec::new();
    let mut moyo_differs = 0;
    let listed = exceptions("niggli_exceptions.tsv");
    let mut explained = 0;
    for line in text.lines() {
        let r: Value = serde_json::from_str(line).expect("JSON");
        let m: Vec<Vec<f64>> = serde_json::from_value(r["matrix"].clone()).expect("matrix");
        let rows = [[m[0][0], m[0][1], m[0][2]], [m[1][0], m[1][1], m[1][2]], [m[2][0], m[2][1], m[2][2]]];
        let Ok(lattice) = Lattice::new(rows) else { continue };
        let expected: Vec<f64> = serde_json::from_value(r["niggli"].clone()).expect("niggli parameters");
        for backend in [Backend::Spglib, Backend::Moyo] {
            let reduced = reduction::reduce_lattice(&lattice, LatticeReduction::Niggli, backend);
            let ours = match reduced {
                Ok(l) => {
                    let p = l.parameters();
                    [p.a, p.b, p.c, p.alpha, p.beta, p.gamma]
                }
                Err(e) => {
                    bad.push(format!("{} ({backend}): {e}", r["id"]));
                    continue;
                }
            };
            let off = !same_niggli(&ours, &expected);
            match backend {
                // moyo's reduction is Buerger's, not the unique Niggli form: counted, not required.
                Backend::Moyo => moyo_differs += off as usize,
                Backend::Spglib if off && listed.contains_key(r["id"].as_str().unwrap_or("")) => {
                    // Listed tie cases: still the same cell lengths (as a set) within 1e-4.
                    let mut a = ours[..3].to_vec();
                    let mut b = expected[..3].to_vec();
                    a.sort_by(f64::total_cmp);
                    b.sort_by(f64::total_cmp);
                    assert!(a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-4 * y), "{}: {a:?} vs {b:?}", r["id"]);
                    explained += 1;
                }
                Backend::Spglib if off => bad.push(format!("{}: ours {ours:?}, pymatgen {expected:?}", r["id"])),
                Backend::Spglib => {}
            }
        }
        checked += 1;
    }
    println!(
        "Niggli: {checked} lattices, spglib agrees with pymatgen on {}, {explained} listed tie cases, {} unexplained; moyo's (Buerger) cell differs on {moyo_differs}",
        checked - explained - bad.len(),
        bad.len()
    );
    assert_eq!(explained, listed.len(), "stale entries in niggli_exceptions.tsv");
    assert!(checked > 700, "only {checked} reference lattices");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Niggli parameters agree to 1e-5 relative. When an angle is 90° within 1e-4 rad the Niggli
/// type (all angles acute, or none) is decided by rounding, and the other type's cell — the same
/// cell with two vectors negated, so two angles replaced by their supplements — is equally
/// Niggli-reduced; such pairs count as agreeing.
fn same_niggli(ours: &[f64; 6], theirs: &[f64]) -> bool {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-5 * b.abs().max(1.0);
    if !(0..3).all(|k| close(ours[k], theirs[k])) {
        return false;
    }
    let ambiguous = ours[3..].iter().chain(&theirs[3..]).any(|a| (a - 90.0).abs().to_radians() < 1e-4);
    (3..6).all(|k| close(ours[k], theirs[k]) || (ambiguous && close(180.0 - ours[k], theirs[k])))
}

#[test]
fn malformed_and_degenerate_inputs_never_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/malformed");
    let opts = ReadOptions { min_distance: 0.0, ..ReadOptions::default() };
    let mut analysed = 0;
    for entry in std::fs::read_dir(&dir).expect("malformed corpus").flatten() {
        let Ok(records) = formats::read_path(&entry.path(), None, &opts) else { continue };
        for e in records.into_iter().flatten() {
            if let Structure::Crystal(c) = e.structure {
                analysed += 1;
                exercise(&c);
            }
        }
    }
    println!("malformed corpus: {analysed} structures read (without the overlap check) and analysed");
    // Degenerate crystals built directly, bypassing every reader check.
    let el = Element::from_symbol("Fe").unwrap();
    let good = Lattice::new([[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 3.0]]).unwrap();
    let flat = Lattice::new([[3.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 1e-6]]);
    assert!(flat.is_err(), "the crystal model refuses flat cells");
    for frac in [
        vec![[f64::NAN, 0.0, 0.0]],
        vec![[f64::INFINITY, 0.0, 0.0]],
        vec![[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]],
        vec![[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]],
        vec![[1e300, -1e300, 0.5]],
        vec![],
    ] {
        let c = Crystal::new(good.clone(), frac.iter().map(|f| Site::new(el, *f)).collect());
        exercise(&c);
        for backend in [Backend::Spglib, Backend::Moyo] {
            let o = SymmetryOptions::default().with_backend(backend);
            if frac.len() != 1 || frac[0].iter().any(|x| !x.is_finite()) {
                assert!(SymmetryDataset::new(&c, &o).is_err(), "{frac:?} must be refused");
            }
        }
    }
    // Absurd tolerances.
    let c = Crystal::new(good, vec![Site::new(el, [0.0; 3])]);
    for symprec in [0.0, -1.0, f64::NAN, f64::INFINITY, 10.0] {
        for backend in [Backend::Spglib, Backend::Moyo] {
            let o = SymmetryOptions { backend, symprec, angle_tolerance: None };
            assert!(SymmetryDataset::new(&c, &o).is_err(), "symprec {symprec}");
        }
    }
    let cell = TypedCell::from_crystal(&c).unwrap();
    assert!(cell.validate(1e-3, Some(f64::NAN)).is_err());
}

/// Runs every symmetry entry point; only checks that each returns.
fn exercise(c: &Crystal) {
    for backend in [Backend::Spglib, Backend::Moyo] {
        for symprec in [1e-5, 0.01, 0.1] {
            let o = SymmetryOptions { backend, symprec, angle_tolerance: Some(5.0) };
            let _ = SymmetryDataset::new(c, &o).map(|d| d.wyckoff_sequence());
            let _ = reduction::primitive_cell(c, &o);
            let _ = reduction::conventional_cell(c, &o);
            let _ = reduction::standardize(c, &o, true, false);
        }
        let _ = reduction::reduce_cell(c, LatticeReduction::Niggli, backend);
        let _ = reduction::reduce_cell(c, LatticeReduction::Delaunay, backend);
    }
    let m = StructureMatcher::new(MatcherOptions::default());
    let _ = m.fit(c, c);
}


