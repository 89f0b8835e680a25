/work/main/target-check/debug/deps/nalgebra_macros-737b59770e7d2e0d.d: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/nalgebra-macros-0.3.0/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/nalgebra-macros-0.3.0/src/matrix_vector_impl.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/nalgebra-macros-0.3.0/src/stack_impl.rs

/work/main/target-check/debug/deps/libnalgebra_macros-737b59770e7d2e0d.so: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/nalgebra-macros-0.3.0/src/lib.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/nalgebra-macros-0.3.0/src/matrix_vector_impl.rs /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/nalgebra-macros-0.3.0/src/stack_impl.rs

/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/nalgebra-macros-0.3.0/src/lib.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/nalgebra-macros-0.3.0/src/matrix_vector_impl.rs:
/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/nalgebra-macros-0.3.0/src/stack_impl.rs:
