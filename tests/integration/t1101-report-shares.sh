#!/usr/bin/env bash
# t1101-report-shares.sh - pinch report finds the known 60/30/10 split of
# cpu-603010 (sixty/thirty/ten called through middle) within 5 points:
# fp mode on the frame-pointer build, dwarf mode on both builds. The leaf
# fix must put middle() back into fp stacks (GCC 12 leaves are frameless).
# fp mode on the build WITHOUT frame pointers still gets the self shares
# right but loses the callers above the leaf's caller: documented here.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/report-lib.sh"

check_shares() {	# check_shares FILE LABEL
	within "$(self_pct "$1" sixty --user-only)" 60 5 "$2: sixty self"
	within "$(self_pct "$1" thirty --user-only)" 30 5 "$2: thirty self"
	within "$(self_pct "$1" ten --user-only)" 10 5 "$2: ten self"
}

record_perf fp-fp.rec --call-graph fp -- "$W/cpu-603010-fp" deep
check_shares fp-fp.rec "fp build, fp mode"
within "$(total_pct fp-fp.rec middle --user-only)" 100 5 "fp build, fp mode: middle (the leaves' caller) is in every stack"
within "$(total_pct fp-fp.rec main --user-only)" 100 5 "fp build, fp mode: main in every stack"
is "$(jget fp-fp.rec 'd["recording"]["leaf_fixed"] > 0')" True "fp build, fp mode: the leaf fix was needed and applied"
is "$(jget fp-fp.rec 'd["report"]["hottest"]["function"]')" sixty "fp build, fp mode: hottest is sixty"

record_perf nofp-dwarf.rec --call-graph dwarf -- "$W/cpu-603010-nofp" deep
check_shares nofp-dwarf.rec "no-fp build, dwarf mode"
within "$(total_pct nofp-dwarf.rec middle --user-only)" 100 5 "no-fp build, dwarf mode: middle in every stack"
within "$(total_pct nofp-dwarf.rec main --user-only)" 100 5 "no-fp build, dwarf mode: main in every stack"
# (all but the odd sample whose walk stops at its first frame where the
# kernel's chain has more: one in a CI run, never reproduced here)
is "$(jget nofp-dwarf.rec 'd["recording"]["dwarf_unwound"] >= d["recording"]["samples"] - 2')" True \
	"no-fp build, dwarf mode: every sample but at most 2 unwound with CFI ($(jget nofp-dwarf.rec 'd["recording"]["dwarf_unwound"], d["recording"]["samples"]'))"

record_perf fp-dwarf.rec --call-graph dwarf -- "$W/cpu-603010-fp" deep
check_shares fp-dwarf.rec "fp build, dwarf mode"
within "$(total_pct fp-dwarf.rec middle --user-only)" 100 5 "fp build, dwarf mode: middle in every stack"
within "$(total_pct fp-dwarf.rec main --user-only)" 100 5 "fp build, dwarf mode: main in every stack"

# Frame pointers through code built without them: the kernel's chain is
# garbage above the leaf. Self shares (the sampled IP) stay right; the leaf
# fix still finds middle() from CFI, but main() and everything above it are
# lost, and pinch shows no garbage callers instead of them.
record_perf nofp-fp.rec --call-graph fp -- "$W/cpu-603010-nofp" deep
check_shares nofp-fp.rec "no-fp build, fp mode"
within "$(total_pct nofp-fp.rec middle --user-only)" 100 5 "no-fp build, fp mode: middle found by the leaf fix"
v=$(total_pct nofp-fp.rec main --user-only)
ok "no-fp build, fp mode: main is missing (${v:-0} %; documented limitation, use --call-graph dwarf)" \
	awk -v v="$v" 'BEGIN { exit !(v == "" || v < 50) }'

is "$("$PINCH" report --limit 0 nofp-fp.rec 2>/dev/null | grep -c '\[unknown\]')" 0 \
	"no-fp build, fp mode: no garbage [unknown] callers"

# The human table: the bottleneck is named first, with its share and line.
"$PINCH" report fp-fp.rec >out.txt 2>err.txt
ok "first line names the hottest function" grep -qE '^hottest: sixty .* [0-9.]+ % self' <(head -1 out.txt)
ok "the header names the command" grep -q '^command: .*cpu-603010-fp deep' out.txt
ok "the header gives samples and lost" grep -qE '^duration: .* [0-9]+ samples .* 0 lost' out.txt
ok "the table lists sixty with its file" grep -qE 'sixty +.*cpu-603010\.c:[0-9]+' out.txt
is "$(cat err.txt)" "" "nothing on stderr for a named file"
done_testing
