/* Run setuid (AT_SECURE=1) with the preload: a secure-execution process must
 * not be served secrets. Also proves the preload is loaded (getenv resolves
 * into a vaultshim object), else the test would prove nothing.
 * usage: secure NAME SECRET
 * prints: at_secure=0|1 preload=yes|no secure_getenv=NULL|SECRET|OTHER getenv=NULL|SECRET|OTHER */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

static const char *what(const char *v, const char *secret)
{
	return !v ? "NULL" : strcmp(v, secret) ? "OTHER" : "SECRET";
}

int main(int argc, char **argv)
{
	Dl_info info;
	void *g = dlsym(RTLD_DEFAULT, "getenv");
	int pre = g && dladdr(g, &info) && info.dli_fname && strstr(info.dli_fname, "vaultshim");

	if (argc != 3) {
		fprintf(stderr, "usage: %s NAME SECRET\n", argv[0]);
		return 2;
	}
	printf("at_secure=%lu preload=%s ", getauxval(AT_SECURE), pre ? "yes" : "no");
	printf("secure_getenv=%s ", what(secure_getenv(argv[1]), argv[2]));
	printf("getenv=%s\n", what(getenv(argv[1]), argv[2]));
	return 0;
}
