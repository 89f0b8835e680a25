//! Stages written in Rhai: inline closures (`s.filter(|c| c.gap > 1.5)`) and filter plugins
//! from a plugins directory (`fn filter(c, options) { … }` in `NAME.rhai`).
//!
//! A filter returns `true` to keep the candidate, `false` to reject it (the reason is the
//! filter's name) or a string, the reason. A script error rejects that candidate with reason
//! "script error at line N" (and is reported); it never stops the run.

use super::values::{dynamic_to_field, field_to_dynamic};
use crate::candidate::{Candidate, Origin, Rejection};
use crate::plugin::{Column, Filter, Property};
use rhai::{AST, CallFnOptions, Dynamic, Engine, EvalAltResult, FnPtr, Map, Scope};
use std::sync::Arc;

/// A candidate as scripts see it: `c.id`, `c.formula`, `c.elements`, `c.num_sites`,
/// `c.volume`, `c.density`, `c.index`, any computed field (`c.gap` or `c["gap"]`) and, for
/// substitutions, the element on an orbit (`c.A`, `c["X"]`).
#[derive(Clone)]
pub struct CandidateView(pub Arc<Candidate>);

impl CandidateView {
    pub fn get(&self, name: &str) -> Result<Dynamic, Box<EvalAltResult>> {
        let c = &self.0;
        if let Some(f) = c.fields.get(name) {
            return Ok(field_to_dynamic(&f.value));
        }
        if let Origin::Substitution { assignment, .. } = &c.origin {
            let on: Vec<&str> = assignment.iter().filter(|a| a.orbit == name).map(|a| a.element.symbol()).collect();
            if !on.is_empty() {
                return Ok(Dynamic::from(on.join(",")));
            }
        }
        let fields: Vec<&str> = c.fields.iter().map(|f| f.name.as_str()).collect();
        Err(format!(
            "candidate '{}' has no field '{name}' (fields: {}; built in: id, index, formula, elements, num_sites, volume, density)",
            c.id,
            if fields.is_empty() { "none".into() } else { fields.join(", ") }
        )
        .into())
    }
}

pub fn register_candidate(engine: &mut Engine) {
    engine
        .register_type_with_name::<CandidateView>("Candidate")
        .register_get("id", |c: &mut CandidateView| c.0.id.clone())
        .register_get("index", |c: &mut CandidateView| c.0.index as rhai::INT)
        .register_get("formula", |c: &mut CandidateView| c.0.crystal.composition().reduced_formula())
        .register_get("elements", |c: &mut CandidateView| {
            c.0.crystal.elements().iter().map(|e| Dynamic::from(e.symbol().to_string())).collect::<rhai::Array>()
        })
        .register_get("num_sites", |c: &mut CandidateView| c.0.crystal.num_sites() as rhai::INT)
        .register_get("volume", |c: &mut CandidateView| c.0.crystal.volume())
        .register_get("density", |c: &mut CandidateView| c.0.crystal.density())
        .register_indexer_get(|c: &mut CandidateView, name: &str| c.get(name))
        .register_fn("has", |c: &mut CandidateView, name: &str| c.get(name).is_ok())
        .register_fn("to_string", |c: &mut CandidateView| format!("{} ({})", c.0.id, c.0.crystal.composition().reduced_formula()));
}

/// Turns a filter's return value into a decision.
fn decision(label: &str, result: Result<Dynamic, Box<EvalAltResult>>) -> Result<(), Rejection> {
    match result {
        Ok(d) => {
            if let Ok(keep) = d.as_bool() {
                if keep { Ok(()) } else { Err(Rejection::new(label.to_string())) }
            } else if d.is_string() {
                Err(Rejection::new(d.to_string()))
            } else {
                Err(Rejection::new(format!("script error in {label}"))
                    .with_detail(format!("a filter must return true, false or a reason string, got {}", d.type_name())))
            }
        }
        Err(e) => Err(script_error(label, e)),
    }
}

/// A rejection for a script error, with the line where it happened.
pub fn script_error(label: &str, mut e: Box<EvalAltResult>) -> Rejection {
    let pos = e.take_position();
    let reason = match pos.line() {
        Some(line) => format!("script error in {label} at line {line}"),
        None => format!("script error in {label}"),
    };
    let detail = match *e {
        EvalAltResult::ErrorRuntime(message, _) => message.to_string(),
        other => other.to_string(),
    };
    Rejection::new(reason).with_detail(detail)
}

/// `s.filter(|c| …)` or `s.filter("label", |c| …)`.
pub struct ClosureFilter {
    pub label: String,
    pub engine: Arc<Engine>,
    pub ast: Arc<AST>,
    pub f: FnPtr,
}

impl Filter for ClosureFilter {
    fn name(&self) -> String {
        self.label.clone()
    }

    fn check(&self, c: &Candidate) -> Result<(), Rejection> {
        let view = CandidateView(Arc::new(c.clone()));
        decision(&self.label, self.f.call::<Dynamic>(&self.engine, &self.ast, (view,)))
    }
}

/// `s.compute("name", |c| …, "unit")`: sets a field to the closure's value.
pub struct ClosureProperty {
    pub name: String,
    pub unit: Option<String>,
    pub engine: Arc<Engine>,
    pub ast: Arc<AST>,
    pub f: FnPtr,
}

impl Property for ClosureProperty {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn columns(&self) -> Vec<Column> {
        vec![Column::new(self.name.clone(), self.unit.as_deref())]
    }

    fn compute(&self, c: &mut Candidate) -> Result<(), Rejection> {
        let view = CandidateView(Arc::new(c.clone()));
        let value = self.f.call::<Dynamic>(&self.engine, &self.ast, (view,)).map_err(|e| script_error(&self.name, e))?;
        let value = dynamic_to_field(&value)
            .map_err(|e| Rejection::new(format!("script error in {}", self.name)).with_detail(e))?;
        c.fields.set(self.name.clone(), value, self.unit.as_deref());
        Ok(())
    }
}

/// A filter defined by a Rhai file of a plugins directory: its `fn filter(c)` or
/// `fn filter(c, options)`.
pub struct PluginFilter {
    pub label: String,
    pub engine: Arc<Engine>,
    pub ast: Arc<AST>,
    /// Whether `fn filter` takes the options map as its second parameter.
    pub takes_options: bool,
    pub options: Map,
}

impl Filter for PluginFilter {
    fn name(&self) -> String {
        self.label.clone()
    }

    fn check(&self, c: &Candidate) -> Result<(), Rejection> {
        let view = CandidateView(Arc::new(c.clone()));
        let mut scope = Scope::new();
        let opts = CallFnOptions::new().eval_ast(false).rewind_scope(true);
        let result = if self.takes_options {
            self.engine.call_fn_with_options::<Dynamic>(opts, &mut scope, &self.ast, "filter", (view, self.options.clone()))
        } else {
            self.engine.call_fn_with_options::<Dynamic>(opts, &mut scope, &self.ast, "filter", (view,))
        };
        decision(&self.label, result)
    }
}
