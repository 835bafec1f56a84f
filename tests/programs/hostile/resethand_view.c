/* R10e: a handler installed with SA_RESETHAND (and no SA_SIGINFO) is reset
 * to SIG_DFL by its first delivery; sigaction then gives back SIG_DFL, with
 * no SA_SIGINFO in the flags (the flag the preload's trampoline needs is
 * its own, never the program's to see). Prints "reset, no SA_SIGINFO". */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t runs;

static void handler(int sig)
{
	(void)sig;
	runs++;
}

int main(void)
{
	struct sigaction sa = {.sa_handler = handler, .sa_flags = SA_RESETHAND}, old;

	(void)getenv("HOME"); /* the config is loaded */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		return 2;
	raise(SIGUSR1);
	memset(&old, 0, sizeof old);
	if (runs != 1 || sigaction(SIGUSR1, NULL, &old)) {
		printf("the handler ran %d times (not once) or sigaction failed\n", (int)runs);
		return 1;
	}
	if (old.sa_handler != SIG_DFL || (old.sa_flags & SA_SIGINFO)) {
		printf("after the delivery: %s%s\n", old.sa_handler == SIG_DFL ? "SIG_DFL" : "not SIG_DFL",
		       old.sa_flags & SA_SIGINFO ? ", SA_SIGINFO set" : "");
		return 1;
	}
	printf("reset, no SA_SIGINFO\n");
	return 0;
}
