/* Reads a mapped name with getenv, then reports whether NAME=EXPECTED is in
 * the process's own environ (eager mode puts it there, lazy mode must not).
 * With "sleep" it then prints "ready" and sleeps, so a test can read
 * /proc/PID/environ of a process that has already read the secret
 * ("ready pid=N").
 * usage: envprobe NAME EXPECTED [sleep]
 * prints: getenv=OK|NULL|BAD in_environ=yes|no|other */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	const char *name, *want, *v, *in = "no";
	size_t len;

	if (argc < 3) {
		fprintf(stderr, "usage: %s NAME EXPECTED [sleep]\n", argv[0]);
		return 2;
	}
	name = argv[1];
	want = argv[2];
	len = strlen(name);
	v = getenv(name);
	for (char **e = environ; e && *e; e++)
		if (!strncmp(*e, name, len) && (*e)[len] == '=')
			in = strcmp(*e + len + 1, want) ? "other" : "yes";
	printf("getenv=%s in_environ=%s\n", !v ? "NULL" : strcmp(v, want) ? "BAD" : "OK", in);
	if (argc > 3 && !strcmp(argv[3], "sleep")) {
		printf("ready pid=%d\n", (int)getpid());
		fflush(stdout);
		sleep(30);
	}
	return 0;
}
