/*
 * ops_small_stack KIB VAR: reads VAR (the process's first, lazy read: the
 * whole resolution, audit record included) on a thread whose stack is KIB
 * KiB (PTHREAD_STACK_MIN is 16). Prints "set" or "unset", never the value;
 * a stack the preload overflows kills it with SIGSEGV. (test_hostile_ops.sh)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void *run(void *name)
{
	puts(getenv(name) ? "set" : "unset");
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_attr_t at;
	pthread_t t;

	if (argc != 3)
		return 64;
	pthread_attr_init(&at);
	if (pthread_attr_setstacksize(&at, (size_t)atoi(argv[1]) * 1024) || pthread_create(&t, &at, run, argv[2]))
		return 71;
	pthread_join(t, NULL);
	return 0;
}
