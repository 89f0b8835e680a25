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
