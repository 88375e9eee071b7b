#!/usr/bin/env bash
# The runner: version, help, unknown commands and options, exit codes.
. "$(dirname "$0")/lib.sh"

ok "--version prints a version" sh -c '"$PINCH" --version | grep -q "^pinch version [0-9]"'
ok "help lists commands" sh -c '"$PINCH" help | grep -q "Commands:"'
exit_status 2 "no command is a usage error" "$PINCH"
exit_status 2 "unknown command exits 2" "$PINCH" frobnicate
ok "unknown command names the problem" sh -c '"$PINCH" frobnicate 2>&1 | grep -q "pinch: .frobnicate. is not a pinch command"'
ok "a near miss gets a suggestion" sh -c '"$PINCH" hlep 2>&1 | grep -q "did you mean .pinch help."'
exit_status 2 "unknown global option exits 2" "$PINCH" --frob
exit_status 2 "help on an unknown command exits 2" "$PINCH" help nosuch
# An unknown option after an argument names the command, not the argument.
for cmd in report "mem report" "mem diff" load; do
	# shellcheck disable=SC2086
	"$PINCH" $cmd some-file.rec --bogus-opt >/dev/null 2>err.txt; rc=$?
	is "$rc" 2 "pinch $cmd ARG --bogus-opt exits 2"
	ok "pinch $cmd ARG --bogus-opt names 'pinch $cmd'" grep -q "^pinch $cmd: unknown option '--bogus-opt'" err.txt
done
if [ -w /dev/full ]; then
	exit_status 1 "a full disk on stdout is a failure" sh -c '"$PINCH" help >/dev/full'
fi
# Start-up: libpq (and the ~20 libraries it needs: Kerberos, LDAP, GnuTLS)
# is loaded by the db commands that use it, not by every pinch command.
ok "pinch does not link libpq (loaded when used)" sh -c "! readelf -d '$PINCH' | grep -q 'libpq'"
# ... nor OpenSSL (pinch load's TLS and log base64) nor libstdc++ (the C++
# demangler): 1.5 ms of start-up between them
ok "pinch does not link libssl, libcrypto or libstdc++ (loaded when used)" sh -c \
	"! readelf -d '$PINCH' | grep -E 'NEEDED.*(libssl|libcrypto|libstdc)'"
done_testing
