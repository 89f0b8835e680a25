//! What a prototype needs to know about its own crystal: the symmetry dataset (moyo) and the
//! first coordination shell of every site.

use super::PrototypeError;
use crate::crystal::Crystal;
use crate::math::{self, Vec3};
use crate::symmetry::SymOp;
use moyo::MoyoDataset;
use moyo::base::{AngleTolerance, Cell, Lattice as MoyoLattice};
use moyo::data::Setting;
use nalgebra::{Matrix3, Vector3};

/// Default symmetry tolerance (Å), spglib's and pymatgen's usual 0.01 Å is too tight for
/// relaxed DFT cells and 0.1 Å merges real distortions; 1e-3 Å keeps a relaxed structure's
/// own symmetry.
pub const DEFAULT_SYMPREC: f64 = 1e-3;

/// Sites within this factor of a site's nearest-neighbour distance form its first
/// coordination shell (12 X around the perovskite A site at a/√2, not the 8 B at a·√3/2).
pub const SHELL_TOLERANCE: f64 = 1.15;

/// The symmetry dataset of a crystal in its own cell.
#[derive(Clone, Debug)]
pub(crate) struct SymmetryAnalysis {
    pub number: u16,
    pub symbol: String,
    /// Operations in the input cell's basis, identity first.
    pub operations: Vec<SymOp>,
    /// For each site, the index of the first site of its orbit.
    pub orbits: Vec<usize>,
    pub wyckoff_letters: Vec<char>,
    /// For each site, the Wyckoff multiplicity of its orbit (in the conventional cell).
    pub multiplicities: Vec<u32>,
}

/// Runs moyo on an ordered crystal; species differing in element or oxidation state are
/// distinct atom types.
pub(crate) fn analyse(crystal: &Crystal, symprec: f64) -> Result<SymmetryAnalysis, PrototypeError> {
    let mut types: Vec<(u32, Option<i64>)> = Vec::new();
    let mut numbers = Vec::with_capacity(crystal.sites.len());
    let mut positions = Vec::with_capacity(crystal.sites.len());
    for (i, site) in crystal.sites.iter().enumerate() {
        let species = match site.occupancy.species() {
            [(s, occ)] if *occ == 1.0 => *s,
            _ => return Err(PrototypeError::Disordered { site: i }),
        };
        // Oxidation states compared in hundredths: 2.5+ and 2.5+ are one type.
        let key = (species.element.z(), species.oxidation.map(|o| (o * 100.0).round() as i64));
        let id = match types.iter().position(|t| *t == key) {
            Some(p) => p,
            None => {
                types.push(key);
                types.len() - 1
            }
        };
        numbers.push(id as i32 + 1);
        positions.push(Vector3::new(site.frac[0], site.frac[1], site.frac[2]));
    }
    let m = crystal.lattice.matrix();
    let basis = Matrix3::new(m[0][0], m[0][1], m[0][2], m[1][0], m[1][1], m[1][2], m[2][0], m[2][1], m[2][2]);
    let cell = Cell::new(MoyoLattice::new(basis), positions, numbers);
    let dataset = MoyoDataset::new(&cell, symprec, AngleTolerance::Default, Setting::Standard, false)
        .map_err(|e| PrototypeError::Symmetry(e.to_string()))?;
    let n = crystal.sites.len();
    let std_n = dataset.std_cell.numbers.len();
    let mut operations: Vec<SymOp> = dataset
        .operations
        .iter()
        .map(|op| {
            let rotation = std::array::from_fn(|i| std::array::from_fn(|j| op.rotation[(i, j)]));
            let translation = std::array::from_fn(|i| op.translation[i]);
            SymOp { rotation, translation }.normalized()
        })
        .collect();
    if let Some(p) = operations.iter().position(SymOp::is_identity) {
        operations.swap(0, p);
    }
    let multiplicities: Vec<u32> = dataset
        .orbits
        .iter()
        .map(|&orbit| {
            let size = dataset.orbits.iter().filter(|&&o| o == orbit).count();
            ((size * std_n) as f64 / n as f64).round() as u32
        })
        .collect();
    Ok(SymmetryAnalysis {
        number: u16::try_from(dataset.number).unwrap_or(0),
        symbol: dataset.hm_symbol.split_whitespace().collect(),
        operations,
        orbits: dataset.orbits.clone(),
        wyckoff_letters: dataset.wyckoffs.clone(),
        multiplicities,
    })
}

/// A first-shell neighbour of site `i`: site `j` at `distance` Å (its shortest image), with
/// `count` images of `j` in `i`'s first shell (the perovskite A site has 4 images of each of
/// the 3 X sites).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Contact {
    pub i: usize,
    pub j: usize,
    pub distance: f64,
    pub count: u32,
}

/// First coordination shells: for every site, the number of neighbours (all periodic images)
/// within [`SHELL_TOLERANCE`] × its nearest-neighbour distance, and the contacts of every
/// site's shell (directional: (i, j) and (j, i) both appear when each is in the other's shell).
pub(crate) fn first_shells(crystal: &Crystal) -> (Vec<u8>, Vec<Contact>) {
    let n = crystal.sites.len();
    let lattice = &crystal.lattice;
    let spacing = lattice.plane_spacings();
    let mut cns = vec![0u8; n];
    let mut contacts: Vec<Contact> = Vec::new();
    for (i, cn) in cns.iter_mut().enumerate() {
        let fi = crystal.sites[i].frac;
        let mut nearest = lattice.shortest_vector();
        for j in 0..n {
            if j != i {
                nearest = nearest.min(lattice.periodic_distance(fi, crystal.sites[j].frac));
            }
        }
        let cutoff = nearest * SHELL_TOLERANCE;
        let mut count = 0usize;
        for j in 0..n {
            let d = math::sub(crystal.sites[j].frac, fi);
            let d: Vec3 = d.map(|x| x - x.round());
            let range: [i64; 3] = std::array::from_fn(|k| (cutoff / spacing[k]).ceil() as i64 + 1);
            let mut shortest = f64::INFINITY;
            let mut images = 0u32;
            for a in -range[0]..=range[0] {
                for b in -range[1]..=range[1] {
                    for c in -range[2]..=range[2] {
                        let f = [d[0] + a as f64, d[1] + b as f64, d[2] + c as f64];
                        let r = math::norm(lattice.to_cartesian(f));
                        if r > 1e-8 && r <= cutoff {
                            count += 1;
                            images += 1;
                            shortest = shortest.min(r);
                        }
                    }
                }
            }
            if shortest.is_finite() && j != i {
                contacts.push(Contact { i, j, distance: shortest, count: images });
            }
        }
        *cn = count.min(u8::MAX as usize) as u8;
    }
    (cns, contacts)
}
