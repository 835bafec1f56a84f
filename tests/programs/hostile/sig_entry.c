/* R3: the less common ways into the handler table put the program's handler
 * behind the preload's trampoline too: a getenv inside such a handler, as
 * the process's first getenv (the config is not loaded), makes no heap call
 * (malloc's arena lock may be held by the interrupted code) and gets
 * environ's answer, for a name the config maps as for any other.
 *
 * Built with -std=c11 and no feature macro but _POSIX_C_SOURCE: glibc's
 * <signal.h> then binds signal() to __sysv_signal (the test checks the
 * binary's import). ssignal and __sigaction are declared here (they are not
 * in the strict headers; a few programs call them by those names).
 *
 * malloc & co. are interposed here and count the heap calls made while the
 * handler runs (as in sig_getenv.c).
 *
 * usage: sig_entry sysv|ssignal|__sigaction NAME...
 * The handler reads each NAME in order. Prints "heap=0 environ's answers"
 * when it made no heap call and every value is environ's (NULL when unset). */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap_count.h"

typedef void (*handler_fn)(int);
extern handler_fn ssignal(int, handler_fn);
extern int __sigaction(int, const struct sigaction *, struct sigaction *);

extern char **environ;

#define MAX_NAMES 4

static volatile sig_atomic_t handler_ran;
static char **names;
static int n_names;
static const char *volatile values[MAX_NAMES];

static void handler(int sig)
{
	(void)sig;
	in_handler = 1;
	for (int i = 0; i < n_names; i++)
		values[i] = getenv(names[i]);
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

int main(int argc, char **argv)
{
	int same = 1;

	if (argc < 3 || argc - 2 > MAX_NAMES)
		return 2;
	names = argv + 2;
	n_names = argc - 2;
	if (!strcmp(argv[1], "sysv")) {
		if (signal(SIGUSR1, handler) == SIG_ERR) /* __sysv_signal */
			return 2;
	} else if (!strcmp(argv[1], "ssignal")) {
		if (ssignal(SIGUSR1, handler) == SIG_ERR)
			return 2;
	} else if (!strcmp(argv[1], "__sigaction")) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = handler;
		sigemptyset(&sa.sa_mask);
		if (__sigaction(SIGUSR1, &sa, NULL))
			return 2;
	} else {
		return 2;
	}
	raise(SIGUSR1);
	if (!handler_ran) {
		printf("the handler did not run\n");
		return 1;
	}
	for (int i = 0; i < n_names; i++) {
		const char *env = from_environ(names[i]), *v = values[i];
		if (v ? !env || strcmp(v, env) : env != NULL) {
			same = 0;
			fprintf(stderr, "%s: %s\n", names[i], !v ? "unset" : env ? "another value than environ's" : "a value environ does not have");
		}
	}
	printf("heap=%d %s\n", (int)heap_calls, same ? "environ's answers" : "not environ's answers");
	return heap_calls == 0 && same ? 0 : 1;
}
