use super::{Composition, Crystal, CrystalError, Molecule};

/// What a structure file holds: a periodic crystal or a molecule.
#[derive(Clone, Debug, PartialEq)]
pub enum Structure {
    Crystal(Crystal),
    Molecule(Molecule),
}

impl Structure {
    pub fn num_sites(&self) -> usize {
        match self {
            Structure::Crystal(c) => c.num_sites(),
            Structure::Molecule(m) => m.num_atoms(),
        }
    }

    pub fn composition(&self) -> Composition {
        match self {
            Structure::Crystal(c) => c.composition(),
            Structure::Molecule(m) => m.composition(),
        }
    }

    pub fn as_crystal(&self) -> Option<&Crystal> {
        match self {
            Structure::Crystal(c) => Some(c),
            Structure::Molecule(_) => None,
        }
    }

    /// The crystal, or an error naming `name` and the `operation` that needed a lattice.
    pub fn crystal(&self, name: &str, operation: &'static str) -> Result<&Crystal, CrystalError> {
        self.as_crystal().ok_or_else(|| CrystalError::NotPeriodic(name.to_string(), operation))
    }

    pub fn into_crystal(self, name: &str, operation: &'static str) -> Result<Crystal, CrystalError> {
        match self {
            Structure::Crystal(c) => Ok(c),
            Structure::Molecule(_) => Err(CrystalError::NotPeriodic(name.to_string(), operation)),
        }
    }
}

/// One structure read from a file, with where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// Identifier: the dataset id (JSONL `id`), CIF block name, or `file#frame`.
    pub id: String,
    /// Where in the source: "data block 'x'", "frame 3", "line 17".
    pub location: String,
    pub structure: Structure,
}
