/*
 * stats.c - sample summaries, the regularized incomplete beta function
 * (continued fraction evaluated by the modified Lentz method) and Welch's
 * t-test built on it.
 */
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median_sorted(const double *s, size_t n)
{
	if (!n)
		return 0;
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

double stats_median(const double *x, size_t n)
{
	double *s, m;

	if (!n)
		return 0;
	s = malloc(n * sizeof(*s));
	if (!s)
		return NAN;
	memcpy(s, x, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	m = median_sorted(s, n);
	free(s);
	return m;
}

int stats_is_outlier(double x, double median, double mad)
{
	if (mad <= 0)
		return 0;
	return fabs(0.6745 * (x - median) / mad) > 3.5;
}

void stats_summarize(const double *x, size_t n, struct stats_summary *s)
{
	double sum = 0, ss = 0, *d;

	memset(s, 0, sizeof(*s));
	s->n = n;
	if (!n)
		return;
	s->min = s->max = x[0];
	for (size_t i = 0; i < n; i++) {
		sum += x[i];
		if (x[i] < s->min)
			s->min = x[i];
		if (x[i] > s->max)
			s->max = x[i];
	}
	s->mean = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		ss += (x[i] - s->mean) * (x[i] - s->mean);
	s->stddev = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
	s->median = stats_median(x, n);
	d = malloc(n * sizeof(*d));
	if (!d)
		return;
	for (size_t i = 0; i < n; i++)
		d[i] = fabs(x[i] - s->median);
	s->mad = stats_median(d, n);
	free(d);
	for (size_t i = 0; i < n; i++)
		s->outliers += (size_t)stats_is_outlier(x[i], s->median, s->mad);
}

double stats_lgamma(double x)
{
	/* lgamma() is C99 and thread-unsafe only through signgam, unused here. */
	return lgamma(x);
}

/* One term aa of a continued fraction by the modified Lentz method:
 * updates c and d, returns the factor for the running value. */
static double lentz_step(double aa, double *c, double *d)
{
	const double tiny = 1e-300;

	*d = 1 + aa * *d;
	if (fabs(*d) < tiny)
		*d = tiny;
	*c = 1 + aa / *c;
	if (fabs(*c) < tiny)
		*c = tiny;
	*d = 1 / *d;
	return *d * *c;
}

/* The continued fraction of I_x(a, b), good for x < (a + 1) / (a + b + 2). */
static double betacf(double a, double b, double x)
{
	const double tiny = 1e-300, eps = 1e-15;
	double c = 1, d = 1 - (a + b) * x / (a + 1), h;

	if (fabs(d) < tiny)
		d = tiny;
	d = 1 / d;
	h = d;
	for (int m = 1; m <= 1000; m++) {
		double m2 = 2.0 * m, del;

		h *= lentz_step(m * (b - m) * x / ((a + m2 - 1) * (a + m2)), &c, &d);
		del = lentz_step(-(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1)), &c, &d);
		h *= del;
		if (fabs(del - 1) < eps)
			break;
	}
	return h;
}

double stats_betai(double a, double b, double x)
{
	double front;

	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	front = exp(stats_lgamma(a + b) - stats_lgamma(a) - stats_lgamma(b) + a * log(x) + b * log1p(-x));
	if (x < (a + 1) / (a + b + 2))
		return front * betacf(a, b, x) / a;
	return 1 - front * betacf(b, a, 1 - x) / b;
}

double stats_t_pvalue(double t, double df)
{
	if (isnan(t) || df <= 0)
		return 1;
	if (isinf(t))
		return 0;
	return stats_betai(df / 2, 0.5, df / (df + t * t));
}

int stats_welch(const struct stats_summary *a, const struct stats_summary *b, struct stats_welch *w)
{
	double va, vb, se2;

	if (a->n < 2 || b->n < 2)
		return -EINVAL;
	va = a->stddev * a->stddev / (double)a->n;
	vb = b->stddev * b->stddev / (double)b->n;
	se2 = va + vb;
	if (se2 <= 0) {
		w->t = a->mean == b->mean ? 0 : (a->mean > b->mean ? INFINITY : -INFINITY);
		w->df = (double)(a->n + b->n - 2);
		w->p = a->mean == b->mean ? 1 : 0;
		return 0;
	}
	w->t = (a->mean - b->mean) / sqrt(se2);
	w->df = se2 * se2 / (va * va / (double)(a->n - 1) + vb * vb / (double)(b->n - 1));
	w->p = stats_t_pvalue(w->t, w->df);
	return 0;
}

struct ranked {
	double v;
	int from_a;
};

static int cmp_ranked(const void *x, const void *y)
{
	double a = ((const struct ranked *)x)->v, b = ((const struct ranked *)y)->v;

	return (a > b) - (a < b);
}

/* P(U <= u) for samples of na and nb without ties: the count of
 * arrangements with at most u inversions over C(na + nb, na), by the
 * recurrence f(i, j, u) = f(i - 1, j, u - j) + f(i, j - 1, u). */
static double mwu_exact_cdf(size_t na, size_t nb, double u)
{
	size_t umax = na * nb, k;
	double *prev, *cur, total = 0, below = 0;

	if (u < 0)
		return 0;
	k = (size_t)floor(u);
	prev = calloc((nb + 1) * (umax + 1), sizeof(*prev));
	cur = calloc((nb + 1) * (umax + 1), sizeof(*cur));
	if (!prev || !cur) {
		free(prev);
		free(cur);
		return NAN;
	}
#define F(t, j, x) (t)[(j) * (umax + 1) + (x)]
	for (size_t j = 0; j <= nb; j++)
		F(prev, j, 0) = 1;	/* i = 0: one arrangement, U = 0 */
	for (size_t i = 1; i <= na; i++) {
		memset(cur, 0, (nb + 1) * (umax + 1) * sizeof(*cur));
		F(cur, 0, 0) = 1;
		for (size_t j = 1; j <= nb; j++)
			for (size_t x = 0; x <= i * j; x++)
				F(cur, j, x) = (x >= j ? F(prev, j, x - j) : 0) + F(cur, j - 1, x);
		{
			double *t = prev;

			prev = cur;
			cur = t;
		}
	}
	for (size_t x = 0; x <= umax; x++) {
		total += F(prev, nb, x);
		if (x <= k)
			below += F(prev, nb, x);
	}
#undef F
	free(prev);
	free(cur);
	return below / total;
}

int stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb, struct stats_mwu *r)
{
	size_t n = na + nb, i, j;
	struct ranked *all;
	double ra = 0, ties = 0, mu, sd, d;

	if (!na || !nb)
		return -EINVAL;
	all = malloc(n * sizeof(*all));
	if (!all)
		return -ENOMEM;
	for (i = 0; i < na; i++)
		all[i] = (struct ranked){ a[i], 1 };
	for (i = 0; i < nb; i++)
		all[na + i] = (struct ranked){ b[i], 0 };
	qsort(all, n, sizeof(*all), cmp_ranked);
	/* Mid-ranks for ties; sum of t^3 - t for the variance correction. */
	for (i = 0; i < n; i = j) {
		double rank;

		for (j = i + 1; j < n && all[j].v == all[i].v; j++)
			;
		rank = (double)(i + 1 + j) / 2;	/* ranks i+1 .. j */
		for (size_t k = i; k < j; k++)
			if (all[k].from_a)
				ra += rank;
		ties += (double)(j - i) * (double)(j - i) * (double)(j - i) - (double)(j - i);
	}
	free(all);
	r->u = ra - (double)na * (double)(na + 1) / 2;
	mu = (double)na * (double)nb / 2;
	sd = sqrt((double)na * (double)nb / 12 * ((double)(n + 1) - ties / ((double)n * (double)(n - 1))));
	d = fabs(r->u - mu);
	d = d > 0.5 ? d - 0.5 : 0;
	r->z = sd > 0 ? (r->u > mu ? d : -d) / sd : 0;
	r->p = sd > 0 ? erfc(fabs(r->z) / sqrt(2)) : 1;
	r->exact = 0;
	if (ties == 0 && na * nb <= 10000) {
		double lo = mwu_exact_cdf(na, nb, r->u);
		double hi = 1 - mwu_exact_cdf(na, nb, r->u - 1);	/* P(U >= u) */

		if (isfinite(lo) && isfinite(hi)) {
			r->p = 2 * (lo < hi ? lo : hi);
			if (r->p > 1)
				r->p = 1;
			r->exact = 1;
		}
	}
	return 0;
}
