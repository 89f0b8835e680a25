//! A structure prepared for matching, once per structure: primitive cell (as found, not
//! idealized) in its Niggli basis, sites sorted by kind, and the cheap invariants that bucket
//! candidates (site counts per kind, space group, Wyckoff multiplicities).

use super::{Comparison, MatcherOptions};
use crate::crystal::{Crystal, Lattice, Occupancy, Species};
use crate::math::Vec3;
use crate::symmetry::reduction::{self, LatticeReduction};
use crate::symmetry::{Backend, SymmetryError, TypedCell, species_label};

/// A reduced structure ready for [`super::StructureMatcher::fit_reduced`].
#[derive(Clone, Debug)]
pub struct ReducedStructure {
    /// Niggli-reduced primitive lattice.
    pub lattice: Lattice,
    /// Fractional coordinates in `lattice`, sorted by kind.
    pub frac: Vec<Vec3>,
    /// Kind index of every site (into `kinds`).
    pub kind_of: Vec<usize>,
    /// Canonical labels of the site kinds ("Fe", "Fe3+", "Ba0.5Sr0.5"), sorted.
    pub kinds: Vec<String>,
    /// Sites per kind.
    pub counts: Vec<usize>,
    /// Space-group number at the matcher's tolerance; `None` when the search failed (the
    /// structure is then compared as given, with every other such structure of its formula).
    pub space_group: Option<u16>,
    /// Orbit sizes in the primitive cell per kind: `wyckoff[k]` lists, sorted, the sizes of
    /// the orbits of kind `k`. Unlike Wyckoff letters these do not depend on the choice of
    /// origin (SrTiO3's Sr is 1a with the origin on Sr and 1b with it on Ti).
    pub wyckoff: Vec<Vec<usize>>,
}

/// The invariants two matching structures must share: cheap to compare, exact to hash.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InvariantKey {
    /// (kind label, sites per kind) sorted; kind labels are blank in anonymous comparison.
    pub composition: Vec<(String, usize)>,
    pub space_group: Option<u16>,
    /// Per kind (same order as `composition`): orbit sizes.
    pub wyckoff: Vec<Vec<usize>>,
}

impl ReducedStructure {
    pub fn num_sites(&self) -> usize {
        self.frac.len()
    }

    pub fn volume_per_site(&self) -> f64 {
        self.lattice.volume() / self.frac.len() as f64
    }

    /// The bucket key for `comparison`.
    pub fn key(&self, comparison: Comparison) -> InvariantKey {
        let mut rows: Vec<(String, usize, Vec<usize>)> = (0..self.kinds.len())
            .map(|k| {
                let label = if comparison == Comparison::Anonymous { String::new() } else { self.kinds[k].clone() };
                (label, self.counts[k], self.wyckoff[k].clone())
            })
            .collect();
        rows.sort();
        InvariantKey {
            composition: rows.iter().map(|(l, c, _)| (l.clone(), *c)).collect(),
            space_group: self.space_group,
            wyckoff: rows.into_iter().map(|(_, _, w)| w).collect(),
        }
    }
}

/// The site content a comparison sees: everything (species), or without oxidation states.
fn comparable(occ: &Occupancy, comparison: Comparison) -> Occupancy {
    match comparison {
        Comparison::Element => {
            let mut out = Occupancy::mixed(Vec::new());
            for (sp, o) in occ.species() {
                out.add(Species::new(sp.element), *o);
            }
            out
        }
        Comparison::Species | Comparison::Anonymous => occ.clone(),
    }
}

/// Canonical label of a site's content (species sorted, so the same content always gives
/// the same label).
fn canonical_label(occ: &Occupancy) -> String {
    let mut species: Vec<(Species, f64)> = occ.species().to_vec();
    species.sort_by(|a, b| {
        (a.0.element, a.0.oxidation.map(|x| (x * 1e6).round() as i64))
            .cmp(&(b.0.element, b.0.oxidation.map(|x| (x * 1e6).round() as i64)))
    });
    species_label(&Occupancy::mixed(species))
}

/// Prepares one structure: primitive cell at the matcher's symmetry tolerance (when
/// `primitive_cell`), Niggli reduction, kinds, invariants.
pub fn reduce(crystal: &Crystal, options: &MatcherOptions) -> Result<ReducedStructure, SymmetryError> {
    let mut c = crystal.clone();
    for site in &mut c.sites {
        site.occupancy = comparable(&site.occupancy, options.comparison);
    }
    let cell = TypedCell::from_crystal(&c)?;
    let sym = &options.symmetry;
    cell.validate(sym.symprec, sym.angle_tolerance)?;
    let n_in = cell.num_sites();
    let found = reduction::dataset_and_primitive(&cell, sym);
    let (primitive, space_group, orbit_sizes) = match found {
        Ok((dataset, prim)) => {
            let per_cell = n_in as f64 / prim.num_sites() as f64;
            let mut sizes: Vec<(i32, usize)> = Vec::new();
            for rep in 0..n_in {
                if dataset.orbits[rep] == rep {
                    let size = (0..n_in).filter(|&i| dataset.orbits[i] == rep).count();
                    sizes.push((cell.types[rep], ((size as f64 / per_cell).round() as usize).max(1)));
                }
            }
            let prim = if options.primitive_cell { prim } else { c.clone() };
            (prim, Some(dataset.number), sizes)
        }
        // The search failed at this tolerance: compare the cell as given, without symmetry.
        Err(SymmetryError::Failed { .. }) => (c.clone(), None, Vec::new()),
        Err(e) => return Err(e),
    };
    let niggli = reduction::reduce_cell(&primitive, LatticeReduction::Niggli, Backend::Moyo)?;
    // Kinds: canonical labels of the typed cell's kinds, sorted.
    let labels: Vec<String> = cell.kinds.iter().map(canonical_label).collect();
    let mut kinds = labels.clone();
    kinds.sort();
    kinds.dedup();
    let kind_index = |label: &str| kinds.iter().position(|k| k == label).unwrap_or(0);
    let mut sites: Vec<(usize, Vec3)> = niggli
        .sites
        .iter()
        .map(|s| (kind_index(&canonical_label(&s.occupancy)), s.frac))
        .collect();
    sites.sort_by_key(|s| s.0);
    let mut counts = vec![0usize; kinds.len()];
    for (k, _) in &sites {
        counts[*k] += 1;
    }
    let mut wyckoff = vec![Vec::new(); kinds.len()];
    for (t, size) in orbit_sizes {
        let label = &labels[(t - 1) as usize];
        wyckoff[kind_index(label)].push(size);
    }
    for w in &mut wyckoff {
        w.sort_unstable();
    }
    Ok(ReducedStructure {
        lattice: niggli.lattice,
        frac: sites.iter().map(|s| s.1).collect(),
        kind_of: sites.iter().map(|s| s.0).collect(),
        kinds,
        counts,
        space_group,
        wyckoff,
    })
}
