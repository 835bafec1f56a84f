/* values_ctor_main.c — linked against one build of values_ctorlib.c.
 * usage: values_ctor_main NAME|copy EXPECTED [VAULT]
 * prints ctor=RESULT NAME=match|vault|null|other (copy: what the constructor
 * read; vault: the value Vault holds, when it is not the one expected);
 * never a value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int values_ctor_result(void);
const char *values_ctor_copy(void);

int main(int argc, char **argv)
{
	const char *v;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: %s NAME|copy EXPECTED [VAULT]\n", argv[0]);
		return 2;
	}
	v = !strcmp(argv[1], "copy") ? values_ctor_copy() : getenv(argv[1]);
	printf("ctor=%d %s=%s\n", values_ctor_result(), argv[1],
	       !v                                  ? "null"
	       : !strcmp(v, argv[2])               ? "match"
	       : argc == 4 && !strcmp(v, argv[3])  ? "vault"
						   : "other");
	return 0;
}
