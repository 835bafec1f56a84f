/*
 * handoff_tree RUNS WARMUP NAME EXPECT CHILD VARIANT... : a process of a
 * preloaded tree that resolves, then spawns CHILD many times.
 *
 * First getenv(NAME) must return EXPECT: under the preload, with NAME
 * mapped, that is the tree's resolution, written to the hand-off. Then it
 * prints "resolved" and waits for a line on stdin (the harness resets the
 * dev server's request counters meanwhile), and runs every VARIANT in turn,
 * RUNS rounds (after WARMUP), the order rotating each round so drift falls on
 * every variant alike. A VARIANT is
 *
 *   LABEL:ENV:CNAME:CEXPECT
 *
 * ENV "-" spawns with this process's environ (the preload's posix_spawn hook
 * builds the child's environment from it, as for any program), else a file
 * of NAME=value lines (envfile.h) passed as the child's envp; the child is
 * `CHILD CNAME CEXPECT` and prints the ns of its first getenv. Output, one
 * line per variant:
 *
 *   LABEL first_ns_median first_ns_p90 wall_us_median wall_us_p90
 *
 * wall is posix_spawn to waitpid, as seen from here.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "envfile.h"
#include "timing.h"

#define MAX_VARIANTS 8

extern char **environ;

typedef struct variant {
	char *label, *cname, *cexpect;
	char **env;
	double *first_ns, *wall_us;
} variant;


static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* nearest rank, v sorted */
static double p90(const double *v, int n)
{
	int i = (int)(n * 0.9 + 0.5);
	return v[i < 1 ? 0 : i > n ? n - 1 : i - 1];
}

/* one spawn + wait; 0, or -1 with a message */
static int run_once(const char *child, variant *v, double *first_ns, double *wall_us)
{
	char *argv[] = {(char *)child, v->cname, v->cexpect, NULL};
	char buf[64];
	posix_spawn_file_actions_t fa;
	int fds[2], status, rc;
	size_t got = 0;
	ssize_t n;
	pid_t pid;
	double t0, t1;

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	t0 = now_us();
	rc = posix_spawn(&pid, child, &fa, NULL, argv, v->env ? v->env : environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc) {
		close(fds[0]);
		fprintf(stderr, "handoff_tree: cannot spawn %s: %s\n", child, strerror(rc));
		return -1;
	}
	while (got < sizeof buf - 1 && (n = read(fds[0], buf + got, sizeof buf - 1 - got)) > 0)
		got += (size_t)n;
	close(fds[0]);
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	t1 = now_us();
	buf[got] = '\0';
	if (!WIFEXITED(status) || WEXITSTATUS(status) || !got) {
		fprintf(stderr, "handoff_tree: variant %s: the child failed (status 0x%x)\n", v->label, status);
		return -1;
	}
	*first_ns = strtod(buf, NULL);
	*wall_us = t1 - t0;
	return 0;
}

int main(int argc, char **argv)
{
	variant vs[MAX_VARIANTS];
	const char *v, *child;
	char line[16];
	int runs, warmup, k = 0;

	if (argc < 7)
		goto usage;
	runs = atoi(argv[1]);
	warmup = atoi(argv[2]);
	child = argv[5];
	if (runs < 1 || warmup < 0)
		goto usage;
	for (int i = 6; i < argc; i++) {
		variant *x = &vs[k];
		char *s = argv[i], *env;

		if (k == MAX_VARIANTS)
			goto usage;
		x->label = strsep(&s, ":");
		env = strsep(&s, ":");
		x->cname = strsep(&s, ":");
		x->cexpect = s;
		if (!env || !x->cname || !x->cexpect)
			goto usage;
		x->env = NULL;
		if (strcmp(env, "-") && !(x->env = read_env(env))) {
			fprintf(stderr, "handoff_tree: cannot read %s\n", env);
			return 2;
		}
		if (!(x->first_ns = calloc((size_t)runs, sizeof(double))) ||
		    !(x->wall_us = calloc((size_t)runs, sizeof(double))))
			return 2;
		k++;
	}

	/* the tree's resolution */
	v = getenv(argv[3]);
	if (!v || strcmp(v, argv[4])) {
		fprintf(stderr, "handoff_tree: getenv(%s) is not the expected value: not resolved\n", argv[3]);
		return 3;
	}
	printf("resolved\n");
	fflush(stdout);
	if (!fgets(line, sizeof line, stdin))
		return 2;

	for (int r = -warmup; r < runs; r++)
		for (int j = 0; j < k; j++) {
			int e = (j + (r < 0 ? 0 : r)) % k;
			double f, w;
			if (run_once(child, &vs[e], &f, &w))
				return 1;
			if (r >= 0) {
				vs[e].first_ns[r] = f;
				vs[e].wall_us[r] = w;
			}
		}
	for (int e = 0; e < k; e++) {
		double fm = median(vs[e].first_ns, runs), wm = median(vs[e].wall_us, runs);
		printf("%s %.0f %.0f %.3f %.3f\n", vs[e].label, fm, p90(vs[e].first_ns, runs), wm,
		       p90(vs[e].wall_us, runs));
	}
	return 0;
usage:
	fprintf(stderr, "usage: handoff_tree RUNS WARMUP NAME EXPECT CHILD LABEL:ENV:CNAME:CEXPECT...\n");
	return 2;
}
