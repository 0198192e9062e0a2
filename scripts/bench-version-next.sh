#!/usr/bin/env bash
# `slipway version next` on a history whose stable releases are cut on
# release branches, measured against the `git log` floor and git-cliff's
# `--bumped-version` in the same hyperfine run.
#
#   scripts/bench-version-next.sh [BIN]
#
# The repository (BENCH_RB_REPO, default /tmp/slipway-bench-release-branches),
# generated when missing: scripts/gen-repo.py's main line (18,200 commits with
# 150 release tags, then 500 unreleased commits: 18,700 on main), plus 40
# release branches forked from main across its history, each with two fixes
# and a release tag newer than every tag on main (v100.0.0 … v139.0.0) — so
# every one of them is newer than main's last release and not reachable from
# main: the shape that used to cost a merge-base per tag, twice.
# Needs git, python3, hyperfine; git-cliff on PATH (or GIT_CLIFF=...) to
# include it (`cargo install git-cliff --locked`).
set -euo pipefail
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

if [ -n "${1:-}" ]; then BIN="$(realpath -m -- "$1")"; fi
cd "$(dirname "$0")/.."
BIN="${BIN:-$(realpath -m -- "${CARGO_TARGET_DIR:-target}/release/slipway")}"
REPO="$(realpath -m -- "${BENCH_RB_REPO:-/tmp/slipway-bench-release-branches}")"
GIT_CLIFF="${GIT_CLIFF:-$(command -v git-cliff || true)}"

if [ ! -d "$REPO/.git" ] && [ ! -f "$REPO/HEAD" ]; then
  say "generating $REPO"
  python3 scripts/gen-repo.py "$REPO" --commits 18200 --tags 150 --tail 500 >&2
  (
    cd "$REPO"
    mapfile -t main < <(git rev-list --reverse main)
    export GIT_AUTHOR_NAME="Release Bot" GIT_AUTHOR_EMAIL=bot@shop.example
    export GIT_COMMITTER_NAME="Release Bot" GIT_COMMITTER_EMAIL=bot@shop.example
    for k in $(seq 0 39); do
      fork="${main[$(( (k + 1) * 450 ))]}"
      tree="$(git rev-parse "$fork^{tree}")"
      when=$(( 1577836800 + (k + 1) * 450 * 600 + 300 ))
      a=$(GIT_AUTHOR_DATE="@$when +0000" GIT_COMMITTER_DATE="@$when +0000" \
        git commit-tree "$tree" -p "$fork" -m "fix(release): backport a fix to release $((100 + k))")
      b=$(GIT_AUTHOR_DATE="@$((when + 60)) +0000" GIT_COMMITTER_DATE="@$((when + 60)) +0000" \
        git commit-tree "$tree" -p "$a" -m "chore(release): $((100 + k)).0.0")
      git branch -f "release/$((100 + k))" "$b"
      git tag "v$((100 + k)).0.0" "$b"
    done
    git commit-graph write --reachable --no-progress
  )
fi

say "what each tool proposes"
echo "slipway:   $("$BIN" version next --repo "$REPO" --ref main 2>&1)"
if [ -n "$GIT_CLIFF" ]; then
  echo "git-cliff: $(cd "$REPO" && "$GIT_CLIFF" --bumped-version 2>/dev/null)"
fi

say "timings (hyperfine, 10 runs after 2 warm-ups)"
cmds=(
  -n "git log (all of main)" "git -C $REPO log main --no-merges --format=%H%x00%s%x00%b > /dev/null"
  -n "slipway version next" "$BIN version next --repo $REPO --ref main"
)
if [ -n "$GIT_CLIFF" ]; then
  cmds+=(-n "git-cliff --bumped-version" "cd $REPO && $GIT_CLIFF --bumped-version")
fi
hyperfine --warmup 2 --runs 10 --style basic --export-markdown /dev/stdout "${cmds[@]}"
