//! Periodic-table helpers for scripts: `elements("transition_metals")`, `element("Sr").z`.

use super::fail;
use crate::chem::{Element, OxidationStateSet};
use rhai::{Array, Dynamic, Engine, EvalAltResult, Map};

/// Named element groups (pymatgen's classification, Z 1–103).
const GROUPS: [&str; 14] = [
    "all",
    "metals",
    "alkali",
    "alkaline_earth",
    "transition_metals",
    "post_transition_metals",
    "lanthanoids",
    "actinoids",
    "rare_earths",
    "metalloids",
    "chalcogens",
    "halogens",
    "noble_gases",
    "smact_anions",
];

fn in_group(e: Element, group: &str) -> Option<bool> {
    let d = e.data();
    Some(match group {
        "all" => true,
        "metals" => d.is_metal,
        "alkali" => d.is_alkali,
        "alkaline_earth" => d.is_alkaline_earth,
        "transition_metals" => d.is_transition_metal,
        "post_transition_metals" => d.is_post_transition_metal,
        "lanthanoids" => d.is_lanthanoid,
        "actinoids" => d.is_actinoid,
        "rare_earths" => d.is_rare_earth,
        "metalloids" => d.is_metalloid,
        "chalcogens" => d.is_chalcogen,
        "halogens" => d.is_halogen,
        "noble_gases" => d.is_noble_gas,
        "smact_anions" => d.smact_anion,
        _ => return None,
    })
}

/// The symbols of a group, by atomic number.
pub fn group(name: &str) -> Result<Vec<Element>, String> {
    if in_group(Element::from_z(1).map_err(|e| e.to_string())?, name).is_none() {
        return Err(format!("unknown element group '{name}' (known: {})", GROUPS.join(", ")));
    }
    Ok(Element::all().filter(|e| in_group(*e, name) == Some(true)).collect())
}

fn element_map(symbol: &str) -> Result<Map, Box<EvalAltResult>> {
    let e = match Element::from_symbol(symbol) {
        Ok(e) => e,
        Err(err) => return fail(err.to_string()),
    };
    let d = e.data();
    let mut m = Map::new();
    let float = |x: Option<f64>| x.map_or(Dynamic::UNIT, Dynamic::from_float);
    m.insert("symbol".into(), Dynamic::from(e.symbol().to_string()));
    m.insert("name".into(), Dynamic::from(d.name.clone()));
    m.insert("z".into(), Dynamic::from_int(e.z() as rhai::INT));
    m.insert("mass".into(), Dynamic::from_float(e.mass()));
    m.insert("electronegativity".into(), float(e.electronegativity()));
    m.insert("group".into(), Dynamic::from_int(d.group as rhai::INT));
    m.insert("period".into(), Dynamic::from_int(d.period as rhai::INT));
    m.insert("is_metal".into(), Dynamic::from_bool(d.is_metal));
    m.insert("covalent_radius".into(), float(e.covalent_radius()));
    m.insert("mendeleev_number".into(), Dynamic::from_int(e.mendeleev_number() as rhai::INT));
    let states: Array = e
        .oxidation_states(OxidationStateSet::default())
        .iter()
        .map(|&s| Dynamic::from_int(s as rhai::INT))
        .collect();
    m.insert("oxidation_states".into(), Dynamic::from_array(states));
    Ok(m)
}

pub fn register(engine: &mut Engine) {
    engine.register_fn("elements", |name: &str| -> Result<Array, Box<EvalAltResult>> {
        match group(name) {
            Ok(v) => Ok(v.into_iter().map(|e| Dynamic::from(e.symbol().to_string())).collect()),
            Err(e) => fail(e),
        }
    });
    engine.register_fn("element", element_map);
}
