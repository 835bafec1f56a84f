/* R10d: a vfork child shares its parent's memory until it execs or exits:
 * a handler it installs (signal()) is its own, and must not replace the
 * parent's in the preload's table. The parent installs its handler with
 * sigaction; the child installs another with signal() and _exits; then the
 * parent's raise(SIGUSR1) runs the parent's handler. Prints "the parent's
 * handler ran". */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t parent_runs, child_runs;

static void parent_handler(int sig)
{
	(void)sig;
	parent_runs++;
}

static void child_handler(int sig)
{
	(void)sig;
	child_runs++;
}

int main(void)
{
	struct sigaction sa = {.sa_handler = parent_handler};
	pid_t pid;

	(void)getenv("HOME"); /* the config is loaded */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		return 2;
	pid = vfork();
	if (pid == 0) {
		signal(SIGUSR1, child_handler);
		_exit(0);
	}
	if (pid < 0) {
		printf("vfork failed\n");
		return 1;
	}
	waitpid(pid, NULL, 0);
	raise(SIGUSR1);
	if (parent_runs != 1 || child_runs) {
		printf("%s\n", child_runs ? "the child's handler ran in the parent" : "no handler ran");
		return 1;
	}
	printf("the parent's handler ran\n");
	return 0;
}
