use super::{Composition, CrystalError, Lattice, Occupancy, Properties, Site, SiteProperties};
use crate::chem::Element;
use crate::math::{self, Vec3};
use crate::symmetry::SymmetryInfo;
use std::collections::BTreeSet;

/// Default closest approach (Å) of two sites whose occupancies sum to more than one. Shorter
/// than any real bond (H–H in H₂ is 0.74 Å) and longer than the numerical noise of duplicated
/// positions, so it catches atoms written twice without touching real structures.
pub const DEFAULT_MIN_DISTANCE: f64 = 0.5;

/// Total site occupancy may exceed 1 by this much (rounding in files: 0.333 + 0.667 + ...).
pub const OCCUPANCY_TOLERANCE: f64 = 1e-3;

/// A periodic crystal: lattice, sites in fractional coordinates, and what came with them.
#[derive(Clone, Debug, PartialEq)]
pub struct Crystal {
    pub lattice: Lattice,
    pub sites: Vec<Site>,
    /// Periodic boundary conditions along a, b, c (extXYZ slabs may be periodic in 2D only).
    pub pbc: [bool; 3],
    pub properties: Properties,
    pub site_properties: SiteProperties,
    /// The symmetry the source file declared (operations and which orbit each site belongs
    /// to), kept so writers can emit the asymmetric unit. `None` when unknown.
    pub symmetry: Option<SymmetryInfo>,
}

impl Crystal {
    /// A fully periodic crystal with no extra properties.
    pub fn new(lattice: Lattice, sites: Vec<Site>) -> Self {
        Crystal {
            lattice,
            sites,
            pbc: [true; 3],
            properties: Properties::new(),
            site_properties: SiteProperties::new(),
            symmetry: None,
        }
    }

    /// Builds an ordered crystal from elements and fractional coordinates.
    pub fn from_elements(lattice: Lattice, elements: &[Element], frac: &[Vec3]) -> Self {
        let sites = elements.iter().zip(frac).map(|(e, f)| Site::new(*e, *f)).collect();
        Crystal::new(lattice, sites)
    }

    pub fn num_sites(&self) -> usize {
        self.sites.len()
    }

    /// True when every site holds one species with occupancy 1.
    pub fn is_ordered(&self) -> bool {
        self.sites.iter().all(|s| s.occupancy.is_ordered())
    }

    pub fn volume(&self) -> f64 {
        self.lattice.volume()
    }

    pub fn composition(&self) -> Composition {
        let mut c = Composition::new();
        for site in &self.sites {
            for (sp, occ) in site.occupancy.species() {
                c.add(sp.element, *occ);
            }
        }
        c
    }

    /// Density in g/cm³ (occupancy-weighted mass over cell volume).
    pub fn density(&self) -> f64 {
        /// 1 u/Å³ in g/cm³.
        const AMU_PER_A3_IN_G_PER_CM3: f64 = 1.660_539_066_60;
        self.composition().mass() * AMU_PER_A3_IN_G_PER_CM3 / self.volume()
    }

    /// The distinct elements present, in order of Z.
    pub fn elements(&self) -> BTreeSet<Element> {
        self.sites.iter().flat_map(|s| s.occupancy.species().iter().map(|(sp, _)| sp.element)).collect()
    }

    pub fn cartesian(&self, site: usize) -> Vec3 {
        self.lattice.to_cartesian(self.sites[site].frac)
    }

    /// Checks what every reader must guarantee: at least one site, finite coordinates,
    /// occupancies in (0, 1] summing to at most 1 per site, per-site properties of the right
    /// length, and no two sites closer than `min_distance` Å whose occupancies sum above 1.
    /// `min_distance = 0` skips the distance check.
    pub fn validate(&self, min_distance: f64) -> Result<(), CrystalError> {
        if self.sites.is_empty() {
            return Err(CrystalError::NoSites);
        }
        for (i, site) in self.sites.iter().enumerate() {
            for (axis, x) in site.frac.iter().enumerate() {
                if !x.is_finite() {
                    return Err(CrystalError::NonFinite {
                        what: format!("site {i} coordinate {}", ["x", "y", "z"][axis]),
                        value: *x,
                    });
                }
            }
            check_occupancy(i, &site.occupancy)?;
        }
        for (name, prop) in &self.site_properties {
            let expected = self.sites.len() * prop.width;
            if prop.values.len() != expected {
                return Err(CrystalError::PropertyLength {
                    name: name.clone(),
                    found: prop.values.len(),
                    expected,
                });
            }
        }
        if min_distance > 0.0 {
            if let Some((first, second, distance)) = self.find_overlap(min_distance) {
                return Err(CrystalError::OverlappingSites {
                    first,
                    second,
                    distance,
                    threshold: min_distance,
                });
            }
        }
        Ok(())
    }

    /// The first pair of sites (i < j) closer than `threshold` Å whose occupancies sum above
    /// 1 + [`OCCUPANCY_TOLERANCE`], with their distance. Uses a cell list, so the cost is
    /// linear in the number of sites for ordinary densities.
    pub fn find_overlap(&self, threshold: f64) -> Option<(usize, usize, f64)> {
        let n = self.sites.len();
        let spacing = self.lattice.plane_spacings();
        // Bins at least `threshold` wide along each axis, so overlapping pairs sit in the same
        // or adjacent bins. Capped to keep memory bounded for huge cells.
        let bins: [usize; 3] =
            std::array::from_fn(|i| ((spacing[i] / threshold).floor() as usize).clamp(1, 64));
        let wrapped: Vec<Vec3> =
            self.sites.iter().map(|s| s.frac.map(math::wrap_unit)).collect();
        let bin_of = |f: &Vec3| -> [usize; 3] {
            std::array::from_fn(|i| ((f[i] * bins[i] as f64) as usize).min(bins[i] - 1))
        };
        let mut grid: std::collections::HashMap<[usize; 3], Vec<usize>> =
            std::collections::HashMap::with_capacity(n);
        for (i, f) in wrapped.iter().enumerate() {
            grid.entry(bin_of(f)).or_default().push(i);
        }
        let offsets = |nb: usize| -> Vec<isize> {
            if nb >= 3 { vec![-1, 0, 1] } else { (0..nb as isize).collect() }
        };
        let (ox, oy, oz) = (offsets(bins[0]), offsets(bins[1]), offsets(bins[2]));
        let mut best: Option<(usize, usize, f64)> = None;
        for (i, fi) in wrapped.iter().enumerate() {
            let b = bin_of(fi);
            for dx in &ox {
                for dy in &oy {
                    for dz in &oz {
                        let nb = [
                            (b[0] as isize + dx).rem_euclid(bins[0] as isize) as usize,
                            (b[1] as isize + dy).rem_euclid(bins[1] as isize) as usize,
                            (b[2] as isize + dz).rem_euclid(bins[2] as isize) as usize,
                        ];
                        let Some(members) = grid.get(&nb) else { continue };
                        for &j in members {
                            if j <= i {
                                continue;
                            }
                            let total =
                                self.sites[i].occupancy.total() + self.sites[j].occupancy.total();
                            if total <= 1.0 + OCCUPANCY_TOLERANCE {
                                continue;
                            }
                            let d = self.lattice.periodic_distance(*fi, wrapped[j]);
                            // 1e-9 Å of slack: a pair written exactly `threshold` apart must not
                            // be flagged because of rounding in the fractional round trip.
                            if d < threshold - 1e-9 && best.is_none_or(|(bi, bj, _)| (i, j) < (bi, bj)) {
                                best = Some((i, j, d));
                            }
                        }
                    }
                }
            }
        }
        best
    }

    /// Keeps only the given sites (in that order), with their per-site properties.
    pub fn select_sites(&self, indices: &[usize]) -> Crystal {
        let mut out = self.clone();
        out.sites = indices.iter().map(|&i| self.sites[i].clone()).collect();
        for prop in out.site_properties.values_mut() {
            prop.values = prop.values.select(prop.width, indices);
        }
        out.symmetry = self.symmetry.as_ref().map(|s| s.select_sites(indices));
        out
    }
}

fn check_occupancy(site: usize, occupancy: &Occupancy) -> Result<(), CrystalError> {
    if occupancy.species().is_empty() {
        return Err(CrystalError::BadOccupancy { site, occupancy: 0.0 });
    }
    for (_, occ) in occupancy.species() {
        if !occ.is_finite() {
            return Err(CrystalError::NonFinite { what: format!("site {site} occupancy"), value: *occ });
        }
        if *occ <= 0.0 || *occ > 1.0 + OCCUPANCY_TOLERANCE {
            return Err(CrystalError::BadOccupancy { site, occupancy: *occ });
        }
    }
    let total = occupancy.total();
    if total > 1.0 + OCCUPANCY_TOLERANCE {
        return Err(CrystalError::OccupancyAboveOne { site, total });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crystal::{LatticeParameters, Species};

    fn cubic(a: f64) -> Lattice {
        Lattice::from_parameters(LatticeParameters { a, b: a, c: a, alpha: 90.0, beta: 90.0, gamma: 90.0 })
            .unwrap()
    }

    fn el(s: &str) -> Element {
        Element::from_symbol(s).unwrap()
    }

    fn srtio3() -> Crystal {
        Crystal::from_elements(
            cubic(3.905),
            &[el("Sr"), el("Ti"), el("O"), el("O"), el("O")],
            &[[0.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, 0.5, 0.0], [0.5, 0.0, 0.5], [0.0, 0.5, 0.5]],
        )
    }

    #[test]
    fn srtio3_properties() {
        let c = srtio3();
        assert!((c.volume() - 3.905f64.powi(3)).abs() < 1e-9);
        // 183.49 g/mol in 59.55 Å^3 → 5.117 g/cm³ (the experimental value is 5.11).
        assert!((c.density() - 5.1166).abs() < 1e-3, "{}", c.density());
        assert_eq!(c.composition().reduced_formula(), "SrTiO3");
        assert_eq!(c.elements().len(), 3);
        c.validate(DEFAULT_MIN_DISTANCE).unwrap();
    }

    #[test]
    fn overlap_is_found_across_the_boundary() {
        let mut c = srtio3();
        c.sites.push(Site::new(el("Sr"), [0.999, 0.0, 1.0]));
        let err = c.validate(DEFAULT_MIN_DISTANCE).unwrap_err();
        assert!(matches!(err, CrystalError::OverlappingSites { first: 0, second: 5, .. }), "{err}");
    }

    #[test]
    fn disordered_neighbours_are_not_overlaps() {
        let mut c = srtio3();
        c.sites[0].occupancy = Occupancy::mixed(vec![(Species::new(el("Sr")), 0.5)]);
        let mut alt = Site::new(el("Ba"), [0.1, 0.0, 0.0]);
        alt.occupancy = Occupancy::mixed(vec![(Species::new(el("Ba")), 0.5)]);
        c.sites.push(alt);
        c.validate(DEFAULT_MIN_DISTANCE).unwrap();
        c.sites[0].occupancy = Occupancy::mixed(vec![(Species::new(el("Sr")), 0.7), (Species::new(el("Ba")), 0.4)]);
        assert!(matches!(c.validate(0.0), Err(CrystalError::OccupancyAboveOne { site: 0, .. })));
    }

    #[test]
    fn rejects_empty_and_nan() {
        let mut c = srtio3();
        c.sites[1].frac[2] = f64::NAN;
        assert!(matches!(c.validate(0.5), Err(CrystalError::NonFinite { .. })));
        c.sites.clear();
        assert_eq!(c.validate(0.5), Err(CrystalError::NoSites));
    }
}
