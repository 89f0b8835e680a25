//! Tests of the POSCAR reader and writer: inline files for each feature, corpus files for
//! real-world layouts, and every malformed POSCAR of the shared corpus.

use super::{read, write};
use crate::chem::Element;
use crate::crystal::{Crystal, Occupancy, PropertyValues, Species};
use crate::error::Error;
use crate::formats::{self, Format, ReadOptions};
use std::path::PathBuf;

fn corpus(path: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus")).join(path)
}

fn el(s: &str) -> Element {
    Element::from_symbol(s).unwrap()
}

fn crystal(text: &str) -> Crystal {
    crystal_with(text, &ReadOptions::default())
}

fn crystal_with(text: &str, opts: &ReadOptions) -> Crystal {
    match read(text, "POSCAR", opts) {
        Ok(entry) => entry.structure.as_crystal().unwrap().clone(),
        Err(e) => panic!("{e}"),
    }
}

/// The error message of a file that must fail.
fn error(text: &str) -> String {
    error_with(text, &ReadOptions::default())
}

fn error_with(text: &str, opts: &ReadOptions) -> String {
    match read(text, "bad.vasp", opts) {
        Ok(_) => panic!("read a broken file:\n{text}"),
        Err(Error::Parse(e)) => {
            assert_eq!(e.file, "bad.vasp");
            e.to_string()
        }
        Err(other) => panic!("not a parse error: {other}"),
    }
}

fn elements(c: &Crystal) -> Vec<&'static str> {
    c.sites.iter().map(|s| s.occupancy.element().unwrap().symbol()).collect()
}

fn close(a: [f64; 3], b: [f64; 3], tol: f64) -> bool {
    (0..3).all(|k| (a[k] - b[k]).abs() <= tol)
}

const SRTIO3: &str = "SrTiO3 cubic\n1.0\n3.905 0 0\n0 3.905 0\n0 0 3.905\nSr Ti O\n1 1 3\nDirect\n\
                      0 0 0\n0.5 0.5 0.5\n0.5 0.5 0\n0.5 0 0.5\n0 0.5 0.5\n";

#[test]
fn vasp5_file() {
    let entry = read(SRTIO3, "dir/SrTiO3.vasp", &ReadOptions::default()).unwrap();
    assert_eq!(entry.id, "SrTiO3");
    assert_eq!(entry.location, "dir/SrTiO3.vasp");
    let c = entry.structure.as_crystal().unwrap();
    assert_eq!(elements(c), ["Sr", "Ti", "O", "O", "O"]);
    assert!((c.volume() - 3.905f64.powi(3)).abs() < 1e-9);
    assert_eq!(c.sites[1].frac, [0.5, 0.5, 0.5]);
    assert_eq!(c.properties["comment"], "SrTiO3 cubic");
    assert!(c.site_properties.is_empty());
    assert_eq!(c.pbc, [true; 3]);
}

#[test]
fn vasp4_species_from_option_comment_or_labels() {
    let vasp4 = "Zn O\n1.0\n3.2 0 0\n-1.6 2.77 0\n0 0 5.3\n2 2\nDirect\n\
                 0.333 0.667 0.0\n0.667 0.333 0.5\n0.333 0.667 0.38\n0.667 0.333 0.88\n";
    // The comment line names one element per type.
    assert_eq!(elements(&crystal(vasp4)), ["Zn", "Zn", "O", "O"]);
    // The option wins over the comment.
    let opts = ReadOptions { poscar_species: Some(vec![el("Cd"), el("S")]), ..ReadOptions::default() };
    assert_eq!(elements(&crystal_with(vasp4, &opts)), ["Cd", "Cd", "S", "S"]);
    let three = ReadOptions { poscar_species: Some(vec![el("Cd"), el("S"), el("O")]), ..ReadOptions::default() };
    assert!(error_with(vasp4, &three).contains("3 species were given (--species) but the file has 2 atom types"));
    // No usable comment: the reader asks for --species, at the counts line.
    let unknown = vasp4.replacen("Zn O", "$cell vectors", 1);
    let e = error(&unknown);
    assert!(e.starts_with("bad.vasp:6: VASP 4 POSCAR without an element line"), "{e}");
    assert!(e.contains("--species"), "{e}");
    // Element symbols after every coordinate (pymatgen's rule).
    let labelled = unknown
        .replace("0.0\n", "0.0 Zn\n")
        .replace("0.5\n", "0.5 Zn\n")
        .replace("0.38\n", "0.38 O\n")
        .replace("0.88\n", "0.88 O\n");
    let c = crystal(&labelled);
    assert_eq!(elements(&c), ["Zn", "Zn", "O", "O"]);
    assert_eq!(c.sites[0].label.as_deref(), Some("Zn"));
    // pymatgen's FePO4 test file: VASP 4, labels, negative scale.
    let text =
        std::fs::read_to_string(corpus("structures/poscar/pymatgen-core__io__vasp__inputs__FePO4.vasp")).unwrap();
    let c = crystal(&text);
    assert_eq!(c.composition().reduced_formula(), "FePO4");
    assert!((c.volume() - 300.65685512).abs() < 1e-6);
}

#[test]
fn scale_factors() {
    let base = |scale: &str| format!("x\n{scale}\n2 0 0\n0 2 0\n0 0 2\nSi\n1\nCartesian\n0.5 0.5 0.5\n");
    // Universal scale: lattice and Cartesian positions.
    let c = crystal(&base("1.5"));
    assert!((c.volume() - 27.0).abs() < 1e-9);
    assert!(close(c.cartesian(0), [0.75; 3], 1e-12));
    assert!(close(c.sites[0].frac, [0.25; 3], 1e-12));
    // Negative: target volume; positions scaled by the same factor.
    let c = crystal(&base("-64"));
    assert!((c.volume() - 64.0).abs() < 1e-9);
    assert!(close(c.cartesian(0), [1.0; 3], 1e-12));
    // Three per-axis factors scale x, y, z components.
    let c = crystal(&base("1 2 3"));
    assert_eq!(c.lattice.matrix(), &[[2.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 6.0]]);
    assert!(close(c.cartesian(0), [0.5, 1.0, 1.5], 1e-12));
    assert!(close(c.sites[0].frac, [0.25; 3], 1e-12));
    // A comment after the factor is fine.
    assert!((crystal(&base("2.0 ! scaling")).volume() - 64.0).abs() < 1e-9);
    assert!(error(&base("0")).starts_with("bad.vasp:2:1: scale factor must be non-zero"));
    assert!(error(&base("1 2")).contains("one scale factor or three"));
    assert!(error(&base("1 -2 3")).contains("per-axis scale factors must be positive"));
    assert!(error(&base("abc")).starts_with("bad.vasp:2:1: expected the scale factor"));
    assert!(error(&base("inf")).contains("must be a finite number"));
}

#[test]
fn selective_dynamics() {
    let text = "sd\n1.0\n4 0 0\n0 4 0\n0 0 4\nNa Cl\n1 1\nSelective dynamics\nDirect\n\
                0 0 0 F F F\n0.5 0.5 0.5 T T F ! free in plane\n";
    let c = crystal(text);
    let sd = &c.site_properties["selective_dynamics"];
    assert_eq!(sd.width, 3);
    assert_eq!(sd.values, PropertyValues::Bool(vec![false, false, false, true, true, false]));
    assert_eq!(c.sites[1].label, None);
    let e = error(&text.replace("T T F", "T Q F"));
    assert!(e.starts_with("bad.vasp:11:15: selective dynamics flag must be T or F, found 'Q'"), "{e}");
    assert!(error(&text.replace("F F F", "")).starts_with("bad.vasp:10: expected 3 selective dynamics flags"));
}

#[test]
fn cartesian_and_potcar_names() {
    let text = "x\n1.0\n5 0 0\n0 5 0\n0 0 5\nFe_pv O_s/4a3b Mn_sv Si_GW\n1 1 1 1\nK\n\
                0 0 0\n2.5 0 0\n0 2.5 0\n0 0 2.5\n";
    let c = crystal(text);
    assert_eq!(elements(&c), ["Fe", "O", "Mn", "Si"]);
    assert!(close(c.sites[1].frac, [0.5, 0.0, 0.0], 1e-12));
    let e = error(&text.replace("Mn_sv", "Qq"));
    assert!(e.starts_with("bad.vasp:6:16: unknown element 'Qq' in the species line"), "{e}");
}

#[test]
fn velocities() {
    let text = "v\n1.0\n4 0 0\n0 4 0\n0 0 4\nAr\n2\nDirect\n0 0 0\n0.5 0.5 0.5\n\n0.1 0.2 0.3\n-0.1 0 0\n";
    let c = crystal(text);
    assert_eq!(c.site_properties["velocities"].values, PropertyValues::Real(vec![0.1, 0.2, 0.3, -0.1, 0.0, 0.0]));
    // Direct velocities are converted to Cartesian.
    let direct = text.replace("0.5 0.5 0.5\n\n", "0.5 0.5 0.5\nDirect\n");
    let PropertyValues::Real(v) = &crystal(&direct).site_properties["velocities"].values else { panic!() };
    assert!(close([v[0], v[1], v[2]], [0.4, 0.8, 1.2], 1e-12));
    // A truncated velocity block is an error; a trailing blank line is not a block.
    let e = error(&text.replace("-0.1 0 0\n", ""));
    assert!(e.starts_with("bad.vasp:13: expected 2 velocity lines, found 1"), "{e}");
    assert!(!crystal(&text.replace("\n0.1 0.2 0.3\n-0.1 0 0\n", "\n\n")).site_properties.contains_key("velocities"));
    // A CONTCAR of an NpT run: lattice velocities (skipped), velocities, predictor-corrector.
    let contcar =
        std::fs::read_to_string(corpus("structures/poscar/pymatgen-core__io__vasp__outputs__CONTCAR.MD.npt")).unwrap();
    let c = crystal(&contcar);
    assert_eq!(c.num_sites(), 8);
    let PropertyValues::Real(v) = &c.site_properties["velocities"].values else { panic!() };
    assert_eq!(v.len(), 24);
    assert_eq!(v[0], -0.26486997e-1);
}

#[test]
fn multiline_species_and_crlf() {
    let text = std::fs::read_to_string(corpus(
        "structures/poscar/pymatgen-core__io__vasp__inputs__POSCAR_symbols_natoms_multilines",
    ))
    .unwrap();
    let c = crystal(&text);
    assert_eq!(c.num_sites(), 53);
    assert_eq!(c.composition().formula(), "Cr16 Fe35 Ni2");
    let crlf = SRTIO3.replace('\n', "\r\n");
    assert_eq!(crystal(&crlf), crystal(SRTIO3).clone_with_comment("SrTiO3 cubic"));
}

trait WithComment {
    fn clone_with_comment(&self, comment: &str) -> Crystal;
}

impl WithComment for Crystal {
    fn clone_with_comment(&self, comment: &str) -> Crystal {
        let mut c = self.clone();
        c.properties.insert("comment".into(), comment.into());
        c
    }
}

#[test]
fn structural_errors() {
    // A comment after the counts is fine, other text is not.
    assert_eq!(crystal(&SRTIO3.replace("1 1 3", "1 1 3 ! Sr Ti O")).num_sites(), 5);
    let e = error(&SRTIO3.replace("1 1 3", "1 1 3 x"));
    assert!(e.starts_with("bad.vasp:7:"), "{e}");
    let e = error(&SRTIO3.replace("1 1 3", "1 1 30"));
    assert!(e.starts_with("bad.vasp:14: expected 32 coordinate lines (atom counts on line 7), found 5"), "{e}");
    let e = error(&SRTIO3.replace("1 1 3", "1 1 100000000000000"));
    assert!(e.contains("expected 100000000000002 coordinate lines"), "{e}");
    let e = error(&SRTIO3.replace("1 1 3", "1 1 99999999999999999999999"));
    assert!(e.contains("too large"), "{e}");
    let e = error(&SRTIO3.replace("1 1 3", "1 3"));
    assert!(e.starts_with("bad.vasp:7: 3 element names on line 6 but 2 atom counts on line 7"), "{e}");
    let e = error(&SRTIO3.replace("1 1 3", "1 0 3"));
    assert!(e.starts_with("bad.vasp:7:3: atom count must be a positive integer"), "{e}");
    // Without the mode line, integer coordinates look like more counts.
    let e = error(&SRTIO3.replace("Direct\n", ""));
    assert!(
        e.starts_with("bad.vasp:8:1: expected the coordinate mode line ('Direct' or 'Cartesian'), found '0 0 0'"),
        "{e}"
    );
    let e = error(&SRTIO3.replace("Direct\n0 0 0", "0.1 0 0"));
    assert!(
        e.starts_with("bad.vasp:8:1: expected the coordinate mode line ('Direct' or 'Cartesian'), found '0.1 0 0'"),
        "{e}"
    );
    let e = error(&SRTIO3.replace("0 3.905 0\n", "0 3.905\n"));
    assert!(e.starts_with("bad.vasp:4:1: expected a lattice vector (three numbers), found '0 3.905'"), "{e}");
    let e = error(&SRTIO3.replace("0 0 3.905", "3.905 0 0"));
    assert!(e.starts_with("bad.vasp:3: lattice vectors (lines 3-5): degenerate lattice"), "{e}");
    let e = error(&SRTIO3.replace("0.5 0 0.5", "0.5 nan 0.5"));
    assert!(e.starts_with("bad.vasp:12:5: coordinate y must be a finite number, found 'nan'"), "{e}");
    let e = error(&SRTIO3.replace("0.5 0 0.5", "0.5 1e400 0.5"));
    assert!(e.contains("must be a finite number, found '1e400'"), "{e}");
    let e = error(&SRTIO3.replace("0.5 0 0.5", "0.5 0.5 0"));
    assert!(e.starts_with("bad.vasp:11: atoms on lines 11 and 12 (sites 3 and 4) overlap"), "{e}");
    let no_check = ReadOptions { min_distance: 0.0, ..ReadOptions::default() };
    assert_eq!(crystal_with(&SRTIO3.replace("0.5 0 0.5", "0.5 0.5 0"), &no_check).num_sites(), 5);
    let e = error(&SRTIO3.replace("0 0.5 0.5", "0 0.5 0.5\n0.25 0.25 0.25"));
    assert!(e.starts_with("bad.vasp:14:1: expected the end of the coordinates"), "{e}");
    assert!(error("").contains("empty file"));
    assert!(error("   \n\n").contains("empty file"));
}

#[test]
fn round_trip() {
    let text = "rt\n1.0\n4.1 0.1 0\n0.2 3.9 0\n0.1 0.3 5.7\nFe O Fe\n1 2 1\nSelective dynamics\nDirect\n\
                0.1 0.2 0.3 T F T Fe1\n0.6 0.2 0.3 F F F\n1.0000000000000002e-7 0.5 0.99 T T T\n0.3 0.7 0.5 F T F\n\n\
                0.001 0.002 0.003\n0 0 0\n-1e-5 2 3\n4 5 6\n";
    let original = crystal(text);
    assert_eq!(elements(&original), ["Fe", "O", "O", "Fe"]);
    let mut out = Vec::new();
    write(&original, "round trip", &mut out).unwrap();
    let written = String::from_utf8(out).unwrap();
    assert!(written.starts_with("round trip\n1.0\n"), "{written}");
    assert!(written.contains("  Fe    O   Fe\n   1    2    1\nSelective dynamics\nDirect\n"), "{written}");
    let back = crystal(&written);
    assert_eq!(back.lattice, original.lattice);
    for (a, b) in back.sites.iter().zip(&original.sites) {
        assert!(close(a.frac, b.frac, 1e-15));
        assert_eq!((a.occupancy.clone(), a.label.clone()), (b.occupancy.clone(), b.label.clone()));
    }
    assert_eq!(back.site_properties, original.site_properties);
    // Writing the read-back crystal again gives the same text.
    let mut again = Vec::new();
    write(&back, "round trip", &mut again).unwrap();
    assert_eq!(String::from_utf8(again).unwrap(), written);
}

#[test]
fn writer_refuses_what_poscar_cannot_hold() {
    let mut c = crystal(SRTIO3);
    c.sites[0].occupancy = Occupancy::mixed(vec![(Species::new(el("Sr")), 0.5), (Species::new(el("Ba")), 0.5)]);
    let e = write(&c, "x", &mut Vec::new()).unwrap_err();
    assert_eq!(e.to_string(), "POSCAR cannot hold partial occupancies");
    // Oxidation states are dropped; the multi-line comment is flattened.
    let mut c = crystal(SRTIO3);
    c.sites[0].occupancy = Occupancy::ordered(Species::with_oxidation(el("Sr"), 2.0));
    let mut out = Vec::new();
    write(&c, "a\nb", &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("a b\n"));
    assert_eq!(elements(&crystal(&text)), ["Sr", "Ti", "O", "O", "O"]);
}

#[test]
fn malformed_corpus_files_fail_cleanly() {
    let dir = corpus("malformed");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !name.starts_with("POSCAR_") {
            continue;
        }
        seen += 1;
        let result = formats::read_path(&path, Some(Format::Poscar), &ReadOptions::default());
        let error = match result {
            Err(e) => e,
            Ok(records) => match records.into_iter().next() {
                Some(Err(e)) => e,
                _ => panic!("{name}: read without error"),
            },
        };
        let Error::Parse(e) = &error else { panic!("{name}: {error}") };
        assert!(e.file.ends_with(&name), "{name}: {error}");
        // Every error but the empty file's points at a line.
        assert!(e.line.is_some() || name == "POSCAR_empty", "{name}: {error}");
    }
    assert_eq!(seen, 16);
}

#[test]
fn never_panics_on_truncated_or_damaged_files() {
    let text = std::fs::read_to_string(corpus("structures/poscar/pyiron__poscar_samples__POSCAR_random")).unwrap()
        + "\n0.1 0.2 0.3\n";
    let opts = ReadOptions::default();
    for (i, c) in text.char_indices() {
        let _ = read(&text[..i], "cut.vasp", &opts);
        // Replace one character by a character class that tends to confuse parsers.
        for junk in ["\n", " ", "x", "-", "9"] {
            let _ = read(&format!("{}{junk}{}", &text[..i], &text[i + c.len_utf8()..]), "damaged.vasp", &opts);
        }
    }
}
