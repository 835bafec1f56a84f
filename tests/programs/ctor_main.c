/* Linked against libctorlib.so (DT_NEEDED). Reports what the library's
 * constructor got for an unmapped name, then reads a mapped name itself.
 * usage: ctor_main UNMAPPED_EXPECTED MAPPED EXPECTED
 * prints: ctor_ran=1 ctor_unmapped=OK|NULL|BAD mapped=OK|NULL|BAD */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ctorlib_unmapped(void);
int ctorlib_ran(void);

static const char *verdict(const char *v, const char *w)
{
	return !v ? "NULL" : strcmp(v, w) ? "BAD" : "OK";
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s UNMAPPED_EXPECTED MAPPED EXPECTED\n", argv[0]);
		return 2;
	}
	printf("ctor_ran=%d ctor_unmapped=%s ", ctorlib_ran(), verdict(ctorlib_unmapped(), argv[1]));
	printf("mapped=%s\n", verdict(getenv(argv[2]), argv[3]));
	return 0;
}
