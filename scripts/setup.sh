#!/usr/bin/env bash
# Installs what building Slipway needs and is missing: the wasm32 target,
# cargo-leptos, the wasm-bindgen CLI matching Cargo.lock, and the npm packages
# (Playwright, and binaryen for wasm-opt). Sourced by run.sh and test.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

if ! command -v cargo >/dev/null; then
  echo "Rust is not installed: see https://rustup.rs" >&2
  exit 1
fi
if ! rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# cargo-leptos 0.3.11 needs a newer rustc than 1.95; 0.3.10 is the newest that builds.
if ! cargo leptos --version 2>/dev/null | grep -q '0\.3\.'; then
  say "installing cargo-leptos 0.3.10 (about 25 minutes on 2 cores, once)"
  cargo install cargo-leptos --version 0.3.10 --locked
fi

# The wasm-bindgen CLI must be exactly the version of the crate in Cargo.lock.
WB_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WB_VERSION" ]; then
  say "installing wasm-bindgen-cli $WB_VERSION"
  # Not --locked: its lockfile names a webpki-roots the registry may not serve.
  cargo install wasm-bindgen-cli --version "$WB_VERSION"
fi

if ! command -v npm >/dev/null; then
  echo "Node.js and npm are needed for the browser tests and wasm-opt: install the 'nodejs' and 'npm' packages" >&2
  exit 1
fi
if [ ! -x "$ROOT/end2end/node_modules/.bin/playwright" ] || [ ! -x "$ROOT/end2end/node_modules/.bin/wasm-opt" ]; then
  say "installing npm packages (Playwright, binaryen)"
  (cd "$ROOT/end2end" && npm ci --no-audit --no-fund)
fi
# npm's binaryen provides wasm-opt; Debian's older one breaks hydration.
export PATH="$ROOT/end2end/node_modules/.bin:$PATH"

# The test suite checks Slipway's iCalendar feeds with an independent parser,
# and its notification e-mail with a real SMTP server (aiosmtpd).
if ! python3 -c "import icalendar, aiosmtpd" 2>/dev/null; then
  say "installing the Python icalendar and aiosmtpd packages (feed and e-mail tests)"
  python3 -m pip install --quiet --disable-pip-version-check icalendar aiosmtpd || say "could not install icalendar and aiosmtpd; the feed and e-mail tests need them"
fi
