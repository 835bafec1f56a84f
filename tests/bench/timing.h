/* Shared by the bench programs that time runs themselves: a monotonic clock
 * in microseconds and the comparison qsort needs for medians. */
#ifndef VS_BENCH_TIMING_H
#define VS_BENCH_TIMING_H

#include <time.h>

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static __attribute__((unused)) int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

#endif
