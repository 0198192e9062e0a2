#!/usr/bin/env bash
# Installs what building Slipway needs and is missing: the wasm32 target, the
# npm packages (Playwright, and binaryen for wasm-opt) and — when build.sh
# reaches the step that needs them, while the server still compiles — the
# wasm-bindgen CLI matching Cargo.lock and the wasm splitter
# (scripts/wasm-split). Sourced by build.sh, run.sh, test.sh. cargo-leptos is
# not needed (see build.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

if ! command -v cargo >/dev/null; then
  echo "Rust is not installed: see https://rustup.rs" >&2
  exit 1
fi
if ! rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The wasm-bindgen CLI must be exactly the version of the crate in Cargo.lock
# (a mismatch breaks at runtime, not at build time).
ensure_wasm_bindgen() {
  local want
  want="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    say "installing wasm-bindgen-cli $want (about 3 minutes, once)"
    # Not --locked: its lockfile names a webpki-roots the registry may not serve.
    cargo install wasm-bindgen-cli --version "$want"
  fi
}

# The wasm splitter (scripts/wasm-split: the library cargo-leptos 0.3 uses for
# `--split`). Its version is that of its Cargo.toml; bump it with any change.
# Its own target directory, so that it does not wait for the server's build.
ensure_wasm_split() {
  local want
  want="$(awk -F'"' '/^version = / { print $2; exit }' "$ROOT/scripts/wasm-split/Cargo.toml")"
  if [ "$(slipway-wasm-split --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    say "installing slipway-wasm-split $want (about a minute, once)"
    cargo install --locked --path "$ROOT/scripts/wasm-split" \
      --target-dir "$(realpath -m "${CARGO_TARGET_DIR:-$ROOT/target}")/tools"
  fi
}

if ! command -v npm >/dev/null; then
  echo "Node.js and npm are needed for the browser tests and wasm-opt: install the 'nodejs' and 'npm' packages" >&2
  exit 1
fi
# (Again whenever package-lock.json changed since the last install.)
if [ ! -x "$ROOT/end2end/node_modules/.bin/wasm-opt" ] \
   || [ "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]; then
  say "installing npm packages (binaryen, Playwright, the reference commit parser)"
  (cd "$ROOT/end2end" && npm ci --no-audit --no-fund)
fi
# npm's binaryen provides wasm-opt; Debian's older one breaks hydration.
export PATH="$ROOT/end2end/node_modules/.bin:$PATH"
