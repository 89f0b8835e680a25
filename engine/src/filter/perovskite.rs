//! Perovskite geometry: Goldschmidt tolerance factor t = (r_A + r_X) / (√2 (r_B + r_X)) and
//! octahedral factor μ = r_B / r_X, from Shannon ionic radii at the sites' coordination (A
//! XII, B VI, X VI by default; the fallback for a missing coordination is that of
//! [`crate::chem::radius`]: the nearest tabulated coordination number).
//!
//! Which ion sits where: for a substitution candidate, its orbit labels (`A`; `B`, `B1`, `B2`;
//! `X` and decorated `X[i]`), averaging over B1/B2 and over decorated sites; for any other
//! candidate with exactly two cation elements, the larger cation (at XII) is A. Oxidation
//! states: fixed ones, else SMACT's first charge-neutral assignment ([`super::oxidation_states`]).

use super::{OxidationStateSetName, oxidation_states, reason};
use crate::candidate::{Candidate, Origin, Rejection};
use crate::chem::radius::ionic_radius;
use crate::chem::{Element, Ion};
use serde::Deserialize;

/// Options of the perovskite filters.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PerovskiteOptions {
    /// Accepted tolerance factor range; default 0.8–1.1, Goldschmidt's empirical window for
    /// perovskite formation (ideal cubic near 0.9–1.0).
    pub tolerance_min: f64,
    pub tolerance_max: f64,
    /// Accepted octahedral factor range; default 0.414–0.732, the radius-ratio limits of
    /// octahedral coordination (√2 − 1 and √3 − 1).
    pub octahedral_min: f64,
    pub octahedral_max: f64,
    /// Coordination numbers for the radii.
    pub a_coordination: u8,
    pub b_coordination: u8,
    pub x_coordination: u8,
    /// Orbit labels of the A, B and X sites of substitution candidates.
    pub a_orbits: Vec<String>,
    pub b_orbits: Vec<String>,
    pub x_orbits: Vec<String>,
    /// Set used to infer oxidation states not fixed by the substitution.
    pub oxidation_states: OxidationStateSetName,
}

impl Default for PerovskiteOptions {
    fn default() -> Self {
        PerovskiteOptions {
            tolerance_min: 0.8,
            tolerance_max: 1.1,
            octahedral_min: 0.414,
            octahedral_max: 0.732,
            a_coordination: 12,
            b_coordination: 6,
            x_coordination: 6,
            a_orbits: vec!["A".into()],
            b_orbits: vec!["B".into(), "B1".into(), "B2".into()],
            x_orbits: vec!["X".into()],
            oxidation_states: OxidationStateSetName::default(),
        }
    }
}

/// Mean ionic radii (Å) of the A, B and X sites.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PerovskiteRadii {
    pub a: f64,
    pub b: f64,
    pub x: f64,
}

/// Goldschmidt's tolerance factor of radii r_A, r_B, r_X.
pub fn goldschmidt(a: f64, b: f64, x: f64) -> f64 {
    (a + x) / (std::f64::consts::SQRT_2 * (b + x))
}

fn radius(ion: Ion, cn: u8) -> Result<f64, Rejection> {
    ionic_radius(ion, cn)
        .map(|r| r.radius)
        .ok_or_else(|| Rejection::new(reason::NO_RADIUS).with_detail(format!("{ion}")))
}

fn matches(label: &str, names: &[String]) -> bool {
    let base = label.split('[').next().unwrap_or(label);
    names.iter().any(|n| n == base)
}

/// The A, B, X radii of a candidate (see the module docs).
pub fn perovskite_radii(candidate: &Candidate, options: &PerovskiteOptions) -> Result<PerovskiteRadii, Rejection> {
    let mut inferred: Option<Option<Vec<(Element, i8)>>> = None;
    let mut charge_of = |element: Element, fixed: Option<i8>| -> Result<i8, Rejection> {
        if let Some(q) = fixed {
            return Ok(q);
        }
        let states = inferred.get_or_insert_with(|| oxidation_states(candidate, options.oxidation_states.0));
        states
            .as_ref()
            .and_then(|s| s.iter().find(|(e, _)| *e == element).map(|x| x.1))
            .ok_or_else(|| {
                Rejection::new(reason::NO_RADIUS).with_detail(format!("{element}: no charge-neutral oxidation states"))
            })
    };
    if let Origin::Substitution { assignment, .. } = &candidate.origin {
        let mut sums = [(0.0, 0u32); 3];
        for entry in assignment {
            let (slot, cn) = if matches(&entry.orbit, &options.a_orbits) {
                (0, options.a_coordination)
            } else if matches(&entry.orbit, &options.b_orbits) {
                (1, options.b_coordination)
            } else if matches(&entry.orbit, &options.x_orbits) {
                (2, options.x_coordination)
            } else {
                continue;
            };
            let q = charge_of(entry.element, entry.oxidation)?;
            sums[slot].0 += radius(Ion::new(entry.element, q), cn)?;
            sums[slot].1 += 1;
        }
        if sums.iter().all(|s| s.1 > 0) {
            let [a, b, x] = sums.map(|(r, n)| r / f64::from(n));
            return Ok(PerovskiteRadii { a, b, x });
        }
    }
    // Any other candidate: two cation elements and anions.
    let states = oxidation_states(candidate, options.oxidation_states.0)
        .ok_or_else(|| Rejection::new(reason::NO_RADIUS).with_detail("no charge-neutral oxidation states"))?;
    let composition = candidate.crystal.composition();
    let cations: Vec<(Element, i8)> = states.iter().copied().filter(|s| s.1 > 0).collect();
    let anions: Vec<(Element, i8)> = states.iter().copied().filter(|s| s.1 < 0).collect();
    if cations.len() != 2 || anions.is_empty() {
        return Err(Rejection::new(reason::NOT_PEROVSKITE)
            .with_detail(format!("{} cation and {} anion elements", cations.len(), anions.len())));
    }
    let at_a = |c: (Element, i8)| radius(Ion::new(c.0, c.1), options.a_coordination);
    let (ra0, ra1) = (at_a(cations[0])?, at_a(cations[1])?);
    let (a_ion, b_ion, ra) = if ra0 >= ra1 { (cations[0], cations[1], ra0) } else { (cations[1], cations[0], ra1) };
    let _ = a_ion;
    let rb = radius(Ion::new(b_ion.0, b_ion.1), options.b_coordination)?;
    let (mut sum, mut n) = (0.0, 0.0);
    for (e, q) in anions {
        let amount = composition.amount(e);
        sum += amount * radius(Ion::new(e, q), options.x_coordination)?;
        n += amount;
    }
    Ok(PerovskiteRadii { a: ra, b: rb, x: sum / n })
}

/// Goldschmidt tolerance factor of a candidate.
pub fn tolerance_factor(candidate: &Candidate, options: &PerovskiteOptions) -> Result<f64, Rejection> {
    let r = perovskite_radii(candidate, options)?;
    Ok(goldschmidt(r.a, r.b, r.x))
}

/// Octahedral factor r_B / r_X of a candidate.
pub fn octahedral_factor(candidate: &Candidate, options: &PerovskiteOptions) -> Result<f64, Rejection> {
    let r = perovskite_radii(candidate, options)?;
    Ok(r.b / r.x)
}

/// Rejects tolerance factors outside `tolerance_min..=tolerance_max`.
pub fn tolerance_factor_in_range(candidate: &Candidate, options: &PerovskiteOptions) -> Result<(), Rejection> {
    let t = tolerance_factor(candidate, options)?;
    if (options.tolerance_min..=options.tolerance_max).contains(&t) {
        Ok(())
    } else {
        Err(Rejection::new(reason::TOLERANCE_FACTOR).with_detail(format!("t = {t:.3}")))
    }
}

/// Rejects octahedral factors outside `octahedral_min..=octahedral_max`.
pub fn octahedral_factor_in_range(candidate: &Candidate, options: &PerovskiteOptions) -> Result<(), Rejection> {
    let mu = octahedral_factor(candidate, options)?;
    if (options.octahedral_min..=options.octahedral_max).contains(&mu) {
        Ok(())
    } else {
        Err(Rejection::new(reason::OCTAHEDRAL_FACTOR).with_detail(format!("mu = {mu:.3}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prototype::Prototype;
    use crate::substitute::Substitution;

    fn candidate(proto: &str, orbits: &[(&str, &str)]) -> Candidate {
        let sub = Substitution::parse(Prototype::builtin(proto).unwrap(), orbits.iter().map(|(l, c)| (*l, [*c]))).unwrap();
        sub.candidate(0).unwrap()
    }

    #[test]
    fn textbook_values() {
        let o = PerovskiteOptions::default();
        // BaTiO3: (1.61 + 1.40) / (√2 (0.605 + 1.40)) = 1.0615.
        let bto = candidate("perovskite", &[("A", "Ba"), ("B", "Ti"), ("X", "O")]);
        assert!((tolerance_factor(&bto, &o).unwrap() - 1.0615).abs() < 1e-4);
        assert!((octahedral_factor(&bto, &o).unwrap() - 0.605 / 1.40).abs() < 1e-12);
        assert!(tolerance_factor_in_range(&bto, &o).is_ok());
        // CaTiO3 from a file-like candidate (no orbit labels): A picked as the larger cation.
        let mut cto = candidate("perovskite", &[("A", "Ca"), ("B", "Ti"), ("X", "O")]);
        cto.origin = Origin::Record { source: "test".into(), location: "1".into() };
        assert!((tolerance_factor(&cto, &o).unwrap() - goldschmidt(1.34, 0.605, 1.40)).abs() < 1e-12);
        // Oxynitride: X averaged over the decorated sites.
        let ston = candidate("perovskite", &[("A", "Sr"), ("B", "Ta"), ("X", "O2N")]);
        let r = perovskite_radii(&ston, &o).unwrap();
        assert!((r.x - (2.0 * 1.40 + 1.46) / 3.0).abs() < 1e-12);
        // Double perovskite Ba2MgWO6: B = mean(Mg2+, W6+) at VI.
        let dp = candidate("double_perovskite", &[("A", "Ba"), ("B1", "Mg"), ("B2", "W"), ("X", "O")]);
        let r = perovskite_radii(&dp, &o).unwrap();
        assert!((r.b - (0.72 + 0.60) / 2.0).abs() < 1e-12, "{r:?}");
        // Out of range: Cs on B is far too big.
        let bad = candidate("perovskite", &[("A", "Li"), ("B", "Cs"), ("X", "F")]);
        let err = tolerance_factor_in_range(&bad, &o);
        assert!(err.is_err());
        // Rock salt is not a perovskite.
        let nacl = candidate("rocksalt", &[("A", "Na"), ("X", "Cl")]);
        assert_eq!(tolerance_factor(&nacl, &o).unwrap_err().reason, reason::NOT_PEROVSKITE);
    }
}
