#!/usr/bin/env bash
# t5009-python-generators.sh - generator frames keep their callers: every
# sample in generators.py's three levels of constantly-yielding generators
# is under consume() and main() (a generator's frame is cut from its caller
# at each yield; a reader racing with that once showed ~10 % of such
# samples as roots). On both Pythons.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/report-lib.sh"
. "$(dirname "$0")/python-lib.sh"

for py in "${PYTHONS[@]}"; do
	tag=$(pytag "$py")
	record $tag.rec -- "$py" "$PYW/generators.py" 2
	"$PINCH" report --collapsed $tag.rec >$tag.folded
	read -r all under <<<"$(awk '/;(leaf|middle|outer) [0-9]+$|;(leaf|middle|outer);/ { a += $NF; if ($0 ~ /;main;consume;outer/) u += $NF } END { printf "%d %d", a, u }' $tag.folded)"
	ok "$tag: generator samples were taken ($all)" test "${all:-0}" -gt 300
	pct=$(python3 -c "print(round(100 * ${under:-0} / max(${all:-0}, 1), 2))")
	ok "$tag: $pct % of the generator samples have main;consume;outer above them (>= 99 %)" \
		python3 -c "import sys; sys.exit(0 if $pct >= 99 else 1)"
	read -r lall lunder <<<"$(awk '/;leaf( |;)/ { a += $NF; if ($0 ~ /;outer;middle;leaf/) u += $NF } END { printf "%d %d", a, u }' $tag.folded)"
	pct=$(python3 -c "print(round(100 * ${lunder:-0} / max(${lall:-0}, 1), 2))")
	ok "$tag: $pct % of leaf's samples have outer;middle above it (>= 99 %)" \
		python3 -c "import sys; sys.exit(0 if $pct >= 99 and ${lall:-0} > 100 else 1)"
	# What a failure looked like: the generator stacks without their callers.
	grep -E ';(leaf|middle|outer)( |;)' $tag.folded | grep -v ';main;consume;outer' |
		sort -t' ' -k2 -rn | head -5 | sed 's/^/# torn: /'
done
done_testing
