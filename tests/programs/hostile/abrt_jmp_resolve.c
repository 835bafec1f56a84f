/* R5: SIGABRT sent (pthread_kill) to a thread inside its first getenv of a
 * mapped name, whose SIGABRT handler siglongjmps to main, as a crash handler
 * that recovers does. The preload keeps SIGABRT blocked in its sections, so
 * the jump comes once the resolution is over and leaves no lock held and no
 * "inside the preload" mark: afterwards the same thread's getenv is served,
 * a second thread's getenv returns (no deadlock) and fork() returns.
 * Vault is slow (the case's delay); the signal comes 400 ms into the getenv.
 * Progress goes to stderr; prints "jumped, served, thread served, fork
 * returned". */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "verdict.h"

static sigjmp_buf env;
static volatile sig_atomic_t returned_first;
static pthread_t main_thread, killer_thread;
static const char *t2_value;

static void on_abrt(int sig)
{
	(void)sig;
	siglongjmp(env, 1);
}

static void *killer(void *arg)
{
	struct timespec ts = {0, 400 * 1000 * 1000};

	(void)arg;
	nanosleep(&ts, NULL);
	pthread_kill(main_thread, SIGABRT);
	return NULL;
}

static void *t2(void *arg)
{
	(void)arg;
	t2_value = getenv("DB_PASSWORD");
	return NULL;
}

int main(void)
{
	struct sigaction sa = {.sa_handler = on_abrt};
	pthread_t th;
	const char *v;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGABRT, &sa, NULL))
		return 2;
	main_thread = pthread_self();
	(void)getenv("HOME"); /* the config is loaded: the signal comes in the resolution */
	if (!sigsetjmp(env, 1)) {
		if (pthread_create(&killer_thread, NULL, killer, NULL))
			return 2;
		(void)getenv("DB_PASSWORD");
		/* (the signal came after the getenv: Vault not slow?) */
		returned_first = 1;
		for (;;)
			pause();
	}
	pthread_join(killer_thread, NULL);
	if (returned_first) {
		printf("the getenv returned before SIGABRT came (Vault not slow?)\n");
		return 1;
	}
	fprintf(stderr, "jumped out; getenv again\n");
	v = getenv("DB_PASSWORD");
	fprintf(stderr, "getenv returned (%s); another thread's getenv\n", verdict(v));
	if (pthread_create(&th, NULL, t2, NULL))
		return 2;
	pthread_join(th, NULL);
	fprintf(stderr, "that returned (%s); fork\n", verdict(t2_value));
	if (!fork_returns()) {
		printf("fork failed\n");
		return 1;
	}
	printf("jumped, %s, thread %s, fork returned\n", verdict(v), verdict(t2_value));
	return v && !strcmp(v, "locks-db") && t2_value && !strcmp(t2_value, "locks-db") ? 0 : 1;
}
