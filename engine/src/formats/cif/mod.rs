//! CIF 1.1 / 2.0 reader and writer.
//!
//! Reading has three stages: `syntax` (the pest grammar `grammars/cif.pest` → data blocks of
//! values and loops), `symmetry` (which operations a block declares) and `structure` (cell,
//! atom sites, symmetry expansion, validation). Every data block gives one record: a crystal,
//! or the error that stopped it (with the context `data block 'NAME'`); a syntax error, an
//! empty file or a file without any data block is a file-level error.
//!
//! Semantics follow pymatgen's `CifParser` (the corpus reference) where the format leaves
//! room:
//! - data names are case-insensitive, and DDLm's `_atom_site.fract_x` is `_atom_site_fract_x`;
//! - numbers may carry a standard uncertainty, `1.234(5)`; `?` and `.` mean "no value";
//! - the cell needs `_cell_length_a/b/c`; missing angles are 90° (the dictionary default);
//! - the element comes from `_atom_site_type_symbol` ("Fe3+", "FE"), else from the label
//!   ("Fe1a"); a charge suffix or `_atom_type_oxidation_number` gives an oxidation state;
//! - occupancy defaults to 1 (also for `?`/`.`); rows with occupancy 0 are skipped;
//! - with symmetry operations other than the identity, coordinates within 1e-4 (relative) of
//!   1/3 or 2/3 are snapped to them; every operation is applied, images are wrapped into
//!   [0, 1) and merged when closer than [`SITE_TOLERANCE`] = 1e-4 in each fractional
//!   coordinate; rows at one position become one disordered site whose occupancies add up
//!   (above 1 is an error), and the crystal is validated with `ReadOptions::min_distance`;
//! - symmetry comes from the operation list, else the Hall symbol, else the Hermann–Mauguin
//!   symbol, else the IT number, else P1 (see `symmetry`); a bare symbol or number means
//!   the setting spglib and pymatgen default to (origin choice 1, hexagonal axes unless the
//!   cell is rhombohedral);
//! - the crystal records the operations, symbol, number and the orbit of every site in
//!   [`crate::symmetry::SymmetryInfo`], and each site keeps its label;
//! - magnetic CIFs: positions use the spatial part of the magnetic operations; moments given
//!   on the crystal axes become the `magmom` site property (Cartesian, μB).
//!
//! The grammar documents the few deviations from the specification that real files need
//! (a banner before the first block, quoted values over several lines, stray values); a
//! repeated data name is an error unless it repeats the same value.

mod number;
mod structure;
mod symmetry;
mod syntax;
mod writer;

pub use structure::SITE_TOLERANCE;
pub use writer::write;

use super::ReadOptions;
use crate::crystal::{Entry, Structure};
use crate::error::{ParseError, Result};

/// Reads every data block of a CIF file.
pub fn read(text: &str, file: &str, opts: &ReadOptions) -> Result<super::Records> {
    let text = syntax::normalize_newlines(text);
    let doc = syntax::parse(&text, file)?;
    if doc.blocks.is_empty() {
        let what = if text.trim().is_empty() { "empty file" } else { "no data block" };
        return Err(ParseError::new(file, format!("{what}: a CIF holds data blocks that start with data_NAME")).into());
    }
    let records = doc
        .blocks
        .iter()
        .map(|block| {
            let context = format!("data block '{}'", block.name);
            structure::build(&doc, block, file, opts)
                .map(|crystal| Entry {
                    id: block.name.to_string(),
                    location: context.clone(),
                    structure: Structure::Crystal(crystal),
                })
                .map_err(|e| e.with_context(context).into())
        })
        .collect();
    Ok(records)
}

#[cfg(test)]
mod tests;
