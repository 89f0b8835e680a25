//! Writes a crystal as one CIF 1.1 data block. Numbers use Rust's shortest round-trip
//! representation, so reading the block back gives the same lattice parameters, coordinates
//! and occupancies.

use crate::crystal::{Crystal, Occupancy};
use crate::symmetry::{SymOp, SymmetryInfo};
use std::io::Write;

/// Longest block name written (CIF 1.1 limits data block codes to 75 characters).
const MAX_NAME: usize = 75;

/// Writes `data_NAME` with the cell, the symmetry and the atom sites: the asymmetric unit
/// and its operations when `crystal.symmetry` is present and reproduces every site, otherwise
/// P1 ('x, y, z') with all sites. Disordered sites give one row per species.
pub fn write(crystal: &Crystal, name: &str, out: &mut dyn Write) -> std::io::Result<()> {
    let p = crystal.lattice.parameters();
    writeln!(out, "data_{}", block_name(name))?;
    for (tag, v) in [
        ("_cell_length_a", p.a),
        ("_cell_length_b", p.b),
        ("_cell_length_c", p.c),
        ("_cell_angle_alpha", p.alpha),
        ("_cell_angle_beta", p.beta),
        ("_cell_angle_gamma", p.gamma),
    ] {
        writeln!(out, "{tag:<20} {v:?}")?;
    }
    writeln!(out, "{:<20} {:?}", "_cell_volume", crystal.volume())?;
    let formula = crystal.composition().formula();
    writeln!(out, "_chemical_formula_sum {}", quote(&formula))?;

    let symmetric = crystal.symmetry.as_ref().filter(|s| is_consistent(crystal, s));
    let (ops, sites): (Vec<SymOp>, Vec<usize>) = match symmetric {
        Some(s) => {
            let reps = s.representatives();
            if let Some(hm) = &s.hermann_mauguin {
                writeln!(out, "_symmetry_space_group_name_H-M {}", quote(hm))?;
            }
            if let Some(n) = s.number {
                writeln!(out, "_space_group_IT_number {n}")?;
            }
            (s.operations.clone(), reps)
        }
        None => {
            writeln!(out, "_symmetry_space_group_name_H-M 'P 1'")?;
            writeln!(out, "_space_group_IT_number 1")?;
            (vec![SymOp::IDENTITY], (0..crystal.num_sites()).collect())
        }
    };
    writeln!(out, "loop_\n_symmetry_equiv_pos_site_id\n_symmetry_equiv_pos_as_xyz")?;
    for (i, op) in ops.iter().enumerate() {
        writeln!(out, "{} '{op}'", i + 1)?;
    }

    let oxidation: Vec<(String, f64)> = {
        let mut v: Vec<(String, f64)> = Vec::new();
        for site in &crystal.sites {
            for (sp, _) in site.occupancy.species() {
                if let Some(ox) = sp.oxidation
                    && !v.iter().any(|(s, _)| *s == sp.to_string())
                {
                    v.push((sp.to_string(), ox));
                }
            }
        }
        v
    };
    if !oxidation.is_empty() {
        writeln!(out, "loop_\n_atom_type_symbol\n_atom_type_oxidation_number")?;
        for (s, ox) in &oxidation {
            writeln!(out, "{s} {ox:?}")?;
        }
    }

    writeln!(out, "loop_")?;
    for tag in [
        "_atom_site_label",
        "_atom_site_type_symbol",
        "_atom_site_fract_x",
        "_atom_site_fract_y",
        "_atom_site_fract_z",
        "_atom_site_occupancy",
    ] {
        writeln!(out, "{tag}")?;
    }
    for (row, &i) in sites.iter().enumerate() {
        let site = &crystal.sites[i];
        let base = site.label.as_deref().map(label).unwrap_or_default();
        for (k, (sp, occ)) in site.occupancy.species().iter().enumerate() {
            let name = match (base.is_empty(), k) {
                (false, 0) => base.clone(),
                (false, _) => format!("{base}_{}", sp.element),
                (true, _) => format!("{}{}", sp.element, row + 1),
            };
            let [x, y, z] = site.frac;
            writeln!(out, "{name} {sp} {x:?} {y:?} {z:?} {occ:?}")?;
        }
    }
    Ok(())
}

/// True when the recorded operations expand the first site of every orbit into exactly the
/// sites of that orbit (same species and occupancies), so the asymmetric unit says it all.
fn is_consistent(crystal: &Crystal, s: &SymmetryInfo) -> bool {
    let n = crystal.num_sites();
    if s.orbits.len() != n || s.operations.first().is_none_or(|op| !op.is_identity()) {
        return false;
    }
    let tol = super::SITE_TOLERANCE / 10.0;
    let same = |a: [f64; 3], b: [f64; 3]| {
        (0..3).all(|k| {
            let d = a[k] - b[k];
            (d - d.round()).abs() <= tol
        })
    };
    let mut members: Vec<Vec<usize>> = Vec::new();
    for (i, &o) in s.orbits.iter().enumerate() {
        if o >= n {
            return false;
        }
        if members.len() <= o {
            members.resize(o + 1, Vec::new());
        }
        members[o].push(i);
    }
    members.iter().filter(|m| !m.is_empty()).all(|m| {
        let rep = &crystal.sites[m[0]];
        let mut images: Vec<[f64; 3]> = Vec::new();
        for op in &s.operations {
            let p = op.apply(rep.frac);
            if !images.iter().any(|q| same(*q, p)) {
                images.push(p);
            }
        }
        images.len() == m.len()
            && m.iter().all(|&i| {
                let site = &crystal.sites[i];
                same_occupancy(&site.occupancy, &rep.occupancy) && images.iter().any(|q| same(*q, site.frac))
            })
    })
}

fn same_occupancy(a: &Occupancy, b: &Occupancy) -> bool {
    a.species().len() == b.species().len()
        && a.species().iter().zip(b.species()).all(|((sa, oa), (sb, ob))| sa == sb && oa == ob)
}

/// A data block code: no whitespace or control characters, at most 75 characters.
fn block_name(name: &str) -> String {
    let clean: String = name
        .chars()
        .map(|c| if c.is_whitespace() || c.is_control() { '_' } else { c })
        .take(MAX_NAME)
        .collect();
    if clean.is_empty() { "structure".into() } else { clean }
}

/// A site label usable as an unquoted CIF value.
fn label(l: &str) -> String {
    let clean: String = l.chars().filter(|c| !c.is_whitespace() && !c.is_control()).take(64).collect();
    match clean.chars().next() {
        None => String::new(),
        Some('_' | '#' | '\'' | '"' | ';' | '[' | ']' | '$') => format!("x{clean}"),
        Some(_) => clean,
    }
}

/// A quoted CIF 1.1 string (quotes that would end it early are replaced).
fn quote(s: &str) -> String {
    let one_line: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if !one_line.contains('\'') {
        format!("'{one_line}'")
    } else if !one_line.contains('"') {
        format!("\"{one_line}\"")
    } else {
        format!("'{}'", one_line.replace('\'', "`"))
    }
}
