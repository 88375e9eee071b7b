/*
 * t-stats.c - src/core/stats.c against tabulated values: Student's t
 * critical values (two-sided 5 % and 1 %, as printed in any t table),
 * closed forms of I_x(a, b), and the first worked example of Welch's
 * t-test on Wikipedia (t = -2.46, df = 24.98, p = 0.021).
 */
#include <math.h>

#include "core/stats.h"
#include "tap.h"

int main(void)
{
	static const struct { double df, t, p; } table[] = {
		{ 1, 12.706, 0.05 }, { 2, 4.303, 0.05 }, { 5, 2.571, 0.05 }, { 10, 2.228, 0.05 },
		{ 30, 2.042, 0.05 }, { 120, 1.980, 0.05 }, { 1, 63.657, 0.01 }, { 5, 4.032, 0.01 },
		{ 10, 3.169, 0.01 }, { 30, 2.750, 0.01 }, { 120, 2.617, 0.01 },
	};
	static const double a1[] = { 27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6,
				     23.1, 19.6, 19.0, 21.7, 21.4 };
	static const double a2[] = { 27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2,
				     21.9, 22.1, 22.9, 20.5, 24.4 };
	static const double odd[] = { 5, 1, 4, 2, 3, 100 };
	struct stats_summary s1, s2, so;
	struct stats_welch w;

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		near(stats_t_pvalue(table[i].t, table[i].df), table[i].p, table[i].p * 0.002,
		     "t = %.3f, df = %.0f: two-sided p = %.2f", table[i].t, table[i].df, table[i].p);
	near(stats_t_pvalue(-2.228, 10), 0.05, 1e-4, "the p-value is symmetric in t");
	near(stats_t_pvalue(0, 7), 1, 1e-12, "t = 0: p = 1");
	near(stats_betai(2, 2, 0.5), 0.5, 1e-12, "I_0.5(2, 2) = 0.5");
	near(stats_betai(1, 1, 0.3), 0.3, 1e-12, "I_x(1, 1) = x");
	near(stats_betai(3, 1, 0.7), pow(0.7, 3), 1e-12, "I_x(a, 1) = x^a");
	near(stats_betai(1, 4, 0.2), 1 - pow(0.8, 4), 1e-12, "I_x(1, b) = 1 - (1 - x)^b");
	near(stats_betai(50, 60, 0.9), 1, 1e-12, "I_0.9(50, 60) = 1 (far tail)");

	stats_summarize(a1, 15, &s1);
	stats_summarize(a2, 15, &s2);
	near(s1.mean, 20.82, 0.005, "mean of sample A1");
	ok(!stats_welch(&s1, &s2, &w), "Welch's test runs");
	near(w.t, -2.46, 0.005, "Welch t");
	near(w.df, 24.98, 0.05, "Welch-Satterthwaite df");
	near(w.p, 0.021, 0.0005, "Welch two-sided p");

	stats_summarize(odd, 6, &so);
	near(so.median, 3.5, 1e-12, "median of an even count");
	near(so.mad, 1.5, 1e-12, "MAD");
	is_uint(so.outliers, 1, "one outlier (100) by the modified z-score");
	near(so.min, 1, 0, "min");
	near(so.max, 100, 0, "max");

	{
		struct stats_summary c1 = { .n = 5, .mean = 1, .stddev = 0 }, c2 = c1;

		ok(!stats_welch(&c1, &c2, &w) && w.p == 1, "constant equal samples: p = 1");
		c2.mean = 2;
		ok(!stats_welch(&c1, &c2, &w) && w.p == 0, "constant different samples: p = 0");
		c2.n = 1;
		ok(stats_welch(&c1, &c2, &w) < 0, "n < 2 refused");
	}
	{
		/* Complete separation of 5 and 5: U = 0, exact two-sided p =
		 * 2 / C(10, 5) = 2 / 252; the normal approximation with
		 * continuity correction: z = -12 / sqrt(275 / 12). */
		static const double x[] = { 1, 2, 3, 4, 5 }, y[] = { 6, 7, 8, 9, 10 };
		static const double t1[] = { 1, 2, 2, 3 }, t2[] = { 2, 3, 4, 5 };
		static const double s1[] = { 1.1, 2.5, 3.3, 4.2, 5.9, 6.1 }, s2[] = { 1.5, 2.2, 3.9, 4.4, 5.0, 6.6 };
		struct stats_mwu m;

		ok(!stats_mann_whitney(x, 5, y, 5, &m), "Mann-Whitney runs");
		near(m.u, 0, 0, "U = 0 for complete separation");
		ok(m.exact, "no ties: the exact distribution");
		near(m.p, 2.0 / 252, 1e-12, "exact p = 2/252");
		near(m.z, -12 / sqrt(275.0 / 12), 1e-12, "z with continuity correction");
		ok(!stats_mann_whitney(y, 5, x, 5, &m) && m.u == 25 && fabs(m.p - 2.0 / 252) < 1e-12,
		   "the other way round: U = 25, same p");
		ok(!stats_mann_whitney(s1, 6, s2, 6, &m), "interleaved samples");
		near(m.u, 17, 0, "U of interleaved samples (0+2+2+3+5+5)");
		/* 433 of the C(12, 6) = 924 arrangements have U <= 17 (counted
		 * by enumerating them all): two-sided p = 866 / 924. */
		near(m.p, 866.0 / 924, 1e-12, "exact p of interleaved samples");
		ok(!stats_mann_whitney(t1, 4, t2, 4, &m) && !m.exact, "ties: the normal approximation");
		/* ranks: 1, 3, 3, 5.5 | 3, 5.5, 7, 8: Ra = 12.5, U = 2.5;
		 * var = 16/12 * (9 - (24 + 6) / 56) */
		near(m.u, 2.5, 1e-12, "U with mid-ranks");
		near(m.z, -(8 - 2.5 - 0.5) / sqrt(16.0 / 12 * (9 - 30.0 / 56)), 1e-12, "tie-corrected z");
		near(m.p, erfc(fabs(m.z) / sqrt(2)), 1e-12, "two-sided normal p");
	}
	printf("1..%d\n", tap_count);
	return tap_failed != 0;
}
