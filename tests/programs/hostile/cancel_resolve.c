/* H3(a): a thread cancelled (deferred, the default) while its getenv waits
 * for the helper must leave no lock held: afterwards main's getenv of the
 * same name is served and fork() returns. Progress goes to stderr (where a
 * hang stops); prints "served, fork returned". */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "verdict.h"

static void *t1(void *arg)
{
	(void)arg;
	(void)getenv("DB_PASSWORD");
	return NULL;
}

int main(void)
{
	pthread_t th;
	void *ret;
	const char *v;

	(void)getenv("HOME"); /* the config is loaded: T1's getenv is the resolution */
	if (pthread_create(&th, NULL, t1, NULL))
		return 2;
	usleep(300 * 1000);
	pthread_cancel(th);
	pthread_join(th, &ret);
	fprintf(stderr, "T1 %s; main's getenv\n", ret == PTHREAD_CANCELED ? "cancelled" : "finished before the cancel");
	v = getenv("DB_PASSWORD");
	fprintf(stderr, "main's getenv returned (%s); fork\n", verdict(v));
	if (!fork_returns()) {
		printf("fork failed\n");
		return 1;
	}
	printf("%s, fork returned\n", verdict(v));
	return v && !strcmp(v, "locks-db") ? 0 : 1;
}
