//! Probabilistic substitution (Hautier et al., Inorg. Chem. 50, 656 (2011)): the prototype's
//! ions are replaced by the ion combinations that pymatgen's `SubstitutionPredictor` proposes.

use super::{Choice, Enumeration, SpeciesChoice, Substitution, SubstitutionError};
use crate::chem::Ion;
use crate::chem::substitution::{SubstitutionPredictor, SubstitutionProbability};
use crate::prototype::Prototype;
use serde::Deserialize;

/// Options of [`Substitution::hautier`]; `Default` is pymatgen's default predictor.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HautierOptions {
    /// Keep substitutions whose probability exceeds this (pymatgen's default 1e-3).
    pub threshold: f64,
    /// λ of pairs absent from the table (pymatgen's default −5).
    pub alpha: f64,
    /// Keep only charge-balanced substitutions (`composition_prediction`); otherwise every
    /// assignment of distinct ions (`list_prediction`).
    pub charge_balanced: bool,
    /// pymatgen's `to_this_composition`: false (default) treats the prototype as the starting
    /// composition (factors cond_prob(prototype ion, new ion)); true finds the compositions
    /// that would substitute *to* the prototype's.
    pub to_this_composition: bool,
    /// At most this many candidates, the most probable (all when `None`).
    pub max_candidates: Option<usize>,
}

impl Default for HautierOptions {
    fn default() -> Self {
        HautierOptions {
            threshold: 1e-3,
            alpha: -5.0,
            charge_balanced: true,
            to_this_composition: false,
            max_candidates: None,
        }
    }
}

impl Substitution {
    /// Hautier substitution of the prototype's ions. The prototype's orbits must have
    /// oxidation states (given, or inferred by [`Prototype::orbit_charges`]); every orbit
    /// holding the same ion receives the same new ion. Candidates come in pymatgen's order
    /// (probability, highest first) with the field `substitution_probability`.
    ///
    /// ```
    /// use screen_engine::prototype::Prototype;
    /// use screen_engine::substitute::{HautierOptions, Substitution};
    /// let sub = Substitution::hautier(Prototype::builtin("perovskite").unwrap(), &HautierOptions::default()).unwrap();
    /// assert!(sub.len() > 10);
    /// let p = |i| sub.candidate(i).unwrap().fields.number("substitution_probability").unwrap();
    /// assert!(p(0) >= p(1) && p(1) > 1e-3);
    /// ```
    pub fn hautier(prototype: Prototype, options: &HautierOptions) -> Result<Substitution, SubstitutionError> {
        let charges = prototype.orbit_charges();
        // Distinct prototype ions with their site counts, in orbit order.
        let mut ions: Vec<(Ion, f64)> = Vec::new();
        let mut orbit_ion = Vec::with_capacity(prototype.orbits.len());
        for (o, q) in prototype.orbits.iter().zip(&charges) {
            let q = q.ok_or_else(|| {
                SubstitutionError::Hautier(format!(
                    "orbit '{}' ({}) has no oxidation state; give the prototype's species charges",
                    o.label, o.species.element
                ))
            })?;
            let ion = Ion::new(o.species.element, q);
            let k = match ions.iter().position(|(i, _)| *i == ion) {
                Some(k) => k,
                None => {
                    ions.push((ion, 0.0));
                    ions.len() - 1
                }
            };
            ions[k].1 += o.sites.len() as f64;
            orbit_ion.push(k);
        }
        let owned;
        let model = if options.alpha == -5.0 {
            SubstitutionProbability::pymatgen()
        } else {
            owned = SubstitutionProbability::embedded(options.alpha);
            &owned
        };
        let predictor = SubstitutionPredictor { model, threshold: options.threshold };
        let predictions = if options.charge_balanced {
            predictor.composition_prediction(&ions, options.to_this_composition)
        } else {
            let list: Vec<Ion> = ions.iter().map(|i| i.0).collect();
            predictor.list_prediction(&list, options.to_this_composition)
        }
        .map_err(|e| SubstitutionError::Hautier(e.to_string()))?;
        let limit = options.max_candidates.unwrap_or(usize::MAX);
        let mut choices: Vec<Vec<Choice>> = vec![Vec::new(); prototype.orbits.len()];
        let mut rows = Vec::new();
        let mut probabilities = Vec::new();
        for p in predictions.into_iter().take(limit) {
            for (k, &ion_index) in orbit_ion.iter().enumerate() {
                // (given, new) or (new, given) depending on the direction.
                let (a, b) = p.substitutions[ion_index];
                let new = if options.to_this_composition { a } else { b };
                let c = Choice::Uniform(SpeciesChoice::ion(new));
                let idx = match choices[k].iter().position(|x| *x == c) {
                    Some(i) => i,
                    None => {
                        choices[k].push(c);
                        choices[k].len() - 1
                    }
                };
                rows.push(idx as u32);
            }
            probabilities.push(p.probability);
        }
        for (k, c) in choices.iter_mut().enumerate() {
            if c.is_empty() {
                c.push(Choice::Uniform(SpeciesChoice::new(prototype.orbits[k].species.element)));
            }
        }
        Ok(Substitution::assemble(prototype, choices, Enumeration::List { rows, probabilities }))
    }
}
