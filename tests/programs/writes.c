/* The program's own writes win over Vault: setenv/unsetenv/putenv before any
 * resolution, setenv after a resolution, and clearenv.
 * usage: writes NAME_A NAME_B EXPECTED_B
 *   NAME_A is only ever written by the program; NAME_B is resolved first.
 * A pointer getenv returned for a resolved value stays valid and unchanged
 * after the program's own writes (callers keep getenv pointers forever).
 * prints: setenv=… unsetenv=… putenv=… resolved=… setenv_after=… clearenv=… old_pointer=… */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *is(const char *v, const char *w)
{
	if (!w)
		return v ? "BAD" : "OK";
	return !v ? "NULL" : strcmp(v, w) ? "BAD" : "OK";
}

int main(int argc, char **argv)
{
	const char *a, *b, *old;
	static char put[256];

	if (argc != 4) {
		fprintf(stderr, "usage: %s NAME_A NAME_B EXPECTED_B\n", argv[0]);
		return 2;
	}
	a = argv[1];
	b = argv[2];
	setenv(a, "mine", 1);
	printf("setenv=%s ", is(getenv(a), "mine"));
	unsetenv(a);
	printf("unsetenv=%s ", is(getenv(a), NULL));
	snprintf(put, sizeof put, "%s=p", a);
	putenv(put);
	printf("putenv=%s ", is(getenv(a), "p"));
	old = getenv(b);
	printf("resolved=%s ", is(old, argv[3]));
	setenv(b, "later", 1);
	printf("setenv_after=%s ", is(getenv(b), "later"));
	clearenv();
	printf("clearenv=%s ", is(getenv(b), NULL));
	printf("old_pointer=%s\n", is(old, argv[3]));
	return 0;
}
