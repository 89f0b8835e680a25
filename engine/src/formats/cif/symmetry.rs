//! The symmetry operations of a data block, from the first source present:
//!
//! 1. magnetic operations `_space_group_symop_magn_operation.xyz` (× centring
//!    `_space_group_symop_magn_centering.xyz`), positions only plus the time reversal;
//! 2. an operation list: `_symmetry_equiv_pos_as_xyz`, `_space_group_symop_operation_xyz` (or
//!    the dotted DDLm forms);
//! 3. a Hall symbol: `_symmetry_space_group_name_Hall`, `_space_group_name_Hall`;
//! 4. a Hermann–Mauguin symbol: `_symmetry_space_group_name_H-M`, `_space_group_name_H-M_alt`;
//! 5. an International Tables number: `_space_group_IT_number`, `_symmetry_Int_Tables_number`;
//! 6. none of these: P1 (the identity only).
//!
//! A source that is present but unusable is an error (an invalid operator, a number outside
//! 1–230, a symbol no table knows when no later source works), never a silent P1. For
//! rhombohedral groups named by symbol or number, the axes (hexagonal or rhombohedral) follow
//! the cell's shape.

use super::number;
use super::structure::Ctx;
use crate::crystal::Lattice;
use crate::error::ParseError;
use crate::symmetry::{SpaceGroup, SymOp};

/// Operations with what the file said about the group.
pub(super) struct Symmetry {
    pub operations: Vec<SymOp>,
    /// Time reversal (+1/−1) of each operation, for magnetic CIFs.
    pub time_reversal: Option<Vec<i8>>,
    pub hermann_mauguin: Option<String>,
    pub number: Option<u16>,
}

/// Most operations accepted in a list (Fm-3m has 192; supercell settings a few times more).
/// Bounds the quadratic de-duplication and the size of the expansion.
pub(super) const MAX_OPERATIONS: usize = 4096;

const MAGN_OPERATION: &str = "_space_group_symop_magn_operation.xyz";
const MAGN_CENTERING: &str = "_space_group_symop_magn_centering.xyz";
const OPERATIONS: [&str; 2] = ["_symmetry_equiv_pos_as_xyz", "_space_group_symop_operation_xyz"];
const HALL: [&str; 2] = ["_symmetry_space_group_name_Hall", "_space_group_name_Hall"];
const HM: [&str; 4] = [
    "_symmetry_space_group_name_H-M",
    "_space_group_name_H-M_alt",
    "_symmetry_space_group_name_H_M",
    "_space_group_name_H-M",
];
const NUMBER: [&str; 2] = ["_space_group_IT_number", "_symmetry_Int_Tables_number"];

pub(super) fn read(ctx: &Ctx, lattice: &Lattice) -> Result<Symmetry, ParseError> {
    // With an operation list, the symbol and number are only recorded: an unusable one is
    // dropped rather than rejected.
    let hermann_mauguin = ctx.single_lenient(&HM).and_then(|v| v.text()).map(|s| s.trim().to_string());
    let recorded_number = || {
        let v = ctx.single_lenient(&NUMBER)?;
        number::parse(v.text()?).ok().filter(|n| n.fract() == 0.0 && (1.0..=230.0).contains(n)).map(|n| n as u16)
    };
    if let Some((ops, reversal)) = magnetic_operations(ctx)? {
        let number = recorded_number();
        return Ok(Symmetry { operations: ops, time_reversal: Some(reversal), hermann_mauguin, number });
    }
    if let Some(ops) = operation_list(ctx)? {
        let number = recorded_number();
        return Ok(Symmetry { operations: ops, time_reversal: None, hermann_mauguin, number });
    }
    // A symbol that is unknown (or spoilt by stray values) falls through to the next source.
    let mut unknown: Vec<String> = Vec::new();
    type Lookup = fn(&str) -> Result<SpaceGroup, crate::symmetry::UnknownSpaceGroup>;
    let symbols: [(&str, &[&str], Lookup); 2] = [
        ("Hall symbol", &HALL, SpaceGroup::from_hall),
        ("Hermann-Mauguin symbol", &HM, SpaceGroup::from_hermann_mauguin),
    ];
    for (what, tags, lookup) in symbols {
        match ctx.single(tags) {
            Ok(Some((tag, v))) => {
                let text = v.text().unwrap_or("");
                match lookup(text) {
                    Ok(group) => return Ok(from_table(group, lattice, hermann_mauguin)),
                    Err(_) => unknown.push(format!("{what} '{text}' ({tag}, line {})", ctx.doc.line_col(v.pos).0)),
                }
            }
            Ok(None) => {}
            Err(e) => unknown.push(format!("{what}: {} (line {})", e.message, e.line.unwrap_or(0))),
        }
    }
    if let Some((tag, v)) = ctx.single(&NUMBER)? {
        let n = table_number(ctx, tag, v)?;
        // `table_number` checked the range, so the table has it.
        if let Ok(group) = SpaceGroup::from_number(n as i64) {
            return Ok(from_table(group, lattice, hermann_mauguin));
        }
    }
    if !unknown.is_empty() {
        let pos = ctx.block.get_any(&HALL).or_else(|| ctx.block.get_any(&HM)).map_or(ctx.block.pos, |c| c.tag.pos);
        return Err(ctx.err(
            pos,
            format!(
                "unknown space group: {}, and no symmetry operations (_symmetry_equiv_pos_as_xyz) or IT number to fall back on",
                unknown.join(" and ")
            ),
        ));
    }
    Ok(Symmetry { operations: vec![SymOp::IDENTITY], time_reversal: None, hermann_mauguin, number: None })
}

/// An IT number 1–230.
fn table_number(ctx: &Ctx, tag: &str, v: &super::syntax::Value) -> Result<u16, ParseError> {
    let n = ctx.number(tag, v)?;
    if n.fract() != 0.0 || !(1.0..=230.0).contains(&n) {
        return Err(ctx.err(v.pos, format!("{tag} = {n} is not a space-group number (1-230)")));
    }
    Ok(n as u16)
}

/// The group's operations, on rhombohedral axes when the cell is rhombohedral (a = b = c,
/// α = β = γ ≠ 90°) and on hexagonal axes otherwise.
fn from_table(group: SpaceGroup, lattice: &Lattice, written: Option<String>) -> Symmetry {
    let p = lattice.parameters();
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-3 * x.abs().max(y.abs());
    let rhombohedral_cell = close(p.a, p.b)
        && close(p.b, p.c)
        && (p.alpha - p.beta).abs() < 1e-2
        && (p.beta - p.gamma).abs() < 1e-2
        && (p.alpha - 90.0).abs() > 1e-2;
    let group = match group.rhombohedral_alternative() {
        Some(other) if rhombohedral_cell != group.is_rhombohedral_axes() => other,
        _ => group,
    };
    let hermann_mauguin = written.or_else(|| Some(group.hm_short.replace('_', "")));
    Symmetry { operations: group.operations(), time_reversal: None, hermann_mauguin, number: Some(group.number) }
}

/// An operation, its time reversal (+1/−1) and the byte offset of its value.
type Parsed = (SymOp, i8, usize);

/// An operation list with time reversals.
type MagneticList = (Vec<SymOp>, Vec<i8>);

/// Parses a column of operator strings; `None` when the column is absent or all `?`.
fn parse_column(ctx: &Ctx, tag: &str, magnetic: bool) -> Result<Option<Vec<Parsed>>, ParseError> {
    let Some(col) = ctx.block.get(tag) else { return Ok(None) };
    if col.len() > MAX_OPERATIONS {
        return Err(ctx.err(
            col.tag.pos,
            format!("{} lists {} operations, more than the {MAX_OPERATIONS} a space group setting can need", col.tag.name, col.len()),
        ));
    }
    let mut ops = Vec::with_capacity(col.len());
    for v in col.iter() {
        if v.is_null() {
            continue;
        }
        let Some(text) = v.text() else {
            return Err(ctx.err(v.pos, format!("{} must hold 'x,y,z' strings, not a list or table", col.tag.name)));
        };
        let parsed = if magnetic { SymOp::parse_magnetic(text) } else { SymOp::parse(text).map(|op| (op, 1)) };
        let (op, t) = parsed.map_err(|e| ctx.err(v.pos, format!("{}: {e}", col.tag.name)))?;
        ops.push((op, t, v.pos));
    }
    Ok((!ops.is_empty()).then_some(ops))
}

fn operation_list(ctx: &Ctx) -> Result<Option<Vec<SymOp>>, ParseError> {
    for tag in OPERATIONS {
        if let Some(ops) = parse_column(ctx, tag, false)? {
            let tag_pos = ctx.block.get(tag).map_or(ctx.block.pos, |c| c.tag.pos);
            let list: Vec<(SymOp, i8)> = ops.into_iter().map(|(op, t, _)| (op, t)).collect();
            return Ok(Some(finish(ctx, tag_pos, list)?.into_iter().map(|(op, _)| op).collect()));
        }
    }
    Ok(None)
}

/// Magnetic operations × centring translations (time reversals multiply).
fn magnetic_operations(ctx: &Ctx) -> Result<Option<MagneticList>, ParseError> {
    let Some(ops) = parse_column(ctx, MAGN_OPERATION, true)? else { return Ok(None) };
    let tag_pos = ctx.block.get(MAGN_OPERATION).map_or(ctx.block.pos, |c| c.tag.pos);
    let centring = parse_column(ctx, MAGN_CENTERING, true)?.unwrap_or_else(|| vec![(SymOp::IDENTITY, 1, tag_pos)]);
    if ops.len() * centring.len() > MAX_OPERATIONS {
        return Err(ctx.err(
            tag_pos,
            format!(
                "{} operations × {} centring translations is more than the {MAX_OPERATIONS} operations a magnetic group can need",
                ops.len(),
                centring.len()
            ),
        ));
    }
    let mut all = Vec::with_capacity(ops.len() * centring.len());
    for (c, tc, _) in &centring {
        for (op, t, _) in &ops {
            let translation = std::array::from_fn(|i| op.translation[i] + c.translation[i]);
            all.push((SymOp { rotation: op.rotation, translation }.normalized(), t * tc));
        }
    }
    let list = finish(ctx, tag_pos, all)?;
    Ok(Some(list.into_iter().unzip()))
}

/// Drops repeated operations and puts the identity first; a list without the identity is
/// not a space group. (Quadratic, but lists are capped at [`MAX_OPERATIONS`].)
fn finish(ctx: &Ctx, tag_pos: usize, ops: Vec<(SymOp, i8)>) -> Result<Vec<(SymOp, i8)>, ParseError> {
    let mut out: Vec<(SymOp, i8)> = Vec::with_capacity(ops.len());
    for (op, t) in ops {
        if !out.iter().any(|(o, _)| o.equivalent(&op)) {
            out.push((op, t));
        }
    }
    match out.iter().position(|(o, t)| o.is_identity() && *t == 1) {
        Some(p) => out.swap(0, p),
        None => {
            return Err(ctx.err(tag_pos, "the symmetry operations do not include the identity 'x,y,z'"));
        }
    }
    Ok(out)
}
