#!/usr/bin/env bash
# Installs a CUDA toolkit (nvcc, cicc, headers, cudart/cublas/curand) from NVIDIA's PyPI wheels
# into a prefix, for building screen with `--features cuda` on a machine without a system CUDA
# toolkit (the default build needs none of this). Then prints the environment to use:
#
#   eval "$(bash scripts/cuda-toolkit.sh /opt/cu13)"
#   cargo build --release --features cuda
#
# The binary loads libcuda (the driver) at run time, so it can be built here and run on a GPU
# machine. cudarc 0.19 knows CUDA up to 13.4; the wheels are 13.5, which is source compatible,
# hence CUDARC_CUDA_VERSION. CUDA_COMPUTE_CAP selects the GPU generation of candle's kernels
# (90 = Hopper: H100/H200; 80 = A100; 89 = Ada).
set -euo pipefail
prefix=${1:-/opt/cu13}
if [ ! -x "$prefix/nvidia/cu13/bin/nvcc" ]; then
  python3 -m pip install --quiet --target "$prefix" \
    nvidia-cuda-nvcc nvidia-cuda-runtime nvidia-cublas nvidia-curand nvidia-cuda-cccl nvidia-nvvm >&2
fi
root="$prefix/nvidia/cu13"
cat <<ENV
export PATH="$root/bin:\$PATH"
export CUDA_ROOT="$root" CUDA_PATH="$root" CUDA_HOME="$root"
export LD_LIBRARY_PATH="$root/lib:\${LD_LIBRARY_PATH:-}"
export CUDARC_CUDA_VERSION=13040
export CUDA_COMPUTE_CAP=\${CUDA_COMPUTE_CAP:-90}
ENV
