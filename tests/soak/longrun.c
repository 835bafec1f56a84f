/* The long-running process of the soak test: 16 threads start together at a
 * barrier, read the mapped names at once (the first mapped read comes from
 * all of them: one resolution, the others wait), then read them again and
 * again until STOP_FILE exists or MAX_SECONDS pass. Every read must return
 * the pointer of the thread's first read with the same bytes (interned values
 * live for the whole process), and all threads must have seen the same
 * pointers. Unmapped names sharing a first byte are read in between.
 * usage: longrun STOP_FILE MAX_SECONDS
 * prints one summary line (lengths and digests, never a value); exit 0 when
 * every read was stable, 1 otherwise. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define THREADS 16
#define NAMES 2

static const char *const names[NAMES] = {"DB_PASSWORD", "API_KEY"};
static pthread_barrier_t barrier;
static atomic_int stop;

typedef struct {
	const char *first[NAMES];
	char *copy[NAMES];
	long reads, pointer_changes, value_changes, nulls;
} slot;

static slot slots[THREADS];

static unsigned long long fnv1a(const char *s)
{
	unsigned long long h = 14695981039346656037ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void *reader(void *arg)
{
	slot *s = arg;
	volatile const char *sink;

	pthread_barrier_wait(&barrier);
	for (int i = 0; i < NAMES; i++) {
		s->first[i] = getenv(names[i]);
		s->copy[i] = s->first[i] ? strdup(s->first[i]) : NULL;
		s->reads++;
	}
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		for (int k = 0; k < 100; k++) {
			for (int i = 0; i < NAMES; i++) {
				const char *p = getenv(names[i]);
				s->reads++;
				if (!p) {
					s->nulls++;
					continue;
				}
				if (p != s->first[i])
					s->pointer_changes++;
				if (!s->copy[i] || strcmp(p, s->copy[i]))
					s->value_changes++;
			}
			sink = getenv("DB_HOST");
			sink = getenv("API_URL");
			sink = getenv("HOME");
		}
		usleep(2000); /* leave the CPUs to the short processes and the server */
	}
	(void)sink;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[THREADS];
	struct timespec t0, t;
	long reads = 0, pchg = 0, vchg = 0, nulls = 0;
	int across = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: %s STOP_FILE MAX_SECONDS\n", argv[0]);
		return 2;
	}
	pthread_barrier_init(&barrier, NULL, THREADS);
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&th[i], NULL, reader, &slots[i]))
			return 3;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		usleep(50 * 1000);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (access(argv[1], F_OK) == 0 || t.tv_sec - t0.tv_sec >= atol(argv[2]))
			break;
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < THREADS; i++) {
		reads += slots[i].reads;
		pchg += slots[i].pointer_changes;
		vchg += slots[i].value_changes;
		nulls += slots[i].nulls;
		for (int n = 0; n < NAMES; n++)
			if (slots[i].first[n] != slots[0].first[n])
				across = 0;
	}
	printf("threads=%d reads=%ld pointer_changes=%ld value_changes=%ld nulls=%ld same_across_threads=%s",
	       THREADS, reads, pchg, vchg, nulls, across ? "yes" : "no");
	for (int n = 0; n < NAMES; n++) {
		if (slots[0].copy[n])
			printf(" %s=%zu:%016llx", names[n], strlen(slots[0].copy[n]), fnv1a(slots[0].copy[n]));
		else
			printf(" %s=NULL", names[n]);
	}
	printf("\n");
	return pchg || vchg || nulls || !across ? 1 : 0;
}
