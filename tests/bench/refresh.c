/*
 * refresh NAME EXPECT WAIT_MS: the cost of a refresh ([options] refresh),
 * run under the preload with a lazy config whose period is under WAIT_MS.
 * It talks with the harness line by line (stdout, stdin), which checks the
 * dev server's request counters between the steps and writes new values.
 *
 *   1. times the first getenv(NAME) (the cold resolution; it must return
 *      EXPECT), then spawns itself as a second process of its tree
 *      (`refresh --child`: the preload's posix_spawn hook hands the tree's
 *      hand-off down), which reads NAME once, served from the hand-off; then
 *      prints "cold MS" and reads a line.
 *   2. for each line "go VALUE": sleeps until WAIT_MS after its last
 *      refresh (or the cold getenv) returned, times getenv(NAME), the call
 *      that re-resolves, then the getenv right after it (served: the
 *      floor); both must return VALUE, the value the harness wrote for the
 *      round. Prints "refresh MS FLOOR_US" and reads a line ("go").
 *      Then the child, whose refresh is due too (its values are as old as
 *      the previous round's), times the same two calls: the first finds the
 *      values this process has just resolved in the hand-off and takes them.
 *      Prints "take US FLOOR_US" and reads the next line.
 *   3. on "end": ends the child, waits for it, exits 0.
 * A value that is not the expected one exits 3; anything else that breaks
 * exits 1 or 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "timing.h"

extern char **environ;

/* getenv(name) must be expect */
static int check(const char *who, const char *name, const char *v, const char *expect)
{
	if (v && !strcmp(v, expect))
		return 0;
	fprintf(stderr, "refresh: %s: getenv(%s) is %s, not the value written for this round\n", who, name,
		v ? "another value" : "NULL");
	return 3;
}

/* times getenv(name) and the call right after it */
static int timed_pair(const char *who, const char *name, const char *expect, double *first_us, double *next_us)
{
	double t0, t1, t2;
	const char *v1, *v2;
	int rc;

	t0 = now_us();
	v1 = getenv(name);
	t1 = now_us();
	v2 = getenv(name);
	t2 = now_us();
	if ((rc = check(who, name, v1, expect)) || (rc = check(who, name, v2, expect)))
		return rc;
	*first_us = t1 - t0;
	*next_us = t2 - t1;
	return 0;
}

/* the second process of the tree: one line in, one line out */
static int child(const char *name)
{
	char line[256];

	while (fgets(line, sizeof line, stdin)) {
		double first, next;
		int rc;

		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "warm ", 5)) {
			if ((rc = check("child", name, getenv(name), line + 5)))
				return rc;
			printf("ok\n");
		} else {
			if ((rc = timed_pair("child", name, line, &first, &next)))
				return rc;
			printf("%.3f %.3f\n", first, next);
		}
		fflush(stdout);
	}
	return 0;
}

static void sleep_until_us(double t)
{
	struct timespec ts = {(time_t)(t / 1e6), (long)((t - (double)(time_t)(t / 1e6) * 1e6) * 1e3)};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

int main(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	char line[256], reply[128];
	char *cargv[4];
	int to_child[2], from_child[2], status, rc;
	double t0, t1, last, wait_us;
	const char *v;
	FILE *cin, *cout;
	pid_t pid;

	if (argc == 3 && !strcmp(argv[1], "--child"))
		return child(argv[2]);
	if (argc != 4 || atof(argv[3]) <= 0) {
		fprintf(stderr, "usage: refresh NAME EXPECT WAIT_MS\n");
		return 2;
	}
	wait_us = atof(argv[3]) * 1e3;
	(void)now_us();

	/* cold: the tree's resolution */
	t0 = now_us();
	v = getenv(argv[1]);
	t1 = now_us();
	if ((rc = check("cold", argv[1], v, argv[2])))
		return rc;
	last = t1;

	/* the second process of the tree */
	if (pipe2(to_child, O_CLOEXEC) || pipe2(from_child, O_CLOEXEC))
		return 2;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, to_child[0], 0);
	posix_spawn_file_actions_adddup2(&fa, from_child[1], 1);
	cargv[0] = argv[0];
	cargv[1] = (char *)"--child";
	cargv[2] = argv[1];
	cargv[3] = NULL;
	rc = posix_spawn(&pid, argv[0], &fa, NULL, cargv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(to_child[0]);
	close(from_child[1]);
	if (rc) {
		fprintf(stderr, "refresh: cannot spawn the child: %s\n", strerror(rc));
		return 2;
	}
	if (!(cin = fdopen(to_child[1], "w")) || !(cout = fdopen(from_child[0], "r")))
		return 2;
	fprintf(cin, "warm %s\n", argv[2]);
	fflush(cin);
	if (!fgets(reply, sizeof reply, cout) || strcmp(reply, "ok\n")) {
		fprintf(stderr, "refresh: the child did not read the tree's value\n");
		return 1;
	}
	printf("cold %.3f\n", (t1 - t0) / 1e3);
	fflush(stdout);

	while (fgets(line, sizeof line, stdin)) {
		double first, next;

		line[strcspn(line, "\n")] = '\0';
		if (!strcmp(line, "end"))
			break;
		if (strncmp(line, "go ", 3))
			return 2;
		sleep_until_us(last + wait_us);
		if ((rc = timed_pair("refresh", argv[1], line + 3, &first, &next)))
			return rc;
		last = now_us();
		printf("refresh %.3f %.3f\n", first / 1e3, next);
		fflush(stdout);
		if (!fgets(reply, sizeof reply, stdin))
			return 2;
		fprintf(cin, "%s\n", line + 3);
		fflush(cin);
		if (!fgets(reply, sizeof reply, cout)) {
			fprintf(stderr, "refresh: the child gave no answer\n");
			return 1;
		}
		printf("take %s", reply);
		fflush(stdout);
	}
	fclose(cin);
	fclose(cout);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return 1;
	return WEXITSTATUS(status);
}
