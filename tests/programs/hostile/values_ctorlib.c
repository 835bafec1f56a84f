/* values_ctorlib.c — a DT_NEEDED library whose constructor touches a mapped
 * name before the preload's constructor has run (libc's constructors, then
 * this one, then the preload's, then main; see tests/programs/ctorlib.c).
 * Built three times, one step each:
 *   -DVALUES_CTOR_SET    setenv("DB_PASSWORD", "from-ctor", 1)
 *   -DVALUES_CTOR_UNSET  unsetenv("API_KEY")
 *   -DVALUES_CTOR_READ   getenv("DB_PASSWORD"), copied for main to check
 * What the program did first must still hold when main reads the name. */
#include <stdio.h>
#include <stdlib.h>

static char copy[256];
static int got = -1; /* -1 step not run, 0 NULL, 1 copied, or setenv's rc */

__attribute__((constructor)) static void values_ctor(void)
{
#if defined(VALUES_CTOR_SET)
	got = setenv("DB_PASSWORD", "from-ctor", 1);
#elif defined(VALUES_CTOR_UNSET)
	got = unsetenv("API_KEY");
#elif defined(VALUES_CTOR_READ)
	const char *v = getenv("DB_PASSWORD");
	got = v != NULL;
	if (v)
		snprintf(copy, sizeof copy, "%s", v);
#else
#error "build with one of -DVALUES_CTOR_SET, -DVALUES_CTOR_UNSET, -DVALUES_CTOR_READ"
#endif
}

/* the constructor's result: -1 when it did not run */
int values_ctor_result(void)
{
	return got;
}

/* the value the constructor read, or NULL */
const char *values_ctor_copy(void)
{
	return got > 0 ? copy : NULL;
}
