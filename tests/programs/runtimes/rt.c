/* C: getenv(3). The runtime contract is in README. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	const char *v = getenv("RT_SECRET");

	if (!v || !*v) {
		fputs("rt: RT_SECRET missing\n", stderr);
		return 3;
	}
	printf("%s\n", v);
	fflush(stdout);
	return system("sleep 1") == 0 ? 0 : 4;
}
