//! Fuzzes the pymatgen_json reader and the write/re-read round trip (see src/lib.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;
use screen_engine::formats::Format;

fuzz_target!(|data: &[u8]| screen_engine_fuzz::round_trip(data, Format::PymatgenJson));
