//! Errors of the engine. Every error about input names the file and, for text formats, the
//! line and column (1-based) and says what was expected.

use crate::crystal::CrystalError;
use std::fmt;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error("{context}: {source}")]
    Crystal { context: String, source: CrystalError },
    /// A request the engine cannot honour (unknown format name, writing a molecule as POSCAR).
    #[error("{0}")]
    Usage(String),
}

impl Error {
    pub fn io(path: impl fmt::Display, source: std::io::Error) -> Self {
        Error::Io { path: path.to_string(), source }
    }
}

/// A problem at a place in a file. Displays as `file:line:column: [context: ]message`, the
/// form editors and terminals turn into links.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ParseError {
    pub file: String,
    /// 1-based line, when the problem has one.
    pub line: Option<usize>,
    /// 1-based column (in characters), when known.
    pub column: Option<usize>,
    /// The record inside the file: "data block 'x'", "frame 2", "record 17".
    pub context: Option<String>,
    pub message: String,
}

impl ParseError {
    pub fn new(file: &str, message: impl Into<String>) -> Self {
        ParseError { file: file.to_string(), line: None, column: None, context: None, message: message.into() }
    }

    pub fn at(file: &str, line: usize, message: impl Into<String>) -> Self {
        ParseError { line: Some(line), ..ParseError::new(file, message) }
    }

    pub fn at_column(file: &str, line: usize, column: usize, message: impl Into<String>) -> Self {
        ParseError { line: Some(line), column: Some(column), ..ParseError::new(file, message) }
    }

    pub fn with_context(mut self, context: impl Into<String>) -> Self {
        self.context = Some(context.into());
        self
    }

    /// Converts a pest error into a located parse error. `what` names the format ("CIF").
    pub fn from_pest<R: pest::RuleType>(file: &str, what: &str, e: pest::error::Error<R>) -> Self {
        let (line, column) = match e.line_col {
            pest::error::LineColLocation::Pos(p) => p,
            pest::error::LineColLocation::Span(p, _) => p,
        };
        let detail = match &e.variant {
            pest::error::ErrorVariant::ParsingError { positives, negatives } => {
                let names = |v: &[R]| v.iter().map(|r| format!("{r:?}")).collect::<Vec<_>>().join(", ");
                match (positives.is_empty(), negatives.is_empty()) {
                    (false, _) => format!("invalid {what} syntax: expected {}", names(positives)),
                    (true, false) => format!("invalid {what} syntax: unexpected {}", names(negatives)),
                    (true, true) => format!("invalid {what} syntax"),
                }
            }
            pest::error::ErrorVariant::CustomError { message } => message.clone(),
        };
        ParseError::at_column(file, line, column, detail)
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": ")?;
        if let Some(ctx) = &self.context {
            write!(f, "{ctx}: ")?;
        }
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_editor_clickable() {
        let e = ParseError::at_column("a.cif", 12, 5, "expected a number").with_context("data block 'x'");
        assert_eq!(e.to_string(), "a.cif:12:5: data block 'x': expected a number");
        assert_eq!(ParseError::new("b.xyz", "empty file").to_string(), "b.xyz: empty file");
    }
}
