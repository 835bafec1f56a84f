/*
 * spawn_cmds [-q] RUNS WARMUP ENVFILE PROG [ARG...] [::: ENVFILE PROG [ARG...]]...:
 * spawn_pair for different commands: runs each command (PROG, found by its
 * path, never on PATH) with the environment of its ENVFILE (one NAME=value a
 * line, exactly that: nothing of this process's own), RUNS rounds, the order
 * rotating each round, and prints for each command, in the order given, the
 * median, 10th and 90th percentile wall time of spawn + wait in microseconds,
 * one command a line.
 *
 * -q sends the commands' standard output to /dev/null (a --help that prints
 * its text); without it they write where this program does (a probe run).
 *
 * The commands of one round run back to back: the machine's drift falls on
 * every command alike (see spawn_pair.c).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "envfile.h"
#include "timing.h"

#define MAX_CMDS 8
#define SEP ":::"

static posix_spawn_file_actions_t quiet, *actions;

/* spawn + wait; <0 when PROG could not run or did not exit 0 */
static double run_once(char **argv, char **env)
{
	pid_t pid;
	int status;
	double t0 = now_us(), t1;

	if (posix_spawn(&pid, argv[0], actions, NULL, argv, env))
		return -1;
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	t1 = now_us();
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? t1 - t0 : -1;
}

static double at(const double *sorted, int n, int p)
{
	int i = (int)(n * p / 100.0 + 0.5);

	if (i < 1)
		i = 1;
	return sorted[(i > n ? n : i) - 1];
}

int main(int argc, char **argv)
{
	char **envs[MAX_CMDS], **cmds[MAX_CMDS];
	const char *names[MAX_CMDS];
	double *times[MAX_CMDS];
	int runs, warmup, k = 0, a = 1;

	if (argc > 1 && !strcmp(argv[1], "-q")) {
		if (posix_spawn_file_actions_init(&quiet) ||
		    posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0))
			return 2;
		actions = &quiet;
		a = 2;
	}
	if (argc - a < 4)
		goto usage;
	runs = atoi(argv[a]);
	warmup = atoi(argv[a + 1]);
	for (int i = a + 2; i < argc;) {
		int j = i + 1;

		if (k == MAX_CMDS) {
			fprintf(stderr, "spawn_cmds: at most %d commands\n", MAX_CMDS);
			return 2;
		}
		while (j < argc && strcmp(argv[j], SEP))
			j++;
		if (j - i < 2)
			goto usage;
		if (!(envs[k] = read_env(argv[i]))) {
			fprintf(stderr, "spawn_cmds: cannot read %s\n", argv[i]);
			return 2;
		}
		argv[j < argc ? j : argc] = NULL; /* ends this command's argv */
		cmds[k] = &argv[i + 1];
		names[k] = argv[i + 1];
		k++;
		i = j + 1;
	}
	if (!k || runs < 1 || warmup < 0)
		goto usage;
	for (int c = 0; c < k; c++)
		if (!(times[c] = calloc((size_t)runs, sizeof(double))))
			return 2;
	for (int r = -warmup; r < runs; r++)
		for (int j = 0; j < k; j++) {
			int c = (j + (r < 0 ? 0 : r)) % k;
			double t = run_once(cmds[c], envs[c]);
			if (t < 0) {
				fprintf(stderr, "spawn_cmds: command %d (%s) failed\n", c + 1, names[c]);
				return 1;
			}
			if (r >= 0)
				times[c][r] = t;
		}
	for (int c = 0; c < k; c++) {
		qsort(times[c], (size_t)runs, sizeof(double), cmp_double);
		printf("%.3f %.3f %.3f\n",
		       runs % 2 ? times[c][runs / 2] : (times[c][runs / 2 - 1] + times[c][runs / 2]) / 2,
		       at(times[c], runs, 10), at(times[c], runs, 90));
	}
	return 0;
usage:
	fprintf(stderr, "usage: spawn_cmds [-q] RUNS WARMUP ENVFILE PROG [ARG...] [" SEP " ENVFILE PROG [ARG...]]...\n");
	return 2;
}
