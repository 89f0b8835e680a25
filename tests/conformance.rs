//! Conformance of the structure readers with the reference parses of
//! `../shared/corpus/structures/reference.jsonl` (pymatgen for CIF/POSCAR, ASE for XYZ).
//!
//! For every file the reference library read, each structure is compared on: site count,
//! lattice parameters (1e-4 relative), composition, and the multiset of sites (species with
//! occupancies, fractional coordinates within 1e-4 with periodic wrap-around; Cartesian within
//! 1e-4 Å for molecules). Files where we knowingly differ are listed with the reason in
//! `tests/data/conformance_exceptions.tsv`; the test fails if a file disagrees without being
//! listed, if a listed file now agrees (stale entry), or if fewer than 98% agree.
//!
//! The reference libraries build structures without a proximity check (pymatgen's readers use
//! `validate_proximity=False`, ASE has none), so files are compared with screen's overlapping-atom
//! check off (`min_distance = 0`); the files that agree but that the default check
//! (`DEFAULT_MIN_DISTANCE`) rejects are counted and listed separately. The check itself is
//! tested by the readers' unit tests.
//!
//! Run: `cargo test --test conformance -- --nocapture` (prints the agreement per format).

use screen_engine::chem::Element;
use screen_engine::crystal::{Crystal, DEFAULT_MIN_DISTANCE, Entry, Structure};
use screen_engine::formats::{self, Format, ReadOptions};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const FRAC_TOL: f64 = 1e-4;
const CART_TOL: f64 = 1e-4;
const REL_TOL: f64 = 1e-4;
const OCC_TOL: f64 = 1e-4;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/structures")
}

fn exceptions() -> BTreeMap<String, String> {
    let text = include_str!("data/conformance_exceptions.tsv");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .map(|(id, why)| (id.trim().to_string(), why.trim().to_string()))
        .collect()
}

/// Species with occupancies of a reference site: "Fe" or {"Fe": 0.5, "Ni": 0.5}.
fn ref_species(v: &Value) -> Vec<(String, f64)> {
    match v {
        Value::String(s) => vec![(s.clone(), 1.0)],
        Value::Object(m) => {
            let mut out: Vec<_> = m.iter().map(|(k, o)| (k.clone(), o.as_f64().unwrap_or(f64::NAN))).collect();
            out.sort_by(|a, b| a.0.cmp(&b.0));
            out
        }
        _ => vec![],
    }
}

fn our_species(c: &Crystal, i: usize) -> Vec<(String, f64)> {
    let mut acc: BTreeMap<String, f64> = BTreeMap::new();
    for (sp, occ) in c.sites[i].occupancy.species() {
        *acc.entry(sp.element.symbol().to_string()).or_default() += occ;
    }
    acc.into_iter().collect()
}

fn same_species(a: &[(String, f64)], b: &[(String, f64)]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.0 == y.0 && (x.1 - y.1).abs() <= OCC_TOL)
}

fn frac_close(a: [f64; 3], b: [f64; 3]) -> bool {
    (0..3).all(|k| {
        let d = a[k] - b[k];
        (d - d.round()).abs() <= FRAC_TOL
    })
}

fn rel_close(a: f64, b: f64) -> bool {
    (a - b).abs() <= REL_TOL * b.abs().max(1.0)
}

fn check_lattice(c: &Crystal, lat: &Value) -> Result<(), String> {
    let p = c.lattice.parameters();
    for (name, ours) in [("a", p.a), ("b", p.b), ("c", p.c), ("alpha", p.alpha), ("beta", p.beta), ("gamma", p.gamma)] {
        let theirs = lat[name].as_f64().ok_or("reference lattice incomplete")?;
        if !rel_close(ours, theirs) {
            return Err(format!("lattice {name}: ours {ours} vs reference {theirs}"));
        }
    }
    Ok(())
}

/// Compares one crystal with a reference structure object (CIF/POSCAR layout).
fn check_crystal(c: &Crystal, r: &Value) -> Result<(), String> {
    let n = r["n_sites"].as_u64().unwrap_or(0) as usize;
    if c.num_sites() != n {
        return Err(format!("{} sites, reference {n}", c.num_sites()));
    }
    check_lattice(c, &r["lattice"])?;
    let comp = c.composition();
    let elements: BTreeSet<String> = comp.elements().map(|e| e.symbol().to_string()).collect();
    let ref_elements: BTreeSet<String> =
        r["elements"].as_array().into_iter().flatten().filter_map(|e| e.as_str().map(String::from)).collect();
    if elements != ref_elements {
        return Err(format!("elements {elements:?}, reference {ref_elements:?}"));
    }
    let total = r["composition_num_atoms"].as_f64().unwrap_or(f64::NAN);
    if (comp.num_atoms() - total).abs() > 1e-3 * total.max(1.0) {
        return Err(format!("{} atoms (sum of occupancies), reference {total}", comp.num_atoms()));
    }
    let mut used = vec![false; c.num_sites()];
    for site in r["sites"].as_array().into_iter().flatten() {
        let species = ref_species(&site[0]);
        let frac = [site[1].as_f64().unwrap_or(0.0), site[2].as_f64().unwrap_or(0.0), site[3].as_f64().unwrap_or(0.0)];
        let found = (0..c.num_sites())
            .find(|&i| !used[i] && frac_close(c.sites[i].frac, frac) && same_species(&our_species(c, i), &species));
        match found {
            Some(i) => used[i] = true,
            None => return Err(format!("no site matches reference {species:?} at {frac:?}")),
        }
    }
    Ok(())
}

/// Reader options for a comparison: defaults, with the overlap check at `min_distance` Å.
fn options(min_distance: f64) -> ReadOptions {
    ReadOptions { min_distance, ..ReadOptions::default() }
}

fn check_cif(rec: &Value, path: &Path, min_distance: f64) -> Result<(), String> {
    let records = formats::read_path(path, Some(Format::Cif), &options(min_distance)).map_err(|e| e.to_string())?;
    let ours: BTreeMap<String, &screen_engine::Result<Entry>> = records
        .iter()
        .map(|r| match r {
            Ok(e) => (e.id.clone(), r),
            Err(err) => (block_of_error(&err.to_string()), r),
        })
        .collect();
    let structures = rec["structures"].as_array().cloned().unwrap_or_default();
    for block in rec["blocks"].as_array().into_iter().flatten() {
        if block["status"] != "ok" {
            continue;
        }
        let name = block["block"].as_str().unwrap_or("");
        let reference = &structures[block["structure_index"].as_u64().unwrap_or(0) as usize];
        match ours.get(name) {
            Some(Ok(entry)) => {
                let c = entry.structure.as_crystal().ok_or("read as a molecule")?;
                check_crystal(c, reference).map_err(|e| format!("block '{name}': {e}"))?
            }
            Some(Err(e)) => return Err(format!("block '{name}': {e}")),
            None => return Err(format!("block '{name}' missing (ours: {:?})", ours.keys().collect::<Vec<_>>())),
        }
    }
    Ok(())
}

/// Our CIF errors carry "data block 'NAME'" as their context.
fn block_of_error(msg: &str) -> String {
    msg.split("data block '").nth(1).and_then(|s| s.split('\'').next()).unwrap_or("").to_string()
}

fn check_poscar(rec: &Value, path: &Path, min_distance: f64) -> Result<(), String> {
    let mut opts = options(min_distance);
    // The POSCAR fields (`species_from_file`, `site_species_in_file_order`, ...) sit in the
    // structure object of reference.jsonl; accept them at the top level too.
    let info = if rec.get("species_from_file").is_some() { rec } else { &rec["structures"][0] };
    if info["species_from_file"] == Value::Bool(false) {
        // VASP 4 file whose species pymatgen could not know: it used H, He, Li, ... per type.
        let mut types: Vec<Element> = Vec::new();
        for s in info["site_species_in_file_order"].as_array().into_iter().flatten() {
            let e = Element::from_symbol(s.as_str().unwrap_or("")).map_err(|e| e.to_string())?;
            if types.last() != Some(&e) {
                types.push(e);
            }
        }
        opts.poscar_species = Some(types);
    }
    let records = formats::read_path(path, Some(Format::Poscar), &opts).map_err(|e| e.to_string())?;
    let entry = records.into_iter().next().ok_or("no structure")?.map_err(|e| e.to_string())?;
    let c = entry.structure.as_crystal().ok_or("read as a molecule")?;
    // Reference sites are wrapped into [0, 1) and sorted; the comparison is a multiset one.
    check_crystal(c, &rec["structures"][0])
}

fn check_xyz(rec: &Value, path: &Path, min_distance: f64) -> Result<(), String> {
    let records = formats::read_path(path, Some(Format::Xyz), &options(min_distance)).map_err(|e| e.to_string())?;
    let n_frames = rec["n_frames"].as_u64().unwrap_or(0) as usize;
    if records.len() != n_frames {
        return Err(format!("{} frames, reference {n_frames}", records.len()));
    }
    for frame in rec["frames"].as_array().into_iter().flatten() {
        let idx = frame["frame_index"].as_u64().unwrap_or(0) as usize;
        let entry = records[idx].as_ref().map_err(|e| format!("frame {idx}: {e}"))?;
        check_frame(&entry.structure, frame).map_err(|e| format!("frame {idx}: {e}"))?;
    }
    Ok(())
}

fn check_frame(s: &Structure, frame: &Value) -> Result<(), String> {
    let n = frame["n_atoms"].as_u64().unwrap_or(0) as usize;
    if s.num_sites() != n {
        return Err(format!("{} atoms, reference {n}", s.num_sites()));
    }
    let (symbols, cart): (Vec<String>, Vec<[f64; 3]>) = match s {
        Structure::Crystal(c) => {
            if frame["lattice"].is_null() {
                return Err("read a lattice, reference has none".into());
            }
            check_lattice(c, &frame["lattice"])?;
            (0..c.num_sites()).map(|i| (c.sites[i].occupancy.majority_element().symbol().to_string(), c.cartesian(i))).unzip()
        }
        Structure::Molecule(m) => {
            if !frame["lattice"].is_null() {
                return Err("read as a molecule, reference has a lattice".into());
            }
            (m.species.iter().map(|sp| sp.element.symbol().to_string()).zip(m.positions.iter().copied())).unzip()
        }
    };
    let mut used = vec![false; n];
    for site in frame["cartesian_sites"].as_array().into_iter().flatten() {
        let sym = site[0].as_str().unwrap_or("");
        let pos = [site[1].as_f64().unwrap_or(0.0), site[2].as_f64().unwrap_or(0.0), site[3].as_f64().unwrap_or(0.0)];
        let found = (0..n).find(|&i| {
            !used[i] && symbols[i] == sym && (0..3).all(|k| (cart[i][k] - pos[k]).abs() <= CART_TOL * pos[k].abs().max(1.0))
        });
        match found {
            Some(i) => used[i] = true,
            None => return Err(format!("no atom matches reference {sym} at {pos:?}")),
        }
    }
    Ok(())
}

#[test]
fn corpus_conformance() {
    let reference = std::fs::read_to_string(corpus().join("reference.jsonl")).expect("../shared corpus present");
    let exceptions = exceptions();
    let mut stats: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut unexplained = Vec::new();
    let mut stale = Vec::new();
    let mut refused = 0;
    let mut overlapping = Vec::new();
    for line in reference.lines() {
        let rec: Value = serde_json::from_str(line).expect("reference line is JSON");
        let id = rec["id"].as_str().unwrap_or("").to_string();
        let path = corpus().join(&id);
        let format = rec["format"].as_str().unwrap_or("").to_string();
        if rec["status"] != "ok" {
            // The reference refused the file: we must not panic; an error or a result is fine.
            let _ = formats::read_path(&path, None, &ReadOptions::default());
            refused += 1;
            continue;
        }
        let check = |min_distance: f64| match format.as_str() {
            "cif" => check_cif(&rec, &path, min_distance),
            "poscar" => check_poscar(&rec, &path, min_distance),
            "xyz" => check_xyz(&rec, &path, min_distance),
            other => Err(format!("unknown format {other}")),
        };
        let outcome = check(0.0);
        if outcome.is_ok()
            && let Err(e) = check(DEFAULT_MIN_DISTANCE)
        {
            overlapping.push(format!("{id}: {e}"));
        }
        let entry = stats.entry(format).or_default();
        entry.1 += 1;
        match (outcome, exceptions.get(&id)) {
            (Ok(()), None) => entry.0 += 1,
            (Ok(()), Some(_)) => {
                entry.0 += 1;
                stale.push(id);
            }
            (Err(_), Some(_)) => {}
            (Err(e), None) => unexplained.push(format!("{id}: {e}")),
        }
    }
    let (agree, total) = stats.values().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    for (format, (a, t)) in &stats {
        println!("{format}: {a}/{t} agree ({:.2}%)", 100.0 * *a as f64 / *t as f64);
    }
    println!(
        "{} of the agreeing files have atoms closer than {DEFAULT_MIN_DISTANCE} Å, which the readers reject by default:",
        overlapping.len()
    );
    for o in &overlapping {
        println!("  {o}");
    }
    println!("all: {agree}/{total} agree ({:.2}%); {refused} files the reference refused were read without panic", 100.0 * agree as f64 / total as f64);
    assert!(unexplained.is_empty(), "{} files disagree without a listed reason:\n{}", unexplained.len(), unexplained.join("\n"));
    assert!(stale.is_empty(), "listed as exceptions but now agree (remove them): {stale:?}");
    assert!(agree as f64 >= 0.98 * total as f64, "only {agree}/{total} agree");
}
