#!/usr/bin/env bash
# bench/pymod.sh - the pinch Python module (python/pinch) against a pure
# Python Metrics dataclass and Debian's python3-prometheus-client: ns per
# increment / with timer / record_timing / labelled increment, side by side
# in one run, then memory after N timings (pinch's stays flat, the
# dataclass's list grows). Debian's python3.11 (prometheus-client is a
# Debian package); the module comes from the build tree.
# Usage: bench/pymod.sh [BUILDDIR] [CALLS_PER_ROUND] [TIMINGS_FOR_MEMORY]
bash "$(dirname "$0")/../scripts/deps.sh" bench
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
N=${2:-200000}
M=${3:-4000000}
[ -f "$B/build.ninja" ] || meson setup "$B" >/dev/null
ninja -C "$B" >/dev/null
echo "# $(nproc) CPUs, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
PYTHONPATH=$PWD/$B/python exec /usr/bin/python3.11 bench/pymod.py "$N" "$M"
