/* R3: System V's sigset() returns the handler it replaces, as the program
 * installed it, whichever call installed that one: after signal(SIGUSR1, h),
 * sigset(SIGUSR1, SIG_DFL) returns h (the preload's trampoline, which is
 * what the kernel holds, must never show). Then sigset's own handler, and
 * the default it replaces. Prints "sigset returns the replaced handler". */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

static void h(int sig)
{
	(void)sig;
}

static void h2(int sig)
{
	(void)sig;
}

static const char *name(void (*f)(int))
{
	return f == h ? "h" : f == h2 ? "h2" : f == SIG_DFL ? "SIG_DFL" : f == SIG_ERR ? "SIG_ERR" : "another address";
}

int main(void)
{
	void (*prev)(int);

	(void)getenv("HOME"); /* the config is loaded */
	if (signal(SIGUSR1, h) == SIG_ERR)
		return 2;
	if ((prev = sigset(SIGUSR1, SIG_DFL)) != h) {
		printf("sigset after signal(h) returned %s, not h\n", name(prev));
		return 1;
	}
	if ((prev = sigset(SIGUSR1, h2)) != SIG_DFL) {
		printf("sigset after sigset(SIG_DFL) returned %s, not SIG_DFL\n", name(prev));
		return 1;
	}
	if ((prev = sigset(SIGUSR1, SIG_DFL)) != h2) {
		printf("sigset after sigset(h2) returned %s, not h2\n", name(prev));
		return 1;
	}
	printf("sigset returns the replaced handler\n");
	return 0;
}
