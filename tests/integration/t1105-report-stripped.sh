#!/usr/bin/env bash
# t1105-report-stripped.sh - binaries without symbols and binaries that
# changed since the recording: frames show as module+0xoffset (never a
# crash, never wrong names) and a changed binary is named in one warning.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/report-lib.sh"

command -v strip >/dev/null || skip_all "strip is not installed"
cp "$W/cpu-603010-fp" ./stripped-603010
strip ./stripped-603010
record stripped.rec -- ./stripped-603010 deep
"$PINCH" report --limit 0 stripped.rec >out.txt 2>err.txt; rc=$?
is "$rc" 0 "stripped binary: reports"
ok "stripped binary: module+0xoffset frames" grep -qE 'stripped-603010\+0x[0-9a-f]+' out.txt
is "$(grep -cE '\b(sixty|thirty|ten|middle)\b' out.txt)" 0 "stripped binary: no made-up names"
ok "stripped binary: libc frames still named" grep -q '__libc_start_call_main' out.txt
# The three hot leaves are three distinct offsets with the known shares.
top3=$(jget stripped.rec '" ".join(str(round(r["self_pct"])) for r in d["report"]["rows"][:3])')
set -- $top3
within "${1:-0}" 60 5 "stripped binary: the hottest offset has 60 %"
within "${2:-0}" 30 5 "stripped binary: the next has 30 %"
within "${3:-0}" 10 5 "stripped binary: the next has 10 %"

# Rebuild behind the recording's back: the build-id no longer matches.
cp "$W/cpu-603010-fp" ./changing
record changing.rec -- ./changing deep
is "$(jget changing.rec 'd["report"]["hottest"]["function"]')" sixty "unchanged binary: named"
cp "$W/cpu-603010-nofp" ./changing
"$PINCH" report changing.rec >changed.txt 2>changed.err; rc=$?
is "$rc" 0 "changed binary: still reports"
is "$(grep -c 'changed since the recording' changed.err)" 1 "changed binary: one warning"
ok "changed binary: offsets instead of wrong names" grep -qE 'changing\+0x[0-9a-f]+' changed.txt
is "$(grep -cE ' (sixty|thirty|ten) ' changed.txt)" 0 "changed binary: no stale names"
rm -f ./changing
"$PINCH" report changing.rec >gone.txt 2>gone.err; rc=$?
is "$rc" 0 "deleted binary: still reports"
ok "deleted binary: warns it cannot open it" grep -q "cannot open '.*changing'" gone.err
done_testing
