//! Small fixed-size linear algebra on `[f64; 3]` vectors and row-major `[[f64; 3]; 3]` matrices.
//!
//! Crystallography only ever needs 3×3 maths; plain arrays keep the crystal model `Copy`-cheap
//! and free of a linear-algebra dependency.

/// A 3-vector (Å for Cartesian, dimensionless for fractional coordinates).
pub type Vec3 = [f64; 3];
/// A 3×3 matrix, row-major: `m[i]` is row `i`.
pub type Mat3 = [[f64; 3]; 3];

pub fn dot(a: Vec3, b: Vec3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub fn cross(a: Vec3, b: Vec3) -> Vec3 {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

pub fn norm(a: Vec3) -> f64 {
    dot(a, a).sqrt()
}

pub fn sub(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

pub fn add(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

pub fn scale(a: Vec3, s: f64) -> Vec3 {
    [a[0] * s, a[1] * s, a[2] * s]
}

pub fn det(m: &Mat3) -> f64 {
    dot(m[0], cross(m[1], m[2]))
}

pub fn transpose(m: &Mat3) -> Mat3 {
    [[m[0][0], m[1][0], m[2][0]], [m[0][1], m[1][1], m[2][1]], [m[0][2], m[1][2], m[2][2]]]
}

pub fn mat_mul(a: &Mat3, b: &Mat3) -> Mat3 {
    let mut out = [[0.0; 3]; 3];
    for (i, row) in out.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
        }
    }
    out
}

/// Row vector times matrix: `v · M` (how fractional coordinates become Cartesian).
/// Product of integer matrices (rotations in lattice coordinates); `None` on i32 overflow.
pub fn mat_mul_int(a: &[[i32; 3]; 3], b: &[[i32; 3]; 3]) -> Option<[[i32; 3]; 3]> {
    let mut out = [[0i32; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            let mut s = 0i32;
            for k in 0..3 {
                s = s.checked_add(a[i][k].checked_mul(b[k][j])?)?;
            }
            out[i][j] = s;
        }
    }
    Some(out)
}

pub fn vec_mat(v: Vec3, m: &Mat3) -> Vec3 {
    [
        v[0] * m[0][0] + v[1] * m[1][0] + v[2] * m[2][0],
        v[0] * m[0][1] + v[1] * m[1][1] + v[2] * m[2][1],
        v[0] * m[0][2] + v[1] * m[1][2] + v[2] * m[2][2],
    ]
}

/// Matrix times column vector: `M · v`.
pub fn mat_vec(m: &Mat3, v: Vec3) -> Vec3 {
    [dot(m[0], v), dot(m[1], v), dot(m[2], v)]
}

/// Inverse by the adjugate; `None` when the determinant is zero or not finite.
pub fn inverse(m: &Mat3) -> Option<Mat3> {
    let d = det(m);
    if d == 0.0 || !d.is_finite() {
        return None;
    }
    let c0 = cross(m[1], m[2]);
    let c1 = cross(m[2], m[0]);
    let c2 = cross(m[0], m[1]);
    // Columns of the inverse are the cross products divided by the determinant.
    Some([
        [c0[0] / d, c1[0] / d, c2[0] / d],
        [c0[1] / d, c1[1] / d, c2[1] / d],
        [c0[2] / d, c1[2] / d, c2[2] / d],
    ])
}

/// Wraps a fractional coordinate into [0, 1), mapping values within 1e-12 of 1 to 0.
pub fn wrap_unit(x: f64) -> f64 {
    let w = x - x.floor();
    if w >= 1.0 - 1e-12 { 0.0 } else { w }
}

/// Cosine of an angle in degrees, exact for the angles crystallographers write most (60, 90, 120).
pub fn cos_deg(angle: f64) -> f64 {
    match angle {
        a if a == 90.0 => 0.0,
        a if a == 60.0 => 0.5,
        a if a == 120.0 => -0.5,
        a => a.to_radians().cos(),
    }
}

/// Sine of an angle in degrees, exact at 90°.
pub fn sin_deg(angle: f64) -> f64 {
    if angle == 90.0 { 1.0 } else { angle.to_radians().sin() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_roundtrip() {
        let m = [[3.0, 0.1, 0.0], [-1.2, 4.0, 0.3], [0.2, 0.5, 5.0]];
        let inv = inverse(&m).unwrap();
        let id = mat_mul(&m, &inv);
        for (i, row) in id.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                assert!((v - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
        assert!(inverse(&[[1.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 1.0]]).is_none());
    }

    #[test]
    fn wrap() {
        assert_eq!(wrap_unit(-0.25), 0.75);
        assert_eq!(wrap_unit(1.0), 0.0);
        assert_eq!(wrap_unit(1.0 - 1e-15), 0.0);
        assert_eq!(wrap_unit(2.5), 0.5);
    }
}
