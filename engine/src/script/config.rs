//! `screen.toml`: where models live, the default model, plugin directories and the sandbox
//! limits of scripts.
//!
//! ```toml
//! [models]
//! dir = "models"                 # relative: to this file's directory, the current directory, then the repository
//! default = "perovskite-eform"   # the model `predict()` uses when none is named
//!
//! [plugins]
//! dirs = ["plugins.d"]           # Rhai filter plugins, relative to the script's directory
//! files = []                     # single plugin files, relative to this file
//!
//! [sandbox]
//! max_operations = 100_000_000   # per script run and per closure call
//! max_call_levels = 64
//! max_string_size = 1_000_000    # characters
//! max_array_size = 1_000_000
//! max_map_size = 100_000
//! max_expr_depth = 128
//!
//! [pipeline]
//! chunk_size = 256               # candidates per parallel work unit and predictor batch
//! ```

use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub models: Models,
    pub plugins: Plugins,
    pub sandbox: Limits,
    pub pipeline: PipelineConfig,
    /// Directory of the file this came from (relative paths in it resolve here).
    #[serde(skip)]
    pub base: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            models: Models::default(),
            plugins: Plugins::default(),
            sandbox: Limits::default(),
            pipeline: PipelineConfig::default(),
            base: None,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Models {
    pub dir: PathBuf,
    pub default: Option<String>,
}

impl Default for Models {
    fn default() -> Self {
        Models { dir: PathBuf::from("models"), default: None }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Plugins {
    pub dirs: Vec<PathBuf>,
    pub files: Vec<PathBuf>,
}

impl Default for Plugins {
    fn default() -> Self {
        Plugins { dirs: vec![PathBuf::from("plugins.d")], files: Vec::new() }
    }
}

/// Limits that keep a user script from exhausting the machine.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    pub max_operations: u64,
    pub max_call_levels: usize,
    pub max_string_size: usize,
    pub max_array_size: usize,
    pub max_map_size: usize,
    pub max_expr_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_operations: 100_000_000,
            max_call_levels: 64,
            max_string_size: 1_000_000,
            max_array_size: 1_000_000,
            max_map_size: 100_000,
            max_expr_depth: 128,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineConfig {
    pub chunk_size: usize,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig { chunk_size: 256 }
    }
}

impl Config {
    /// Parses a `screen.toml`; errors name the file, line and key.
    pub fn from_file(path: &Path) -> crate::Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| crate::Error::io(path.display(), e))?;
        let mut config: Config = toml::from_str(&text)
            .map_err(|e| crate::Error::Usage(format!("{}: {}", path.display(), e.to_string().trim_end())))?;
        if config.pipeline.chunk_size == 0 {
            return Err(crate::Error::Usage(format!("{}: pipeline.chunk_size must be at least 1", path.display())));
        }
        config.base = path.parent().map(Path::to_path_buf);
        Ok(config)
    }

    /// The `screen.toml` of the script's directory or its nearest ancestor, else `fallback`
    /// (the repository's), else the defaults.
    pub fn discover(script_dir: &Path, fallback: Option<&Path>) -> crate::Result<Config> {
        let mut dir = Some(script_dir);
        while let Some(d) = dir {
            let candidate = d.join("screen.toml");
            if candidate.is_file() {
                return Config::from_file(&candidate);
            }
            dir = d.parent();
        }
        match fallback.map(|f| f.join("screen.toml")).filter(|f| f.is_file()) {
            Some(f) => Config::from_file(&f),
            None => Ok(Config::default()),
        }
    }

    /// Candidate locations of the models directory, in lookup order: next to the config
    /// file, the current directory, then `repository`.
    pub fn model_dirs(&self, repository: Option<&Path>) -> Vec<PathBuf> {
        let dir = &self.models.dir;
        if dir.is_absolute() {
            return vec![dir.clone()];
        }
        let mut out = Vec::new();
        if let Some(base) = &self.base {
            out.push(base.join(dir));
        }
        if let Ok(cwd) = std::env::current_dir() {
            out.push(cwd.join(dir));
        }
        if let Some(repo) = repository {
            out.push(repo.join(dir));
        }
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects_unknown_keys() {
        let c: Config = toml::from_str("[models]\ndefault = \"x\"\n[sandbox]\nmax_operations = 5\n").unwrap();
        assert_eq!(c.models.default.as_deref(), Some("x"));
        assert_eq!(c.sandbox.max_operations, 5);
        assert_eq!(c.sandbox.max_call_levels, 64);
        let e = toml::from_str::<Config>("[sandbox]\nmax_ops = 5\n").unwrap_err().to_string();
        assert!(e.contains("max_ops"), "{e}");
    }
}
