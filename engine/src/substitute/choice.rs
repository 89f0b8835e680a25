//! What one orbit may receive: one species on every site, or a per-site decoration.

use crate::chem::{Element, Ion};
use crate::crystal::Species;
use std::fmt;

/// An element, optionally in a fixed oxidation state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpeciesChoice {
    pub element: Element,
    pub oxidation: Option<i8>,
}

impl SpeciesChoice {
    pub fn new(element: Element) -> Self {
        SpeciesChoice { element, oxidation: None }
    }

    pub fn ion(ion: Ion) -> Self {
        SpeciesChoice { element: ion.element, oxidation: Some(ion.charge) }
    }

    /// The crystal species (oxidation state set only when fixed here).
    pub fn species(self) -> Species {
        match self.oxidation {
            Some(ox) => Species::with_oxidation(self.element, f64::from(ox)),
            None => Species::new(self.element),
        }
    }

    /// "Sr", or "Fe3+" when the state is fixed.
    pub fn write(self, out: &mut String) {
        match self.oxidation {
            Some(charge) => {
                use std::fmt::Write;
                let _ = write!(out, "{}", Ion::new(self.element, charge));
            }
            None => out.push_str(self.element.symbol()),
        }
    }
}

impl fmt::Display for SpeciesChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.write(&mut s);
        f.write_str(&s)
    }
}

/// What an orbit receives in one candidate.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Choice {
    /// The same species on every site: the candidate keeps the orbit's site symmetry.
    Uniform(SpeciesChoice),
    /// One species per site of the orbit, in the orbit's site order (`X = O,O,N` for the
    /// perovskite oxynitride ABO2N). Different species on one orbit **lower the symmetry**:
    /// such a candidate does not inherit the prototype's space group (its symmetry is that of
    /// the decorated cell, e.g. P4/mmm for ABO2N in the 5-atom cell) and is not searched for
    /// symmetrically equivalent decorations; list one decoration per composition.
    Sites(Vec<SpeciesChoice>),
}

/// A choice that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("'{text}': {message}")]
pub struct ChoiceError {
    pub text: String,
    pub message: String,
}

fn species_token(token: &str, whole: &str) -> Result<SpeciesChoice, ChoiceError> {
    let err = |message: String| ChoiceError { text: whole.to_string(), message };
    let token = token.trim();
    if token.ends_with('+') || token.ends_with('-') {
        return token.parse::<Ion>().map(SpeciesChoice::ion).map_err(|e| err(e.to_string()));
    }
    Element::from_symbol(token).map(SpeciesChoice::new).map_err(|e| err(e.to_string()))
}

impl Choice {
    /// Reads a choice for an orbit of `orbit_size` sites:
    /// - `"Sr"`, `"Fe3+"`, `"O2-"`: one species on every site;
    /// - `"O,O,N"`, `"O2-,O2-,N3-"`: one species per site, in site order;
    /// - `"O2N"`, `"O3"`: a formula whose counts add up to the orbit size, filled in site
    ///   order (`O2N` = `O,O,N`; `O3` on a 3-site orbit = `O`).
    ///
    /// ```
    /// use screen_engine::substitute::Choice;
    /// assert_eq!(Choice::parse("O2N", 3).unwrap(), Choice::parse("O,O,N", 3).unwrap());
    /// assert_eq!(Choice::parse("O3", 3).unwrap(), Choice::parse("O", 3).unwrap());
    /// assert!(Choice::parse("O2", 3).is_err());
    /// ```
    pub fn parse(text: &str, orbit_size: usize) -> Result<Choice, ChoiceError> {
        let err = |message: String| ChoiceError { text: text.to_string(), message };
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(err("empty choice: expected an element, an ion or a decoration".into()));
        }
        let sites: Vec<SpeciesChoice> = if trimmed.contains(',') {
            trimmed.split(',').map(|t| species_token(t, text)).collect::<Result<_, _>>()?
        } else if trimmed.ends_with('+') || trimmed.ends_with('-') {
            return Ok(Choice::Uniform(species_token(trimmed, text)?));
        } else {
            let parts = formula_parts(trimmed).ok_or_else(|| {
                err("expected an element ('Sr'), an ion ('Fe3+'), a per-site list ('O,O,N') or a formula ('O2N')".into())
            })?;
            if let [(e, None)] = parts.as_slice() {
                return Ok(Choice::Uniform(SpeciesChoice::new(*e)));
            }
            let mut sites = Vec::new();
            for (e, n) in parts {
                let n = n.unwrap_or(1);
                if sites.len() + n > orbit_size {
                    return Err(err(format!("the formula has more atoms than the orbit's {orbit_size} sites")));
                }
                sites.extend(std::iter::repeat_n(SpeciesChoice::new(e), n));
            }
            sites
        };
        Choice::from_sites(sites, orbit_size).map_err(err)
    }

    /// A per-site list, collapsed to [`Choice::Uniform`] when every site gets the same species.
    pub fn from_sites(sites: Vec<SpeciesChoice>, orbit_size: usize) -> Result<Choice, String> {
        if sites.len() != orbit_size {
            return Err(format!("{} species given for an orbit of {orbit_size} sites", sites.len()));
        }
        match sites.first() {
            Some(&first) if sites.iter().all(|&s| s == first) => Ok(Choice::Uniform(first)),
            Some(_) => Ok(Choice::Sites(sites)),
            None => Err("empty decoration".into()),
        }
    }

    /// The species on the orbit's `rank`-th site.
    pub fn species_at(&self, rank: usize) -> SpeciesChoice {
        match self {
            Choice::Uniform(s) => *s,
            Choice::Sites(v) => v[rank.min(v.len().saturating_sub(1))],
        }
    }

    pub fn is_uniform(&self) -> bool {
        matches!(self, Choice::Uniform(_))
    }

    /// Appends this orbit's part of a candidate id: `Sr`, `O3` (3 sites), `O2N` (decoration,
    /// run-length in site order, so different decorations get different ids).
    pub fn write_id(&self, orbit_size: usize, out: &mut String) {
        use std::fmt::Write;
        let run = |s: SpeciesChoice, n: usize, out: &mut String| {
            if s.oxidation.is_some() && n > 1 {
                out.push('(');
                s.write(out);
                out.push(')');
            } else {
                s.write(out);
            }
            if n > 1 {
                let _ = write!(out, "{n}");
            }
        };
        match self {
            Choice::Uniform(s) => run(*s, orbit_size, out),
            Choice::Sites(v) => {
                let mut i = 0;
                while i < v.len() {
                    let mut j = i + 1;
                    while j < v.len() && v[j] == v[i] {
                        j += 1;
                    }
                    run(v[i], j - i, out);
                    i = j;
                }
            }
        }
    }
}

/// "O2N" → [(O, Some(2)), (N, None)]; `None` if not a plain formula.
fn formula_parts(text: &str) -> Option<Vec<(Element, Option<usize>)>> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        if !b[i].is_ascii_uppercase() {
            return None;
        }
        let start = i;
        i += 1;
        while i < b.len() && b[i].is_ascii_lowercase() {
            i += 1;
        }
        let element = Element::from_symbol(&text[start..i]).ok()?;
        let digits = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let count = if i > digits {
            let n: usize = text[digits..i].parse().ok()?;
            if n == 0 {
                return None;
            }
            Some(n)
        } else {
            None
        };
        out.push((element, count));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn el(s: &str) -> SpeciesChoice {
        SpeciesChoice::new(Element::from_symbol(s).unwrap())
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(Choice::parse("Sr", 1).unwrap(), Choice::Uniform(el("Sr")));
        assert_eq!(
            Choice::parse("Fe3+", 1).unwrap(),
            Choice::Uniform(SpeciesChoice::ion("Fe3+".parse().unwrap()))
        );
        assert_eq!(Choice::parse("O,O,N", 3).unwrap(), Choice::Sites(vec![el("O"), el("O"), el("N")]));
        assert_eq!(Choice::parse("ON2", 3).unwrap(), Choice::Sites(vec![el("O"), el("N"), el("N")]));
        assert_eq!(Choice::parse(" O , O , O ", 3).unwrap(), Choice::Uniform(el("O")));
        for bad in ["", "Xx", "O2", "O4", "O,N", "o", "O0N3", "Fe9", "2O"] {
            assert!(Choice::parse(bad, 3).is_err(), "{bad}");
        }
    }

    #[test]
    fn ids_are_run_length_and_distinguish_decorations() {
        let id = |c: &str| {
            let mut s = String::new();
            Choice::parse(c, 3).unwrap().write_id(3, &mut s);
            s
        };
        assert_eq!(id("O"), "O3");
        assert_eq!(id("O2N"), "O2N");
        assert_eq!(id("N,O,O"), "NO2");
        assert_eq!(id("O,N,O"), "ONO");
        assert_eq!(id("O2-"), "(O2-)3");
        let mut s = String::new();
        Choice::parse("Sr", 1).unwrap().write_id(1, &mut s);
        assert_eq!(s, "Sr");
    }
}
