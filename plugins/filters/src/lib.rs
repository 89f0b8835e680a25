//! # screen-filters
//!
//! The built-in filters and properties of `screen`, as plugins: thin adapters that give the
//! pure functions of `screen_engine::filter` a name and parse their options from a script's
//! map (`s.filter("tolerance_factor", #{ min: 0.8, max: 1.1 })`). Options are deserialised
//! into the function's options struct, so unknown keys and wrong types are refused with the
//! option's name.

mod adapters;
mod builtin;
mod properties;

pub use adapters::{FnFilter, FnProperty, options_json};

use screen_engine::plugin::{Plugin, Registry};

/// Registers every built-in filter and property.
pub struct BuiltinFilters;

impl Plugin for BuiltinFilters {
    fn build(&self, registry: &mut Registry) {
        properties::register(registry);
        builtin::register(registry);
    }
}
