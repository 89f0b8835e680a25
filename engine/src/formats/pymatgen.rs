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
    let structure =
        structure_from_value(&value, opts.min_distance).map_err(|e| e.into_parse_error(text, file, 1))?;
    let name = std::path::Path::new(file).file_name().map_or(file.into(), |n| n.to_string_lossy());
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    let id = name.strip_suffix(".json").unwrap_or(name).to_string();
    Ok(Entry { id, location: "structure".into(), structure })
}

fn field<'a>(map: &'a Map<String, Value>, key: &str, what: &str) -> Result<&'a Value, FieldError> {
    map.get(key).ok_or_else(|| FieldError::new(format!("missing \"{key}\" ({what})")))
}

/// A Structure or Molecule dict (also used for pymatgen dicts inside JSON Lines records).
/// Crystals are validated with `min_distance` (Å) like every reader's output.
pub(crate) fn structure_from_value(v: &Value, min_distance: f64) -> Result<Structure, FieldError> {
    let map = object(v, "a pymatgen Structure dict (an object with \"lattice\" and \"sites\")")?;
    match map.get("@class").and_then(Value::as_str) {
        Some("Structure" | "IStructure") => crystal_from_dict(map, min_distance).map(Structure::Crystal),
        Some("Molecule" | "IMolecule") => molecule_from_dict(map).map(Structure::Molecule),
        None if map.contains_key("lattice") => crystal_from_dict(map, min_distance).map(Structure::Crystal),
        None if map.contains_key("sites") => molecule_from_dict(map).map(Structure::Molecule),
        Some(other) => Err(FieldError::at(
            vec![Seg::Key("@class".into())],
            format!("expected a pymatgen Structure or Molecule, found class '{other}'"),
        )),
        None => Err(FieldError::new("expected a pymatgen Structure dict: an object with \"lattice\" and \"sites\"")),
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
    let implied: f64 = crystal
        .sites
        .iter()
        .flat_map(|s| s.occupancy.species())
        .map(|(sp, occ)| sp.oxidation.unwrap_or(0.0) * occ)
        .sum();
    if crystal.properties.get("charge").and_then(Value::as_f64).is_some_and(|c| (c - implied).abs() < 1e-8)
        && map.get("properties").and_then(|p| p.get("charge")).is_none()
    {
        crystal.properties.remove("charge");
    }
    Ok(crystal)
}

/// The lattice dict: `matrix` (rows = vectors, Å) or, failing that, `a b c alpha beta gamma`
/// (Å, degrees); a bare 3×3 list is accepted too. Returns the `pbc` flags when given.
fn lattice(v: &Value) -> Result<(Lattice, Option<[bool; 3]>), FieldError> {
    let invalid = |path: &str, e: crate::crystal::CrystalError| FieldError::at(vec![Seg::Key(path.into())], e.to_string());
    let Value::Object(m) = v else {
        let matrix = mat3(v)?;
        return Lattice::new(matrix).map(|l| (l, None)).map_err(|e| FieldError::new(e.to_string()));
    };
    let pbc = m.get("pbc").map(|p| convert::pbc(p).map_err(|e| e.in_key("pbc"))).transpose()?;
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
    let params = LatticeParameters { a, b, c, alpha, beta, gamma };
    Ok((Lattice::from_parameters(params).map_err(|e| FieldError::new(e.to_string()))?, pbc))
}

/// The species of a site dict: `[{"element": "Fe", "occu": 0.5, "oxidation_state": 2}, ..]`.
fn species_list(site: &Map<String, Value>) -> Result<Vec<(Species, f64)>, FieldError> {
    let list = array(field(site, "species", "the species on the site")?, "a list of {\"element\", \"occu\"} objects")
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
            in_path(FieldError::new(format!("expected an element symbol, found {}", describe(element))).in_key("element"))
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
            return Err(FieldError::new("a site needs \"abc\" (fractional) or \"xyz\" (Cartesian, Å) coordinates"));
        }
    };
    let label = m.get("label").and_then(Value::as_str).filter(|l| !is_default_label(l, &occupancy)).map(str::to_string);
    Ok(Site { occupancy, frac, label })
}

/// pymatgen labels every site; a label that only names what sits there ("Fe", "Fe3+",
/// "Fe:0.500, Ni:0.500") carries no information and is not kept.
fn is_default_label(label: &str, occupancy: &Occupancy) -> bool {
    let species = occupancy.species();
    if let [(sp, occ)] = species {
        if *occ == 1.0 && parse_species(label).is_ok_and(|l| l == *sp) {
            return true;
        }
    }
    let parts: Vec<&str> = label.split(',').collect();
    parts.len() == species.len()
        && parts.iter().all(|part| {
            part.split_once(':').is_some_and(|(name, occ)| {
                let (Ok(name), Ok(occ)) = (parse_species(name), occ.trim().parse::<f64>()) else { return false };
                species.iter().any(|(sp, o)| *sp == name && (o - occ).abs() < 5e-4)
            })
        })
}

/// pymatgen's default label (its `species_string`).
fn default_label(occupancy: &Occupancy) -> String {
    match occupancy.species() {
        [(sp, occ)] if *occ == 1.0 => sp.to_string(),
        species => species.iter().map(|(sp, occ)| format!("{sp}:{occ:.3}")).collect::<Vec<_>>().join(", "),
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
            let rest = if e.path.is_empty() { Vec::new() } else { e.path.split_off(1) };
            path.extend(e.path.drain(..));
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
/// property becomes the structure's charge; labels default to the species string.
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
            let properties: Map<String, Value> =
                crystal.site_properties.iter().map(|(name, p)| (name.clone(), site_property_value(p, i))).collect();
            json!({
                "species": species,
                "abc": site.frac,
                "xyz": crystal.lattice.to_cartesian(site.frac),
                "label": site.label.clone().unwrap_or_else(|| default_label(&site.occupancy)),
                "properties": properties,
            })
        })
        .collect();
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
        "charge": charge.cloned().unwrap_or(Value::from(0)),
        "lattice": lattice,
        "properties": properties,
        "sites": sites,
    })
}
