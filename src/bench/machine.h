/*
 * machine.h - the facts a saved result carries so that a comparison can
 * say when two results come from different machines or a loaded one:
 * CPU model, online cores, kernel release, load average, host name.
 */
#ifndef PINCH_BENCH_MACHINE_H
#define PINCH_BENCH_MACHINE_H

struct json_writer;

struct machine_facts {
	char cpu_model[128];
	int cores;
	char kernel[128];
	char host[128];
	double loadavg[3];
};

void machine_facts_read(struct machine_facts *m);
/* Writes "machine": {...} as a member of the current object. */
void machine_facts_json(struct json_writer *w, const struct machine_facts *m);

/* The document {"machine": {...}} into out (for jansson users). */
struct strbuf;
void machine_facts_doc(const struct machine_facts *m, struct strbuf *out);

#endif
