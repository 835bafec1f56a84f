/* H2(a): fork() in one thread while another resolves (Vault slow) returns at
 * once: the fork handlers do not wait for the resolution. T1 reads
 * DB_PASSWORD; main forks 0.5 s later, when T1 is inside the resolution.
 * Orderings, no absolute timing: when fork() has returned, T1's getenv has
 * not, and the helper is still a child of ours (the preload reaps it before
 * its resolution ends; T1's flag alone races with a fork that waited and
 * returned as T1 was leaving). Prints "fork did not wait, served" when fork
 * returned first and T1 was then served. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_int t1_returned;
static const char *t1_value;

static void *t1(void *arg)
{
	(void)arg;
	t1_value = getenv("DB_PASSWORD");
	atomic_store(&t1_returned, 1);
	return NULL;
}

int main(void)
{
	pthread_t th;
	pid_t pid;
	siginfo_t si;
	int returned_before_fork, helper_pending, served;

	(void)getenv("HOME"); /* the config is loaded: T1's getenv is the resolution */
	if (pthread_create(&th, NULL, t1, NULL))
		return 2;
	usleep(500 * 1000);
	if (atomic_load(&t1_returned)) {
		printf("T1's getenv returned before the fork (Vault not slow?)\n");
		return 1;
	}
	pid = fork();
	if (pid == 0)
		_exit(0);
	returned_before_fork = atomic_load(&t1_returned);
	if (pid < 0) {
		printf("fork failed\n");
		return 1;
	}
	waitpid(pid, NULL, 0);
	/* any child left (not reaped: WNOWAIT)? only the helper can be */
	memset(&si, 0, sizeof si);
	helper_pending = waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0;
	pthread_join(th, NULL);
	served = t1_value && !strcmp(t1_value, "locks-db");
	if (returned_before_fork || !helper_pending)
		printf("fork returned after T1's %s: it waited for the resolution\n",
		       returned_before_fork ? "getenv" : "helper was reaped");
	else
		printf("fork did not wait, %s\n", served ? "served" : "T1 not served");
	return !returned_before_fork && helper_pending && served ? 0 : 1;
}
