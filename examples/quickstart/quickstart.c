/*
 * quickstart.c - the smallest libpinch user: three calls give a counter,
 * a timed function and a /metrics + /health endpoint. Build it against an
 * installed or uninstalled libpinch:
 *     cc quickstart.c $(pkg-config --cflags --libs pinch) -o quickstart
 * Run: ./quickstart [ADDR] [SECONDS]   (default 127.0.0.1:9464, 60 s)
 */
#include <pinch/pinch.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static struct pinch_counter *jobs;

static void do_job(void)
{
	PINCH_TIME_SCOPE("do_job");		/* times this block into a histogram */
	pinch_counter_inc(jobs);		/* lock-free */
	usleep(1000);
}

int main(int argc, char **argv)
{
	const char *addr = argc > 1 ? argv[1] : "127.0.0.1:9464";
	int seconds = argc > 2 ? atoi(argv[2]) : 60, i, rc;
	struct pinch_server *srv;

	rc = pinch_counter_new(NULL, "jobs_done_total", "Jobs finished.", NULL, &jobs);
	if (rc == 0)
		rc = pinch_serve(addr, &srv);
	if (rc < 0) {
		fprintf(stderr, "quickstart: %s: %s\n", pinch_strerror(rc), pinch_last_error());
		return 1;
	}
	printf("serving http://%s/metrics on port %d\n", addr, pinch_server_port(srv));
	fflush(stdout);
	for (i = 0; i < 100; i++)
		do_job();
	sleep((unsigned)seconds);
	pinch_serve_stop(srv);
	return 0;
}
