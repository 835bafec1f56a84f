/* C1 (guard): whatever the preload does around signal handlers, the program
 * sees its own: sigaction gives back the handler and flags it installed (a
 * plain handler, no SA_SIGINFO), signal() returns the handler it replaces,
 * and the handler still runs. Reads a variable first so that the config is
 * loaded. Prints "view unchanged" when all hold. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static volatile sig_atomic_t h1_runs, h2_runs;

static void h1(int sig)
{
	(void)sig;
	h1_runs++;
}

static void h2(int sig)
{
	(void)sig;
	h2_runs++;
}

int main(void)
{
	struct sigaction act = {.sa_handler = h1}, old;
	void (*prev)(int);

	(void)getenv("HOME");
	sigemptyset(&act.sa_mask);
	if (sigaction(SIGUSR1, &act, NULL) || sigaction(SIGUSR1, NULL, &old)) {
		printf("sigaction failed\n");
		return 1;
	}
	if (old.sa_handler != h1 || (old.sa_flags & SA_SIGINFO)) {
		printf("sigaction gives back another handler (%s)\n",
		       old.sa_flags & SA_SIGINFO ? "SA_SIGINFO set" : "not the one installed");
		return 1;
	}
	raise(SIGUSR1);
	/* signal() replacing the sigaction-installed handler, then its own */
	prev = signal(SIGUSR1, h2);
	if (prev != h1) {
		printf("signal() returned another handler than the one it replaced\n");
		return 1;
	}
	prev = signal(SIGUSR1, h1);
	if (prev != h2) {
		printf("signal() returned another handler than its own previous one\n");
		return 1;
	}
	if (sigaction(SIGUSR1, NULL, &old) || old.sa_handler != h1 || (old.sa_flags & SA_SIGINFO)) {
		printf("sigaction after signal() gives back another handler\n");
		return 1;
	}
	raise(SIGUSR1);
	signal(SIGUSR1, h2);
	raise(SIGUSR1);
	if (h1_runs != 2 || h2_runs != 1) {
		printf("handlers ran %d and %d times, not 2 and 1\n", (int)h1_runs, (int)h2_runs);
		return 1;
	}
	printf("view unchanged\n");
	return 0;
}
