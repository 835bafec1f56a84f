/* A program that reads a mapped name and then acts: writes a marker file.
 * With on_error = fail the preload must stop it before the marker exists.
 * usage: marker NAME EXPECTED MARKER_FILE
 * prints: value=OK|NULL|BAD */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	const char *v;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: %s NAME EXPECTED MARKER\n", argv[0]);
		return 2;
	}
	v = getenv(argv[1]);
	printf("value=%s\n", !v ? "NULL" : strcmp(v, argv[2]) ? "BAD" : "OK");
	if (!(f = fopen(argv[3], "w")))
		return 3;
	fputs("ran\n", f);
	fclose(f);
	return 0;
}
