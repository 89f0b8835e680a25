/work/main/target-check/debug/deps/psm-ada43ea69be56c79.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/psm-0.1.32/src/lib.rs

/work/main/target-check/debug/deps/libpsm-ada43ea69be56c79.rlib: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/psm-0.1.32/src/lib.rs

/work/main/target-check/debug/deps/libpsm-ada43ea69be56c79.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/psm-0.1.32/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/psm-0.1.32/src/lib.rs:
