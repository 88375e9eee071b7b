/* t-pgplan.c - EXPLAIN JSON plans and their findings (src/model/pgplan.c). */
#include <string.h>

#include "model/pgplan.h"
#include "tap.h"

static const char *cols(const char *filter)
{
	static char out[128];

	pgplan_filter_columns(filter, out, sizeof(out));
	return out;
}

static int parse(struct pgplan *p, const char *json)
{
	char err[256];

	return pgplan_parse(p, json, strlen(json), err, sizeof(err));
}

int main(void)
{
	struct pgplan p;
	char err[256];

	is_str(cols("(customer_id = 42)"), "customer_id", "one equality");
	is_str(cols("((amount > 3) AND (customer_id = 42))"), "customer_id, amount",
	       "equalities before ranges");
	is_str(cols("((name)::text = 'x'::text)"), "name", "a varchar column: (name)::text");
	is_str(cols("((a)::text = (b)::text)"), "", "column against column: no index suggestion");
	is_str(cols("(status::text = 'open'::text)"), "status", "column with a cast");
	is_str(cols("(a = b)"), "", "column against column: no constant");
	is_str(cols("((x >= '2024-01-01'::date) AND (x < '2025-01-01'::date))"), "x", "each column once");

	ok(parse(&p, "EXPLAIN output:\n[{\"Plan\": {\"Node Type\": \"Limit\", \"Plan Rows\": 10, "
		     "\"Actual Rows\": 10, \"Actual Loops\": 1, \"Actual Total Time\": 0.1, \"Plans\": "
		     "[{\"Node Type\": \"Seq Scan\", \"Relation Name\": \"t\", \"Plan Rows\": 100000, "
		     "\"Actual Rows\": 10, \"Actual Loops\": 1, \"Actual Total Time\": 0.05}]}, "
		     "\"Execution Time\": 0.2}]") == 0, "leading text skipped");
	is_uint(p.n_nodes, 2, "two nodes");
	is_uint(p.n_findings, 0, "a LIMIT stopping a scan is no misestimate");
	ok(p.nodes[1].under_limit && p.nodes[1].depth == 1, "under the limit, depth 1");
	pgplan_release(&p);

	ok(parse(&p, "[{\"Plan\": {\"Node Type\": \"Seq Scan\", \"Relation Name\": \"o\", "
		     "\"Filter\": \"(c = 1)\", \"Plan Rows\": 5, \"Actual Rows\": 2, \"Actual Loops\": 3, "
		     "\"Actual Total Time\": 2.0, \"Rows Removed by Filter\": 1000}}]") == 0, "loops");
	is_uint((uint64_t)p.nodes[0].rows, 6, "rows are per loop: times 3");
	is_uint((uint64_t)p.nodes[0].removed, 3000, "removed rows times 3");
	is_uint((uint64_t)p.nodes[0].time_ms, 6, "time times 3");
	is_uint(p.n_findings, 1, "one finding");
	is_str(p.findings[0].sql, "CREATE INDEX ON o (c);", "the index");
	pgplan_release(&p);

	/* a Nested Loop over a Memoize: 5000 loops, 250 cache misses */
#define NL_MEMO(MISSES) \
	"[{\"Plan\": {\"Node Type\": \"Nested Loop\", \"Plan Rows\": 5000, \"Actual Rows\": 5000, " \
	"\"Actual Loops\": 1, \"Actual Total Time\": 10.9, \"Plans\": [" \
	"{\"Node Type\": \"Seq Scan\", \"Relation Name\": \"o\", \"Plan Rows\": 5000, " \
	"\"Actual Rows\": 5000, \"Actual Loops\": 1, \"Actual Total Time\": 9.5}, " \
	"{\"Node Type\": \"Memoize\", \"Plan Rows\": 1, \"Actual Rows\": 1, \"Actual Loops\": 5000, " \
	"\"Actual Total Time\": 0, \"Cache Misses\": " #MISSES ", \"Plans\": [" \
	"{\"Node Type\": \"Index Only Scan\", \"Relation Name\": \"c\", \"Index Name\": \"c_pkey\", " \
	"\"Plan Rows\": 1, \"Actual Rows\": 1, \"Actual Loops\": " #MISSES ", " \
	"\"Actual Total Time\": 0.001}]}]}, \"Execution Time\": 11.2}]"
	ok(parse(&p, NL_MEMO(250)) == 0, "nested loop over a memoize");
	is_uint(p.n_findings, 0, "250 misses of 5000 loops: the inner index scan ran 250 times, no finding");
	is_uint((uint64_t)(p.nodes[2].time_ms * 1000 + 0.5), 250, "the memoize took at least its subtree's 0.25 ms (it printed 0)");
	pgplan_release(&p);
	ok(parse(&p, NL_MEMO(2000)) == 0, "nested loop over a memoize, 2000 misses");
	is_uint(p.n_findings, 1, "2000 misses: the nested loop finding");
	ok(strstr(p.findings[0].text, "2000 times") && strstr(p.findings[0].text, "cache misses"),
	   "counted on the cache misses");
	pgplan_release(&p);

	ok(pgplan_parse(&p, "[{\"Plan\": 3}]", 13, err, sizeof(err)) < 0, "a plan that is not an object");
	ok(pgplan_parse(&p, "nothing", 7, err, sizeof(err)) < 0, "no JSON");
	ok(strstr(err, "no JSON plan") != NULL, "says no JSON plan");
	ok(pgplan_parse(&p, "[{\"Plan\": {\"Plans\": []}}]", 24, err, sizeof(err)) < 0, "no node type");
	return done_testing();
}
