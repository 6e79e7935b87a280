#!/usr/bin/env bash
# Converts every document under a folder on a docloader server, keeps the Markdown, and
# fails (exit 1) when any document failed. For CI: see github-workflow.yml next to it.
#
#   DOCLOADER_SERVER=https://docloader.example.com DOCLOADER_API_KEY=... \
#     examples/ci/convert-folder.sh docs/ build/markdown
#
# Needs `docloader` on PATH (npm install -g docloader) or DOCLOADER_BIN, and jq.
set -euo pipefail

input="${1:?usage: convert-folder.sh <input-folder> [output-folder]}"
output="${2:-docloader-markdown}"
docloader="${DOCLOADER_BIN:-docloader}"
: "${DOCLOADER_SERVER:?set DOCLOADER_SERVER to the server URL}"
: "${DOCLOADER_API_KEY:?set DOCLOADER_API_KEY}"

mkdir -p "$output"
summary="$output/docloader-summary.json"
# Exit code 1 means some documents failed; the others are written all the same. Read the
# summary either way, and decide at the end.
status=0
$docloader convert "$input" --out "$output" --json --concurrency "${DOCLOADER_CONCURRENCY:-4}" >"$summary" || status=$?
if [ "$status" -gt 1 ] || ! jq -e . "$summary" >/dev/null 2>&1; then
  echo "docloader could not run (exit code $status)" >&2
  exit "$status"
fi

jq -r '"\(.converted) converted, \(.failed) failed, \(.skipped | length) skipped; \(.pages) pages in \(.ms) ms"' "$summary"
if [ "$(jq '.failed' "$summary")" -gt 0 ]; then
  echo "Failed documents:" >&2
  jq -r '.files[] | select(.ok == false or .partial != null) | "  \(.input)  \(.error.code // .partial.code // "PARTIAL")  \(.error.message // .partial.reason)"' "$summary" >&2
  # GitHub Actions shows these as annotations; elsewhere they are plain lines.
  if [ -n "${GITHUB_ACTIONS:-}" ]; then
    jq -r '.files[] | select(.ok == false) | "::error file=\(.input)::\(.error.code): \(.error.message)"' "$summary"
  fi
  exit 1
fi
