//! The input of every symmetry search: a lattice, fractional positions and one integer *site
//! type* per position.
//!
//! A site type is the site's full species-and-occupancy content, as pymatgen's
//! `SpacegroupAnalyzer` defines it: two sites are symmetry-equivalent candidates only when they
//! hold the same species (with oxidation states) at the same occupancies (within
//! [`OCCUPANCY_EPS`]). So a disordered Sr0.5Ba0.5 site is its own type, distinct from a pure Sr
//! site and from Sr0.4Ba0.6; a vacancy-bearing Fe0.9 site differs from Fe. Magnetic moments and
//! other site properties are ignored (pymatgen's `get_symmetry_dataset` ignores them too).

use super::SymmetryError;
use crate::crystal::{Crystal, Lattice, Occupancy, Site};
use crate::math::{self, Mat3, Vec3};

/// Occupancies closer than this are the same site type (pymatgen's `Composition` equality
/// tolerance).
pub const OCCUPANCY_EPS: f64 = 1e-8;

/// Most sites accepted by a symmetry search: the C code is quadratic in the number of atoms and
/// needs 4× the atoms in its work buffers, so larger cells are refused rather than stalled on.
pub const MAX_SITES: usize = 20_000;

/// Longest lattice vector accepted (Å): beyond this the cell is absurd (a unit error or
/// overflowed input) and the search tolerances lose their meaning.
pub const MAX_LENGTH: f64 = 1e4;

/// A crystal reduced to what a symmetry search reads: lattice rows (Å), positions wrapped into
/// [0, 1), and a 1-based type per position indexing `kinds`.
#[derive(Clone, Debug, PartialEq)]
pub struct TypedCell {
    pub lattice: Mat3,
    pub positions: Vec<Vec3>,
    pub types: Vec<i32>,
    /// The species content of type `t` is `kinds[t - 1]`.
    pub kinds: Vec<Occupancy>,
}

/// Canonical, hashable form of a site's species content.
type KindKey = Vec<(u32, i64, i64)>;

fn kind_key(occ: &Occupancy) -> KindKey {
    let mut key: KindKey = occ
        .species()
        .iter()
        .map(|(sp, o)| {
            let ox = sp.oxidation.map_or(i64::MIN, |x| (x * 1e6).round() as i64);
            (sp.element.z(), ox, (o / OCCUPANCY_EPS).round() as i64)
        })
        .collect();
    key.sort_unstable();
    key
}

impl TypedCell {
    /// Types the sites of `crystal` (first appearance order) and checks everything the symmetry
    /// codes would choke on; see [`TypedCell::validate`].
    pub fn from_crystal(crystal: &Crystal) -> Result<TypedCell, SymmetryError> {
        let mut keys: Vec<KindKey> = Vec::new();
        let mut kinds = Vec::new();
        let mut types = Vec::with_capacity(crystal.sites.len());
        for site in &crystal.sites {
            let key = kind_key(&site.occupancy);
            let t = match keys.iter().position(|k| *k == key) {
                Some(i) => i,
                None => {
                    keys.push(key);
                    kinds.push(site.occupancy.clone());
                    keys.len() - 1
                }
            };
            types.push(t as i32 + 1);
        }
        let positions = crystal.sites.iter().map(|s| s.frac.map(math::wrap_unit)).collect();
        let cell = TypedCell { lattice: *crystal.lattice.matrix(), positions, types, kinds };
        cell.check_shape()?;
        Ok(cell)
    }

    pub fn num_sites(&self) -> usize {
        self.positions.len()
    }

    /// Rejects what would crash or stall spglib/moyo: no sites, too many sites, non-finite or
    /// absurd numbers, a flat or absurd lattice, a tolerance that is not a small positive
    /// length, and two sites of the same type closer than `symprec` (spglib's "atoms too
    /// close"; sites of different types may be that close, as on disordered positions).
    pub fn validate(&self, symprec: f64, angle_tolerance: Option<f64>) -> Result<(), SymmetryError> {
        self.check_shape()?;
        let bad = |m: String| Err(SymmetryError::Invalid(m));
        if !(symprec.is_finite() && symprec > 0.0) {
            return bad(format!("symprec must be a positive length in Å, got {symprec}"));
        }
        if let Some(a) = angle_tolerance {
            if !(a.is_finite() && a > 0.0 && a < 90.0) {
                return bad(format!("angle tolerance must be between 0 and 90 degrees, got {a}"));
            }
        }
        let lattice = Lattice::new(self.lattice).map_err(|e| SymmetryError::Invalid(e.to_string()))?;
        let shortest = lattice.shortest_vector();
        if symprec >= 0.5 * shortest {
            return bad(format!(
                "symprec {symprec} Å is not small against the shortest lattice vector ({shortest:.4} Å)"
            ));
        }
        // Two sites of the same type closer than symprec: spglib refuses these ("too close");
        // found type by type with the crystal model's cell list (all sites counted as full).
        let probe_element = crate::chem::Element::from_z(1).map_err(|e| SymmetryError::Invalid(e.to_string()))?;
        for t in 1..=self.kinds.len() as i32 {
            let members: Vec<usize> = (0..self.types.len()).filter(|&i| self.types[i] == t).collect();
            if members.len() < 2 {
                continue;
            }
            let sites = members.iter().map(|&i| Site::new(probe_element, self.positions[i])).collect();
            let probe = Crystal::new(lattice.clone(), sites);
            if let Some((i, j, d)) = probe.find_overlap(symprec) {
                return bad(format!(
                    "sites {} and {} (same species) are {d:.2e} Å apart, closer than symprec ({symprec} Å): overlapping atoms",
                    members[i] + 1,
                    members[j] + 1
                ));
            }
        }
        Ok(())
    }

    /// Structural checks that do not depend on the tolerance.
    fn check_shape(&self) -> Result<(), SymmetryError> {
        let bad = |m: String| Err(SymmetryError::Invalid(m));
        let n = self.positions.len();
        if n == 0 {
            return bad("the crystal has no sites".into());
        }
        if n > MAX_SITES {
            return bad(format!("{n} sites is more than the {MAX_SITES} a symmetry search accepts"));
        }
        if self.types.len() != n {
            return bad(format!("{} site types for {n} positions", self.types.len()));
        }
        if self.types.iter().any(|&t| t < 1 || t as usize > self.kinds.len()) {
            return bad("site type outside 1..=number of kinds".into());
        }
        if let Some((i, p)) = self.positions.iter().enumerate().find(|(_, p)| p.iter().any(|x| !x.is_finite())) {
            return bad(format!("site {} has a non-finite coordinate {p:?}", i + 1));
        }
        if self.lattice.iter().flatten().any(|x| !x.is_finite()) {
            return bad("the lattice has a non-finite entry".into());
        }
        let longest = self.lattice.iter().map(|r| math::norm(*r)).fold(0.0, f64::max);
        if longest > MAX_LENGTH {
            return bad(format!("a lattice vector is {longest:.3e} Å long (more than {MAX_LENGTH} Å)"));
        }
        Lattice::new(self.lattice).map_err(|e| SymmetryError::Invalid(e.to_string()))?;
        Ok(())
    }

    /// Builds a crystal from a cell a symmetry code returned, with the species content of each
    /// type restored. Site labels and properties do not survive a change of cell.
    pub fn crystal_from(&self, lattice: Mat3, positions: &[Vec3], types: &[i32]) -> Result<Crystal, SymmetryError> {
        let lattice = Lattice::new(lattice).map_err(|e| SymmetryError::Invalid(format!("returned lattice: {e}")))?;
        let sites = positions
            .iter()
            .zip(types)
            .map(|(p, &t)| {
                let kind = self
                    .kinds
                    .get((t as usize).wrapping_sub(1))
                    .ok_or_else(|| SymmetryError::Invalid(format!("returned site type {t} is unknown")))?;
                Ok(Site { occupancy: kind.clone(), frac: p.map(math::wrap_unit), label: None })
            })
            .collect::<Result<Vec<_>, SymmetryError>>()?;
        Ok(Crystal::new(lattice, sites))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chem::Element;
    use crate::crystal::Species;

    fn el(s: &str) -> Element {
        Element::from_symbol(s).unwrap()
    }

    #[test]
    fn disordered_sites_are_typed_by_full_content() {
        let lattice = Lattice::new([[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0]]).unwrap();
        let mixed = |a: f64| Occupancy::mixed(vec![(Species::new(el("Sr")), a), (Species::new(el("Ba")), 1.0 - a)]);
        let mut sites = vec![Site::new(el("Sr"), [0.0; 3]), Site::new(el("Sr"), [0.5, 0.0, 0.0])];
        for (k, a) in [0.5, 0.5, 0.4].into_iter().enumerate() {
            let mut s = Site::new(el("Sr"), [0.0, 0.25 * (k + 1) as f64, 0.5]);
            s.occupancy = mixed(a);
            sites.push(s);
        }
        let mut fe3 = Site::new(el("Fe"), [0.5, 0.5, 0.5]);
        fe3.occupancy = Occupancy::ordered(Species::with_oxidation(el("Fe"), 3.0));
        sites.push(fe3);
        sites.push(Site::new(el("Fe"), [0.5, 0.5, 0.0]));
        let cell = TypedCell::from_crystal(&Crystal::new(lattice, sites)).unwrap();
        assert_eq!(cell.types, vec![1, 1, 2, 2, 3, 4, 5]);
        assert_eq!(cell.kinds.len(), 5);
        cell.validate(1e-3, None).unwrap();
    }

    #[test]
    fn degenerate_inputs_are_errors() {
        let lattice = Lattice::new([[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0]]).unwrap();
        let c = Crystal::from_elements(lattice, &[el("Fe"), el("Fe")], &[[0.0; 3], [1e-6, 0.0, 1.0]]);
        let cell = TypedCell::from_crystal(&c).unwrap();
        assert!(cell.validate(1e-3, None).is_err(), "overlapping atoms");
        cell.validate(1e-7, None).unwrap();
        assert!(cell.validate(f64::NAN, None).is_err());
        assert!(cell.validate(-1.0, None).is_err());
        assert!(cell.validate(3.0, None).is_err(), "symprec comparable to the cell");
        assert!(cell.validate(1e-7, Some(f64::INFINITY)).is_err());
        let mut nan = cell.clone();
        nan.positions[0][1] = f64::NAN;
        assert!(nan.validate(1e-3, None).is_err());
        let mut flat = cell.clone();
        flat.lattice[2] = flat.lattice[0];
        assert!(flat.validate(1e-3, None).is_err());
        let mut huge = cell.clone();
        huge.lattice[0][0] = 1e300;
        assert!(huge.validate(1e-3, None).is_err());
        let mut bad_type = cell;
        bad_type.types[0] = 7;
        assert!(bad_type.validate(1e-3, None).is_err());
    }
}
