#!/usr/bin/env bash
# Starts slipway on a fresh, empty SQLite database and returns once /readyz
# answers 200 (used by bench.sh under hyperfine).
set -euo pipefail
BIN="$1"; PORT="$2"
DATA="$(mktemp -d)"
SLIPWAY_DATA_DIR="$DATA" SLIPWAY_ADDR="127.0.0.1:$PORT" SLIPWAY_ADMIN_PASSWORD="bench password 123" \
  SLIPWAY_LOG=error "$BIN" serve &
PID=$!
until curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; do sleep 0.005; done
kill "$PID"; wait "$PID" 2>/dev/null || true
rm -rf "$DATA"
