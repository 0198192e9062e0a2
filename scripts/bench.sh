#!/usr/bin/env bash
# Reproduces the figures in BENCHMARKS.md:
#   1. release wasm size, raw and gzipped, and where its bytes go per crate
#   2. cold start to /readyz 200 on an empty SQLite database (hyperfine)
#   3. pages under load (wrk, 64 connections, 30 s each, one after another)
#      on the data set scripts/bench-seed.py creates over HTTP: /login
#      (signed out), /projects, a sign-off page, the approver's dashboard
#      and the calendar's month view; a summary table at the end.
#   4. the API under load with a service token (wrk, 32 connections, 30 s):
#      GET /api/v1/projects/demo/environments and POST evidence on a release
#      (the per-token rate limit is turned off for this: SLIPWAY_API_RATE_PER_SECOND=0).
# Needs wrk and hyperfine (Debian packages of the same names) and python3.
#
# Environment:
#   BENCH_ONLY=pages   only step 3, with the binary and site already built
#   BENCH_ONLY=api     only step 4, with the binary already built
#   SLIPWAY_BIN        the server binary (default: the release build)
#   SLIPWAY_SITE_ROOT  the built site (default: target/site)
#   BENCH_DURATION     wrk's duration per page (default 30s)
#   BENCH_PORT         port of step 3 (default 3990; cold start uses +1)
#   BENCH_MONTH        month the seeded releases are planned in (YYYY-MM)
set -euo pipefail
cd "$(dirname "$0")/.."
ONLY="${BENCH_ONLY:-all}"
case "$ONLY" in
  all) source scripts/setup.sh ;;
  pages | api) say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; } ;;
  *) echo "BENCH_ONLY must be 'pages', 'api' or unset" >&2; exit 2 ;;
esac
TARGET="$(realpath -m "${CARGO_TARGET_DIR:-target}")"
BIN="${SLIPWAY_BIN:-$TARGET/release/slipway}"
SITE="${SLIPWAY_SITE_ROOT:-target/site}"
PORT="${BENCH_PORT:-3990}"
DURATION="${BENCH_DURATION:-30s}"

if [ "$ONLY" = all ]; then
  say "release build (scripts/build.sh, as run.sh)"
  ./scripts/build.sh

  say "1. wasm size"
  WASM="$SITE/pkg/slipway.wasm"
  printf 'raw:  %s bytes\ngzip: %s bytes\n' "$(stat -c %s "$WASM")" "$(gzip -9 -c "$WASM" | wc -c)"
  scripts/wasm-size.py "$TARGET/front/wasm32-unknown-unknown/wasm-release/frontend.wasm" 20

  say "2. cold start to /readyz on an empty SQLite database"
  hyperfine --warmup 2 --runs 20 "scripts/cold-start.sh $BIN $((PORT + 1))"
elif [ ! -x "$BIN" ]; then
  echo "no server binary at $BIN: build it (scripts/build.sh) or set SLIPWAY_BIN" >&2
  exit 1
fi

BASE="http://127.0.0.1:$PORT"
DATA="$(mktemp -d)"
OUT="$(mktemp -d)"
SLIPWAY_DATA_DIR="$DATA" SLIPWAY_ADDR="127.0.0.1:$PORT" SLIPWAY_ADMIN_PASSWORD="bench password 123" \
  SLIPWAY_SITE_ROOT="$SITE" SLIPWAY_LOG=warn SLIPWAY_API_RATE_PER_SECOND=0 "$BIN" serve --seed-demo &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$DATA" "$OUT"' EXIT
until curl -fs "$BASE/readyz" >/dev/null; do
  kill -0 "$PID" 2>/dev/null || { echo "the server did not start" >&2; exit 1; }
  sleep 0.05
done

if [ "$ONLY" != api ]; then
say "3. pages under load ($DURATION each)"
say "seeding the data set (scripts/bench-seed.py)"
SEED="$(scripts/bench-seed.py "$BASE" "bench password 123" ${BENCH_MONTH:+--month "$BENCH_MONTH"})"
eval "$SEED"

# name | URL | cookie (empty: signed out) | text the page must contain
PAGES=(
  "/login (signed out)|$BASE/login||name=\"password\""
  "/projects (admin)|$BASE/projects|$ADMIN_COOKIE|Slipway demo"
  "sign-off page (approver)|$SIGNOFF_URL|$APPROVER_COOKIE|data-test=\"timeline\""
  "dashboard / (approver)|$DASHBOARD_URL|$APPROVER_COOKIE|data-test=\"signoff-queue\""
  "calendar month (approver)|$CALENDAR_URL|$APPROVER_COOKIE|data-test=\"cal-entry\""
)

# Each page must render (200, with its content) before it is measured: wrk
# counts a 3xx as success, so a redirect to /login would pass unnoticed.
for i in "${!PAGES[@]}"; do
  IFS='|' read -r name url cookie marker <<<"${PAGES[$i]}"
  status="$(curl -s -o "$OUT/page" -w '%{http_code}' ${cookie:+-H "Cookie: $cookie"} -H "Accept: text/html" "$url")"
  if [ "$status" != 200 ] || ! grep -qF "$marker" "$OUT/page"; then
    echo "$name: $url answered $status without '$marker'; not measuring" >&2
    exit 1
  fi
done

for i in "${!PAGES[@]}"; do
  IFS='|' read -r name url cookie marker <<<"${PAGES[$i]}"
  say "$name: $url"
  wrk -t2 -c64 -d"$DURATION" --latency ${cookie:+-H "Cookie: $cookie"} -H "Accept: text/html" "$url" \
    | tee "$OUT/wrk-$i"
done

say "summary (wrk -t2 -c64 -d$DURATION --latency)"
printf '%-28s %10s %9s %9s %9s %8s %8s\n' page req/s p50 p99 requests non-2xx errors
for i in "${!PAGES[@]}"; do
  IFS='|' read -r name _ <<<"${PAGES[$i]}"
  awk -v name="$name" '
    $1 == "50%" { p50 = $2 }
    $1 == "99%" { p99 = $2 }
    / requests in / { requests = $1 }
    /^Requests\/sec:/ { rps = $2 }
    /Non-2xx or 3xx responses:/ { non2xx = $NF }
    /Socket errors:/ { gsub(/,/, ""); errors = $4 + $6 + $8 + $10 }
    END {
      printf "%-28s %10s %9s %9s %9s %8d %8d\n", name, rps, p50, p99, requests, non2xx, errors
    }' "$OUT/wrk-$i"
done
fi

if [ "$ONLY" = all ] || [ "$ONLY" = api ]; then
  say "4. the API under load (service token, wrk 32 connections, $DURATION each)"
  TOKEN="$(SLIPWAY_DATA_DIR="$DATA" "$BIN" admin create-token --username admin --name bench \
    --project demo --service --scope read,releases:write,evidence:write 2>/dev/null)"
  RELEASE="$(curl -fs -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"version\":\"9.9.9\",\"artifact\":\"sha256:$(printf '%064d' 1)\"}" \
    "$BASE/api/v1/projects/demo/releases" | jq -r .id)"
  cat >"$OUT/evidence.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"kind":"unit-tests","outcome":"passed","summary":"bench"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $TOKEN"
LUA
  for check in "$BASE/api/v1/projects/demo/environments"; do
    status="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$check")"
    [ "$status" = 200 ] || { echo "$check answered $status; not measuring" >&2; exit 1; }
  done
  say "GET /api/v1/projects/demo/environments"
  wrk -t2 -c32 -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" \
    "$BASE/api/v1/projects/demo/environments" | tee "$OUT/api-read"
  say "POST /api/v1/releases/$RELEASE/evidence"
  wrk -t2 -c32 -d"$DURATION" --latency -s "$OUT/evidence.lua" \
    "$BASE/api/v1/releases/$RELEASE/evidence" | tee "$OUT/api-write"
fi
