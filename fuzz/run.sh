#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for FUZZ_SECONDS (see README.md).
# Usage: fuzz/run.sh [TARGET...]   Exits 1 when a target crashes, times out or runs out of memory,
# after running the rest, and names each reproducer (kept in fuzz/crashes/TARGET/).
set -uo pipefail
cd "$(dirname "$0")"

SWIFT=${SWIFT:-swift}
SECONDS_EACH=${FUZZ_SECONDS:-60}
CONFIG=${FUZZ_CONFIG:-release}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(frontmatter yaml-roundtrip template analyzer)

# libFuzzer without its main (each target's main calls LLVMFuzzerRunDriver), from the toolchain's clang.
swift_path=$(command -v "$SWIFT") || { echo "fuzz: '$SWIFT' is not on PATH" >&2; exit 2; }
clang="$(dirname "$(readlink -f "$swift_path")")/clang"
[ -x "$clang" ] || clang=clang
libfuzzer=$("$clang" -print-file-name="libclang_rt.fuzzer_no_main-$(uname -m).a")
if [ ! -f "$libfuzzer" ]; then
	echo "fuzz: this toolchain has no libFuzzer (libclang_rt.fuzzer_no_main-$(uname -m).a); use a swift.org toolchain for Linux." >&2
	exit 2
fi
symbolizer="$(dirname "$clang")/llvm-symbolizer"
[ -x "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH="$symbolizer"

# Everything, IncidentKit and its dependencies included, is instrumented for coverage (what
# -sanitize=fuzzer does when compiling) and built with AddressSanitizer; lld links quietly.
build=(-c "$CONFIG" --sanitize=address
	-Xswiftc -sanitize-coverage=edge,indirect-calls,trace-cmp,inline-8bit-counters,pc-table
	-Xcc -fsanitize=fuzzer-no-link
	-Xswiftc -use-ld=lld -Xlinker "$libfuzzer" -Xlinker -lstdc++)
echo "fuzz: building the targets ($CONFIG, ASan, libFuzzer)"
"$SWIFT" build "${build[@]}" || exit 2
bin=$("$SWIFT" build "${build[@]}" --show-bin-path)

# The Swift runtime's backtracer reads the stack in a way ASan reports as an error; libFuzzer
# prints the stack instead.
export SWIFT_BACKTRACE=enable=no
# The toolchain's own leaks (none of this project's) are suppressed, as in `make sanitize`.
export LSAN_OPTIONS=suppressions=$PWD/../scripts/lsan-suppressions.txt:print_suppressions=0
failed=()
for target in "${targets[@]}"; do
	if [ ! -x "$bin/$target" ] || [ ! -d "corpus/$target" ]; then
		echo "fuzz: no target '$target'; the targets are $(ls corpus | tr '\n' ' ')" >&2
		exit 2
	fi
	work=.build/corpus/$target   # what the fuzzer learns; the checked-in seeds stay as they are
	crashes=crashes/$target
	log=.build/logs/$target.log
	mkdir -p "$work" "$crashes" .build/logs
	echo "fuzz: $target for ${SECONDS_EACH}s (log: fuzz/$log)"
	"$bin/$target" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$crashes/" -print_final_stats=1 "$work" "corpus/$target" >"$log" 2>&1
	status=$?
	grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|^#[0-9]+ +DONE' "$log" | sed 's/^/  /'
	if [ $status -ne 0 ]; then
		artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
		echo "fuzz: $target FAILED (exit $status):"
		grep -E 'FUZZ FINDING|Fatal error|ERROR: (libFuzzer|AddressSanitizer)|SUMMARY' "$log" | head -5 | sed 's/^/  /'
		if [ -n "$artifact" ]; then
			echo "  reproducer: fuzz/$artifact"
			echo "  replay:     fuzz/${bin#"$PWD"/}/$target fuzz/$artifact"
			failed+=("$target: fuzz/$artifact")
		else
			echo "  no reproducer was written; see fuzz/$log"
			failed+=("$target: see fuzz/$log")
		fi
	fi
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: ${#failed[@]} of ${#targets[@]} targets found a problem:"
	printf '  %s\n' "${failed[@]}"
	exit 1
fi
echo "fuzz: ${#targets[@]} targets ran ${SECONDS_EACH}s each without a finding"
