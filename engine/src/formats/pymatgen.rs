//! pymatgen's JSON: the dict of `Structure.as_dict()` (`Structure.to(fmt="json")`), one
//! structure per file:
//!
//! ```text
//! {"@module": "pymatgen.core.structure", "@class": "Structure", "charge": 0,
//!  "lattice": {"matrix": [[..],[..],[..]], "pbc": [true, true, true], "a": .., ..},
//!  "sites": [{"species": [{"element": "Fe", "occu": 1, "oxidation_state": 3}],
//!             "abc": [..], "xyz": [..], "label": "Fe", "properties": {"magmom": 5}}],
//!  "properties": {}}
//! ```
//!
//! Reading takes fractional `abc` (or Cartesian `xyz` when `abc` is absent), species with
//! occupancies and oxidation states, site labels (a label that only repeats the species,
//! pymatgen's default, is dropped), per-site `properties` (→ site properties), `pbc`, and the
//! structure `properties` (plus `charge` when it is non-zero and not just the sum of the
//! oxidation states, and any unknown top-level field) as crystal properties. `Molecule.as_dict()` dicts read as molecules. Writing emits the same
//! layout, readable by `Structure.from_dict`.

use super::ReadOptions;
use super::jsonl::convert::{
    self, FieldError, array, describe, mat3, number, object, parse_species, site_property, site_property_value,
};
use super::jsonl::locate::Seg;
use crate::crystal::{
    Crystal, Entry, Lattice, LatticeParameters, Molecule, Occupancy, Properties, Site, SiteProperties, Species,
    Structure,
};
use crate::error::Result;
use crate::math::Vec3;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::io::Write;

/// Reads one pymatgen Structure (or Molecule) dict. The entry id is the file name without
/// its `.json` / `.gz` extensions.
pub fn read(text: &str, file: &str, opts: &ReadOptions) -> Result<Entry> {
    let value: Value = serde_json::from_str(text).map_err(|e| convert::syntax_error(&e, text, file, 1))?;
    let structure = structure_from_value(&value, opts.min_distance).map_err(|e| e.into_parse_error(text, file, 1))?;
    let name = std::path::Path::new(file)
        .file_name()
        .map_or(file.into(), |n| n.to_string_lossy());
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    let id = name.strip_suffix(".json").unwrap_or(name).to_string();
    Ok(Entry {
        id,
        location: "structure".into(),
        structure,
    })
}

fn field<'a>(map: &'a Map<String, Value>, key: &str, what: &str) -> Result<&'a Value, FieldError> {
    map.get(key)
        .ok_or_else(|| FieldError::new(format!("missing \"{key}\" ({what})")))
}

/// A Structure or Molecule dict (also used for pymatgen dicts inside JSON Lines records).
/// Crystals are validated with `min_distance` (Å) like every reader's output.
pub(crate) fn structure_from_value(v: &Value, min_distance: f64) -> Result<Structure, FieldError> {
    let map = object(
        v,
        "a pymatgen Structure dict (an object with \"lattice\" and \"sites\")",
    )?;
    match map.get("@class").and_then(Value::as_str) {
        Some("Structure" | "IStructure") => crystal_from_dict(map, min_distance).map(Structure::Crystal),
        Some("Molecule" | "IMolecule") => molecule_from_dict(map).map(Structure::Molecule),
        None if map.contains_key("lattice") => crystal_from_dict(map, min_distance).map(Structure::Crystal),
        None if map.contains_key("sites") => molecule_from_dict(map).map(Structure::Molecule),
        Some(other) => Err(FieldError::at(
            vec![Seg::Key("@class".into())],
            format!("expected a pymatgen Structure or Molecule, found class '{other}'"),
        )),
        None => Err(FieldError::new(
            "expected a pymatgen Structure dict: an object with \"lattice\" and \"sites\"",
        )),
    }
}

fn crystal_from_dict(map: &Map<String, Value>, min_distance: f64) -> Result<Crystal, FieldError> {
    let (lattice, pbc) = lattice(field(map, "lattice", "the lattice")?).map_err(|e| e.in_key("lattice"))?;
    let sites_v = array(field(map, "sites", "the list of sites")?, "a list of sites").map_err(|e| e.in_key("sites"))?;
    let mut sites = Vec::with_capacity(sites_v.len());
    for (i, s) in sites_v.iter().enumerate() {
        sites.push(site(s, &lattice).map_err(|e| e.in_index(i).in_key("sites"))?);
    }
    let mut crystal = Crystal::new(lattice, sites);
    if let Some(pbc) = pbc {
        crystal.pbc = pbc;
    }
    crystal.site_properties = site_properties(sites_v)?;
    crystal.validate(min_distance).map_err(|e| {
        let site = |i: usize| vec![Seg::Key("sites".into()), Seg::Index(i)];
        convert::validation_error(
            e,
            &site,
            &|i| [site(i), vec![Seg::Key("species".into())]].concat(),
            vec![Seg::Key("lattice".into())],
            &|_| vec![Seg::Key("sites".into())],
        )
    })?;
    crystal.properties = properties(map, &["lattice", "sites", "charge", "properties"])?;
    // pymatgen writes the charge implied by the oxidation states when none was set: keep
    // only a charge that says more than the species already do.
    let implied = implied_charge(&crystal);
    if crystal
        .properties
        .get("charge")
        .and_then(Value::as_f64)
        .is_some_and(|c| (c - implied).abs() < 1e-8)
        && map.get("properties").and_then(|p| p.get("charge")).is_none()
    {
        crystal.properties.remove("charge");
    }
    Ok(crystal)
}

/// Sum of oxidation state × occupancy over all sites (e).
fn implied_charge(crystal: &Crystal) -> f64 {
    crystal
        .sites
        .iter()
        .flat_map(|s| s.occupancy.species())
        .map(|(sp, occ)| sp.oxidation.unwrap_or(0.0) * occ)
        .sum()
}

/// The lattice dict: `matrix` (rows = vectors, Å) or, failing that, `a b c alpha beta gamma`
/// (Å, degrees); a bare 3×3 list is accepted too. Returns the `pbc` flags when given.
fn lattice(v: &Value) -> Result<(Lattice, Option<[bool; 3]>), FieldError> {
    let invalid =
        |path: &str, e: crate::crystal::CrystalError| FieldError::at(vec![Seg::Key(path.into())], e.to_string());
    let Value::Object(m) = v else {
        let matrix = mat3(v)?;
        return Lattice::new(matrix)
            .map(|l| (l, None))
            .map_err(|e| FieldError::new(e.to_string()));
    };
    let pbc = m
        .get("pbc")
        .map(|p| convert::pbc(p).map_err(|e| e.in_key("pbc")))
        .transpose()?;
    if let Some(matrix) = m.get("matrix") {
        let matrix = mat3(matrix).map_err(|e| e.in_key("matrix"))?;
        return Ok((Lattice::new(matrix).map_err(|e| invalid("matrix", e))?, pbc));
    }
    let mut p = [0.0; 6];
    for (x, name) in p.iter_mut().zip(["a", "b", "c", "alpha", "beta", "gamma"]) {
        let value = field(m, name, "a lattice needs \"matrix\" or a, b, c, alpha, beta, gamma")?;
        *x = number(value).map_err(|e| e.in_key(name))?;
    }
    let [a, b, c, alpha, beta, gamma] = p;
    let params = LatticeParameters {
        a,
        b,
        c,
        alpha,
        beta,
        gamma,
    };
    Ok((
        Lattice::from_parameters(params).map_err(|e| FieldError::new(e.to_string()))?,
        pbc,
    ))
}

/// The species of a site dict: `[{"element": "Fe", "occu": 0.5, "oxidation_state": 2}, ..]`.
fn species_list(site: &Map<String, Value>) -> Result<Vec<(Species, f64)>, FieldError> {
    let list = array(
        field(site, "species", "the species on the site")?,
        "a list of {\"element\", \"occu\"} objects",
    )
    .map_err(|e| e.in_key("species"))?;
    if list.is_empty() {
        return Err(FieldError::new("the site has no species").in_key("species"));
    }
    let mut out = Vec::with_capacity(list.len());
    for (j, sp) in list.iter().enumerate() {
        let in_path = |e: FieldError| e.in_index(j).in_key("species");
        let o = object(sp, "a species object {\"element\": .., \"occu\": ..}").map_err(in_path)?;
        let element = field(o, "element", "the element symbol").map_err(in_path)?;
        let symbol = element.as_str().ok_or_else(|| {
            in_path(
                FieldError::new(format!("expected an element symbol, found {}", describe(element))).in_key("element"),
            )
        })?;
        let mut species = parse_species(symbol).map_err(|e| in_path(FieldError::new(e).in_key("element")))?;
        if let Some(ox) = o.get("oxidation_state").filter(|v| !v.is_null()) {
            let ox = number(ox).map_err(|e| in_path(e.in_key("oxidation_state")))?;
            let ox = convert::oxidation(ox).map_err(|e| in_path(FieldError::new(e).in_key("oxidation_state")))?;
            species.oxidation = Some(ox);
        }
        let occu = match o.get("occu") {
            Some(v) => number(v).map_err(|e| in_path(e.in_key("occu")))?,
            None => 1.0,
        };
        out.push((species, occu));
    }
    Ok(out)
}

fn site(v: &Value, lattice: &Lattice) -> Result<Site, FieldError> {
    let m = object(v, "a site object")?;
    let occupancy = Occupancy::mixed(species_list(m)?);
    let frac = match (m.get("abc"), m.get("xyz")) {
        (Some(abc), _) => convert::vec3(abc).map_err(|e| e.in_key("abc"))?,
        (None, Some(xyz)) => {
            let frac = lattice.to_fractional(convert::vec3(xyz).map_err(|e| e.in_key("xyz"))?);
            if !frac.iter().all(|x| x.is_finite()) {
                return Err(FieldError::new("fractional coordinates are not finite").in_key("xyz"));
            }
            frac
        }
        (None, None) => {
            return Err(FieldError::new(
                "a site needs \"abc\" (fractional) or \"xyz\" (Cartesian, Å) coordinates",
            ));
        }
    };
    let label = m
        .get("label")
        .and_then(Value::as_str)
        .filter(|l| !is_default_label(l, &occupancy))
        .map(str::to_string);
    Ok(Site { occupancy, frac, label })
}

/// pymatgen labels every site; a label that only names what sits there ("Fe", "Fe3+",
/// "Fe:0.500, Ni:0.500") carries no information and is not kept.
fn is_default_label(label: &str, occupancy: &Occupancy) -> bool {
    // "D" parses as hydrogen but says more than "H": the symbol must be the element's own.
    let names = |name: &str, sp: &Species| {
        name.trim().starts_with(sp.element.symbol()) && parse_species(name).is_ok_and(|l| l == *sp)
    };
    let species = occupancy.species();
    if let [(sp, occ)] = species
        && *occ == 1.0
        && names(label, sp)
    {
        return true;
    }
    let parts: Vec<&str> = label.split(',').collect();
    parts.len() == species.len()
        && parts.iter().all(|part| {
            part.split_once(':').is_some_and(|(name, occ)| {
                let Ok(occ) = occ.trim().parse::<f64>() else {
                    return false;
                };
                species.iter().any(|(sp, o)| names(name, sp) && (o - occ).abs() < 5e-4)
            })
        })
}

/// pymatgen's default label (its `species_string`).
fn default_label(occupancy: &Occupancy) -> String {
    match occupancy.species() {
        [(sp, occ)] if *occ == 1.0 => sp.to_string(),
        species => species
            .iter()
            .map(|(sp, occ)| format!("{sp}:{occ:.3}"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Per-site `properties` of every site, as typed site properties (a site lacking a
/// numeric property gets NaN there, as pymatgen fills `None`).
fn site_properties(sites: &[Value]) -> Result<SiteProperties, FieldError> {
    fn props_of(site: &Value) -> Option<&Map<String, Value>> {
        site.get("properties").and_then(Value::as_object)
    }
    let names: BTreeSet<&String> = sites.iter().filter_map(props_of).flat_map(|p| p.keys()).collect();
    let mut out = SiteProperties::new();
    for name in names {
        let values: Vec<Option<&Value>> = sites.iter().map(|s| props_of(s).and_then(|p| p.get(name))).collect();
        let prop = site_property(&values).map_err(|mut e| {
            // site_property paths start at the site index: move it under sites[i].properties.name.
            let mut path = vec![Seg::Key("sites".into())];
            let rest = if e.path.is_empty() {
                Vec::new()
            } else {
                e.path.split_off(1)
            };
            path.append(&mut e.path);
            path.push(Seg::Key("properties".into()));
            path.push(Seg::Key(name.clone()));
            path.extend(rest);
            e.message = format!("site property '{name}': {}", e.message);
            FieldError::at(path, e.message)
        })?;
        out.insert(name.clone(), prop);
    }
    Ok(out)
}

/// Structure-level properties: the `properties` dict, a non-zero `charge`, and any other
/// top-level field that is not structural or a `@` tag.
fn properties(map: &Map<String, Value>, structural: &[&str]) -> Result<Properties, FieldError> {
    let mut out = Properties::new();
    if let Some(p) = map.get("properties").filter(|v| !v.is_null()) {
        let p = object(p, "an object of properties").map_err(|e| e.in_key("properties"))?;
        out.extend(p.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    if let Some(charge) = map.get("charge").filter(|c| !c.is_null() && c.as_f64() != Some(0.0)) {
        out.entry("charge".into()).or_insert_with(|| charge.clone());
    }
    for (k, v) in map {
        if !structural.contains(&k.as_str()) && !k.starts_with('@') {
            out.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    Ok(out)
}

fn molecule_from_dict(map: &Map<String, Value>) -> Result<Molecule, FieldError> {
    let sites_v = array(field(map, "sites", "the list of atoms")?, "a list of sites").map_err(|e| e.in_key("sites"))?;
    if sites_v.is_empty() {
        return Err(FieldError::new("the molecule has no atoms").in_key("sites"));
    }
    let mut species = Vec::with_capacity(sites_v.len());
    let mut positions: Vec<Vec3> = Vec::with_capacity(sites_v.len());
    for (i, s) in sites_v.iter().enumerate() {
        let in_path = |e: FieldError| e.in_index(i).in_key("sites");
        let m = object(s, "a site object").map_err(in_path)?;
        match species_list(m).map_err(in_path)?.as_slice() {
            [(sp, occ)] if *occ == 1.0 => species.push(*sp),
            _ => {
                let e = FieldError::new("partially occupied or mixed molecule sites are not supported");
                return Err(in_path(e.in_key("species")));
            }
        }
        let xyz = field(m, "xyz", "Cartesian coordinates, Å").map_err(in_path)?;
        positions.push(convert::vec3(xyz).map_err(|e| in_path(e.in_key("xyz")))?);
    }
    Ok(Molecule {
        species,
        positions,
        properties: properties(map, &["sites", "charge", "properties"])?,
        site_properties: site_properties(sites_v)?,
    })
}

/// Writes `crystal` as a `Structure.as_dict()` JSON object on one line. A numeric `charge`
/// property becomes the structure's charge (else the oxidation states' sum, as pymatgen
/// writes); labels default to the species string.
pub fn write(crystal: &Crystal, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, &crystal_value(crystal))?;
    out.write_all(b"\n")
}

fn crystal_value(crystal: &Crystal) -> Value {
    let p = crystal.lattice.parameters();
    let lattice = json!({
        "matrix": crystal.lattice.matrix(), "pbc": crystal.pbc,
        "a": p.a, "b": p.b, "c": p.c, "alpha": p.alpha, "beta": p.beta, "gamma": p.gamma,
        "volume": crystal.volume(),
    });
    let sites: Vec<Value> = crystal
        .sites
        .iter()
        .enumerate()
        .map(|(i, site)| {
            let species: Vec<Value> = site
                .occupancy
                .species()
                .iter()
                .map(|(sp, occ)| {
                    let mut o = json!({"element": sp.element.symbol(), "occu": occ});
                    if let Some(ox) = sp.oxidation {
                        o["oxidation_state"] = Value::from(ox);
                    }
                    o
                })
                .collect();
            let properties: Map<String, Value> = crystal
                .site_properties
                .iter()
                .map(|(name, p)| (name.clone(), site_property_value(p, i)))
                .collect();
            json!({
                "species": species,
                "abc": site.frac,
                "xyz": crystal.lattice.to_cartesian(site.frac),
                "label": site.label.clone().unwrap_or_else(|| default_label(&site.occupancy)),
                "properties": properties,
            })
        })
        .collect();
    // Like pymatgen, write the charge the oxidation states imply when none was set.
    let charge = crystal.properties.get("charge").filter(|c| c.is_number());
    let properties: Map<String, Value> = crystal
        .properties
        .iter()
        .filter(|(k, _)| charge.is_none() || k.as_str() != "charge")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    json!({
        "@module": "pymatgen.core.structure",
        "@class": "Structure",
        "charge": charge.cloned().unwrap_or_else(|| Value::from(implied_charge(crystal))),
        "lattice": lattice,
        "properties": properties,
        "sites": sites,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chem::Element;
    use crate::crystal::{PropertyValues, SiteProperty};
    use crate::formats::{self, Format};

    /// `Structure.as_dict()` from pymatgen 2025 (hexagonal cell, a disordered site with
    /// oxidation states, magmom site property).
    const PYMATGEN: &str = r#"{"@module": "pymatgen.core.structure", "@class": "Structure", "charge": 0.5, "lattice": {"matrix": [[2.5, 0.0, 1.5308084989341916e-16], [-1.2499999999999998, 2.165063509461097, 1.5308084989341916e-16], [0.0, 0.0, 4.1]], "pbc": [true, true, true], "a": 2.5, "b": 2.5, "c": 4.1, "alpha": 90.0, "beta": 90.0, "gamma": 119.99999999999999, "volume": 22.191900971976242}, "properties": {}, "sites": [{"species": [{"element": "Fe", "oxidation_state": 3, "spin": null, "occu": 0.5}, {"element": "Ni", "oxidation_state": 2, "spin": null, "occu": 0.5}], "abc": [0.0, 0.0, 0.0], "properties": {"magmom": 2.0}, "label": "Fe3+:0.5, Ni2+:0.5", "xyz": [0.0, 0.0, 0.0]}, {"species": [{"element": "O", "oxidation_state": -2, "spin": null, "occu": 1}], "abc": [0.3333333333333333, 0.6666666666666666, 0.5], "properties": {"magmom": 0.0}, "label": "O2-", "xyz": [1.2027416100105862e-16, 1.4433756729740645, 2.05]}]}"#;

    fn el(s: &str) -> Element {
        Element::from_symbol(s).unwrap()
    }

    fn read_crystal(text: &str) -> Crystal {
        let entry = read(text, "dir/mp-1.json", &ReadOptions::default()).unwrap();
        assert_eq!(entry.id, "mp-1");
        entry.structure.into_crystal("x", "test").unwrap()
    }

    #[test]
    fn reads_pymatgen_output() {
        let c = read_crystal(PYMATGEN);
        assert_eq!(c.num_sites(), 2);
        assert_eq!(
            c.sites[0].occupancy.species(),
            &[
                (Species::with_oxidation(el("Fe"), 3.0), 0.5),
                (Species::with_oxidation(el("Ni"), 2.0), 0.5)
            ]
        );
        assert_eq!(c.sites[1].frac, [1.0 / 3.0, 2.0 / 3.0, 0.5]);
        assert!(c.sites.iter().all(|s| s.label.is_none()), "default labels are dropped");
        assert_eq!(c.site_properties["magmom"], SiteProperty::real(1, vec![2.0, 0.0]));
        assert!(
            c.properties.is_empty(),
            "the charge only repeats the oxidation states: {:?}",
            c.properties
        );
        assert!((c.volume() - 22.191900971976242).abs() < 1e-12);
        assert_eq!(Format::sniff(PYMATGEN), Format::PymatgenJson);
    }

    #[test]
    fn write_then_read_gives_the_same_crystal() {
        let mut c = read_crystal(PYMATGEN);
        c.sites[1].label = Some("O1".into());
        c.sites.push(Site::new(el("Li"), [0.5, 0.5, 0.0]));
        c.site_properties.insert(
            "magmom".into(),
            SiteProperty::real(3, (0..9).map(|i| i as f64 / 7.0).collect()),
        );
        c.site_properties.insert(
            "kind".into(),
            SiteProperty {
                width: 1,
                values: PropertyValues::Str(vec!["a".into(), "b".into(), "c".into()]),
            },
        );
        c.site_properties.insert(
            "fixed".into(),
            SiteProperty {
                width: 3,
                values: PropertyValues::Bool(vec![false; 9]),
            },
        );
        c.properties.insert("charge".into(), Value::from(1.5));
        c.properties.insert("source".into(), json!({"db": "x", "n": [1, 2]}));
        c.pbc = [true, false, true];
        let mut out = Vec::new();
        write(&c, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["charge"], 1.5);
        assert_eq!(v["sites"][0]["label"], "Fe3+:0.500, Ni2+:0.500");
        assert_eq!(v["sites"][2]["species"], json!([{"element": "Li", "occu": 1.0}]));
        assert_eq!(read_crystal(&text), c);
        // Through the format API too.
        let entry = Entry {
            id: "c".into(),
            location: String::new(),
            structure: Structure::Crystal(c.clone()),
        };
        let mut out = Vec::new();
        formats::write(&[&entry], Format::PymatgenJson, &mut out).unwrap();
        let back = formats::read_bytes(&out, "c.json", Format::PymatgenJson, &ReadOptions::default()).unwrap();
        assert_eq!(back[0].as_ref().unwrap().structure, Structure::Crystal(c));
    }

    #[test]
    fn other_layouts() {
        // Lattice parameters instead of a matrix, Cartesian-only sites, symbols with charges.
        let text = r#"{"lattice": {"a": 4, "b": 4, "c": 4, "alpha": 90, "beta": 90, "gamma": 90},
            "sites": [{"species": [{"element": "Cs+", "occu": 1}], "xyz": [0, 0, 0]},
                      {"species": [{"element": "Cl", "occu": 1, "oxidation_state": -1}], "xyz": [2, 2, 2], "label": "Cl7"}],
            "energy": -3.5}"#;
        let c = read_crystal(text);
        assert_eq!(c.sites[1].frac, [0.5, 0.5, 0.5]);
        assert_eq!(c.sites[0].occupancy.species()[0].0.oxidation, Some(1.0));
        assert_eq!(c.sites[1].label.as_deref(), Some("Cl7"));
        assert_eq!(c.properties["energy"], -3.5);
        // Molecules.
        let text = r#"{"@module": "pymatgen.core.structure", "@class": "Molecule", "charge": 0, "spin_multiplicity": 1, "sites": [{"name": "C", "species": [{"element": "C", "occu": 1}], "xyz": [0.0, 0.0, 0.0], "properties": {}, "label": "C"}, {"name": "O", "species": [{"element": "O", "occu": 1}], "xyz": [0.0, 0.0, 1.13], "properties": {}, "label": "O"}], "properties": {}}"#;
        let entry = read(text, "co.json", &ReadOptions::default()).unwrap();
        let Structure::Molecule(m) = entry.structure else {
            panic!("expected a molecule")
        };
        assert_eq!(m.positions, vec![[0.0; 3], [0.0, 0.0, 1.13]]);
        assert_eq!(m.composition().formula(), "C1 O1");
        assert_eq!(m.properties["spin_multiplicity"], 1);
    }

    #[test]
    fn errors_name_the_line_of_the_bad_value() {
        let pretty = serde_json::to_string_pretty(&serde_json::from_str::<Value>(PYMATGEN).unwrap()).unwrap();
        // Line of the last occurrence of `needle` (the second site is the last one).
        let line_of = |text: &str, needle: &str| {
            text.lines()
                .collect::<Vec<_>>()
                .iter()
                .rposition(|l| l.contains(needle))
                .unwrap()
                + 1
        };
        let cases = [
            (
                pretty.replace("\"O\"", "\"Qq\""),
                "Qq",
                "sites[1].species[0].element: unknown element 'Qq'",
            ),
            (
                pretty.replace("0.6666666666666666", "\"x\""),
                "\"x\"",
                "sites[1].abc[1]: expected a finite number, found \"x\"",
            ),
            (
                pretty.replace("\"occu\": 1", "\"occu\": 1.5"),
                "\"species\"",
                "sites[1].species: site 1: occupancy 1.5 must be in (0, 1]",
            ),
            (
                pretty.replace("4.1\n", "0.0\n"),
                "\"matrix\"",
                "lattice.matrix: degenerate lattice",
            ),
            (
                pretty.replace("\"magmom\": 0.0", "\"magmom\": \"up\""),
                "\"up\"",
                "sites[1].properties.magmom: site property 'magmom'",
            ),
            (
                pretty.replace("\"oxidation_state\": -2", "\"oxidation_state\": 1e9"),
                "1e9",
                "sites[1].species[0].oxidation_state: oxidation state",
            ),
        ];
        for (text, needle, message) in cases {
            let e = read(&text, "p.json", &ReadOptions::default()).unwrap_err().to_string();
            let prefix = format!("p.json:{}:", line_of(&text, needle));
            assert!(
                e.starts_with(&prefix) && e.contains(message),
                "{e}\n  wanted {prefix} .. {message}"
            );
        }
        let overlap = PYMATGEN.replace("[0.3333333333333333, 0.6666666666666666, 0.5]", "[0.01, 0.0, 0.0]");
        let e = read(&overlap, "o.json", &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("sites[1]: sites 0 and 1 overlap") && e.contains("(other: sites[0] at 1:"),
            "{e}"
        );
    }

    #[test]
    fn refuses_what_is_not_a_structure() {
        let deep = "[".repeat(100_000);
        for (text, message) in [
            ("", "p.json:1:1: truncated JSON: EOF while parsing a value"),
            ("[1, 2]", "p.json:1:1: expected a pymatgen Structure dict"),
            (
                "{\"@class\": \"Lattice\", \"matrix\": []}",
                "p.json:1:12: @class: expected a pymatgen Structure or Molecule, found class 'Lattice'",
            ),
            (
                "{\"lattice\": {\"matrix\": [[1,0,0],[0,1,0],[0,0,1]]}}",
                "p.json:1:1: missing \"sites\"",
            ),
            (
                "{\"lattice\": [[1,0,0],[0,1,0],[0,0,1]], \"sites\": []}",
                "p.json:1:49: sites: structure has no sites",
            ),
            (
                "{\"sites\": [{\"species\": [{\"element\": \"H\", \"occu\": 0.5}], \"xyz\": [0,0,0]}]}",
                "p.json:1:24: sites[0].species: partially occupied",
            ),
            (deep.as_str(), "p.json:1:128: invalid JSON: recursion limit exceeded"),
        ] {
            let e = read(text, "p.json", &ReadOptions::default()).unwrap_err().to_string();
            assert!(e.starts_with(message), "{e}\n  wanted {message}");
        }
    }
}
