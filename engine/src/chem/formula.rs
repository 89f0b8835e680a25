//! Chemical formulas ("Fe2O3", "CH3NH3PbI3", "Ca3(PO4)2", "Fe0.95O") read the way pymatgen's
//! `Composition` reads them: amounts of repeated elements are summed and the elements keep the
//! order of their first appearance, which is the order SMACT sees.

use super::element::Element;

/// Deepest bracket nesting accepted; real formulas use two or three levels.
const MAX_DEPTH: usize = 16;

/// A formula that cannot be read, with the 1-based character column of the problem.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("formula '{formula}', column {column}: {message}")]
pub struct FormulaError {
    pub formula: String,
    pub column: usize,
    pub message: String,
}

/// Element amounts in order of first appearance; amounts are positive and finite.
pub type FormulaAmounts = Vec<(Element, f64)>;

/// Parses a formula. Brackets `()` and `[]` nest up to 16 deep; amounts are decimal numbers
/// (default 1).
pub fn parse_formula(formula: &str) -> Result<FormulaAmounts, FormulaError> {
    let mut parser = Parser {
        text: formula.trim().as_bytes(),
        pos: 0,
        formula,
    };
    let mut out = Vec::new();
    if parser.text.is_empty() {
        return Err(parser.error("expected an element symbol, found an empty formula"));
    }
    parser.group(0, 1.0, &mut out)?;
    if let Some(&c) = parser.text.get(parser.pos) {
        return Err(parser.error(&format!("unexpected '{}'", c as char)));
    }
    Ok(out)
}

struct Parser<'a> {
    text: &'a [u8],
    pos: usize,
    formula: &'a str,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> FormulaError {
        let lead = self.formula.len() - self.formula.trim_start().len();
        let column = self.formula[..(lead + self.pos).min(self.formula.len())]
            .chars()
            .count()
            + 1;
        FormulaError {
            formula: self.formula.to_string(),
            column,
            message: message.to_string(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    /// Reads terms until the end or a closing bracket, adding amount × `scale` to `out`.
    fn group(
        &mut self,
        depth: usize,
        scale: f64,
        out: &mut FormulaAmounts,
    ) -> Result<(), FormulaError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            match c {
                b'A'..=b'Z' => {
                    let at = self.pos;
                    self.pos += 1;
                    if matches!(self.peek(), Some(b'a'..=b'z')) {
                        self.pos += 1;
                    }
                    // Both sides of `at..pos` are ASCII letters, so this slice is valid UTF-8.
                    let symbol = std::str::from_utf8(&self.text[at..self.pos]).unwrap_or("");
                    let element = Element::from_symbol(symbol).map_err(|_| {
                        self.pos = at;
                        self.error(&format!("unknown element '{symbol}'"))
                    })?;
                    let amount = self.amount()? * scale;
                    match out.iter_mut().find(|(e, _)| *e == element) {
                        Some((_, total)) => *total += amount,
                        None => out.push((element, amount)),
                    }
                }
                b'(' | b'[' => {
                    if depth >= MAX_DEPTH {
                        return Err(self.error("brackets nested too deeply"));
                    }
                    let close = if c == b'(' { b')' } else { b']' };
                    let open_at = self.pos;
                    self.pos += 1;
                    // The multiplier follows the group: parse the group into a scratch list first.
                    let mut inner = Vec::new();
                    self.group(depth + 1, 1.0, &mut inner)?;
                    if self.peek() != Some(close) {
                        self.pos = open_at;
                        return Err(self.error(&format!("unclosed '{}'", c as char)));
                    }
                    self.pos += 1;
                    let factor = self.amount()? * scale;
                    for (element, amount) in inner {
                        match out.iter_mut().find(|(e, _)| *e == element) {
                            Some((_, total)) => *total += amount * factor,
                            None => out.push((element, amount * factor)),
                        }
                    }
                }
                b')' | b']' if depth > 0 => break,
                _ => {
                    return Err(self.error(&format!(
                        "expected an element symbol or a bracket, found '{}'",
                        self.formula_char()
                    )));
                }
            }
        }
        if self.pos == start {
            return Err(self.error("expected an element symbol"));
        }
        Ok(())
    }

    fn formula_char(&self) -> String {
        let lead = self.formula.len() - self.formula.trim_start().len();
        self.formula[lead + self.pos..]
            .chars()
            .next()
            .map(String::from)
            .unwrap_or_default()
    }

    /// An optional decimal amount after a symbol or bracket; 1 when absent.
    fn amount(&mut self) -> Result<f64, FormulaError> {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9' | b'.')) {
            self.pos += 1;
        }
        if start == self.pos {
            return Ok(1.0);
        }
        let digits = std::str::from_utf8(&self.text[start..self.pos]).unwrap_or("");
        match digits.parse::<f64>() {
            Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
            _ => {
                self.pos = start;
                Err(self.error(&format!("expected a positive number, found '{digits}'")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amounts(formula: &str) -> Vec<(String, f64)> {
        parse_formula(formula)
            .unwrap()
            .into_iter()
            .map(|(e, n)| (e.symbol().to_string(), n))
            .collect()
    }

    #[test]
    fn reads_formulas_in_first_appearance_order() {
        assert_eq!(amounts("Fe2O3"), [("Fe".into(), 2.0), ("O".into(), 3.0)]);
        assert_eq!(
            amounts("CH3NH3PbI3"),
            [
                ("C".into(), 1.0),
                ("H".into(), 6.0),
                ("N".into(), 1.0),
                ("Pb".into(), 1.0),
                ("I".into(), 3.0)
            ]
        );
        assert_eq!(
            amounts("Ca3(PO4)2"),
            [("Ca".into(), 3.0), ("P".into(), 2.0), ("O".into(), 8.0)]
        );
        assert_eq!(
            amounts("K4[Fe(CN)6]"),
            [
                ("K".into(), 4.0),
                ("Fe".into(), 1.0),
                ("C".into(), 6.0),
                ("N".into(), 6.0)
            ]
        );
        assert_eq!(amounts(" Fe0.5O "), [("Fe".into(), 0.5), ("O".into(), 1.0)]);
    }

    #[test]
    fn rejects_bad_formulas_with_a_column() {
        for (bad, column) in [
            ("", 1),
            ("Fe2O3x", 6),
            ("Xx2", 1),
            ("Fe(O", 3),
            ("Fe)", 3),
            ("Fe0", 3),
            ("()", 2),
            ("Fe1e5", 4),
            ("Fe..2", 3),
        ] {
            let err = parse_formula(bad).unwrap_err();
            assert_eq!(err.column, column, "{bad}: {err}");
        }
        let deep = format!("{}Fe{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse_formula(&deep).unwrap_err().message.contains("nested"));
        assert!(parse_formula("Fé").is_err());
    }
}
