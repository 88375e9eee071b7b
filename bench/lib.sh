#!/usr/bin/env bash
# bench/lib.sh - libpinch's update cost: ns per counter increment and per
# histogram observation, 1 thread and 2 threads on the same series, side by
# side with a mutex-protected baseline (prometheus-client-c's design; the
# library itself is not packaged in Debian) and a shared atomic counter.
# Builds bench/lib-bench.c against the uninstalled libpinch via pkg-config.
# Usage: bench/lib.sh [BUILDDIR] [OPS_PER_ROUND]
bash "$(dirname "$0")/../scripts/deps.sh" bench
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
N=${2:-20000000}
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
