//! Chemistry: the periodic table and ion tables embedded from `engine/data/chem` (elements,
//! oxidation-state sets, Shannon radii), chemical formulas, SMACT-style charge-neutrality and
//! electronegativity screening, and the Hautier et al. (2011) ionic substitution model.

mod element;
pub mod formula;
mod ion;
pub mod radius;
pub mod screening;
pub mod shannon;
pub mod substitution;

pub use element::{
    Block, Element, ElementData, OxidationStateSet, SmactOxidationStates, UnknownElement,
};
pub use ion::{Ion, IonParseError};
