#!/usr/bin/env bash
# deps.sh - installs every Debian package pinch needs to build, test and
# benchmark. Idempotent; quiet when nothing is missing.
set -euo pipefail

pkgs=(
	# build
	gcc clang meson ninja-build pkg-config make
	libdw-dev libelf-dev zlib1g-dev libjansson-dev libyaml-dev
	libmicrohttpd-dev libssl-dev libpq-dev libsqlite3-dev libncurses-dev
	# tests
	python3 python3.11-dev curl jq nginx-light prometheus python3-line-profiler
	valgrind strace chromium golang-go
	# side-by-side benchmarks
	linux-perf heaptrack wrk hyperfine uftrace austin
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The prometheus and nginx packages start system services; pinch's tests
# start their own instances on loopback, so stop the packaged ones.
if command -v systemctl >/dev/null 2>&1; then
	$SUDO systemctl stop prometheus nginx >/dev/null 2>&1 || true
fi
