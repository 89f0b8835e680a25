//! The built-in prototype library: each entry is a real example compound (experimental
//! room-temperature lattice parameters) written as space group + asymmetric unit, expanded with
//! the space group's operations and, for face-centred lattices, reduced to the primitive cell.

use super::{Orbit, Prototype, PrototypeError, Wyckoff, analysis};
use crate::chem::{Element, Ion};
use crate::crystal::{Crystal, Lattice, LatticeParameters, Site, Species};
use crate::math::{self, Mat3, Vec3};
use crate::symmetry::SpaceGroup;

/// Names accepted by [`Prototype::builtin`].
pub const BUILTIN_NAMES: [&str; 10] = [
    "perovskite",
    "double_perovskite",
    "rocksalt",
    "cscl",
    "zincblende",
    "wurtzite",
    "fluorite",
    "rutile",
    "spinel",
    "heusler",
];

struct OrbitSpec {
    label: &'static str,
    /// Ion ("Sr2+") or bare element ("Cu", intermetallics).
    species: &'static str,
    wyckoff: (u32, char),
    position: Vec3,
    coordination: u8,
}

struct Spec {
    name: &'static str,
    /// Space group in the setting the positions are written in ("Fd-3m:2" = origin choice 2).
    space_group: &'static str,
    /// a, b, c (Å), α, β, γ (°).
    parameters: [f64; 6],
    face_centred: bool,
    source: &'static str,
    orbits: &'static [OrbitSpec],
}

const fn o(
    label: &'static str,
    species: &'static str,
    wyckoff: (u32, char),
    position: Vec3,
    coordination: u8,
) -> OrbitSpec {
    OrbitSpec { label, species, wyckoff, position, coordination }
}

const CUBIC: [f64; 3] = [90.0, 90.0, 90.0];
const fn cubic(a: f64) -> [f64; 6] {
    [a, a, a, CUBIC[0], CUBIC[1], CUBIC[2]]
}

const SPECS: [Spec; 10] = [
    Spec {
        name: "perovskite",
        space_group: "Pm-3m",
        parameters: cubic(3.905),
        face_centred: false,
        source: "cubic perovskite ABX3, example SrTiO3, a = 3.905 Å (room temperature)",
        orbits: &[
            o("A", "Sr2+", (1, 'a'), [0.0, 0.0, 0.0], 12),
            o("B", "Ti4+", (1, 'b'), [0.5, 0.5, 0.5], 6),
            o("X", "O2-", (3, 'c'), [0.0, 0.5, 0.5], 6),
        ],
    },
    Spec {
        name: "double_perovskite",
        space_group: "Fm-3m",
        parameters: cubic(8.10),
        face_centred: true,
        source: "rock-salt ordered double perovskite A2BB'X6, example Ba2MgWO6, a ≈ 8.10 Å; \
                 ideal anion position x = 1/4 (B1-X = B2-X); primitive cell of 10 atoms",
        orbits: &[
            o("A", "Ba2+", (8, 'c'), [0.25, 0.25, 0.25], 12),
            o("B1", "Mg2+", (4, 'a'), [0.0, 0.0, 0.0], 6),
            o("B2", "W6+", (4, 'b'), [0.5, 0.5, 0.5], 6),
            o("X", "O2-", (24, 'e'), [0.25, 0.0, 0.0], 6),
        ],
    },
    Spec {
        name: "rocksalt",
        space_group: "Fm-3m",
        parameters: cubic(5.640),
        face_centred: true,
        source: "rock salt AX, example NaCl, a = 5.640 Å; primitive cell",
        orbits: &[
            o("A", "Na+", (4, 'a'), [0.0, 0.0, 0.0], 6),
            o("X", "Cl-", (4, 'b'), [0.5, 0.5, 0.5], 6),
        ],
    },
    Spec {
        name: "cscl",
        space_group: "Pm-3m",
        parameters: cubic(4.123),
        face_centred: false,
        source: "caesium chloride AX, example CsCl, a = 4.123 Å",
        orbits: &[
            o("A", "Cs+", (1, 'a'), [0.0, 0.0, 0.0], 8),
            o("X", "Cl-", (1, 'b'), [0.5, 0.5, 0.5], 8),
        ],
    },
    Spec {
        name: "zincblende",
        space_group: "F-43m",
        parameters: cubic(5.409),
        face_centred: true,
        source: "zinc blende (sphalerite) AX, example ZnS, a = 5.409 Å; primitive cell",
        orbits: &[
            o("A", "Zn2+", (4, 'a'), [0.0, 0.0, 0.0], 4),
            o("X", "S2-", (4, 'c'), [0.25, 0.25, 0.25], 4),
        ],
    },
    Spec {
        name: "wurtzite",
        space_group: "P6_3mc",
        parameters: [3.2495, 3.2495, 5.2069, 90.0, 90.0, 120.0],
        face_centred: false,
        source: "wurtzite AX, example ZnO, a = 3.2495 Å, c = 5.2069 Å, u = 0.3819",
        orbits: &[
            o("A", "Zn2+", (2, 'b'), [1.0 / 3.0, 2.0 / 3.0, 0.0], 4),
            o("X", "O2-", (2, 'b'), [1.0 / 3.0, 2.0 / 3.0, 0.3819], 4),
        ],
    },
    Spec {
        name: "fluorite",
        space_group: "Fm-3m",
        parameters: cubic(5.4626),
        face_centred: true,
        source: "fluorite AX2, example CaF2, a = 5.4626 Å; primitive cell",
        orbits: &[
            o("A", "Ca2+", (4, 'a'), [0.0, 0.0, 0.0], 8),
            o("X", "F-", (8, 'c'), [0.25, 0.25, 0.25], 4),
        ],
    },
    Spec {
        name: "rutile",
        space_group: "P4_2/mnm",
        parameters: [4.5937, 4.5937, 2.9587, 90.0, 90.0, 90.0],
        face_centred: false,
        source: "rutile AX2, example TiO2, a = 4.5937 Å, c = 2.9587 Å, x(O) = 0.3048",
        orbits: &[
            o("A", "Ti4+", (2, 'a'), [0.0, 0.0, 0.0], 6),
            o("X", "O2-", (4, 'f'), [0.3048, 0.3048, 0.0], 3),
        ],
    },
    Spec {
        name: "spinel",
        space_group: "Fd-3m:2",
        parameters: cubic(8.0832),
        face_centred: true,
        source: "normal spinel AB2X4, example MgAl2O4, a = 8.0832 Å, u = 0.2624 (origin \
                 choice 2); primitive cell of 14 atoms",
        orbits: &[
            o("A", "Mg2+", (8, 'a'), [0.125, 0.125, 0.125], 4),
            o("B", "Al3+", (16, 'd'), [0.5, 0.5, 0.5], 6),
            o("X", "O2-", (32, 'e'), [0.2624, 0.2624, 0.2624], 4),
        ],
    },
    Spec {
        name: "heusler",
        space_group: "Fm-3m",
        parameters: cubic(5.95),
        face_centred: true,
        source: "full Heusler X2YZ (L2_1), example Cu2MnAl, a = 5.95 Å; primitive cell",
        orbits: &[
            o("X", "Cu", (8, 'c'), [0.25, 0.25, 0.25], 8),
            o("Y", "Mn", (4, 'a'), [0.0, 0.0, 0.0], 8),
            o("Z", "Al", (4, 'b'), [0.5, 0.5, 0.5], 8),
        ],
    },
];

/// Primitive vectors of a face-centred lattice in conventional fractions (rows).
const FACE_CENTRED_PRIMITIVE: Mat3 = [[0.0, 0.5, 0.5], [0.5, 0.0, 0.5], [0.5, 0.5, 0.0]];

fn species(text: &str) -> Species {
    if let Ok(ion) = text.parse::<Ion>() {
        return ion.into();
    }
    // Built-in tables are checked by tests; an unknown symbol cannot reach here.
    Species::new(Element::from_symbol(text).unwrap_or_else(|_| unreachable!("built-in species {text}")))
}

fn same_point(a: Vec3, b: Vec3) -> bool {
    (0..3).all(|k| {
        let d = a[k] - b[k];
        (d - d.round()).abs() < 1e-6
    })
}

pub(super) fn build(name: &str) -> Result<Prototype, PrototypeError> {
    let spec = SPECS
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| PrototypeError::Unknown(name.to_string()))?;
    let [a, b, c, alpha, beta, gamma] = spec.parameters;
    let conventional = Lattice::from_parameters(LatticeParameters { a, b, c, alpha, beta, gamma })
        .map_err(|e| PrototypeError::Symmetry(e.to_string()))?;
    let group = SpaceGroup::from_hermann_mauguin(spec.space_group)
        .map_err(|e| PrototypeError::Symmetry(e.to_string()))?;
    let operations = group.operations();
    let lattice = if spec.face_centred {
        Lattice::new(math::mat_mul(&FACE_CENTRED_PRIMITIVE, conventional.matrix()))
            .map_err(|e| PrototypeError::Symmetry(e.to_string()))?
    } else {
        conventional.clone()
    };
    let mut sites = Vec::new();
    let mut orbits = Vec::new();
    for orbit in spec.orbits {
        let mut points: Vec<Vec3> = Vec::new();
        for op in &operations {
            let p = op.apply(orbit.position).map(math::wrap_unit);
            // In the primitive basis when face-centred.
            let p = lattice.to_fractional(conventional.to_cartesian(p)).map(math::wrap_unit);
            if !points.iter().any(|&q| same_point(p, q)) {
                points.push(p);
            }
        }
        let sp = species(orbit.species);
        let first = sites.len();
        for p in points {
            let mut site = Site::new(sp, p.map(|x| if x > 1.0 - 1e-9 { 0.0 } else { x }));
            site.label = Some(orbit.label.to_string());
            sites.push(site);
        }
        orbits.push(Orbit {
            label: orbit.label.to_string(),
            wyckoff: Wyckoff { multiplicity: orbit.wyckoff.0, letter: orbit.wyckoff.1 },
            sites: (first..sites.len()).collect(),
            species: sp,
            coordination: orbit.coordination,
        });
    }
    let crystal = Crystal::new(lattice, sites);
    let analysis = analysis::analyse(&crystal, analysis::DEFAULT_SYMPREC)?;
    Ok(Prototype::assemble(spec.name, crystal, orbits, analysis, spec.source.to_string()))
}
