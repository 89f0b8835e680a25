//! The names scripts use for filters, properties and models.

use super::{Filter, Options, Predictor, Property};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// Builds a filter from its options (an error message names what is wrong with them).
pub type FilterFactory = Arc<dyn Fn(&Options) -> Result<Arc<dyn Filter>, String> + Send + Sync>;
/// Builds a property from its options.
pub type PropertyFactory = Arc<dyn Fn(&Options) -> Result<Arc<dyn Property>, String> + Send + Sync>;
/// Loads a model directory: `None` when the directory is not of this loader's kind.
pub type ModelLoader = Arc<dyn Fn(&Path) -> Option<Result<Arc<dyn Predictor>, String>> + Send + Sync>;

struct Named<T> {
    about: String,
    factory: T,
}

/// Every filter, property and model loader a script can name. Built once per run, then shared.
#[derive(Default)]
pub struct Registry {
    filters: BTreeMap<String, Named<FilterFactory>>,
    properties: BTreeMap<String, Named<PropertyFactory>>,
    models: Vec<ModelLoader>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a plugin's stages.
    pub fn add_plugin(&mut self, plugin: &dyn super::Plugin) -> &mut Self {
        plugin.build(self);
        self
    }

    /// Registers a filter under `name`; a later registration of the same name replaces it
    /// (so a user plugin may override a built-in one).
    pub fn add_filter(
        &mut self,
        name: &str,
        about: &str,
        factory: impl Fn(&Options) -> Result<Arc<dyn Filter>, String> + Send + Sync + 'static,
    ) {
        self.filters.insert(name.to_string(), Named { about: about.to_string(), factory: Arc::new(factory) });
    }

    pub fn add_property(
        &mut self,
        name: &str,
        about: &str,
        factory: impl Fn(&Options) -> Result<Arc<dyn Property>, String> + Send + Sync + 'static,
    ) {
        self.properties.insert(name.to_string(), Named { about: about.to_string(), factory: Arc::new(factory) });
    }

    pub fn add_model_loader(
        &mut self,
        loader: impl Fn(&Path) -> Option<Result<Arc<dyn Predictor>, String>> + Send + Sync + 'static,
    ) {
        self.models.push(Arc::new(loader));
    }

    /// Builds the filter `name` with `options`.
    pub fn filter(&self, name: &str, options: &Options) -> Result<Arc<dyn Filter>, String> {
        let named = self.filters.get(name).ok_or_else(|| unknown("filter", name, self.filters.keys()))?;
        let filter = (named.factory)(options).map_err(|e| format!("filter '{name}': {e}"))?;
        options.finish().map_err(|e| format!("filter '{name}': {e}"))?;
        Ok(filter)
    }

    pub fn property(&self, name: &str, options: &Options) -> Result<Arc<dyn Property>, String> {
        let named = self.properties.get(name).ok_or_else(|| unknown("property", name, self.properties.keys()))?;
        let property = (named.factory)(options).map_err(|e| format!("property '{name}': {e}"))?;
        options.finish().map_err(|e| format!("property '{name}': {e}"))?;
        Ok(property)
    }

    /// Loads the model in `dir` with the first loader that recognises it.
    pub fn model(&self, dir: &Path) -> Result<Arc<dyn Predictor>, String> {
        for loader in &self.models {
            if let Some(result) = loader(dir) {
                return result;
            }
        }
        Err(format!("{}: no model loader recognises this directory", dir.display()))
    }

    /// (name, description) of every filter, sorted by name.
    pub fn filters(&self) -> impl Iterator<Item = (&str, &str)> {
        self.filters.iter().map(|(k, v)| (k.as_str(), v.about.as_str()))
    }

    pub fn properties(&self) -> impl Iterator<Item = (&str, &str)> {
        self.properties.iter().map(|(k, v)| (k.as_str(), v.about.as_str()))
    }

    pub fn has_filter(&self, name: &str) -> bool {
        self.filters.contains_key(name)
    }
}

fn unknown<'a>(kind: &str, name: &str, known: impl Iterator<Item = &'a String>) -> String {
    let known: Vec<&str> = known.map(String::as_str).collect();
    format!("unknown {kind} '{name}' (known: {})", if known.is_empty() { "none".into() } else { known.join(", ") })
}
