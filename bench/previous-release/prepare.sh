#!/usr/bin/env bash
# Prepares the previous release (498154e: outbox + delivery rows) for bench/ingest/run.ts --before:
# a checkout of it in DIR with this checkout's node_modules, its bench server and the write counter.
#   bash bench/previous-release/prepare.sh /tmp/prev-bench
#   node --import tsx bench/ingest/run.ts --consumers 1,6 --before /tmp/prev-bench/bench/ingest/bench-server.ts
set -euo pipefail
dir="${1:?usage: prepare.sh DIR}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
rm -rf "$dir" && mkdir -p "$dir"
git -C "$root" archive 498154e | tar -x -C "$dir"
ln -s "$root/node_modules" "$dir/node_modules"
cp "$root/bench/ingest/sqlite-writes.ts" "$dir/bench/ingest/"
cp "$root/bench/previous-release/bench-server.ts" "$dir/bench/ingest/bench-server.ts"
echo "ready: --before $dir/bench/ingest/bench-server.ts"
