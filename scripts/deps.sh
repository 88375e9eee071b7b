#!/usr/bin/env bash
# deps.sh - installs the Debian packages pinch needs. Idempotent; quiet when
# nothing is missing.
#   deps.sh build   what building pinch needs (make, make demo)
#   deps.sh test    build + what the tests run against (make check, CI)
#   deps.sh bench   test + the tools bench/ compares pinch with
#   deps.sh fuzz    build + libFuzzer (clang's -fsanitize=fuzzer; make fuzz)
set -euo pipefail
what=${1:-test}

build=(
	gcc clang meson ninja-build pkg-config make python3
	libdw-dev libelf-dev zlib1g-dev libjansson-dev libyaml-dev
	libmicrohttpd-dev libssl-dev libhttp-parser-dev libpq-dev libsqlite3-dev libncurses-dev
	libbpf-dev bpftool
)
test=(
	g++ curl jq nginx-light prometheus python3.11 python3.11-dev python3-line-profiler
	valgrind strace linux-perf chromium golang-go libjemalloc-dev libgoogle-perftools-dev
	libhdrhistogram-java default-jre-headless
	postgresql-15 postgresql-contrib python3-psycopg2 sqlite3 bc
	python3-pytest python3-fastapi python3-uvicorn python3-httpx
)
# clang 14's libFuzzer and sanitizer runtimes are in libclang-rt-14-dev, only
# recommended by clang (deps.sh installs without recommends).
fuzz=(
	clang libclang-rt-14-dev
)
bench=(
	heaptrack wrk hyperfine uftrace austin apache2-utils nghttp2-client
	time
	python3-prometheus-client
)
case "$what" in
build) pkgs=("${build[@]}") ;;
test) pkgs=("${build[@]}" "${test[@]}") ;;
fuzz) pkgs=("${build[@]}" "${fuzz[@]}") ;;
bench|all) pkgs=("${build[@]}" "${test[@]}" "${bench[@]}" "${fuzz[@]}") ;;
*) echo "usage: deps.sh [build|test|bench|fuzz]" >&2; exit 2 ;;
esac
# test, bench: speedscope's page from npm for t1807 (speedscope.sh, cached;
# run on exit, after the packages, also when none was missing)
case "$what" in
test|bench|all) trap 'bash "$(dirname "$0")/speedscope.sh" >/dev/null || exit 1' EXIT ;;
esac

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
