/* R4: a handler left by setcontext (to a context main saved with getcontext)
 * leaves the thread inside no handler as far as the preload is concerned:
 * main's getenv(DB_PASSWORD) afterwards is served from Vault, though the
 * environment has DB_PASSWORD=from-env (environ's answer, what a getenv in a
 * handler gets, would be "from-env"). Prints "left by setcontext, served". */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

static ucontext_t back;
static volatile sig_atomic_t entered;

static void handler(int sig)
{
	(void)sig;
	entered++;
	setcontext(&back);
}

int main(void)
{
	struct sigaction sa = {.sa_handler = handler};
	volatile int once = 0;
	const char *v;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		return 2;
	if (getcontext(&back))
		return 2;
	if (!once) {
		once = 1;
		raise(SIGUSR1);
		printf("the handler returned instead of leaving by setcontext\n");
		return 1;
	}
	if (entered != 1) {
		printf("the handler ran %d times, not once\n", (int)entered);
		return 1;
	}
	v = getenv("DB_PASSWORD");
	printf("left by setcontext, %s\n", !v ? "unset" : !strcmp(v, "locks-db") ? "served" : !strcmp(v, "from-env") ? "environ's value" : "another value");
	return v && !strcmp(v, "locks-db") ? 0 : 1;
}
