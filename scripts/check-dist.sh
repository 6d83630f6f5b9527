#!/usr/bin/env bash
# Fails when dist/ is not exactly what the build makes from the sources (a stale dist/ would ship
# old code to every `uses: mfdag-dev/mfdag-action@v1`).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
node scripts/build.mjs "$out"
if ! diff -r dist "$out" >/dev/null; then
  echo "dist/ is stale: run 'npm run build' and commit dist/." >&2
  diff -r dist "$out" | head -20 >&2 || true
  exit 1
fi
echo "dist/ matches the sources."
