/*
 * stats.h - summary statistics of a sample and the tests pinch bench's
 * --compare uses: the Mann-Whitney U test on raw runs (exact for small
 * samples without ties), and Welch's unequal-variance t-test, its
 * two-sided p-value from the regularized incomplete beta function, when
 * only mean, stddev and count are known.
 */
#ifndef PINCH_CORE_STATS_H
#define PINCH_CORE_STATS_H

#include <stddef.h>

struct stats_summary {
	size_t n;
	double mean, stddev;	/* stddev: sample (n - 1); 0 when n < 2 */
	double median, min, max;
	double mad;		/* median absolute deviation from the median */
	size_t outliers;	/* modified z-score |0.6745 (x - median) / mad| > 3.5 */
};

/* Summarises x[0..n); x is not modified. n == 0 gives all zeros. */
void stats_summarize(const double *x, size_t n, struct stats_summary *s);
/* The median of x[0..n) (sorts a copy). */
double stats_median(const double *x, size_t n);
/* 1 when x is an outlier of a sample with this median and MAD. */
int stats_is_outlier(double x, double median, double mad);

/* ln Γ(x) for x > 0. */
double stats_lgamma(double x);
/* The regularized incomplete beta function I_x(a, b), a, b > 0, 0 <= x <= 1. */
double stats_betai(double a, double b, double x);
/* Two-sided p-value of Student's t with df degrees of freedom. */
double stats_t_pvalue(double t, double df);

struct stats_welch {
	double t, df, p;	/* p: two-sided */
};

/* Welch's t-test of mean a versus mean b. Both samples need n >= 2; when
 * both variances are 0 the test is exact: p = 0 if the means differ, else 1. */
int stats_welch(const struct stats_summary *a, const struct stats_summary *b, struct stats_welch *w);

struct stats_mwu {
	double u;	/* U of sample a: pairs (a_i, b_j) with a_i > b_j, ties 1/2 */
	double z;	/* normal approximation (tie-corrected, continuity-corrected) */
	double p;	/* two-sided; exact when there are no ties and na * nb <= 10000 */
	int exact;
};

/* The Mann-Whitney U test of a[0..na) against b[0..nb): does one tend to
 * be larger? Robust to outliers, no normality assumed. Needs na, nb >= 1. */
int stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb, struct stats_mwu *r);

#endif
