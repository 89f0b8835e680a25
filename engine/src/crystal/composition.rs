use crate::chem::Element;
use std::collections::BTreeMap;

/// Amount of each element (atoms per cell, occupancies summed; oxidation states ignored).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Composition(BTreeMap<Element, f64>);

/// Amounts within this of an integer count as integers when reducing formulas.
const INTEGER_TOLERANCE: f64 = 1e-8;

impl Composition {
    pub fn new() -> Self {
        Composition(BTreeMap::new())
    }

    pub fn add(&mut self, element: Element, amount: f64) {
        *self.0.entry(element).or_insert(0.0) += amount;
    }

    pub fn amount(&self, element: Element) -> f64 {
        self.0.get(&element).copied().unwrap_or(0.0)
    }

    pub fn elements(&self) -> impl Iterator<Item = Element> + '_ {
        self.0.keys().copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = (Element, f64)> + '_ {
        self.0.iter().map(|(e, a)| (*e, *a))
    }

    /// Total number of atoms (sum of occupancies).
    pub fn num_atoms(&self) -> f64 {
        self.0.values().sum()
    }

    /// Mass in u.
    pub fn mass(&self) -> f64 {
        self.iter().map(|(e, a)| e.mass() * a).sum()
    }

    /// Elements in pymatgen's formula order: increasing Pauling electronegativity, symbol on
    /// ties, elements without an electronegativity (He, Ne, Ar) last.
    fn ordered(&self) -> Vec<(Element, f64)> {
        let mut v: Vec<_> = self.iter().collect();
        v.sort_by(|(a, _), (b, _)| {
            let key = |e: &Element| e.electronegativity().unwrap_or(f64::INFINITY);
            key(a).total_cmp(&key(b)).then_with(|| a.symbol().cmp(b.symbol()))
        });
        v
    }

    /// The largest factor that divides every amount to an integer (1 when amounts are not
    /// integers, as for partially occupied sites).
    pub fn reduction_factor(&self) -> f64 {
        let ints: Option<Vec<u64>> = self
            .0
            .values()
            .map(|a| {
                let r = a.round();
                ((a - r).abs() < INTEGER_TOLERANCE && r >= 1.0).then_some(r as u64)
            })
            .collect();
        match ints {
            Some(v) if !v.is_empty() => v.into_iter().fold(0, gcd) as f64,
            _ => 1.0,
        }
    }

    /// Full formula with spaces, e.g. "Sr1 Ti1 O3" (pymatgen's `formula`).
    pub fn formula(&self) -> String {
        self.ordered()
            .iter()
            .map(|(e, a)| format!("{e}{}", format_amount(*a)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Reduced formula, e.g. "SrTiO3" (amounts of 1 omitted).
    pub fn reduced_formula(&self) -> String {
        let f = self.reduction_factor();
        self.ordered().iter().map(|(e, a)| format!("{e}{}", format_reduced(a / f))).collect()
    }

    /// Anonymous formula: reduced amounts in increasing order named A, B, C… ("ABC3").
    pub fn anonymous_formula(&self) -> String {
        let f = self.reduction_factor();
        let mut amounts: Vec<f64> = self.0.values().map(|a| a / f).collect();
        amounts.sort_by(f64::total_cmp);
        amounts
            .iter()
            .enumerate()
            .map(|(i, a)| format!("{}{}", anonymous_letter(i), format_reduced(*a)))
            .collect()
    }
}

fn anonymous_letter(i: usize) -> String {
    let letters = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    if i < 26 {
        (letters[i] as char).to_string()
    } else {
        format!("{}{}", letters[i / 26 - 1] as char, letters[i % 26] as char)
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Amount as pymatgen writes it: integers without decimals, others to at most 8 decimals.
fn format_amount(a: f64) -> String {
    let r = a.round();
    if (a - r).abs() < INTEGER_TOLERANCE {
        format!("{}", r as i64)
    } else {
        let s = format!("{a:.8}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn format_reduced(a: f64) -> String {
    if (a - 1.0).abs() < INTEGER_TOLERANCE { String::new() } else { format_amount(a) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comp(items: &[(&str, f64)]) -> Composition {
        let mut c = Composition::new();
        for (s, a) in items {
            c.add(Element::from_symbol(s).unwrap(), *a);
        }
        c
    }

    #[test]
    fn formulas() {
        let c = comp(&[("O", 6.0), ("Ti", 2.0), ("Sr", 2.0)]);
        assert_eq!(c.formula(), "Sr2 Ti2 O6");
        assert_eq!(c.reduced_formula(), "SrTiO3");
        assert_eq!(c.anonymous_formula(), "ABC3");
        assert_eq!(c.num_atoms(), 10.0);
        let d = comp(&[("Ge", 1.6), ("Sb", 1.6), ("Te", 4.0)]);
        assert_eq!(d.formula(), "Ge1.6 Sb1.6 Te4");
        assert_eq!(d.reduced_formula(), "Ge1.6Sb1.6Te4");
        assert_eq!(comp(&[("Si", 44.0)]).reduced_formula(), "Si");
        assert_eq!(comp(&[("Fe", 4.0), ("O", 6.0)]).anonymous_formula(), "A2B3");
    }
}
