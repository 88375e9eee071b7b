# lib.sh - helpers for TAP shell tests. Source it; then use ok/is/skip_all
# and call done_testing at the end. $PINCH is the binary under test.
set -u
: "${PINCH:?PINCH must point at the pinch binary}"
TAP_N=0
TAP_FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pinch-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1

ok() {	# ok "name" command...
	local name=$1; shift
	TAP_N=$((TAP_N + 1))
	if "$@" >"$TMP/.out" 2>&1; then
		echo "ok $TAP_N - $name"
	else
		echo "not ok $TAP_N - $name"
		sed 's/^/#   /' "$TMP/.out" | head -40
		TAP_FAILED=$((TAP_FAILED + 1))
		return 1
	fi
}

is() {	# is "got" "want" "name"
	TAP_N=$((TAP_N + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $TAP_N - $3"
	else
		echo "not ok $TAP_N - $3"
		echo "#   got:  '$1'"
		echo "#   want: '$2'"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
}

within() {	# within GOT WANT TOL "name": |GOT-WANT| <= TOL (decimals allowed)
	TAP_N=$((TAP_N + 1))
	if awk -v g="$1" -v w="$2" -v t="$3" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(g != "" && d <= t) }'; then
		echo "ok $TAP_N - $4 ($1, want $2 +- $3)"
	else
		echo "not ok $TAP_N - $4"
		echo "#   got $1, want $2 +- $3"
		TAP_FAILED=$((TAP_FAILED + 1))
		return 1
	fi
}

exit_status() {	# exit_status WANT "name" command...: the command exits with WANT
	local want=$1 name=$2 rc; shift 2
	"$@" >"$TMP/.out" 2>&1; rc=$?
	TAP_N=$((TAP_N + 1))
	if [ "$rc" = "$want" ]; then
		echo "ok $TAP_N - $name"
	else
		echo "not ok $TAP_N - $name (exit $rc, want $want)"
		sed 's/^/#   /' "$TMP/.out" | head -20
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

skip() {	# skip "name" "why"
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $1 # SKIP $2"
}

done_testing() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}
