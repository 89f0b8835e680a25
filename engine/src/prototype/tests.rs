use super::*;
use crate::formats::{self, Format, ReadOptions};

const EXPECTED: [(&str, u16, &str, usize); 10] = [
    ("perovskite", 221, "1a 1b 3c", 5),
    ("double_perovskite", 225, "4a 4b 8c 24e", 10),
    ("rocksalt", 225, "4a 4b", 2),
    ("cscl", 221, "1a 1b", 2),
    ("zincblende", 216, "4a 4c", 2),
    ("wurtzite", 186, "2b 2b", 4),
    ("fluorite", 225, "4a 8c", 3),
    ("rutile", 136, "2a 4f", 6),
    ("spinel", 227, "8a 16d 32e", 14),
    ("heusler", 225, "4a 4b 8c", 4),
];

#[test]
fn builtins_have_the_expected_space_groups_and_wyckoff_positions() {
    assert_eq!(BUILTIN_NAMES.len(), EXPECTED.len());
    for (name, number, wyckoff, sites) in EXPECTED {
        let p = Prototype::builtin(name).unwrap();
        assert_eq!(p.space_group.number, number, "{name}");
        assert_eq!(p.wyckoff_sequence(), wyckoff, "{name}");
        assert_eq!(p.crystal.sites.len(), sites, "{name}");
        assert_eq!(p.symmetry().number, Some(number));
        // The letters written in the table are the ones moyo finds in the built cell.
        let a = analysis::analyse(&p.crystal, DEFAULT_SYMPREC).unwrap();
        for o in &p.orbits {
            for &s in &o.sites {
                assert_eq!(a.wyckoff_letters[s], o.wyckoff.letter, "{name} {}", o.label);
                assert_eq!(a.multiplicities[s], o.wyckoff.multiplicity, "{name} {}", o.label);
                assert_eq!(a.orbits[s], a.orbits[o.sites[0]], "{name} {}: one orbit", o.label);
            }
        }
        // Operations map the crystal onto itself.
        for op in &p.symmetry().operations {
            for site in &p.crystal.sites {
                let image = op.apply(site.frac);
                assert!(
                    p.crystal.sites.iter().any(|t| t.occupancy == site.occupancy
                        && (0..3).all(|k| ((image[k] - t.frac[k]) - (image[k] - t.frac[k]).round()).abs() < 1e-6)),
                    "{name}: {op:?}"
                );
            }
        }
    }
    assert!(matches!(Prototype::builtin("nope"), Err(PrototypeError::Unknown(_))));
    assert_eq!(Prototype::builtin("Perovskite").unwrap().name, "perovskite");
}

#[test]
fn coordination_numbers_match_the_geometry() {
    for (name, label, cn) in [
        ("perovskite", "A", 12),
        ("perovskite", "B", 6),
        ("rocksalt", "A", 6),
        ("cscl", "A", 8),
        ("zincblende", "X", 4),
        ("wurtzite", "A", 4),
        ("fluorite", "A", 8),
        ("fluorite", "X", 4),
        ("rutile", "A", 6),
        ("rutile", "X", 3),
        ("spinel", "A", 4),
        ("spinel", "B", 6),
        ("spinel", "X", 4),
        ("double_perovskite", "B1", 6),
        ("double_perovskite", "A", 12),
    ] {
        let p = Prototype::builtin(name).unwrap();
        let o = p.orbit(label).unwrap();
        assert_eq!(o.coordination, cn, "{name} {label}");
        let (cns, _) = analysis::first_shells(&p.crystal);
        assert_eq!(cns[o.sites[0]], cn, "{name} {label}: first shell");
    }
    // The perovskite anion is looked up at VI (2 B + 4 A), as Shannon's O2- VI = 1.40 Å.
    assert_eq!(Prototype::builtin("perovskite").unwrap().orbit("X").unwrap().coordination, 6);
}

#[test]
fn perovskite_contacts_are_the_two_bond_lengths() {
    let p = Prototype::builtin("perovskite").unwrap();
    let a = 3.905;
    let mut lengths: Vec<f64> = p.contacts().iter().map(|c| c.distance).collect();
    lengths.sort_by(f64::total_cmp);
    lengths.dedup_by(|x, y| (*x - *y).abs() < 1e-9);
    assert_eq!(lengths.len(), 2, "{lengths:?}");
    // B-X a/2; A-X and X-X a/√2.
    assert!((lengths[0] - a / 2.0).abs() < 1e-9);
    assert!((lengths[1] - a / 2f64.sqrt()).abs() < 1e-9);
    assert_eq!(p.orbit_charges(), vec![Some(2), Some(4), Some(-2)]);
    // Heusler: no ions given, and SMACT finds no neutral ionic assignment for Cu2MnAl.
    assert!(Prototype::builtin("heusler").unwrap().orbits.iter().all(|o| o.ion().is_none()));
}

#[test]
fn any_crystal_is_a_prototype() {
    let poscar = "BaTiO3\n1.0\n4.0 0 0\n0 4.0 0\n0 0 4.0\nBa Ti O\n1 1 3\nDirect\n\
                  0 0 0\n0.5 0.5 0.5\n0.5 0.5 0\n0.5 0 0.5\n0 0.5 0.5\n";
    let entries = formats::read_str(poscar, "POSCAR", Format::Poscar, &ReadOptions::default()).unwrap();
    let crystal = entries[0].as_ref().unwrap().structure.as_crystal().unwrap().clone();
    let p = Prototype::from_crystal("bto", &crystal).unwrap();
    let labels: Vec<&str> = p.orbits.iter().map(|o| o.label.as_str()).collect();
    assert_eq!(labels, ["Ba", "Ti", "O"]);
    assert_eq!(p.space_group.number, 221);
    assert_eq!(p.orbit("O").unwrap().sites, vec![2, 3, 4]);
    assert_eq!(p.orbit("Ti").unwrap().coordination, 6);
    // Charges inferred (no oxidation states in a POSCAR).
    assert_eq!(p.orbit_charges(), vec![Some(2), Some(4), Some(-2)]);

    // Fe3O4 in the spinel cell: Fe on two orbits → Wyckoff labels.
    let spinel = Prototype::builtin("spinel").unwrap();
    let mut fe3o4 = spinel.crystal.clone();
    let fe = Element::from_symbol("Fe").unwrap();
    for s in &mut fe3o4.sites {
        let e = s.occupancy.species()[0].0.element;
        let new = if e.symbol() == "O" { e } else { fe };
        s.occupancy = crate::crystal::Occupancy::ordered(new);
    }
    let p = Prototype::from_crystal("magnetite", &fe3o4).unwrap();
    let mut labels: Vec<String> = p.orbits.iter().map(|o| o.label.clone()).collect();
    labels.sort();
    assert_eq!(labels, ["16d", "8a", "O"]);
    assert_eq!(p.space_group.number, 227);

    // Disordered sites cannot be prototypes.
    let mut mixed = crystal.clone();
    mixed.sites[0].occupancy = crate::crystal::Occupancy::mixed(vec![(Species::new(fe), 0.5)]);
    assert_eq!(Prototype::from_crystal("x", &mixed).unwrap_err(), PrototypeError::Disordered { site: 0 });
}
