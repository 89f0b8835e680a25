//! Chemistry data: the periodic table (embedded from `engine/data/chem`).

mod element;

pub use element::{Element, ElementData, UnknownElement};
