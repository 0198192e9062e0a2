#!/usr/bin/env bash
# Sets up what is missing, builds Slipway in release mode (scripts/build.sh)
# and starts the portal at http://127.0.0.1:3000 on embedded SQLite (./data)
# with a demo project. The first start prints the admin's one-time password,
# unless SLIPWAY_ADMIN_PASSWORD is set. Extra arguments go to `slipway serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
source scripts/setup.sh
TARGET="$(realpath -m "${CARGO_TARGET_DIR:-target}")"
say "starting Slipway on http://${SLIPWAY_ADDR:-127.0.0.1:3000}"
export SLIPWAY_SITE_ROOT="${SLIPWAY_SITE_ROOT:-target/site}"
exec "$TARGET/release/slipway" serve --seed-demo "$@"
