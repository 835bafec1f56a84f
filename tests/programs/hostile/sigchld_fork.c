/* H2(c): a single-threaded program whose SIGCHLD handler forks. Its getenv
 * of a mapped name runs the helper; the helper's exit raises SIGCHLD in the
 * middle of the resolution, and the handler's fork() runs the preload's fork
 * handlers there, in the thread that is resolving: they must not wait for
 * that resolution. The handler forks once and reaps only its own child (the
 * helper is the preload's to reap). Prints "handler forked, served". */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t forks, in_getenv, forked_in_getenv;
static volatile pid_t child;

static void on_chld(int sig)
{
	int e = errno;

	(void)sig;
	if (!forks) {
		pid_t p = fork();
		if (p == 0)
			_exit(0);
		if (p > 0) {
			child = p;
			forks++;
			forked_in_getenv = in_getenv;
		}
	}
	if (child > 0 && waitpid(child, NULL, WNOHANG) == child)
		child = -1;
	errno = e;
}

int main(void)
{
	struct sigaction sa = {.sa_handler = on_chld, .sa_flags = SA_RESTART};
	const char *v;
	int served;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGCHLD, &sa, NULL))
		return 2;
	fprintf(stderr, "getenv (the handler forks when the helper exits)\n");
	in_getenv = 1;
	v = getenv("DB_PASSWORD");
	in_getenv = 0;
	served = v && !strcmp(v, "locks-db");
	fprintf(stderr, "getenv returned\n");
	if (child > 0)
		waitpid(child, NULL, 0);
	if (forks != 1 || !forked_in_getenv) {
		printf("the handler did not fork during the getenv (%d forks)\n", (int)forks);
		return 1;
	}
	printf("handler forked, %s\n", served ? "served" : "not served");
	return served ? 0 : 1;
}
