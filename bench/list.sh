#!/usr/bin/env bash
# Times `incident list --json` on 10,000 incident files next to `cat` of the same files.
# Usage: bench/list.sh [COUNT]   (needs hyperfine; installs it with apt-get when missing)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
count=${1:-10000}
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine; }
swift build -c release --static-swift-stdlib --package-path "$here" >/dev/null
bin="$(swift build -c release --static-swift-stdlib --package-path "$here" --show-bin-path)/incident"
work=$(mktemp -d "${TMPDIR:-/tmp}/incident-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
python3 "$here/bench/gen-incidents.py" "$count" "$work"
git -C "$work" init -q
echo "files: $(ls "$work/incidents" | wc -l), bytes: $(cat "$work"/incidents/*.md | wc -c)"
"$bin" --version >/dev/null
test "$("$bin" list --json --dir "$work" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = "$count"
cd "$work"
hyperfine --warmup 2 --runs 10 --export-markdown "$work/result.md" \
	-n "cat incidents/*.md" "cat incidents/*.md > /dev/null" \
	-n "incident list --json" "$bin list --json > /dev/null" \
	-n "incident list" "$bin list > /dev/null"
cat "$work/result.md"
/usr/bin/time -f "peak RSS of incident list --json: %M KiB" "$bin" list --json > /dev/null
