/* R2: a child forked (no exec: it lives on) while another thread's first
 * getenv of a mapped name resolves must not hold that resolution up. The
 * child inherits every descriptor open at the fork, the write end of the
 * helper's pipe included when the fork comes between the pipe's creation
 * and the spawn; that pipe then ends only when the child exits, so the
 * answer must be known whole without its end.
 *
 * usage: fork_holds_pipe one|many
 *   one: the fork lands in that window every time: pipe2 is interposed here
 *     (the executable comes first in symbol lookup) and, in the resolving
 *     thread, lets main fork before it returns the new pipe to the preload.
 *   many: no interposition; 8 threads fork in a loop (60 forks each at
 *     most) from just before the resolution until it ends (some forks land
 *     in the window by chance).
 * Vault is slow (the case's delay): the getenv is inside the resolution.
 * The children sleep until the parent kills them, after the getenv. Prints
 * "served, forks returned" when every fork returned (and, "one", came inside
 * the resolution) and the thread's getenv(DB_PASSWORD) gave Vault's value. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FORKERS 8
#define PER_FORKER 60 /* at most: the children all live until the end */

static __thread volatile int resolving; /* this thread is in its getenv ("one") */
static atomic_int window;           /* 1: the pipe exists, main may fork; 2: forked */
static atomic_int t1_done, go, forking; /* forking: forkers that forked once */
static const char *t1_value;
static pid_t kids[FORKERS][PER_FORKER];
static int nkids[FORKERS];

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* the kernel's pipe2; in the resolving thread, main forks before it returns
 * (waiting 5 s at most) */
int pipe2(int fd[2], int flags)
{
	int rc = (int)syscall(SYS_pipe2, fd, flags);

	if (rc == 0 && resolving && atomic_load(&window) == 0) {
		atomic_store(&window, 1);
		for (int i = 0; i < 5000 && atomic_load(&window) != 2; i++)
			sleep_ms(1);
	}
	return rc;
}

static void *t1(void *arg)
{
	resolving = arg != NULL;
	t1_value = getenv("DB_PASSWORD");
	resolving = 0;
	atomic_store(&t1_done, 1);
	return NULL;
}

static pid_t fork_sleeper(void)
{
	pid_t p = fork();

	if (p == 0) {
		sleep(30);
		_exit(0);
	}
	return p;
}

static void *forker(void *arg)
{
	int me = (int)(long)arg;

	while (!atomic_load(&go))
		sched_yield();
	while (!atomic_load(&t1_done) && nkids[me] < PER_FORKER) {
		pid_t p = fork_sleeper();
		if (p < 0)
			break;
		if (!nkids[me])
			atomic_fetch_add(&forking, 1);
		kids[me][nkids[me]++] = p;
	}
	return NULL;
}

static void reap(pid_t p)
{
	kill(p, SIGKILL);
	while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	pthread_t th, f[FORKERS];
	int one, served, forks = 0, ok = 1;

	if (argc != 2)
		return 2;
	one = !strcmp(argv[1], "one");
	(void)getenv("HOME"); /* the config is loaded: T1's getenv is the resolution */
	if (one) {
		pid_t p;
		if (pthread_create(&th, NULL, t1, (void *)1))
			return 2;
		while (!atomic_load(&window) && !atomic_load(&t1_done))
			sleep_ms(1);
		if (atomic_load(&t1_done)) {
			printf("the getenv made no pipe (no resolution?)\n");
			return 1;
		}
		p = fork_sleeper();
		atomic_store(&window, 2);
		if (p < 0) {
			printf("fork failed\n");
			return 1;
		}
		fprintf(stderr, "forked inside the resolution; waiting for the getenv\n");
		pthread_join(th, NULL);
		reap(p);
		forks = 1;
	} else {
		for (long i = 0; i < FORKERS; i++)
			if (pthread_create(&f[i], NULL, forker, (void *)i))
				return 2;
		atomic_store(&go, 1);
		/* the resolution starts once every forker is under way */
		for (int i = 0; i < 5000 && atomic_load(&forking) < FORKERS; i++)
			sleep_ms(1);
		if (pthread_create(&th, NULL, t1, NULL))
			return 2;
		pthread_join(th, NULL);
		fprintf(stderr, "getenv returned; joining the forkers\n");
		for (int i = 0; i < FORKERS; i++) {
			pthread_join(f[i], NULL);
			for (int k = 0; k < nkids[i]; k++)
				reap(kids[i][k]);
			forks += nkids[i];
		}
		ok = forks > 0;
	}
	served = t1_value && !strcmp(t1_value, "locks-db");
	fprintf(stderr, "%d forks\n", forks);
	if (!ok)
		printf("no fork returned\n");
	else
		printf("%s, forks returned\n", !t1_value ? "unset" : served ? "served" : "another value");
	return ok && served ? 0 : 1;
}
