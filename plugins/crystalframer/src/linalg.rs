//! Small 3-vector helpers, a symmetric 3×3 eigensolver and a seedable random stream for the
//! frame constructions.

pub type V3 = [f32; 3];

#[inline]
pub fn dot(a: V3, b: V3) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

#[inline]
pub fn cross(a: V3, b: V3) -> V3 {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

#[inline]
pub fn scale(a: V3, s: f32) -> V3 {
    [a[0] * s, a[1] * s, a[2] * s]
}

#[inline]
pub fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

/// `x / max(|x|, 1e-12)`, PyTorch's `F.normalize`.
#[inline]
pub fn normalize(a: V3) -> V3 {
    let n = dot(a, a).sqrt().max(1e-12);
    [a[0] / n, a[1] / n, a[2] / n]
}

pub fn dot64(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub fn cross64(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

pub fn normalize64(a: [f64; 3]) -> [f64; 3] {
    let n = dot64(a, a).sqrt();
    if n > 0.0 { [a[0] / n, a[1] / n, a[2] / n] } else { a }
}

/// Eigen-decomposition of a symmetric 3×3 matrix by cyclic Jacobi rotations (f64).
/// (Index loops mirror the rotation formulas.)
/// Returns eigenvalues in descending order and the matching unit eigenvectors.
#[allow(clippy::needless_range_loop)]
pub fn symmetric_eigen(m: [[f64; 3]; 3]) -> ([f64; 3], [[f64; 3]; 3]) {
    let mut a = m;
    let mut v = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    for _sweep in 0..50 {
        let off = a[0][1] * a[0][1] + a[0][2] * a[0][2] + a[1][2] * a[1][2];
        let diag = a[0][0] * a[0][0] + a[1][1] * a[1][1] + a[2][2] * a[2][2];
        if off <= 1e-30 * diag || off == 0.0 {
            break;
        }
        for (p, q) in [(0, 1), (0, 2), (1, 2)] {
            if a[p][q] == 0.0 {
                continue;
            }
            let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
            let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
            let t = if theta == 0.0 { 1.0 } else { t };
            let c = 1.0 / (t * t + 1.0).sqrt();
            let s = t * c;
            // A ← Jᵀ A J with J the rotation in the (p, q) plane.
            for k in 0..3 {
                let (akp, akq) = (a[k][p], a[k][q]);
                a[k][p] = c * akp - s * akq;
                a[k][q] = s * akp + c * akq;
            }
            for k in 0..3 {
                let (apk, aqk) = (a[p][k], a[q][k]);
                a[p][k] = c * apk - s * aqk;
                a[q][k] = s * apk + c * aqk;
            }
            for row in v.iter_mut() {
                let (vp, vq) = (row[p], row[q]);
                row[p] = c * vp - s * vq;
                row[q] = s * vp + c * vq;
            }
        }
    }
    let mut order = [0usize, 1, 2];
    order.sort_by(|&x, &y| a[y][y].total_cmp(&a[x][x]));
    let values = order.map(|k| a[k][k]);
    let vectors = order.map(|k| normalize64([v[0][k], v[1][k], v[2][k]]));
    (values, vectors)
}

/// SplitMix64: a tiny, seedable, splittable random stream (one per atom and head, so the
/// noise does not depend on thread scheduling or on the other crystals of the batch).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64, stream: &[u64]) -> Rng {
        let mut r = Rng(seed ^ 0x9e37_79b9_7f4a_7c15);
        for &s in stream {
            // Absorb then mix, so the order of the stream keys matters.
            r.0 ^= s.wrapping_mul(0xbf58_476d_1ce4_e5b9);
            r.0 = r.next_u64();
        }
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1], like curand_uniform.
    pub fn uniform(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 + 1.0) / (1u64 << 24) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigen_of_a_rotated_diagonal_matrix() {
        // R diag(3, 2, 1) Rᵀ with R a rotation about (1, 1, 1).
        let (c, s) = (0.6f64, 0.8f64);
        let r = [[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]];
        let d = [3.0, 2.0, 1.0];
        let mut m = [[0.0; 3]; 3];
        for i in 0..3 {
            for j in 0..3 {
                m[i][j] = (0..3).map(|k| r[i][k] * d[k] * r[j][k]).sum();
            }
        }
        let (values, vectors) = symmetric_eigen(m);
        for k in 0..3 {
            assert!((values[k] - d[k]).abs() < 1e-12);
            let col = [r[0][k], r[1][k], r[2][k]];
            assert!((dot64(col, vectors[k]).abs() - 1.0).abs() < 1e-12);
        }
        let (values, _) = symmetric_eigen([[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]]);
        assert_eq!(values, [2.0; 3]);
    }

    #[test]
    fn rng_streams_are_reproducible_and_distinct() {
        let a: Vec<f32> = (0..5).map({
            let mut r = Rng::new(7, &[1, 2]);
            move |_| r.uniform()
        }).collect();
        let b: Vec<f32> = (0..5).map({
            let mut r = Rng::new(7, &[1, 2]);
            move |_| r.uniform()
        }).collect();
        let c = Rng::new(7, &[2, 1]).uniform();
        assert_eq!(a, b);
        assert_ne!(a[0], c);
        assert!(a.iter().all(|x| *x > 0.0 && *x <= 1.0));
    }
}
