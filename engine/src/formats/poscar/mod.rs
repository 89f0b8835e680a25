//! POSCAR / CONTCAR, the VASP structure format (VASP 4, 5 and 6 layouts).
//!
//! Reading (`grammars/poscar.pest` for the line structure, numbers converted here):
//! - scale factor: one positive factor, one negative value (the target cell volume in Å³), or
//!   three positive per-axis factors (VASP 6; they scale the x, y and z components of the
//!   lattice vectors and of Cartesian positions); zero is an error;
//! - species: the VASP 5/6 element line (POTCAR names such as `Fe_pv`, `Si_GW`, `Mn_sv` and
//!   VASP 6 `Fe/1a2b3c` hashes name their element), possibly continued over several lines as
//!   pymatgen allows; VASP 4 files have none and take their species, in this order, from
//!   [`ReadOptions::poscar_species`](super::ReadOptions), the comment line when its words
//!   are exactly one element symbol per atom type, or element symbols written after every
//!   coordinate (pymatgen's rule); otherwise the reader asks for `--species`;
//! - `Selective dynamics` flags become the Bool site property `selective_dynamics` (width 3);
//! - a velocity block after the coordinates (after a blank or `Cartesian`/`Direct` line)
//!   becomes the Real site property `velocities` (width 3, Cartesian Å/fs); a CONTCAR's
//!   lattice-velocity block and predictor-corrector data are skipped;
//! - a word after the coordinates (`Bi`, `Fe1`) is kept as the site label; `!`/`#` start a
//!   comment. The comment line is kept as the `comment` property.
//!
//! Writing: VASP 5 layout, species grouped by runs of equal elements in site order, Direct
//! coordinates with at least 16 significant digits, selective dynamics and velocities when
//! present. Disordered crystals cannot be written.

mod reader;
mod species;
mod writer;

pub use reader::read;
pub use writer::write;

#[derive(pest_derive::Parser)]
#[grammar = "../../grammars/poscar.pest"]
struct PoscarParser;

#[cfg(test)]
mod tests;
