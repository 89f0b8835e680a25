//! Crystal → POSCAR (VASP 5 layout).

use crate::chem::Element;
use crate::crystal::{Crystal, PropertyValues};
use std::io::{self, Write};

/// Writes `crystal` as a VASP 5 POSCAR with `comment` on the first line (line breaks become
/// spaces). Fails for disordered crystals, which POSCAR cannot represent.
pub fn write(crystal: &Crystal, comment: &str, out: &mut dyn Write) -> io::Result<()> {
    let elements: Vec<Element> = crystal
        .sites
        .iter()
        .map(|s| s.occupancy.element())
        .collect::<Option<_>>()
        .ok_or_else(|| io::Error::other("POSCAR cannot hold partial occupancies"))?;
    if elements.is_empty() {
        return Err(io::Error::other("POSCAR needs at least one atom"));
    }
    let mut runs: Vec<(Element, usize)> = Vec::new();
    for e in &elements {
        match runs.last_mut() {
            Some((last, n)) if last == e => *n += 1,
            _ => runs.push((*e, 1)),
        }
    }
    let mut text = String::with_capacity(64 * (elements.len() + 8));
    text.push_str(&comment.replace(['\n', '\r'], " "));
    text.push_str("\n1.0\n");
    for row in crystal.lattice.matrix() {
        text.push_str(&format!(" {:>24} {:>24} {:>24}\n", real(row[0]), real(row[1]), real(row[2])));
    }
    let symbols: Vec<String> = runs.iter().map(|(e, _)| format!("{:>4}", e.symbol())).collect();
    let counts: Vec<String> = runs.iter().map(|(_, n)| format!("{n:>4}")).collect();
    text.push_str(&format!("{}\n{}\n", symbols.join(" "), counts.join(" ")));
    let n = elements.len();
    let flags = match crystal.site_properties.get("selective_dynamics") {
        Some(p) if p.width == 3 && p.values.len() == 3 * n => match &p.values {
            PropertyValues::Bool(v) => Some(v),
            _ => None,
        },
        _ => None,
    };
    if flags.is_some() {
        text.push_str("Selective dynamics\n");
    }
    text.push_str("Direct\n");
    for (i, site) in crystal.sites.iter().enumerate() {
        let f = site.frac;
        text.push_str(&format!(" {:>24} {:>24} {:>24}", real(f[0]), real(f[1]), real(f[2])));
        if let Some(flags) = flags {
            for flag in &flags[3 * i..3 * i + 3] {
                text.push_str(if *flag { "   T" } else { "   F" });
            }
        }
        if let Some(label) = site.label.as_deref().filter(|l| !l.trim().is_empty()) {
            text.push(' ');
            text.push_str(&label.split_whitespace().collect::<Vec<_>>().join("_"));
        }
        text.push('\n');
    }
    if let Some(p) = crystal.site_properties.get("velocities")
        && p.width == 3
        && p.values.len() == 3 * n
        && let PropertyValues::Real(v) = &p.values
    {
        text.push('\n');
        for c in v.chunks_exact(3) {
            text.push_str(&format!(" {:>24} {:>24} {:>24}\n", real(c[0]), real(c[1]), real(c[2])));
        }
    }
    out.write_all(text.as_bytes())
}

/// A real number in fixed notation with at least 16 significant digits (exponent notation
/// outside 1e-6..1e15, which VASP and Python read as well).
fn real(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0.0000000000000000".to_string()
    } else if (1e-6..1e15).contains(&a) {
        let magnitude = a.log10().floor() as i32;
        let decimals = (15 - magnitude).clamp(16, 21) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{v:.15e}")
    }
}

#[cfg(test)]
mod tests {
    use super::real;

    #[test]
    fn reals_keep_sixteen_digits() {
        assert_eq!(real(0.5), "0.5000000000000000");
        assert_eq!(real(-0.0), "0.0000000000000000");
        assert_eq!(real(3.905), "3.9049999999999998");
        assert_eq!(real(1.234_567_890_123_457e-4), "0.0001234567890123457");
        assert_eq!(real(1e-9), "1.000000000000000e-9");
        for v in [0.1, 1.0 / 3.0, 12345.678901234567, 7e-5, -2.5e20] {
            let back: f64 = real(v).parse().unwrap();
            assert!(((back - v) / v).abs() < 1e-15, "{v} -> {}", real(v));
        }
    }
}
