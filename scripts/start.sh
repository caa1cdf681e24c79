#!/usr/bin/env bash
# Starts Lakehive with embedded defaults: the Hive Metastore on thrift://127.0.0.1:9083, the SQL
# gateway on postgres://127.0.0.1:5433, the RocksDB catalog and warehouse under ./lakehive-data. Extra arguments go to `lakehive serve`
# (see `--help`). Installs the build dependency libclang-dev first if it is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh" --build-only
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/lakehive/target}"
echo "[start] building lakehive (release; the first build compiles RocksDB and takes a while)" >&2
cargo build --release --manifest-path "$ROOT/Cargo.toml" --bin lakehive
# --pg-trust: the SQL gateway on 127.0.0.1:5433 accepts local users without a password; drop it
# and configure [[gateway.users]] in lakehive.toml to require SCRAM passwords.
exec "$CARGO_TARGET_DIR/release/lakehive" serve --pg-trust "$@"
