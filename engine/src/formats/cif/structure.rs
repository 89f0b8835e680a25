//! A data block → a [`Crystal`]: cell, atom sites, symmetry expansion, validation. Follows
//! pymatgen's `CifParser` where files are ambiguous (see the module docs of `cif`).

use super::number::{self, NumberError};
use super::symmetry::{self, Symmetry};
use super::syntax::{Block, Column, Document, Value};
use crate::chem::Element;
use crate::crystal::{
    Crystal, CrystalError, Lattice, LatticeParameters, Occupancy, Site, SiteProperty, Species,
};
use crate::error::ParseError;
use crate::formats::ReadOptions;
use crate::math::{self, Vec3};
use std::collections::HashMap;

/// Two positions closer than this in every fractional coordinate (periodically) are one site:
/// symmetry images of one atom, or atoms of different species sharing a position. Same as
/// pymatgen's `site_tolerance`.
pub const SITE_TOLERANCE: f64 = 1e-4;

/// Coordinates this close to 1/3 or 2/3, relative to that value, are snapped to it before
/// expansion (pymatgen's `frac_tolerance`): files write 0.3333 or 0.6667, and the images of
/// such a coordinate under hexagonal operations would otherwise miss each other.
pub const SNAP_TOLERANCE: f64 = 1e-4;

/// Most sites a symmetry expansion may produce (about 1 GB of crystal): a file cannot make
/// the reader allocate without bound by combining many atoms with many operations.
pub const MAX_SITES: usize = 5_000_000;

/// Everything a block problem needs to be reported.
pub(super) struct Ctx<'d, 'a> {
    pub doc: &'d Document<'a>,
    pub block: &'d Block<'a>,
    pub file: &'d str,
}

impl Ctx<'_, '_> {
    pub fn err(&self, pos: usize, message: impl Into<String>) -> ParseError {
        self.doc.error_at(self.file, pos, message)
    }

    /// The single value of a non-looped item, or `None` when absent or `?`/`.`.
    pub fn single(&self, tags: &[&str]) -> Result<Option<(&str, &Value<'_>)>, ParseError> {
        let Some(col) = self.block.get_any(tags) else { return Ok(None) };
        let Some(value) = col.get(0) else { return Ok(None) };
        if col.len() > 1 {
            return Err(self.err(col.tag.pos, format!("{} has {} values in a loop, expected one", col.tag.name, col.len())));
        }
        if let Some(pos) = self.block.stray_after(col.tag.name) {
            return Err(self.err(
                pos,
                format!("unexpected extra value after {} (a value with spaces must be quoted)", col.tag.name),
            ));
        }
        if value.is_null() {
            return Ok(None);
        }
        Ok(Some((col.tag.name, value)))
    }

    /// Like [`Ctx::single`] but ignoring stray values: for items only recorded, not used.
    pub fn single_lenient(&self, tags: &[&str]) -> Option<&Value<'_>> {
        let col = self.block.get_any(tags)?;
        col.get(0).filter(|v| col.len() == 1 && !v.is_null())
    }

    /// A number from a value, with an error naming the data name.
    pub fn number(&self, tag: &str, value: &Value) -> Result<f64, ParseError> {
        let text = value.text().unwrap_or("");
        number::parse(text).map_err(|e| {
            let shown: String = text.chars().take(40).collect();
            let message = match e {
                NumberError::Syntax => format!("expected a number for {tag}, found '{shown}'"),
                NumberError::Overflow => format!("{tag} = '{shown}' is out of range (not a finite number)"),
            };
            self.err(value.pos, message)
        })
    }
}

/// One row of the atom-site loop, after reading.
struct Row {
    species: Species,
    occupancy: f64,
    frac: Vec3,
    label: Option<String>,
    /// Byte offset of the row (its first value), for error messages.
    pos: usize,
    /// Magnetic moment on the crystal axes (μB), from `_atom_site_moment_*`.
    moment: Option<Vec3>,
}

/// Builds the crystal of a data block.
pub(super) fn build(doc: &Document, block: &Block, file: &str, opts: &ReadOptions) -> Result<Crystal, ParseError> {
    let ctx = Ctx { doc, block, file };
    if let Some((pos, message)) = &block.problem {
        return Err(ctx.err(*pos, message.clone()));
    }
    // A block without atom sites (publication data, dictionaries) is not a structure: say so
    // before complaining about its missing cell.
    if FRACT.iter().chain(CARTN.iter()).all(|t| block.get(t).is_none()) {
        return Err(ctx.err(block.pos, "no atom sites: the block has no _atom_site_fract_x/y/z or _atom_site_Cartn_x/y/z"));
    }
    let (lattice, cell_pos) = read_lattice(&ctx)?;
    let rows = read_sites(&ctx, &lattice)?;
    let symmetry = symmetry::read(&ctx, &lattice)?;
    expand(&ctx, lattice, cell_pos, rows, symmetry, opts)
}

/// The cell from `_cell_length_*` (required) and `_cell_angle_*` (90° when absent, the CIF
/// dictionary default), in pymatgen's orientation.
fn read_lattice(ctx: &Ctx) -> Result<(Lattice, usize), ParseError> {
    let mut values = [0.0; 6];
    let tags = ["_cell_length_a", "_cell_length_b", "_cell_length_c", "_cell_angle_alpha", "_cell_angle_beta", "_cell_angle_gamma"];
    let mut first_pos = None;
    for (i, tag) in tags.into_iter().enumerate() {
        match ctx.single(&[tag])? {
            Some((t, v)) => {
                first_pos.get_or_insert(v.pos);
                values[i] = ctx.number(t, v)?;
            }
            None if i >= 3 => values[i] = 90.0,
            None => {
                let pos = ctx.block.get(tag).map_or(ctx.block.pos, |c| c.tag.pos);
                let what = if ctx.block.get(tag).is_some() { "is unknown ('?')" } else { "is missing" };
                return Err(ctx.err(pos, format!("{tag} {what}: the cell lengths a, b and c are required")));
            }
        }
    }
    let pos = first_pos.unwrap_or(ctx.block.pos);
    let [a, b, c, alpha, beta, gamma] = values;
    let lattice = Lattice::from_parameters(LatticeParameters { a, b, c, alpha, beta, gamma })
        .map_err(|e| ctx.err(pos, format!("invalid cell: {e}")))?;
    Ok((lattice, pos))
}

const FRACT: [&str; 3] = ["_atom_site_fract_x", "_atom_site_fract_y", "_atom_site_fract_z"];
const CARTN: [&str; 3] = ["_atom_site_cartn_x", "_atom_site_cartn_y", "_atom_site_cartn_z"];

/// Reads the atom-site rows: species (type symbol, else label), occupancy, coordinates
/// (fractional, else Cartesian in Å converted with the cell). Rows with occupancy 0 hold no
/// atom and are skipped, as pymatgen does.
fn read_sites(ctx: &Ctx, lattice: &Lattice) -> Result<Vec<Row>, ParseError> {
    let b = ctx.block;
    let (coords, cartesian) = match (FRACT.map(|t| b.get(t)), CARTN.map(|t| b.get(t))) {
        ([Some(x), Some(y), Some(z)], _) => ([x, y, z], false),
        (_, [Some(x), Some(y), Some(z)]) => ([x, y, z], true),
        (f, c) => {
            let some = f.iter().chain(c.iter()).flatten().next();
            return Err(match some {
                Some(col) => ctx.err(col.tag.pos, "incomplete atom sites: need all of _atom_site_fract_x, _y and _z (or _atom_site_Cartn_x, _y, _z)"),
                None => ctx.err(b.pos, "no atom sites: the block has no _atom_site_fract_x/y/z or _atom_site_Cartn_x/y/z"),
            });
        }
    };
    let n = coords[0].len();
    let label_col = b.get("_atom_site_label");
    let type_col = b.get("_atom_site_type_symbol");
    let occ_col = b.get("_atom_site_occupancy");
    for col in coords.iter().chain(label_col.iter()).chain(type_col.iter()).chain(occ_col.iter()) {
        if col.len() != n {
            return Err(ctx.err(
                col.tag.pos,
                format!("{} has {} values but {} has {n}: atom-site data must be in one loop", col.tag.name, col.len(), coords[0].tag.name),
            ));
        }
    }
    if n == 0 {
        return Err(ctx.err(coords[0].tag.pos, "the atom-site loop has no rows"));
    }
    let oxidation = read_oxidation_states(ctx)?;
    let moments = read_moments(ctx)?;
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let mut frac = [0.0; 3];
        for (k, col) in coords.iter().enumerate() {
            frac[k] = coordinate(ctx, col, i)?;
        }
        if cartesian {
            frac = lattice.to_fractional(frac);
        }
        let pos = coords[0].get(i).map_or(coords[0].tag.pos, |v| v.pos);
        let label = label_col.and_then(|c| c.get(i)).filter(|v| !v.is_null()).and_then(|v| v.text());
        let type_value = type_col.and_then(|c| c.get(i)).filter(|v| !v.is_null());
        let (symbol_text, symbol_value, symbol_tag) = match (type_value, label) {
            (Some(v), _) => (v.text().unwrap_or(""), v, "_atom_site_type_symbol"),
            (None, Some(l)) => (l, label_col.and_then(|c| c.get(i)).unwrap_or(coords[0].get(i).unwrap_or(&NO_VALUE)), "_atom_site_label"),
            (None, None) => return Err(ctx.err(pos, "atom site has neither _atom_site_type_symbol nor _atom_site_label: its element is unknown")),
        };
        let Some(element) = parse_symbol(symbol_text).map_err(|found| {
            ctx.err(symbol_value.pos, format!("unknown element '{found}' in {symbol_tag} '{symbol_text}'"))
        })?
        else {
            continue;
        };
        let charge = oxidation
            .get(symbol_text)
            .or_else(|| oxidation.get(element.symbol()))
            .copied()
            .or_else(|| charge_suffix(symbol_text));
        let species = match charge {
            Some(ox) => Species::with_oxidation(element, ox),
            None => Species::new(element),
        };
        let occupancy = match occ_col.and_then(|c| c.get(i)) {
            Some(v) if !v.is_null() => ctx.number("_atom_site_occupancy", v)?,
            _ => 1.0,
        };
        if occupancy < 0.0 {
            let at = occ_col.and_then(|c| c.get(i)).map_or(pos, |v| v.pos);
            return Err(ctx.err(at, format!("negative occupancy {occupancy}")));
        }
        if occupancy == 0.0 {
            continue;
        }
        let moment = label.and_then(|l| moments.get(l)).copied();
        rows.push(Row { species, occupancy, frac, label: label.map(str::to_string), pos, moment });
    }
    if rows.is_empty() {
        return Err(ctx.err(coords[0].tag.pos, "no atoms: every atom site has occupancy 0 or no element"));
    }
    Ok(rows)
}

static NO_VALUE: Value<'static> = Value { pos: 0, kind: super::syntax::Kind::Bare("") };

fn coordinate(ctx: &Ctx, col: &Column, row: usize) -> Result<f64, ParseError> {
    let Some(v) = col.get(row) else { return Err(ctx.err(col.tag.pos, format!("{} has no value in row {}", col.tag.name, row + 1))) };
    if v.is_null() {
        return Err(ctx.err(v.pos, format!("{} is unknown ('{}') in row {}", col.tag.name, v.text().unwrap_or("?"), row + 1)));
    }
    ctx.number(col.tag.name, v)
}

/// The element of a type symbol or label, the way pymatgen reads it: water/hydroxide
/// shorthands, then the first two letters ("Fe1a", "FE", "Fe3+"), then the first letter ("C1A"
/// → C, "N12" → N). `Ok(None)` for shorthands that name no atom. `Err` holds the unknown text.
fn parse_symbol(sym: &str) -> Result<Option<Element>, String> {
    for (prefix, element) in [("Hw", "H"), ("Ow", "O"), ("Wat", "O"), ("wat", "O"), ("OH", "O"), ("NO3", "N")] {
        if sym.starts_with(prefix) {
            return Ok(Element::from_symbol(element).ok());
        }
    }
    let mut chars = sym.chars();
    let first = chars.next().map(|c| c.to_ascii_uppercase());
    let second = chars.next().map(|c| c.to_ascii_lowercase());
    // Element symbols are ASCII: a non-ASCII first letter is never one (nor allocated for).
    if let (Some(a), Some(b)) = (first, second)
        && a.is_ascii()
        && b.is_ascii_alphabetic()
        && let Ok(e) = Element::from_symbol(std::str::from_utf8(&[a as u8, b as u8]).unwrap_or(""))
    {
        return Ok(Some(e));
    }
    if let Some(a) = first
        && a.is_ascii()
        && let Ok(e) = Element::from_symbol(std::str::from_utf8(&[a as u8]).unwrap_or(""))
    {
        return Ok(Some(e));
    }
    let word: String = sym.chars().take_while(|c| c.is_ascii_alphabetic()).take(12).collect();
    Err(if word.is_empty() { sym.chars().take(12).collect() } else { word })
}

/// The charge written after a type symbol: "Fe3+" → +3, "O2-" → −2, "Cl-" → −1, "Fe2.5+".
fn charge_suffix(sym: &str) -> Option<f64> {
    let sign = match sym.chars().last()? {
        '+' => 1.0,
        '-' => -1.0,
        _ => return None,
    };
    let body = &sym[..sym.len() - 1];
    let digits = body.trim_start_matches(|c: char| !(c.is_ascii_digit() || c == '.'));
    let name = &body[..body.len() - digits.len()];
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphabetic()) || !digits.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let magnitude = if digits.is_empty() { 1.0 } else { digits.parse::<f64>().ok()? };
    Some(sign * magnitude)
}

/// `_atom_type_symbol` → `_atom_type_oxidation_number`, also keyed by the bare element
/// ("Fe3+" → "Fe"), as pymatgen reads them.
fn read_oxidation_states(ctx: &Ctx) -> Result<HashMap<String, f64>, ParseError> {
    let mut map = HashMap::new();
    let (Some(symbols), Some(numbers)) =
        (ctx.block.get("_atom_type_symbol"), ctx.block.get("_atom_type_oxidation_number"))
    else {
        return Ok(map);
    };
    for (s, n) in symbols.iter().zip(numbers.iter()) {
        let (Some(symbol), false) = (s.text(), n.is_null()) else { continue };
        let ox = ctx.number("_atom_type_oxidation_number", n)?;
        map.insert(symbol.to_string(), ox);
        let bare = symbol.trim_end_matches(['+', '-']).trim_end_matches(|c: char| c.is_ascii_digit());
        map.entry(bare.to_string()).or_insert(ox);
    }
    Ok(map)
}

/// Magnetic moments by atom label from `_atom_site_moment.label` and
/// `_atom_site_moment.crystalaxis_x/y/z` (μB along the cell axes).
fn read_moments(ctx: &Ctx) -> Result<HashMap<String, Vec3>, ParseError> {
    let b = ctx.block;
    let mut map = HashMap::new();
    let cols = ["_atom_site_moment_crystalaxis_x", "_atom_site_moment_crystalaxis_y", "_atom_site_moment_crystalaxis_z"]
        .map(|t| b.get(t));
    let (Some(labels), [Some(x), Some(y), Some(z)]) = (b.get("_atom_site_moment_label"), cols) else {
        return Ok(map);
    };
    for i in 0..labels.len() {
        let Some(label) = labels.get(i).and_then(|v| v.text()) else { continue };
        let mut m = [0.0; 3];
        for (k, col) in [x, y, z].iter().enumerate() {
            m[k] = coordinate(ctx, col, i)?;
        }
        map.insert(label.to_string(), m);
    }
    Ok(map)
}

/// pymatgen's snapping of 0.3333/0.6667 to 1/3 and 2/3 (relative tolerance).
fn snap(x: f64) -> f64 {
    for target in [1.0 / 3.0, 2.0 / 3.0] {
        if (x / target - 1.0).abs() <= SNAP_TOLERANCE {
            return target;
        }
    }
    x
}

/// Applies every operation to every row, merging images within [`SITE_TOLERANCE`] and rows
/// at the same position into one (disordered) site, then validates the crystal.
fn expand(
    ctx: &Ctx,
    lattice: Lattice,
    cell_pos: usize,
    rows: Vec<Row>,
    symmetry: Symmetry,
    opts: &ReadOptions,
) -> Result<Crystal, ParseError> {
    let ops = &symmetry.operations;
    let magnetic = rows.iter().any(|r| r.moment.is_some()) || symmetry.time_reversal.is_some();
    let mut points = PointSet::with_capacity(rows.len().saturating_mul(ops.len()));
    let mut sites: Vec<Site> = Vec::new();
    let mut orbits: Vec<usize> = Vec::new();
    let mut moments: Vec<Vec3> = Vec::new();
    // Per orbit: its site range and the byte offsets of the rows that made it.
    let mut orbit_sites: Vec<std::ops::Range<usize>> = Vec::new();
    let mut orbit_rows: Vec<Vec<(usize, Option<String>)>> = Vec::new();
    let unit = lattice.matrix().map(|row| {
        let n = math::norm(row);
        math::scale(row, 1.0 / n)
    });
    // Snapping only matters where images must meet; a P1 block keeps its coordinates.
    let snapping = ops.len() > 1;
    for row in rows {
        let x = if snapping { row.frac.map(snap) } else { row.frac };
        if let Some(site) = points.find(x.map(math::wrap_unit)) {
            // Same position as an earlier row (directly or by symmetry): one disordered site.
            let orbit = orbits[site];
            for s in orbit_sites[orbit].clone() {
                sites[s].occupancy.add(row.species, row.occupancy);
            }
            orbit_rows[orbit].push((row.pos, row.label));
            continue;
        }
        let orbit = orbit_sites.len();
        let start = sites.len();
        if start + ops.len() > MAX_SITES {
            return Err(ctx.err(
                row.pos,
                format!("symmetry expansion would exceed {MAX_SITES} sites ({} operations)", ops.len()),
            ));
        }
        // This row's distinct images so far: most repeated images (a special position) repeat
        // one of them, which a short scan finds before the lookup in every site.
        let mut orbit_images: Vec<Vec3> = Vec::with_capacity(ORBIT_SCAN);
        for (k, op) in ops.iter().enumerate() {
            let image = op.apply(x).map(math::wrap_unit);
            let repeated = orbit_images.len() < ORBIT_SCAN && orbit_images.iter().any(|q| same_position(&image, q));
            if repeated || points.find(image).is_some() {
                continue;
            }
            if orbit_images.len() < ORBIT_SCAN {
                orbit_images.push(image);
            }
            points.insert(image, sites.len());
            sites.push(Site {
                occupancy: Occupancy::mixed(vec![(row.species, row.occupancy)]),
                frac: image,
                label: row.label.clone(),
            });
            orbits.push(orbit);
            if magnetic {
                // Axial vector: m' = θ·det(R)·R·m on the crystal axes, then Cartesian along
                // the unit cell vectors (pymatgen's `Magmom.from_moment_relative_to_crystal_axes`).
                let m = row.moment.unwrap_or([0.0; 3]);
                let theta = symmetry.time_reversal.as_ref().and_then(|t| t.get(k)).copied().unwrap_or(1) as f64;
                let r = op.rotate(m);
                let m = math::scale(r, theta * op.determinant() as f64);
                moments.push(math::vec_mat(m, &unit));
            }
        }
        orbit_sites.push(start..sites.len());
        orbit_rows.push(vec![(row.pos, row.label)]);
    }
    let mut crystal = Crystal::new(lattice, sites);
    if magnetic {
        crystal.site_properties.insert("magmom".into(), SiteProperty::real(3, moments.concat()));
    }
    crystal.symmetry = Some(crate::symmetry::SymmetryInfo {
        operations: symmetry.operations,
        hermann_mauguin: symmetry.hermann_mauguin,
        number: symmetry.number,
        orbits,
    });
    let describe_site = |site: usize| -> (usize, String) {
        let orbit = crystal.symmetry.as_ref().and_then(|s| s.orbits.get(site)).copied().unwrap_or(0);
        let rows = orbit_rows.get(orbit).map(Vec::as_slice).unwrap_or(&[]);
        let pos = rows.first().map_or(ctx.block.pos, |r| r.0);
        let names: Vec<String> = rows
            .iter()
            .map(|(p, l)| {
                let line = ctx.doc.line_col(*p).0;
                match l {
                    Some(l) => format!("'{l}' (line {line})"),
                    None => format!("line {line}"),
                }
            })
            .collect();
        (pos, format!("atom site {}", names.join(" + ")))
    };
    if let Err(e) = crystal.validate(opts.min_distance) {
        return Err(match e {
            CrystalError::OverlappingSites { first, second, distance, threshold } => {
                let (pos, a) = describe_site(first);
                let (_, b) = describe_site(second);
                let occupancy = |site: usize| crystal.sites.get(site).map_or(0.0, |s| s.occupancy.total());
                let (oa, ob) = (occupancy(first), occupancy(second));
                let orbit = |site: usize| crystal.symmetry.as_ref().and_then(|s| s.orbits.get(site)).copied();
                let what = if orbit(first) == orbit(second) {
                    format!("two symmetry images of {a} overlap: they are {distance:.4} Å apart")
                } else {
                    format!("{a} and {b} overlap: their images are {distance:.4} Å apart")
                };
                ctx.err(pos, format!(
                    "{what} (below {threshold} Å) and their occupancies {oa} + {ob} sum to more than 1"
                ))
            }
            CrystalError::OccupancyAboveOne { site, total } => {
                let (pos, a) = describe_site(site);
                ctx.err(pos, format!("{a}: total occupancy {total:.4} exceeds 1 (atoms overlapping on one position)"))
            }
            CrystalError::BadOccupancy { site, occupancy } => {
                let (pos, a) = describe_site(site);
                if a.contains(" + ") {
                    ctx.err(pos, format!("{a}: rows at one position add up to occupancy {occupancy}, more than 1"))
                } else {
                    ctx.err(pos, format!("{a}: occupancy {occupancy} must be in (0, 1]"))
                }
            }
            CrystalError::NonFinite { what, value } => ctx.err(cell_pos, format!("{what} is not finite ({value})")),
            other => ctx.err(cell_pos, other.to_string()),
        });
    }
    Ok(crystal)
}

/// Images of one row compared directly before the site lookup (see `expand`): covers the
/// special positions of most groups cheaply, and bounds the scan for general positions.
const ORBIT_SCAN: usize = 8;

/// Wrapped fractional positions with lookup within [`SITE_TOLERANCE`] (periodic, per
/// coordinate). A few points are scanned linearly; more go into a grid of cells wider than
/// the tolerance, so that a lookup visits one to eight cells: first a dense grid sized for the
/// number of points expected (no hashing), and if points crowd into one of its cells (which
/// real crystals do not do, but crafted input can), a hashed grid of 1000 cells per axis whose
/// cells hold at most about a thousand points, so the cost stays linear in the sites.
struct PointSet {
    points: Vec<(Vec3, usize)>,
    grid: Option<Grid>,
}

/// `n` cells per axis; the points of each cell as a list threaded through `next` in insertion
/// order, so that a cell costs no allocation of its own.
struct Grid {
    n: usize,
    cells: Cells,
    /// The next point in the same cell, or [`END`].
    next: Vec<usize>,
}

/// First and last point of each cell, or [`END`].
enum Cells {
    /// Indexed `(i·n + j)·n + k`, with the number of points in each cell.
    Dense { ends: Vec<(usize, usize)>, count: Vec<u32> },
    Hashed(HashMap<[usize; 3], (usize, usize)>),
}

const END: usize = usize::MAX;

/// Expected points up to which a plain list is scanned.
const LINEAR_LIMIT: usize = 16;
/// Most dense-grid cells per axis (64³ cells, 4 MB): far wider than the tolerance.
const MAX_DENSE_CELLS_PER_AXIS: usize = 64;
/// Points in one dense cell that switch the set to the hashed grid.
const DENSE_CELL_LIMIT: u32 = 64;
/// Cells per axis of the hashed grid (cell width 1e-3 > tolerance 1e-4).
const HASHED_CELLS_PER_AXIS: usize = 1000;
/// Most points reserved up front, whatever the expected number.
const MAX_RESERVE: usize = 1 << 16;

/// Slack on [`SITE_TOLERANCE`] for the rounding of decimal input: positions written 1e-4
/// apart ("0.9336" and "0.9337") differ by 1.00000000000655e-4 in binary and count as close.
const ROUNDING_SLACK: f64 = 1e-10;

/// Periodic closeness of two wrapped positions (coordinates in [0, 1)).
fn same_position(a: &Vec3, b: &Vec3) -> bool {
    (0..3).all(|k| {
        let d = (a[k] - b[k]).abs();
        d.min(1.0 - d) <= SITE_TOLERANCE + ROUNDING_SLACK
    })
}

impl Grid {
    fn dense(n: usize) -> Self {
        let cells = n * n * n;
        Grid { n, cells: Cells::Dense { ends: vec![(END, END); cells], count: vec![0; cells] }, next: Vec::new() }
    }

    fn hashed() -> Self {
        Grid { n: HASHED_CELLS_PER_AXIS, cells: Cells::Hashed(HashMap::new()), next: Vec::new() }
    }

    fn cell_of(&self, x: f64) -> usize {
        ((x * self.n as f64).floor().max(0.0) as usize).min(self.n - 1)
    }

    /// The cell of `x` on one axis and the neighbouring cells within the tolerance (wrapping).
    fn candidates(&self, x: f64) -> ([usize; 3], usize) {
        let n = self.n;
        let c = self.cell_of(x);
        let scaled = x * n as f64;
        let tol = (SITE_TOLERANCE + ROUNDING_SLACK) * n as f64;
        let mut out = [c, 0, 0];
        let mut count = 1;
        if scaled - (c as f64) < tol {
            out[count] = (c + n - 1) % n;
            count += 1;
        }
        if (c + 1) as f64 - scaled < tol {
            out[count] = (c + 1) % n;
            count += 1;
        }
        (out, count)
    }

    /// The first point of a cell, or [`END`].
    fn first(&self, cell: [usize; 3]) -> usize {
        match &self.cells {
            Cells::Dense { ends, .. } => ends.get((cell[0] * self.n + cell[1]) * self.n + cell[2]).map_or(END, |e| e.0),
            Cells::Hashed(map) => map.get(&cell).map_or(END, |e| e.0),
        }
    }

    /// Appends point `idx` at `p`; false when a dense cell has become too crowded.
    fn push(&mut self, p: &Vec3, idx: usize) -> bool {
        let cell = p.map(|x| self.cell_of(x));
        let n = self.n;
        self.next.push(END);
        let (ends, crowded) = match &mut self.cells {
            Cells::Dense { ends, count } => {
                let i = (cell[0] * n + cell[1]) * n + cell[2];
                let crowded = count.get_mut(i).is_some_and(|c| {
                    *c += 1;
                    *c > DENSE_CELL_LIMIT
                });
                (ends.get_mut(i), crowded)
            }
            Cells::Hashed(map) => (Some(map.entry(cell).or_insert((END, END))), false),
        };
        if let Some(ends) = ends {
            match ends.1 {
                END => *ends = (idx, idx),
                last => {
                    ends.1 = idx;
                    if let Some(n) = self.next.get_mut(last) {
                        *n = idx;
                    }
                }
            }
        }
        !crowded
    }
}

impl PointSet {
    /// A set for about `expected` points (an upper bound is fine).
    fn with_capacity(expected: usize) -> Self {
        let grid = (expected > LINEAR_LIMIT)
            .then(|| Grid::dense(((expected as f64).cbrt().ceil() as usize).clamp(1, MAX_DENSE_CELLS_PER_AXIS)));
        PointSet { points: Vec::with_capacity(expected.min(MAX_RESERVE)), grid }
    }

    /// The value of the earliest inserted point within the tolerance of `p`, if any.
    fn find(&self, p: Vec3) -> Option<usize> {
        let Some(grid) = &self.grid else {
            return self.points.iter().find(|(q, _)| same_position(&p, q)).map(|(_, v)| *v);
        };
        let (cx, nx) = grid.candidates(p[0]);
        let (cy, ny) = grid.candidates(p[1]);
        let (cz, nz) = grid.candidates(p[2]);
        let mut earliest: Option<usize> = None;
        for &i in &cx[..nx] {
            for &j in &cy[..ny] {
                for &k in &cz[..nz] {
                    // Within a cell, points are in insertion order: the first match is its earliest.
                    let mut idx = grid.first([i, j, k]);
                    while let Some((q, _)) = self.points.get(idx) {
                        if same_position(&p, q) {
                            earliest = Some(earliest.map_or(idx, |e| e.min(idx)));
                            break;
                        }
                        idx = grid.next.get(idx).copied().unwrap_or(END);
                    }
                }
            }
        }
        earliest.and_then(|i| self.points.get(i)).map(|(_, v)| *v)
    }

    fn insert(&mut self, p: Vec3, value: usize) {
        let idx = self.points.len();
        self.points.push((p, value));
        if let Some(grid) = &mut self.grid
            && !grid.push(&p, idx)
        {
            // A crowded dense cell: re-file every point in the fine hashed grid.
            let mut fine = Grid::hashed();
            for (i, (q, _)) in self.points.iter().enumerate() {
                fine.push(q, i);
            }
            self.grid = Some(fine);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_like_pymatgen() {
        let sym = |s: &str| parse_symbol(s).map(|e| e.map(|e| e.symbol()));
        assert_eq!(sym("Fe1a"), Ok(Some("Fe")));
        assert_eq!(sym("FE"), Ok(Some("Fe")));
        assert_eq!(sym("Fe3+"), Ok(Some("Fe")));
        assert_eq!(sym("O2-"), Ok(Some("O")));
        assert_eq!(sym("C1A"), Ok(Some("C")));
        assert_eq!(sym("N12"), Ok(Some("N")));
        assert_eq!(sym("Ow1"), Ok(Some("O")));
        assert_eq!(sym("D1"), Ok(Some("H")));
        assert_eq!(sym("Qq"), Err("Qq".into()));
        assert_eq!(sym("?"), Err("?".into()));
    }

    #[test]
    fn charges() {
        assert_eq!(charge_suffix("Fe3+"), Some(3.0));
        assert_eq!(charge_suffix("O2-"), Some(-2.0));
        assert_eq!(charge_suffix("Cl-"), Some(-1.0));
        assert_eq!(charge_suffix("Fe2.5+"), Some(2.5));
        assert_eq!(charge_suffix("Fe"), None);
        assert_eq!(charge_suffix("3+"), None);
        assert_eq!(charge_suffix("Fé3+"), None);
        assert_eq!(charge_suffix("é+"), None);
        assert_eq!(charge_suffix("O+2+"), None);
    }

    #[test]
    fn point_set_matches_periodically_and_scales() {
        let mut set = PointSet::with_capacity(1);
        set.insert([0.0, 0.5, 0.99995], 0);
        assert_eq!(set.find([0.99996, 0.50001, 0.0]), Some(0));
        assert_eq!(set.find([0.0, 0.5, 0.9997]), None);
        // Grid mode: many points, lookups across cell boundaries.
        let mut big = PointSet::with_capacity(1000);
        for i in 0..1000 {
            let x = i as f64 / 1000.0;
            big.insert([x, (x * 7.0).fract(), 0.0], i);
        }
        assert!(big.grid.is_some());
        for i in [0, 1, 500, 999] {
            let x = i as f64 / 1000.0;
            assert_eq!(big.find([x + 5e-5, (x * 7.0).fract() - 5e-5, 0.99999]), Some(i));
        }
        assert_eq!(big.find([0.0005, 0.3, 0.5]), None);
        // Two points within the tolerance of a lookup, in neighbouring cells (5 per axis, a
        // boundary at 0.4): the earlier one answers, as in the plain list.
        let mut two = PointSet::with_capacity(100);
        two.insert([0.39992, 0.3, 0.3], 7);
        two.insert([0.40009, 0.3, 0.3], 3);
        assert_eq!(two.grid.as_ref().map(|g| g.n), Some(5));
        assert_eq!(two.find([0.4, 0.3, 0.3]), Some(7));
        // Points crowded into one dense cell (2e-4 apart, all within 0.01) switch the set to
        // the hashed grid, which finds the same points.
        let mut crowded = PointSet::with_capacity(1000);
        let at = |i: usize| [0.5 + (i % 10) as f64 * 2e-4, 0.5 + (i / 10 % 10) as f64 * 2e-4, 0.5 + (i / 100) as f64 * 2e-4];
        for i in 0..300 {
            crowded.insert(at(i), i);
        }
        assert!(matches!(crowded.grid.as_ref().map(|g| &g.cells), Some(Cells::Hashed(_))));
        for i in [0, 64, 65, 299] {
            let [x, y, z] = at(i);
            assert_eq!(crowded.find([x + 5e-5, y - 5e-5, z]), Some(i));
        }
        assert_eq!(crowded.find([0.4, 0.5, 0.5]), None);
    }
}
