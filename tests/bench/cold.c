/*
 * cold NAME [EXPECT]: times the first getenv(NAME) of the process
 * (CLOCK_MONOTONIC around the call) and prints it in ms. Under the preload,
 * for a mapped NAME, that call spawns the resolver helper and makes every
 * Vault read; without it, it is a plain environment lookup.
 * EXPECT, when given, is the value it must return; a mismatch exits 3.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	double t0, t1;
	const char *v;

	if (argc < 2) {
		fprintf(stderr, "usage: cold NAME [EXPECT]\n");
		return 2;
	}
	t0 = now_ms();
	v = getenv(argv[1]);
	t1 = now_ms();
	if (argc > 2 && (!v || strcmp(v, argv[2]))) {
		fprintf(stderr, "cold: getenv(%s) is not the expected value\n", argv[1]);
		return 3;
	}
	printf("cold_ms=%.3f\n", t1 - t0);
	return 0;
}
