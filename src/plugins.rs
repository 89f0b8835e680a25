//! Every built-in plugin, registered in one place. A new plugin crate adds one line here.

use screen_engine::plugin::Registry;

pub fn registry() -> Registry {
    let mut registry = Registry::new();
    registry
        .add_plugin(&screen_filters::BuiltinFilters)
        .add_plugin(&screen_crystalframer::plugin::CrystalFramerPlugin)
        .add_plugin(&screen_example_filter::ExampleFilterPlugin);
    registry
}
