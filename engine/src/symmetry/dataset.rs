//! The symmetry dataset of a crystal: space-group type, operations, Wyckoff orbits, and the
//! standardized cell, from either backend.

use super::{Backend, SymOp, SymmetryError, SymmetryOptions, TypedCell, moyo_backend, spglib};
use crate::crystal::{Crystal, Occupancy};
use crate::math::{Mat3, Vec3};
use std::fmt::Write as _;

/// What a symmetry search found for one crystal (spglib's `SpglibDataset`, backend-neutral).
/// Per-site vectors follow the input crystal's site order.
#[derive(Clone, Debug, PartialEq)]
pub struct SymmetryDataset {
    /// International Tables number, 1–230.
    pub number: u16,
    /// Hall number (spglib's 1–530 setting table).
    pub hall_number: i32,
    /// Short Hermann–Mauguin symbol as spglib and pymatgen write it ("Pm-3m", "P2_1/c").
    pub international: String,
    pub hall_symbol: String,
    /// Setting code: "", "b", "1"/"2" (origin choice), "H"/"R".
    pub choice: String,
    /// Point-group symbol ("m-3m").
    pub point_group: String,
    /// Space-group operations in the input cell's basis (identity first for spglib).
    pub operations: Vec<SymOp>,
    /// spglib's (P, p): the standardized basis is (a b c)·P⁻¹ with origin shift p.
    pub transformation: Mat3,
    pub origin_shift: Vec3,
    /// Wyckoff letter of every site ('a'…'z', then 'A' for the 27th, as in Pmmm).
    pub wyckoffs: Vec<char>,
    /// Oriented site-symmetry symbol of every site ("4/mm.m").
    pub site_symmetry: Vec<String>,
    /// spglib's `equivalent_atoms`: the lowest index of a site equivalent to each site under
    /// the operations of the input cell.
    pub equivalent_atoms: Vec<usize>,
    /// spglib's `crystallographic_orbits`: the same under the primitive cell's operations
    /// (differs from `equivalent_atoms` for supercells).
    pub orbits: Vec<usize>,
    /// Index of the primitive-cell site each input site maps to.
    pub mapping_to_primitive: Vec<usize>,
    /// The conventional standardized cell (idealized, in spglib's/moyo's orientation).
    pub standard: Crystal,
    /// Which code answered, and the tolerances it used.
    pub backend: Backend,
    pub symprec: f64,
    pub angle_tolerance: Option<f64>,
    /// The species content of each input site (for orbit descriptions).
    pub(super) kinds: Vec<Occupancy>,
    pub(super) types: Vec<i32>,
    /// Input-cell volume (Å³), to turn orbit sizes into Wyckoff multiplicities.
    pub(super) input_volume: f64,
}

/// One orbit of symmetry-equivalent sites.
#[derive(Clone, Debug, PartialEq)]
pub struct WyckoffOrbit {
    /// Lowest input-site index in the orbit.
    pub representative: usize,
    /// Input sites in the orbit.
    pub sites: Vec<usize>,
    pub letter: char,
    /// Multiplicity in the conventional cell (the "4" of "4a").
    pub multiplicity: usize,
    pub site_symmetry: String,
    /// Species content of the orbit's sites.
    pub species: Occupancy,
}

impl WyckoffOrbit {
    /// "4a".
    pub fn label(&self) -> String {
        format!("{}{}", self.multiplicity, self.letter)
    }
}

impl SymmetryDataset {
    /// Analyses `crystal` with the backend and tolerances of `options`. Never panics: inputs
    /// the C code cannot take (see [`TypedCell::validate`]) and backend failures are errors.
    pub fn new(crystal: &Crystal, options: &SymmetryOptions) -> Result<SymmetryDataset, SymmetryError> {
        let cell = TypedCell::from_crystal(crystal)?;
        Self::from_cell(&cell, options)
    }

    /// Same as [`SymmetryDataset::new`] on an already typed cell.
    pub fn from_cell(cell: &TypedCell, options: &SymmetryOptions) -> Result<SymmetryDataset, SymmetryError> {
        cell.validate(options.symprec, options.angle_tolerance)?;
        match options.answering_backend(cell) {
            Backend::Spglib => spglib::dataset(cell, options.symprec, options.angle_tolerance),
            Backend::Moyo => moyo_backend::dataset(cell, options.symprec, options.angle_tolerance),
        }
    }

    /// Number of operations in the input cell (including pure translations of supercells).
    pub fn num_operations(&self) -> usize {
        self.operations.len()
    }

    /// The orbits, ordered by Wyckoff letter ('a' first), then by representative.
    pub fn wyckoff_orbits(&self) -> Vec<WyckoffOrbit> {
        let n = self.orbits.len();
        let ratio = self.standard.volume() / self.input_volume;
        let mut out: Vec<WyckoffOrbit> = Vec::new();
        for rep in 0..n {
            if self.orbits[rep] != rep {
                continue;
            }
            let sites: Vec<usize> = (0..n).filter(|&i| self.orbits[i] == rep).collect();
            let multiplicity = (sites.len() as f64 * ratio).round().max(1.0) as usize;
            let kind = (self.types[rep] as usize).checked_sub(1).and_then(|t| self.kinds.get(t));
            out.push(WyckoffOrbit {
                representative: rep,
                multiplicity,
                letter: self.wyckoffs[rep],
                site_symmetry: self.site_symmetry[rep].clone(),
                species: kind.cloned().unwrap_or_else(|| Occupancy::mixed(Vec::new())),
                sites,
            });
        }
        out.sort_by_key(|o| (letter_rank(o.letter), o.representative));
        out
    }

    /// The Wyckoff sequence: every orbit's multiplicity and letter, by letter ("1a 1b 3c").
    pub fn wyckoff_sequence(&self) -> String {
        self.wyckoff_orbits().iter().map(WyckoffOrbit::label).collect::<Vec<_>>().join(" ")
    }
}

/// 'a'…'z' then 'A' (Pmmm's 27th position).
fn letter_rank(c: char) -> u32 {
    if c.is_ascii_lowercase() { c as u32 - 'a' as u32 } else { 26 + c as u32 }
}

/// Wyckoff letter of spglib's 0-based index.
pub(super) fn wyckoff_letter(index: i32) -> char {
    match index {
        0..=25 => (b'a' + index as u8) as char,
        26 => 'A',
        _ => '?',
    }
}

/// "Sr", "Sr0.5Ba0.5", "Fe3+": a site's species content in a compact form.
pub fn species_label(occ: &Occupancy) -> String {
    let mut s = String::new();
    for (sp, o) in occ.species() {
        let _ = write!(s, "{sp}");
        if !occ.is_ordered() {
            let _ = write!(s, "{}", (o * 1e6).round() / 1e6);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters() {
        assert_eq!(wyckoff_letter(0), 'a');
        assert_eq!(wyckoff_letter(25), 'z');
        assert_eq!(wyckoff_letter(26), 'A');
        assert!(letter_rank('z') < letter_rank('A'));
    }
}
