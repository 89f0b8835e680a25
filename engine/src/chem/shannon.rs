//! Shannon (1976) effective ionic and crystal radii, in Å, by ion, coordination and spin.
//!
//! Two transcriptions are embedded (from `engine/data/chem/shannon_radii.json`):
//! [`ShannonTable::Pymatgen`] keeps high- and low-spin rows apart; [`ShannonTable::Smact`]
//! averages them into one row for eight ions and adds Bi³⁺/Sb³⁺ IV and the pseudo-ions OH⁻
//! and D⁺. Every value present in both for the same key is identical.

use super::element::Element;
use super::ion::Ion;
use serde::Deserialize;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

/// Shape of a coordination polyhedron where Shannon distinguishes it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub enum Geometry {
    #[default]
    Regular,
    /// Shannon's "SQ".
    SquarePlanar,
    /// Shannon's "PY".
    Pyramidal,
}

/// A coordination: number of neighbours plus geometry, written as Shannon's Roman numerals
/// ("VI", "IVSQ", "IIIPY") or SMACT's "6_n", "4_sq", "3_py"; both forms parse.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Coordination {
    pub number: u8,
    pub geometry: Geometry,
}

/// Spin state, for the few ions Shannon tabulates by spin (Co, Cr, Cu, Fe, Mn, Ni).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Spin {
    High,
    Low,
}

/// What a row of the table is about: an element ion, or one of SMACT's pseudo-ions.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum ShannonIon {
    Element(Element),
    /// SMACT's "OH" rows.
    Hydroxide,
    /// SMACT's "D" (deuterium) row.
    Deuterium,
}

/// Which transcription of Shannon's table to use.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ShannonTable {
    /// pymatgen's `periodic_table.json` "Shannon radii" (492 rows, spin-resolved).
    Pymatgen,
    /// SMACT's `shannon_radii.csv` (491 rows, spin-averaged, pseudo-ions included).
    Smact,
}

/// One row of Shannon's table. Radii in Å.
#[derive(Clone, Debug, PartialEq)]
pub struct ShannonRadius {
    pub ion: ShannonIon,
    pub oxidation_state: i8,
    pub coordination: Coordination,
    pub spin: Option<Spin>,
    /// Effective ionic radius (O²⁻ VI = 1.40 Å convention).
    pub ionic: f64,
    /// Crystal radius (ionic + 0.14 Å for cations, − 0.14 Å for anions).
    pub crystal: f64,
}

/// A coordination string that is neither Shannon's nor SMACT's notation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a coordination: expected Roman numerals with optional SQ/PY ('VI', 'IVSQ') or '6_n', '4_sq', '3_py'"
)]
pub struct CoordinationParseError(pub String);

impl Coordination {
    pub fn new(number: u8) -> Self {
        Coordination {
            number,
            geometry: Geometry::Regular,
        }
    }

    /// SMACT's notation: "6_n", "4_sq", "3_py".
    pub fn smact_notation(self) -> String {
        let g = match self.geometry {
            Geometry::Regular => "n",
            Geometry::SquarePlanar => "sq",
            Geometry::Pyramidal => "py",
        };
        format!("{}_{g}", self.number)
    }
}

/// Roman numeral for 1..=39 (Shannon's table stops at XIV).
fn roman(mut n: u8, out: &mut fmt::Formatter<'_>) -> fmt::Result {
    for (value, digits) in [(10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")] {
        while n >= value {
            out.write_str(digits)?;
            n -= value;
        }
    }
    Ok(())
}

fn parse_roman(s: &str) -> Option<u8> {
    if s.is_empty() || s.len() > 8 {
        return None;
    }
    let value = |c: u8| match c {
        b'I' => Some(1i32),
        b'V' => Some(5),
        b'X' => Some(10),
        _ => None,
    };
    let bytes = s.as_bytes();
    let mut total = 0i32;
    for (i, &c) in bytes.iter().enumerate() {
        let v = value(c)?;
        match bytes.get(i + 1).map(|&n| value(n)) {
            Some(Some(next)) if next > v => total -= v,
            Some(None) => return None,
            _ => total += v,
        }
    }
    let n = u8::try_from(total).ok().filter(|&n| n > 0)?;
    // Only canonical numerals: writing the number back must give the input.
    (Coordination::new(n).to_string() == s).then_some(n)
}

/// Shannon's notation: "VI", "IVSQ", "IIIPY".
impl fmt::Display for Coordination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        roman(self.number, f)?;
        match self.geometry {
            Geometry::Regular => Ok(()),
            Geometry::SquarePlanar => f.write_str("SQ"),
            Geometry::Pyramidal => f.write_str("PY"),
        }
    }
}

impl FromStr for Coordination {
    type Err = CoordinationParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || CoordinationParseError(s.to_string());
        if let Some((number, geometry)) = s.split_once('_') {
            let geometry = match geometry {
                "n" => Geometry::Regular,
                "sq" => Geometry::SquarePlanar,
                "py" => Geometry::Pyramidal,
                _ => return Err(err()),
            };
            let number: u8 = number.parse().map_err(|_| err())?;
            return if number == 0 {
                Err(err())
            } else {
                Ok(Coordination { number, geometry })
            };
        }
        let (numeral, geometry) = if let Some(n) = s.strip_suffix("SQ") {
            (n, Geometry::SquarePlanar)
        } else if let Some(n) = s.strip_suffix("PY") {
            (n, Geometry::Pyramidal)
        } else {
            (s, Geometry::Regular)
        };
        let number = parse_roman(numeral).ok_or_else(err)?;
        Ok(Coordination { number, geometry })
    }
}

#[derive(Deserialize)]
struct PymatgenRow {
    element: String,
    oxidation_state: i8,
    coordination: String,
    spin: Option<Spin>,
    ionic_radius: f64,
    crystal_radius: f64,
}

#[derive(Deserialize)]
struct SmactRow {
    ion: String,
    oxidation_state: i8,
    coordination: String,
    ionic_radius: f64,
    crystal_radius: f64,
}

#[derive(Deserialize)]
struct RawTables {
    entries: Vec<PymatgenRow>,
    smact_entries: Vec<SmactRow>,
    pymatgen_default_ionic_radii: std::collections::BTreeMap<
        String,
        std::collections::BTreeMap<String, std::collections::BTreeMap<String, f64>>,
    >,
}

/// Rows in file order plus, per element Z, the indices of its rows.
struct Table {
    rows: Vec<ShannonRadius>,
    by_z: Vec<Vec<u16>>,
}

impl Table {
    fn new(rows: Vec<ShannonRadius>) -> Self {
        let mut by_z = vec![Vec::new(); Element::COUNT + 1];
        for (i, row) in rows.iter().enumerate() {
            if let ShannonIon::Element(e) = row.ion {
                by_z[e.z() as usize].push(i as u16);
            }
        }
        Table { rows, by_z }
    }

    fn rows_of(&self, element: Element) -> impl Iterator<Item = &ShannonRadius> {
        self.by_z[element.z() as usize]
            .iter()
            .map(|&i| &self.rows[i as usize])
    }
}

struct Tables {
    pymatgen: Table,
    smact: Table,
    /// pymatgen's one-radius-per-state table, per Z: (state, default, high spin, low spin).
    default_ionic: Vec<Vec<(i8, [Option<f64>; 3])>>,
}

fn parse_ion(name: &str) -> ShannonIon {
    match name {
        "OH" => ShannonIon::Hydroxide,
        "D" => ShannonIon::Deuterium,
        symbol => ShannonIon::Element(
            Element::from_symbol(symbol).expect("embedded Shannon table names known elements"),
        ),
    }
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let raw: RawTables =
            serde_json::from_str(include_str!("../../data/chem/shannon_radii.json"))
                .expect("embedded shannon_radii.json is valid (checked by tests)");
        let coordination = |s: &str| -> Coordination {
            s.parse()
                .expect("embedded Shannon table has valid coordinations")
        };
        let pymatgen = raw
            .entries
            .iter()
            .map(|r| ShannonRadius {
                ion: parse_ion(&r.element),
                oxidation_state: r.oxidation_state,
                coordination: coordination(&r.coordination),
                spin: r.spin,
                ionic: r.ionic_radius,
                crystal: r.crystal_radius,
            })
            .collect();
        let smact = raw
            .smact_entries
            .iter()
            .map(|r| ShannonRadius {
                ion: parse_ion(&r.ion),
                oxidation_state: r.oxidation_state,
                coordination: coordination(&r.coordination),
                spin: None,
                ionic: r.ionic_radius,
                crystal: r.crystal_radius,
            })
            .collect();
        let mut default_ionic = vec![Vec::new(); Element::COUNT + 1];
        for (symbol, kinds) in &raw.pymatgen_default_ionic_radii {
            let z = Element::from_symbol(symbol).expect("known element").z() as usize;
            let list: &mut Vec<(i8, [Option<f64>; 3])> = &mut default_ionic[z];
            for (k, kind) in ["default", "high_spin", "low_spin"].iter().enumerate() {
                for (ox, &r) in kinds.get(*kind).into_iter().flatten() {
                    let ox: i8 = ox.parse().expect("integer oxidation state");
                    match list.iter_mut().find(|(o, _)| *o == ox) {
                        Some((_, radii)) => radii[k] = Some(r),
                        None => {
                            let mut radii = [None; 3];
                            radii[k] = Some(r);
                            list.push((ox, radii));
                        }
                    }
                }
            }
        }
        Tables {
            pymatgen: Table::new(pymatgen),
            smact: Table::new(smact),
            default_ionic,
        }
    })
}

impl ShannonTable {
    fn table(self) -> &'static Table {
        match self {
            ShannonTable::Pymatgen => &tables().pymatgen,
            ShannonTable::Smact => &tables().smact,
        }
    }

    /// All rows in the source's order.
    pub fn rows(self) -> &'static [ShannonRadius] {
        &self.table().rows
    }

    /// The rows for one element ion, in the source's order.
    pub fn rows_for(self, ion: Ion) -> impl Iterator<Item = &'static ShannonRadius> {
        self.table()
            .rows_of(ion.element)
            .filter(move |r| r.oxidation_state == ion.charge)
    }

    /// pymatgen's `Species.get_shannon_radius(cn, spin)` lookup: among the rows for `ion` in
    /// `coordination`, a single row is returned whatever `spin` asks; with several rows (high
    /// and low spin), the one whose spin equals `spin`.
    pub fn radius(
        self,
        ion: Ion,
        coordination: Coordination,
        spin: Option<Spin>,
    ) -> Option<&'static ShannonRadius> {
        let mut matching = self
            .rows_for(ion)
            .filter(|r| r.coordination == coordination);
        let first = matching.next()?;
        match matching.next() {
            None => Some(first),
            Some(second) => std::iter::once(first)
                .chain(std::iter::once(second))
                .chain(matching)
                .find(|r| r.spin == spin),
        }
    }

    /// SMACT's `Species(symbol, ox, coordination=cn)` radius: the first row with that charge
    /// whose coordination number is `cn` (any geometry).
    pub fn first_with_number(self, ion: Ion, cn: u8) -> Option<&'static ShannonRadius> {
        self.rows_for(ion).find(|r| r.coordination.number == cn)
    }

    /// SMACT's `average_ionic_radius` / `average_shannon_radius`: mean (ionic, crystal) radius
    /// over every row of the ion.
    pub fn average_radii(self, ion: Ion) -> Option<(f64, f64)> {
        let (mut n, mut ionic, mut crystal) = (0usize, 0.0, 0.0);
        for r in self.rows_for(ion) {
            n += 1;
            ionic += r.ionic;
            crystal += r.crystal;
        }
        (n > 0).then(|| (ionic / n as f64, crystal / n as f64))
    }
}

/// pymatgen's `Species.ionic_radius`: one radius per oxidation state (default, else high
/// spin, else low spin), in Å.
pub fn default_ionic_radius(ion: Ion) -> Option<f64> {
    let list = &tables().default_ionic[ion.element.z() as usize];
    let (_, radii) = list.iter().find(|(ox, _)| *ox == ion.charge)?;
    radii.iter().flatten().next().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ion(s: &str) -> Ion {
        s.parse().unwrap()
    }
    fn cn(s: &str) -> Coordination {
        s.parse().unwrap()
    }

    #[test]
    fn coordination_notations() {
        for s in [
            "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIV",
        ] {
            assert_eq!(cn(s).to_string(), s);
        }
        assert_eq!(
            cn("IVSQ"),
            Coordination {
                number: 4,
                geometry: Geometry::SquarePlanar
            }
        );
        assert_eq!(cn("IIIPY"), cn("3_py"));
        assert_eq!(cn("VI"), cn("6_n"));
        assert_eq!(cn("4_sq").to_string(), "IVSQ");
        assert_eq!(cn("IVSQ").smact_notation(), "4_sq");
        for bad in [
            "",
            "IIII",
            "VX",
            "SQ",
            "6",
            "0_n",
            "6_x",
            "vi",
            "IC",
            "XXXXXXXXXX",
        ] {
            assert!(bad.parse::<Coordination>().is_err(), "{bad}");
        }
    }

    #[test]
    fn tables_load_with_expected_sizes() {
        assert_eq!(ShannonTable::Pymatgen.rows().len(), 492);
        assert_eq!(ShannonTable::Smact.rows().len(), 491);
        let pseudo = ShannonTable::Smact
            .rows()
            .iter()
            .filter(|r| !matches!(r.ion, ShannonIon::Element(_)));
        assert_eq!(pseudo.count(), 5); // 4 OH- rows, 1 D+ row
    }

    #[test]
    fn pymatgen_lookup_rules() {
        let t = ShannonTable::Pymatgen;
        let o = t.radius(ion("O2-"), cn("VI"), None).unwrap();
        assert_eq!((o.ionic, o.crystal), (1.4, 1.26));
        // Fe2+ VI is spin resolved: the spin decides.
        let hs = t.radius(ion("Fe2+"), cn("VI"), Some(Spin::High)).unwrap();
        let ls = t.radius(ion("Fe2+"), cn("VI"), Some(Spin::Low)).unwrap();
        assert_eq!((hs.ionic, ls.ionic), (0.78, 0.61));
        assert!(t.radius(ion("Fe2+"), cn("VI"), None).is_none());
        // A single row is returned whatever spin is asked for.
        assert_eq!(
            t.radius(ion("Fe2+"), cn("IV"), Some(Spin::Low))
                .unwrap()
                .ionic,
            0.63
        );
        assert_eq!(t.radius(ion("Eu3+"), cn("VII"), None).unwrap().ionic, 1.01);
        assert!(t.radius(ion("Fe9+"), cn("VI"), None).is_none());
        assert_eq!(default_ionic_radius(ion("Fe3+")), Some(0.785));
        assert_eq!(default_ionic_radius(ion("Fe6+")), Some(0.39));
        assert_eq!(default_ionic_radius(ion("Fe7+")), None);
    }

    #[test]
    fn smact_table_averages_spins() {
        let t = ShannonTable::Smact;
        let fe = t.radius(ion("Fe2+"), cn("6_n"), None).unwrap();
        assert!(
            (fe.ionic - (0.78 + 0.61) / 2.0).abs() < 0.006,
            "{}",
            fe.ionic
        );
        assert!(t.radius(ion("Bi3+"), cn("IV"), None).is_some());
        assert!(
            ShannonTable::Pymatgen
                .radius(ion("Bi3+"), cn("IV"), None)
                .is_none()
        );
        assert_eq!(
            t.first_with_number(ion("Fe2+"), 4).unwrap().coordination,
            cn("4_n")
        );
        let (ionic, _) = t.average_radii(ion("O2-")).unwrap();
        assert!(ionic > 1.3 && ionic < 1.45);
    }

    #[test]
    fn shared_keys_agree_between_tables() {
        // README: 476 (ion, state, coordination, spin) keys carry identical values in both.
        let mut same = 0;
        for r in ShannonTable::Pymatgen.rows() {
            let ShannonIon::Element(e) = r.ion else {
                unreachable!()
            };
            let key = Ion::new(e, r.oxidation_state);
            let smact: Vec<_> = ShannonTable::Smact
                .rows_for(key)
                .filter(|s| s.coordination == r.coordination)
                .collect();
            if let [s] = smact[..]
                && (s.ionic, s.crystal) == (r.ionic, r.crystal)
            {
                same += 1;
            }
        }
        assert_eq!(same, 476);
    }
}
