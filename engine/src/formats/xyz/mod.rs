//! XYZ and extended XYZ (extXYZ), one reader for both since extXYZ is a superset.
//!
//! Reading follows ASE's extxyz reader where it is reasonable:
//! - frames are `count`, comment, `count` atom lines; a blank line where an atom count is
//!   expected ends the data (ASE ignores what follows, and so do we);
//! - the comment line is read as extXYZ `key=value` pairs when it contains `=`: quoted values
//!   with backslash escapes, `[..]`/`{..}` arrays, flags without a value (true); values become
//!   integers, reals, booleans (T/F/True/False) or arrays of them when every word parses, else
//!   strings; `_JSON ` values are JSON. A line without `=` is free text, kept as `comment`;
//! - `Lattice="a1 a2 a3 b1 b2 b3 c1 c2 c3"` (Å, rows a, b, c) makes the frame a
//!   [`Crystal`](crate::crystal::Crystal) (periodic along `pbc`, default `T T T`); without it
//!   the frame is a [`Molecule`](crate::crystal::Molecule);
//! - `Properties=species:S:1:pos:R:3:...` describes the atom columns (types S, R, I, L); the
//!   atom lines must have exactly those columns. Without it the columns are species and x y z,
//!   and further columns are ignored (as ASE does). Species are element symbols in any case,
//!   or atomic numbers (a `Z:I:1` column wins over `species`);
//! - other keys become structure properties, other columns site properties under their own
//!   names (`forces`, `magmoms`, `charge`, ...);
//! - positions and lattice must be finite; crystals are validated like every reader's, and
//!   molecules get the same overlapping-atom check (`ReadOptions::min_distance`).
//!
//! An error in one frame is that frame's record; later frames are still read when the frame
//! boundaries are known (the atom count was valid). A truncated frame ends the file.
//!
//! Writing produces extXYZ: crystals with `Lattice`, `Properties=species:S:1:pos:R:3` plus
//! their site properties, per-structure properties and `pbc`; molecules the same without
//! `Lattice` and `pbc`. Reals are written with the shortest text that reads back exactly.

mod columns;
mod info;
mod reader;
mod stream;
mod writer;

pub use reader::read;
pub use stream::FrameStream;
pub use writer::write;

#[derive(pest_derive::Parser)]
#[grammar = "../../grammars/xyz.pest"]
struct XyzParser;

#[cfg(test)]
mod tests;
