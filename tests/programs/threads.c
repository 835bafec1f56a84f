/* 64 threads wait on a barrier, then all read a mapped name at once: one
 * resolution, the same pointer everywhere. One more thread reads unmapped
 * names (one sharing the mapped name's first byte) while the resolution is in
 * flight and times them: they take no lock and do no I/O.
 * usage: threads MAPPED EXPECTED UNMAPPED_SAME_FIRST_BYTE
 * prints: same_pointer=yes|no value=OK|BAD|NULL unmapped_ms=N unmapped_during_resolution=yes|no */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define N 64

static pthread_barrier_t barrier;
static const char *name, *unmapped;
static char *got[N];
static atomic_int mapped_done;
static double unmapped_ms = -1;
static int unmapped_during;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *reader(void *arg)
{
	long i = (long)arg;
	pthread_barrier_wait(&barrier);
	got[i] = getenv(name);
	atomic_fetch_add(&mapped_done, 1);
	return NULL;
}

static void *bystander(void *arg)
{
	double t0;
	volatile const char *sink;
	(void)arg;
	pthread_barrier_wait(&barrier);
	usleep(150 * 1000); /* the resolution is under way by now */
	t0 = now_ms();
	for (int i = 0; i < 1000; i++) {
		sink = getenv(unmapped);
		sink = getenv("HOME");
	}
	(void)sink;
	unmapped_ms = now_ms() - t0;
	unmapped_during = atomic_load(&mapped_done) == 0;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[N + 1];
	int same = 1;

	if (argc != 4) {
		fprintf(stderr, "usage: %s MAPPED EXPECTED UNMAPPED\n", argv[0]);
		return 2;
	}
	name = argv[1];
	unmapped = argv[3];
	pthread_barrier_init(&barrier, NULL, N + 1);
	for (long i = 0; i < N; i++)
		if (pthread_create(&th[i], NULL, reader, (void *)i))
			return 3;
	if (pthread_create(&th[N], NULL, bystander, NULL))
		return 3;
	for (int i = 0; i <= N; i++)
		pthread_join(th[i], NULL);
	for (int i = 1; i < N; i++)
		if (got[i] != got[0])
			same = 0;
	printf("same_pointer=%s value=%s unmapped_ms=%.0f unmapped_during_resolution=%s\n",
	       same ? "yes" : "no", !got[0] ? "NULL" : strcmp(got[0], argv[2]) ? "BAD" : "OK",
	       unmapped_ms, unmapped_during ? "yes" : "no");
	return 0;
}
