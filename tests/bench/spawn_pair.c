/*
 * spawn_pair [-g NAME] RUNS WARMUP ENVFILE... -- PROG [ARG...]: runs PROG
 * under each environment (one NAME=value a line per ENVFILE) in turn, RUNS
 * rounds, the order rotating each round, and prints for each environment the
 * median wall time of spawn + wait in microseconds, one per line.
 *
 * ENVFILE "-" is this process's own environ, as it is at each spawn: run
 * under the preload, its posix_spawn hook builds the child's environment
 * from it (the preload, the config and VAULTSHIM_HANDOFF), as for any
 * program. -g NAME calls getenv(NAME) once before anything: under a lazy
 * preload that loads the config and starts the tree's hand-off, as the first
 * getenv of any program does, so that every PROG spawned with "-" is a
 * process of that tree (an unmapped NAME resolves nothing).
 *
 * Interleaving run by run puts the machine's drift (other tenants, frequency,
 * page cache) into every side alike, which back-to-back batches such as two
 * hyperfine invocations do not: a cross-check of those on shared machines.
 */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "envfile.h"
#include "timing.h"

#define MAX_ENVS 8


extern char **environ;

/* spawn + wait (env NULL: environ); <0 when PROG could not run or did not exit 0 */
static double run_once(char **argv, char **env)
{
	pid_t pid;
	int status;
	double t0 = now_us(), t1;

	if (posix_spawn(&pid, argv[0], NULL, NULL, argv, env ? env : environ))
		return -1;
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	t1 = now_us();
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? t1 - t0 : -1;
}

int main(int argc, char **argv)
{
	char **envs[MAX_ENVS], **prog = NULL;
	double *times[MAX_ENVS];
	int runs, warmup, k = 0, a = 1;

	if (argc > 2 && !strcmp(argv[1], "-g")) {
		if (!getenv(argv[2]))
			fprintf(stderr, "spawn_pair: note: %s is not set\n", argv[2]);
		a = 3;
	}
	if (argc - a < 5)
		goto usage;
	runs = atoi(argv[a]);
	warmup = atoi(argv[a + 1]);
	for (int i = a + 2; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			prog = &argv[i + 1];
			break;
		}
		if (k < MAX_ENVS && !strcmp(argv[i], "-")) {
			envs[k++] = NULL;
			continue;
		}
		if (k == MAX_ENVS || !(envs[k] = read_env(argv[i]))) {
			fprintf(stderr, "spawn_pair: cannot read %s\n", argv[i]);
			return 2;
		}
		k++;
	}
	if (!prog || !*prog || !k || runs < 1)
		goto usage;
	for (int e = 0; e < k; e++)
		if (!(times[e] = calloc((size_t)runs, sizeof(double))))
			return 2;
	for (int r = -warmup; r < runs; r++)
		for (int j = 0; j < k; j++) {
			int e = (j + (r < 0 ? 0 : r)) % k;
			double t = run_once(prog, envs[e]);
			if (t < 0) {
				fprintf(stderr, "spawn_pair: %s failed under %s\n", prog[0], argv[a + 2 + e]);
				return 1;
			}
			if (r >= 0)
				times[e][r] = t;
		}
	for (int e = 0; e < k; e++) {
		qsort(times[e], (size_t)runs, sizeof(double), cmp_double);
		printf("%.3f\n", runs % 2 ? times[e][runs / 2] : (times[e][runs / 2 - 1] + times[e][runs / 2]) / 2);
	}
	return 0;
usage:
	fprintf(stderr, "usage: spawn_pair [-g NAME] RUNS WARMUP ENVFILE|-... -- PROG [ARG...]\n");
	return 2;
}
