/*
 * getenv_loop NAME N [EXPECT|- [ENVFILE]]: calls getenv(NAME) N times inside
 * bench_loop (noinline, so callgrind --toggle-collect=bench_loop counts exactly
 * the calls and the loop around them) and prints the wall time per call.
 *
 * ENVFILE (one NAME=value a line) replaces environ before anything is timed:
 * the runs with and without the preload, under valgrind or not, then scan the
 * very same array (valgrind reorders the environment and adds LD_PRELOAD,
 * LD_LIBRARY_PATH and others to it, differently with and without a preload).
 * Assigning environ goes around the preload's setenv/putenv hooks, as a program
 * that builds its own environment does.
 *
 * One getenv(NAME) runs before the loop: it binds the PLT slot and, for a
 * mapped name under the preload, does the one-time resolution, so the loop
 * measures the steady state only. EXPECT, when given, is the value that call
 * must return ("-" for NULL); a mismatch exits 3 (the preload is not doing
 * what the figure claims to measure).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "envfile.h"

extern char **environ;

static volatile unsigned long sink;

__attribute__((noinline)) void bench_loop(const char *name, long n);

__attribute__((noinline)) void bench_loop(const char *name, long n)
{
	unsigned long acc = 0;

	for (long i = 0; i < n; i++) {
		char *v = getenv(name);
		/* the result is used, and the compiler may assume nothing about the
		 * environment between calls */
		__asm__ volatile("" : : "r"(v) : "memory");
		acc += (unsigned long)v;
	}
	sink = acc;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	const char *name, *v;
	Dl_info info;
	long n;
	double t0, t1;

	if (argc < 3) {
		fprintf(stderr, "usage: getenv_loop NAME N [EXPECT|- [ENVFILE]]\n");
		return 2;
	}
	name = argv[1];
	n = atol(argv[2]);
	if (argc > 4) {
		char **env = read_env(argv[4]);
		if (!env) {
			fprintf(stderr, "getenv_loop: cannot read %s\n", argv[4]);
			return 2;
		}
		environ = env;
	}
	v = getenv(name);
	if (argc > 3) {
		int want_null = !strcmp(argv[3], "-");
		if (want_null ? v != NULL : (!v || strcmp(v, argv[3]))) {
			fprintf(stderr, "getenv_loop: getenv(%s) is not the expected value\n", name);
			return 3;
		}
	}
	t0 = now_ns();
	bench_loop(name, n);
	t1 = now_ns();
	printf("ns_per_call=%.3f\n", (t1 - t0) / (double)n);
	if (dladdr(dlsym(RTLD_DEFAULT, "getenv"), &info) && info.dli_fname)
		printf("getenv_from=%s\n", info.dli_fname);
	return 0;
}
