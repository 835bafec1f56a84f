/* libctorlib.so: a DT_NEEDED library whose constructor calls getenv. Its
 * constructor runs before the preload's (libc, then this, then the preload,
 * then the program), while the preload does not know the real getenv yet
 * (docs/design.md, pitfall 3; libfaketime's test_constructors.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char unmapped_copy[256];
static int unmapped_found = -1;
static int mapped_called;

__attribute__((constructor)) static void ctorlib_init(void)
{
	const char *u = getenv("VS_CTOR_PLAIN");
	const char *m = getenv("DB_PASSWORD"); /* mapped: must not crash either */

	(void)m;
	mapped_called = 1;
	unmapped_found = u != NULL;
	if (u)
		snprintf(unmapped_copy, sizeof unmapped_copy, "%s", u);
	fputs("ctorlib: constructor ran\n", stderr);
}

const char *ctorlib_unmapped(void)
{
	return unmapped_found > 0 ? unmapped_copy : NULL;
}

int ctorlib_ran(void)
{
	return mapped_called;
}
