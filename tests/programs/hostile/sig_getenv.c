/* C1: a getenv inside a signal handler never touches the heap (malloc's
 * arena lock may be held by the code the signal interrupted) and never waits
 * for a resolution. Before the values are resolved it answers from environ,
 * even for a mapped name and even as the first getenv of the process (where
 * the preload would load its config); after, it answers the resolved value.
 *
 * malloc & co. are interposed here (the executable comes first in symbol
 * lookup, before the preload and libc) and count the heap calls made while
 * the handler runs.
 *
 * usage: sig_getenv first|loaded|after sigaction|signal|sigset NAME unset|environ|served
 *   first: the handler's getenv(NAME) is the process's first getenv
 *   loaded: main reads HOME first (the config is loaded, nothing resolved)
 *   after: main reads DB_PASSWORD (served) before raising the signal
 * Prints "heap=N value=CLASS"; exit 0 when N is 0 and CLASS is the expected. */
#define _GNU_SOURCE
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap_count.h"

extern char **environ;

static const char *handler_name;
static const char *volatile handler_value;
static volatile sig_atomic_t handler_ran;

static void handler(int sig)
{
	(void)sig;
	in_handler = 1;
	handler_value = getenv(handler_name);
	in_handler = 0;
	handler_ran = 1;
}

/* environ's value, read without getenv */
static const char *from_environ(const char *name)
{
	size_t len = strlen(name);
	for (char **e = environ; e && *e; e++)
		if (!strncmp(*e, name, len) && (*e)[len] == '=')
			return *e + len + 1;
	return NULL;
}

static const char *classify(const char *name, const char *v)
{
	const char *env = from_environ(name);
	if (!v)
		return env ? "other" : "unset";
	if (!strcmp(v, "locks-db"))
		return "served";
	if (env && !strcmp(v, env))
		return "environ";
	return "other";
}

int main(int argc, char **argv)
{
	const char *cls;

	if (argc != 5)
		return 2;
	handler_name = argv[3];
	if (!strcmp(argv[1], "loaded"))
		(void)getenv("HOME");
	if (!strcmp(argv[1], "after")) {
		const char *v = getenv("DB_PASSWORD");
		if (!v || strcmp(v, "locks-db")) {
			printf("main's getenv(DB_PASSWORD) was not served\n");
			return 1;
		}
	}
	if (!strcmp(argv[2], "signal")) {
		if (signal(SIGUSR1, handler) == SIG_ERR)
			return 2;
	} else if (!strcmp(argv[2], "sigset")) {
		/* System V's, as old programs install handlers */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
		if (sigset(SIGUSR1, handler) == SIG_ERR)
			return 2;
#pragma GCC diagnostic pop
	} else {
		struct sigaction sa = {.sa_handler = handler};
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGUSR1, &sa, NULL))
			return 2;
	}
	raise(SIGUSR1);
	cls = classify(handler_name, handler_value);
	printf("heap=%d value=%s%s\n", (int)heap_calls, cls, handler_ran ? "" : " (handler did not run)");
	return handler_ran && heap_calls == 0 && !strcmp(cls, argv[4]) ? 0 : 1;
}
