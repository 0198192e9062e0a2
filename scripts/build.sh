#!/usr/bin/env bash
# Builds what ./scripts/run.sh serves and ./scripts/test.sh tests — the same
# artifact, every time:
#   target/release/slipway            the server (profile `release`, feature ssr)
#   target/site/pkg/slipway.{js,wasm} the browser bundle's main module (profile
#                                     `wasm-release`, feature hydrate): what
#                                     every page needs; wasm-split, wasm-bindgen,
#                                     wasm-opt -Oz
#   target/site/pkg/*.<build id>.wasm the pages' code, in modules fetched when a
#                                     page of their group is first shown; the
#                                     loader __wasm_split.*.js, and the manifest
#                                     from which the server names a page's
#                                     modules in preload links
#   target/site/pkg/slipway.css       the stylesheet (plain CSS, copied)
#   target/site/pkg/swagger-ui*       Swagger UI for /api/docs (npm swagger-ui-dist)
#   target/site/*                     public/ (favicon)
#
# This is the workspace's own build step; cargo-leptos is not needed (it took
# ~25 minutes to compile on a fresh machine, and its release builds passed
# different cfg flags to the two sides — the cause of a hydration panic on
# every page). Both sides get their rustflags from .cargo/config.toml only:
# RUSTFLAGS must be unset, or the server and the browser may disagree again.
# `cargo leptos watch` still works for development: the workspace keeps its
# [[workspace.metadata.leptos]] section, and produces the same file names.
#
# The front (wasm) and the server compile in parallel, in separate target
# directories (as cargo-leptos does) so neither waits for the other's lock.
# Honours CARGO_TARGET_DIR (default: ./target). The site always goes to
# ./target/site.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh

if [ -n "${RUSTFLAGS:-}" ]; then
  echo "RUSTFLAGS is set ('$RUSTFLAGS'): it would override .cargo/config.toml and" >&2
  echo "compile the server and the browser bundle differently. Unset it and retry." >&2
  exit 2
fi

TARGET="$(realpath -m "${CARGO_TARGET_DIR:-$ROOT/target}")"
FRONT_TARGET="$TARGET/front"
SITE="$ROOT/target/site"
# One build of this checkout at a time (two would write the same site).
mkdir -p "$ROOT/target"
exec 9>"$ROOT/target/.build.lock"
if ! flock -n 9; then
  say "another build of this checkout is running; waiting for it"
  flock 9
fi
# leptos reads the bundle's name at compile time (both sides).
export LEPTOS_OUTPUT_NAME=slipway

say "building the server (release) and the browser bundle (wasm-release) in parallel"
( cargo build --locked --release --package slipway --bin slipway \
    --no-default-features --features ssr 2>&1 | sed -u 's/^/[server] /' >&2
  exit "${PIPESTATUS[0]}" ) &
server_pid=$!
# If the front fails, do not leave the server build running.
trap 'kill "$server_pid" 2>/dev/null || true' EXIT

# Linked with relocations: wasm-split needs them to follow every reference
# (calls, vtables, function pointers) when it divides the code. `cargo rustc`
# gives the flag to the frontend crate's link only (RUSTFLAGS would rebuild
# every dependency, and is refused above).
( cargo rustc --locked --package frontend --lib --target wasm32-unknown-unknown \
    --no-default-features --features hydrate --profile wasm-release \
    --target-dir "$FRONT_TARGET" -- -C link-arg=--emit-relocs \
    2>&1 | sed -u 's/^/[front]  /' >&2
  exit "${PIPESTATUS[0]}" )

ensure_wasm_bindgen
ensure_wasm_split
# Splitting, wasm-bindgen and wasm-opt take a minute or two: skip them when
# the compiled wasm and the tools are what produced the current bundle.
WASM_IN="$FRONT_TARGET/wasm32-unknown-unknown/wasm-release/frontend.wasm"
# The producers and target-features sections are of no use to browsers, and
# every one of the split modules would carry them (~200 bytes each).
OPT_FLAGS=(-Oz --enable-bulk-memory --strip-producers --strip-target-features)
stamp="$(sha256sum "$WASM_IN" | cut -d' ' -f1) $(wasm-bindgen --version) $(slipway-wasm-split --version) $(wasm-opt --version) ${OPT_FLAGS[*]}"
rm -rf "$SITE.new"
mkdir -p "$SITE.new/pkg"
if [ -f "$SITE/pkg/slipway.wasm" ] && [ -f "$SITE/pkg/slipway.js" ] \
   && [ "$(cat "$SITE/.bundle-stamp" 2>/dev/null)" = "$stamp" ]; then
  say "browser bundle unchanged"
  cp -R "$SITE/pkg/." "$SITE.new/pkg/"
  cp "$SITE/.bundle-stamp" "$SITE.new/"
else
  say "wasm-split, wasm-bindgen and wasm-opt"
  # Each group of lazy routes (app/src/lib.rs) gets a module of its own, and
  # code that several groups share a module for each combination; what every
  # page needs stays in the main module, which wasm-bindgen then processes as
  # usual (keeping the exports the other modules import from it).
  MAIN_SPLIT="$FRONT_TARGET/slipway_split.wasm"
  slipway-wasm-split "$WASM_IN" "$SITE.new/pkg" "$MAIN_SPLIT"
  wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle \
    --out-name slipway --out-dir "$SITE.new/pkg" "$MAIN_SPLIT"
  # leptos's hydration script loads `<output-name>.wasm` (cargo-leptos renames too).
  mv "$SITE.new/pkg/slipway_bg.wasm" "$SITE.new/pkg/slipway.wasm"
  # npm's binaryen (setup.sh puts it first on PATH); Debian's 108 breaks hydration.
  # Every module, two at a time. (It warns about the name section's newer
  # subsections, which it drops anyway: not worth a line per module.)
  find "$SITE.new/pkg" -name '*.wasm' -print0 | sort -z \
    | xargs -0 -P 2 -I{} wasm-opt "${OPT_FLAGS[@]}" {} -o {} \
      2> >(grep -v '^warning: unknown name subsection' >&2)
  printf "%s" "$stamp" >"$SITE.new/.bundle-stamp"
fi
cp style/slipway.css "$SITE.new/pkg/slipway.css"
# The API documentation (/api/docs): Swagger UI from npm (setup.sh installed
# it), served by Slipway itself so that offline installations have it too.
cp "$ROOT/end2end/node_modules/swagger-ui-dist/swagger-ui-bundle.js" \
   "$ROOT/end2end/node_modules/swagger-ui-dist/swagger-ui.css" "$SITE.new/pkg/"
cp -R public/. "$SITE.new/"

if ! wait "$server_pid"; then
  echo "the server build failed (its output is above, marked [server])" >&2
  exit 1
fi
trap - EXIT

# Swap the new site in only when everything built.
rm -rf "$SITE.old"
[ -d "$SITE" ] && mv "$SITE" "$SITE.old"
mv "$SITE.new" "$SITE"
rm -rf "$SITE.old"
say "built $TARGET/release/slipway and $SITE ($(wc -c <"$SITE/pkg/slipway.wasm") bytes of wasm in the main module, $(cat "$SITE"/pkg/*.wasm | wc -c) in all)"
