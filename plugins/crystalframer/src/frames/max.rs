//! Max frames (doc §4.1): the first axis points to the periodic image with the largest
//! attention weight p_ijn, the second to the image maximising attention weight × (1 − |cos|)
//! in log space, then Gram–Schmidt and a right-handed third axis.

use super::{Frame, FrameMethod, FrameQuery, Frames, SELF_D2, any_perpendicular, gram_schmidt, inside};
use crate::linalg::{Rng, V3, dot, scale};

/// Images with |cos θ| ≥ this to the first axis cannot define the second (doc §4.1).
const PARALLEL_COS: f32 = 0.9999;
/// Floor of 1 − |cos θ| inside the log.
const MIN_SIN_TERM: f32 = 1e-5;

/// Max frames, dynamic (the CrystalFramer default) or with static weights.
///
/// Ties are broken exactly as the reference on CPU: per atom pair the first image in loop
/// order (strict comparisons), then the lowest atom index j. The reference adds uniform noise
/// of amplitude `symm_break_noise` (1e-5 in its configs) to every comparison, from a fresh
/// random seed per call; here noise is off unless asked for, and then drawn from per-(layer,
/// atom, head) streams of a fixed seed, so results are reproducible. Exactly tied candidates
/// are related by site symmetries, so the choice does not change predictions (doc §4.1).
///
/// `static_weights` is the "static local frame" variant (`max_static`): q·k is dropped and
/// the decay is the head-independent a = −1/(2 r0²). The reference's static second-axis kernel
/// also drops `a` from the second-axis score and so picks the *farthest* image of the box (doc
/// §4.3, a bug); this port keeps `a`, so both axes use the same static weights.
#[derive(Clone, Debug)]
pub struct MaxFrames {
    noise: f32,
    seed: u64,
    static_weights: bool,
}

impl MaxFrames {
    pub fn dynamic(noise: f32, seed: u64) -> Self {
        MaxFrames { noise: noise.max(0.0), seed, static_weights: false }
    }

    pub fn static_weights() -> Self {
        MaxFrames { noise: 0.0, seed: 0, static_weights: true }
    }
}

impl Frames for MaxFrames {
    fn method(&self) -> FrameMethod {
        if self.static_weights { FrameMethod::MaxStatic } else { FrameMethod::Max }
    }

    fn per_head(&self) -> bool {
        !self.static_weights
    }

    fn frame(&self, q: &FrameQuery) -> Option<Frame> {
        let mut rng = (self.noise > 0.0).then(|| Rng::new(self.seed, &q.stream));
        let mut jitter = || match rng.as_mut() {
            Some(r) => (r.uniform() - 0.5) * self.noise,
            None => 0.0,
        };
        let t = &q.geom.lattice;
        let n = q.rel.len();

        // Axis 1: per edge the nearest non-self image, scored s_ij + a·d²min; best edge wins.
        // From the near-image list when it holds a non-self image of the box (then it holds
        // the nearest one, in the same order), else from the whole box.
        let mut nearest = vec![f32::INFINITY; n];
        let mut best: Option<(f32, V3, f32)> = None;
        for j in 0..n {
            let mut d2min = f32::INFINITY;
            let mut rmin = [0.0; 3];
            let mut from_list = false;
            if let (Some(near), true) = (q.near, self.noise == 0.0) {
                for &(r, d2, nn) in &near[j].images {
                    if d2 > SELF_D2 && d2 < d2min && inside(nn, q.range) {
                        d2min = d2;
                        rmin = r;
                    }
                }
                from_list = d2min.is_finite();
            }
            if !from_list {
                for_images!(q.rel[j], t, q.range, |r, d2| {
                    if d2 > SELF_D2 && d2min > d2 + jitter() {
                        d2min = d2;
                        rmin = r;
                    }
                });
            }
            if d2min.is_finite() {
                nearest[j] = d2min;
                let score = q.scores[j] + q.a * d2min;
                if best.is_none_or(|(s, _, _)| score > s) {
                    best = Some((score, rmin, d2min));
                }
            }
        }
        let Some((_, r1, d21)) = best else {
            // Every image coincides with the atom: only possible for a degenerate lattice.
            return Some([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]);
        };
        let f1 = scale(r1, 1.0 / d21.sqrt());

        // Axis 2: per edge maximise a(d² − d²min) + log(max(1 − |cos|, 1e-5)) over images not
        // parallel to f1; edge score s_ij + a·d² + log(...); best edge wins.
        // Pruning (noise off): log(...) ≤ 0, so an image with a(d² − d²min) below the value
        // of the edge's nearest valid image, or not above the best so far, cannot win; the
        // scan order — and so the tie order — is unchanged.
        let exact = self.noise == 0.0;
        let mut best: Option<(f32, V3, f32)> = None;
        for j in 0..n {
            if !nearest[j].is_finite() {
                continue;
            }
            let d2min = nearest[j];
            // The winner has a(d² − d²min) ≥ log(1e-5): the near list suffices when it holds
            // every image up to that distance.
            let list = match q.near {
                Some(near) if exact && d2min - MIN_SIN_TERM.ln() / -q.a <= near[j].cut2 => Some(&near[j].images),
                _ => None,
            };
            // Value of the edge's nearest valid image: nothing below it can win.
            let mut floor = f32::NEG_INFINITY;
            let mut raise = |r: V3, d2: f32| {
                if d2 == d2min {
                    let cos = dot(r, f1) / d2.sqrt();
                    if cos.abs() < PARALLEL_COS {
                        floor = floor.max((1.0 - cos.abs()).max(MIN_SIN_TERM).ln());
                    }
                }
            };
            match (exact, list) {
                (false, _) => {}
                (true, Some(images)) => images.iter().filter(|x| inside(x.2, q.range)).for_each(|x| raise(x.0, x.1)),
                (true, None) => for_images!(q.rel[j], t, q.range, |r, d2| {
                    raise(r, d2);
                }),
            }
            let floor = floor;
            let mut pick: Option<(f32, V3, f32, f32)> = None;
            let mut consider = |r: V3, d2: f32| {
                if d2 <= SELF_D2 {
                    return;
                }
                if exact {
                    let bound = q.a * (d2 - d2min);
                    if bound < floor || pick.is_some_and(|(v, ..)| bound <= v) {
                        return;
                    }
                }
                let cos = dot(r, f1) / d2.sqrt();
                if cos.abs() >= PARALLEL_COS {
                    return;
                }
                let log_sin = (1.0 - cos.abs()).max(MIN_SIN_TERM).ln();
                let value = q.a * (d2 - d2min) + log_sin;
                if pick.is_none_or(|(v, ..)| value + jitter() > v) {
                    pick = Some((value, r, d2, log_sin));
                }
            };
            match list {
                Some(images) => images.iter().filter(|x| inside(x.2, q.range)).for_each(|x| consider(x.0, x.1)),
                None => for_images!(q.rel[j], t, q.range, |r, d2| {
                    consider(r, d2);
                }),
            }
            if let Some((_, r, d2, log_sin)) = pick {
                let score = q.scores[j] + q.a * d2 + log_sin;
                if best.is_none_or(|(s, _, _)| score > s) {
                    best = Some((score, r, d2));
                }
            }
        }
        let u = match best {
            Some((_, r, d2)) => scale(r, 1.0 / d2.sqrt()),
            None => any_perpendicular(f1),
        };
        Some(gram_schmidt(f1, u))
    }
}
