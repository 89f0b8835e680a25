/work/main/target-check/debug/deps/union_find-d23421f325c22d07.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/union-find-0.4.4/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/union-find-0.4.4/src/traits.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/union-find-0.4.4/src/union.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/union-find-0.4.4/src/quick_union.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/union-find-0.4.4/src/quick_find.rs

/work/main/target-check/debug/deps/libunion_find-d23421f325c22d07.rmeta: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/union-find-0.4.4/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/union-find-0.4.4/src/traits.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/union-find-0.4.4/src/union.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/union-find-0.4.4/src/quick_union.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/union-find-0.4.4/src/quick_find.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/union-find-0.4.4/src/lib.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/union-find-0.4.4/src/traits.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/union-find-0.4.4/src/union.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/union-find-0.4.4/src/quick_union.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/union-find-0.4.4/src/quick_find.rs:
