#!/usr/bin/env bash
# Reproduces the figures in BENCHMARKS.md:
#   1. release wasm size, raw and gzipped, and where its bytes go per crate
#   2. cold start to /readyz 200 on an empty SQLite database (hyperfine)
#   3. the server-rendered project list under load (wrk, 64 connections, 30 s)
# Needs wrk and hyperfine (Debian packages of the same names).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
TARGET="$(realpath -m "${CARGO_TARGET_DIR:-target}")"
BIN="$TARGET/release/slipway"
PORT="${BENCH_PORT:-3990}"

say "release build (scripts/build.sh, as run.sh)"
./scripts/build.sh

say "1. wasm size"
WASM=target/site/pkg/slipway.wasm
printf 'raw:  %s bytes\ngzip: %s bytes\n' "$(stat -c %s "$WASM")" "$(gzip -9 -c "$WASM" | wc -c)"
scripts/wasm-size.py "$TARGET/front/wasm32-unknown-unknown/wasm-release/frontend.wasm" 20

say "2. cold start to /readyz on an empty SQLite database"
hyperfine --warmup 2 --runs 20 "scripts/cold-start.sh $BIN $((PORT + 1))"

say "3. /projects under load"
DATA="$(mktemp -d)"
SLIPWAY_DATA_DIR="$DATA" SLIPWAY_ADDR="127.0.0.1:$PORT" SLIPWAY_ADMIN_PASSWORD="bench password 123" \
  SLIPWAY_SITE_ROOT=target/site SLIPWAY_LOG=warn "$BIN" serve --seed-demo &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$DATA"' EXIT
until curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.05; done
COOKIE="$(curl -fs -o /dev/null -D - -H "Origin: http://127.0.0.1:$PORT" \
  -d 'username=admin&password=bench+password+123' "http://127.0.0.1:$PORT/api/session/login" \
  | awk -F'[:;] *' 'tolower($1)=="set-cookie" {print $2}')"
curl -fs -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/projects" | grep -q 'Slipway demo'
wrk -t2 -c64 -d30s --latency -H "Cookie: $COOKIE" -H "Accept: text/html" "http://127.0.0.1:$PORT/projects"
