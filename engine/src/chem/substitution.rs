//! Data-mined ionic substitution probabilities (G. Hautier, C. Fischer, V. Ehrlacher, A. Jain,
//! G. Ceder, Inorg. Chem. 50, 656 (2011)), reproducing pymatgen's `SubstitutionProbability`
//! and `SubstitutionPredictor`.
//!
//! The model assigns each unordered pair of ions {a, b} a weight λ(a, b) fitted to the ICSD;
//! pairs absent from the table get λ = α (−5). From it: Z = Σ_{a,b ∈ S} e^λ(a,b),
//! px(s) = Σ_b e^λ(s,b), prob(a, b) = e^λ/Z, cond_prob(a, b) = e^λ/px(b) (the probability that
//! `a` takes the place of the fixed ion `b`), pair_corr(a, b) = e^λ·Z/(px(a)·px(b)).

use super::ion::Ion;
use serde::Deserialize;
use std::sync::OnceLock;

/// pymatgen's default λ for pairs missing from the table.
pub const DEFAULT_ALPHA: f64 = -5.0;
/// pymatgen's `SubstitutionPredictor` default probability threshold.
pub const DEFAULT_THRESHOLD: f64 = 1e-3;

/// An ion outside the model's species set S.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("ion {0} is not in the substitution table's species set")]
pub struct UnknownSpecies(pub Ion);

/// The λ table with its normalisation: dense matrices over the species set S (230 ions in
/// the embedded table), so every probability is two array reads and a division.
#[derive(Clone, Debug)]
pub struct SubstitutionProbability {
    alpha: f64,
    /// S, sorted (by Z, then charge).
    species: Vec<Ion>,
    /// λ(a, b) for a, b ∈ S, row-major; α where the table has no entry.
    lambda: Vec<f64>,
    /// e^λ(a, b), same layout.
    weight: Vec<f64>,
    /// Whether the table lists the pair, same layout.
    listed: Vec<bool>,
    px: Vec<f64>,
    z: f64,
}

#[derive(Deserialize)]
struct LambdaFile {
    pairs: Vec<(String, String, f64)>,
}

/// Compensated (Neumaier) sum, so Z and px do not depend on summation order beyond 1 ulp.
fn accurate_sum(values: impl Iterator<Item = f64>) -> f64 {
    let (mut sum, mut compensation) = (0.0f64, 0.0f64);
    for v in values {
        let t = sum + v;
        compensation += if sum.abs() >= v.abs() {
            (sum - t) + v
        } else {
            (v - t) + sum
        };
        sum = t;
    }
    sum + compensation
}

impl SubstitutionProbability {
    /// The embedded pymatgen table (`substitution_lambda.json`) with α = −5, built once.
    pub fn pymatgen() -> &'static SubstitutionProbability {
        static MODEL: OnceLock<SubstitutionProbability> = OnceLock::new();
        MODEL.get_or_init(|| Self::embedded(DEFAULT_ALPHA))
    }

    /// The embedded table with another α.
    pub fn embedded(alpha: f64) -> SubstitutionProbability {
        let file: LambdaFile =
            serde_json::from_str(include_str!("../../data/chem/substitution_lambda.json"))
                .expect("embedded substitution_lambda.json is valid (checked by tests)");
        let pairs = file.pairs.iter().map(|(a, b, l)| {
            let ion = |s: &str| {
                s.parse::<Ion>()
                    .expect("embedded lambda table has valid ions")
            };
            (ion(a), ion(b), *l)
        });
        Self::from_pairs(pairs, alpha)
    }

    /// A model from (a, b, λ) rows; S is every ion that occurs in a row. λ is symmetric; a
    /// pair given twice keeps its last value (as pymatgen's dictionary does).
    pub fn from_pairs(
        pairs: impl IntoIterator<Item = (Ion, Ion, f64)>,
        alpha: f64,
    ) -> SubstitutionProbability {
        let pairs: Vec<(Ion, Ion, f64)> = pairs.into_iter().collect();
        let mut species: Vec<Ion> = pairs.iter().flat_map(|&(a, b, _)| [a, b]).collect();
        species.sort_unstable();
        species.dedup();
        let n = species.len();
        let mut lambda = vec![alpha; n * n];
        let mut listed = vec![false; n * n];
        let index = |ion: Ion| species.binary_search(&ion).unwrap_or_default();
        for &(a, b, l) in &pairs {
            let (i, j) = (index(a), index(b));
            for k in [i * n + j, j * n + i] {
                lambda[k] = l;
                listed[k] = true;
            }
        }
        let weight: Vec<f64> = lambda.iter().map(|l| l.exp()).collect();
        let px: Vec<f64> = (0..n)
            .map(|i| accurate_sum(weight[i * n..(i + 1) * n].iter().copied()))
            .collect();
        let z = accurate_sum(weight.iter().copied());
        SubstitutionProbability {
            alpha,
            species,
            lambda,
            weight,
            listed,
            px,
            z,
        }
    }

    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// The species set S, sorted.
    pub fn species(&self) -> &[Ion] {
        &self.species
    }

    /// Normalisation Z = Σ over ordered pairs of S of e^λ.
    pub fn z(&self) -> f64 {
        self.z
    }

    fn index(&self, ion: Ion) -> Option<usize> {
        self.species.binary_search(&ion).ok()
    }

    /// Σ_b e^λ(s, b); 0 for s ∉ S.
    pub fn px(&self, s: Ion) -> f64 {
        self.index(s).map_or(0.0, |i| self.px[i])
    }

    /// λ(a, b): the table value, else α.
    pub fn lambda(&self, a: Ion, b: Ion) -> f64 {
        match (self.index(a), self.index(b)) {
            (Some(i), Some(j)) => self.lambda[i * self.species.len() + j],
            _ => self.alpha,
        }
    }

    /// Whether the table lists the pair {a, b}.
    pub fn in_table(&self, a: Ion, b: Ion) -> bool {
        match (self.index(a), self.index(b)) {
            (Some(i), Some(j)) => self.listed[i * self.species.len() + j],
            _ => false,
        }
    }

    fn weight(&self, a: Ion, b: Ion) -> f64 {
        match (self.index(a), self.index(b)) {
            (Some(i), Some(j)) => self.weight[i * self.species.len() + j],
            _ => self.alpha.exp(),
        }
    }

    /// prob(a, b) = e^λ(a,b) / Z (symmetric).
    pub fn prob(&self, a: Ion, b: Ion) -> f64 {
        self.weight(a, b) / self.z
    }

    /// cond_prob(a, b) = e^λ(a,b) / px(b): the probability of putting `a` where the fixed
    /// ion `b` was. `None` for b ∉ S, where pymatgen divides by zero.
    pub fn cond_prob(&self, a: Ion, b: Ion) -> Option<f64> {
        self.index(b).map(|j| self.weight(a, b) / self.px[j])
    }

    /// pair_corr(a, b) = e^λ·Z / (px(a)·px(b)); `None` unless both are in S.
    pub fn pair_corr(&self, a: Ion, b: Ion) -> Option<f64> {
        let (i, j) = (self.index(a)?, self.index(b)?);
        Some(self.weight(a, b) * self.z / (self.px[i] * self.px[j]))
    }

    /// Π_i cond_prob(`l1[i]`, `l2[i]`) (pymatgen's `cond_prob_list`); `None` if the lists differ
    /// in length or some `l2[i]` ∉ S.
    pub fn cond_prob_list(&self, l1: &[Ion], l2: &[Ion]) -> Option<f64> {
        if l1.len() != l2.len() {
            return None;
        }
        l1.iter()
            .zip(l2)
            .try_fold(1.0, |p, (&a, &b)| Some(p * self.cond_prob(a, b)?))
    }
}

/// One prediction: its probability and pymatgen's `substitutions` map as (key, value) pairs,
/// one per input site in input order. With `to_this_composition` the key is the new ion and
/// the value the given one; otherwise the key is the given ion and the value the new one.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    pub probability: f64,
    pub substitutions: Vec<(Ion, Ion)>,
}

/// pymatgen's `SubstitutionPredictor`: all assignments of distinct ions of S to the given
/// sites whose product of conditional probabilities exceeds `threshold`.
#[derive(Clone, Copy, Debug)]
pub struct SubstitutionPredictor<'a> {
    pub model: &'a SubstitutionProbability,
    pub threshold: f64,
}

impl Default for SubstitutionPredictor<'static> {
    fn default() -> Self {
        SubstitutionPredictor {
            model: SubstitutionProbability::pymatgen(),
            threshold: DEFAULT_THRESHOLD,
        }
    }
}

/// Candidates for one site: (probability factor, index into S), best first.
struct SiteCandidates {
    options: Vec<(f64, u16)>,
    best: f64,
}

impl SubstitutionPredictor<'_> {
    /// `list_prediction(species, to_this_composition)`. With `to_this_composition`, site i's
    /// factor for ion s is cond_prob(s, tᵢ) (which ions s could be replaced by tᵢ to give
    /// this composition); otherwise cond_prob(tᵢ, s). A partial assignment is extended only
    /// while (its factors) × (best factors of the open sites) > threshold, multiplied left to
    /// right as pymatgen does; results are sorted by probability, highest first.
    pub fn list_prediction(
        &self,
        species: &[Ion],
        to_this_composition: bool,
    ) -> Result<Vec<Prediction>, UnknownSpecies> {
        self.predict(species, to_this_composition, |_| true)
    }

    /// The search behind both predictions; `keep(new ions)` filters complete assignments
    /// before anything is allocated for them.
    fn predict(
        &self,
        species: &[Ion],
        to_this_composition: bool,
        keep: impl Fn(&[(f64, u16)]) -> bool,
    ) -> Result<Vec<Prediction>, UnknownSpecies> {
        let model = self.model;
        let n = model.species.len();
        let mut sites = Vec::with_capacity(species.len());
        for &t in species {
            let ti = model.index(t).ok_or(UnknownSpecies(t))?;
            sites.push(ti);
        }
        // The ions must be distinct, so more sites than ions gives nothing; no sites, nothing
        // to predict (pymatgen fails on an empty product).
        if self.threshold.is_nan() || species.is_empty() || species.len() > n {
            return Ok(Vec::new());
        }
        let sites: Vec<SiteCandidates> = sites
            .into_iter()
            .map(|ti| {
                let mut options: Vec<(f64, u16)> = (0..n)
                    .map(|si| {
                        let p = if to_this_composition {
                            model.weight[si * n + ti] / model.px[ti]
                        } else {
                            model.weight[ti * n + si] / model.px[si]
                        };
                        (p, si as u16)
                    })
                    .collect();
                options.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                let best = options.first().map_or(0.0, |o| o.0);
                SiteCandidates { options, best }
            })
            .collect();
        let mut results = Vec::new();
        let mut chosen: Vec<(f64, u16)> = Vec::with_capacity(sites.len());
        // prefix[k] = chosen[0].p × … × chosen[k-1].p, multiplied left to right.
        let mut prefix: Vec<f64> = Vec::with_capacity(sites.len() + 1);
        prefix.push(1.0);
        self.extend(
            &sites,
            &mut chosen,
            &mut prefix,
            &mut |chosen, probability| {
                if !keep(chosen) {
                    return;
                }
                let substitutions = chosen
                    .iter()
                    .zip(species)
                    .map(|(&(_, si), &t)| {
                        let s = model.species[si as usize];
                        if to_this_composition { (s, t) } else { (t, s) }
                    })
                    .collect();
                results.push(Prediction {
                    probability,
                    substitutions,
                });
            },
        );
        // Ions sort like their indices in S, so ties are broken by the new ions in site order.
        results.sort_by(|a, b| {
            b.probability
                .total_cmp(&a.probability)
                .then_with(|| a.substitutions.cmp(&b.substitutions))
        });
        Ok(results)
    }

    /// Depth-first search over sites (depth = number of sites ≤ |S|: ions never repeat).
    /// A candidate is taken while pymatgen's `best_case_prob` product (chosen factors, the
    /// candidate, then the open sites' maxima, multiplied left to right) exceeds the threshold.
    fn extend(
        &self,
        sites: &[SiteCandidates],
        chosen: &mut Vec<(f64, u16)>,
        prefix: &mut Vec<f64>,
        emit: &mut impl FnMut(&[(f64, u16)], f64),
    ) {
        let k = chosen.len();
        let Some(site) = sites.get(k) else {
            emit(chosen, prefix[k]);
            return;
        };
        for &(p, si) in &site.options {
            let with = prefix[k] * p;
            let bound = sites[k + 1..].iter().fold(with, |b, s| b * s.best);
            // Options are sorted by p and the product is monotone in each factor: once the
            // bound fails it fails for the rest.
            if bound <= self.threshold {
                break;
            }
            // Assignments repeating an ion are never emitted; skip them early.
            if chosen.iter().any(|c| c.1 == si) {
                continue;
            }
            chosen.push((p, si));
            prefix.push(with);
            self.extend(sites, chosen, prefix, emit);
            chosen.pop();
            prefix.pop();
        }
    }

    /// `composition_prediction(composition, to_this_composition)`: [`list_prediction`] over the
    /// composition's ions (in the order given), keeping the charge-balanced results:
    /// Σ amount(t) · charge(new ion at t) = 0 (within 1e-8).
    ///
    /// [`list_prediction`]: Self::list_prediction
    pub fn composition_prediction(
        &self,
        composition: &[(Ion, f64)],
        to_this_composition: bool,
    ) -> Result<Vec<Prediction>, UnknownSpecies> {
        let species: Vec<Ion> = composition.iter().map(|c| c.0).collect();
        let ions = self.model.species();
        self.predict(&species, to_this_composition, |chosen| {
            let charge = chosen
                .iter()
                .zip(composition)
                .fold(0.0, |q, (&(_, si), &(_, amount))| {
                    q + f64::from(ions[si as usize].charge) * amount
                });
            charge.abs() < 1e-8
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::collections::BTreeMap;

    const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/chem/");

    fn load(name: &str) -> Value {
        let path = format!("{DATA}{name}");
        serde_json::from_str(
            &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")),
        )
        .unwrap()
    }

    fn ion(v: &Value) -> Ion {
        v.as_str().unwrap().parse().unwrap()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
    }

    #[test]
    fn table_matches_reference_metadata() {
        let table = load("substitution_lambda.json");
        let m = SubstitutionProbability::pymatgen();
        assert_eq!(m.alpha(), table["alpha"].as_f64().unwrap());
        let species: Vec<Ion> = table["species"]
            .as_array()
            .unwrap()
            .iter()
            .map(ion)
            .collect();
        assert_eq!(m.species(), species.as_slice());
        assert_eq!(m.species().len(), 230);
        assert!(close(m.z(), table["Z"].as_f64().unwrap()), "Z = {}", m.z());
        for (s, px) in table["px"].as_object().unwrap() {
            let s: Ion = s.parse().unwrap();
            assert!(close(m.px(s), px.as_f64().unwrap()), "px({s})");
        }
        let pairs = table["pairs"].as_array().unwrap();
        assert_eq!(pairs.len(), 6683);
        for row in pairs {
            let (a, b, l) = (ion(&row[0]), ion(&row[1]), row[2].as_f64().unwrap());
            assert_eq!((m.lambda(a, b), m.lambda(b, a)), (l, l));
            assert!(m.in_table(a, b) && m.in_table(b, a));
        }
        assert_eq!(table["default_threshold"].as_f64(), Some(DEFAULT_THRESHOLD));
    }

    #[test]
    fn pair_vectors_match_pymatgen() {
        let r = load("substitution_reference.json");
        let m = SubstitutionProbability::pymatgen();
        let vectors = r["pair_vectors"].as_array().unwrap();
        assert_eq!(vectors.len(), 39);
        for v in vectors {
            let (a, b) = (ion(&v["s1"]), ion(&v["s2"]));
            let ctx = format!("{a} {b}");
            assert_eq!(m.lambda(a, b), v["lambda"].as_f64().unwrap(), "{ctx}");
            assert_eq!(
                m.in_table(a, b),
                v["lambda_in_table"].as_bool().unwrap(),
                "{ctx}"
            );
            assert!(
                close(m.prob(a, b), v["prob"].as_f64().unwrap()),
                "{ctx} prob"
            );
            assert!(close(m.px(a), v["px_s1"].as_f64().unwrap()), "{ctx} px1");
            assert!(close(m.px(b), v["px_s2"].as_f64().unwrap()), "{ctx} px2");
            match v["cond_prob"].as_f64() {
                Some(c) => assert!(close(m.cond_prob(a, b).unwrap(), c), "{ctx} cond_prob"),
                None => assert_eq!(m.cond_prob(a, b), None, "{ctx}"),
            }
            match v.get("pair_corr").and_then(Value::as_f64) {
                Some(c) => assert!(close(m.pair_corr(a, b).unwrap(), c), "{ctx} pair_corr"),
                None => assert_eq!(m.pair_corr(a, b), None, "{ctx}"),
            }
        }
        let na: Ion = "Na1+".parse().unwrap();
        let k: Ion = "K1+".parse().unwrap();
        let cl: Ion = "Cl1-".parse().unwrap();
        let both = m.cond_prob_list(&[na, cl], &[k, cl]).unwrap();
        assert_eq!(
            both,
            m.cond_prob(na, k).unwrap() * m.cond_prob(cl, cl).unwrap()
        );
        assert_eq!(m.cond_prob_list(&[na], &[k, cl]), None);
    }

    /// Each prediction as {key: value} with its probability.
    type Keyed = (BTreeMap<Ion, Ion>, f64);

    #[test]
    fn predictions_match_pymatgen_as_sets() {
        let r = load("substitution_reference.json");
        let predictor = SubstitutionPredictor::default();
        let runs = r["predictions"].as_array().unwrap();
        assert_eq!(runs.len(), 7);
        let mut total = 0;
        for run in runs {
            let name = run["name"].as_str().unwrap();
            let to_this = run["to_this_composition"].as_bool().unwrap();
            assert_eq!(run["threshold"].as_f64(), Some(predictor.threshold));
            let got = match run["call"].as_str().unwrap() {
                "composition_prediction" => {
                    let comp: Vec<(Ion, f64)> = run["species_order"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|s| {
                            (
                                ion(s),
                                run["composition"][s.as_str().unwrap()].as_f64().unwrap(),
                            )
                        })
                        .collect();
                    predictor.composition_prediction(&comp, to_this).unwrap()
                }
                "list_prediction" => {
                    let species: Vec<Ion> =
                        run["species"].as_array().unwrap().iter().map(ion).collect();
                    predictor.list_prediction(&species, to_this).unwrap()
                }
                other => panic!("unknown call {other}"),
            };
            let got: Vec<Keyed> = got
                .into_iter()
                .map(|p| (p.substitutions.into_iter().collect(), p.probability))
                .collect();
            let expected: Vec<Keyed> = run["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    let map = p["substitutions"].as_object().unwrap();
                    let subs = map
                        .iter()
                        .map(|(k, v)| (k.parse().unwrap(), ion(v)))
                        .collect();
                    (subs, p["probability"].as_f64().unwrap())
                })
                .collect();
            assert_eq!(run["n_results"].as_u64(), Some(expected.len() as u64));
            let missing: Vec<_> = expected
                .iter()
                .filter(|e| !got.iter().any(|g| g.0 == e.0))
                .take(5)
                .collect();
            let extra: Vec<_> = got
                .iter()
                .filter(|g| !expected.iter().any(|e| g.0 == e.0))
                .take(5)
                .collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{name}: missing {missing:?}, extra {extra:?}"
            );
            assert_eq!(got.len(), expected.len(), "{name}");
            for (subs, p) in &expected {
                let (_, q) = got.iter().find(|g| &g.0 == subs).unwrap();
                assert!(close(*p, *q), "{name} {subs:?}: expected {p}, got {q}");
            }
            // Sorted by probability, highest first.
            assert!(got.windows(2).all(|w| w[0].1 >= w[1].1), "{name}");
            total += expected.len();
        }
        assert_eq!(total, 465);
    }

    #[test]
    fn unknown_species_and_degenerate_inputs() {
        let predictor = SubstitutionPredictor::default();
        let pm: Ion = "Pm3+".parse().unwrap();
        assert_eq!(
            predictor.list_prediction(&[pm], true),
            Err(UnknownSpecies(pm))
        );
        assert!(predictor.list_prediction(&[], true).unwrap().is_empty());
        let nan = SubstitutionPredictor {
            threshold: f64::NAN,
            ..predictor
        };
        assert!(
            nan.list_prediction(&["Na1+".parse().unwrap()], true)
                .unwrap()
                .is_empty()
        );
        // More sites than species: no assignment of distinct ions exists.
        let zero = SubstitutionPredictor {
            threshold: 0.0,
            ..predictor
        };
        let o: Ion = "O2-".parse().unwrap();
        assert!(zero.list_prediction(&[o; 231], true).unwrap().is_empty());
        // Many sites at the default threshold: the bound prunes at once.
        assert!(
            predictor
                .list_prediction(&[o; 200], true)
                .unwrap()
                .is_empty()
        );
        // A custom table and α.
        let (a, b): (Ion, Ion) = ("Na1+".parse().unwrap(), "K1+".parse().unwrap());
        let m = SubstitutionProbability::from_pairs([(a, b, 1.0)], -2.0);
        assert_eq!(m.species(), &[a, b][..]);
        assert_eq!(m.lambda(a, a), -2.0);
        assert!(close(m.z(), 2.0 * 1f64.exp() + 2.0 * (-2f64).exp()));
    }
}

/// `cargo test --release -p screen-engine substitution_timing -- --ignored --nocapture`
#[cfg(test)]
mod timing {
    use super::*;
    use std::time::Instant;

    #[test]
    #[ignore = "timing; run in release mode"]
    fn substitution_timing() {
        let start = Instant::now();
        let model = SubstitutionProbability::embedded(DEFAULT_ALPHA);
        println!(
            "model build (parse + 230×230 table): {:.2} ms",
            start.elapsed().as_secs_f64() * 1e3
        );
        let predictor = SubstitutionPredictor {
            model: &model,
            threshold: DEFAULT_THRESHOLD,
        };
        let ion = |s: &str| s.parse::<Ion>().unwrap();
        let cases: [&[(Ion, f64)]; 3] = [
            &[(ion("Sr2+"), 1.0), (ion("Ti4+"), 1.0), (ion("O2-"), 3.0)],
            &[
                (ion("Li1+"), 1.0),
                (ion("Fe2+"), 1.0),
                (ion("P5+"), 1.0),
                (ion("O2-"), 4.0),
            ],
            &[(ion("Cs1+"), 1.0), (ion("Pb2+"), 1.0), (ion("I1-"), 3.0)],
        ];
        for comp in cases {
            let runs = 200;
            let start = Instant::now();
            let mut n = 0;
            for _ in 0..runs {
                n = predictor.composition_prediction(comp, true).unwrap().len();
            }
            let us = start.elapsed().as_secs_f64() * 1e6 / f64::from(runs);
            println!(
                "composition_prediction of {} ions: {n} results, {us:.1} µs per call",
                comp.len()
            );
        }
    }
}
