#!/usr/bin/env bash
# Installs what building and testing Lakehive needs and is not on a fresh Debian machine with
# Rust: libclang-dev (RocksDB's bindings), a JDK (Spark and the reference metastore), psql and
# pgjdbc (gateway clients) and a Python virtualenv with the real test clients. `--build-only` stops after the build dependencies.
# Safe to run again: it only installs what is missing.
set -euo pipefail

say() { printf '[setup] %s\n' "$*" >&2; }

CACHE_DIR="${LAKEHIVE_CACHE_DIR:-$HOME/.cache/lakehive}"
VENV="${LAKEHIVE_VENV:-$CACHE_DIR/venv}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

apt_missing=()
dpkg -s libclang-dev >/dev/null 2>&1 || apt_missing+=(libclang-dev)
if [ "${1:-}" != "--build-only" ]; then
  command -v java >/dev/null 2>&1 || apt_missing+=(default-jdk-headless)
  command -v python3 >/dev/null 2>&1 || apt_missing+=(python3 python3-venv)
  command -v psql >/dev/null 2>&1 || apt_missing+=(postgresql-client)
  [ -f /usr/share/java/postgresql.jar ] || apt_missing+=(libpostgresql-jdbc-java)
fi
if [ ${#apt_missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${apt_missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi

if [ "${1:-}" = "--build-only" ]; then
  say "build dependencies ready"
  exit 0
fi

stamp="$VENV/.lakehive-requirements"
if [ ! -f "$stamp" ] || ! cmp -s "$stamp" "$ROOT/integration/requirements.txt"; then
  say "creating the Python virtualenv with the test clients in $VENV"
  mkdir -p "$CACHE_DIR"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q -r "$ROOT/integration/requirements.txt"
  cp "$ROOT/integration/requirements.txt" "$stamp"
fi
say "ready (virtualenv: $VENV)"
