/*
 * machine.c - reads the machine facts of machine.h from /proc and uname.
 */
#include "machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "core/json.h"
#include "core/strbuf.h"
#include "core/banned.h"

void machine_facts_read(struct machine_facts *m)
{
	struct utsname u;
	char line[512];
	FILE *f;

	memset(m, 0, sizeof(*m));
	snprintf(m->cpu_model, sizeof(m->cpu_model), "unknown");
	f = fopen("/proc/cpuinfo", "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char *colon = strchr(line, ':');

			if (strncmp(line, "model name", 10) || !colon)
				continue;
			colon++;
			while (*colon == ' ' || *colon == '\t')
				colon++;
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(m->cpu_model, sizeof(m->cpu_model), "%s", colon);
			break;
		}
		fclose(f);
	}
	m->cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (!uname(&u))
		snprintf(m->kernel, sizeof(m->kernel), "%s", u.release);
	gethostname(m->host, sizeof(m->host) - 1);
	f = fopen("/proc/loadavg", "re");
	if (f) {
		if (fscanf(f, "%lf %lf %lf", &m->loadavg[0], &m->loadavg[1], &m->loadavg[2]) != 3)
			memset(m->loadavg, 0, sizeof(m->loadavg));
		fclose(f);
	}
}

void machine_facts_json(struct json_writer *w, const struct machine_facts *m)
{
	json_key(w, "machine");
	json_obj_begin(w);
	json_kstr(w, "cpu_model", m->cpu_model);
	json_kint(w, "cores", m->cores);
	json_kstr(w, "kernel", m->kernel);
	json_kstr(w, "host", m->host);
	json_key(w, "loadavg");
	json_arr_begin(w);
	for (int i = 0; i < 3; i++)
		json_double(w, m->loadavg[i]);
	json_arr_end(w);
	json_obj_end(w);
}

void machine_facts_doc(const struct machine_facts *m, struct strbuf *out)
{
	struct json_writer w;

	json_init(&w, out, 0);
	json_obj_begin(&w);
	machine_facts_json(&w, m);
	json_obj_end(&w);
}
