/*
 * mem-steps.c - a heap that changes level in steps held for 30 ms each:
 * 4 MiB, 12 MiB, 2 MiB, 6 MiB, then nothing. The agent's timeline
 * buckets close on activity, so one bucket holds 12 MiB at most and ends
 * at 2 MiB, the next rises to 6: no bucket's maximum is 2 MiB, and a chart
 * that filled a bucket's columns with its end level would draw a dip to
 * 2 MiB that no bucket has (t2017 checks the SVG against the JSON).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void hold(void)
{
	struct timespec ts = { 0, 30 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

static void *get(size_t n)
{
	void *p = malloc(n);

	memset(p, 1, n);
	return p;
}

int main(void)
{
	void *a = get(4 << 20), *b, *c, *d;

	hold();
	b = get(8 << 20);
	hold();
	free(a);
	c = get(2 << 20);
	free(b);
	hold();
	d = get(4 << 20);
	hold();
	free(c);
	free(d);
	hold();
	return 0;
}
