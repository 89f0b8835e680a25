//! CIF numbers: `-1.234e-2` with an optional standard uncertainty in parentheses, `1.234(5)`.

/// Why a value is not a usable number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumberError {
    /// Not in CIF numeric syntax (words, `NaN`, `inf` included).
    Syntax,
    /// Numeric syntax but outside the f64 range (`1e400`).
    Overflow,
}

/// Parses a CIF number, dropping its standard uncertainty: "1.234(5)" → 1.234. A missing
/// closing parenthesis ("0.5(3") is tolerated, as pymatgen does.
pub fn parse(s: &str) -> Result<f64, NumberError> {
    let s = s.trim();
    let mantissa = match s.find('(') {
        Some(p) => {
            let su = &s[p + 1..];
            let su = su.strip_suffix(')').unwrap_or(su);
            if !su.bytes().all(|b| b.is_ascii_digit()) {
                return Err(NumberError::Syntax);
            }
            &s[..p]
        }
        None => s,
    };
    if !is_numeric(mantissa) {
        return Err(NumberError::Syntax);
    }
    let v: f64 = mantissa.parse().map_err(|_| NumberError::Syntax)?;
    if v.is_finite() { Ok(v) } else { Err(NumberError::Overflow) }
}

/// `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`
fn is_numeric(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse("1.234(5)"), Ok(1.234));
        assert_eq!(parse("-0.5"), Ok(-0.5));
        assert_eq!(parse("+.25"), Ok(0.25));
        assert_eq!(parse("3."), Ok(3.0));
        assert_eq!(parse("1e-3"), Ok(0.001));
        assert_eq!(parse("2.5E+2(11)"), Ok(250.0));
        assert_eq!(parse("0.5(3"), Ok(0.5));
        assert_eq!(parse("90"), Ok(90.0));
        for bad in ["", ".", "?", "abc", "NaN", "inf", "infinity", "1.2.3", "1e", "--1", "1(a)", "0x10", "1_000"] {
            assert_eq!(parse(bad), Err(NumberError::Syntax), "{bad}");
        }
        assert_eq!(parse("1e400"), Err(NumberError::Overflow));
        assert_eq!(parse("123456789012345678901234567890"), Ok(1.2345678901234568e29));
    }
}
