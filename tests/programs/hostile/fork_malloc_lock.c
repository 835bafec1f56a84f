/* H2(b): an allocator-like fork handler registered after the preload's (a
 * malloc that takes lock L, and pthread_atfork(lock L, unlock L, unlock L)
 * as allocators do) must not deadlock with a resolution under way: prepare
 * handlers run in reverse order, so L is taken first; a preload prepare
 * handler that then waits for the resolving thread, which needs L to
 * allocate once the helper answers, waits forever. T1 resolves slowly;
 * main forks 0.3 s after starting it. Prints "no deadlock, served". */
#define _GNU_SOURCE
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static pthread_mutex_t L = PTHREAD_MUTEX_INITIALIZER;

void *malloc(size_t n)
{
	void *p;
	pthread_mutex_lock(&L);
	p = __libc_malloc(n);
	pthread_mutex_unlock(&L);
	return p;
}

void *calloc(size_t n, size_t s)
{
	void *p;
	pthread_mutex_lock(&L);
	p = __libc_calloc(n, s);
	pthread_mutex_unlock(&L);
	return p;
}

void *realloc(void *q, size_t n)
{
	void *p;
	pthread_mutex_lock(&L);
	p = __libc_realloc(q, n);
	pthread_mutex_unlock(&L);
	return p;
}

void free(void *p)
{
	pthread_mutex_lock(&L);
	__libc_free(p);
	pthread_mutex_unlock(&L);
}

static void lock_l(void)
{
	pthread_mutex_lock(&L);
}

static void unlock_l(void)
{
	pthread_mutex_unlock(&L);
}

static const char *t1_value;

static void *t1(void *arg)
{
	(void)arg;
	t1_value = getenv("DB_PASSWORD");
	return NULL;
}

int main(void)
{
	pthread_t th;
	pid_t pid;

	(void)getenv("HOME"); /* the config is loaded (and the preload's handlers registered) */
	pthread_atfork(lock_l, unlock_l, unlock_l);
	if (pthread_create(&th, NULL, t1, NULL))
		return 2;
	usleep(300 * 1000);
	fprintf(stderr, "forking\n");
	pid = fork();
	if (pid == 0)
		_exit(0);
	if (pid < 0) {
		printf("fork failed\n");
		return 1;
	}
	fprintf(stderr, "fork returned\n");
	waitpid(pid, NULL, 0);
	pthread_join(th, NULL);
	printf("no deadlock, %s\n", t1_value && !strcmp(t1_value, "locks-db") ? "served" : "T1 not served");
	return t1_value && !strcmp(t1_value, "locks-db") ? 0 : 1;
}
