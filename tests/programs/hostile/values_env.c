/* values_env.c — runs its arguments as steps, in order, so that each test
 * says exactly which environment call comes first and what happened before
 * it (the hostile-values tests are about that order):
 *
 *   is:LABEL=VALUE   a value get: may report by its label
 *   get:NAME         prints NAME=LABEL, NAME=null or NAME=other (never a value)
 *   set0:NAME=VALUE  setenv(NAME, VALUE, 0), prints setrc=N; set1: overwrite
 *   unset:NAME       unsetenv(NAME)
 *   clearenv         clearenv()
 *   move:FILE        renames FILE to FILE.moved (a config replaced under us)
 *   chmod:FILE       makes FILE group-writable (0660)
 *   emfile           RLIMIT_NOFILE 64, then opens /dev/null until EMFILE
 *   seccomp:prctl    installs a filter that kills on clone/fork/exec
 *   seccomp:syscall  the same through syscall(SYS_seccomp)
 *   seccomp:mild     a filter that kills only on acct/reboot
 *   seccomp:allow    an allow-all filter through syscall(SYS_seccomp): the
 *                    process is filtered, nothing is refused
 *   status           prints seccomp=N from /proc/self/status
 *   far              prints far=yes when that Seccomp: line starts past the
 *                    file's first 4 KiB (many supplementary groups), else no
 *   drop:ID          setgroups(0), setgid(ID), setuid(ID), without exec
 *   fork             fork(): the child runs the steps up to the next "wait"
 *                    (or to the end) and exits; the parent skips them, waits
 *                    for it, prints child=N (exit status; sigN: killed) and
 *                    goes on after the "wait" (an exec: in the child takes
 *                    the rest of the line, "wait" too: put it last)
 *   wait             in a forked child: flush and _exit(0)
 *   chdir:DIR        chdir(DIR)
 *   exec:PROG ARG... execv(PROG, [PROG, ARG...]): the rest are its arguments
 *
 * One line of verdicts on stdout, flushed after each, so that a process
 * killed half-way shows how far it got. Exit 0, or 2 when a step itself
 * could not be done.
 */
#define _GNU_SOURCE
#include "values_seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_LABELS 16

static const char *label[MAX_LABELS], *value[MAX_LABELS];
static int n_labels;

static void say(const char *fmt, const char *a, const char *b)
{
	printf(fmt, a, b);
	fflush(stdout);
}

static int fail(const char *step)
{
	fprintf(stderr, "values_env: %s: %s\n", step, strerror(errno));
	return 2;
}

static const char *verdict(const char *v)
{
	if (!v)
		return "null";
	for (int i = 0; i < n_labels; i++)
		if (!strcmp(v, value[i]))
			return label[i];
	return "other";
}

static int seccomp_status(void)
{
	char line[256];
	int n = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "Seccomp:", 8))
			n = atoi(line + 8);
	if (f)
		fclose(f);
	return n;
}

/* Where the Seccomp: line of /proc/self/status starts (bytes), or -1. */
static long seccomp_offset(void)
{
	char line[256];
	long off = 0, at = -1;
	int bol = 1; /* fgets cuts a long line (Groups:) into pieces */
	FILE *f = fopen("/proc/self/status", "r");

	while (f && at < 0 && fgets(line, sizeof line, f)) {
		size_t n = strlen(line);
		if (bol && !strncmp(line, "Seccomp:", 8))
			at = off;
		off += (long)n;
		bol = n && line[n - 1] == '\n';
	}
	if (f)
		fclose(f);
	return at;
}

int main(int argc, char **argv)
{
	int in_child = 0;

	for (int i = 1; i < argc; i++) {
		char *a = argv[i], *arg = strchr(a, ':'), *eq;
		if (arg)
			arg++;
		if (!strncmp(a, "is:", 3) && (eq = strchr(arg, '=')) && n_labels < MAX_LABELS) {
			*eq = '\0';
			label[n_labels] = arg;
			value[n_labels++] = eq + 1;
		} else if (!strncmp(a, "get:", 4)) {
			say("%s=%s ", arg, verdict(getenv(arg)));
		} else if ((!strncmp(a, "set0:", 5) || !strncmp(a, "set1:", 5)) && (eq = strchr(arg, '='))) {
			char rc[16];
			*eq = '\0';
			snprintf(rc, sizeof rc, "%d", setenv(arg, eq + 1, a[3] == '1'));
			say("%s%s ", "setrc=", rc);
		} else if (!strncmp(a, "unset:", 6)) {
			if (unsetenv(arg))
				return fail(a);
		} else if (!strcmp(a, "clearenv")) {
			if (clearenv())
				return fail(a);
		} else if (!strncmp(a, "move:", 5)) {
			char to[4096];
			snprintf(to, sizeof to, "%s.moved", arg);
			if (rename(arg, to))
				return fail(a);
		} else if (!strncmp(a, "chmod:", 6)) {
			if (chmod(arg, 0660))
				return fail(a);
		} else if (!strcmp(a, "emfile")) {
			struct rlimit rl;
			if (getrlimit(RLIMIT_NOFILE, &rl))
				return fail(a);
			rl.rlim_cur = 64;
			if (setrlimit(RLIMIT_NOFILE, &rl))
				return fail(a);
			while (open("/dev/null", O_RDONLY) >= 0)
				;
			if (errno != EMFILE)
				return fail(a);
		} else if (!strcmp(a, "seccomp:prctl") || !strcmp(a, "seccomp:syscall")) {
			if (values_forbid_spawn(!strcmp(arg, "prctl") ? VALUES_VIA_PRCTL : VALUES_VIA_SYSCALL))
				return fail(a);
		} else if (!strcmp(a, "seccomp:mild")) {
			if (values_mild_filter())
				return fail(a);
		} else if (!strcmp(a, "seccomp:allow")) {
			if (values_allow_all())
				return fail(a);
		} else if (!strcmp(a, "far")) {
			long at = seccomp_offset();
			if (at < 0)
				return fail(a);
			say("%s%s ", "far=", at >= 4096 ? "yes" : "no");
		} else if (!strncmp(a, "drop:", 5)) {
			gid_t id = (gid_t)strtoul(arg, NULL, 10);
			if (setgroups(0, NULL) || setgid(id) || setuid((uid_t)id))
				return fail(a);
		} else if (!strcmp(a, "fork")) {
			char n[16];
			int st;
			pid_t pid;
			fflush(stdout);
			if ((pid = fork()) < 0)
				return fail(a);
			if (pid == 0) {
				in_child = 1;
				continue;
			}
			while (i + 1 < argc && strcmp(argv[i + 1], "wait"))
				i++;
			i++; /* at the "wait" (or past the end) */
			while (waitpid(pid, &st, 0) < 0)
				if (errno != EINTR)
					return fail(a);
			if (WIFEXITED(st))
				snprintf(n, sizeof n, "%d", WEXITSTATUS(st));
			else
				snprintf(n, sizeof n, "sig%d", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
			say("%s%s ", "child=", n);
		} else if (!strcmp(a, "wait")) {
			if (!in_child) {
				fprintf(stderr, "values_env: wait without fork\n");
				return 2;
			}
			fflush(stdout);
			_exit(0);
		} else if (!strcmp(a, "status")) {
			char n[16];
			snprintf(n, sizeof n, "%d", seccomp_status());
			say("%s%s ", "seccomp=", n);
		} else if (!strncmp(a, "chdir:", 6)) {
			if (chdir(arg))
				return fail(a);
		} else if (!strncmp(a, "exec:", 5)) {
			argv[i] = arg;
			execv(arg, argv + i);
			return fail(a);
		} else {
			fprintf(stderr, "values_env: unknown step '%s'\n", a);
			return 2;
		}
	}
	putchar('\n');
	return 0;
}
