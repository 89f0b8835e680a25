//! The `Properties=name:type:width:...` column specification of extended XYZ.

use super::{Rule, XyzParser};
use pest::Parser;

/// Column types: S string, R real, I integer, L logical.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Str,
    Real,
    Int,
    Bool,
}

/// One property: `width` consecutive fields of an atom line.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Column {
    pub name: String,
    pub kind: Kind,
    pub width: usize,
}

/// The columns of a frame, with where species and positions are.
#[derive(Debug)]
pub(super) struct Columns {
    pub columns: Vec<Column>,
    /// Fields per atom line (sum of widths).
    pub fields: usize,
    pub pos: usize,
    pub species: Option<usize>,
    /// A `Z` (atomic number) column, which ASE prefers over `species`.
    pub z: Option<usize>,
}

/// Plain XYZ: species and Cartesian position.
pub(super) const DEFAULT: &str = "species:S:1:pos:R:3";

/// Parses a specification. Errors carry the 0-based character offset in `spec`.
pub(super) fn parse(spec: &str) -> Result<Columns, (usize, String)> {
    let usage = "Properties must be name:type:width triples (types S, R, I, L), e.g. species:S:1:pos:R:3";
    let top = XyzParser::parse(Rule::properties, spec)
        .map_err(|e| {
            let column = match e.line_col {
                pest::error::LineColLocation::Pos((_, c)) | pest::error::LineColLocation::Span((_, c), _) => c,
            };
            (column.saturating_sub(1), format!("{usage}; '{spec}' is not"))
        })?
        .next()
        .ok_or((0, usage.to_string()))?;
    let mut columns = Vec::new();
    let mut fields: usize = 0;
    for column in top.into_inner().filter(|p| p.as_rule() == Rule::column) {
        let offset = spec.get(..column.as_span().start()).map_or(0, |s| s.chars().count());
        let parts: Vec<&str> = column.into_inner().map(|p| p.as_str()).collect();
        let [name, kind, width] = parts[..] else { return Err((offset, usage.to_string())) };
        let kind = match kind {
            "S" => Kind::Str,
            "R" => Kind::Real,
            "I" => Kind::Int,
            "L" => Kind::Bool,
            other => {
                return Err((
                    offset,
                    format!("unknown column type '{other}' for '{name}' in Properties (expected S, R, I or L)"),
                ));
            }
        };
        let width: usize = match width.parse() {
            Ok(w) if w > 0 => w,
            _ => {
                return Err((
                    offset,
                    format!("column width of '{name}' in Properties must be a positive integer, found '{width}'"),
                ));
            }
        };
        fields = fields.checked_add(width).ok_or((offset, "Properties declares too many columns".to_string()))?;
        columns.push(Column { name: name.to_string(), kind, width });
    }
    let find = |name: &str| columns.iter().position(|c| c.name == name);
    let pos = find("pos").ok_or((0, "Properties has no pos:R:3 column (atom positions)".to_string()))?;
    if columns[pos].kind != Kind::Real || columns[pos].width != 3 {
        return Err((0, "the pos column must be pos:R:3".into()));
    }
    let species = find("species");
    if let Some(s) = species
        && (columns[s].width != 1 || columns[s].kind != Kind::Str)
    {
        return Err((0, "the species column must be species:S:1".into()));
    }
    let z = find("Z");
    if let Some(z) = z
        && (columns[z].width != 1 || columns[z].kind != Kind::Int)
    {
        return Err((0, "the Z column must be Z:I:1".into()));
    }
    if species.is_none() && z.is_none() {
        return Err((0, "Properties has neither a species:S:1 nor a Z:I:1 column".into()));
    }
    Ok(Columns { columns, fields, pos, species, z })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specifications() {
        let c = parse("species:S:1:pos:R:3:forces:R:3:Z:I:1:fixed:L:1").unwrap();
        assert_eq!(c.fields, 9);
        assert_eq!((c.pos, c.species, c.z), (1, Some(0), Some(3)));
        assert_eq!(c.columns[4], Column { name: "fixed".into(), kind: Kind::Bool, width: 1 });
        assert!(parse(DEFAULT).is_ok());
        assert!(parse("species:S:1:pos:R:3:bad:F:1").unwrap_err().1.contains("unknown column type 'F'"));
        assert!(parse("species:S:1:pos:R:3:bad:R:0").unwrap_err().1.contains("positive integer"));
        assert!(parse("species:S:1:pos:R:3:bad:R:ff").unwrap_err().1.contains("found 'ff'"));
        assert!(parse("species:S:1:pos:R:3:bad:R:").is_err());
        assert!(parse("species:S:1").unwrap_err().1.contains("no pos"));
        assert!(parse("pos:R:3").unwrap_err().1.contains("neither"));
        assert!(parse("species:S:1:pos:R:99999999999999999999999").is_err());
    }
}
