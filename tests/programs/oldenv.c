/*
 * oldenv CHILD: reads APP_PASS, sleeps 2 s (past a refresh = 1s), reads it
 * again and prints "now VALUE", then execs CHILD /proc/self/environ with an
 * environment it built itself holding the first value, as a program that
 * saved its environment would (tests/integration/test_refresh.sh and
 * test_refresh_hostile.sh: a value served before a refresh must stay out
 * of the child's /proc/PID/environ).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char entry[512];
	const char *p = getenv("APP_PASS");
	char *env[2] = {entry, NULL};

	if (argc < 2)
		return 2;
	snprintf(entry, sizeof entry, "APP_PASS=%s", p ? p : "");
	sleep(2);
	p = getenv("APP_PASS");
	printf("now %s\n", p ? p : "-");
	fflush(stdout);
	execve(argv[1], (char *[]){argv[1], "/proc/self/environ", NULL}, env);
	return 127;
}
