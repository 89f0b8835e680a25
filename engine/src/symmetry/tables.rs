//! Standard space-group operations from a Hermann–Mauguin symbol, a Hall symbol or an
//! International Tables number, using the 530-setting table of the `moyo` crate.
//!
//! Only Hall symbols of that table are accepted (after normalising their spelling, optionally
//! with an origin shift "(0 0 1)"): moyo's general Hall-symbol parser is not safe on arbitrary
//! text, and an arbitrary Hall symbol need not describe a finite group.

use super::SymOp;
use crate::math::Vec3;
use moyo::data::{HallSymbol, HallSymbolEntry, Setting, hall_symbol_entry};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Number of settings (Hall numbers) in the table.
const HALL_NUMBERS: i32 = 530;

/// A space group in one setting of the table, with an optional origin shift.
#[derive(Clone, Debug, PartialEq)]
pub struct SpaceGroup {
    /// International Tables number, 1–230.
    pub number: u16,
    /// Hall number in the 530-setting table (spglib numbering), 1–530.
    pub hall_number: i32,
    pub hall_symbol: &'static str,
    /// Short Hermann–Mauguin symbol as the table writes it ("P 2_1/c").
    pub hm_short: &'static str,
    /// Full Hermann–Mauguin symbol ("P 1 2_1/c 1").
    pub hm_full: &'static str,
    /// Setting code of the table: "" (only one), "b1", "1"/"2" (origin choice), "H"/"R".
    pub setting: &'static str,
    /// Origin shift of a Hall symbol "(vx vy vz)", in fractions (twelfths as written / 12).
    pub origin_shift: Vec3,
}

/// A space-group symbol or number that the table does not know.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("unknown space group {what} '{value}'")]
pub struct UnknownSpaceGroup {
    /// "number", "Hermann-Mauguin symbol" or "Hall symbol".
    pub what: &'static str,
    pub value: String,
}

impl SpaceGroup {
    fn from_entry(e: HallSymbolEntry) -> SpaceGroup {
        SpaceGroup {
            number: e.number as u16,
            hall_number: e.hall_number,
            hall_symbol: e.hall_symbol,
            hm_short: e.hm_short,
            hm_full: e.hm_full,
            setting: e.setting,
            origin_shift: [0.0; 3],
        }
    }

    fn from_hall_number(n: i32) -> Option<SpaceGroup> {
        hall_symbol_entry(n).map(SpaceGroup::from_entry)
    }

    /// The default setting of space group `number` (1–230) as spglib and pymatgen choose it
    /// (the first of the table's settings): unique axis b, cell choice 1, origin choice 1,
    /// hexagonal axes for R groups.
    pub fn from_number(number: i64) -> Result<SpaceGroup, UnknownSpaceGroup> {
        let unknown = || UnknownSpaceGroup { what: "number (must be 1-230)", value: number.to_string() };
        if !(1..=230).contains(&number) {
            return Err(unknown());
        }
        Setting::Spglib.hall_number(number as i32).and_then(SpaceGroup::from_hall_number).ok_or_else(unknown)
    }

    /// A Hall symbol of the table in any common spelling ("-P 2ybc", "-p 2YBC", "-P2yn",
    /// "-R 3 2\""), optionally followed by an origin shift "(0 0 1)" in twelfths.
    pub fn from_hall(symbol: &str) -> Result<SpaceGroup, UnknownSpaceGroup> {
        let unknown = || UnknownSpaceGroup { what: "Hall symbol", value: symbol.to_string() };
        // Table entries may carry their own origin shift ("P 31 2 (0 0 4)").
        if let Some(n) = normalize_hall(symbol).and_then(|k| hall_index().get(&k).copied()) {
            return SpaceGroup::from_hall_number(n).ok_or_else(unknown);
        }
        let (body, shift) = match symbol.split_once('(') {
            Some((body, rest)) => (body, Some(parse_origin_shift(rest).ok_or_else(unknown)?)),
            None => (symbol, None),
        };
        let key = normalize_hall(body).ok_or_else(unknown)?;
        let n = *hall_index().get(&key).ok_or_else(unknown)?;
        let mut group = SpaceGroup::from_hall_number(n).ok_or_else(unknown)?;
        if let Some(shift) = shift {
            group.origin_shift = shift;
        }
        Ok(group)
    }

    /// A Hermann–Mauguin symbol in any common spelling: "P 21/c", "P2_1/c", "P 1 21/c 1",
    /// "P2(1)/c", "P2~1~/c", "Fm-3m", "F m -3 m", "Fm3m" (old cubic notation), with an
    /// optional setting: "R -3 m :H", "R-3m H", "R 3 :R", "F d -3 m :1", "P 4/n m m :2",
    /// "Fd-3mS"/"Fd-3mZ" (origin choice 1/2). Without a setting the default one of
    /// [`SpaceGroup::from_number`] is used (origin choice 1, hexagonal axes), as pymatgen does.
    pub fn from_hermann_mauguin(symbol: &str) -> Result<SpaceGroup, UnknownSpaceGroup> {
        let unknown = || UnknownSpaceGroup { what: "Hermann-Mauguin symbol", value: symbol.to_string() };
        let (body, setting) = split_hm_setting(symbol);
        let body = normalize_hm(body).ok_or_else(unknown)?;
        let index = hm_index();
        let lookup = |body: &str, setting: Option<&str>| -> Option<i32> {
            match setting {
                Some(s) => index.get(&format!("{body}:{s}")).copied(),
                None => index.get(body).copied(),
            }
        };
        let mut candidates = vec![(body.clone(), setting.clone())];
        // Origin-choice letters glued to the symbol: "Fd-3mS" (choice 1), "Fd-3mZ" (choice 2).
        if setting.is_none() {
            for (suffix, choice) in [("s", "1"), ("z", "2")] {
                if let Some(b) = body.strip_suffix(suffix) {
                    candidates.push((b.to_string(), Some(choice.to_string())));
                }
            }
            // Rhombohedral axes glued to the symbol: "R-3mR", "R3H".
            if body.starts_with('r') {
                for suffix in ["h", "r"] {
                    if let Some(b) = body.strip_suffix(suffix) {
                        candidates.push((b.to_string(), Some(suffix.to_string())));
                    }
                }
            }
        }
        // Old cubic notation without the bar: "Fm3m" → "Fm-3m", "Ia3d" → "Ia-3d".
        let with_bar: Vec<_> = candidates
            .iter()
            .filter_map(|(b, s)| old_cubic_to_bar(b).map(|b| (b, s.clone())))
            .collect();
        candidates.extend(with_bar);
        candidates
            .iter()
            .find_map(|(b, s)| lookup(b, s.as_deref()))
            .and_then(SpaceGroup::from_hall_number)
            .ok_or_else(unknown)
    }

    /// For rhombohedral groups (R), the same group on the other axes (hexagonal ↔
    /// rhombohedral); `None` for other groups.
    pub fn rhombohedral_alternative(&self) -> Option<SpaceGroup> {
        let other = match self.setting {
            "H" => self.hall_number + 1,
            "R" => self.hall_number - 1,
            _ => return None,
        };
        SpaceGroup::from_hall_number(other).filter(|g| g.number == self.number)
    }

    /// True for rhombohedral groups given on rhombohedral (primitive) axes.
    pub fn is_rhombohedral_axes(&self) -> bool {
        self.setting == "R"
    }

    /// Every operation of the group in this setting, centring translations included
    /// (identity first), translations in [0, 1).
    pub fn operations(&self) -> Vec<SymOp> {
        let base = table_operations(self.hall_number, self.hall_symbol);
        let v = self.origin_shift;
        if v == [0.0; 3] {
            return base.to_vec();
        }
        // Origin shift v: (R, t) → (R, t + v − R·v).
        base.iter()
            .map(|op| {
                let rv = op.rotate(v);
                SymOp { rotation: op.rotation, translation: std::array::from_fn(|i| op.translation[i] + v[i] - rv[i]) }
                    .normalized()
            })
            .collect()
    }
}

/// The operations of a table setting, computed once per process (moyo's traversal is far
/// slower than reading a CIF).
fn table_operations(hall_number: i32, hall_symbol: &str) -> &'static [SymOp] {
    static CACHE: [OnceLock<Vec<SymOp>>; HALL_NUMBERS as usize] = [const { OnceLock::new() }; HALL_NUMBERS as usize];
    static EMPTY: [SymOp; 1] = [SymOp::IDENTITY];
    let Some(slot) = usize::try_from(hall_number - 1).ok().and_then(|i| CACHE.get(i)) else { return &EMPTY };
    slot.get_or_init(|| {
        // Every table entry parses (checked by a test).
        let Some(hall) = HallSymbol::new(hall_symbol) else { return vec![SymOp::IDENTITY] };
        let coset = hall.traverse();
        let mut ops = Vec::with_capacity(coset.len() * hall.centering.order());
        for centring in hall.centering.lattice_points() {
            for op in &coset {
                let rotation: [[i32; 3]; 3] = std::array::from_fn(|i| std::array::from_fn(|j| op.rotation[(i, j)]));
                let translation = std::array::from_fn(|i| op.translation[i] + centring[i]);
                ops.push(SymOp { rotation, translation }.normalized());
            }
        }
        if let Some(p) = ops.iter().position(SymOp::is_identity) {
            ops.swap(0, p);
        }
        ops
    })
}


/// Normalised Hall symbol → Hall number.
fn hall_index() -> &'static HashMap<String, i32> {
    static INDEX: OnceLock<HashMap<String, i32>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut map = HashMap::new();
        for n in 1..=HALL_NUMBERS {
            if let Some(e) = hall_symbol_entry(n)
                && let Some(key) = normalize_hall(e.hall_symbol)
            {
                map.entry(key).or_insert(n);
            }
        }
        map
    })
}

/// Normalised Hermann–Mauguin symbol (with ":setting" where the table has several) → Hall
/// number. Symbols shared by several settings map to the default one (spglib's choice).
fn hm_index() -> &'static HashMap<String, i32> {
    static INDEX: OnceLock<HashMap<String, i32>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut map = HashMap::new();
        let defaults = Setting::Spglib.hall_numbers();
        let order = defaults.iter().copied().chain(1..=HALL_NUMBERS);
        for n in order {
            let Some(e) = hall_symbol_entry(n) else { continue };
            // The table's short monoclinic symbols are those of the standard setting only
            // ("P 2_1/c" for "P 1 2_1/n 1" too): derive each setting's own short symbol by
            // dropping the "1" axes of the full one ("P 2_1/n").
            let monoclinic_short = (3..=15).contains(&e.number).then(|| {
                e.hm_full.split_whitespace().filter(|w| *w != "1").collect::<Vec<_>>().join(" ")
            });
            let symbols = [Some(e.hm_full), monoclinic_short.as_deref(), Some(e.hm_short)];
            for symbol in symbols.into_iter().flatten() {
                let Some(key) = normalize_hm(symbol) else { continue };
                if !e.setting.is_empty() {
                    map.entry(format!("{key}:{}", e.setting.to_ascii_lowercase())).or_insert(n);
                }
                map.entry(key).or_insert(n);
            }
        }
        map
    })
}

/// Lower case without spaces, underscores, tildes or the parentheses of "2(1)"; `None` for
/// text that cannot be a symbol (empty, or non-ASCII).
fn normalize_hm(s: &str) -> Option<String> {
    let out: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '~' | '(' | ')' | '\'' | '"'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (!out.is_empty() && out.is_ascii() && out.len() <= 32).then_some(out)
}

/// Splits a trailing setting off a Hermann–Mauguin symbol: ":2", ":H", or a separate final
/// "H"/"R" word after a rhombohedral symbol ("R -3 H").
fn split_hm_setting(s: &str) -> (&str, Option<String>) {
    let s = s.trim();
    if let Some((body, setting)) = s.rsplit_once(':') {
        return (body, Some(setting.trim().to_ascii_lowercase()));
    }
    if s.trim_start().starts_with(['R', 'r'])
        && let Some((body, last)) = s.rsplit_once(char::is_whitespace)
        && matches!(last, "H" | "R" | "h" | "r")
    {
        return (body, Some(last.to_ascii_lowercase()));
    }
    (s, None)
}

/// "fm3m" → "fm-3m": inserts the bar that old cubic symbols leave out (a 3 after a glide or
/// mirror letter); `None` when there is nothing to change.
fn old_cubic_to_bar(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let p = (1..b.len()).find(|&i| b[i] == b'3' && b"mnadb".contains(&b[i - 1]) && i >= 2)?;
    Some(format!("{}-{}", &s[..p], &s[p..]))
}

/// Canonical spelling of a Hall symbol: single spaces, upper-case lattice letter, lower-case
/// rest, `"`/`'` axes as the table writes them (`=`/`^`), "-P2yn" → "-P 2yn".
fn normalize_hall(s: &str) -> Option<String> {
    let s = s.trim().replace(['_'], " ");
    if s.is_empty() || !s.is_ascii() || s.len() > 40 {
        return None;
    }
    let mut chars = s.chars().peekable();
    let mut out = String::new();
    if chars.peek() == Some(&'-') {
        out.push('-');
        chars.next();
    }
    while chars.peek().is_some_and(|c| c.is_whitespace()) {
        chars.next();
    }
    let lattice = chars.next()?.to_ascii_uppercase();
    if !"PABCIRF".contains(lattice) {
        return None;
    }
    out.push(lattice);
    out.push(' ');
    let rest: String = chars.collect();
    let rest = rest.replace('"', "=").replace('\'', "^").to_ascii_lowercase();
    let words: Vec<&str> = rest.split_whitespace().collect();
    if words.is_empty() {
        return None;
    }
    out.push_str(&words.join(" "));
    Some(out)
}

/// "0 0 1)" (after the opening parenthesis) → shift in fractions: integers in twelfths.
fn parse_origin_shift(s: &str) -> Option<Vec3> {
    let inner = s.trim().strip_suffix(')')?;
    let parts: Vec<i32> = inner.split_whitespace().map(|p| p.parse().ok()).collect::<Option<_>>()?;
    match parts.as_slice() {
        [a, b, c] if [a, b, c].iter().all(|v| v.abs() <= 12) => {
            Some([*a as f64 / 12.0, *b as f64 / 12.0, *c as f64 / 12.0])
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(g: &SpaceGroup) -> usize {
        g.operations().len()
    }

    #[test]
    fn every_table_entry_gives_a_group() {
        for n in 1..=HALL_NUMBERS {
            let g = SpaceGroup::from_hall_number(n).unwrap();
            let ops = g.operations();
            assert!(HallSymbol::new(g.hall_symbol).is_some(), "{n}");
            assert!(ops[0].is_identity(), "{n}");
            // Closed under composition (modulo lattice translations).
            for a in &ops {
                for b in &ops {
                    let c = a.compose(b);
                    assert!(ops.iter().any(|o| o.equivalent(&c)), "hall {n}: not closed");
                }
            }
            // A few settings share one Hall symbol (and so the same operations).
            let same = SpaceGroup::from_hall(g.hall_symbol).unwrap();
            assert_eq!((same.number, same.hall_symbol), (g.number, g.hall_symbol));
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(ops(&SpaceGroup::from_number(225).unwrap()), 192);
        assert_eq!(ops(&SpaceGroup::from_number(14).unwrap()), 4);
        assert_eq!(SpaceGroup::from_number(14).unwrap().hm_full, "P 1 2_1/c 1");
        // Origin choice 1 and hexagonal axes by default (spglib, pymatgen).
        assert_eq!(SpaceGroup::from_number(227).unwrap().setting, "1");
        assert_eq!(SpaceGroup::from_number(166).unwrap().setting, "H");
        assert_eq!(ops(&SpaceGroup::from_number(166).unwrap()), 36);
        assert!(SpaceGroup::from_number(0).is_err());
        assert!(SpaceGroup::from_number(231).is_err());
    }

    #[test]
    fn hermann_mauguin_spellings() {
        let n = |s: &str| SpaceGroup::from_hermann_mauguin(s).map(|g| (g.number, g.setting));
        for s in ["P 21/c", "P2_1/c", "P 1 21/c 1", "P2(1)/c", "P2~1~/c", "p 21/c"] {
            assert_eq!(n(s), Ok((14, "b1")), "{s}");
        }
        assert_eq!(n("P 1 21/n 1"), Ok((14, "b2")));
        assert_eq!(n("P 21/n"), Ok((14, "b2")));
        assert_eq!(n("P2~1~/n"), Ok((14, "b2")));
        assert_eq!(n("P12(1)/n1").unwrap().0, 14);
        for s in ["Fm-3m", "F m -3 m", "Fm3m", "F m 3 m"] {
            assert_eq!(n(s), Ok((225, "")), "{s}");
        }
        assert_eq!(n("Im3m").unwrap().0, 229);
        assert_eq!(n("R -3 m :H"), Ok((166, "H")));
        assert_eq!(n("R-3m H"), Ok((166, "H")));
        assert_eq!(n("R -3 m"), Ok((166, "H")));
        assert_eq!(n("R 3 :R"), Ok((146, "R")));
        assert_eq!(n("R -3 R"), Ok((148, "R")));
        assert_eq!(n("F d -3 m :1"), Ok((227, "1")));
        assert_eq!(n("Fd-3m"), Ok((227, "1")));
        assert_eq!(n("Fd-3mZ"), Ok((227, "2")));
        assert_eq!(n("Fd-3mS"), Ok((227, "1")));
        assert_eq!(n("P 4/n m m :2"), Ok((129, "2")));
        assert_eq!(n("P 4/n m m :1"), Ok((129, "1")));
        assert_eq!(n("P 4/n m m"), Ok((129, "1")));
        assert_eq!(n("P b n m").unwrap().0, 62);
        assert_eq!(n("P 63/m m c").unwrap().0, 194);
        assert_eq!(n("C 1 2/c 1").unwrap().0, 15);
        assert_eq!(n("I 41/a c d :1").unwrap().0, 142);
        assert!(n("P 7 2 2").is_err());
        assert!(n("X c").is_err());
        assert!(n("").is_err());
        assert!(n("Fm-3m:7").is_err());
    }

    #[test]
    fn hall_spellings() {
        let n = |s: &str| SpaceGroup::from_hall(s).map(|g| g.hall_number);
        assert_eq!(n("-P 2ybc"), Ok(81));
        assert_eq!(n("-p 2YBC"), Ok(81));
        assert_eq!(n("-P2yn"), Ok(82));
        assert_eq!(n("-P_2yn"), Ok(82));
        assert_eq!(SpaceGroup::from_hall("-R 3 2\"").unwrap().number, 166);
        assert_eq!(SpaceGroup::from_hall("F 4d 2 3 -1d").unwrap().number, 227);
        assert_eq!(SpaceGroup::from_hall(" P 1").unwrap().number, 1);
        assert!(n("Xc").is_err());
        assert!(n("").is_err());
        assert!(n("P 2q").is_err());
        assert!(n("P 2yb (1/2*x,y,-1/2*x+z)").is_err());
        // An origin shift moves the operations: P 2yb with origin at (0, 0, 1/12·3).
        let g = SpaceGroup::from_hall("P 2yb (0 0 3)").unwrap();
        let ops = g.operations();
        assert!(ops[1].equivalent(&SymOp::parse("-x, y+1/2, -z+1/2").unwrap()), "{}", ops[1]);
    }

    #[test]
    fn rhombohedral_alternative() {
        let h = SpaceGroup::from_number(166).unwrap();
        let r = h.rhombohedral_alternative().unwrap();
        assert_eq!((r.number, r.setting), (166, "R"));
        assert_eq!(r.operations().len(), 12);
        assert!(SpaceGroup::from_number(225).unwrap().rhombohedral_alternative().is_none());
    }
}
