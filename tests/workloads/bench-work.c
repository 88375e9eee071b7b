/*
 * bench-work.c - a command whose cost is known exactly, for pinch bench
 * and baseline tests. From the environment:
 *   NAP_MS=N     sleep N ms (nanosleep)
 *   SPIN_MS=N    burn N ms of CPU time (until getrusage says so)
 *   TOUCH_MIB=N  malloc and write N MiB (max RSS >= N MiB; N MiB allocated)
 *   EXIT_CODE=N  exit with N
 * The same command line therefore times differently under different
 * environments: a planted regression without a change of name.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static long env_long(const char *name)
{
	const char *v = getenv(name);

	return v ? atol(v) : 0;
}

static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

int main(void)
{
	long nap = env_long("NAP_MS"), spin = env_long("SPIN_MS"), touch = env_long("TOUCH_MIB");
	volatile unsigned long sink = 0;
	char *p = NULL;

	if (touch > 0) {
		p = malloc((size_t)touch << 20);
		if (!p)
			return 99;
		memset(p, 1, (size_t)touch << 20);
	}
	if (nap > 0) {
		struct timespec ts = { nap / 1000, (nap % 1000) * 1000000L };

		while (nanosleep(&ts, &ts))
			;
	}
	while (spin > 0 && cpu_ms() < (double)spin)
		for (int i = 0; i < 100000; i++)
			sink += (unsigned long)i;
	free(p);
	return (int)env_long("EXIT_CODE");
}
