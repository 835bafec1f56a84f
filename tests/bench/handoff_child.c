/*
 * handoff_child NAME [EXPECT]: times the first getenv(NAME) of the process
 * (CLOCK_MONOTONIC around the call, the clock read once before so its own
 * first call is not in the figure) and prints it in ns on stdout. Spawned by
 * handoff_tree: as a descendant of a preloaded process that has resolved, a
 * mapped NAME is served from the inherited hand-off.
 * EXPECT, when given, is the value it must return; a mismatch exits 3.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long long t0, t1;
	const char *v;

	if (argc < 2) {
		fprintf(stderr, "usage: handoff_child NAME [EXPECT]\n");
		return 2;
	}
	(void)now_ns();
	t0 = now_ns();
	v = getenv(argv[1]);
	t1 = now_ns();
	if (argc > 2 && (!v || strcmp(v, argv[2]))) {
		fprintf(stderr, "handoff_child: getenv(%s) is %s%s%s, not the expected value\n", argv[1],
			v ? "\"" : "", v ? v : "NULL", v ? "\"" : "");
		return 3;
	}
	printf("%lld\n", t1 - t0);
	return 0;
}
