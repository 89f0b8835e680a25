use thiserror::Error;

/// Why a structure is not a valid crystal. Parsers wrap these with the file and line.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CrystalError {
    #[error("{what} is not a finite number ({value})")]
    NonFinite { what: String, value: f64 },
    #[error("degenerate lattice: volume {volume:.3e} Å³ (lattice vectors are coplanar or zero)")]
    DegenerateLattice { volume: f64 },
    #[error("cell too flat: a lattice plane spacing of {spacing:.3e} Å is below {minimum} Å")]
    FlatCell { spacing: f64, minimum: f64 },
    #[error(
        "site {site} overlaps its own periodic image: the shortest lattice vector is {length:.4} Å, \
         below {threshold} Å"
    )]
    SelfOverlap { site: usize, length: f64, threshold: f64 },
    #[error("cell angles α={alpha}°, β={beta}°, γ={gamma}° do not define a lattice")]
    ImpossibleAngles { alpha: f64, beta: f64, gamma: f64 },
    #[error("cell length {name} = {value} Å must be positive")]
    NonPositiveLength { name: &'static str, value: f64 },
    #[error("structure has no sites")]
    NoSites,
    #[error("site {site}: occupancy {occupancy} must be in (0, 1]")]
    BadOccupancy { site: usize, occupancy: f64 },
    #[error("site {site}: total occupancy {total:.4} exceeds 1 (overlapping atoms on one position)")]
    OccupancyAboveOne { site: usize, total: f64 },
    #[error(
        "sites {first} and {second} overlap: distance {distance:.4} Å is below {threshold} Å \
         and their occupancies sum to more than 1"
    )]
    OverlappingSites { first: usize, second: usize, distance: f64, threshold: f64 },
    #[error("site property '{name}' has {found} values, expected {expected}")]
    PropertyLength { name: String, found: usize, expected: usize },
    #[error("{0} has partially occupied or mixed sites: {1} holds ordered structures only")]
    Disordered(String, &'static str),
    #[error("{0} is a molecule (no lattice): {1} needs a periodic crystal")]
    NotPeriodic(String, &'static str),
}
