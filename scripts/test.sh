#!/usr/bin/env bash
# Slipway's whole test suite, as CI runs it:
#   formatting, clippy -D warnings (server/ssr and browser/hydrate builds),
#   unit and integration tests on SQLite and PostgreSQL,
#   then the Playwright suite in headless Chromium against the release build
#   that ./scripts/run.sh serves (scripts/build.sh: the same profiles, the same
#   wasm-opt step) — the artifact that ships is the artifact that is tested.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

# Debian's Chromium for the browser tests (never Playwright's download).
if [ ! -x /usr/bin/chromium ]; then
  say "installing Debian's chromium"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium
fi

# jq: the CI examples (docs/ci/release.sh), which the suite runs, use it.
if ! command -v jq >/dev/null; then
  say "installing jq (the CI examples use it)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq jq
fi

# The test suite checks Slipway's iCalendar feeds with an independent parser,
# its notification e-mail with a real SMTP server (aiosmtpd), its API
# against its own OpenAPI document (schemathesis), and its webhook
# signatures with an independent implementation (standardwebhooks).
if ! python3 -c "import icalendar, aiosmtpd, schemathesis, standardwebhooks" 2>/dev/null; then
  say "installing the Python icalendar, aiosmtpd, schemathesis and standardwebhooks packages (feed, e-mail, API and webhook tests)"
  python3 -m pip install --quiet --disable-pip-version-check icalendar aiosmtpd schemathesis==4.32.5 standardwebhooks || say "could not install icalendar, aiosmtpd, schemathesis and standardwebhooks; the feed, e-mail, API and webhook tests need them"
fi

if [ -z "${SLIPWAY_TEST_POSTGRES_URL:-}" ]; then
  export SLIPWAY_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/test"
  say "SLIPWAY_TEST_POSTGRES_URL is unset; using $SLIPWAY_TEST_POSTGRES_URL"
fi

# The value build.sh sets, so every cargo command here shares its artifacts.
export LEPTOS_OUTPUT_NAME=slipway
TARGET="$(realpath -m "${CARGO_TARGET_DIR:-target}")"

say "cargo fmt --check"
cargo fmt --all --check

say "clippy (server, ssr)"
cargo clippy --workspace --exclude frontend --all-targets --locked -- -D warnings
say "clippy (browser, hydrate)"
cargo clippy -p app -p frontend --features app/hydrate --target wasm32-unknown-unknown --locked -- -D warnings

say "unit and integration tests (SQLite and PostgreSQL)"
cargo test --workspace --exclude frontend --locked

say "building the release the browser tests drive (scripts/build.sh, as run.sh does)"
./scripts/build.sh

say "Playwright (headless Chromium, release build)"
(cd end2end && CI=1 SLIPWAY_E2E_BINARY="$TARGET/release/slipway" npx playwright test)
say "all tests passed"
