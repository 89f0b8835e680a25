//! One ionic radius for an ion in a given coordination, with a documented fallback, for the
//! rules that need a number for every ion (tolerance factor, octahedral factor, the contact
//! volume rule of substitution).
//!
//! Lookup order, in Shannon's effective **ionic** radii (pymatgen's transcription, Å):
//! 1. the row for that coordination number (regular geometry preferred over square-planar /
//!    pyramidal, high spin preferred where Shannon lists both);
//! 2. otherwise the row with the nearest tabulated coordination number (ties: the larger),
//!    e.g. an A-site cation without a XII row takes its largest tabulated CN (its radius is
//!    then underestimated by about 0.02–0.04 Å per missing CN step);
//! 3. otherwise pymatgen's `Species.ionic_radius` (one radius per oxidation state);
//! 4. otherwise none (the ion is not in Shannon's table).

use super::Ion;
use super::shannon::{Geometry, ShannonTable, Spin, default_ionic_radius};

/// Which rule produced a radius.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RadiusSource {
    /// Shannon's row for the requested coordination.
    Exact,
    /// Shannon's row for the nearest tabulated coordination number.
    NearestCoordination(u8),
    /// pymatgen's one-per-oxidation-state ionic radius.
    DefaultIonic,
}

/// An ionic radius (Å) and how it was found.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IonicRadius {
    pub radius: f64,
    pub source: RadiusSource,
}

/// The ionic radius of `ion` in `coordination`-fold coordination, with the fallback described
/// in the module docs.
///
/// ```
/// use screen_engine::chem::radius::{ionic_radius, RadiusSource};
/// let sr = ionic_radius("Sr2+".parse().unwrap(), 12).unwrap();
/// assert_eq!((sr.radius, sr.source), (1.44, RadiusSource::Exact));
/// // Ti4+ has no XII row: its largest tabulated CN (VIII) is used.
/// let ti = ionic_radius("Ti4+".parse().unwrap(), 12).unwrap();
/// assert_eq!(ti.source, RadiusSource::NearestCoordination(8));
/// ```
pub fn ionic_radius(ion: Ion, coordination: u8) -> Option<IonicRadius> {
    let preference = |geometry: Geometry, spin: Option<Spin>| {
        (geometry != Geometry::Regular, spin == Some(Spin::Low))
    };
    let mut best: Option<(u8, (bool, bool), f64)> = None;
    for row in ShannonTable::Pymatgen.rows_for(ion) {
        let cn = row.coordination.number;
        let key = (cn.abs_diff(coordination), u8::MAX - cn);
        let pref = preference(row.coordination.geometry, row.spin);
        let better = match best {
            None => true,
            Some((bcn, bpref, _)) => {
                let bkey = (bcn.abs_diff(coordination), u8::MAX - bcn);
                (key, pref) < (bkey, bpref)
            }
        };
        if better {
            best = Some((cn, pref, row.ionic));
        }
    }
    match best {
        Some((cn, _, radius)) if cn == coordination => Some(IonicRadius { radius, source: RadiusSource::Exact }),
        Some((cn, _, radius)) => Some(IonicRadius { radius, source: RadiusSource::NearestCoordination(cn) }),
        None => default_ionic_radius(ion).map(|radius| IonicRadius { radius, source: RadiusSource::DefaultIonic }),
    }
}

/// True when Shannon's table (or pymatgen's per-state radius) knows `ion`.
pub fn has_radius(ion: Ion) -> bool {
    ShannonTable::Pymatgen.rows_for(ion).next().is_some() || default_ionic_radius(ion).is_some()
}

/// Likely oxidation states of a composition's elements (same order) for sizing and radius
/// rules. Each element may take its pymatgen *common* states, then the other states of `set`,
/// but only states with a tabulated ionic radius; the assignment must be charge neutral and
/// order cations below anions in (SMACT's) electronegativity. Among those, the one using the
/// fewest non-common states wins, then the first in product order (Ti⁴⁺ O²⁻ for SrTiO3, not
/// SMACT's first hit Ti⁺ O⁻ from the wide ICSD sets). Without a Pauling-ordered one, the
/// same search without the Pauling test; `None` if nothing is neutral.
///
/// ```
/// use screen_engine::chem::{Element, OxidationStateSet, radius::likely_oxidation_states};
/// let el = |s| Element::from_symbol(s).unwrap();
/// let sto = [(el("Sr"), 1), (el("Ti"), 1), (el("O"), 3)];
/// assert_eq!(likely_oxidation_states(&sto, OxidationStateSet::Icsd24Consensus3), Some(vec![2, 4, -2]));
/// ```
pub fn likely_oxidation_states(
    composition: &[(super::Element, u32)],
    set: super::OxidationStateSet,
) -> Option<Vec<i8>> {
    use super::OxidationStateSet;
    let n = composition.len();
    if n == 0 {
        return None;
    }
    // Per element: (state, is_common), common first.
    let lists: Vec<Vec<(i8, bool)>> = composition
        .iter()
        .map(|&(e, _)| {
            let common = e.oxidation_states(OxidationStateSet::PymatgenCommon);
            let mut v: Vec<(i8, bool)> = common.iter().map(|&q| (q, true)).collect();
            v.extend(e.oxidation_states(set).iter().filter(|q| !common.contains(q)).map(|&q| (q, false)));
            v.retain(|&(q, _)| q != 0 && has_radius(Ion::new(e, q)));
            v
        })
        .collect();
    let ens: Vec<f64> = composition.iter().map(|(e, _)| e.electronegativity_smact().unwrap_or(f64::NAN)).collect();
    let mut chosen = vec![0i8; n];
    for pauling in [true, false] {
        for budget in 0..=n {
            if search(0, 0, budget, pauling, composition, &lists, &ens, &mut chosen) {
                return Some(chosen);
            }
        }
    }
    None
}

#[allow(clippy::too_many_arguments)]
fn search(
    k: usize,
    charge: i64,
    budget: usize,
    pauling: bool,
    composition: &[(super::Element, u32)],
    lists: &[Vec<(i8, bool)>],
    ens: &[f64],
    chosen: &mut [i8],
) -> bool {
    if k == composition.len() {
        if charge != 0 {
            return false;
        }
        if !pauling {
            return true;
        }
        let (mut max_cation, mut min_anion) = (f64::NEG_INFINITY, f64::INFINITY);
        for (&q, &en) in chosen.iter().zip(ens) {
            if q > 0 {
                max_cation = max_cation.max(en);
            } else {
                min_anion = min_anion.min(en);
            }
        }
        return max_cation < min_anion;
    }
    for &(q, common) in &lists[k] {
        if !common && budget == 0 {
            continue;
        }
        chosen[k] = q;
        let next = charge + i64::from(q) * i64::from(composition[k].1);
        if search(k + 1, next, budget - usize::from(!common), pauling, composition, lists, ens, chosen) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(ion: &str, cn: u8) -> Option<IonicRadius> {
        ionic_radius(ion.parse().unwrap(), cn)
    }

    #[test]
    fn exact_rows_and_fallbacks() {
        assert_eq!(r("O2-", 6).unwrap(), IonicRadius { radius: 1.40, source: RadiusSource::Exact });
        assert_eq!(r("Ba2+", 12).unwrap().radius, 1.61);
        assert_eq!(r("Ti4+", 6).unwrap().radius, 0.605);
        // High spin preferred: Fe3+ VI HS 0.645, LS 0.55.
        assert_eq!(r("Fe3+", 6).unwrap().radius, 0.645);
        // Regular geometry preferred over square planar: Cu2+ IV 0.57 (IVSQ 0.57 as well); Pd2+
        // has only IVSQ and VI rows.
        assert_eq!(r("Pd2+", 4).unwrap().source, RadiusSource::Exact);
        // Nearest CN, ties to the larger: N3- has only IV: requested VI takes IV.
        assert_eq!(r("N3-", 6).unwrap(), IonicRadius { radius: 1.46, source: RadiusSource::NearestCoordination(4) });
        // Not in Shannon's table at all.
        assert!(r("Fe9+", 6).is_none());
    }
}
