/* A short process for the soak test: reads the two mapped names (twice each,
 * to see the pointer stay put), then prints for each a length and an FNV-1a
 * digest (never the value) and an OK marker.
 * prints: DB_PASSWORD=LEN:HEX|NULL [moved]\nAPI_KEY=...\nOK */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long fnv1a(const char *s)
{
	unsigned long long h = 14695981039346656037ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

int main(void)
{
	static const char *const names[] = {"DB_PASSWORD", "API_KEY"};
	const char *v[2], *again[2];

	/* all reads first: with on_error = fail the preload exits inside the
	 * first one, before anything is printed */
	for (int i = 0; i < 2; i++) {
		v[i] = getenv(names[i]);
		again[i] = getenv(names[i]);
	}
	for (int i = 0; i < 2; i++) {
		if (!v[i])
			printf("%s=NULL\n", names[i]);
		else
			printf("%s=%zu:%016llx%s\n", names[i], strlen(v[i]), fnv1a(v[i]),
			       again[i] == v[i] ? "" : " moved");
	}
	printf("OK\n");
	return 0;
}
