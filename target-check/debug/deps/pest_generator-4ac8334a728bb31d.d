/work/main/target-check/debug/deps/pest_generator-4ac8334a728bb31d.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_generator-2.9.6/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_generator-2.9.6/src/macros.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_generator-2.9.6/src/docs.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_generator-2.9.6/src/generator.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_generator-2.9.6/src/parse_derive.rs

/work/main/target-check/debug/deps/libpest_generator-4ac8334a728bb31d.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_generator-2.9.6/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_generator-2.9.6/src/macros.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_generator-2.9.6/src/docs.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_generator-2.9.6/src/generator.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_generator-2.9.6/src/parse_derive.rs

/work/main/target-check/debug/deps/libpest_generator-4ac8334a728bb31d.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_generator-2.9.6/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_generator-2.9.6/src/macros.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_generator-2.9.6/src/docs.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_generator-2.9.6/src/generator.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_generator-2.9.6/src/parse_derive.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_generator-2.9.6/src/lib.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_generator-2.9.6/src/macros.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_generator-2.9.6/src/docs.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_generator-2.9.6/src/generator.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_generator-2.9.6/src/parse_derive.rs:
