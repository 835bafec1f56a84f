/* envsha NAME...: for each name, "NAME <sha256 hex of getenv(NAME)>" or
 * "NAME UNSET". Plain getenv, so under libvaultshim.so (lazy mode for a C
 * program) it shows what the program really reads, without printing it. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *v = getenv(argv[i]);
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int n = 0;

		if (!v) {
			printf("%s UNSET\n", argv[i]);
			continue;
		}
		if (!EVP_Digest(v, strlen(v), md, &n, EVP_sha256(), NULL))
			return 1;
		printf("%s ", argv[i]);
		for (unsigned int j = 0; j < n; j++)
			printf("%02x", md[j]);
		putchar('\n');
	}
	return 0;
}
