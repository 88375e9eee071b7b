#!/usr/bin/env bash
# tests/tsan/run.sh - builds libpinch and its threaded unit tests with
# -fsanitize=thread (outside meson: only these few files, ~20 s) and runs
# them; any data race fails. `make check-tsan` runs it; so does `make check`.
# Usage: tests/tsan/run.sh [OUTDIR]
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${1:-build-tsan}
mkdir -p "$out"
CC=${CC:-gcc}
version=$(sed -n "s/^  version : '\(.*\)',/\1/p" meson.build)
flags=(-std=gnu11 -O1 -g -fsanitize=thread -fno-omit-frame-pointer -D_GNU_SOURCE
	"-DPINCH_VERSION=\"$version\"" -DPINCH_BUILDING -DPINCH_HTTP_BUILTIN -Isrc -Iinclude -Itests/unit)
srcs=(src/lib/*.c src/core/clock.c src/core/json.c src/core/strbuf.c src/core/hmap.c src/core/array.c src/model/hist.c)
tests=(t-lib-concurrency t-lib-span t-lib-perflog t-lib-serve)

if ! echo 'int main(void) { return 0; }' | $CC -fsanitize=thread -x c - -o "$out/probe" 2>/dev/null; then
	echo "skip: $CC cannot build with -fsanitize=thread here"
	exit 0
fi
echo "$CC -fsanitize=thread: ${tests[*]}"
fail=0
for t in "${tests[@]}"; do
	if ! $CC "${flags[@]}" -o "$out/$t" "tests/unit/$t.c" "${srcs[@]}" \
		-lmicrohttpd -ljansson -pthread -lm 2>"$out/$t.build.log"; then
		echo "not ok - $t: build failed"; sed 's/^/#   /' "$out/$t.build.log" | head -20
		fail=1
		continue
	fi
	# High-entropy ASLR can put mappings where TSan's shadow expects
	# none; run without randomization when setarch allows it.
	run=("$out/$t")
	setarch "$(uname -m)" -R true 2>/dev/null && run=(setarch "$(uname -m)" -R "$out/$t")
	# PINCH_TSAN: t-lib-serve skips its pre-fork workers (threads in the
	# child of a threaded parent, which TSan cannot follow).
	if PINCH_TSAN=1 TSAN_OPTIONS="halt_on_error=1 exitcode=66" "${run[@]}" >"$out/$t.log" 2>&1; then
		echo "ok - $t: $(grep -c '^ok' "$out/$t.log") checks, no data race"
	elif grep -q 'FATAL: ThreadSanitizer' "$out/$t.log" && ! grep -q 'WARNING: ThreadSanitizer' "$out/$t.log"; then
		# TSan itself cannot run here (memory layout); that is no race.
		echo "ok - $t # SKIP $(grep -m1 'FATAL: ThreadSanitizer' "$out/$t.log")"
	else
		echo "not ok - $t"
		grep -E 'WARNING: ThreadSanitizer|not ok|FATAL' "$out/$t.log" | head -10 | sed 's/^/#   /'
		sed -n '/WARNING: ThreadSanitizer/,/SUMMARY/p' "$out/$t.log" | head -40 | sed 's/^/#   /'
		fail=1
	fi
done
exit $fail
