/* H3(b): a resolution left by siglongjmp (a SIGALRM handler that jumps, as a
 * timeout wrapper does) must leave no lock held and no "inside the preload"
 * mark on the thread: afterwards the same thread's getenv is served (not
 * passed to libc as a nested call) and fork() returns. Progress goes to
 * stderr; prints "served, fork returned". */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "verdict.h"

static sigjmp_buf env;

static void on_alarm(int sig)
{
	(void)sig;
	siglongjmp(env, 1);
}

int main(void)
{
	struct sigaction sa = {.sa_handler = on_alarm};
	struct itimerval it = {.it_value = {.tv_usec = 300 * 1000}}, off = {0};
	const char *v;
	int jumped = 0;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL))
		return 2;
	(void)getenv("HOME"); /* the config is loaded: the jump leaves the resolution */
	if (!sigsetjmp(env, 1)) {
		setitimer(ITIMER_REAL, &it, NULL);
		(void)getenv("DB_PASSWORD");
	} else {
		jumped = 1;
	}
	setitimer(ITIMER_REAL, &off, NULL);
	fprintf(stderr, "%s; getenv again\n", jumped ? "jumped out" : "no jump (Vault not slow?)");
	v = getenv("DB_PASSWORD");
	fprintf(stderr, "getenv returned (%s); fork\n", verdict(v));
	if (!fork_returns()) {
		printf("fork failed\n");
		return 1;
	}
	printf("%s, fork returned\n", verdict(v));
	return v && !strcmp(v, "locks-db") ? 0 : 1;
}
