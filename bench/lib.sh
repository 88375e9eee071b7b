#!/usr/bin/env bash
# bench/lib.sh - libpinch's update cost: ns per counter increment and per
# histogram observation, 1 thread and 2 threads on the same series, side by
# side with a mutex-protected baseline (prometheus-client-c's design; the
# library itself is not packaged in Debian) and a shared atomic counter.
# Then label cardinality (bench/lib-card.c): CARD counter series (goal:
# registered in under 0.5 s, under 1 KB each) and CARD_H histogram series.
# Builds both against the uninstalled libpinch via pkg-config.
# Usage: bench/lib.sh [BUILDDIR] [OPS_PER_ROUND] [CARD] [CARD_H]
bash "$(dirname "$0")/../scripts/deps.sh" bench
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
N=${2:-20000000}
CARD=${3:-100000}
CARD_H=${4:-5000}
[ -f "$B/build.ninja" ] || meson setup "$B" >/dev/null
ninja -C "$B" >/dev/null
export PKG_CONFIG_PATH=$PWD/$B/meson-uninstalled
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -O2 -o "$out/lib-bench" bench/lib-bench.c -Isrc src/model/hist.c src/core/strbuf.c \
	$(pkg-config --cflags --libs pinch) -pthread -lm -Wl,-rpath,"$PWD/$B/src/lib"
echo "# $(nproc) CPUs, $(uname -r), $(cc --version | head -1); $N ops per thread per round; median of 9 rounds, BEST = fastest round"
if apt-cache policy libprom-dev 2>/dev/null | grep -q Candidate; then
	echo "# note: libprom-dev (prometheus-client-c) is packaged; compare it too"
fi
"$out/lib-bench" "$N"
cc -O2 -o "$out/lib-card" bench/lib-card.c $(pkg-config --cflags --libs pinch) \
	-Wl,-rpath,"$PWD/$B/src/lib"
echo
echo "# label cardinality: series of one family, registered with _get and updated once"
"$out/lib-card" "$CARD" "$CARD_H"
