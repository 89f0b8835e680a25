/work/main/target-check/debug/deps/psm-6f10b2dd1d8aa23d.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/psm-0.1.32/src/lib.rs

/work/main/target-check/debug/deps/libpsm-6f10b2dd1d8aa23d.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/psm-0.1.32/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/psm-0.1.32/src/lib.rs:
