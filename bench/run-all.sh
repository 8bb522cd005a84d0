#!/bin/sh
# Runs the four control-plane benchmarks in sequence and keeps their output.
#
#   bench/run-all.sh [--at=REV] [--out=DIR] [-- extra flags for every script, e.g. --quick]
#
# --at=REV benchmarks a committed revision rather than the working tree:
# the revision is exported to a temp dir (git archive), node_modules is
# linked in and the current bench/ copied over it. Use it when others are
# editing src/ while you measure. Output: DIR/<script>.txt and .json
# (default DIR: bench/results/<date>).
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
rev=""
out="$repo/bench/results/$(date +%Y-%m-%d)"
while [ $# -gt 0 ]; do
  case "$1" in
    --at=*) rev="${1#--at=}"; shift ;;
    --out=*) out="${1#--out=}"; shift ;;
    --) shift; break ;;
    *) break ;;
  esac
done
mkdir -p "$out"
tree="$repo"
if [ -n "$rev" ]; then
  tree=$(mktemp -d /tmp/bramble-bench-tree-XXXXXX)
  trap 'rm -rf "$tree"' EXIT
  git -C "$repo" archive "$rev" | tar -x -C "$tree"
  ln -s "$repo/node_modules" "$tree/node_modules"
  rm -rf "$tree/bench"
  cp -r "$repo/bench" "$tree/bench"
  rm -rf "$tree/bench/results" "$tree/bench/profiles"
  echo "benchmarking $(git -C "$repo" rev-parse "$rev") in $tree"
fi
cd "$tree"
for b in footprint api-latency list watch-fanout; do
  echo "== bench/$b.ts $*"
  node_modules/.bin/node "bench/$b.ts" --json "$@" | tee "$out/$b.log"
  # The JSON document is the last part of the output; keep it separately too.
  sed -n '/^{$/,$p' "$out/$b.log" > "$out/$b.json"
  sed '/^{$/,$d' "$out/$b.log" > "$out/$b.txt"
  rm "$out/$b.log"
done
