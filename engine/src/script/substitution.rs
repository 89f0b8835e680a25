//! Prototypes and substitution in scripts:
//!
//! ```rhai
//! let p = prototype("perovskite");              // built-in; or load_prototype("cifs/x.cif")
//! let s = substitute(p, #{ A: ["Sr", "Ba"], B: ["Ti"], X: ["O3", "O2N"] });
//! let h = substitute_hautier(p, #{ threshold: 0.001 });   // Hautier et al. 2011
//! ```

use super::api::{Screen, SourceSpec};
use super::values::{dynamic_to_option, strings};
use super::{Slot, fail, shared};
use crate::formats::{self, ReadOptions};
use crate::plugin::{Failure, OptionValue};
use crate::prototype::Prototype;
use crate::substitute::{HautierOptions, Substitution};
use rhai::{Dynamic, Engine, EvalAltResult, Map};
use std::sync::Arc;

type Res<T> = Result<T, Box<EvalAltResult>>;

/// A prototype as scripts see it (`p.name`, `p.orbits`, `p.space_group`).
#[derive(Clone)]
pub struct ScriptPrototype(pub Arc<Prototype>);

fn source(sub: Substitution, what: String) -> Screen {
    let sub = Arc::new(sub);
    let len = sub.len();
    let build = move |i: u64| {
        sub.candidate(i).map_err(|rejection| Failure { index: i, id: format!("#{i}"), rejection, error: false })
    };
    Screen::new(SourceSpec::Indexed { name: what, len, build: Arc::new(build) })
}

fn to_json(v: &OptionValue) -> serde_json::Value {
    match v {
        OptionValue::Float(x) => serde_json::json!(x),
        OptionValue::Int(x) => serde_json::json!(x),
        OptionValue::Bool(x) => serde_json::json!(x),
        OptionValue::Text(x) => serde_json::json!(x),
        OptionValue::List(v) => serde_json::Value::Array(v.iter().map(to_json).collect()),
    }
}

pub fn register(engine: &mut Engine, slot: &Slot) {
    engine
        .register_type_with_name::<ScriptPrototype>("Prototype")
        .register_get("name", |p: &mut ScriptPrototype| p.0.name.clone())
        .register_get("orbits", |p: &mut ScriptPrototype| {
            p.0.orbits.iter().map(|o| Dynamic::from(o.label.clone())).collect::<rhai::Array>()
        })
        .register_get("space_group", |p: &mut ScriptPrototype| p.0.space_group.number as rhai::INT)
        .register_get("formula", |p: &mut ScriptPrototype| p.0.crystal.composition().reduced_formula())
        .register_fn("to_string", |p: &mut ScriptPrototype| {
            let orbits: Vec<String> = p.0.orbits.iter().map(|o| format!("{}={}", o.label, o.species.element)).collect();
            format!("{} ({}, {} {})", p.0.name, orbits.join(" "), p.0.space_group.symbol, p.0.wyckoff_sequence())
        });

    engine.register_fn("prototype", |name: &str| -> Res<ScriptPrototype> {
        match Prototype::builtin(name) {
            Ok(p) => Ok(ScriptPrototype(Arc::new(p))),
            Err(e) => fail(format!("{e} (built-in: {})", crate::prototype::BUILTIN_NAMES.join(", "))),
        }
    });
    let sl = slot.clone();
    engine.register_fn("load_prototype", move |path: &str| -> Res<ScriptPrototype> {
        let shared = shared(&sl)?;
        let resolved = shared.sandbox.resolve(path, "read").or_else(fail)?;
        let records = formats::read_path(&resolved, None, &ReadOptions::default()).or_else(|e| fail(e.to_string()))?;
        let Some(first) = records.into_iter().next() else {
            return fail(format!("{path}: no structure in the file"));
        };
        let entry = first.or_else(|e| fail(e.to_string()))?;
        let Some(crystal) = entry.structure.as_crystal() else {
            return fail(format!("{path}: a molecule cannot be a prototype"));
        };
        let name = resolved.file_stem().map_or_else(|| entry.id.clone(), |s| s.to_string_lossy().into_owned());
        match Prototype::from_crystal(&name, crystal) {
            Ok(p) => Ok(ScriptPrototype(Arc::new(p))),
            Err(e) => fail(format!("{path}: {e}")),
        }
    });

    engine.register_fn("substitute", |p: ScriptPrototype, orbits: Map| -> Res<Screen> {
        let mut lists: Vec<(String, Vec<String>)> = Vec::new();
        for (label, v) in &orbits {
            let list = if v.is_string() {
                vec![v.to_string()]
            } else if v.is_array() {
                strings(&v.clone().cast::<rhai::Array>(), label).or_else(fail)?
            } else {
                return fail(format!("substitute: orbit {label}: expected a list of elements, got {}", v.type_name()));
            };
            lists.push((label.to_string(), list));
        }
        let sub = Substitution::parse((*p.0).clone(), lists).or_else(|e| fail(format!("substitute: {e}")))?;
        let what = format!("substitute {}", p.0.name);
        Ok(source(sub, what))
    });
    engine.register_fn("substitute_hautier", |p: ScriptPrototype, options: Map| -> Res<Screen> {
        let mut json = serde_json::Map::new();
        for (k, v) in &options {
            json.insert(k.to_string(), to_json(&dynamic_to_option(v).or_else(fail)?));
        }
        let o: HautierOptions =
            serde_json::from_value(serde_json::Value::Object(json)).or_else(|e| fail(format!("substitute_hautier: {e}")))?;
        let sub = Substitution::hautier((*p.0).clone(), &o).or_else(|e| fail(format!("substitute_hautier: {e}")))?;
        Ok(source(sub, format!("Hautier substitution into {}", p.0.name)))
    });
}
