//! Geometry: minimum periodic interatomic distance and density.

use super::reason;
use crate::candidate::{Candidate, Rejection};
use serde::Deserialize;

/// Shortest distance (Å) between any two atoms of the crystal over all periodic images,
/// including an atom and its own images (the shortest lattice vector). Infinite for a crystal
/// with one site in an infinitely large cell (never in practice).
pub fn min_distance(candidate: &Candidate) -> f64 {
    let c = &candidate.crystal;
    let lattice = &c.lattice;
    let mut best = lattice.shortest_vector();
    for i in 0..c.sites.len() {
        for j in i + 1..c.sites.len() {
            if let Some(d) = lattice.periodic_distance_within(c.sites[i].frac, c.sites[j].frac, best) {
                best = best.min(d);
            }
        }
    }
    best
}

/// Options of [`min_distance_at_least`].
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MinDistanceOptions {
    /// Smallest accepted distance, Å. Default 0.5 Å, the crystal model's overlap threshold.
    pub min: f64,
}

impl Default for MinDistanceOptions {
    fn default() -> Self {
        MinDistanceOptions { min: crate::crystal::DEFAULT_MIN_DISTANCE }
    }
}

/// Rejects crystals with two atoms closer than `min` Å.
pub fn min_distance_at_least(candidate: &Candidate, options: &MinDistanceOptions) -> Result<(), Rejection> {
    let d = min_distance(candidate);
    if d >= options.min {
        Ok(())
    } else {
        Err(Rejection::new(reason::ATOMS_TOO_CLOSE).with_detail(format!("{d:.3} Å < {} Å", options.min)))
    }
}

/// Density, g/cm³.
pub fn density(candidate: &Candidate) -> f64 {
    candidate.crystal.density()
}

/// Options of [`density_in_range`]: accepted density range in g/cm³ (default: any).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DensityOptions {
    pub min: f64,
    pub max: f64,
}

impl Default for DensityOptions {
    fn default() -> Self {
        DensityOptions { min: 0.0, max: f64::INFINITY }
    }
}

/// Rejects densities outside `min..=max` g/cm³.
pub fn density_in_range(candidate: &Candidate, options: &DensityOptions) -> Result<(), Rejection> {
    let rho = density(candidate);
    if (options.min..=options.max).contains(&rho) {
        Ok(())
    } else {
        Err(Rejection::new(reason::DENSITY).with_detail(format!("{rho:.3} g/cm3")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prototype::Prototype;
    use crate::substitute::{Substitution, VolumeRule};

    #[test]
    fn distances_and_density_of_known_cells() {
        let sub = Substitution::parse(Prototype::builtin("perovskite").unwrap(), [("A", ["Sr"])])
            .unwrap()
            .with_volume_rule(VolumeRule::Keep);
        let c = sub.candidate(0).unwrap();
        // SrTiO3 at a = 3.905 Å: Ti-O = a/2.
        assert!((min_distance(&c) - 3.905 / 2.0).abs() < 1e-9);
        // 183.49 g/mol in 3.905³ Å³: 5.12 g/cm³ (experiment 5.11).
        assert!((density(&c) - 5.117).abs() < 0.01, "{}", density(&c));
        assert!(min_distance_at_least(&c, &MinDistanceOptions { min: 1.9 }).is_ok());
        assert_eq!(
            min_distance_at_least(&c, &MinDistanceOptions { min: 2.0 }).unwrap_err().reason,
            reason::ATOMS_TOO_CLOSE
        );
        assert!(density_in_range(&c, &DensityOptions { min: 5.0, max: 5.2 }).is_ok());
        assert!(density_in_range(&c, &DensityOptions { min: 6.0, ..Default::default() }).is_err());
        // A one-atom cell: the distance to its own image.
        let cscl = Prototype::builtin("cscl").unwrap();
        let one = crate::crystal::Crystal::new(cscl.crystal.lattice.clone(), vec![cscl.crystal.sites[0].clone()]);
        let c1 = Candidate::new("x", 0, one, c.origin.clone());
        assert!((min_distance(&c1) - 4.123).abs() < 1e-9);
    }
}
