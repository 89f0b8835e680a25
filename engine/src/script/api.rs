//! The `Screen` type scripts build a pipeline with, and the functions that make one.

use super::stages::{ClosureFilter, ClosureProperty};
use super::values::{map_to_options, strings};
use super::{Shared, Slot, fail, shared};
use crate::candidate::Candidate;
use crate::formats::ReadOptions;
use crate::pipeline::{Dedup, Pipeline, Ranking, RunOptions, Stage, Summary, sinks, sources};
use crate::plugin::{Failure, Generator, Options, Predictor};
use rhai::{Array, Dynamic, Engine, EvalAltResult, FnPtr, Map, NativeCallContext};
use std::path::PathBuf;
use std::sync::Arc;

type Res<T> = Result<T, Box<EvalAltResult>>;

/// Builds candidate `i` of a random-access source.
pub type BuildFn = Arc<dyn Fn(u64) -> Result<Candidate, Failure> + Send + Sync>;

/// Where a screen's candidates come from (re-created for every run).
#[derive(Clone)]
pub enum SourceSpec {
    Files { name: String, files: Vec<PathBuf> },
    Indexed { name: String, len: u64, build: BuildFn },
}

impl SourceSpec {
    fn generator(&self) -> Box<dyn Generator> {
        match self {
            SourceSpec::Files { name, files } => {
                Box::new(sources::Files::new(name.clone(), files.clone(), ReadOptions::default()))
            }
            SourceSpec::Indexed { name, len, build } => {
                let build = build.clone();
                Box::new(sources::Indexed::new(name.clone(), *len, move |i| build(i)))
            }
        }
    }
}

/// A screen under construction: a source, stages in order, and outputs.
#[derive(Clone)]
pub struct Screen {
    pub source: SourceSpec,
    stages: Vec<Stage>,
    dedup: bool,
    sort: Option<(String, bool)>,
    limit: Option<usize>,
    outputs: Vec<PathBuf>,
}

impl Screen {
    pub fn new(source: SourceSpec) -> Self {
        Screen { source, stages: Vec::new(), dedup: false, sort: None, limit: None, outputs: Vec::new() }
    }

    fn columns(&self) -> Vec<String> {
        self.stages.iter().flat_map(|s| s.columns()).map(|c| c.name).collect()
    }
}

fn label_at(ctx: &NativeCallContext, what: &str) -> String {
    match ctx.call_position().line() {
        Some(l) => format!("{what} (line {l})"),
        None => what.to_string(),
    }
}

fn model(shared: &Shared, name: Option<&str>) -> Res<Arc<dyn Predictor>> {
    let name = match name {
        Some(n) => n.to_string(),
        None => match &shared.config.models.default {
            Some(n) => n.clone(),
            None => return fail("predict(): no model named and no [models] default in screen.toml"),
        },
    };
    // A path (contains a separator) is a model directory inside the sandbox; a plain name is
    // looked up in the models directories.
    let dir = if name.contains('/') {
        shared.sandbox.resolve(&name, "read").or_else(fail)?
    } else {
        let dirs = shared.config.model_dirs(shared.repository.as_deref());
        crate::plugin::find_model_dir(&name, &dirs).or_else(fail)?
    };
    let mut cache = shared.models.lock().map_err(|_| "model cache poisoned".to_string())?;
    if let Some(p) = cache.get(&dir) {
        return Ok(p.clone());
    }
    let p = shared.registry.model(&dir).map_err(|e| format!("model '{name}': {e}"))?;
    cache.insert(dir, p.clone());
    Ok(p)
}

/// A summary as scripts see it.
#[derive(Clone)]
pub struct RunSummary(pub Summary);

fn run(shared: &Shared, s: &Screen) -> Res<RunSummary> {
    let columns = s.columns();
    let ranking = match (&s.sort, s.limit) {
        (Some((field, desc)), limit) => {
            if !columns.contains(field) {
                return fail(format!(
                    "sort_by(\"{field}\"): no stage computes '{field}' (computed: {})",
                    if columns.is_empty() { "nothing".into() } else { columns.join(", ") }
                ));
            }
            Some(Ranking::new(field.clone(), *desc, limit))
        }
        (None, Some(_)) => return fail("top(k) needs sort_by(field) first: the best k by which field?"),
        (None, None) => None,
    };
    let mut pipeline = Pipeline::new(s.source.generator());
    pipeline.stages = s.stages.clone();
    pipeline.dedup = s.dedup.then_some(Dedup::FormulaAndPrototype);
    pipeline.ranking = ranking;
    for out in &s.outputs {
        pipeline.sinks.push(sinks::for_path(out).or_else(|e| fail(e.to_string()))?);
    }
    let options = RunOptions {
        threads: shared.threads,
        chunk_size: shared.config.pipeline.chunk_size,
        stop: shared.stop.clone(),
    };
    let observer = shared.host.observer(&pipeline.source.name());
    let summary = pipeline.run(&options, observer.as_ref()).or_else(|e| fail(e.to_string()))?;
    drop(observer);
    shared.host.finished(&summary);
    if let Ok(mut all) = shared.summaries.lock() {
        all.push(summary.clone());
    }
    Ok(RunSummary(summary))
}

pub fn register(engine: &mut Engine, slot: &Slot) {
    engine.register_type_with_name::<Screen>("Screen");
    engine.register_type_with_name::<RunSummary>("Summary");

    // Sources.
    let sl = slot.clone();
    let read_paths = move |paths: Vec<String>| -> Res<Screen> {
        let shared = shared(&sl)?;
        let mut resolved = Vec::new();
        for p in &paths {
            let path = shared.sandbox.resolve(p, "read").or_else(fail)?;
            if !path.exists() {
                return fail(format!("read(\"{p}\"): {} does not exist", path.display()));
            }
            resolved.push(path);
        }
        let files = sources::expand(&resolved);
        if files.is_empty() {
            return fail(format!("read: no structure files in {}", paths.join(", ")));
        }
        Ok(Screen::new(SourceSpec::Files { name: format!("read {}", paths.join(", ")), files }))
    };
    let r1 = read_paths.clone();
    engine.register_fn("read", move |p: &str| r1(vec![p.to_string()]));
    engine.register_fn("read", move |a: Array| read_paths(strings(&a, "read").or_else(fail)?));

    // Stages.
    let sl = slot.clone();
    let add_filter = move |s: &mut Screen, name: &str, options: Options| -> Res<Screen> {
        let shared = shared(&sl)?;
        let f = shared.registry.filter(name, &options).or_else(fail)?;
        s.stages.push(Stage::Filter(f));
        Ok(s.clone())
    };
    let f1 = add_filter.clone();
    engine.register_fn("filter", move |s: &mut Screen, name: &str| f1(s, name, Options::new()));
    engine.register_fn("filter", move |s: &mut Screen, name: &str, o: Map| {
        add_filter(s, name, map_to_options(&o).or_else(fail)?)
    });
    let sl = slot.clone();
    let closure_filter = move |s: &mut Screen, label: String, f: FnPtr| -> Res<Screen> {
        let shared = shared(&sl)?;
        let filter = ClosureFilter { label, engine: shared.engine.clone(), ast: shared.ast.clone(), f };
        s.stages.push(Stage::Filter(Arc::new(filter)));
        Ok(s.clone())
    };
    let c1 = closure_filter.clone();
    engine.register_fn("filter", move |ctx: NativeCallContext, s: &mut Screen, f: FnPtr| {
        c1(s, label_at(&ctx, "closure"), f)
    });
    engine.register_fn("filter", move |s: &mut Screen, label: &str, f: FnPtr| closure_filter(s, label.to_string(), f));

    let sl = slot.clone();
    let add_property = move |s: &mut Screen, name: &str, options: Options| -> Res<Screen> {
        let shared = shared(&sl)?;
        let p = shared.registry.property(name, &options).or_else(fail)?;
        s.stages.push(Stage::Property(p));
        Ok(s.clone())
    };
    let p1 = add_property.clone();
    engine.register_fn("compute", move |s: &mut Screen, name: &str| p1(s, name, Options::new()));
    engine.register_fn("compute", move |s: &mut Screen, name: &str, o: Map| {
        add_property(s, name, map_to_options(&o).or_else(fail)?)
    });
    let sl = slot.clone();
    let closure_property = move |s: &mut Screen, name: &str, f: FnPtr, unit: Option<String>| -> Res<Screen> {
        let shared = shared(&sl)?;
        let p = ClosureProperty { name: name.to_string(), unit, engine: shared.engine.clone(), ast: shared.ast.clone(), f };
        s.stages.push(Stage::Property(Arc::new(p)));
        Ok(s.clone())
    };
    let cp = closure_property.clone();
    engine.register_fn("compute", move |s: &mut Screen, name: &str, f: FnPtr| cp(s, name, f, None));
    engine.register_fn("compute", move |s: &mut Screen, name: &str, f: FnPtr, unit: &str| {
        closure_property(s, name, f, Some(unit.to_string()).filter(|u| !u.is_empty()))
    });

    let sl = slot.clone();
    let predict = move |s: &mut Screen, name: Option<&str>| -> Res<Screen> {
        let shared = shared(&sl)?;
        let p = model(&shared, name)?;
        s.stages.push(Stage::Predictor(p));
        Ok(s.clone())
    };
    let pr = predict.clone();
    engine.register_fn("predict", move |s: &mut Screen| pr(s, None));
    engine.register_fn("predict", move |s: &mut Screen, name: &str| predict(s, Some(name)));

    engine.register_fn("deduplicate", |s: &mut Screen| {
        s.dedup = true;
        s.clone()
    });
    engine.register_fn("sort_by", |s: &mut Screen, field: &str| {
        s.sort = Some((field.to_string(), false));
        s.clone()
    });
    engine.register_fn("sort_by", |s: &mut Screen, field: &str, order: &str| -> Res<Screen> {
        let desc = match order {
            "asc" | "ascending" => false,
            "desc" | "descending" => true,
            other => return fail(format!("sort_by: order '{other}' is neither \"asc\" nor \"desc\"")),
        };
        s.sort = Some((field.to_string(), desc));
        Ok(s.clone())
    });
    engine.register_fn("top", |s: &mut Screen, k: rhai::INT| -> Res<Screen> {
        if k < 0 {
            return fail(format!("top({k}): k must be ≥ 0"));
        }
        s.limit = Some(k as usize);
        Ok(s.clone())
    });

    // Outputs and running.
    let sl = slot.clone();
    engine.register_fn("write", move |s: &mut Screen, path: &str| -> Res<Screen> {
        let shared = shared(&sl)?;
        let resolved = shared.sandbox.resolve(path, "write").or_else(fail)?;
        sinks::for_path(&resolved).or_else(|e| fail(e.to_string()))?;
        s.outputs.push(resolved);
        Ok(s.clone())
    });
    let sl = slot.clone();
    engine.register_fn("run", move |s: &mut Screen| -> Res<RunSummary> {
        let shared = shared(&sl)?;
        run(&shared, s)
    });
    engine.register_fn("len", |s: &mut Screen| match &s.source {
        SourceSpec::Indexed { len, .. } => *len as rhai::INT,
        SourceSpec::Files { .. } => -1,
    });
    engine.register_fn("to_string", |s: &mut Screen| {
        let stages: Vec<String> = s.stages.iter().map(|x| format!("{} {}", x.kind(), x.name())).collect();
        let source = match &s.source {
            SourceSpec::Files { name, .. } | SourceSpec::Indexed { name, .. } => name.clone(),
        };
        format!("Screen({source} → {})", stages.join(" → "))
    });

    // Summaries.
    engine
        .register_get("generated", |s: &mut RunSummary| s.0.generated() as rhai::INT)
        .register_get("accepted", |s: &mut RunSummary| s.0.accepted() as rhai::INT)
        .register_get("written", |s: &mut RunSummary| s.0.written as rhai::INT)
        .register_get("errors", |s: &mut RunSummary| s.0.error_count as rhai::INT)
        .register_get("interrupted", |s: &mut RunSummary| s.0.interrupted)
        .register_get("seconds", |s: &mut RunSummary| s.0.elapsed.as_secs_f64())
        .register_fn("removed", |s: &mut RunSummary, stage: &str| -> Res<Map> {
            let Some(st) = s.0.stages.iter().find(|x| x.name == stage) else {
                let names: Vec<&str> = s.0.stages.iter().map(|x| x.name.as_str()).collect();
                return fail(format!("no stage '{stage}' (stages: {})", names.join(", ")));
            };
            Ok(st.removed.iter().map(|(k, v)| (k.as_str().into(), Dynamic::from_int(*v as rhai::INT))).collect())
        })
        .register_fn("to_string", |s: &mut RunSummary| s.0.to_string())
        .register_fn("to_debug", |s: &mut RunSummary| s.0.to_string());

    // Settings from the command line.
    let sl = slot.clone();
    let lookup = move |name: &str| -> Res<Option<String>> { Ok(shared(&sl)?.values.get(name).cloned()) };
    let l1 = lookup.clone();
    engine.register_fn("setting", move |name: &str, default: &str| -> Res<String> {
        Ok(l1(name)?.unwrap_or_else(|| default.to_string()))
    });
    let l2 = lookup.clone();
    engine.register_fn("setting", move |name: &str, default: rhai::INT| -> Res<rhai::INT> {
        match l2(name)? {
            None => Ok(default),
            Some(v) => v.trim().parse().or_else(|_| fail(format!("--set {name}={v}: expected an integer"))),
        }
    });
    let l3 = lookup.clone();
    engine.register_fn("setting", move |name: &str, default: rhai::FLOAT| -> Res<rhai::FLOAT> {
        match l3(name)? {
            None => Ok(default),
            Some(v) => v.trim().parse().or_else(|_| fail(format!("--set {name}={v}: expected a number"))),
        }
    });
    engine.register_fn("setting", move |name: &str, default: bool| -> Res<bool> {
        match lookup(name)? {
            None => Ok(default),
            Some(v) => v.trim().parse().or_else(|_| fail(format!("--set {name}={v}: expected true or false"))),
        }
    });
}
