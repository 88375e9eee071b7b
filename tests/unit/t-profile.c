#include "model/profile.h"
#include "tap.h"

int main(void)
{
	struct profile *p = profile_new();
	struct profile_location a = { 0 }, b = { 0 };
	uint32_t la, lb, la2, s1, s2, s3, t1, t2, n;
	int64_t one[2] = { 1, 1000 };
	const uint32_t *st;

	ok(p != NULL, "new profile");
	is_str(profile_string(p, 0), "", "string 0 is empty");
	is_int(profile_add_type(p, "samples", "count"), 0, "first type");
	is_int(profile_add_type(p, "cpu", "nanoseconds"), 1, "second type");
	a.function = profile_intern_string(p, "hot");
	a.file = profile_intern_string(p, "hot.c");
	a.line = 12;
	b = a;
	b.line = 13;
	la = profile_intern_location(p, &a);
	lb = profile_intern_location(p, &b);
	la2 = profile_intern_location(p, &a);
	ok(la != lb, "different lines are different locations");
	is_uint(la, la2, "same location interns to the same id");
	is_uint(profile_intern_string(p, "hot"), a.function, "strings intern");
	{
		uint32_t x[2] = { la, lb }, y[2] = { lb, la };

		s1 = profile_intern_stack(p, x, 2);
		s2 = profile_intern_stack(p, y, 2);
		s3 = profile_intern_stack(p, x, 2);
	}
	ok(s1 != s2, "order matters in stacks");
	is_uint(s1, s3, "stacks intern");
	st = profile_stack(p, s2, &n);
	ok(n == 2 && st[0] == lb && st[1] == la, "stack content");
	t1 = profile_intern_thread(p, 1, 1, "main");
	t2 = profile_intern_thread(p, 1, 2, NULL);
	profile_set_thread_name(p, t2, "worker");
	is_str(profile_string(p, profile_thread(p, t2)->name), "worker", "thread renamed");
	for (int i = 0; i < 60; i++)
		profile_add_sample(p, s1, t1, one);
	for (int i = 0; i < 40; i++)
		profile_add_sample(p, s1, t2, one);
	profile_add_sample(p, s2, t1, one);
	is_uint(profile_n_samples(p), 3, "samples merge by (stack, thread)");
	is_int(profile_total(p, 0), 101, "sample count total");
	is_int(profile_total(p, 1), 101000, "value total");
	is_int(profile_sample_values(p, 0)[0], 60, "merged values");
	profile_set_meta(p, "command", "./a");
	profile_set_meta(p, "command", "./b");
	is_str(profile_meta(p, "command"), "./b", "meta replaces");
	ok(profile_meta(p, "nope") == NULL, "missing meta is NULL");
	for (int i = 0; i < 20000; i++) {
		char buf[32];
		snprintf(buf, sizeof(buf), "fn%d", i);
		profile_intern_string(p, buf);
	}
	is_str(profile_string(p, a.function), "hot", "strings stay valid after growth");
	profile_free(p);
	return done_testing();
}
