//! Lattice frames (doc §4.3, `calc_lattice_frame.py`): the directions of the three shortest
//! non-coplanar lattice vectors, the same for every atom of a crystal. A static baseline.

use super::{Frame, FrameMethod, FrameQuery, Frames, SELF_D2, for_each_image};
use crate::linalg::{V3, cross, dot, normalize, scale};

/// |cos| margin that makes two lattice directions count as (anti)parallel or a third one as
/// coplanar with the first two.
const COS_EPS: f32 = 1e-5;

/// Lattice frames, as the reference builds them: f1 = shortest lattice vector; f2 = shortest
/// one not (anti)parallel to f1, signed so that f1·f2 ≥ 0; f3 = shortest one out of the
/// (f1, f2) plane, signed so that f1·f3 ≥ 0; all three negated if f3·(f1×f2) < 0. The axes
/// are **not** orthogonalised. Candidates are the lattice vectors of the image box; ties go to
/// the first in loop order.
///
/// Because the frame follows the lattice, predictions depend on the cell: a supercell or
/// another cell choice of the same crystal has other shortest vectors when the lattice is not
/// reduced, and lattices with several equally short vectors (cubic, hexagonal, ...) have no
/// unique frame at all. That is the baseline's nature, not a defect of the port.
#[derive(Clone, Copy, Debug, Default)]
pub struct LatticeFrames;

impl Frames for LatticeFrames {
    fn method(&self) -> FrameMethod {
        FrameMethod::Lattice
    }

    fn per_head(&self) -> bool {
        false
    }

    fn frame(&self, q: &FrameQuery) -> Option<Frame> {
        let shortest = |accept: &dyn Fn(V3) -> bool| -> Option<V3> {
            let mut best: Option<(f32, V3)> = None;
            for_each_image([0.0; 3], &q.geom.lattice, q.range, |_, r, d2| {
                if d2 > SELF_D2 && best.is_none_or(|(b, _)| d2 < b) {
                    let u = scale(r, 1.0 / d2.sqrt());
                    if accept(u) {
                        best = Some((d2, u));
                    }
                }
            });
            best.map(|(_, u)| u)
        };
        let f1 = shortest(&|_| true)?;
        let mut f2 = shortest(&|u| 1.0 - dot(u, f1).abs() > COS_EPS)?;
        if dot(f1, f2) < 0.0 {
            f2 = scale(f2, -1.0);
        }
        let normal = normalize(cross(f1, f2));
        let mut f3 = shortest(&|u| dot(u, normal).abs() > COS_EPS)?;
        if dot(f1, f3) < 0.0 {
            f3 = scale(f3, -1.0);
        }
        let frame = [f1, f2, f3];
        Some(if dot(f3, cross(f1, f2)) < 0.0 { frame.map(|f| scale(f, -1.0)) } else { frame })
    }
}
