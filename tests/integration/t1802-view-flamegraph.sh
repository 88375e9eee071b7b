#!/usr/bin/env bash
# t1802-view-flamegraph.sh - the flame graph SVG: well-formed XML, names
# escaped, invalid UTF-8 replaced, exact search values (nested matches
# counted once), a modest file for 1 M samples; and, when Chromium and
# Node are installed, a real browser: click zooms, typed search reports
# the exact value, Escape resets, no script errors.
. "$(dirname "$0")/lib.sh"
DUMP=$PINCH_BUILDDIR/tests/unit/view-dump
command -v python3 >/dev/null || skip_all "python3 missing"

wellformed() {	# wellformed FILE: strict UTF-8 and XML
	python3 -c 'import sys, xml.etree.ElementTree as E
open(sys.argv[1], encoding="utf-8", errors="strict").read()
E.parse(sys.argv[1])' "$1"
}
attr() {	# attr FILE NAME: an attribute of the root element
	python3 -c 'import sys, xml.etree.ElementTree as E
print(E.parse(sys.argv[1]).getroot().get(sys.argv[2], ""))' "$1" "$2"
}

"$DUMP" -p fixture -s rec -T 'pinch <test> & co' flamegraph > fixture.svg
ok "fixture SVG is well-formed XML" wellformed fixture.svg
is "$(attr fixture.svg data-search-value)" 20000000 "recursive matches counted once (rec 3 deep = 20 ms)"
is "$(attr fixture.svg data-search-pct)" 16.67 "matched % from exact values"
ok "title escaped" grep -q '<text id="title" x="600" y="24">pinch &lt;test&gt; &amp; co</text>' fixture.svg
ok "no external resources" sh -c '! grep -Eq "(href|src)=\"(https?:|//)" fixture.svg'
ok "frame widths exact from values" grep -q '<title>work (90.0 ms, 75.00 %)</title><rect x="305.00" y="[0-9]*" width="885.00"' fixture.svg

"$DUMP" -p hostile -s 'a&b' flamegraph > hostile.svg
ok "hostile names: well-formed XML, valid UTF-8" wellformed hostile.svg
ok "markup in names escaped" grep -q 'std::vector&lt;int&gt;::operator\[\](unsigned long)' hostile.svg
ok "quotes and ampersands escaped" grep -q 'a&amp;b &quot;quoted&quot; &apos;single&apos;' hostile.svg
ok "invalid UTF-8 replaced" grep -q $'bad\xef\xbf\xbd\xef\xbf\xbdutf8;semi?newline' hostile.svg
ok "U+FFFF/U+FFFE (not XML characters) replaced" grep -q $'nonchar\xef\xbf\xbd\xef\xbf\xbd\xc2\x85end' hostile.svg
is "$(attr hostile.svg data-search-value)" 95000000 "search with '&' (literal, exact)"
"$DUMP" -p hostile -s 'operator()' flamegraph > op.svg
is "$(attr op.svg data-search-value)" 0 "C++ punctuation is literal, not a regex"
"$DUMP" -p hostile -s 'operator[]' flamegraph > op.svg
is "$(attr op.svg data-search-value)" 30000000 "operator[] found literally"

"$DUMP" -p big -s fn_3 flamegraph > big.svg
ok "1 M samples / 50k stacks: well-formed" wellformed big.svg
size=$(stat -c %s big.svg)
ok "1 M samples / 50k stacks: modest file ($size bytes < 8 MB)" test "$size" -lt 8000000
drawn=$(grep -c '<g class="f"' big.svg)
ok "only frames wider than 0.1 % drawn ($drawn)" test "$drawn" -lt 5000
bigval=$(attr big.svg data-search-value)

if ! command -v chromium >/dev/null; then
	skip "browser checks" "chromium not installed"
elif ! command -v node >/dev/null || ! node --experimental-websocket -e 'if (typeof WebSocket !== "function") process.exit(1)' 2>/dev/null; then
	skip "browser checks" "node with WebSocket (>= 20.10) not installed"
else
	# run in this shell so the counters update
	for spec in "fixture.svg|work|rec|20000000" "hostile.svg|py_func|a&b|95000000" \
		    "big.svg|mod_fn_29|fn_3|$bigval"; do
		IFS='|' read -r f c q v <<<"$spec"
		node --experimental-websocket "$PINCH_SRCDIR/tests/integration/fg-browser.mjs" \
			"$f" "$c" "$q" "$v" "${f%.svg}.png" 2>/dev/null > browser.tap
		grep '^#' browser.tap
		while read -r line; do
			case $line in
			"not ok "*) ok "browser $f: ${line#not ok * - }" false ;;
			"ok "*) ok "browser $f: ${line#ok * - }" true ;;
			esac
		done < <(grep -E '^(not )?ok ' browser.tap)
	done
	ok "screenshot written" test -s fixture.png
fi
done_testing
