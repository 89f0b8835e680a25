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
            // An atom closer than `min_distance` to its own image overlaps itself when its
            // occupancy is above one half (it and its image then sum above 1).
            let length = self.lattice.shortest_vector();
            if length < min_distance - 1e-9 {
                let site = self.sites.iter().position(|s| 2.0 * s.occupancy.total() > 1.0 + OCCUPANCY_TOLERANCE);
                if let Some(site) = site {
                    return Err(CrystalError::SelfOverlap { site, length, threshold: min_distance });
                }
            }
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
    /// 1 + [`OCCUPANCY_TOLERANCE`], with their distance. Uses a cell list (counting sort, no
    /// hashing), so the cost is linear in the number of sites for ordinary densities.
    pub fn find_overlap(&self, threshold: f64) -> Option<(usize, usize, f64)> {
        let n = self.sites.len();
        let totals: Vec<f64> = self.sites.iter().map(|s| s.occupancy.total()).collect();
        let max_total = totals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        // No pair can sum above 1 + tolerance: nothing to look for.
        if n < 2 || 2.0 * max_total <= 1.0 + OCCUPANCY_TOLERANCE {
            return None;
        }
        let spacing = self.lattice.plane_spacings();
        // Bins at least `threshold` wide along each axis, so overlapping pairs sit in the same
        // or adjacent bins; widened until there are about as many bins as sites, which keeps
        // memory linear in the number of sites.
        let mut bins: [usize; 3] =
            std::array::from_fn(|i| ((spacing[i] / threshold).floor() as usize).clamp(1, 64));
        if n <= SMALL_CELL_SITES {
            // Few sites: one bin, every pair through the exact pre-filter below, is cheaper
            // than visiting 27 neighbour bins per site.
            bins = [1, 1, 1];
        }
        while bins[0] * bins[1] * bins[2] > 2 * n + 8 {
            let k = (0..3).max_by_key(|&k| bins[k]).unwrap_or(0);
            bins[k] = (bins[k] / 2).max(1);
        }
        let wrapped: Vec<Vec3> =
            self.sites.iter().map(|s| s.frac.map(math::wrap_unit)).collect();
        let bin_of = |f: &Vec3| -> [usize; 3] {
            std::array::from_fn(|i| ((f[i] * bins[i] as f64) as usize).min(bins[i] - 1))
        };
        let cell_id = |b: [usize; 3]| (b[0] * bins[1] + b[1]) * bins[2] + b[2];
        // Sites grouped by cell (counting sort): cell c holds items[starts[c]..starts[c + 1]].
        let cells: Vec<usize> = wrapped.iter().map(|f| cell_id(bin_of(f))).collect();
        let mut starts = vec![0usize; bins[0] * bins[1] * bins[2] + 1];
        for &c in &cells {
            starts[c + 1] += 1;
        }
        for c in 1..starts.len() {
            starts[c] += starts[c - 1];
        }
        let mut fill = starts.clone();
        let mut items = vec![0usize; n];
        for (i, &c) in cells.iter().enumerate() {
            items[fill[c]] = i;
            fill[c] += 1;
        }
        let members = |cell: usize| -> &[usize] { &items[starts[cell]..starts[cell + 1]] };
        // Neighbouring bins along each axis (wrapping around), once per bin: [b-1, b, b+1],
        // or every bin when there are fewer than three.
        let near: [Vec<[usize; 3]>; 3] = std::array::from_fn(|k| {
            let nb = bins[k];
            (0..nb).map(|b| if nb >= 3 { [(b + nb - 1) % nb, b, (b + 1) % nb] } else { [0, 1, 2] }).collect()
        });
        let width: [usize; 3] = std::array::from_fn(|k| bins[k].min(3));
        // Sites in index order: the first site with an overlapping partner gives the answer,
        // with its lowest-index partner.
        for (i, fi) in wrapped.iter().enumerate() {
            if totals[i] + max_total <= 1.0 + OCCUPANCY_TOLERANCE {
                continue;
            }
            let b = bin_of(fi);
            let [nx, ny, nz] = std::array::from_fn(|k| &near[k][b[k]][..width[k]]);
            let mut best: Option<(usize, f64)> = None;
            for &bx in nx {
                for &by in ny {
                    for &bz in nz {
                        let nb = [bx, by, bz];
                        for &j in members(cell_id(nb)) {
                            if j <= i || best.is_some_and(|(bj, _)| bj <= j) {
                                continue;
                            }
                            if totals[i] + totals[j] <= 1.0 + OCCUPANCY_TOLERANCE {
                                continue;
                            }
                            // Exact pre-filter: every image is at least |Δf_k|·spacing_k away
                            // along the normal of lattice planes k.
                            let far = (0..3).any(|k| {
                                let d = (fi[k] - wrapped[j][k]).abs();
                                d.min(1.0 - d) * spacing[k] >= threshold
                            });
                            if far {
                                continue;
                            }
                            // 1e-9 Å of slack: a pair written exactly `threshold` apart must not
                            // be flagged because of rounding in the fractional round trip.
                            if let Some(d) =
                                self.lattice.periodic_distance_within(*fi, wrapped[j], threshold - 1e-9)
                            {
                                best = Some((j, d));
                            }
                        }
                    }
                }
            }
            if let Some((j, d)) = best {
                return Some((i, j, d));
            }
        }
        None
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

/// Up to this many sites [`Crystal::find_overlap`] compares all pairs instead of binning.
const SMALL_CELL_SITES: usize = 64;

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
    fn overlap_search_matches_brute_force() {
        // Pseudo-random sites (a fixed LCG), some half occupied, in a skewed cell.
        let lattice = Lattice::from_parameters(LatticeParameters {
            a: 7.0, b: 8.5, c: 6.2, alpha: 80.0, beta: 100.0, gamma: 115.0,
        })
        .unwrap();
        let mut state = 12345u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let sites: Vec<Site> = (0..300)
            .map(|k| {
                let mut s = Site::new(el("C"), [next() * 2.0 - 0.5, next(), next()]);
                if k % 3 == 0 {
                    s.occupancy = Occupancy::mixed(vec![(Species::new(el("C")), 0.5)]);
                }
                s
            })
            .collect();
        // 300 sites go through the bins; 40 (at most SMALL_CELL_SITES) through all pairs.
        for c in [Crystal::new(lattice.clone(), sites.clone()), Crystal::new(lattice, sites[..40].to_vec())] {
            for threshold in [0.2, 0.5, 0.9, 1.5, 3.0] {
                let mut expected = None;
                'outer: for i in 0..c.num_sites() {
                    for j in i + 1..c.num_sites() {
                        let total = c.sites[i].occupancy.total() + c.sites[j].occupancy.total();
                        let d = c.lattice.periodic_distance(c.sites[i].frac, c.sites[j].frac);
                        if total > 1.0 + OCCUPANCY_TOLERANCE && d < threshold {
                            expected = Some((i, j));
                            break 'outer;
                        }
                    }
                }
                assert_eq!(c.find_overlap(threshold).map(|(i, j, _)| (i, j)), expected, "{threshold}");
            }
        }
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

    #[test]
    fn atoms_overlapping_their_own_image_are_rejected() {
        let lattice = Lattice::new([[0.3, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0]]).unwrap();
        let c = Crystal::from_elements(lattice, &[el("Fe")], &[[0.0, 0.0, 0.0]]);
        assert!(matches!(c.validate(DEFAULT_MIN_DISTANCE), Err(CrystalError::SelfOverlap { site: 0, .. })));
        c.validate(0.0).unwrap();
    }
}
