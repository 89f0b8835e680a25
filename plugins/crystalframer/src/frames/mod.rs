//! Frames: per query atom (and, for dynamic methods, per head and layer) an orthonormal-ish
//! triple of Cartesian unit vectors f1, f2, f3 in which the angle part of ψ is expressed
//! (doc §4). Frames are computed from geometry, and for dynamic methods from the attention
//! scores of the layer, but never carry gradient.
//!
//! | method | [`FrameMethod`] | type | reference | differences |
//! |---|---|---|---|---|
//! | max (default) | `max` | [`MaxFrames`] | §4.1 | none (same tie order); noise off unless asked |
//! | weighted PCA | `weighted_pca` | [`WeightedPcaFrames`] | §4.2 | corrected, see its docs |
//! | static local | `max_static` | [`MaxFrames::static_weights`] | §4.3 | second axis keeps the decay `a` |
//! | lattice | `lattice` | [`LatticeFrames`] | §4.3 | none |
//! | PCA | `pca` | [`PcaFrames`] | §4.3 | deterministic signs, degenerate axes completed |
//! | none | `no` | [`NoFrames`] | §4.4 | — (Crystalformer: no angle features) |

mod lattice;
mod max;
mod pca;

pub use lattice::LatticeFrames;
pub use max::MaxFrames;
pub use pca::{PcaFrames, WeightedPcaFrames};

use crate::error::{Error, Result};
use crate::geometry::CrystalGeom;
use crate::linalg::V3;
use std::fmt::Debug;

/// Rows f1, f2, f3 (Cartesian unit vectors).
pub type Frame = [V3; 3];

/// Squared distance (Å²) below which an image is the atom itself (doc §4.1).
pub const SELF_D2: f32 = 1e-5;

/// Frame constructions the port implements (reference `frame_method` names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameMethod {
    Max,
    MaxStatic,
    WeightedPca,
    Lattice,
    Pca,
    /// No frames: the Crystalformer baseline.
    None,
}

impl FrameMethod {
    pub const ALL: [FrameMethod; 6] = [
        FrameMethod::Max,
        FrameMethod::MaxStatic,
        FrameMethod::WeightedPca,
        FrameMethod::Lattice,
        FrameMethod::Pca,
        FrameMethod::None,
    ];

    pub fn from_name(name: &str) -> Result<FrameMethod> {
        Ok(match name {
            "max" => FrameMethod::Max,
            "max_static" => FrameMethod::MaxStatic,
            "weighted_pca" => FrameMethod::WeightedPca,
            "lattice" => FrameMethod::Lattice,
            "pca" => FrameMethod::Pca,
            "no" => FrameMethod::None,
            other => {
                return Err(Error::Unsupported(format!(
                    "frame_method = '{other}' (supported: max, max_static, weighted_pca, lattice, pca, no)"
                )));
            }
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            FrameMethod::Max => "max",
            FrameMethod::MaxStatic => "max_static",
            FrameMethod::WeightedPca => "weighted_pca",
            FrameMethod::Lattice => "lattice",
            FrameMethod::Pca => "pca",
            FrameMethod::None => "no",
        }
    }

    /// The implementation, with symmetry-breaking `noise` (max frames only; 0 = the
    /// deterministic reference tie order) drawn from streams seeded by `seed`.
    pub fn build(self, noise: f32, seed: u64) -> Box<dyn Frames> {
        match self {
            FrameMethod::Max => Box::new(MaxFrames::dynamic(noise, seed)),
            FrameMethod::MaxStatic => Box::new(MaxFrames::static_weights()),
            FrameMethod::WeightedPca => Box::new(WeightedPcaFrames),
            FrameMethod::Lattice => Box::new(LatticeFrames),
            FrameMethod::Pca => Box::new(PcaFrames),
            FrameMethod::None => Box::new(NoFrames),
        }
    }
}

/// What a frame construction may look at for query atom `i` of one crystal.
pub struct FrameQuery<'a> {
    pub geom: &'a CrystalGeom,
    /// Query atom (index inside the crystal).
    pub i: usize,
    /// r_ij = pos_j − pos_i (float32, Å) for every atom j of the crystal.
    pub rel: &'a [V3],
    /// Image box of this (atom, head).
    pub range: [i32; 3],
    /// Gaussian coefficient a < 0 (Å⁻²) of this (atom, head); for static frames the
    /// head-independent value −1/(2 r0²).
    pub a: f32,
    /// s_ij = q_i·k_j/√d_head for every j (all zero for static frames).
    pub scores: &'a [f32],
    /// (layer, atom, head), for per-query random streams.
    pub stream: [u64; 3],
    /// Per atom j, the images that can matter (see [`NearImages`]), when the caller has them.
    pub near: Option<&'a [NearImages]>,
}

/// The images of one atom pair (i, j) that can carry weight, collected once per atom i for
/// all heads: those of the largest box of the heads with d² ≤ `cut2`, in loop order, with
/// their cell offsets so each head can restrict them to its own box. Far images have
/// weights below e^-25 of the nearest one for every head and cannot win a frame choice.
#[derive(Clone, Debug, Default)]
pub struct NearImages {
    /// (image vector, d², cell offset n).
    pub images: Vec<(V3, f32, [i32; 3])>,
    /// Smallest d² over the largest box and the offset where it occurs.
    pub d2min: f32,
    pub nearest: [i32; 3],
    /// Every image of the largest box with d² ≤ cut2 is listed.
    pub cut2: f32,
}

impl NearImages {
    /// Collects the images of `r` in `range` with d² ≤ d²min + `reach2`.
    pub fn collect(r: V3, t: &[[f32; 3]; 3], range: [i32; 3], reach2: f32, list: &mut NearImages) {
        let mut d2min = f32::INFINITY;
        let mut nearest = [0; 3];
        for_each_image(r, t, range, |n, _, d2| {
            if d2 < d2min {
                d2min = d2;
                nearest = n;
            }
        });
        let cut2 = d2min + reach2;
        list.images.clear();
        for_each_image(r, t, range, |n, v, d2| {
            if d2 <= cut2 {
                list.images.push((v, d2, n));
            }
        });
        list.d2min = d2min;
        list.nearest = nearest;
        list.cut2 = cut2;
    }

    /// Whether the overall nearest image lies in `range` (then it is that box's nearest too).
    pub fn nearest_within(&self, range: [i32; 3]) -> bool {
        inside(self.nearest, range)
    }
}

/// Whether a cell offset lies in a box.
#[inline(always)]
pub fn inside(n: [i32; 3], range: [i32; 3]) -> bool {
    n[0].abs() <= range[0] && n[1].abs() <= range[1] && n[2].abs() <= range[2]
}

/// A frame construction.
pub trait Frames: Send + Sync + Debug {
    fn method(&self) -> FrameMethod;

    /// Whether the frame depends on the head's query (dynamic frames). Static frames are
    /// computed once per atom and layer with the head-independent [`FrameQuery::a`].
    fn per_head(&self) -> bool;

    /// The frame of the query, or `None` when the method uses no frames.
    fn frame(&self, query: &FrameQuery) -> Option<Frame>;
}

/// The Crystalformer baseline: no frames, no angle features.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFrames;

impl Frames for NoFrames {
    fn method(&self) -> FrameMethod {
        FrameMethod::None
    }

    fn per_head(&self) -> bool {
        false
    }

    fn frame(&self, _: &FrameQuery) -> Option<Frame> {
        None
    }
}

/// Visits the periodic images r = r_ij + n1·t1 + n2·t2 + n3·t3 of the box `range` in the
/// reference's loop order (n1 outer … n3 inner, each −R..R), with the reference's float32
/// evaluation order `((r + t1·n1) + t2·n2) + t3·n3` and d² = (x² + y²) + z², so that exact
/// ties are decided as the reference decides them (doc §3.3, §5).
#[inline(always)]
pub fn for_each_image(r: V3, t: &[[f32; 3]; 3], range: [i32; 3], mut f: impl FnMut([i32; 3], V3, f32)) {
    for n1 in -range[0]..=range[0] {
        let f1 = n1 as f32;
        for n2 in -range[1]..=range[1] {
            let f2 = n2 as f32;
            for n3 in -range[2]..=range[2] {
                let f3 = n3 as f32;
                let x = r[0] + t[0][0] * f1 + t[1][0] * f2 + t[2][0] * f3;
                let y = r[1] + t[0][1] * f1 + t[1][1] * f2 + t[2][1] * f3;
                let z = r[2] + t[0][2] * f1 + t[1][2] * f2 + t[2][2] * f3;
                f([n1, n2, n3], [x, y, z], x * x + y * y + z * z);
            }
        }
    }
}

/// A unit vector perpendicular to `f` (for degenerate inputs only): the Cartesian axis least
/// aligned with it, orthogonalised.
fn any_perpendicular(f: V3) -> V3 {
    let axis = (0..3).min_by(|&a, &b| f[a].abs().total_cmp(&f[b].abs())).unwrap_or(0);
    let mut e = [0.0; 3];
    e[axis] = 1.0;
    let d = crate::linalg::dot(e, f);
    crate::linalg::normalize(crate::linalg::sub(e, crate::linalg::scale(f, d)))
}

/// Completes (f1, u) into a right-handed frame: f2 = normalize(u − (u·f1) f1), f3 = f1 × f2
/// (doc §4.1 Gram–Schmidt).
fn gram_schmidt(f1: V3, u: V3) -> Frame {
    use crate::linalg::{cross, dot, normalize, scale, sub};
    let f2 = normalize(sub(u, scale(f1, dot(u, f1))));
    [f1, f2, cross(f1, f2)]
}
