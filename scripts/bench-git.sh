#!/usr/bin/env bash
# Benchmarks the git engine (gix) of `slipway` against `git log` as a floor, on a
# generated repository (scripts/gen-repo.py: 100,000 commits with 1,000 release
# tags, then 500 unreleased commits):
#   1. whole history: `git log` vs `changelog --all` (the full CHANGELOG.md), and
#      `version next`
#   2. the typical release range (last tag..HEAD, 500 commits): `git log` vs
#      `changelog` (the next release's notes), and `version next --format json`
#   3. peak RSS of `changelog --all` and `version next`
# It also checks that slipway sees the tags and commits the generator made.
#
#   scripts/bench-git.sh [BIN]     BIN defaults to ${CARGO_TARGET_DIR:-target}/release/slipway
#
# BENCH_REPO: the repository (default /tmp/slipway-bench-repo), generated when missing.
# BENCH_GEN_ARGS: generator options for that, e.g. "--commits 2000 --tags 20 --tail 50".
# Needs git, python3 and hyperfine (Debian package); /usr/bin/time (package `time`)
# is used for peak RSS when present.
set -euo pipefail

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
warn() { printf '\033[1;33mwarning: %s\033[0m\n' "$*" >&2; }

if [ -n "${1:-}" ]; then
  BIN="$(realpath -m -- "$1")"
fi
cd "$(dirname "$0")/.."
ROOT="$PWD"
BIN="${BIN:-$(realpath -m -- "${CARGO_TARGET_DIR:-target}/release/slipway")}"
REPO="$(realpath -m -- "${BENCH_REPO:-/tmp/slipway-bench-repo}")"

for tool in git python3 hyperfine; do
  command -v "$tool" >/dev/null || { echo "$tool is needed (Debian package: $tool)" >&2; exit 1; }
done
if [ ! -x "$BIN" ]; then
  echo "no slipway binary at $BIN: build it (cargo build --release) or pass its path" >&2
  exit 1
fi

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

if ! git -C "$REPO" rev-parse -q --verify HEAD >/dev/null 2>&1; then
  if [ -e "$REPO" ]; then
    echo "$REPO exists but is not a generated repository: remove it or set BENCH_REPO" >&2
    exit 1
  fi
  say "generating $REPO (once; reused by later runs)"
  # Into a temporary directory first, so an interrupted run leaves nothing half-made.
  # shellcheck disable=SC2086 # BENCH_GEN_ARGS is a list of options
  python3 "$ROOT/scripts/gen-repo.py" "$REPO.partial.$$" ${BENCH_GEN_ARGS:-}
  mv "$REPO.partial.$$" "$REPO"
fi

LASTTAG="$(git -C "$REPO" describe --tags --abbrev=0)"
TOTAL="$(git -C "$REPO" rev-list --count HEAD)"
RANGE="$(git -C "$REPO" rev-list --count "$LASTTAG..HEAD")"
TAGS="$(git -C "$REPO" tag --list 'v*' | wc -l)"
say "repository $REPO: $TOTAL commits, $TAGS tags, $RANGE commits since $LASTTAG"
say "binary $BIN ($("$BIN" --version)), $(git --version), $(nproc) cores"

# Peak resident set size of a command (its stdout goes to $OUT).
peak_rss() {
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M KB' -o "$TMP/rss" "$@" >"$OUT"
    tail -n 1 "$TMP/rss"
  else
    # No GNU time: the children's maximum RSS as the kernel reports it after wait(2).
    python3 - "$OUT" "$@" <<'EOF'
import resource, subprocess, sys
with open(sys.argv[1], "wb") as out:
    subprocess.run(sys.argv[2:], stdout=out, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "KB (getrusage; /usr/bin/time is missing)")
EOF
  fi
}

say "peak RSS (one run each; the outputs are checked below)"
OUT="$TMP/changelog-all.md"
RSS_ALL="$(peak_rss "$BIN" changelog --repo "$REPO" --all)"
OUT="$TMP/version.txt"
RSS_VERSION="$(peak_rss "$BIN" version next --repo "$REPO")"
printf 'changelog --all  %s\nversion next     %s\n' "$RSS_ALL" "$RSS_VERSION"

say "checking what slipway sees"
"$BIN" version next --repo "$REPO" --format json >"$TMP/version.json"
"$BIN" changelog --repo "$REPO" >"$TMP/changelog.md"
python3 - "$TMP" "$LASTTAG" "$RANGE" "$TAGS" <<'EOF'
import json, sys
tmp, lasttag, range_count, tags = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
v = json.load(open(f"{tmp}/version.json"))
last = (v.get("last_release") or {}).get("name")
sections = [l for l in open(f"{tmp}/changelog-all.md") if l.startswith("## ")]
releases = [l for l in sections if not l.startswith("## Unreleased")]
bullets = sum(1 for l in open(f"{tmp}/changelog.md") if l.startswith("- "))
print(f"version next: {v.get('next')} ({v.get('bump')} bump) after {last}, "
      f"{v.get('commit_count')} commits in the range, {len(v.get('drivers', []))} drivers, "
      f"{len(v.get('cancelled', []))} cancelled by reverts, {len(v.get('non_conforming', []))} non-conforming")
print(f"changelog: {bullets} entries for the range; changelog --all: {len(releases)} release sections"
      + (" + Unreleased" if len(sections) > len(releases) else ""))
ok = True
for what, got, want in [("last release", last, lasttag), ("commits since it", v.get("commit_count"), range_count),
                        ("release sections in --all", len(releases), tags)]:
    if got != want:
        ok = False
        print(f"\033[1;33mwarning: {what}: slipway says {got}, git says {want}\033[0m", file=sys.stderr)
if ok:
    print("matches git (last tag, range size, number of releases)")
EOF

q() { printf '%q' "$1"; }
R="$(q "$REPO")"
B="$(q "$BIN")"
FORMAT='--format=%H%x00%s%x00%b'
say "timings (hyperfine)"
hyperfine --warmup 1 --runs 5 \
  --export-markdown "$TMP/bench.md" --export-json "$TMP/bench.json" \
  -n "git log (all)" "git -C $R log --no-merges $FORMAT > /dev/null" \
  -n "changelog --all" "$B changelog --repo $R --all > /dev/null" \
  -n "version next" "$B version next --repo $R > /dev/null" \
  -n "git log $LASTTAG..HEAD" "git -C $R log --no-merges $FORMAT $(q "$LASTTAG")..HEAD > /dev/null" \
  -n "changelog (since $LASTTAG)" "$B changelog --repo $R > /dev/null" \
  -n "version next --format json" "$B version next --repo $R --format json > /dev/null"

say "hyperfine's table"
cat "$TMP/bench.md"

say "summary ($TOTAL commits, $TAGS tags, $RANGE commits in the release range)"
python3 - "$TMP/bench.json" "$RSS_ALL" "$RSS_VERSION" <<'EOF'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
mean = {r["command"]: r["mean"] for r in results}
for r in results:
    print(f"{r['command']:<34} {r['mean'] * 1000:10.1f} ms  ± {r['stddev'] * 1000:.1f}")
names = list(mean)
print(f"{'changelog --all / git log (all)':<34} {mean[names[1]] / mean[names[0]]:10.2f} x")
print(f"{'changelog / git log (range)':<34} {mean[names[4]] / mean[names[3]]:10.2f} x")
print(f"{'peak RSS changelog --all':<34} {sys.argv[2]:>13}")
print(f"{'peak RSS version next':<34} {sys.argv[3]:>13}")
EOF
