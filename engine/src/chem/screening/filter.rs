//! SMACT's `smact_filter`: every charge-neutral, electronegativity-ordered stoichiometry of an
//! element pool up to a coefficient threshold, in SMACT's output order. The search walks the
//! oxidation-state tuples in product order, skips those failing the Pauling test, and for the
//! rest visits only the coefficients that keep the total charge reachable, solving the last.

use super::gcd;
use crate::chem::element::{Element, OxidationStateSet};

/// Options of [`smact_filter`]; `Default` is SMACT's default call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterOptions {
    /// Largest stoichiometric coefficient per element (SMACT's `threshold`, default 8).
    pub threshold: u32,
    /// Default [`OxidationStateSet::Icsd24`] (SMACT's `oxidation_states_set="icsd24"`).
    pub oxidation_states: OxidationStateSet,
}

impl Default for FilterOptions {
    fn default() -> Self {
        FilterOptions {
            threshold: 8,
            oxidation_states: OxidationStateSet::Icsd24,
        }
    }
}

/// An element with no oxidation states in the chosen set (SMACT raises `ValueError`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no oxidation states for {element} in oxidation-state set '{set}'")]
pub struct NoOxidationStates {
    pub element: Element,
    pub set: OxidationStateSet,
}

/// The results of [`smact_filter`], stored flat: result `i` is the oxidation states and the
/// stoichiometry of the elements passed in, in SMACT's output order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NeutralCompositions {
    width: usize,
    states: Vec<i8>,
    stoichiometries: Vec<u32>,
}

impl NeutralCompositions {
    pub fn len(&self) -> usize {
        self.stoichiometries
            .len()
            .checked_div(self.width)
            .unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.stoichiometries.is_empty()
    }

    /// (oxidation states, stoichiometry) of result `i`.
    pub fn get(&self, i: usize) -> Option<(&[i8], &[u32])> {
        let range = i.checked_mul(self.width)?..(i + 1).checked_mul(self.width)?;
        Some((
            self.states.get(range.clone())?,
            self.stoichiometries.get(range)?,
        ))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&[i8], &[u32])> {
        let w = self.width.max(1);
        self.states
            .chunks_exact(w)
            .zip(self.stoichiometries.chunks_exact(w))
    }
}

/// SMACT's `smact_filter(elements, threshold, oxidation_states_set=…)` with
/// `species_unique=True`: every (oxidation states, stoichiometry) with coefficients in
/// 1..=threshold, gcd 1, zero total charge and a passing Pauling test, in SMACT's order
/// (state tuples in product order, stoichiometries lexicographic within each).
pub fn smact_filter(
    elements: &[Element],
    options: &FilterOptions,
) -> Result<NeutralCompositions, NoOxidationStates> {
    let mut out = NeutralCompositions {
        width: elements.len(),
        ..Default::default()
    };
    for_each_neutral_composition(elements, options, |states, stoichiometry| {
        out.states.extend_from_slice(states);
        out.stoichiometries.extend_from_slice(stoichiometry);
    })?;
    Ok(out)
}

/// `smact_filter(…, species_unique=False)`: the distinct stoichiometries, first occurrence
/// first.
pub fn smact_filter_stoichiometries(
    elements: &[Element],
    options: &FilterOptions,
) -> Result<Vec<Vec<u32>>, NoOxidationStates> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for_each_neutral_composition(elements, options, |_, stoichiometry| {
        if !seen.contains(stoichiometry) {
            seen.insert(stoichiometry.to_vec());
            out.push(stoichiometry.to_vec());
        }
    })?;
    Ok(out)
}

/// The enumeration behind [`smact_filter`], calling `visit(states, stoichiometry)` for each
/// result in order without allocating per result.
pub fn for_each_neutral_composition(
    elements: &[Element],
    options: &FilterOptions,
    mut visit: impl FnMut(&[i8], &[u32]),
) -> Result<(), NoOxidationStates> {
    let set = options.oxidation_states;
    let lists: Vec<&[i8]> = elements
        .iter()
        .map(|&element| {
            let states = element.oxidation_states(set);
            if states.is_empty() {
                Err(NoOxidationStates { element, set })
            } else {
                Ok(states)
            }
        })
        .collect::<Result<_, _>>()?;
    let n = elements.len();
    let ens: Vec<Option<f64>> = elements
        .iter()
        .map(|e| e.electronegativity_smact())
        .collect();
    if n == 0 || options.threshold == 0 || (n >= 2 && ens.iter().any(Option::is_none)) {
        return Ok(());
    }
    let ens: Vec<f64> = ens.into_iter().map(|e| e.unwrap_or(f64::NAN)).collect();
    let mut search = RatioSearch::new(n, options.threshold);
    let mut index = vec![0usize; n];
    let mut states = vec![0i8; n];
    loop {
        for (k, s) in states.iter_mut().enumerate() {
            *s = lists[k][index[k]];
        }
        if pauling_passes(&states, &ens) {
            search.run(&states, &mut visit);
        }
        // Odometer over state tuples, last element fastest (itertools.product order).
        let mut k = n;
        loop {
            if k == 0 {
                return Ok(());
            }
            k -= 1;
            index[k] += 1;
            if index[k] < lists[k].len() {
                break;
            }
            index[k] = 0;
        }
    }
}

/// Every cation less electronegative than every anion (SMACT's `eneg_states_test`).
fn pauling_passes(states: &[i8], ens: &[f64]) -> bool {
    let mut max_cation = f64::NEG_INFINITY;
    let mut min_anion = f64::INFINITY;
    for (&ox, &en) in states.iter().zip(ens) {
        if ox > 0 {
            max_cation = max_cation.max(en);
        } else if ox < 0 {
            min_anion = min_anion.min(en);
        }
    }
    max_cation < min_anion
}

/// Lexicographic enumeration of stoichiometries r ∈ [1, T]ⁿ with Σ ox·r = 0 and gcd(r) = 1;
/// scratch buffers are reused across state tuples. At each position only the coefficients
/// that leave the remaining charge reachable are visited, so the last one is solved for.
struct RatioSearch {
    threshold: i64,
    ratio: Vec<u32>,
    /// Largest coefficient worth trying at each position.
    max: Vec<u32>,
    charge: Vec<i64>,
    suffix: Vec<(i64, i64)>,
}

fn floor_div(x: i64, d: i64) -> i64 {
    let q = x / d;
    if x % d != 0 && ((x < 0) != (d < 0)) {
        q - 1
    } else {
        q
    }
}

fn ceil_div(x: i64, d: i64) -> i64 {
    -floor_div(-x, d)
}

impl RatioSearch {
    fn new(n: usize, threshold: u32) -> Self {
        RatioSearch {
            threshold: i64::from(threshold),
            ratio: vec![0; n],
            max: vec![0; n],
            charge: vec![0; n + 1],
            suffix: vec![(0, 0); n + 1],
        }
    }

    /// Sets up position `k`: the coefficients r with charge[k] + ox·r + (rest) = 0 possible.
    fn enter(&mut self, k: usize, ox: i64) {
        let (lo, hi) = self.suffix[k + 1];
        let (a, b) = (-hi - self.charge[k], -lo - self.charge[k]);
        let (min, max) = match ox.signum() {
            1 => (ceil_div(a, ox), floor_div(b, ox)),
            -1 => (ceil_div(b, ox), floor_div(a, ox)),
            _ if a <= 0 && 0 <= b => (1, self.threshold),
            _ => (1, 0),
        };
        let (min, max) = (min.max(1), max.min(self.threshold));
        if min > max {
            self.ratio[k] = 0;
            self.max[k] = 0;
        } else {
            self.ratio[k] = (min - 1) as u32;
            self.max[k] = max as u32;
        }
    }

    fn run(&mut self, states: &[i8], visit: &mut impl FnMut(&[i8], &[u32])) {
        let n = states.len();
        let t = self.threshold;
        for k in (0..n).rev() {
            let ox = i64::from(states[k]);
            let (a, b) = (ox, ox * t);
            self.suffix[k] = (
                self.suffix[k + 1].0 + a.min(b),
                self.suffix[k + 1].1 + a.max(b),
            );
        }
        if self.suffix[0].0 > 0 || self.suffix[0].1 < 0 {
            return;
        }
        let last = n - 1;
        if last == 0 {
            self.solve_last(0, states, visit);
            return;
        }
        // Positions 0..last are walked; the last coefficient is solved for.
        let mut k = 0;
        self.enter(0, i64::from(states[0]));
        loop {
            let r = self.ratio[k] + 1;
            if r > self.max[k] {
                if k == 0 {
                    return;
                }
                k -= 1;
                continue;
            }
            self.ratio[k] = r;
            self.charge[k + 1] = self.charge[k] + i64::from(states[k]) * i64::from(r);
            if k + 1 == last {
                self.solve_last(last, states, visit);
            } else {
                k += 1;
                self.enter(k, i64::from(states[k]));
            }
        }
    }

    /// The coefficients of the last position that close the charge, each emitted if the
    /// whole stoichiometry has gcd 1.
    fn solve_last(&mut self, last: usize, states: &[i8], visit: &mut impl FnMut(&[i8], &[u32])) {
        let need = -self.charge[last];
        let ox = i64::from(states[last]);
        let (from, to) = if ox == 0 {
            if need != 0 {
                return;
            }
            (1, self.threshold)
        } else {
            // 32-bit division is several times faster than 64-bit on many CPUs.
            let r = match (i32::try_from(need), i32::try_from(ox)) {
                (Ok(need), Ok(ox)) if need % ox == 0 => i64::from(need / ox),
                (Ok(_), Ok(_)) => return,
                _ if need % ox == 0 => need / ox,
                _ => return,
            };
            (r, r)
        };
        for r in from.max(1)..=to.min(self.threshold) {
            self.ratio[last] = r as u32;
            let mut g = 0;
            for &x in &self.ratio {
                g = gcd(g, u64::from(x));
                if g == 1 {
                    break;
                }
            }
            if g == 1 {
                visit(states, &self.ratio);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chem::screening::tests::{el, ints, reference, symbols};

    #[test]
    fn filter_matches_every_reference_run_in_order() {
        let r = reference();
        let runs = r["smact_filter"].as_array().unwrap();
        assert_eq!(runs.len(), 5);
        for run in runs {
            let elements = symbols(&run["elements"]);
            let call = run["call"].as_str().unwrap();
            let options = if call.contains("threshold=4") {
                assert!(call.contains("'smact14'"));
                FilterOptions {
                    threshold: 4,
                    oxidation_states: OxidationStateSet::Smact14,
                }
            } else {
                FilterOptions::default()
            };
            let got = smact_filter(&elements, &options).unwrap();
            let expected = run["results"].as_array().unwrap();
            assert_eq!(run["n_results"].as_u64(), Some(expected.len() as u64));
            let got_rows: Vec<(Vec<i8>, Vec<u32>)> =
                got.iter().map(|(s, r)| (s.to_vec(), r.to_vec())).collect();
            let expected_rows: Vec<(Vec<i8>, Vec<u32>)> = expected
                .iter()
                .map(|row| {
                    assert_eq!(symbols(&row[0]), elements);
                    (ints(&row[1]), ints(&row[2]))
                })
                .collect();
            if let Some(i) = (0..got_rows.len().max(expected_rows.len()))
                .find(|&i| got_rows.get(i) != expected_rows.get(i))
            {
                panic!(
                    "{call} {:?}: first difference at result {i}: got {:?}, expected {:?} ({} vs {} results)",
                    run["elements"],
                    got_rows.get(i),
                    expected_rows.get(i),
                    got_rows.len(),
                    expected_rows.len()
                );
            }
            assert_eq!(got.len(), expected.len());
            if let Some(unique) = run.get("species_unique_false") {
                let got = smact_filter_stoichiometries(&elements, &options).unwrap();
                let expected: Vec<Vec<u32>> = unique["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|row| ints(&row[1]))
                    .collect();
                assert_eq!(unique["n_results"].as_u64(), Some(expected.len() as u64));
                assert_eq!(got, expected, "{call} species_unique=False");
            }
        }
    }

    #[test]
    fn filter_edge_cases() {
        let opts = FilterOptions::default();
        let err = smact_filter(&[el("He"), el("F")], &opts).unwrap_err();
        assert_eq!(err.element, el("He"));
        assert!(smact_filter(&[], &opts).unwrap().is_empty());
        let none = FilterOptions {
            threshold: 0,
            ..opts.clone()
        };
        assert!(
            smact_filter(&[el("Na"), el("Cl")], &none)
                .unwrap()
                .is_empty()
        );
        // Pm has no SMACT electronegativity: every Pauling test fails.
        let consensus = FilterOptions {
            oxidation_states: OxidationStateSet::Icsd24Consensus3,
            ..opts.clone()
        };
        assert!(
            !el("Pm")
                .oxidation_states(OxidationStateSet::Icsd24Consensus3)
                .is_empty()
        );
        assert!(
            smact_filter(&[el("Pm"), el("Cl")], &consensus)
                .unwrap()
                .is_empty()
        );
        let nacl = smact_filter(
            &[el("Na"), el("Cl")],
            &FilterOptions {
                threshold: 3,
                ..opts
            },
        )
        .unwrap();
        let rows: Vec<_> = nacl.iter().map(|(s, r)| (s.to_vec(), r.to_vec())).collect();
        assert_eq!(rows, [(vec![1, -1], vec![1, 1])]);
        assert_eq!(nacl.get(0), Some((&[1i8, -1][..], &[1u32, 1][..])));
        assert_eq!(nacl.get(1), None);
        // A state of 0 (wiki set) lets any coefficient through for that element.
        let wiki = FilterOptions {
            threshold: 2,
            oxidation_states: OxidationStateSet::Wiki,
        };
        let fe = smact_filter(&[el("Fe")], &wiki).unwrap();
        let rows: Vec<_> = fe.iter().map(|(s, r)| (s.to_vec(), r.to_vec())).collect();
        assert_eq!(rows, [(vec![0], vec![1])]);
    }

    /// Brute force over the full product, SMACT's way, for random pools: same output, same order.
    #[test]
    fn filter_equals_brute_force() {
        let pools = [
            ["Li", "Fe", "O"],
            ["Cu", "In", "Se"],
            ["Na", "Sb", "S"],
            ["Mo", "N", "Cl"],
        ];
        for pool in pools {
            let elements: Vec<Element> = pool.iter().map(|s| el(s)).collect();
            for set in [
                OxidationStateSet::Icsd24,
                OxidationStateSet::Wiki,
                OxidationStateSet::Smact14,
            ] {
                let opts = FilterOptions {
                    threshold: 6,
                    oxidation_states: set,
                };
                let fast: Vec<(Vec<i8>, Vec<u32>)> = smact_filter(&elements, &opts)
                    .unwrap()
                    .iter()
                    .map(|(s, r)| (s.to_vec(), r.to_vec()))
                    .collect();
                let lists: Vec<&[i8]> = elements.iter().map(|e| e.oxidation_states(set)).collect();
                let ens: Vec<f64> = elements
                    .iter()
                    .map(|e| e.electronegativity_smact().unwrap())
                    .collect();
                let mut slow = Vec::new();
                for &a in lists[0] {
                    for &b in lists[1] {
                        for &c in lists[2] {
                            let ox = [a, b, c];
                            let mut ratios = Vec::new();
                            for x in 1..=6u32 {
                                for y in 1..=6u32 {
                                    for z in 1..=6u32 {
                                        let q = i64::from(a) * i64::from(x)
                                            + i64::from(b) * i64::from(y)
                                            + i64::from(c) * i64::from(z);
                                        if q == 0
                                            && gcd(gcd(u64::from(x), u64::from(y)), u64::from(z))
                                                == 1
                                        {
                                            ratios.push(vec![x, y, z]);
                                        }
                                    }
                                }
                            }
                            let pauling = (0..3).all(|i| {
                                (i + 1..3).all(|j| {
                                    !((ox[i] > 0 && ox[j] < 0 && ens[i] >= ens[j])
                                        || (ox[i] < 0 && ox[j] > 0 && ens[i] <= ens[j]))
                                })
                            });
                            if !ratios.is_empty() && pauling {
                                slow.extend(ratios.into_iter().map(|r| (ox.to_vec(), r)));
                            }
                        }
                    }
                }
                assert_eq!(fast, slow, "{pool:?} {set}");
            }
        }
    }
}

/// Timing of the ternary sweep: `cargo test --release -p screen-engine ternary_sweep --
/// --ignored --nocapture`. The 27 elements are our choice of 19 common cations and 8 anions.
#[cfg(test)]
mod timing {
    use super::*;
    use crate::chem::screening::{ValidityOptions, smact_validity};
    use std::time::Instant;

    const CATIONS: [&str; 19] = [
        "Li", "Na", "K", "Rb", "Cs", "Mg", "Ca", "Sr", "Ba", "Al", "Ga", "In", "Ti", "Zr", "Zn",
        "Cd", "Sn", "Pb", "Bi",
    ];
    const ANIONS: [&str; 8] = ["O", "S", "Se", "Te", "F", "Cl", "Br", "I"];

    fn el(s: &str) -> Element {
        Element::from_symbol(s).unwrap()
    }

    #[test]
    #[ignore = "timing; run in release mode"]
    fn ternary_sweep() {
        let pool: Vec<Element> = CATIONS.iter().chain(&ANIONS).map(|s| el(s)).collect();
        let opts = FilterOptions::default();
        let all: Vec<[Element; 3]> = (0..27)
            .flat_map(|i| (i + 1..27).flat_map(move |j| (j + 1..27).map(move |k| (i, j, k))))
            .map(|(i, j, k)| [pool[i], pool[j], pool[k]])
            .collect();
        let cation_pairs: Vec<[Element; 3]> = all
            .iter()
            .filter(|t| {
                t[..2].iter().all(|e| CATIONS.contains(&e.symbol()))
                    && ANIONS.contains(&t[2].symbol())
            })
            .copied()
            .collect();
        for (name, systems) in [
            ("all 2925 ternaries", &all),
            ("1368 cation-cation-anion", &cation_pairs),
        ] {
            let mut best = (f64::INFINITY, f64::INFINITY);
            let (mut counted, mut collected) = (0usize, 0usize);
            for _ in 0..5 {
                let start = Instant::now();
                counted = 0;
                for t in systems.iter() {
                    for_each_neutral_composition(t, &opts, |_, _| counted += 1).unwrap();
                }
                let visit = start.elapsed().as_secs_f64();
                let start = Instant::now();
                collected = systems
                    .iter()
                    .map(|t| smact_filter(t, &opts).unwrap().len())
                    .sum();
                let collect = start.elapsed().as_secs_f64();
                best = (best.0.min(visit), best.1.min(collect));
            }
            assert_eq!(counted, collected);
            assert!(counted > 0);
            println!(
                "{name}: {counted} compositions; visitor {:.2} ms, collected {:.2} ms (best of 5, 1 thread)",
                best.0 * 1e3,
                best.1 * 1e3
            );
        }
        // smact_validity throughput on all binary and ternary formulas of the pool, counts ≤ 4.
        let mut formulas = Vec::new();
        for t in &all {
            for a in 1..=4u32 {
                for b in 1..=4u32 {
                    for c in 1..=4u32 {
                        formulas.push([(t[0], a), (t[1], b), (t[2], c)]);
                    }
                }
            }
        }
        let start = Instant::now();
        let valid = formulas
            .iter()
            .filter(|f| smact_validity(&f[..], &ValidityOptions::default()))
            .count();
        let secs = start.elapsed().as_secs_f64();
        println!(
            "smact_validity: {} formulas ({valid} valid) in {:.2} ms = {:.0} ns/formula",
            formulas.len(),
            secs * 1e3,
            secs * 1e9 / formulas.len() as f64
        );
    }
}
