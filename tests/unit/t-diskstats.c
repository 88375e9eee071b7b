/* pinch io's /proc/diskstats parser and iostat -x arithmetic, on two
 * readings with known differences. */
#include <stdlib.h>
#include <string.h>

#include "model/diskstats.h"
#include "tap.h"

static const char before[] =
	"   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
	" 254       0 vda 1000 10 8000 500 2000 100 40000 3000 0 1000 3500 0 0 0 0 0 0\n"
	"garbage line\n"
	" 259       0 nvme0n1 5 0 40 1 0 0 0 0 0 2 1\n";	/* the 14 classic fields only */
static const char after[] =
	"   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
	" 254       0 vda 1100 30 9600 700 2400 180 48000 3800 2 1500 4500 0 0 0 0 0 0\n"
	" 259       0 nvme0n1 5 0 40 1 0 0 0 0 0 2 1\n";

int main(void)
{
	struct disk_stat *a, *b;
	struct disk_rate r;
	size_t na, nb;

	ok(diskstats_parse(before, strlen(before), &a, &na) == 0, "parse");
	is_uint(na, 3, "3 devices (the garbage line skipped)");
	is_str(a[1].name, "vda", "name");
	is_uint(a[1].wr_sectors, 40000, "sectors written");
	is_uint(a[2].time_in_queue, 1, "a 14-field line");
	ok(!diskstats_interesting(&a[0]) && diskstats_interesting(&a[1]), "idle loop0 hidden, vda shown");
	ok(diskstats_parse(after, strlen(after), &b, &nb) == 0 && nb == 3, "parse the second reading");
	diskstats_rate(&a[1], &b[1], 2.0, &r);
	near(r.r_s, 50.0, 1e-9, "r/s: 100 reads in 2 s");
	near(r.rkb_s, 400.0, 1e-9, "rkB/s: 1600 sectors = 800 kB in 2 s");
	near(r.rrqm_s, 10.0, 1e-9, "rrqm/s");
	near(r.r_await, 2.0, 1e-9, "r_await: 200 ms over 100 reads");
	near(r.rareq_sz, 8.0, 1e-9, "rareq-sz: 800 kB / 100");
	near(r.w_s, 200.0, 1e-9, "w/s");
	near(r.wkb_s, 2000.0, 1e-9, "wkB/s");
	near(r.wrqm_s, 40.0, 1e-9, "wrqm/s");
	near(r.w_await, 2.0, 1e-9, "w_await: 800 ms over 400 writes");
	near(r.wareq_sz, 10.0, 1e-9, "wareq-sz");
	near(r.aqu_sz, 0.5, 1e-9, "aqu-sz: 1000 ms in queue over 2 s");
	near(r.util, 25.0, 1e-9, "%%util: 500 ms busy of 2000");
	diskstats_rate(&b[1], &a[1], 2.0, &r);
	near(r.r_s + r.w_s + r.util, 0.0, 1e-9, "counters going backwards read as 0");
	free(a);
	free(b);
	ok(diskstats_parse("", 0, &a, &na) == 0 && na == 0, "empty input: no devices");
	free(a);
	return done_testing();
}
