//! Structure matching with pymatgen `StructureMatcher` semantics, made symmetric and
//! order-independent.
//!
//! Two crystals match when, after reduction to primitive cells (at the symmetry tolerance) in
//! their Niggli bases and optional scaling to a common volume, some basis of one has lattice
//! lengths within a factor (1 + `ltol`) and angles within `angle_tol` of the other's, and a
//! translation plus a one-to-one pairing of like sites moves no site by more than `stol` ×
//! (V/N)^⅓ — pymatgen's `fit` with its defaults (ltol 0.2, stol 0.3, angle_tol 5°,
//! primitive_cell, scale, no supercells). Differences, all deliberate:
//!
//! - **Symmetric**: [`StructureMatcher::matches`] requires the fit both ways (pymatgen's
//!   `fit(..., symmetric=True)`), so `matches(a, b) == matches(b, a)` always.
//! - **Order-independent grouping**: [`group_structures`] returns the connected components of
//!   the match graph, which no input order can change (pymatgen's greedy grouping depends on
//!   it). A chain a ~ b ~ c puts a and c together even when a and c alone would not match.
//! - **Same space group**: structures are compared only when their cheap invariants agree —
//!   site counts per kind in the primitive cell, space-group number and orbit sizes at the
//!   matcher's `symprec` — so structures of different space groups never match (pymatgen can
//!   match them) and most pairs are never compared.
//! - Primitive cells come from spglib/moyo at `symprec` (not pymatgen's own primitive search
//!   at 0.25 Å), positions as found (not idealized).
//!
//! Disordered sites compare by their full species-and-occupancy content
//! ([`Comparison::Species`], pymatgen's `SpeciesComparator`), without oxidation states
//! ([`Comparison::Element`], `ElementComparator`) or up to a relabelling of kinds
//! ([`Comparison::Anonymous`], `fit_anonymous`).

mod assignment;
mod fit;
mod grouping;
mod reduced;

pub use grouping::{Grouping, group_reduced, group_structures};
pub use reduced::{InvariantKey, ReducedStructure, reduce};

use super::{Backend, SymmetryError, SymmetryOptions};
use crate::crystal::Crystal;
use std::str::FromStr;

/// What must be equal for two sites to pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Comparison {
    /// Species with oxidation states and occupancies (pymatgen's default).
    #[default]
    Species,
    /// Elements and occupancies; oxidation states ignored.
    Element,
    /// Any one-to-one relabelling of the site kinds (prototype / structure-type matching).
    Anonymous,
}

impl FromStr for Comparison {
    type Err = String;
    fn from_str(s: &str) -> Result<Comparison, String> {
        match s.to_ascii_lowercase().as_str() {
            "species" => Ok(Comparison::Species),
            "element" | "elements" => Ok(Comparison::Element),
            "anonymous" => Ok(Comparison::Anonymous),
            other => Err(format!("unknown comparison '{other}' (expected species, element or anonymous)")),
        }
    }
}

/// Matching tolerances (pymatgen's names and defaults).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MatcherOptions {
    /// Fractional tolerance on lattice lengths (0.2).
    pub ltol: f64,
    /// Site tolerance in units of (V/N)^⅓ (0.3).
    pub stol: f64,
    /// Angle tolerance in degrees (5).
    pub angle_tol: f64,
    /// Reduce to the primitive cell first (true).
    pub primitive_cell: bool,
    /// Scale both cells to the same volume before comparing (true).
    pub scale: bool,
    pub comparison: Comparison,
    /// Tolerances of the primitive-cell and space-group search: moyo, 0.1 Å (the Materials
    /// Project's symprec), no separate angle tolerance (spglib's −1: the angle criterion
    /// follows symprec). An explicit angle tolerance works too, but costs moyo a second search
    /// per structure and sends the cells where moyo's lattice search could run away (6 of the
    /// 3,938 `mp_flla2015` structures at 5°, e.g. TaS2 `mp-1411`) to spglib; see
    /// [`SymmetryOptions::answering_backend`].
    pub symmetry: SymmetryOptions,
}

impl Default for MatcherOptions {
    fn default() -> Self {
        MatcherOptions {
            ltol: 0.2,
            stol: 0.3,
            angle_tol: 5.0,
            primitive_cell: true,
            scale: true,
            comparison: Comparison::Species,
            symmetry: SymmetryOptions { backend: Backend::Moyo, symprec: 0.1, angle_tolerance: None },
        }
    }
}

impl MatcherOptions {
    /// Checks the tolerances are usable numbers.
    pub fn validate(&self) -> Result<(), SymmetryError> {
        let ok = |x: f64, max: f64| x.is_finite() && x > 0.0 && x < max;
        if !ok(self.ltol, 1.0) || !ok(self.stol, 1.0) || !ok(self.angle_tol, 45.0) {
            return Err(SymmetryError::Invalid(format!(
                "matcher tolerances out of range: ltol {} and stol {} must be in (0, 1), angle_tol {} in (0, 45) degrees",
                self.ltol, self.stol, self.angle_tol
            )));
        }
        Ok(())
    }
}

/// Compares crystals (see the module documentation for the semantics).
#[derive(Clone, Debug, Default)]
pub struct StructureMatcher {
    pub options: MatcherOptions,
}

impl StructureMatcher {
    pub fn new(options: MatcherOptions) -> Self {
        StructureMatcher { options }
    }

    /// Prepares a crystal for repeated comparisons.
    pub fn reduce(&self, crystal: &Crystal) -> Result<ReducedStructure, SymmetryError> {
        self.options.validate()?;
        reduce(crystal, &self.options)
    }

    /// Do the two crystals match? Symmetric in its arguments.
    pub fn fit(&self, a: &Crystal, b: &Crystal) -> Result<bool, SymmetryError> {
        Ok(self.matches(&self.reduce(a)?, &self.reduce(b)?))
    }

    /// Do two reduced structures match? Symmetric: both one-way fits must succeed, for one
    /// pairing of kinds (the identity of labels, or any count-preserving relabelling when
    /// anonymous).
    pub fn matches(&self, a: &ReducedStructure, b: &ReducedStructure) -> bool {
        let c = self.options.comparison;
        if a.key(c) != b.key(c) {
            return false;
        }
        kind_maps(a, b, c).into_iter().any(|map| {
            let back = invert(&map);
            fit::fit_one_way(a, b, &map, &self.options) && fit::fit_one_way(b, a, &back, &self.options)
        })
    }
}

/// Bijections from the kinds of `a` to those of `b` that keep counts and orbit sizes.
fn kind_maps(a: &ReducedStructure, b: &ReducedStructure, comparison: Comparison) -> Vec<Vec<usize>> {
    let k = a.kinds.len();
    if k != b.kinds.len() {
        return Vec::new();
    }
    if comparison != Comparison::Anonymous {
        let map: Option<Vec<usize>> = a.kinds.iter().map(|l| b.kinds.iter().position(|m| m == l)).collect();
        return map.into_iter().collect();
    }
    // Anonymous: permutations restricted to kinds with the same count and orbit sizes.
    let fits = |i: usize, j: usize| a.counts[i] == b.counts[j] && a.wyckoff[i] == b.wyckoff[j];
    let mut out = Vec::new();
    let mut current = Vec::with_capacity(k);
    let mut used = vec![false; k];
    fn extend(
        i: usize,
        k: usize,
        fits: &dyn Fn(usize, usize) -> bool,
        current: &mut Vec<usize>,
        used: &mut [bool],
        out: &mut Vec<Vec<usize>>,
    ) {
        // Bound the work on many interchangeable kinds (8! relabellings is already plenty).
        if out.len() >= 40_320 {
            return;
        }
        if i == k {
            out.push(current.clone());
            return;
        }
        for j in 0..k {
            if !used[j] && fits(i, j) {
                used[j] = true;
                current.push(j);
                extend(i + 1, k, fits, current, used, out);
                current.pop();
                used[j] = false;
            }
        }
    }
    extend(0, k, &fits, &mut current, &mut used, &mut out);
    out
}

fn invert(map: &[usize]) -> Vec<usize> {
    let mut back = vec![0; map.len()];
    for (i, &j) in map.iter().enumerate() {
        back[j] = i;
    }
    back
}

#[cfg(test)]
mod tests;
