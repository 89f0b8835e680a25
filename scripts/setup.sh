#!/usr/bin/env bash
# Installs what building and testing screen needs on a fresh Debian machine with Rust.
# Idempotent: does nothing when everything is already there.
set -euo pipefail
if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found; install Rust (rustup) first" >&2
  exit 1
fi
# The corpus tests read ../shared (shipped beside the repository).
if [ ! -d "$(dirname "$0")/../../shared" ]; then
  echo "setup: warning: ../shared not found; corpus tests will fail" >&2
fi
# spglib-sys builds the C spglib with cmake and generates its bindings with libclang
# (bindgen): install both from Debian when missing (apt-get update once, non-interactive).
missing_pkgs=()
command -v cmake >/dev/null 2>&1 || missing_pkgs+=(cmake)
# bindgen loads libclang.so / libclang-<N>.so.<M>; libclang-cpp (the C++ API, pulled in by
# other packages) matches a looser glob but is not it.
have_libclang=false
for lib in /usr/lib/llvm-*/lib/libclang.so* /usr/lib/llvm-*/lib/libclang-[0-9]*.so* \
  /usr/lib/x86_64-linux-gnu/libclang.so* /usr/lib/x86_64-linux-gnu/libclang-[0-9]*.so*; do
  [ -e "$lib" ] && have_libclang=true
done
$have_libclang || missing_pkgs+=(libclang-dev)
if [ ${#missing_pkgs[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
  echo "setup: installing ${missing_pkgs[*]} (apt-get)" >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}"
fi
# Disk left where cargo builds (a full disk shows up as a linker "Bus error").
df -h "$(dirname "$0")/.." 2>/dev/null | tail -1 | awk '{print "setup: " $4 " free on " $6}' >&2 || true
