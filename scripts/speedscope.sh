#!/usr/bin/env bash
# speedscope.sh - fetches speedscope's static page (the npm package, pinned
# version) into a cache outside the repository, for the test that opens
# pinch's --speedscope and --chrome exports in it (t1807). Idempotent:
# nothing is downloaded when the cache already holds it. Installs Debian's
# npm when no npm is on PATH. Prints the page's path.
#   PINCH_CACHE   cache directory (default ${XDG_CACHE_HOME:-$HOME/.cache}/pinch)
set -euo pipefail
version=1.25.0
cache=${PINCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pinch}
dir=$cache/speedscope-$version
page=$dir/package/dist/release/index.html
if [ ! -f "$page" ]; then
	if ! command -v npm >/dev/null; then
		SUDO=
		[ "$(id -u)" -eq 0 ] || SUDO=sudo
		echo "speedscope.sh: installing npm" >&2
		$SUDO apt-get update -qq >/dev/null
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
	fi
	mkdir -p "$cache"
	tmp=$(mktemp -d "$cache/.speedscope.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && npm pack --silent "speedscope@$version" >/dev/null)
	mkdir -p "$tmp/x"
	tar xzf "$tmp/speedscope-$version.tgz" -C "$tmp/x"
	[ -f "$tmp/x/package/dist/release/index.html" ] || { echo "speedscope.sh: no index.html in the package" >&2; exit 1; }
	rm -rf "$dir"
	mv "$tmp/x" "$dir"
fi
echo "$page"
