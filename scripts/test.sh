#!/usr/bin/env bash
# Runs the whole test suite: formatting and lints, the Rust unit and integration tests, then
# the end-to-end tests with real clients (hmsclient, PySpark, PyIceberg) against the built
# `lakehive` binary. Installs what is missing first (scripts/setup.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lakehive/target}"
VENV="${LAKEHIVE_VENV:-${LAKEHIVE_CACHE_DIR:-$HOME/.cache/lakehive}/venv}"

step() { printf '\n[test] %s\n' "$*" >&2; }
step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
step "cargo test"
cargo test --workspace
step "building the lakehive binary for the end-to-end tests"
cargo build --bin lakehive
step "end-to-end tests with real clients"
LAKEHIVE_BIN="$CARGO_TARGET_DIR/debug/lakehive" "$VENV/bin/pytest" integration/python "$@"
