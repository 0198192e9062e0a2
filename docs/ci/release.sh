#!/usr/bin/env bash
# The release steps of Slipway's CI examples (github-actions.yml and
# gitlab-ci.yml call this script; the test suite runs it against a real
# server). Run it in a checkout with the full history and tags, after the
# build and tests:
#
#   SLIPWAY_SERVER   the Slipway server, e.g. https://slipway.example.com
#   SLIPWAY_TOKEN    a service token of the project with the scopes
#                    read,releases:write,evidence:write,promote
#   SLIPWAY_PROJECT  the project's slug in Slipway
#   COMMIT           the commit that was built (default: HEAD)
#   ARTIFACT         the artifact's digest (sha256:...)
#                    (default: the commit)
#   TEST_OUTCOME     passed or failed (default: passed)
#   TEST_SUMMARY     one line about the test run
#   TEST_REPORT_URL  where the test report is (optional)
#   PROMOTE_TO       an environment to ask promotion to (optional; the
#                    gate decides, and a refusal is not a failed pipeline)
#
# Prints the release's id on the last line of standard output.
set -euo pipefail
: "${SLIPWAY_SERVER:?set SLIPWAY_SERVER}" "${SLIPWAY_TOKEN:?set SLIPWAY_TOKEN}" "${SLIPWAY_PROJECT:?set SLIPWAY_PROJECT}"
slipway="${SLIPWAY_BIN:-slipway}"
commit="$(git rev-parse "${COMMIT:-HEAD}^{commit}")"

# 1. The next version, from the Conventional Commits since the last release
#    tag (computed here, from the checkout).
version="$("$slipway" version next --ref "$commit")"
if [ -z "$version" ]; then
  echo "nothing to release: no releasable commits since the last release tag" >&2
  exit 0
fi
echo "next version: $version" >&2

# 2. The release for the commit that was built: Slipway drafts its notes
#    from the same commits, and binds it to the artifact.
create=(release create --project "$SLIPWAY_PROJECT" --ref "$commit" --version "$version" --format json)
if [ -n "${ARTIFACT:-}" ]; then create+=(--artifact "$ARTIFACT"); fi
release_json="$("$slipway" "${create[@]}")"
release_id="$(printf '%s' "$release_json" | jq -r .id)"
echo "created release $release_id ($version)" >&2

# 3. The test run, as evidence on the release's artifact (passed evidence
#    ticks the checklist items that wait for it).
evidence=(evidence record --release "$release_id" --kind unit-tests
  --outcome "${TEST_OUTCOME:-passed}" --summary "${TEST_SUMMARY:-unit tests}")
if [ -n "${TEST_REPORT_URL:-}" ]; then evidence+=(--url "$TEST_REPORT_URL"); fi
"$slipway" "${evidence[@]}" >&2

# 4. Ready for sign-off.
"$slipway" release submit "$release_id" >&2

# 5. Optionally, ask for promotion: refused (exit code 2) until the people
#    who sign off have; the reasons are printed.
if [ -n "${PROMOTE_TO:-}" ]; then
  status=0
  "$slipway" promote --release "$release_id" --env "$PROMOTE_TO" >&2 || status=$?
  case "$status" in
    0) ;;
    2) echo "promotion to $PROMOTE_TO is waiting (see the reasons above)" >&2 ;;
    *) exit "$status" ;;
  esac
fi
echo "$release_id"
