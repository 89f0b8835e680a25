/work/main/target-check/debug/deps/pest_stack_guard-10d1a0ebedf613b2.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_stack_guard-1.0.1/src/lib.rs

/work/main/target-check/debug/deps/libpest_stack_guard-10d1a0ebedf613b2.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_stack_guard-1.0.1/src/lib.rs

/work/main/target-check/debug/deps/libpest_stack_guard-10d1a0ebedf613b2.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_stack_guard-1.0.1/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_stack_guard-1.0.1/src/lib.rs:
