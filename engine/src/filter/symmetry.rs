//! Space group and crystal system.

use super::reason;
use crate::candidate::{Candidate, Rejection};
use crate::prototype::{CrystalSystem, Prototype, SpaceGroupInfo, DEFAULT_SYMPREC};
use serde::Deserialize;

/// The candidate's space group: the one it carries (`crystal.symmetry`, recorded by a
/// substitution or declared by its file) or, if none, a symmetry search (moyo, `symprec` Å).
pub fn space_group(candidate: &Candidate, symprec: f64) -> Result<SpaceGroupInfo, Rejection> {
    if let Some(s) = &candidate.crystal.symmetry
        && let Some(number) = s.number
    {
        return Ok(SpaceGroupInfo { number, symbol: s.hermann_mauguin.clone().unwrap_or_default() });
    }
    Prototype::from_crystal_with_symprec(&candidate.id, &candidate.crystal, symprec)
        .map(|p| p.space_group)
        .map_err(|e| Rejection::new(reason::SYMMETRY_FAILED).with_detail(e.to_string()))
}

/// Options of [`symmetry`]: accepted space-group numbers and crystal systems (empty: any).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SymmetryOptions {
    pub space_groups: Vec<u16>,
    pub crystal_systems: Vec<CrystalSystem>,
    /// Tolerance of the symmetry search, Å, for candidates that carry no space group.
    pub symprec: f64,
}

impl Default for SymmetryOptions {
    fn default() -> Self {
        SymmetryOptions { space_groups: Vec::new(), crystal_systems: Vec::new(), symprec: DEFAULT_SYMPREC }
    }
}

/// Rejects candidates whose space group or crystal system is not listed.
pub fn symmetry(candidate: &Candidate, options: &SymmetryOptions) -> Result<(), Rejection> {
    if options.space_groups.is_empty() && options.crystal_systems.is_empty() {
        return Ok(());
    }
    let sg = space_group(candidate, options.symprec)?;
    if !options.space_groups.is_empty() && !options.space_groups.contains(&sg.number) {
        return Err(Rejection::new(reason::SPACE_GROUP).with_detail(format!("{} ({})", sg.symbol, sg.number)));
    }
    if !options.crystal_systems.is_empty() {
        let system = CrystalSystem::of_space_group(sg.number);
        if !system.is_some_and(|s| options.crystal_systems.contains(&s)) {
            return Err(Rejection::new(reason::CRYSTAL_SYSTEM)
                .with_detail(system.map_or("unknown".to_string(), |s| s.to_string())));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::substitute::Substitution;

    #[test]
    fn recorded_and_searched_space_groups() {
        let sub = Substitution::parse(Prototype::builtin("perovskite").unwrap(), [("X", ["O", "O2N"])]).unwrap();
        let uniform = sub.candidate(0).unwrap();
        let decorated = sub.candidate(1).unwrap();
        assert_eq!(space_group(&uniform, 1e-3).unwrap().number, 221);
        assert!(decorated.crystal.symmetry.is_none());
        // SrTiO2N in the 5-atom cell: P4/mmm (123), found by a search.
        assert_eq!(space_group(&decorated, 1e-3).unwrap().number, 123);
        let o: SymmetryOptions = serde_json::from_str(r#"{"crystal_systems": ["cubic"]}"#).unwrap();
        assert!(symmetry(&uniform, &o).is_ok());
        assert_eq!(symmetry(&decorated, &o).unwrap_err().reason, reason::CRYSTAL_SYSTEM);
        let o: SymmetryOptions = serde_json::from_str(r#"{"space_groups": [221]}"#).unwrap();
        assert!(symmetry(&uniform, &o).is_ok());
        assert_eq!(symmetry(&decorated, &o).unwrap_err().reason, reason::SPACE_GROUP);
    }
}
