/* H1: dlopen a plugin (dlopen_ctor_plugin.c) whose constructor, which runs
 * holding the dynamic loader's lock, starts a thread A that calls getenv and
 * then calls getenv itself: the preload must not call into the loader
 * (dlsym, dladdr) while holding a lock the constructor's own getenv waits
 * for. usage: dlopen_ctor PLUGIN NAME [loaded]
 *   NAME: the variable the plugin reads (PATH or DB_PASSWORD)
 *   loaded: main reads HOME first (the config is loaded before the dlopen)
 * Prints "both served" when A's and the constructor's values are right:
 * environ's for PATH, Vault's for DB_PASSWORD. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static const char *from_environ(const char *name)
{
	size_t len = strlen(name);
	for (char **e = environ; e && *e; e++)
		if (!strncmp(*e, name, len) && (*e)[len] == '=')
			return *e + len + 1;
	return NULL;
}

static int right(const char *name, const char *v)
{
	const char *want = strcmp(name, "DB_PASSWORD") ? from_environ(name) : "locks-db";
	return v && want && !strcmp(v, want);
}

int main(int argc, char **argv)
{
	void *h;
	int (*finish)(const char **, const char **);
	const char *a = NULL, *c = NULL;

	if (argc < 3)
		return 2;
	if (argc > 3 && !strcmp(argv[3], "loaded"))
		(void)getenv("HOME");
	fprintf(stderr, "dlopen\n");
	if (!(h = dlopen(argv[1], RTLD_NOW))) {
		printf("dlopen failed: %s\n", dlerror());
		return 1;
	}
	fprintf(stderr, "dlopen returned\n");
	*(void **)&finish = dlsym(h, "plugin_finish");
	if (!finish || !finish(&a, &c)) {
		printf("the plugin's thread did not start\n");
		return 1;
	}
	if (right(argv[2], a) && right(argv[2], c)) {
		printf("both served\n");
		return 0;
	}
	printf("thread A: %s, constructor: %s\n", right(argv[2], a) ? "right" : "wrong", right(argv[2], c) ? "right" : "wrong");
	return 1;
}
