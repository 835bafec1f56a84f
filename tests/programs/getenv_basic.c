/* Reads a mapped name and an unmapped one through getenv only, the way a
 * legacy C program does. Never prints a value: compares inside.
 * usage: getenv_basic MAPPED EXPECTED UNMAPPED UNMAPPED_EXPECTED
 * prints: mapped=OK|NULL|BAD(len=N) same_pointer=yes|no unmapped=OK|NULL|BAD */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *cmp(const char *got, const char *want, char *buf, size_t n)
{
	if (!got)
		return "NULL";
	if (!strcmp(got, want))
		return "OK";
	snprintf(buf, n, "BAD(len=%zu)", strlen(got));
	return buf;
}

int main(int argc, char **argv)
{
	char b1[64], b2[64];
	const char *v1, *v2, *u;

	if (argc != 5) {
		fprintf(stderr, "usage: %s MAPPED EXPECTED UNMAPPED UNMAPPED_EXPECTED\n", argv[0]);
		return 2;
	}
	v1 = getenv(argv[1]);
	v2 = getenv(argv[1]);
	u = getenv(argv[3]);
	printf("mapped=%s same_pointer=%s unmapped=%s\n", cmp(v1, argv[2], b1, sizeof b1),
	       v1 && v1 == v2 ? "yes" : "no", cmp(u, argv[4], b2, sizeof b2));
	return 0;
}
