#!/usr/bin/env bash
# bench/cpu.sh - the cost of sampling: pinch record vs perf record on the
# same CPU-bound program (tests/workloads/cpu-603010, scaled to ~3 s) at
# 999 Hz, frame-pointer call chains (pinch fp vs perf -g) and DWARF stack
# copies (pinch --call-graph dwarf vs perf --call-graph dwarf). Part 3:
# the default mode (--call-graph cfi, whole stacks) on hot code reached
# through glibc (tests/workloads/lib-paths), against pinch fp, perf -g and
# perf --call-graph dwarf: target overhead, recorder CPU, bytes per sample
# and the share of samples whose stack reaches main.
# Each run measures the target's own CPU time (bench/cputime.c, wait4,
# inside the recorder), the recorder's CPU time (total minus the target's), the wall
# time of the whole recorder command, and the recording's bytes per second.
# Runs are interleaved (plain, pinch, perf, plain, ...); medians of N.
# Part 4: the cost per sample of the default mode against fp mode, paired
# runs at a high rate (HZ4, default 9999) so the difference stands above
# the machine's noise, scaled to 999 Hz.
# Usage: bench/cpu.sh [BUILDDIR] [RUNS] [ROUNDS] [LIB_ROUNDS]
# PARTS="1 2 3" (the default) picks the parts to run; PARTS=4 the paired
# per-sample cost.
bash "$(dirname "$0")/../scripts/deps.sh" bench
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
N=${2:-7}
ROUNDS=${3:-105}
LROUNDS=${4:-27}
PARTS=${PARTS:-1 2 3}
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
[ -f "$B/build.ninja" ] || meson setup "$B" >/dev/null
ninja -C "$B" >/dev/null
PINCH=$PWD/$B/pinch
W=$PWD/$B/tests/workloads
command -v perf >/dev/null || { echo "bench/cpu.sh: perf is not installed (linux-perf)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -O2 -o "$out/cputime" bench/cputime.c
CT=$out/cputime

# run NAME KIND WORKLOAD [ROUNDS]: one measured run; appends "target_cpu recorder_cpu wall bytes".
run() {
	local name=$1 kind=$2 prog=$3 t0 t1
	local inner="$CT $out/inner $prog ${4:-$ROUNDS}"
	rm -f "$out/rec" "$out/perf.data"
	t0=$(date +%s%N)
	case $kind in
	plain) "$CT" "$out/outer" $inner >/dev/null ;;
	pinch-fp) "$CT" "$out/outer" "$PINCH" record -q -F 999 --call-graph fp -o "$out/rec" -- $inner >/dev/null ;;
	pinch-cfi) "$CT" "$out/outer" "$PINCH" record -q -F 999 -o "$out/rec" -- $inner >/dev/null ;;
	pinch-dwarf) "$CT" "$out/outer" "$PINCH" record -q -F 999 --call-graph dwarf -o "$out/rec" -- $inner >/dev/null ;;
	perf-fp) "$CT" "$out/outer" perf record -q -e cpu-clock -F 999 -g -o "$out/perf.data" -- $inner >/dev/null 2>&1 ;;
	perf-dwarf) "$CT" "$out/outer" perf record -q -e cpu-clock -F 999 --call-graph dwarf -o "$out/perf.data" -- $inner >/dev/null 2>&1 ;;
	esac
	t1=$(date +%s%N)
	local target total bytes=0
	target=$(echo "$(cat "$out/inner")" | bc -l)
	total=$(echo "$(cat "$out/outer")" | bc -l)
	[ -f "$out/rec" ] && bytes=$(stat -c %s "$out/rec")
	[ -f "$out/perf.data" ] && bytes=$(stat -c %s "$out/perf.data")
	echo "$target $(echo "$total - $target" | bc -l) $(echo "($t1 - $t0) / 1000000000" | bc -l) $bytes" >>"$out/$name"
}

median() {	# median of column $2 of file $1
	awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "# $(nproc) CPUs, $(uname -r), $(perf --version), pinch $("$PINCH" --version | awk '{ print $3 }')"
if part 1; then
echo "# workload: cpu-603010 $ROUNDS rounds; 999 Hz; $N interleaved runs each; medians"
for i in $(seq "$N"); do
	run plain-fp plain "$W/cpu-603010-fp"
	run pinch-fp pinch-fp "$W/cpu-603010-fp"
	run perf-fp perf-fp "$W/cpu-603010-fp"
	run plain-nofp plain "$W/cpu-603010-nofp"
	run pinch-dwarf pinch-dwarf "$W/cpu-603010-nofp"
	run perf-dwarf perf-dwarf "$W/cpu-603010-nofp"
done

printf '%-12s %10s %9s %12s %9s %9s %10s\n' tool "target-cpu" overhead "recorder-cpu" wall "wall+" "bytes/s"
report() {	# report NAME BASELINE
	local tc rc wall bytes btc bwall
	tc=$(median "$out/$1" 1); rc=$(median "$out/$1" 2); wall=$(median "$out/$1" 3); bytes=$(median "$out/$1" 4)
	btc=$(median "$out/$2" 1); bwall=$(median "$out/$2" 3)
	awk -v n="$1" -v tc="$tc" -v rc="$rc" -v w="$wall" -v b="$bytes" -v btc="$btc" -v bw="$bwall" 'BEGIN {
		printf "%-12s %9.3fs %8.2f%% %11.3fs %8.3fs %8.3fs %10s\n", n, tc, 100 * (tc / btc - 1), rc, w, w - bw,
			b ? sprintf("%.0fK", b / tc / 1024) : "-" }'
}
report plain-fp plain-fp
report pinch-fp plain-fp
report perf-fp plain-fp
report plain-nofp plain-nofp
report pinch-dwarf plain-nofp
report perf-dwarf plain-nofp
awk -v a="$(median "$out/pinch-fp" 1)" -v b="$(median "$out/perf-fp" 1)" -v p="$(median "$out/plain-fp" 1)" \
	-v c="$(median "$out/pinch-dwarf" 1)" -v d="$(median "$out/perf-dwarf" 1)" -v q="$(median "$out/plain-nofp" 1)" 'BEGIN {
	printf "ratio target-cpu overhead pinch/perf: fp %.2f (%.2f%% vs %.2f%%), dwarf %.2f (%.2f%% vs %.2f%%)\n",
		(a - p) / (b - p), 100 * (a / p - 1), 100 * (b / p - 1), (c - q) / (d - q), 100 * (c / q - 1), 100 * (d / q - 1) }'
awk -v a="$(median "$out/pinch-fp" 4)" -v b="$(median "$out/perf-fp" 4)" -v c="$(median "$out/pinch-dwarf" 4)" -v d="$(median "$out/perf-dwarf" 4)" 'BEGIN {
	printf "ratio recording size pinch/perf: fp %.2f, dwarf %.2f\n", a / b, c / d }'

fi

if part 2; then
# ---- part 2: report time and shares, on recordings of the same run length ----
# One recording each (cpu-603010 deep, $ROUNDS rounds, 999 Hz); then N
# interleaved runs of pinch report vs perf report --stdio, CPU and wall.
cd "$out"
"$PINCH" record -q -F 999 --call-graph fp -o fp.rec -- "$W/cpu-603010-fp" deep "$ROUNDS" >/dev/null
perf record -q -e cpu-clock -F 999 -g -o fp.data -- "$W/cpu-603010-fp" deep "$ROUNDS" >/dev/null 2>&1
"$PINCH" record -q -F 999 --call-graph dwarf -o dw.rec -- "$W/cpu-603010-nofp" deep "$ROUNDS" >/dev/null
perf record -q -e cpu-clock -F 999 --call-graph dwarf -o dw.data -- "$W/cpu-603010-nofp" deep "$ROUNDS" >/dev/null 2>&1
rtime() {	# rtime NAME COMMAND...: appends "cpu wall"
	local name=$1 t0 t1; shift
	t0=$(date +%s%N)
	"$CT" "$out/rt" "$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo "$(cat "$out/rt") $(echo "($t1 - $t0) / 1000000000" | bc -l)" >>"$out/$name"
}
for i in $(seq "$N"); do
	rtime rep-pinch-fp "$PINCH" report fp.rec
	rtime rep-perf-fp perf report -i fp.data --stdio
	rtime rep-pinch-dw "$PINCH" report dw.rec
	rtime rep-perf-dw perf report -i dw.data --stdio
done
echo
echo "# report time (medians of $N; recordings of cpu-603010 deep $ROUNDS rounds)"
printf '%-14s %9s %9s\n' report cpu wall
for r in rep-pinch-fp rep-perf-fp rep-pinch-dw rep-perf-dw; do
	printf '%-14s %8.3fs %8.3fs\n' "$r" "$(median "$out/$r" 1)" "$(median "$out/$r" 2)"
done
awk -v a="$(median "$out/rep-pinch-fp" 2)" -v b="$(median "$out/rep-perf-fp" 2)" -v c="$(median "$out/rep-pinch-dw" 2)" -v d="$(median "$out/rep-perf-dw" 2)" 'BEGIN {
	printf "ratio report wall pinch/perf: fp %.2f, dwarf %.2f\n", a / b, c / d }'

# Self shares of the three leaves: pinch report --json vs perf report (no children).
pshare() { "$PINCH" report --json --limit 0 "$1" | python3 -c "import json,sys
d=json.load(sys.stdin); r={x['function']: x['self_pct'] for x in d['report']['rows']}; print('%.2f' % r.get('$2', 0))"; }
fshare() { perf report -i "$1" --stdio --no-children --sort sym 2>/dev/null | awk -v f="$2" '$NF == f && $1 ~ /%$/ { sub(/%/, "", $1); print $1; exit }'; }
echo
echo "# self shares (%): pinch vs perf, same workload, separate runs"
printf '%-8s %8s %8s %8s   %8s %8s %8s\n' function pinch-fp perf-fp diff pinch-dw perf-dw diff
for f in sixty thirty ten; do
	a=$(pshare fp.rec $f); b=$(fshare fp.data $f); c=$(pshare dw.rec $f); d=$(fshare dw.data $f)
	awk -v f=$f -v a="$a" -v b="$b" -v c="$c" -v d="$d" 'BEGIN {
		printf "%-8s %8.2f %8.2f %+8.2f   %8.2f %8.2f %+8.2f\n", f, a, b, a - b, c, d, c - d }'
done

cd "$OLDPWD"
fi

if part 3; then
# ---- part 3: whole stacks by default, on hot code reached through glibc ----
# lib-paths (qsort/bsearch comparators, snprintf, pthread_once), $LROUNDS
# rounds, -fp and -nofp builds. Overheads against the plain run of the same
# build; bytes per sample and the share of samples reaching main from one
# more recording of each (dynamic-linker start-up samples not counted).
for i in $(seq "$N"); do
	for b in fp nofp; do
		for k in plain pinch-fp pinch-cfi perf-fp perf-dwarf; do
			run "lib-$b-$k" "$k" "$W/lib-paths-$b" "$LROUNDS"
		done
	done
done
main_share_folded() {	# collapsed stacks on stdin -> "% reaching main"
	awk '{ n = $NF; $NF = ""; if ($0 ~ /^_dl_start_user;|^_start;_dl_start;/) next
		t += n; if ($0 ~ /(^|;)main(;| |$)/) m += n } END { printf "%.1f", t ? 100 * m / t : 0 }'
}
perf_main_share() {	# perf.data -> "% reaching main" and the sample count
	perf script -i "$1" -F ip,sym 2>/dev/null | awk '
		function flush() { if (!insample) return; if (!ld) { t++; if (m) mm++ } insample = m = ld = 0 }
		/^$/ { flush(); next }
		{ insample = 1; if ($2 == "main") m = 1; if ($2 == "_dl_start_user" || $2 == "_dl_start") ld = 1 }
		END { flush(); printf "%.1f %d\n", t ? 100 * mm / t : 0, t }'
}
echo
echo "# whole stacks: lib-paths $LROUNDS rounds, 999 Hz, $N interleaved runs each; medians"
printf '%-20s %10s %9s %12s %9s %9s %8s\n' tool "target-cpu" overhead "recorder-cpu" "B/sample" "main%" "vs fp"
for b in fp nofp; do
	for k in pinch-fp pinch-cfi perf-fp perf-dwarf; do
		f="$out/one.$b.$k"
		rm -f "$f.rec" "$f.data"
		case $k in
		pinch-fp) "$PINCH" record -q -F 999 --call-graph fp -o "$f.rec" -- "$W/lib-paths-$b" "$LROUNDS" >/dev/null ;;
		pinch-cfi) "$PINCH" record -q -F 999 -o "$f.rec" -- "$W/lib-paths-$b" "$LROUNDS" >/dev/null ;;
		perf-fp) perf record -q -e cpu-clock -F 999 -g -o "$f.data" -- "$W/lib-paths-$b" "$LROUNDS" >/dev/null 2>&1 ;;
		perf-dwarf) perf record -q -e cpu-clock -F 999 --call-graph dwarf -o "$f.data" -- "$W/lib-paths-$b" "$LROUNDS" >/dev/null 2>&1 ;;
		esac
		if [ -f "$f.rec" ]; then
			share=$("$PINCH" report --collapsed --user-only "$f.rec" | main_share_folded)
			samples=$("$PINCH" report --json --limit 0 "$f.rec" | python3 -c 'import json,sys; print(json.load(sys.stdin)["recording"]["samples"])')
			bytes=$(stat -c %s "$f.rec")
		else
			read -r share samples < <(perf_main_share "$f.data")
			bytes=$(stat -c %s "$f.data")
		fi
		tc=$(median "$out/lib-$b-$k" 1); rc=$(median "$out/lib-$b-$k" 2)
		ptc=$(median "$out/lib-$b-plain" 1); ftc=$(median "$out/lib-$b-pinch-fp" 1)
		awk -v n="$k ($b build)" -v tc="$tc" -v rc="$rc" -v p="$ptc" -v f="$ftc" -v by="$bytes" -v s="$samples" -v m="$share" 'BEGIN {
			printf "%-20s %9.3fs %8.2f%% %11.3fs %9.0f %8s%% %+7.2f\n", n, tc, 100 * (tc / p - 1), rc, s ? by / s : 0, m, 100 * (tc - f) / p }'
	done
done
fi

if part 4; then
# ---- part 4: what cfi adds per sample over fp, paired ----
# The target's CPU time grows linearly with the samples taken in it (the
# sample interrupt and, for cfi, the kernel's copy of up to 8 KiB of
# user stack). Each pair runs fp and cfi back to back (order alternating)
# at HZ4 Hz, the recorder pinned to CPU 0 and the target to CPU 1; the
# cost per sample of each = (target CPU - plain target CPU) / samples, and
# the cfi - fp difference per pair, scaled to 999 Hz, is the overhead
# cfi adds in points. Median and quartiles of the pairs.
HZ4=${HZ4:-9999}
rec4() {	# MODE OUT: one run; prints "target_cpu samples"
	local mode=$1 o=$2 cg=()
	[ "$mode" = fp ] && cg=(--call-graph fp)
	rm -f "$o"
	taskset -c 0 "$PINCH" record -q -F "$HZ4" "${cg[@]}" -o "$o" -- \
		taskset -c 1 "$CT" "$out/inner4" "$W/lib-paths-nofp" "$LROUNDS" >/dev/null
	echo "$(cat "$out/inner4") $("$PINCH" report --json --limit 0 "$o" | python3 -c 'import json,sys; print(json.load(sys.stdin)["recording"]["samples"])')"
}
: >"$out/pairs4"
for i in $(seq "$N"); do
	taskset -c 1 "$CT" "$out/plain4" "$W/lib-paths-nofp" "$LROUNDS" >/dev/null
	if [ $((i % 2)) = 1 ]; then
		a=$(rec4 fp "$out/p4.rec"); b=$(rec4 cfi "$out/p4.rec")
	else
		b=$(rec4 cfi "$out/p4.rec"); a=$(rec4 fp "$out/p4.rec")
	fi
	echo "$(cat "$out/plain4") $a $b" >>"$out/pairs4"
done
echo
echo "# cfi - fp per sample: lib-paths-nofp $LROUNDS rounds at $HZ4 Hz, $N pairs; recorder on CPU 0, target on CPU 1"
python3 - "$out/pairs4" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
fp = [(f - p) / n * 1e6 for p, f, n, c, m in rows]
cfi = [(c - p) / m * 1e6 for p, f, n, c, m in rows]
d = [b - a for a, b in zip(fp, cfi)]
q = lambda v: statistics.quantiles(v, n=4) if len(v) > 1 else [v[0]] * 3
print(f"plain target CPU (median): {statistics.median(r[0] for r in rows):.3f} s; samples fp {statistics.median(r[2] for r in rows):.0f}, cfi {statistics.median(r[4] for r in rows):.0f}")
print(f"{'':22s} {'median':>8s} {'q1':>8s} {'q3':>8s}")
for name, v in (("fp µs/sample", fp), ("cfi µs/sample", cfi), ("cfi - fp µs/sample", d)):
    a, m, b = q(v)
    print(f"{name:22s} {statistics.median(v):8.2f} {a:8.2f} {b:8.2f}")
a, m, b = q(d)
print(f"cfi - fp at 999 Hz: {statistics.median(d) * 999 / 1e4:+.3f} points (quartiles {a * 999 / 1e4:+.3f} .. {b * 999 / 1e4:+.3f})")
PY
fi
