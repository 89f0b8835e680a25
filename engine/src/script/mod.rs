//! Rhai scripts: a screen written as a short program (see `docs/rhai.md` for the API).
//!
//! ```rhai
//! let s = read("structures/");            // or substitute(prototype("perovskite"), #{ … })
//! s.filter("charge_neutral");
//! s.compute("density");
//! s.filter(|c| c.density < 6.0);
//! s.sort_by("density", "desc");
//! s.write("out/light.csv");
//! s.run();
//! ```
//!
//! Scripts are sandboxed ([`sandbox`]): operation, size and call-depth limits from
//! `screen.toml`, no modules, no process execution, and files only under the script's
//! directory or paths given on the command line. Errors name the script, line and column.

mod api;
mod chem;
pub mod config;
mod plugins_dir;
pub mod sandbox;
mod stages;
mod substitution;
mod values;

pub use config::Config;
pub use sandbox::Sandbox;
pub use stages::CandidateView;

use crate::pipeline::{Observer, Summary};
use crate::plugin::{Predictor, Registry};
use rhai::{Engine, EvalAltResult, Position, Scope};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

/// What the program running a script provides: progress display and output.
pub trait Host: Send + Sync {
    /// A progress observer for one pipeline run of `source`.
    fn observer(&self, source: &str) -> Box<dyn Observer>;
    /// Called when a pipeline run ends (print the summary table).
    fn finished(&self, summary: &Summary);
    /// Output of the script's `print` and `debug`.
    fn print(&self, text: &str);
}

/// A host that prints nothing (tests, library use).
pub struct QuietHost;
impl Host for QuietHost {
    fn observer(&self, _: &str) -> Box<dyn Observer> {
        Box::new(crate::pipeline::Quiet)
    }
    fn finished(&self, _: &Summary) {}
    fn print(&self, _: &str) {}
}

/// Everything a script run needs besides the script.
pub struct Settings {
    pub registry: Registry,
    /// `None`: discovered from the script's directory (see [`Config::discover`]).
    pub config: Option<Config>,
    /// Worker threads of pipeline runs.
    pub threads: usize,
    /// `--set key=value` pairs, read by `setting(key, default)`.
    pub values: BTreeMap<String, String>,
    /// `--allow` paths.
    pub allow: Vec<PathBuf>,
    /// Set by Ctrl-C: pipelines stop generating and the script ends after writing.
    pub stop: Arc<AtomicBool>,
    /// The repository root, last place to look for `screen.toml` and models.
    pub repository: Option<PathBuf>,
    pub host: Arc<dyn Host>,
}

/// An error of a script, located in the script when possible: `file:line:column: message`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    /// The script was stopped by Ctrl-C.
    pub interrupted: bool,
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
            (Some(l), None) => write!(f, "{}:{l}: {}", self.file, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ScriptError {}

impl ScriptError {
    fn plain(file: &str, message: impl Into<String>) -> Self {
        ScriptError { file: file.to_string(), line: None, column: None, message: message.into(), interrupted: false }
    }

    fn from_eval(file: &str, mut e: EvalAltResult, limits: &config::Limits) -> Self {
        let pos = e.take_position();
        let interrupted = matches!(e, EvalAltResult::ErrorTerminated(..));
        let message = match &e {
            EvalAltResult::ErrorTooManyOperations(_) => format!(
                "the script exceeded its operation limit ({} operations; [sandbox] max_operations in screen.toml): an endless loop?",
                limits.max_operations
            ),
            EvalAltResult::ErrorTerminated(..) => "interrupted".to_string(),
            EvalAltResult::ErrorRuntime(message, _) => message.to_string(),
            EvalAltResult::ErrorDataTooLarge(what, _) => {
                format!("{what} exceeds the sandbox size limit ([sandbox] in screen.toml)")
            }
            EvalAltResult::ErrorStackOverflow(_) => format!(
                "call depth above the sandbox limit ({} levels; [sandbox] max_call_levels)",
                limits.max_call_levels
            ),
            _ => e.to_string(),
        };
        ScriptError { file: file.to_string(), line: pos.line(), column: pos.position(), message, interrupted }
    }
}

/// State shared by the functions a script calls.
pub(crate) struct Shared {
    pub engine: Arc<Engine>,
    pub ast: Arc<rhai::AST>,
    pub registry: Arc<Registry>,
    pub config: Config,
    pub sandbox: Sandbox,
    pub threads: usize,
    pub values: BTreeMap<String, String>,
    pub stop: Arc<AtomicBool>,
    pub repository: Option<PathBuf>,
    pub host: Arc<dyn Host>,
    pub summaries: Mutex<Vec<Summary>>,
    pub models: Mutex<HashMap<PathBuf, Arc<dyn Predictor>>>,
}

/// Slot through which registered functions reach [`Shared`] (set once the engine is built,
/// cleared when the script ends).
pub(crate) type Slot = Arc<RwLock<Option<Arc<Shared>>>>;

pub(crate) fn shared(slot: &Slot) -> Result<Arc<Shared>, Box<EvalAltResult>> {
    slot.read()
        .ok()
        .and_then(|s| s.clone())
        .ok_or_else(|| "the script engine is not ready".into())
}

/// Builds a sandboxed engine with the screen API.
fn engine(limits: &config::Limits, slot: &Slot, stop: Arc<AtomicBool>, host: Arc<dyn Host>) -> Engine {
    let mut engine = Engine::new();
    engine.set_max_operations(limits.max_operations);
    engine.set_max_call_levels(limits.max_call_levels);
    engine.set_max_string_size(limits.max_string_size);
    engine.set_max_array_size(limits.max_array_size);
    engine.set_max_map_size(limits.max_map_size);
    engine.set_max_expr_depths(limits.max_expr_depth, limits.max_expr_depth);
    engine.set_module_resolver(rhai::module_resolvers::DummyModuleResolver::new());
    engine.disable_symbol("eval");
    engine.on_progress(move |_| if stop.load(Ordering::Relaxed) { Some("interrupted".into()) } else { None });
    let (h1, h2) = (host.clone(), host);
    engine.on_print(move |s| h1.print(s));
    engine.on_debug(move |s, _, pos| h2.print(&format!("[debug line {}] {s}", pos.line().unwrap_or(0))));
    stages::register_candidate(&mut engine);
    chem::register(&mut engine);
    api::register(&mut engine, slot);
    substitution::register(&mut engine, slot);
    for name in ["system", "exec", "spawn", "command", "shell", "run_process", "open_process"] {
        engine.register_fn(name, move |_: &str| -> Result<(), Box<EvalAltResult>> {
            Err(format!("sandbox: '{name}': screen scripts cannot run processes").into())
        });
    }
    engine
}

/// Runs the script at `path`; returns the summary of every pipeline it ran.
pub fn run_file(path: &Path, settings: Settings) -> Result<Vec<Summary>, ScriptError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ScriptError::plain(&file, e.to_string()))?;
    let script_dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let script_dir = std::path::absolute(script_dir).unwrap_or_else(|_| script_dir.to_path_buf());
    run_source(&text, &file, &script_dir, settings)
}

/// Runs script text as if it were the file `file` in `script_dir`.
pub fn run_source(text: &str, file: &str, script_dir: &Path, settings: Settings) -> Result<Vec<Summary>, ScriptError> {
    let Settings { mut registry, config, threads, values, allow, stop, repository, host } = settings;
    let config = match config {
        Some(c) => c,
        None => Config::discover(script_dir, repository.as_deref()).map_err(|e| ScriptError::plain(file, e.to_string()))?,
    };
    let set_values: Vec<String> = values.values().cloned().collect();
    let sandbox = Sandbox::new(script_dir, &allow, &set_values);
    let slot: Slot = Arc::new(RwLock::new(None));
    let engine_cell: Arc<OnceLock<Arc<Engine>>> = Arc::new(OnceLock::new());
    let engine = engine(&config.sandbox, &slot, stop.clone(), host.clone());

    // Rhai filter plugins: the plugins directories next to the script, and listed files.
    let dirs: Vec<PathBuf> = config.plugins.dirs.iter().map(|d| sandbox.script_dir().join(d)).collect();
    let files: Vec<PathBuf> = config
        .plugins
        .files
        .iter()
        .map(|f| config.base.as_ref().map_or_else(|| f.clone(), |b| b.join(f)))
        .collect();
    for plugin in plugins_dir::plugin_files(&dirs, &files) {
        plugins_dir::register(&mut registry, &engine, engine_cell.clone(), &plugin)
            .map_err(|e| ScriptError::plain(file, format!("plugin: {e}")))?;
    }

    let ast = engine.compile(text).map_err(|e| {
        let pos = e.position();
        ScriptError {
            file: file.to_string(),
            line: pos.line(),
            column: pos.position(),
            message: format!("syntax error: {}", e.err_type()),
            interrupted: false,
        }
    })?;
    let engine = Arc::new(engine);
    let _ = engine_cell.set(engine.clone());
    let limits = config.sandbox.clone();
    let shared = Arc::new(Shared {
        engine: engine.clone(),
        ast: Arc::new(ast),
        registry: Arc::new(registry),
        config,
        sandbox,
        threads: threads.max(1),
        values,
        stop,
        repository,
        host,
        summaries: Mutex::new(Vec::new()),
        models: Mutex::new(HashMap::new()),
    });
    if let Ok(mut s) = slot.write() {
        *s = Some(shared.clone());
    }
    let mut scope = Scope::new();
    let result = engine.run_ast_with_scope(&mut scope, &shared.ast);
    // Break the engine ↔ shared-state cycle.
    if let Ok(mut s) = slot.write() {
        *s = None;
    }
    let summaries = shared.summaries.lock().map(|s| s.clone()).unwrap_or_default();
    match result {
        Ok(()) => Ok(summaries),
        Err(e) => Err(ScriptError::from_eval(file, *e, &limits)),
    }
}

/// Converts an engine error into a script error at the call site.
pub(crate) fn fail<T>(message: impl Into<String>) -> Result<T, Box<EvalAltResult>> {
    Err(Box::new(EvalAltResult::ErrorRuntime(message.into().into(), Position::NONE)))
}

#[cfg(test)]
mod tests;
