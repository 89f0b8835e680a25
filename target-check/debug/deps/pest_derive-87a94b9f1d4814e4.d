/work/main/target-check/debug/deps/pest_derive-87a94b9f1d4814e4.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_derive-2.9.6/src/lib.rs

/work/main/target-check/debug/deps/libpest_derive-87a94b9f1d4814e4.so: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_derive-2.9.6/src/lib.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pest_derive-2.9.6/src/lib.rs:
