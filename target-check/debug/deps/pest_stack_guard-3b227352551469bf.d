/work/main/target-check/debug/deps/pest_stack_guard-3b227352551469bf.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_stack_guard-1.0.1/src/lib.rs

/work/main/target-check/debug/deps/libpest_stack_guard-3b227352551469bf.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_stack_guard-1.0.1/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_stack_guard-1.0.1/src/lib.rs:
