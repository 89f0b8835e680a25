//! Filter plugins written in Rhai: every `NAME.rhai` in a plugins directory (default
//! `plugins.d/` next to the script) or listed in `screen.toml` defines the filter `NAME`, usable
//! like a built-in one: `s.filter("NAME")` or `s.filter("NAME", #{ option: value })`.
//!
//! ```rhai
//! // plugins.d/light_a_site.rhai: keep candidates whose A-site element is lighter than `max_z`.
//! fn filter(c, options) {
//!     let max_z = options.get("max_z") ?? 56;
//!     element(c.A).z <= max_z || "A too heavy"
//! }
//! ```

use super::stages::PluginFilter;
use super::values::options_to_map;
use crate::plugin::Registry;
use rhai::{AST, Engine};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// The `.rhai` files of `dirs` (sorted by name) and `files`, in that order.
pub fn plugin_files(dirs: &[PathBuf], files: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "rhai") && p.is_file())
            .collect();
        found.sort();
        out.extend(found);
    }
    out.extend(files.iter().cloned());
    out
}

/// Compiles a plugin file and registers its filter under the file's stem. `engine` is filled
/// in once the script engine is complete (plugins are registered before it is shared).
pub fn register(
    registry: &mut Registry,
    compiler: &Engine,
    engine: Arc<OnceLock<Arc<Engine>>>,
    path: &Path,
) -> Result<String, String> {
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("{}: a plugin file needs a name", path.display()))?
        .to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let ast: AST = compiler.compile(&text).map_err(|e| {
        let pos = e.position();
        format!("{}:{}:{}: {}", path.display(), pos.line().unwrap_or(0), pos.position().unwrap_or(0), e.err_type())
    })?;
    let params = ast
        .iter_functions()
        .find(|f| f.name == "filter")
        .map(|f| f.params.len())
        .ok_or_else(|| format!("{}: a filter plugin must define `fn filter(c)` or `fn filter(c, options)`", path.display()))?;
    if params > 2 {
        return Err(format!("{}: `fn filter` takes the candidate and, optionally, the options map", path.display()));
    }
    let ast = Arc::new(ast);
    let about = format!("Rhai plugin {}", path.display());
    let label = name.clone();
    registry.add_filter(&name, &about, move |options| {
        let engine = engine.get().cloned().ok_or("the script engine is not ready")?;
        let takes_options = params == 2;
        if !takes_options && !options.is_empty() {
            return Err("this plugin's `fn filter(c)` takes no options".into());
        }
        let label = if options.is_empty() { label.clone() } else { format!("{label} ({options})") };
        let options = options_to_map(options);
        Ok(Arc::new(PluginFilter { label, engine, ast: ast.clone(), takes_options, options }))
    });
    Ok(name)
}
