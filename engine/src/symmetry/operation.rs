//! Space-group operations x' = R·x + t on fractional coordinates, and their 'x,y,z' notation
//! (the form CIF files, International Tables and pymatgen use).

use crate::math::Vec3;
use std::fmt;
use std::str::FromStr;

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

/// Translations within this of a fraction with a small denominator are written (and compared)
/// as that fraction.
const FRACTION_TOLERANCE: f64 = 1e-6;

/// Largest order of a crystallographic rotation (1, 2, 3, 4 or 6).
const MAX_ORDER: usize = 6;

/// Longest operator string accepted (the longest real ones are ~40 characters).
const MAX_OP_LEN: usize = 256;

impl SymOp {
    pub const IDENTITY: SymOp =
        SymOp { rotation: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], translation: [0.0; 3] };

    /// Builds an operation, checking that the rotation part is a crystallographic isometry:
    /// determinant ±1 and finite order (≤ 6), which excludes shears like 'x+y,y,z'.
    pub fn new(rotation: [[i32; 3]; 3], translation: Vec3) -> Result<SymOp, String> {
        let op = SymOp { rotation, translation };
        if translation.iter().any(|t| !t.is_finite()) {
            return Err("translation is not a finite number".into());
        }
        let det = op.determinant();
        if det != 1 && det != -1 {
            return Err(format!("rotation part has determinant {det}, not ±1 (not an isometry)"));
        }
        if op.rotation_order().is_none() {
            return Err("rotation part has no finite order ≤ 6 (not a crystallographic isometry)".into());
        }
        Ok(op)
    }

    /// Parses 'x,y,z' notation: "-x+1/2, y, z+0.25", "x-y,x,z+1/6", "+x,+y,+z", "1/2+X,Y,Z".
    pub fn parse(s: &str) -> Result<SymOp, SymOpError> {
        let (op, time_reversal) = parse_components(s, false)?;
        debug_assert!(time_reversal.is_none());
        Ok(op)
    }

    /// Parses a magnetic operation 'x,y,z,+1' (magCIF): the operation and its time-reversal
    /// part (+1 or -1).
    pub fn parse_magnetic(s: &str) -> Result<(SymOp, i8), SymOpError> {
        let (op, time_reversal) = parse_components(s, true)?;
        Ok((op, time_reversal.unwrap_or(1)))
    }

    pub fn determinant(&self) -> i32 {
        let m = &self.rotation;
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    }

    /// The smallest n ≤ 6 with Rⁿ = 1, if any.
    pub fn rotation_order(&self) -> Option<usize> {
        let mut power = self.rotation;
        for n in 1..=MAX_ORDER {
            if power == Self::IDENTITY.rotation {
                return Some(n);
            }
            power = crate::math::mat_mul_int(&self.rotation, &power)?;
        }
        None
    }

    /// Image of fractional coordinates (not wrapped).
    pub fn apply(&self, x: Vec3) -> Vec3 {
        let r = &self.rotation;
        std::array::from_fn(|i| {
            r[i][0] as f64 * x[0] + r[i][1] as f64 * x[1] + r[i][2] as f64 * x[2] + self.translation[i]
        })
    }

    /// Applies only the rotation part (for axial or polar vectors given on the crystal axes).
    pub fn rotate(&self, v: Vec3) -> Vec3 {
        let r = &self.rotation;
        std::array::from_fn(|i| r[i][0] as f64 * v[0] + r[i][1] as f64 * v[1] + r[i][2] as f64 * v[2])
    }

    /// The operation `self ∘ other`: x ↦ self(other(x)). Translations are not wrapped.
    pub fn compose(&self, other: &SymOp) -> SymOp {
        let a = &self.rotation;
        let b = &other.rotation;
        let rotation = std::array::from_fn(|i| {
            std::array::from_fn(|j| (0..3).map(|k| a[i][k].saturating_mul(b[k][j])).fold(0i32, i32::saturating_add))
        });
        let t = self.rotate(other.translation);
        SymOp { rotation, translation: std::array::from_fn(|i| t[i] + self.translation[i]) }
    }

    /// The same operation with its translation reduced into [0, 1) (snapped to exact
    /// fractions with denominators up to 48 when within 1e-6).
    pub fn normalized(&self) -> SymOp {
        let translation = self.translation.map(|t| {
            let t = snap_fraction(t).map_or(t, |(p, q)| p as f64 / q as f64);
            let w = t - t.floor();
            if w >= 1.0 - 1e-12 { 0.0 } else { w }
        });
        SymOp { rotation: self.rotation, translation }
    }

    /// True when both operations agree up to a lattice translation (within 1e-6).
    pub fn equivalent(&self, other: &SymOp) -> bool {
        self.rotation == other.rotation
            && (0..3).all(|i| {
                let d = self.translation[i] - other.translation[i];
                (d - d.round()).abs() < FRACTION_TOLERANCE
            })
    }

    /// True for x,y,z up to a lattice translation.
    pub fn is_identity(&self) -> bool {
        self.equivalent(&SymOp::IDENTITY)
    }

    /// Canonical 'x,y,z' string: "-x+1/2, y, z+1/4"; translations that are not simple
    /// fractions are written with round-trip precision.
    pub fn to_xyz(&self) -> String {
        self.to_string()
    }
}

impl FromStr for SymOp {
    type Err = SymOpError;
    fn from_str(s: &str) -> Result<SymOp, SymOpError> {
        SymOp::parse(s)
    }
}

impl fmt::Display for SymOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for i in 0..3 {
            if i > 0 {
                f.write_str(", ")?;
            }
            let mut wrote = false;
            for (j, var) in ["x", "y", "z"].iter().enumerate() {
                let c = self.rotation[i][j];
                if c == 0 {
                    continue;
                }
                let sign = if c < 0 { "-" } else if wrote { "+" } else { "" };
                let mag = c.unsigned_abs();
                if mag == 1 {
                    write!(f, "{sign}{var}")?;
                } else {
                    write!(f, "{sign}{mag}{var}")?;
                }
                wrote = true;
            }
            let t = self.translation[i];
            if t != 0.0 {
                let sign = if t < 0.0 { "-" } else if wrote { "+" } else { "" };
                match snap_fraction(t.abs()).filter(|(p, q)| (t.abs() - *p as f64 / *q as f64).abs() < 1e-12) {
                    Some((p, 1)) => write!(f, "{sign}{p}")?,
                    Some((p, q)) => write!(f, "{sign}{p}/{q}")?,
                    None => write!(f, "{sign}{}", t.abs())?,
                }
                wrote = true;
            }
            if !wrote {
                f.write_str("0")?;
            }
        }
        Ok(())
    }
}

/// `t` as p/q with q ≤ 48 when within [`FRACTION_TOLERANCE`] (q = 1 for integers).
fn snap_fraction(t: f64) -> Option<(i64, i64)> {
    if !t.is_finite() || t.abs() > 1e6 {
        return None;
    }
    (1..=48).find_map(|q| {
        let p = (t * q as f64).round();
        ((t - p / q as f64).abs() < FRACTION_TOLERANCE).then(|| {
            let g = gcd(p.abs() as i64, q);
            (p as i64 / g, q / g)
        })
    })
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 { a.max(1) } else { gcd(b, a % b) }
}

/// Parses 3 components (4 when `magnetic`: the last is the time reversal ±1).
fn parse_components(s: &str, magnetic: bool) -> Result<(SymOp, Option<i8>), SymOpError> {
    let err = |reason: String| SymOpError { op: s.to_string(), reason };
    if s.len() > MAX_OP_LEN {
        return Err(err(format!("longer than {MAX_OP_LEN} characters")));
    }
    let parts: Vec<&str> = s.split(',').collect();
    let expected = if magnetic { 4 } else { 3 };
    if parts.len() != expected && !(magnetic && parts.len() == 3) {
        let what = if magnetic { "4 components (x, y, z and time reversal ±1)" } else { "3 components" };
        return Err(err(format!("expected {what} separated by commas, found {}", parts.len())));
    }
    let mut rotation = [[0i32; 3]; 3];
    let mut translation = [0.0; 3];
    for (i, part) in parts.iter().take(3).enumerate() {
        let (row, t) = parse_component(part).map_err(|reason| err(format!("component {}: {reason}", i + 1)))?;
        rotation[i] = row;
        translation[i] = t;
    }
    let time_reversal = match parts.get(3) {
        None => None,
        Some(p) => match p.trim() {
            "1" | "+1" => Some(1),
            "-1" => Some(-1),
            other => return Err(err(format!("time reversal must be +1 or -1, found '{other}'"))),
        },
    };
    let op = SymOp::new(rotation, translation).map_err(err)?;
    Ok((op, time_reversal))
}

/// One component such as "-x+y+1/2", "1/2+X", "z-0.25", "2x": integer coefficients of x, y, z
/// and a rational or decimal constant.
fn parse_component(text: &str) -> Result<([i32; 3], f64), String> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut row = [0i32; 3];
    let mut constant = 0.0;
    let mut terms = 0;
    let skip_ws = |i: &mut usize| {
        while *i < bytes.len() && bytes[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    if i == bytes.len() {
        return Err("empty".into());
    }
    while i < bytes.len() {
        // Sign (required between terms, optional before the first).
        let mut sign = 1.0;
        match bytes[i] {
            b'+' => i += 1,
            b'-' => {
                sign = -1.0;
                i += 1
            }
            _ if terms > 0 => return Err(format!("expected '+' or '-' before '{}'", &text[i..])),
            _ => {}
        }
        skip_ws(&mut i);
        // Optional number, optionally a fraction.
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let number = if i > start {
            let mut value: f64 =
                text[start..i].parse().map_err(|_| format!("'{}' is not a number", &text[start..i]))?;
            skip_ws(&mut i);
            if i < bytes.len() && bytes[i] == b'/' {
                i += 1;
                skip_ws(&mut i);
                let ds = i;
                while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                    i += 1;
                }
                let d: f64 = text[ds..i].parse().map_err(|_| "expected a denominator after '/'".to_string())?;
                if d == 0.0 {
                    return Err("division by zero".into());
                }
                value /= d;
            }
            skip_ws(&mut i);
            if i < bytes.len() && bytes[i] == b'*' {
                i += 1;
                skip_ws(&mut i);
            }
            Some(value)
        } else {
            None
        };
        // Optional variable.
        let var = match bytes.get(i).map(|b| b.to_ascii_lowercase()) {
            Some(b'x') => Some(0),
            Some(b'y') => Some(1),
            Some(b'z') => Some(2),
            _ => None,
        };
        match (number, var) {
            (n, Some(axis)) => {
                i += 1;
                let c = sign * n.unwrap_or(1.0);
                let rounded = c.round();
                if (c - rounded).abs() > 1e-9 || rounded.abs() > 1e3 {
                    return Err(format!("coefficient {c} of {} is not an integer", ["x", "y", "z"][axis]));
                }
                row[axis] += rounded as i32;
            }
            (Some(n), None) => constant += sign * n,
            (None, None) => {
                return Err(match text[i..].chars().next() {
                    Some(c) => format!("unexpected '{c}' (only x, y, z, numbers, '+', '-', '/' allowed)"),
                    None => "ends with a sign".into(),
                });
            }
        }
        terms += 1;
        skip_ws(&mut i);
    }
    if !constant.is_finite() {
        return Err("translation is not a finite number".into());
    }
    Ok((row, constant))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_spellings() {
        let op = SymOp::parse("-x+1/2, y, z+0.25").unwrap();
        assert_eq!(op.rotation, [[-1, 0, 0], [0, 1, 0], [0, 0, 1]]);
        assert_eq!(op.translation, [0.5, 0.0, 0.25]);
        let op = SymOp::parse("x-y,x,z+1/6").unwrap();
        assert_eq!(op.rotation, [[1, -1, 0], [1, 0, 0], [0, 0, 1]]);
        assert!((op.translation[2] - 1.0 / 6.0).abs() < 1e-15);
        assert!(SymOp::parse("+x,+y,+z").unwrap().is_identity());
        assert!(SymOp::parse("X,Y,Z").unwrap().is_identity());
        let op = SymOp::parse("1/2+x, 1/2-Y ,-z").unwrap();
        assert_eq!(op.translation, [0.5, 0.5, 0.0]);
        assert_eq!(op.rotation[1], [0, -1, 0]);
        assert_eq!(SymOp::parse("-y+x, -y, -z+.5").unwrap().translation, [0.0, 0.0, 0.5]);
    }

    #[test]
    fn rejects_non_operations() {
        let e = SymOp::parse("0.37x,y,z").unwrap_err();
        assert!(e.reason.contains("not an integer"), "{e}");
        let e = SymOp::parse("x,q,z").unwrap_err();
        assert!(e.reason.contains("'q'"), "{e}");
        let e = SymOp::parse("x,y").unwrap_err();
        assert!(e.reason.contains("3 components"), "{e}");
        assert!(SymOp::parse("x,x,z").unwrap_err().reason.contains("determinant 0"));
        assert!(SymOp::parse("x+y,y,z").unwrap_err().reason.contains("finite order"));
        assert!(SymOp::parse("x,y,z+1/0").is_err());
        assert!(SymOp::parse("x,y,").is_err());
        assert!(SymOp::parse("x,y,z+").is_err());
        assert!(SymOp::parse("x y,y,z").is_err());
        assert!(SymOp::parse(&"x+".repeat(1000)).is_err());
    }

    #[test]
    fn magnetic_operations() {
        let (op, tr) = SymOp::parse_magnetic("-x,-y,z+1/2,-1").unwrap();
        assert_eq!(tr, -1);
        assert_eq!(op.translation[2], 0.5);
        assert_eq!(SymOp::parse_magnetic("x,y,z,+1").unwrap().1, 1);
        assert!(SymOp::parse_magnetic("x,y,z,2").is_err());
    }

    #[test]
    fn formats_canonically_and_roundtrips() {
        for s in ["-x+1/2, y, z+1/4", "x-y, x, z+1/6", "x, y, z", "-y, x-y, z+2/3", "-x, -y, -z"] {
            let op = SymOp::parse(s).unwrap();
            assert_eq!(op.to_string(), s);
            assert_eq!(SymOp::parse(&op.to_string()).unwrap(), op);
        }
        let odd = SymOp { rotation: SymOp::IDENTITY.rotation, translation: [0.123456789, 0.0, -0.3] };
        let back = SymOp::parse(&odd.to_string()).unwrap();
        assert_eq!(back, odd);
    }

    #[test]
    fn composes_and_applies() {
        let a = SymOp::parse("-x, y+1/2, -z+1/2").unwrap();
        let b = SymOp::parse("-x, -y, -z").unwrap();
        let ab = a.compose(&b);
        assert!(ab.equivalent(&SymOp::parse("x, -y+1/2, z+1/2").unwrap()));
        let p = [0.1, 0.2, 0.3];
        let direct = a.apply(b.apply(p));
        let composed = ab.apply(p);
        for k in 0..3 {
            assert!((direct[k] - composed[k]).abs() < 1e-15);
        }
        assert!(a.compose(&a).normalized().is_identity());
        assert_eq!(SymOp::parse("x-y,x,z").unwrap().rotation_order(), Some(6));
    }
}
