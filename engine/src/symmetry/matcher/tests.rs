use super::*;
use crate::chem::Element;
use crate::crystal::Lattice;
use crate::symmetry::setting::{permuted, rebased, rotated, rotation_from_quaternion, supercell, translated};

fn el(s: &str) -> Element {
    Element::from_symbol(s).unwrap()
}

fn perovskite(a: &str, b: &str, x: &str, lat: f64) -> Crystal {
    let lattice = Lattice::new([[lat, 0.0, 0.0], [0.0, lat, 0.0], [0.0, 0.0, lat]]).unwrap();
    Crystal::from_elements(
        lattice,
        &[el(a), el(b), el(x), el(x), el(x)],
        &[[0.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, 0.5, 0.0], [0.5, 0.0, 0.5], [0.0, 0.5, 0.5]],
    )
}

/// Rutile TiO2 (P4_2/mnm): a less symmetric test case with a free parameter.
fn rutile() -> Crystal {
    let lattice = Lattice::new([[4.594, 0.0, 0.0], [0.0, 4.594, 0.0], [0.0, 0.0, 2.959]]).unwrap();
    let x = 0.3053;
    Crystal::from_elements(
        lattice,
        &[el("Ti"), el("Ti"), el("O"), el("O"), el("O"), el("O")],
        &[[0.0, 0.0, 0.0], [0.5, 0.5, 0.5], [x, x, 0.0], [1.0 - x, 1.0 - x, 0.0], [0.5 + x, 0.5 - x, 0.5], [0.5 - x, 0.5 + x, 0.5]],
    )
}

fn copies(c: &Crystal) -> Vec<Crystal> {
    let q = rotation_from_quaternion([0.3, -0.5, 0.2, 0.7]);
    let n = c.num_sites();
    let order: Vec<usize> = (0..n).rev().collect();
    vec![
        rotated(c, &q).unwrap(),
        translated(c, [0.13, -0.27, 0.61]),
        supercell(c, [2, 1, 1]).unwrap(),
        permuted(c, &order).unwrap(),
        rebased(&translated(c, [0.4, 0.1, 0.0]), [[1, 1, 0], [0, 1, 0], [-2, 0, 1]]).unwrap(),
    ]
}

#[test]
fn copies_match_their_original() {
    let m = StructureMatcher::default();
    for c in [perovskite("Sr", "Ti", "O", 3.905), rutile()] {
        for (k, copy) in copies(&c).iter().enumerate() {
            assert!(m.fit(&c, copy).unwrap(), "copy {k}");
            assert!(m.fit(copy, &c).unwrap(), "copy {k} reversed");
        }
    }
}

#[test]
fn different_species_or_structures_do_not_match() {
    let m = StructureMatcher::default();
    let sto = perovskite("Sr", "Ti", "O", 3.905);
    let bto = perovskite("Ba", "Ti", "O", 4.0);
    assert!(!m.fit(&sto, &bto).unwrap());
    assert!(!m.fit(&sto, &rutile()).unwrap());
    let anonymous = StructureMatcher::new(MatcherOptions { comparison: Comparison::Anonymous, ..Default::default() });
    assert!(anonymous.fit(&sto, &bto).unwrap());
    // Swapping the A and B cations is the same prototype.
    assert!(anonymous.fit(&sto, &perovskite("Ti", "Sr", "O", 3.905)).unwrap());
    // Scaling: a 10% larger cell matches by default, not without volume scaling.
    let big = perovskite("Sr", "Ti", "O", 3.905 * 1.1);
    assert!(m.fit(&sto, &big).unwrap());
    let unscaled = StructureMatcher::new(MatcherOptions { scale: false, ..Default::default() });
    assert!(unscaled.fit(&sto, &perovskite("Sr", "Ti", "O", 3.91)).unwrap());
    assert!(!unscaled.fit(&sto, &perovskite("Sr", "Ti", "O", 3.905 * 1.5)).unwrap());
}

#[test]
fn site_tolerance_is_respected() {
    // Moving the Ti off centre breaks the cubic symmetry: with symmetry bucketing off the
    // table (no space group at all), the fit alone decides by stol.
    let mut options = MatcherOptions::default();
    options.symmetry.symprec = 1e-3;
    let m = StructureMatcher::new(options);
    let sto = perovskite("Sr", "Ti", "O", 3.905);
    let mut shifted = sto.clone();
    shifted.sites[1].frac[2] += 0.005; // 0.02 Å: a different space group (P4mm) at 1e-3 Å
    assert!(!m.fit(&sto, &shifted).unwrap(), "different space groups never match");
    let loose = StructureMatcher::new(MatcherOptions::default()); // symprec 0.1 Å: both Pm-3m
    assert!(loose.fit(&sto, &shifted).unwrap());
    let ra = loose.reduce(&rutile()).unwrap();
    assert_eq!(ra.space_group, Some(136));
}

#[test]
fn grouping_is_symmetric_and_order_independent() {
    let sto = perovskite("Sr", "Ti", "O", 3.905);
    let mut all = vec![sto.clone(), rutile(), perovskite("Ba", "Ti", "O", 4.0)];
    all.extend(copies(&sto));
    all.extend(copies(&rutile()));
    let options = MatcherOptions::default();
    let g = group_structures(&all, &options);
    assert!(g.failures.is_empty());
    let expected: Vec<Vec<usize>> = vec![vec![0, 3, 4, 5, 6, 7], vec![1, 8, 9, 10, 11, 12], vec![2]];
    assert_eq!(g.groups, expected);
    // Reverse and rotate the order: the same partition of the same structures.
    let order: Vec<usize> = (0..all.len()).map(|i| (i * 5 + 3) % all.len()).collect();
    let shuffled: Vec<Crystal> = order.iter().map(|&i| all[i].clone()).collect();
    let h = group_structures(&shuffled, &options);
    let mut mapped: Vec<Vec<usize>> =
        h.groups.iter().map(|g| { let mut v: Vec<usize> = g.iter().map(|&i| order[i]).collect(); v.sort(); v }).collect();
    mapped.sort();
    assert_eq!(mapped, expected);
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let m = StructureMatcher::default();
    let mut c = perovskite("Sr", "Ti", "O", 3.905);
    c.sites[3].frac = [0.5, 0.5, 0.001]; // on top of the O at (½, ½, 0)
    assert!(m.reduce(&c).is_err(), "overlapping atoms of one species at symprec 0.1");
    let mut nan = perovskite("Sr", "Ti", "O", 3.905);
    nan.sites[0].frac[0] = f64::NAN;
    assert!(m.reduce(&nan).is_err());
    let bad = StructureMatcher::new(MatcherOptions { stol: f64::NAN, ..Default::default() });
    assert!(bad.reduce(&perovskite("Sr", "Ti", "O", 3.9)).is_err());
    let g = group_structures(&[nan, perovskite("Sr", "Ti", "O", 3.9)], &MatcherOptions::default());
    assert_eq!(g.failures.len(), 1);
    assert_eq!(g.groups, vec![vec![1]]);
}

