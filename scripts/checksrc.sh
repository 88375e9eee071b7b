#!/usr/bin/env bash
# checksrc.sh - source hygiene that CI enforces (TAP output):
# banned.h included last in every src/ .c file, no trailing whitespace,
# every .c opens with a comment saying what it is, header guards named
# PINCH_<DIR>_<NAME>_H, every tests/fuzz target registered and seeded.
set -u
cd "${PINCH_SRCDIR:-$(dirname "$0")/..}" || exit 1
n=0 failed=0
check() {	# check "name" <lines of offending files>
	local name=$1 bad=$2
	n=$((n + 1))
	if [ -z "$bad" ]; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		echo "$bad" | sed 's/^/#   /' | head -20
		failed=$((failed + 1))
	fi
}

cfiles=$(git ls-files 'src/*.c' 2>/dev/null || find src -name '*.c')
hfiles=$(git ls-files 'src/*.h' 'include/*.h' 2>/dev/null || find src include -name '*.h')
agent_re='^src/agent/'

bad=""
for f in $cfiles; do
	[[ $f =~ $agent_re ]] && continue	# agents include only libc and their wire.h
	last=$(grep -n '^#include' "$f" | tail -1 | cut -d: -f2-)
	case "$last" in *banned.h*) ;; *) bad+="$f: last include is not banned.h"$'\n' ;; esac
done
check "banned.h is the last include of every src/ .c file" "${bad%$'\n'}"

bad=$(grep -nE '[[:space:]]+$' $cfiles $hfiles 2>/dev/null | head -20)
check "no trailing whitespace" "$bad"

bad=""
for f in $cfiles; do
	head -1 "$f" | grep -q '^/\*' || bad+="$f"$'\n'
done
check "every .c file opens with a comment" "${bad%$'\n'}"

bad=""
for f in $hfiles; do
	case "$f" in
	src/*) rel=${f#src/} ;;
	include/pinch/*) rel=${f#include/pinch/} ;;
	include/*) rel=${f#include/} ;;
	esac
	guard="PINCH_$(echo "${rel%.h}" | tr 'a-z/.-' 'A-Z___')_H"
	grep -q "#ifndef $guard\$" "$f" || bad+="$f: expected guard $guard"$'\n'
done
check "header guards are PINCH_<DIR>_<NAME>_H" "${bad%$'\n'}"

bad=""
for f in $(git ls-files 'tests/fuzz/fuzz-*.c' 2>/dev/null || ls tests/fuzz/fuzz-*.c); do
	t=${f#tests/fuzz/fuzz-}
	t=${t%.c}
	grep -q "\['$t'," tests/fuzz/meson.build || bad+="$f: not in fuzz_targets of tests/fuzz/meson.build"$'\n'
	[ -n "$(ls -A "tests/fuzz/corpus/$t" 2>/dev/null)" ] || bad+="$f: no seeds in tests/fuzz/corpus/$t/"$'\n'
done
check "every fuzz target is built and has seeds (docs/fuzzing.md)" "${bad%$'\n'}"

echo "1..$n"
[ "$failed" -eq 0 ]
