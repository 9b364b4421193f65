#!/usr/bin/env bash
# Throughput of `incident analyze` on a ≥500 MB log built from varied lines, next to Drain3 0.9.11
# (PyPI drain3, configured as its examples/drain3.ini) and `LC_ALL=C grep -c ERROR` on the same file
# in the same run; peak memory on a 1 GiB input. Writes bench/out/speed.md.
# Usage: bench/speed.sh [SIZE_MB]   (installs drain3==0.9.11 with pip when missing)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
size=${1:-500}
out="$here/bench/out"
mkdir -p "$out"
python3 -c 'import drain3' 2>/dev/null || pip install -q drain3==0.9.11
swift build -c release --static-swift-stdlib --package-path "$here" >/dev/null
bin="$(swift build -c release --static-swift-stdlib --package-path "$here" --show-bin-path)/incident"
log="$out/varied-$size.log"
[ -f "$log" ] || python3 "$here/bench/gen-varied-log.py" "$log" "$size"
bytes=$(stat -c %s "$log")
mb=$(python3 -c "print($bytes / 1e6)")
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timed() {  # prints "seconds peak_kib" for one run of the command
	# Output goes to a file, not /dev/null: GNU grep stops at the first match when it sees /dev/null.
	/usr/bin/time -f "%e %M" -o "$out/time.txt" "$@" >"$out/stdout.txt"
	cat "$out/time.txt"
}
echo "input: $log ($mb MB)"
ours=(); for _ in 1 2 3; do ours+=("$(timed "$bin" analyze "$log" --json)"); done
ours_s=$(printf '%s\n' "${ours[@]}" | awk '{print $1}' | median)
ours_kib=$(printf '%s\n' "${ours[@]}" | awk '{print $2}' | sort -n | tail -1)
grep_runs=(); for _ in 1 2 3; do grep_runs+=("$(LC_ALL=C timed grep -c ERROR "$log")"); done
grep_s=$(printf '%s\n' "${grep_runs[@]}" | awk '{print $1}' | median)
echo "incident: ${ours_s}s; grep: ${grep_s}s; running Drain3 (minutes)…"
drain=$(timed python3 "$here/bench/drain3_run.py" "$log")
drain_s=$(echo "$drain" | awk '{print $1}')
drain_kib=$(echo "$drain" | awk '{print $2}')
# Peak memory on a 1 GiB input (the file twice, cut to 1 GiB at a line end).
big="$out/varied-1gib.log"
if [ ! -f "$big" ]; then
	python3 - "$log" "$big.tmp" <<'PY'
import sys
source, target = sys.argv[1], sys.argv[2]
limit = 1 << 30
with open(target, "wb") as out:
    written = 0
    while written < limit:
        with open(source, "rb") as f:
            for line in f:
                if written + len(line) > limit:
                    break
                out.write(line)
                written += len(line)
            else:
                continue
            break
PY
	mv "$big.tmp" "$big"
fi
big_run=$(timed "$bin" analyze "$big" --json)
python3 - "$mb" "$ours_s" "$ours_kib" "$grep_s" "$drain_s" "$drain_kib" "$big_run" > "$out/speed.md" <<'PY'
import sys
mb, ours, ours_kib, grep_s, drain, drain_kib, big = sys.argv[1:]
mb, ours, grep_s, drain = float(mb), float(ours), float(grep_s), float(drain)
big_s, big_kib = big.split()
print(f"Input: {mb:.0f} MB of varied lines (bench/gen-varied-log.py), 2 cores.\n")
print("| tool | seconds | MB/s | peak RSS | incident's throughput relative to it |")
print("| --- | ---: | ---: | ---: | ---: |")
print(f"| `incident analyze --json` (median of 3) | {ours:.2f} | {mb/ours:.1f} | {int(ours_kib)/1024:.0f} MiB | 1.00 |")
print(f"| Drain3 0.9.11, examples/drain3.ini masking (1 run) | {drain:.1f} | {mb/drain:.2f} | {int(drain_kib)/1024:.0f} MiB | {drain/ours:.1f}× faster |")
print(f"| `LC_ALL=C grep -c ERROR` (median of 3) | {grep_s:.2f} | {mb/grep_s:.0f} | | grep is {ours/grep_s:.0f}× faster |")
print(f"\nPeak RSS of `incident analyze --json` on a 1 GiB input: {int(big_kib)/1024:.0f} MiB ({float(big_s):.1f} s).")
PY
cat "$out/speed.md"
