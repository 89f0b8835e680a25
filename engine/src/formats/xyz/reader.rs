//! XYZ / extended XYZ text → one structure (or error) per frame.

use super::columns::{self, Columns, Kind};
use super::info::{self, Info};
use super::{Rule, XyzParser};
use crate::chem::Element;
use crate::crystal::{
    Crystal, CrystalError, Entry, Lattice, Molecule, PropertyValues, Site, SiteProperties, SiteProperty, Species,
    Structure,
};
use crate::error::{ParseError, Result};
use crate::formats::{ReadOptions, Records};
use crate::math::Vec3;
use pest::Parser;

/// Reads every frame of an XYZ or extended XYZ file. The outer error is for files that are
/// not XYZ at all (empty, or no atom count on the first line).
pub fn read(text: &str, file: &str, opts: &ReadOptions) -> Result<Records> {
    let mut lines: Vec<&str> = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).collect();
    if lines.last() == Some(&"") {
        lines.pop();
    }
    if lines.iter().all(|l| l.trim().is_empty()) {
        return Err(ParseError::new(file, "empty file: expected an XYZ atom count").into());
    }
    let stem = stem(file);
    let mut records: Records = Vec::new();
    let mut start = 0;
    while start < lines.len() {
        // ASE stops at a blank line where a count is expected; what follows is not frames.
        if lines[start].trim().is_empty() {
            break;
        }
        let number = records.len() + 1;
        let frame = Frame { file, number, first_line: start + 1 };
        let count = match frame.count(lines[start], lines.len() - start - 1) {
            Ok(count) => count,
            // No atom count on the first line: not an XYZ file at all.
            Err((e, Problem::NotACount)) if records.is_empty() => return Err(e.into()),
            Err((e, _)) => {
                records.push(Err(e.into()));
                break;
            }
        };
        let end = start + 2 + count;
        records.push(
            frame
                .read(lines[start + 1], &lines[start + 2..end], opts)
                .map(|structure| Entry {
                    id: format!("{stem}#{number}"),
                    location: format!("frame {number}"),
                    structure,
                })
                .map_err(Into::into),
        );
        start = end;
    }
    Ok(records)
}

/// The file name without directories and without the `.xyz`/`.extxyz` extension.
fn stem(file: &str) -> String {
    let name =
        std::path::Path::new(file).file_name().map_or_else(|| file.to_string(), |n| n.to_string_lossy().to_string());
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    let lower = name.to_ascii_lowercase();
    for ext in [".extxyz", ".xyz"] {
        if lower.ends_with(ext) && name.len() > ext.len() {
            return name[..name.len() - ext.len()].to_string();
        }
    }
    name.to_string()
}

/// One frame: where it starts, for errors.
struct Frame<'f> {
    file: &'f str,
    number: usize,
    /// 1-based line of the atom count.
    first_line: usize,
}

/// Why a frame could not even be delimited.
enum Problem {
    NotACount,
    Truncated,
}

/// Values of one non-special column, per atom.
enum Values {
    Real(Vec<f64>),
    Int(Vec<i64>),
    Bool(Vec<bool>),
    Str(Vec<String>),
}

impl Frame<'_> {
    fn error(&self, line: usize, column: Option<usize>, message: impl Into<String>) -> ParseError {
        let e = match column {
            Some(c) => ParseError::at_column(self.file, line, c, message),
            None => ParseError::at(self.file, line, message),
        };
        e.with_context(format!("frame {}", self.number))
    }

    /// The atom count, checked against the `remaining` lines after it before anything is
    /// allocated for the atoms.
    fn count(&self, line: &str, remaining: usize) -> Result<usize, (ParseError, Problem)> {
        let line_no = self.first_line;
        let bad = || {
            let shown: String = line.trim().chars().take(40).collect();
            let e = self.error(
                line_no,
                None,
                format!("expected the number of atoms (a non-negative integer), found '{shown}'"),
            );
            (e, Problem::NotACount)
        };
        let pairs = XyzParser::parse(Rule::count_line, line).map_err(|_| bad())?;
        let digits = pairs.flatten().find(|p| p.as_rule() == Rule::count).map_or("", |p| p.as_str());
        let count: u64 = digits.trim_start_matches('+').parse().map_err(|_| bad())?;
        let truncated = |message: String| (self.error(line_no, None, message), Problem::Truncated);
        if remaining == 0 {
            return Err(truncated("expected a comment line after the atom count, found the end of the file".into()));
        }
        let atom_lines = remaining - 1;
        if count > atom_lines as u64 {
            return Err(truncated(format!("expected {count} atom lines, file has {atom_lines}")));
        }
        Ok(count as usize)
    }

    fn read(&self, comment: &str, atoms: &[&str], opts: &ReadOptions) -> Result<Structure, ParseError> {
        let comment_line = self.first_line + 1;
        let info = info::parse(comment).map_err(|(c, m)| self.error(comment_line, Some(c), m))?;
        let explicit = info.properties.is_some();
        let (spec, spec_column) = info.properties.clone().unwrap_or_else(|| (columns::DEFAULT.to_string(), 1));
        let columns =
            columns::parse(&spec).map_err(|(offset, m)| self.error(comment_line, Some(spec_column + offset), m))?;
        if atoms.is_empty() {
            return Err(self.error(self.first_line, None, "frame has no atoms"));
        }
        let (elements, positions, site_properties) = self.atoms(atoms, &columns, explicit)?;
        match info.lattice {
            Some(lattice) => self.crystal(info, lattice, elements, positions, site_properties, opts),
            None => self.molecule(info.extra, elements, positions, site_properties, opts),
        }
    }

    /// Reads the atom lines into elements, Cartesian positions (Å) and other columns.
    fn atoms(
        &self,
        atoms: &[&str],
        columns: &Columns,
        explicit: bool,
    ) -> Result<(Vec<Element>, Vec<Vec3>, SiteProperties), ParseError> {
        let n = atoms.len();
        let mut elements = Vec::with_capacity(n);
        let mut positions = Vec::with_capacity(n);
        let mut values: Vec<Option<Values>> = columns
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (i != columns.pos && Some(i) != columns.species && Some(i) != columns.z).then(|| match c.kind {
                    Kind::Real => Values::Real(Vec::new()),
                    Kind::Int => Values::Int(Vec::new()),
                    Kind::Bool => Values::Bool(Vec::new()),
                    Kind::Str => Values::Str(Vec::new()),
                })
            })
            .collect();
        let mut fields: Vec<(&str, usize)> = Vec::with_capacity(columns.fields);
        for (k, line) in atoms.iter().enumerate() {
            let line_no = self.first_line + 2 + k;
            fields.clear();
            let pairs =
                XyzParser::parse(Rule::atom_line, line).map_err(|_| self.error(line_no, None, "invalid atom line"))?;
            fields.extend(
                pairs.flatten().filter(|p| p.as_rule() == Rule::field).map(|p| (p.as_str(), p.as_span().start())),
            );
            if fields.len() < columns.fields || (explicit && fields.len() > columns.fields) {
                let what = if explicit { "the Properties key declares" } else { "an atom line needs (species x y z)" };
                let at_least = if explicit { "" } else { "at least " };
                return Err(self.error(
                    line_no,
                    None,
                    format!("expected {at_least}{} fields as {what}, found {}", columns.fields, fields.len()),
                ));
            }
            let at = |field: usize, message: String| {
                let (_, offset) = fields[field];
                self.error(line_no, Some(info::column_of(line, offset)), message)
            };
            let mut first = 0;
            let mut species_field = 0;
            let mut z_value = None;
            for (i, column) in columns.columns.iter().enumerate() {
                let range = first..first + column.width;
                first += column.width;
                if i == columns.pos {
                    let mut p = [0.0; 3];
                    for (axis, f) in range.enumerate() {
                        let text = fields[f].0;
                        p[axis] = match text.parse::<f64>() {
                            Ok(v) if v.is_finite() => v,
                            Ok(_) => return Err(at(f, format!("position must be a finite number, found '{text}'"))),
                            Err(_) => {
                                return Err(at(
                                    f,
                                    format!(
                                        "expected a number for the {} coordinate, found '{}'",
                                        ["x", "y", "z"][axis],
                                        shown(text)
                                    ),
                                ));
                            }
                        };
                    }
                    positions.push(p);
                } else if Some(i) == columns.species {
                    species_field = range.start;
                } else if Some(i) == columns.z {
                    let text = fields[range.start].0;
                    z_value = Some((
                        range.start,
                        text.parse::<u32>().map_err(|_| {
                            at(
                                range.start,
                                format!("expected an atomic number in the Z column, found '{}'", shown(text)),
                            )
                        })?,
                    ));
                } else if let Some(store) = values.get_mut(i).and_then(Option::as_mut) {
                    for f in range {
                        let text = fields[f].0;
                        let name = &column.name;
                        match store {
                            Values::Real(v) => v.push(text.parse().map_err(|_| {
                                at(f, format!("expected a real number for '{name}', found '{}'", shown(text)))
                            })?),
                            Values::Int(v) => v.push(text.parse().map_err(|_| {
                                at(f, format!("expected an integer for '{name}', found '{}'", shown(text)))
                            })?),
                            Values::Bool(v) => v.push(column_boolean(text).ok_or_else(|| {
                                at(f, format!("expected T or F for '{name}', found '{}'", shown(text)))
                            })?),
                            Values::Str(v) => v.push(text.to_string()),
                        }
                    }
                }
            }
            let element = match z_value {
                Some((f, z)) => Element::from_z(z).map_err(|_| {
                    at(f, format!("{z} is not an atomic number of a known element (1-{})", Element::COUNT))
                })?,
                None => {
                    let text = fields[species_field].0;
                    element_of(text).ok_or_else(|| at(species_field, format!("unknown element '{}'", shown(text))))?
                }
            };
            elements.push(element);
        }
        let mut site_properties = SiteProperties::new();
        for (column, store) in columns.columns.iter().zip(values) {
            let Some(store) = store else { continue };
            let values = match store {
                Values::Real(v) => PropertyValues::Real(v),
                Values::Int(v) => PropertyValues::Int(v),
                Values::Bool(v) => PropertyValues::Bool(v),
                Values::Str(v) => PropertyValues::Str(v),
            };
            site_properties.insert(column.name.clone(), SiteProperty { width: column.width, values });
        }
        Ok((elements, positions, site_properties))
    }

    fn crystal(
        &self,
        info: Info,
        (matrix, column): (crate::math::Mat3, usize),
        elements: Vec<Element>,
        positions: Vec<Vec3>,
        site_properties: SiteProperties,
        opts: &ReadOptions,
    ) -> Result<Structure, ParseError> {
        let comment_line = self.first_line + 1;
        let lattice =
            Lattice::new(matrix).map_err(|e| self.error(comment_line, Some(column), format!("Lattice: {e}")))?;
        let sites = elements.iter().zip(&positions).map(|(e, p)| Site::new(*e, lattice.to_fractional(*p))).collect();
        let mut crystal = Crystal::new(lattice, sites);
        crystal.pbc = info.pbc.unwrap_or([true; 3]);
        crystal.properties = info.extra;
        crystal.site_properties = site_properties;
        crystal.validate(opts.min_distance).map_err(|e| self.invalid(e))?;
        Ok(Structure::Crystal(crystal))
    }

    fn molecule(
        &self,
        properties: crate::crystal::Properties,
        elements: Vec<Element>,
        positions: Vec<Vec3>,
        site_properties: SiteProperties,
        opts: &ReadOptions,
    ) -> Result<Structure, ParseError> {
        if opts.min_distance > 0.0
            && let Some((first, second, distance)) = molecule_overlap(&positions, opts.min_distance)
        {
            return Err(self.invalid(CrystalError::OverlappingSites {
                first,
                second,
                distance,
                threshold: opts.min_distance,
            }));
        }
        Ok(Structure::Molecule(Molecule {
            species: elements.into_iter().map(Species::new).collect(),
            positions,
            properties,
            site_properties,
        }))
    }

    /// A validation failure located at the atom lines it concerns.
    fn invalid(&self, e: CrystalError) -> ParseError {
        let line_of = |site: usize| self.first_line + 2 + site;
        match e {
            CrystalError::OverlappingSites { first, second, distance, threshold } => self.error(
                line_of(first),
                None,
                format!(
                    "atoms on lines {} and {} (atoms {} and {}) overlap: distance {distance:.4} Å is below {threshold} Å",
                    line_of(first),
                    line_of(second),
                    first + 1,
                    second + 1
                ),
            ),
            other => self.error(self.first_line, None, other.to_string()),
        }
    }
}

/// An element from a species field: a symbol in any case (ASE capitalises), or an atomic
/// number.
fn element_of(text: &str) -> Option<Element> {
    Element::from_symbol_ignore_case(text)
        .ok()
        .or_else(|| text.parse::<u32>().ok().and_then(|z| Element::from_z(z).ok()))
}

/// A logical atom field: T/F/true/false in any case (chemfiles and QUIP write `t`, `True`).
fn column_boolean(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "t" | "true" => Some(true),
        "f" | "false" => Some(false),
        _ => None,
    }
}

/// At most 40 characters of user text for a message.
fn shown(s: &str) -> String {
    s.chars().take(40).collect()
}

/// The first pair of atoms closer than `threshold` Å, found with the crystal's cell list by
/// putting the molecule in a box padded so that no periodic image comes near.
fn molecule_overlap(positions: &[Vec3], threshold: f64) -> Option<(usize, usize, f64)> {
    let mut low = [f64::INFINITY; 3];
    let mut high = [f64::NEG_INFINITY; 3];
    for p in positions {
        for k in 0..3 {
            low[k] = low[k].min(p[k]);
            high[k] = high[k].max(p[k]);
        }
    }
    let pad = 2.0 * threshold + 1.0;
    let size: Vec3 = std::array::from_fn(|k| high[k] - low[k] + pad);
    let lattice = Lattice::new([[size[0], 0.0, 0.0], [0.0, size[1], 0.0], [0.0, 0.0, size[2]]]).ok()?;
    let hydrogen = Element::from_z(1).ok()?;
    let sites = positions
        .iter()
        .map(|p| Site::new(hydrogen, std::array::from_fn(|k| (p[k] - low[k] + pad / 2.0) / size[k])))
        .collect();
    Crystal::new(lattice, sites).find_overlap(threshold)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems() {
        assert_eq!(stem("a/b/water.xyz"), "water");
        assert_eq!(stem("frames.extxyz.gz"), "frames");
        assert_eq!(stem("README"), "README");
    }

    #[test]
    fn molecule_overlaps() {
        let p = [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [100.0, 0.0, 0.1], [100.0, 0.0, 0.0]];
        let (i, j, d) = molecule_overlap(&p, 0.5).unwrap();
        assert_eq!((i, j), (2, 3));
        assert!((d - 0.1).abs() < 1e-9);
        assert!(molecule_overlap(&p[..2], 0.5).is_none());
        assert!(molecule_overlap(&p[..1], 0.5).is_none());
    }
}
