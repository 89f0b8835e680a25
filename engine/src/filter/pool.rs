//! Composition-level screening of an element pool, SMACT's `smact_filter` over every
//! combination of `arity` elements.

use crate::chem::Element;
use crate::chem::screening::{FilterOptions, NoOxidationStates, for_each_neutral_composition};

/// Calls `visit(elements, oxidation_states, stoichiometry)` for every charge-neutral,
/// electronegativity-ordered composition of every `arity`-element combination of `pool`
/// (combinations in pool order, i < j < k …; within one, SMACT's `smact_filter` order), with
/// coefficients up to `options.threshold`. Fails before visiting anything if an element of
/// the pool has no oxidation states in the chosen set. Returns the number of combinations.
///
/// ```
/// use screen_engine::chem::{Element, screening::FilterOptions};
/// use screen_engine::filter::pool_compositions;
/// let pool: Vec<Element> = ["Li", "Fe", "O"].iter().map(|s| Element::from_symbol(s).unwrap()).collect();
/// let mut found = Vec::new();
/// pool_compositions(&pool, 2, &FilterOptions::default(), |els, _ox, n| {
///     found.push(format!("{}{}{}{}", els[0], n[0], els[1], n[1]));
/// }).unwrap();
/// assert!(found.contains(&"Li2O1".to_string()) && found.contains(&"Fe2O3".to_string()));
/// ```
pub fn pool_compositions(
    pool: &[Element],
    arity: usize,
    options: &FilterOptions,
    mut visit: impl FnMut(&[Element], &[i8], &[u32]),
) -> Result<u64, NoOxidationStates> {
    if let Some(&element) = pool.iter().find(|e| e.oxidation_states(options.oxidation_states).is_empty()) {
        return Err(NoOxidationStates { element, set: options.oxidation_states });
    }
    let n = pool.len();
    if arity == 0 || arity > n {
        return Ok(0);
    }
    let mut index: Vec<usize> = (0..arity).collect();
    let mut elements = vec![pool[0]; arity];
    let mut combinations = 0u64;
    loop {
        for (slot, &i) in elements.iter_mut().zip(&index) {
            *slot = pool[i];
        }
        for_each_neutral_composition(&elements, options, |states, stoichiometry| {
            visit(&elements, states, stoichiometry)
        })?;
        combinations += 1;
        // Next combination in lexicographic order.
        let mut k = arity;
        loop {
            if k == 0 {
                return Ok(combinations);
            }
            k -= 1;
            if index[k] < n - arity + k {
                index[k] += 1;
                for m in k + 1..arity {
                    index[m] = index[m - 1] + 1;
                }
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chem::screening::smact_filter;

    #[test]
    fn pool_equals_smact_filter_per_combination() {
        let pool: Vec<Element> = ["Li", "Na", "Fe", "O", "S"].iter().map(|s| Element::from_symbol(s).unwrap()).collect();
        let o = FilterOptions::default();
        let mut rows = Vec::new();
        let combos = pool_compositions(&pool, 3, &o, |e, s, n| rows.push((e.to_vec(), s.to_vec(), n.to_vec()))).unwrap();
        assert_eq!(combos, 10);
        let mut expected = Vec::new();
        for i in 0..5 {
            for j in i + 1..5 {
                for k in j + 1..5 {
                    let els = [pool[i], pool[j], pool[k]];
                    for (s, n) in smact_filter(&els, &o).unwrap().iter() {
                        expected.push((els.to_vec(), s.to_vec(), n.to_vec()));
                    }
                }
            }
        }
        assert_eq!(rows, expected);
        let he = Element::from_symbol("He").unwrap();
        assert!(pool_compositions(&[pool[0], he], 2, &o, |_, _, _| {}).is_err());
        assert_eq!(pool_compositions(&pool, 6, &o, |_, _, _| {}).unwrap(), 0);
    }
}
