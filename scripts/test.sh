#!/usr/bin/env bash
# Slipway's whole test suite, as CI runs it:
#   formatting, clippy -D warnings (server/ssr and browser/hydrate builds),
#   unit and integration tests on SQLite and PostgreSQL,
#   then the Playwright suite in headless Chromium against a built server.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

# Debian's Chromium for the browser tests (never Playwright's download).
if [ ! -x /usr/bin/chromium ]; then
  say "installing Debian's chromium"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium
fi

if [ -z "${SLIPWAY_TEST_POSTGRES_URL:-}" ]; then
  export SLIPWAY_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/test"
  say "SLIPWAY_TEST_POSTGRES_URL is unset; using $SLIPWAY_TEST_POSTGRES_URL"
fi

# The same value cargo-leptos sets, so its builds and cargo's share artifacts.
export LEPTOS_OUTPUT_NAME=slipway
TARGET="${CARGO_TARGET_DIR:-target}"

say "cargo fmt --check"
cargo fmt --all --check

say "clippy (server, ssr)"
cargo clippy --workspace --exclude frontend --all-targets --locked -- -D warnings
say "clippy (browser, hydrate)"
cargo clippy -p app -p frontend --features app/hydrate --target wasm32-unknown-unknown --locked -- -D warnings

say "unit and integration tests (SQLite and PostgreSQL)"
cargo test --workspace --exclude frontend --locked

say "building the portal for the browser tests"
cargo leptos build

say "Playwright (headless Chromium)"
(cd end2end && CI=1 SLIPWAY_E2E_BINARY="$TARGET/debug/slipway" npx playwright test)
say "all tests passed"
