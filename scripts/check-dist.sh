#!/usr/bin/env bash
# Fails when dist/ or schema/ (the config file's JSON Schema) is not exactly what the build makes
# from the sources (a stale dist/ would ship old code to every `uses: mfdag-dev/mfdag-action@v1`).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
node scripts/build.mjs "$out/dist" "$out/schema"
for dir in dist schema; do
  if ! diff -r "$dir" "$out/$dir" >/dev/null; then
    echo "$dir/ is stale: run 'npm run build' and commit $dir/." >&2
    diff -r "$dir" "$out/$dir" | head -20 >&2 || true
    exit 1
  fi
done
echo "dist/ and schema/ match the sources."
