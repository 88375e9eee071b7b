#!/usr/bin/env bash
# t1301-diff.sh - pinch diff finds planted changes. CPU: BASE is
# cpu-603010 (60/30/10 through middle), NEW is diff-shift 20 30 0 50 (the
# same functions with sixty down to 20, thirty unchanged, ten gone and a
# new planted() at 50): shares within 5 points of user-space time.
# Memory: mem-shift with other counts, exact bytes. Bad input: kinds
# mixed, missing files, usage.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/report-lib.sh"

# dget PYEXPR DIFF-ARGS...: PYEXPR over `pinch diff --json`, with row(f)
# the row of function f ({} when absent).
dget() {
	local expr=$1; shift
	"$PINCH" diff --json --limit 0 "$@" 2>/dev/null | python3 -c "import json,sys
d=json.load(sys.stdin)
def row(f):
    return next((r for r in d['rows'] if r['function'] == f), {})
try:
    v=$expr
except (KeyError, IndexError, TypeError, ValueError):
    v=''
print(round(v, 2) if isinstance(v, float) else v)"
}

record base.rec -- "$W/cpu-603010-fp" deep
record new.rec -- "$W/diff-shift-fp" 20 30 0 50
D="--user-only base.rec new.rec"
is "$(dget 'd["rows"][0]["function"]' $D)" planted "the biggest change is the planted function"
is "$(dget 'row("planted")["status"]' $D)" new "planted is new"
within "$(dget 'row("planted")["new_self_pct"]' $D)" 50 5 "planted: 50 % self in NEW"
within "$(dget 'row("planted")["self_change_pp"]' $D)" 50 5 "planted: +50 points"
is "$(dget 'row("planted")["self_relative_pct"]' $D)" None "planted: no relative change (nothing in BASE)"
is "$(dget 'd["rows"][1]["function"]' $D)" sixty "the second biggest is sixty"
within "$(dget 'row("sixty")["self_change_pp"]' $D)" -40 5 "sixty: -40 points"
within "$(dget 'row("sixty")["self_relative_pct"]' $D)" -66.7 10 "sixty: -67 % relative"
is "$(dget 'row("ten")["status"]' $D)" vanished "ten vanished"
within "$(dget 'row("ten")["base_self_pct"]' $D)" 10 5 "ten: 10 % in BASE"
is "$(dget 'row("ten")["new_self_pct"]' $D)" 0 "ten: 0 in NEW"
within "$(dget 'row("thirty")["self_change_pp"]' $D)" 0 5 "thirty: unchanged"
within "$(dget 'row("middle")["total_change_pp"]' $D)" 0 5 "middle: in every stack on both sides"
is "$(dget 'len(d["rows"])' --limit 2 $D)" 2 "--limit 2: two rows"
is "$(dget 'd["kind"]' $D)" cpu "kind is cpu"

"$PINCH" diff --user-only base.rec new.rec >out.txt 2>err.txt
ok "table: planted first, marked new" grep -qE '^ +0\.00 % +[0-9.]+ % +\+[0-9.]+ +- .* planted  \[new\]$' <(sed -n 6p out.txt)
ok "table: ten marked vanished" grep -qE ' ten  \[vanished\]$' out.txt
ok "table: the header names both commands" grep -q '^new:  new.rec (.*diff-shift-fp 20 30 0 50)' out.txt
is "$(cat err.txt)" "" "nothing on stderr"

exit_status 0 "--svg writes the differential flame graph" "$PINCH" diff --user-only --svg d.svg base.rec new.rec
ok "svg: well-formed XML" python3 -c "import xml.dom.minidom,sys; xml.dom.minidom.parse('d.svg')"
ok "svg: planted is red (grew)" grep -qE '<title>planted \(new: [0-9.]+ % in NEW, 0 in BASE\)</title><rect [^>]*fill="#ff3232"' d.svg
ok "svg: sixty is blue (shrank)" grep -qE '<title>sixty \([0-9.]+ % in BASE, [0-9.]+ % in NEW, -[0-9.]+ points\)</title><rect [^>]*fill="#[0-9a-f]{4}ff"' d.svg
ok "svg: ten is drawn, hatched, as vanished" grep -qE '<title>ten \(vanished: [0-9.]+ % in BASE, 0 in NEW\)</title><rect [^>]*fill="url\(#vanished\)"' d.svg
ten_w=$(sed -n 's/.*<title>ten (vanished.*width="\([0-9.]*\)".*/\1/p' d.svg)
within "$ten_w" 108 30 "svg: ten keeps its BASE width (about 10 % of 1180 px)"

# memory: mem-shift A B C allocates A x 100 B (freed), B x 200 B (leaked), C x 1000 B
if "$PINCH" mem -q -o mbase.rec -- "$W/mem-shift" 1000 500 10 >/dev/null 2>&1 &&
   "$PINCH" mem -q -o mnew.rec -- "$W/mem-shift" 3000 500 0 >/dev/null 2>&1; then
	M="mbase.rec mnew.rec"
	is "$(dget 'd["kind"]' $M)" mem "kind is mem"
	is "$(dget 'd["rows"][0]["function"]' $M)" site_a "memory: the biggest change is site_a"
	is "$(dget '(row("site_a")["base_self"], row("site_a")["new_self"], row("site_a")["self_change"])' $M)" \
		"(100000, 300000, 200000)" "memory: site_a 100,000 -> 300,000 B allocated, +200,000"
	is "$(dget 'row("site_a")["self_relative_pct"]' $M)" 200 "memory: site_a +200 %"
	is "$(dget '(row("site_c")["status"], row("site_c")["self_change"])' $M)" "('vanished', -10000)" \
		"memory: site_c vanished, -10,000 B"
	is "$(dget '(row("site_b")["base_self"], row("site_b")["self_change"])' $M)" "(100000, 0)" \
		"memory: site_b unchanged at 100,000 B"
	is "$(dget '(d["base"]["total"], d["new"]["total"])' $M)" "(210000, 400000)" "memory: totals"
	is "$(dget '[(r["function"], r["base_self"], r["new_self"]) for r in d["rows"] if r["base_self"] or r["new_self"]]' --what leaked $M)" \
		"[('site_b', 100000, 100000)]" "memory --what leaked: only site_b, 100,000 B on both sides"
	is "$(dget 'row("site_a").get("new_self", 0)' --what peak $M)" 0 "memory --what peak: site_a holds nothing at the peak"
	"$PINCH" diff $M >mout.txt 2>&1
	ok "memory table: site_a with exact bytes" grep -qE '^ +100,000 +300,000 +\+200,000 +\+200\.0% +100,000 +300,000  site_a$' mout.txt
	ok "memory table: site_c vanished" grep -qE '^ +10,000 +0 +-10,000 +-100\.0% .* site_c  \[vanished\]$' mout.txt
	exit_status 0 "memory --svg" "$PINCH" diff --svg m.svg $M
	exit_status 2 "--what on CPU recordings is usage" "$PINCH" diff --what peak base.rec new.rec
	exit_status 2 "a bad --what" "$PINCH" diff --what nothing $M
	# bad input: two kinds
	exit_status 2 "a CPU and a memory recording: exit 2" "$PINCH" diff base.rec mnew.rec
	cp "$TMP/.out" last.out
	is "$(wc -l <last.out)" 1 "one line"
	ok "it names both kinds" grep -q "is a CPU recording but 'mnew.rec' is a memory recording" last.out
else
	skip "memory diff" "pinch mem cannot run here"
fi

exit_status 2 "a missing file: exit 2" "$PINCH" diff base.rec missing.rec
cp "$TMP/.out" last.out
ok "  it says so" grep -q "cannot read 'missing.rec': no such file or directory" last.out
printf 'not a recording\n' >junk.rec
exit_status 1 "a file that is no recording: exit 1" "$PINCH" diff junk.rec new.rec
cp "$TMP/.out" last.out
ok "  it says why" grep -q "^pinch diff: cannot read 'junk.rec'" last.out
head -c 300 new.rec >cut.rec
ok "a recording cut short: no crash (exit 0 or 1)" bash -c '"$1" diff base.rec cut.rec >/dev/null 2>&1; [ $? -le 1 ]' _ "$PINCH"
exit_status 2 "one argument: usage" "$PINCH" diff base.rec
exit_status 2 "three arguments: usage" "$PINCH" diff base.rec new.rec new.rec
exit_status 2 "--limit -1: usage" "$PINCH" diff --limit -1 base.rec new.rec
exit_status 2 "--svg with --json: usage" "$PINCH" diff --svg x.svg --json base.rec new.rec
exit_status 0 "--help" "$PINCH" diff --help
done_testing
