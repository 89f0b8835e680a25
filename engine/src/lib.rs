//! # screen-engine
//!
//! The core library of *screen*, a high-throughput screening engine for crystalline materials:
//!
//! - [`crystal`]: the crystal model (lattice, sites with disordered species, properties);
//! - [`formats`]: readers and writers for CIF, POSCAR/CONTCAR, (extended) XYZ, JSON Lines
//!   datasets and pymatgen JSON, with errors that name the file, line and column;
//! - [`symmetry`]: space-group operations and tables;
//! - [`results`]: result tables of scoring runs (CSV, JSON Lines, SQLite), crash-safe resume,
//!   shards and merging;
//! - [`candidate`]: the unit of work of a screen (crystal, origin, computed fields, rejections);
//! - [`chem`]: the periodic table, oxidation states, Shannon radii, SMACT-identical charge
//!   neutrality / electronegativity screening and Hautier substitution probabilities;
//! - [`prototype`]: built-in prototypes (perovskite, double perovskite, rock salt, …) and any
//!   structure as a prototype, with named Wyckoff orbits;
//! - [`substitute`]: explicit and Hautier-probability element substitution, enumerated lazily
//!   with random access by index;
//! - [`filter`]: SMACT validity, tolerance/octahedral factors, distances, density, elements,
//!   symmetry — small pure functions on a candidate;
//! - [`pipeline`], [`plugin`], [`script`]: the streaming, parallel screening pipeline, its
//!   stage traits and registry, and sandboxed Rhai scripts that build and run it.
//!
//! ```
//! use screen_engine::formats::{self, Format, ReadOptions};
//! let poscar = "SrTiO3\n1.0\n3.905 0 0\n0 3.905 0\n0 0 3.905\nSr Ti O\n1 1 3\nDirect\n\
//!               0 0 0\n0.5 0.5 0.5\n0.5 0.5 0\n0.5 0 0.5\n0 0.5 0.5\n";
//! let entries = formats::read_str(poscar, "POSCAR", Format::Poscar, &ReadOptions::default()).unwrap();
//! let crystal = entries[0].as_ref().unwrap().structure.as_crystal().unwrap();
//! assert_eq!(crystal.composition().reduced_formula(), "SrTiO3");
//! ```

pub mod candidate;
pub mod chem;
pub mod crystal;
pub mod error;
pub mod filter;
pub mod formats;
pub mod math;
pub mod pipeline;
pub mod plugin;
pub mod script;
pub mod prototype;
pub mod substitute;
pub mod results;
pub mod symmetry;

pub use error::{Error, Result};
