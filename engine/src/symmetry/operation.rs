//! Space-group operations (NOT YET IMPLEMENTED beyond the data type).
use crate::math::Vec3;

/// A symmetry operation x' = R·x + t on fractional coordinates: integer rotation part,
/// translation in fractions of the lattice vectors.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SymOp {
    pub rotation: [[i32; 3]; 3],
    pub translation: Vec3,
}

/// Why an operator string is not a symmetry operation.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("invalid symmetry operation '{op}': {reason}")]
pub struct SymOpError {
    pub op: String,
    pub reason: String,
}
