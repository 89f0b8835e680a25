//! Tests of the XYZ / extended XYZ reader and writer.

use super::{read, write};
use crate::chem::Element;
use crate::crystal::{Crystal, Entry, Molecule, PropertyValues, SiteProperty, Structure};
use crate::error::{Error, ParseError};
use crate::formats::{self, Format, ReadOptions};
use serde_json::json;
use std::path::PathBuf;

fn corpus(path: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus")).join(path)
}

fn frames(text: &str) -> Vec<Result<Entry, String>> {
    read(text, "dir/test.xyz", &ReadOptions::default())
        .unwrap()
        .into_iter()
        .map(|r| r.map_err(|e| e.to_string()))
        .collect()
}

fn one(text: &str) -> Structure {
    let mut all = frames(text);
    assert_eq!(all.len(), 1);
    match all.remove(0) {
        Ok(entry) => entry.structure,
        Err(e) => panic!("{e}"),
    }
}

fn crystal(text: &str) -> Crystal {
    match one(text) {
        Structure::Crystal(c) => c,
        Structure::Molecule(_) => panic!("read a molecule"),
    }
}

fn molecule(text: &str) -> Molecule {
    match one(text) {
        Structure::Molecule(m) => m,
        Structure::Crystal(_) => panic!("read a crystal"),
    }
}

/// The error of the only frame (or of the file).
fn error(text: &str) -> String {
    match read(text, "bad.xyz", &ReadOptions::default()) {
        Err(e) => e.to_string(),
        Ok(records) => match records.into_iter().next() {
            Some(Err(e)) => e.to_string(),
            _ => panic!("read a broken file:\n{text}"),
        },
    }
}

fn symbols(m: &Molecule) -> Vec<&'static str> {
    m.species.iter().map(|s| s.element.symbol()).collect()
}

#[test]
fn plain_xyz_is_a_molecule() {
    let text = "3\nwater, optimised\nO 0.0 0.0 0.1173\nh 0.0 0.7572 -0.4692 0.41 extra\n1 0.0 -0.7572 -0.4692\n";
    let entry = frames(text).remove(0).unwrap();
    assert_eq!((entry.id.as_str(), entry.location.as_str()), ("test#1", "frame 1"));
    let Structure::Molecule(m) = entry.structure else { panic!() };
    // Species in any case or as atomic numbers; extra columns of plain XYZ are ignored.
    assert_eq!(symbols(&m), ["O", "H", "H"]);
    assert_eq!(m.positions[1], [0.0, 0.7572, -0.4692]);
    assert_eq!(m.properties["comment"], "water, optimised");
    assert!(m.site_properties.is_empty());
}

#[test]
fn extended_xyz_crystal() {
    let text = r#"2
Lattice="4.0 0.0 0.0 0.0 4.0 0.0 0.0 0.0 6.0" Properties=species:S:1:pos:R:3:forces:R:3:Z:I:1:tag:I:1:fixed:L:1:name:S:1 energy=-10.5 stress="1 0 0 0 1 0 0 0 1" config_type="bulk \"NaCl\"" is_relaxed pbc="T T F"
Na 0.0 0.0 0.0 0.1 0.2 0.3 11 7 T first
XX 2.0 2.0 3.0 -0.1 -0.2 -0.3 17 8 f second
"#;
    let c = crystal(text);
    // Z wins over the species column.
    let symbols: Vec<_> = c.sites.iter().map(|s| s.occupancy.element().unwrap().symbol()).collect();
    assert_eq!(symbols, ["Na", "Cl"]);
    assert_eq!(c.sites[1].frac, [0.5, 0.5, 0.5]);
    assert_eq!(c.pbc, [true, true, false]);
    assert_eq!(c.properties["energy"], json!(-10.5));
    assert_eq!(c.properties["stress"], json!([1, 0, 0, 0, 1, 0, 0, 0, 1]));
    assert_eq!(c.properties["config_type"], json!("bulk \"NaCl\""));
    assert_eq!(c.properties["is_relaxed"], json!(true));
    assert!(!c.properties.contains_key("Lattice") && !c.properties.contains_key("pbc"));
    let sp = &c.site_properties;
    assert_eq!(sp["forces"], SiteProperty::real(3, vec![0.1, 0.2, 0.3, -0.1, -0.2, -0.3]));
    assert_eq!(sp["tag"].values, PropertyValues::Int(vec![7, 8]));
    assert_eq!(sp["fixed"].values, PropertyValues::Bool(vec![true, false]));
    assert_eq!(sp["name"].values, PropertyValues::Str(vec!["first".into(), "second".into()]));
    assert!(!sp.contains_key("species") && !sp.contains_key("Z") && !sp.contains_key("pos"));
    // pbc defaults to periodic when a lattice is given.
    let c = crystal("1\nLattice=\"3 0 0 0 3 0 0 0 3\"\nSi 0 0 0\n");
    assert_eq!(c.pbc, [true; 3]);
}

#[test]
fn frames_crlf_and_blank_lines() {
    let text = "1\r\nframe=1\r\nC 0 0 0\r\n2\r\nframe=2\r\nC 0 0 0\r\nO 0 0 1.2\r\n\r\n\r\n";
    let all = frames(text);
    assert_eq!(all.len(), 2);
    let second = all[1].as_ref().unwrap();
    assert_eq!((second.id.as_str(), second.location.as_str()), ("test#2", "frame 2"));
    let Structure::Molecule(m) = &second.structure else { panic!() };
    assert_eq!(m.positions[1], [0.0, 0.0, 1.2]);
    assert_eq!(m.properties["frame"], json!(2));
    // As in ASE, a blank line where an atom count is expected ends the frames.
    assert_eq!(frames("1\n\nC 0 0 0\n\nnotes that are not a frame\n").len(), 1);
    // An error inside a frame is that frame's record; the next frame is still read.
    let all = frames("1\n\nQq 0 0 0\n1\n\nC 0 0 0\n");
    assert!(all[0].as_ref().unwrap_err().starts_with("dir/test.xyz:3:1: frame 1: unknown element 'Qq'"));
    assert!(all[1].is_ok());
    // A truncated frame ends the file; earlier frames are kept.
    let all = frames("1\n\nC 0 0 0\n3\n\nC 0 0 0\nC 0 0 1.5\n");
    assert_eq!(all.len(), 2);
    assert!(all[0].is_ok());
    assert_eq!(all[1].as_ref().unwrap_err(), "dir/test.xyz:4: frame 2: expected 3 atom lines, file has 2");
    // So does text that is not an atom count after a frame.
    let all = frames("1\n\nC 0 0 0\nC 1 1 1\n");
    assert!(all[1].as_ref().unwrap_err().contains(":4: frame 2: expected the number of atoms"));
}

#[test]
fn errors_name_line_and_column() {
    let e = error("sixteen\n\nC 0 0 0\n");
    assert_eq!(e, "bad.xyz:1: frame 1: expected the number of atoms (a non-negative integer), found 'sixteen'");
    assert_eq!(
        error("100000000000000\n\nC 0 0 0\n"),
        "bad.xyz:1: frame 1: expected 100000000000000 atom lines, file has 1"
    );
    assert_eq!(
        error("99999999999999999999999999\n\nC 0 0 0\n"),
        "bad.xyz:1: frame 1: expected the number of atoms (a non-negative integer), found '99999999999999999999999999'"
    );
    assert_eq!(
        error("-1\n\n"),
        "bad.xyz:1: frame 1: expected the number of atoms (a non-negative integer), found '-1'"
    );
    assert_eq!(error("0\ncomment\n"), "bad.xyz:1: frame 1: frame has no atoms");
    assert_eq!(error("1\n\nC 0 NaN 0\n"), "bad.xyz:3:5: frame 1: position must be a finite number, found 'NaN'");
    assert_eq!(error("1\n\nC 0 abc 0\n"), "bad.xyz:3:5: frame 1: expected a number for the y coordinate, found 'abc'");
    assert_eq!(
        error("1\n\nC 0 0\n"),
        "bad.xyz:3: frame 1: expected at least 4 fields as an atom line needs (species x y z), found 3"
    );
    let props = "1\nProperties=species:S:1:pos:R:3:forces:R:3\nC 0 0 0 1 2\n";
    assert_eq!(error(props), "bad.xyz:3: frame 1: expected 7 fields as the Properties key declares, found 6");
    assert_eq!(
        error("1\nProperties=species:S:1:pos:R:3:q:X:1\nC 0 0 0 1\n"),
        "bad.xyz:2:32: frame 1: unknown column type 'X' for 'q' in Properties (expected S, R, I or L)"
    );
    assert_eq!(
        error("1\nProperties=species:S:1:pos:R:3:q:I:1\nC 0 0 0 1.5\n"),
        "bad.xyz:3:9: frame 1: expected an integer for 'q', found '1.5'"
    );
    assert_eq!(
        error("1\nLattice=\"1 0 0 0 1 0\"\nC 0 0 0\n"),
        "bad.xyz:2:9: frame 1: Lattice must be 9 numbers (a1 a2 a3 b1 b2 b3 c1 c2 c3, in Å), found 6 values"
    );
    assert!(
        error("1\nLattice=\"1 0 0 0 1 0 1 0 0\"\nC 0 0 0\n")
            .starts_with("bad.xyz:2:9: frame 1: Lattice: degenerate lattice")
    );
    assert_eq!(
        error("1\nZ=3 Properties=Z:I:1:pos:R:3\n0 0 0 0\n"),
        "bad.xyz:3:1: frame 1: 0 is not an atomic number of a known element (1-103)"
    );
    let e = error("2\nLattice=\"3 0 0 0 3 0 0 0 3\"\nC 0 0 0\nC 0 0 2.9\n");
    assert_eq!(
        e,
        "bad.xyz:3: frame 1: atoms on lines 3 and 4 (atoms 1 and 2) overlap: distance 0.1000 Å is below 0.5 Å"
    );
    let e = error("2\n\nC 0 0 0\nC 0 0 0.2\n");
    assert_eq!(
        e,
        "bad.xyz:3: frame 1: atoms on lines 3 and 4 (atoms 1 and 2) overlap: distance 0.2000 Å is below 0.5 Å"
    );
    let lenient = ReadOptions { min_distance: 0.0, ..ReadOptions::default() };
    assert!(read("2\n\nC 0 0 0\nC 0 0 0.2\n", "x.xyz", &lenient).unwrap()[0].is_ok());
    assert_eq!(error(""), "bad.xyz: empty file: expected an XYZ atom count");
}

#[test]
fn round_trip_crystal() {
    let text = r#"3
Lattice="4.1 0.1 0.0 0.2 3.9 0.0 0.1 0.3 5.7" Properties=species:S:1:pos:R:3:forces:R:3:tag:I:1:fixed:L:1:label:S:1 energy=-3.25 n=7 name="two words" nums="1 2 3" flags="T F" mixed=[1,2.5] info="_JSON {\"k\": [1, \"a\"]}" looks_numeric="_JSON \"1.5\"" pbc="T T F"
Fe 0.1 0.2 0.3 1e-9 0.5 -0.25 1 T a
O 1.7 2.3 4.4 0 0 0 2 F b
Fe 3.1 0.7 5.0 1.5 2.5 3.5 3 T c
"#;
    let original = crystal(text);
    assert_eq!(original.properties["mixed"], json!([1.0, 2.5]));
    assert_eq!(original.properties["info"], json!({"k": [1, "a"]}));
    assert_eq!(original.properties["looks_numeric"], json!("1.5"));
    let mut out = Vec::new();
    write(&Structure::Crystal(original.clone()), &mut out).unwrap();
    let written = String::from_utf8(out).unwrap();
    let back = crystal(&written);
    assert_eq!(back.lattice, original.lattice);
    assert_eq!(back.pbc, original.pbc);
    assert_eq!(back.properties, original.properties);
    assert_eq!(back.site_properties, original.site_properties);
    for (a, b) in back.sites.iter().zip(&original.sites) {
        assert_eq!(a.occupancy, b.occupancy);
        assert!((0..3).all(|k| (a.frac[k] - b.frac[k]).abs() < 1e-8), "{:?} vs {:?}", a.frac, b.frac);
    }
}

#[test]
fn round_trip_molecule() {
    let text = "3\nmethanol fragment\nC -0.046 0.663 0.0\nO -0.046 -0.758 1e-7\nH -1.086 0.975 0.0\n";
    let original = molecule(text);
    let mut out = Vec::new();
    write(&Structure::Molecule(original.clone()), &mut out).unwrap();
    let written = String::from_utf8(out).unwrap();
    assert!(written.starts_with("3\nProperties=species:S:1:pos:R:3 comment=\"methanol fragment\"\n"), "{written}");
    assert!(!written.contains("Lattice") && !written.contains("pbc"));
    assert_eq!(molecule(&written), original);
}

#[test]
fn writer_refuses_disorder_and_keeps_column_names_free() {
    use crate::crystal::{Occupancy, Species};
    let mut c = crystal("1\nLattice=\"3 0 0 0 3 0 0 0 3\"\nSi 0 0 0\n");
    c.site_properties.insert("species".into(), SiteProperty::real(1, vec![1.0]));
    let mut out = Vec::new();
    write(&Structure::Crystal(c.clone()), &mut out).unwrap();
    let back = crystal(&String::from_utf8(out).unwrap());
    assert_eq!(back.site_properties["site_species"], SiteProperty::real(1, vec![1.0]));
    let si = Element::from_symbol("Si").unwrap();
    c.sites[0].occupancy = Occupancy::mixed(vec![(Species::new(si), 0.5)]);
    let e = write(&Structure::Crystal(c), &mut Vec::new()).unwrap_err();
    assert_eq!(e.to_string(), "XYZ cannot hold partial occupancies");
}

#[test]
fn corpus_files() {
    // Multi-frame extXYZ with virials, energies and forces.
    let records = formats::read_path(
        &corpus("structures/xyz/gpumd__tests_pytest__fixtures__training__train.xyz"),
        None,
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(records.len(), 4);
    for r in &records {
        let c = r.as_ref().unwrap().structure.as_crystal().unwrap();
        assert!(c.properties.contains_key("energy"));
        assert_eq!(c.site_properties["force"].width, 3);
    }
}

#[test]
fn malformed_corpus_files_fail_cleanly() {
    let dir = corpus("malformed");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.starts_with("xyz_") {
            continue;
        }
        seen += 1;
        let result = formats::read_path(&path, Some(Format::Xyz), &ReadOptions::default());
        let errors: Vec<Error> = match result {
            Err(e) => vec![e],
            Ok(records) => records.into_iter().filter_map(Result::err).collect(),
        };
        // The truncated second frame keeps the first frame and reports the second.
        assert_eq!(errors.len(), 1, "{name}: {errors:?}");
        let Error::Parse(ParseError { file, line, .. }) = &errors[0] else { panic!("{name}: {}", errors[0]) };
        assert!(file.ends_with(&name), "{name}");
        assert!(line.is_some() || name == "xyz_empty.xyz", "{name}: {}", errors[0]);
    }
    assert_eq!(seen, 13);
}

#[test]
fn never_panics_on_truncated_or_damaged_files() {
    let text = std::fs::read_to_string(corpus("structures/xyz/chemfiles__xyz__extended.xyz")).unwrap();
    let text: String = text.lines().take(12).chain(text.lines().skip(200).take(16)).collect::<Vec<_>>().join("\n");
    let opts = ReadOptions::default();
    for (i, c) in text.char_indices() {
        let _ = read(&text[..i], "cut.xyz", &opts);
        for junk in ["\n", " ", "\"", "=", "[", "9"] {
            let _ = read(&format!("{}{junk}{}", &text[..i], &text[i + c.len_utf8()..]), "damaged.xyz", &opts);
        }
    }
}
