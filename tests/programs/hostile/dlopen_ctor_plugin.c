/* The plugin of dlopen_ctor.c (H1): its constructor starts thread A, which
 * calls getenv(GETENV_NAME), gives it LEAD_MS to get inside the preload,
 * then calls getenv(GETENV_NAME) itself, all while dlopen holds the loader's
 * lock. Built with -DGETENV_NAME='"PATH"' -DLEAD_MS=500 and the like.
 * plugin_finish joins A and hands both values back. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#ifndef GETENV_NAME
#define GETENV_NAME "PATH"
#endif
#ifndef LEAD_MS
#define LEAD_MS 500
#endif

static pthread_t a;
static int started;
static const char *a_value, *ctor_value;

static void *thread_a(void *arg)
{
	(void)arg;
	a_value = getenv(GETENV_NAME);
	return NULL;
}

__attribute__((constructor)) static void plugin_init(void)
{
	started = !pthread_create(&a, NULL, thread_a, NULL);
	usleep(LEAD_MS * 1000);
	ctor_value = getenv(GETENV_NAME);
}

__attribute__((visibility("default"))) int plugin_finish(const char **av, const char **cv)
{
	if (started)
		pthread_join(a, NULL);
	*av = a_value;
	*cv = ctor_value;
	return started;
}
