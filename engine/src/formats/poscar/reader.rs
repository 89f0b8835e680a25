//! POSCAR text → crystal. The grammar splits the file into its header lines and token rows;
//! this module checks values and counts and builds the crystal.

use super::species;
use super::{PoscarParser, Rule};
use crate::chem::Element;
use crate::crystal::{Crystal, CrystalError, Entry, Lattice, PropertyValues, Site, SiteProperty, Structure};
use crate::error::{ParseError, Result};
use crate::formats::ReadOptions;
use crate::math::{self, Mat3, Vec3};
use pest::Parser;
use pest::iterators::Pair;

/// Lines of a CONTCAR's NpT lattice-velocity block: its title, the initialisation flag, three
/// lattice velocities and three lattice vectors.
const LATTICE_VELOCITY_LINES: usize = 8;

/// A whitespace-free token and where it starts (1-based line and character column).
#[derive(Clone, Copy, Debug)]
struct Token<'a> {
    text: &'a str,
    line: usize,
    column: usize,
}

/// One line of the file split into tokens.
#[derive(Debug)]
struct Line<'a> {
    number: usize,
    tokens: Vec<Token<'a>>,
}

/// The file as the grammar sees it.
struct Layout<'a> {
    comment: &'a str,
    scale: Line<'a>,
    lattice: Vec<Line<'a>>,
    species: Vec<Line<'a>>,
    counts: Vec<Line<'a>>,
    selective: bool,
    cartesian: bool,
    mode_line: usize,
    rows: Vec<Line<'a>>,
}

/// One coordinate line.
struct SiteRow<'a> {
    coords: Vec3,
    flags: Option<[bool; 3]>,
    label: Option<&'a str>,
    line: usize,
}

/// Reads a POSCAR/CONTCAR. `file` names the source in errors.
pub fn read(text: &str, file: &str, opts: &ReadOptions) -> Result<Entry> {
    if text.trim().is_empty() {
        return Err(ParseError::new(
            file,
            "empty file: expected a POSCAR (comment, scale, lattice, counts, coordinates)",
        )
        .into());
    }
    let layout = layout(text, file)?;
    let ctx = Ctx { file };
    let (lattice, scale) = ctx.lattice(&layout.lattice, ctx.scale(&layout.scale)?)?;
    let counts = ctx.counts(&layout)?;
    let total = counts.iter().sum::<u64>();
    let rows = ctx.coordinate_rows(&layout, total)?;
    let site_rows: Vec<SiteRow> = rows.iter().map(|r| ctx.site_row(r, layout.selective)).collect::<Result<_, _>>()?;
    let elements = ctx.elements(&layout, &counts, &site_rows, opts)?;

    let sites: Vec<Site> = site_rows
        .iter()
        .zip(&elements)
        .map(|(row, element)| {
            let frac = if layout.cartesian { lattice.to_fractional(scale.apply(row.coords)) } else { row.coords };
            Site { label: row.label.map(String::from), ..Site::new(*element, frac) }
        })
        .collect();
    let mut crystal = Crystal::new(lattice, sites);
    crystal.properties.insert("comment".into(), serde_json::Value::String(layout.comment.trim().to_string()));
    if layout.selective {
        let flags = site_rows.iter().flat_map(|r| r.flags.unwrap_or([true; 3])).collect();
        crystal
            .site_properties
            .insert("selective_dynamics".into(), SiteProperty { width: 3, values: PropertyValues::Bool(flags) });
    }
    if let Some(velocities) = ctx.velocities(&layout.rows[site_rows.len()..], site_rows.len(), &crystal.lattice)? {
        crystal.site_properties.insert("velocities".into(), SiteProperty::real(3, velocities));
    }
    let lines: Vec<usize> = site_rows.iter().map(|r| r.line).collect();
    crystal.validate(opts.min_distance).map_err(|e| ctx.invalid(e, &lines))?;
    Ok(Entry { id: entry_id(file), location: file.to_string(), structure: Structure::Crystal(crystal) })
}

/// The file name without directories and without a `.vasp`/`.poscar`/`.contcar` extension.
fn entry_id(file: &str) -> String {
    let name =
        std::path::Path::new(file).file_name().map_or_else(|| file.to_string(), |n| n.to_string_lossy().to_string());
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    for ext in [".vasp", ".poscar", ".contcar", ".VASP", ".POSCAR", ".CONTCAR"] {
        if let Some(stem) = name.strip_suffix(ext)
            && !stem.is_empty()
        {
            return stem.to_string();
        }
    }
    name.to_string()
}

/// The scale of the file: lattice rows and Cartesian positions are multiplied by `factors`
/// component-wise (three equal factors for the universal scale).
#[derive(Clone, Copy, Debug)]
struct Scale {
    factors: Vec3,
}

impl Scale {
    fn apply(self, v: Vec3) -> Vec3 {
        [v[0] * self.factors[0], v[1] * self.factors[1], v[2] * self.factors[2]]
    }
}

/// Runs the grammar and sorts its lines into the parts of a POSCAR.
fn layout<'a>(text: &'a str, file: &str) -> Result<Layout<'a>, ParseError> {
    let mut pairs = PoscarParser::parse(Rule::poscar, text).map_err(|e| syntax_error(file, text, e))?;
    let Some(top) = pairs.next() else {
        return Err(ParseError::new(file, "invalid POSCAR syntax"));
    };
    let mut layout = Layout {
        comment: "",
        scale: Line { number: 2, tokens: Vec::new() },
        lattice: Vec::with_capacity(3),
        species: Vec::new(),
        counts: Vec::new(),
        selective: false,
        cartesian: false,
        mode_line: 0,
        rows: Vec::new(),
    };
    for (index, pair) in top.into_inner().enumerate() {
        let number = index + 1;
        match pair.as_rule() {
            Rule::comment => layout.comment = pair.as_str(),
            Rule::scale => layout.scale = line(pair, number, text),
            Rule::lattice_vector => layout.lattice.push(line(pair, number, text)),
            Rule::species => layout.species.push(line(pair, number, text)),
            Rule::counts => layout.counts.push(line(pair, number, text)),
            Rule::selective => layout.selective = true,
            Rule::mode => {
                layout.cartesian = pair.into_inner().any(|p| p.as_rule() == Rule::cartesian);
                layout.mode_line = number;
            }
            Rule::row => layout.rows.push(line(pair, number, text)),
            _ => {}
        }
    }
    Ok(layout)
}

/// Tokens of a one-line rule; `number` is its 1-based line.
fn line<'a>(pair: Pair<'a, Rule>, number: usize, text: &'a str) -> Line<'a> {
    let start = pair.as_span().start();
    let tokens = pair
        .into_inner()
        .filter(|tok| tok.as_rule() != Rule::rest)
        .map(|tok| {
            let offset = tok.as_span().start();
            let column = text.get(start..offset).map_or(1, |s| s.chars().count() + 1);
            Token { text: tok.as_str(), line: number, column }
        })
        .collect();
    Line { number, tokens }
}

/// A grammar failure as a located error that says what the line should have been.
fn syntax_error(file: &str, text: &str, e: pest::error::Error<Rule>) -> ParseError {
    let (line, column) = match e.line_col {
        pest::error::LineColLocation::Pos(p) => p,
        pest::error::LineColLocation::Span(p, _) => p,
    };
    let expected = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => expected(line, positives),
        pest::error::ErrorVariant::CustomError { message } => message.clone(),
    };
    let found = match text.split('\n').nth(line - 1).map(|l| l.trim()) {
        Some(l) if !l.is_empty() => format!("'{}'", shown(l)),
        Some(_) if text.split('\n').skip(line).all(|l| l.trim().is_empty()) => "end of file".to_string(),
        Some(_) => "an empty line".to_string(),
        None => "end of file".to_string(),
    };
    ParseError::at_column(file, line, column, format!("expected {expected}, found {found}"))
}

/// What line `line` should have been, from its place in the header or from the rules the
/// grammar tried there.
fn expected(line: usize, rules: &[Rule]) -> String {
    let tried = |wanted: &[Rule]| rules.iter().any(|r| wanted.contains(r));
    match line {
        1 => "a comment line",
        2 => "the scale factor",
        3..=5 => "a lattice vector (three numbers)",
        _ if tried(&[Rule::selective, Rule::mode, Rule::direct, Rule::cartesian]) => {
            "the coordinate mode line ('Direct' or 'Cartesian')"
        }
        _ if tried(&[Rule::species, Rule::name]) => "element names or atom counts (integers)",
        _ if tried(&[Rule::counts, Rule::count]) => "atom counts (integers)",
        _ => "valid POSCAR syntax",
    }
    .to_string()
}

/// At most 40 characters of user text for a message.
fn shown(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}

/// Number conversion and checks, with errors naming `file`.
struct Ctx<'f> {
    file: &'f str,
}

impl Ctx<'_> {
    fn at(&self, tok: &Token, message: String) -> ParseError {
        ParseError::at_column(self.file, tok.line, tok.column, message)
    }

    /// A finite number; `what` names the value in errors. Fortran `D` exponents are accepted.
    fn number(&self, tok: &Token, what: &str) -> Result<f64, ParseError> {
        let value = parse_real(tok.text)
            .ok_or_else(|| self.at(tok, format!("expected a number for {what}, found '{}'", shown(tok.text))))?;
        if !value.is_finite() {
            return Err(self.at(tok, format!("{what} must be a finite number, found '{}'", shown(tok.text))));
        }
        Ok(value)
    }

    fn scale(&self, line: &Line) -> Result<Scale, ParseError> {
        let numbers: Vec<f64> = line.tokens.iter().take(3).map_while(|t| parse_real(t.text)).collect();
        let first =
            line.tokens.first().ok_or_else(|| ParseError::at(self.file, line.number, "expected the scale factor"))?;
        match numbers.len() {
            0 => Err(self.at(first, format!("expected the scale factor (a number), found '{}'", shown(first.text)))),
            1 => {
                let s = self.number(first, "the scale factor")?;
                if s == 0.0 {
                    return Err(self.at(first, "scale factor must be non-zero".into()));
                }
                // Negative: a target volume, applied once the lattice is known.
                Ok(Scale { factors: [s; 3] })
            }
            2 => Err(ParseError::at(
                self.file,
                line.number,
                "expected one scale factor or three (one per axis), found two numbers",
            )),
            _ => {
                let mut factors = [0.0; 3];
                for (f, tok) in factors.iter_mut().zip(&line.tokens) {
                    *f = self.number(tok, "a scale factor")?;
                    if *f <= 0.0 {
                        return Err(
                            self.at(tok, format!("per-axis scale factors must be positive, found '{}'", tok.text))
                        );
                    }
                }
                Ok(Scale { factors })
            }
        }
    }

    /// The scaled lattice and the scale actually applied (a target volume becomes the factor
    /// that reaches it; Cartesian positions are scaled by the same factor, as VASP does).
    fn lattice(&self, lines: &[Line], scale: Scale) -> Result<(Lattice, Scale), ParseError> {
        let mut raw: Mat3 = [[0.0; 3]; 3];
        for (row, line) in raw.iter_mut().zip(lines) {
            for (axis, (v, tok)) in row.iter_mut().zip(&line.tokens).enumerate() {
                *v = self.number(tok, &format!("lattice vector component {}", ["x", "y", "z"][axis]))?;
            }
        }
        let first = lines.first().map_or(3, |l| l.number);
        let located = |e: CrystalError| {
            ParseError::at(self.file, first, format!("lattice vectors (lines {first}-{}): {e}", first + 2))
        };
        let mut scale = scale;
        if scale.factors[0] < 0.0 {
            let volume = math::det(&raw).abs();
            // Also catches a NaN volume.
            if volume.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
                return Err(located(CrystalError::DegenerateLattice { volume }));
            }
            scale.factors = [(-scale.factors[0] / volume).cbrt(); 3];
        }
        let matrix = raw.map(|r| scale.apply(r));
        Ok((Lattice::new(matrix).map_err(located)?, scale))
    }

    fn counts(&self, layout: &Layout) -> Result<Vec<u64>, ParseError> {
        // Counts continue over at most as many lines as the element names; a further integer
        // line is a coordinate line after a missing mode line.
        if let Some(extra) = layout.counts.get(layout.species.len().max(1)) {
            let text: Vec<&str> = extra.tokens.iter().map(|t| t.text).collect();
            return Err(ParseError::at_column(
                self.file,
                extra.number,
                1,
                format!(
                    "expected the coordinate mode line ('Direct' or 'Cartesian'), found '{}'",
                    shown(&text.join(" "))
                ),
            ));
        }
        let lines = &layout.counts;
        let mut counts = Vec::new();
        let mut total: u64 = 0;
        for tok in lines.iter().flat_map(|l| &l.tokens) {
            let digits = tok.text.strip_prefix('+').unwrap_or(tok.text);
            if tok.text.starts_with('-') || digits.bytes().all(|b| b == b'0') {
                return Err(self.at(tok, format!(
                    "atom count must be a positive integer, found '{}' (a POSCAR lists at least one atom of each type)",
                    tok.text
                )));
            }
            let n: u64 =
                digits.parse().map_err(|_| self.at(tok, format!("atom count '{}' is too large", shown(tok.text))))?;
            total = total.checked_add(n).ok_or_else(|| self.at(tok, "atom counts are too large".into()))?;
            counts.push(n);
        }
        Ok(counts)
    }

    /// The coordinate lines, after checking that the counts fit the file (before anything
    /// is allocated per atom).
    fn coordinate_rows<'r, 'a>(&self, layout: &'r Layout<'a>, total: u64) -> Result<&'r [Line<'a>], ParseError> {
        let counts_line = layout.counts.first().map_or(0, |l| l.number);
        let found = layout.rows.iter().take_while(|r| !r.tokens.is_empty()).count();
        if total > found as u64 {
            let line = layout.mode_line + found + 1;
            let total_lines = layout.mode_line + layout.rows.len();
            let message = format!(
                "expected {total} coordinate lines (atom counts on line {counts_line}), found {found}{}",
                if line > total_lines { " before the end of the file".to_string() } else { String::new() }
            );
            return Err(ParseError::at(self.file, line.min(total_lines.max(1)), message));
        }
        Ok(&layout.rows[..total as usize])
    }

    fn site_row<'a>(&self, row: &Line<'a>, selective: bool) -> Result<SiteRow<'a>, ParseError> {
        let t = &row.tokens;
        if t.len() < 3 {
            return Err(ParseError::at(
                self.file,
                row.number,
                format!("expected 3 coordinates, found {} value{}", t.len(), if t.len() == 1 { "" } else { "s" }),
            ));
        }
        let mut coords = [0.0; 3];
        for (axis, (c, tok)) in coords.iter_mut().zip(t).enumerate() {
            *c = self.number(tok, &format!("coordinate {}", ["x", "y", "z"][axis]))?;
        }
        let mut next = 3;
        let flags = if selective {
            if t.len() < 6 {
                return Err(ParseError::at(
                    self.file,
                    row.number,
                    "expected 3 selective dynamics flags (T or F) after the coordinates",
                ));
            }
            let mut flags = [false; 3];
            for (f, tok) in flags.iter_mut().zip(&t[3..6]) {
                *f = match tok.text {
                    "T" | "t" | ".TRUE." | ".true." => true,
                    "F" | "f" | ".FALSE." | ".false." => false,
                    other => {
                        return Err(
                            self.at(tok, format!("selective dynamics flag must be T or F, found '{}'", shown(other)))
                        );
                    }
                };
            }
            next = 6;
            Some(flags)
        } else {
            None
        };
        let label = t.get(next).map(|tok| tok.text).filter(|s| !s.starts_with(['!', '#']));
        Ok(SiteRow { coords, flags, label, line: row.number })
    }

    /// The element of every site.
    fn elements(
        &self,
        layout: &Layout,
        counts: &[u64],
        rows: &[SiteRow],
        opts: &ReadOptions,
    ) -> Result<Vec<Element>, ParseError> {
        let counts_line = layout.counts.first().map_or(0, |l| l.number);
        let per_type = |types: &[Element]| -> Vec<Element> {
            types.iter().zip(counts).flat_map(|(e, n)| std::iter::repeat_n(*e, *n as usize)).collect()
        };
        if !layout.species.is_empty() {
            let names: Vec<&Token> = layout.species.iter().flat_map(|l| &l.tokens).collect();
            if names.len() != counts.len() {
                let species_line = layout.species[0].number;
                return Err(ParseError::at(
                    self.file,
                    counts_line,
                    format!(
                        "{} element name{} on line {species_line} but {} atom count{} on line {counts_line}",
                        names.len(),
                        if names.len() == 1 { "" } else { "s" },
                        counts.len(),
                        if counts.len() == 1 { "" } else { "s" }
                    ),
                ));
            }
            let types = names
                .iter()
                .map(|tok| {
                    species::element_of_name(tok.text).ok_or_else(|| {
                        self.at(tok, format!("unknown element '{}' in the species line", shown(tok.text)))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(per_type(&types));
        }
        // VASP 4: no species line.
        if let Some(given) = &opts.poscar_species {
            if given.len() != counts.len() {
                return Err(ParseError::at(
                    self.file,
                    counts_line,
                    format!(
                        "{} species were given (--species) but the file has {} atom types",
                        given.len(),
                        counts.len()
                    ),
                ));
            }
            return Ok(per_type(given));
        }
        if let Some(types) = species::from_comment(layout.comment, counts.len()) {
            return Ok(per_type(&types));
        }
        let labels: Vec<Option<&str>> = rows.iter().map(|r| r.label).collect();
        if let Some(elements) = species::from_labels(&labels) {
            return Ok(elements);
        }
        let types = counts.len();
        Err(ParseError::at(
            self.file,
            counts_line,
            format!(
                "VASP 4 POSCAR without an element line: cannot tell which elements the {types} atom type{} are; \
                 pass them in order with --species (e.g. --species Fe,O for two types)",
                if types == 1 { "" } else { "s" }
            ),
        ))
    }

    /// The velocity block after the coordinates (`after`), in Cartesian Å/fs, if there is one.
    fn velocities(&self, after: &[Line], n: usize, lattice: &Lattice) -> Result<Option<Vec<f64>>, ParseError> {
        let mut rest = after;
        let starts_with = |l: &Line, letters: &[char]| l.tokens.first().is_some_and(|t| t.text.starts_with(letters));
        if rest.first().is_some_and(|l| starts_with(l, &['L', 'l'])) {
            rest = &rest[LATTICE_VELOCITY_LINES.min(rest.len())..];
        }
        let Some(header) = rest.first() else { return Ok(None) };
        let is_header = header.tokens.is_empty() || starts_with(header, &['C', 'c', 'K', 'k', 'D', 'd']);
        if !is_header {
            let tok = &header.tokens[0];
            return Err(self.at(tok, format!(
                "expected the end of the coordinates (a blank line before velocities), found another line '{}'; do the atom counts add up?",
                shown(tok.text)
            )));
        }
        let direct = starts_with(header, &['D', 'd']);
        let block = &rest[1..];
        if block.first().is_none_or(|l| l.tokens.is_empty()) {
            return Ok(None);
        }
        let found = block.iter().take_while(|l| !l.tokens.is_empty()).count();
        if found < n {
            let line = block.get(found).map_or(header.number + found + 1, |l| l.number);
            return Err(ParseError::at(self.file, line, format!("expected {n} velocity lines, found {found}")));
        }
        let mut values = Vec::with_capacity(3 * n);
        for line in &block[..n] {
            if line.tokens.len() < 3 {
                return Err(ParseError::at(
                    self.file,
                    line.number,
                    format!("expected 3 velocity components, found {}", line.tokens.len()),
                ));
            }
            let mut v = [0.0; 3];
            for (axis, (c, tok)) in v.iter_mut().zip(&line.tokens).enumerate() {
                *c = self.number(tok, &format!("velocity component {}", ["x", "y", "z"][axis]))?;
            }
            values.extend(if direct { lattice.to_cartesian(v) } else { v });
        }
        Ok(Some(values))
    }

    /// A model validation failure located at the lines it concerns.
    fn invalid(&self, e: CrystalError, lines: &[usize]) -> ParseError {
        match e {
            CrystalError::OverlappingSites { first, second, distance, threshold } => {
                let (a, b) = (lines.get(first).copied().unwrap_or(0), lines.get(second).copied().unwrap_or(0));
                ParseError::at(
                    self.file,
                    a,
                    format!(
                        "atoms on lines {a} and {b} (sites {} and {}) overlap: distance {distance:.4} Å is below {threshold} Å",
                        first + 1,
                        second + 1
                    ),
                )
            }
            other => ParseError::new(self.file, other.to_string()),
        }
    }
}

/// Parses a real number as Fortran programs write it: Rust syntax plus `D` exponents.
fn parse_real(s: &str) -> Option<f64> {
    s.parse().ok().or_else(|| {
        if s.contains(['D', 'd']) && !s.contains(['n', 'N', 'i', 'I']) {
            s.replace(['D', 'd'], "e").parse().ok()
        } else {
            None
        }
    })
}
