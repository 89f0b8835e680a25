//! Ions: an element with an integer oxidation state, the key of every chemistry table
//! (substitution probabilities, Shannon radii, oxidation-state screening).
//!
//! [`crate::crystal::Species`] carries an `Option<f64>` oxidation because structure files may
//! write fractional or missing states; an `f64` can be neither hashed nor compared exactly. The
//! tables are indexed by integer charges, so [`Ion`] is a 2-byte `Copy + Eq + Ord + Hash` key;
//! it converts to and from `Species` where the oxidation state is a whole number.

use super::element::{Element, UnknownElement};
use crate::crystal::Species;
use std::fmt;
use std::str::FromStr;

/// An element in an integer oxidation state, e.g. Fe³⁺ or O²⁻.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Ion {
    pub element: Element,
    pub charge: i8,
}

/// A string that is not an ion in pymatgen's notation ("Fe3+", "O2-", "Na+", "Fe+3").
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IonParseError {
    #[error(
        "'{0}' is not an ion: expected an element symbol, a charge and a sign, e.g. 'Fe3+' or 'O2-'"
    )]
    Syntax(String),
    #[error("ion '{ion}': {source}")]
    Element { ion: String, source: UnknownElement },
    #[error("ion '{0}': charge out of range (|charge| must be at most 127)")]
    Charge(String),
}

impl Ion {
    pub fn new(element: Element, charge: i8) -> Self {
        Ion { element, charge }
    }

    /// The ion of `species`, if its oxidation state is set and is a whole number in range.
    pub fn from_species(species: &Species) -> Option<Self> {
        let ox = species.oxidation?;
        let in_range = ox.fract() == 0.0 && (-128.0..=127.0).contains(&ox);
        in_range.then(|| Ion::new(species.element, ox as i8))
    }
}

impl From<Ion> for Species {
    fn from(ion: Ion) -> Self {
        Species::with_oxidation(ion.element, f64::from(ion.charge))
    }
}

/// Writes pymatgen's notation: symbol, magnitude, sign ("Fe3+", "O2-", "Xe0+").
impl fmt::Display for Ion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.charge < 0 { '-' } else { '+' };
        write!(f, "{}{}{sign}", self.element, self.charge.unsigned_abs())
    }
}

/// Reads "Fe3+", "O2-", "Na+" (magnitude 1), and the sign-first forms "Fe+3", "O-2".
impl FromStr for Ion {
    type Err = IonParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let syntax = || IonParseError::Syntax(s.to_string());
        let split = s
            .find(|c: char| !c.is_ascii_alphabetic())
            .ok_or_else(syntax)?;
        let (symbol, rest) = s.split_at(split);
        let element = Element::from_symbol(symbol).map_err(|source| IonParseError::Element {
            ion: s.to_string(),
            source,
        })?;
        let (digits, sign) = match (rest.strip_suffix(['+', '-']), rest.strip_prefix(['+', '-'])) {
            (Some(digits), _) => (digits, &rest[rest.len() - 1..]),
            (None, Some(digits)) => (digits, &rest[..1]),
            (None, None) => return Err(syntax()),
        };
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(syntax());
        }
        let magnitude: i16 = if digits.is_empty() {
            1
        } else {
            digits
                .parse()
                .map_err(|_| IonParseError::Charge(s.to_string()))?
        };
        let charge = if sign == "-" { -magnitude } else { magnitude };
        let charge = i8::try_from(charge).map_err(|_| IonParseError::Charge(s.to_string()))?;
        Ok(Ion::new(element, charge))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ion(s: &str) -> Ion {
        s.parse().unwrap()
    }

    #[test]
    fn parses_and_writes_pymatgen_notation() {
        let fe = Element::from_symbol("Fe").unwrap();
        assert_eq!(ion("Fe3+"), Ion::new(fe, 3));
        assert_eq!(ion("Fe+3"), Ion::new(fe, 3));
        assert_eq!(ion("O2-").charge, -2);
        assert_eq!(ion("O-2").charge, -2);
        assert_eq!(ion("Na+").charge, 1);
        assert_eq!(ion("Cl-").charge, -1);
        for s in ["Fe3+", "O2-", "Na1+", "Xe0+", "Os8+"] {
            assert_eq!(ion(s).to_string(), s);
        }
        for bad in [
            "Fe",
            "3+",
            "Fe3",
            "Fe3+x",
            "Fe 3+",
            "Qq2+",
            "Fe200+",
            "Fe99999999999+",
            "",
        ] {
            assert!(bad.parse::<Ion>().is_err(), "{bad}");
        }
    }

    #[test]
    fn converts_to_and_from_species() {
        let o2 = ion("O2-");
        let species: Species = o2.into();
        assert_eq!(species.oxidation, Some(-2.0));
        assert_eq!(Ion::from_species(&species), Some(o2));
        let fe = Element::from_symbol("Fe").unwrap();
        assert_eq!(Ion::from_species(&Species::with_oxidation(fe, 2.5)), None);
        assert_eq!(Ion::from_species(&Species::new(fe)), None);
        assert_eq!(
            Ion::from_species(&Species::with_oxidation(fe, f64::NAN)),
            None
        );
    }
}
