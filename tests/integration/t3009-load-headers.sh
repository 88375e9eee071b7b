#!/usr/bin/env bash
# t3009-load-headers.sh - a user header replaces pinch's own of the same
# name (-H 'Host: x' once sent a second Host, and every request got 400),
# names compared case-insensitively; pinch sends User-Agent: pinch/VERSION
# unless told otherwise. Against a loopback server that rejects two Hosts.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib-load.sh"

python3 "$PINCH_SRCDIR/tests/load/hdrsrv.py" seen.txt >port.txt &
FS_PID=$!
for _ in $(seq 100); do [ -s port.txt ] && break; sleep 0.05; done
url="http://127.0.0.1:$(cat port.txt)/"

"$PINCH" load -n 20 -c 2 -H 'Host: example.com' --json "$url" >a.json 2>a.err
is "$?" 0 "-H 'Host: example.com': exit 0"
is "$(jq -r .failed a.json)" 0 "... no request failed"
is "$(grep -c '^host=example.com ' seen.txt)" 20 "... all 20 carried one Host, the user's"
: >seen.txt
"$PINCH" load -n 5 -c 1 -H 'host: lower.example' -H 'user-agent: mine/1' "$url" >/dev/null 2>&1
is "$(grep -c '^host=lower.example ua=mine/1$' seen.txt)" 5 "lower-case names replace pinch's too"
: >seen.txt
"$PINCH" load -n 3 -c 1 "$url" >/dev/null 2>&1
is "$(grep -c "^host=127.0.0.1:[0-9]* ua=pinch/[0-9.]*\$" seen.txt)" 3 "by default: Host of the URL, User-Agent pinch/VERSION"
done_testing
