/work/main/target-check/debug/deps/strum-fba83036fb34522d.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/strum-0.28.0/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/strum-0.28.0/src/additional_attributes.rs

/work/main/target-check/debug/deps/libstrum-fba83036fb34522d.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/strum-0.28.0/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/strum-0.28.0/src/additional_attributes.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/strum-0.28.0/src/lib.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/strum-0.28.0/src/additional_attributes.rs:
