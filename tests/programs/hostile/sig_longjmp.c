/* C1: a handler left by siglongjmp (it never returns) leaves nothing behind
 * in the preload: a later getenv of a mapped name in main is served. The
 * handler reads a variable before jumping, as a handler that logs would.
 * Three times, installed with sigaction. Prints "served" when main's
 * getenv(DB_PASSWORD) is Vault's value. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sigjmp_buf env;
static volatile sig_atomic_t jumps;

static void handler(int sig)
{
	(void)sig;
	(void)getenv("HOME");
	siglongjmp(env, 1);
}

int main(void)
{
	struct sigaction sa = {.sa_handler = handler};
	const char *v;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		return 2;
	for (volatile int i = 0; i < 3; i++) {
		if (!sigsetjmp(env, 1))
			raise(SIGUSR1);
		else
			jumps++;
	}
	v = getenv("DB_PASSWORD");
	if (jumps != 3) {
		printf("%d jumps, not 3\n", (int)jumps);
		return 1;
	}
	printf("%s\n", !v ? "unset after the jumps" : !strcmp(v, "locks-db") ? "served" : "another value after the jumps");
	return v && !strcmp(v, "locks-db") ? 0 : 1;
}
