/* Pitfall 2 (re-entrancy) under AddressSanitizer, for tests/sanitize/asan.
 *
 * test_preload.sh checks it with libmallochook.so listed before the preload,
 * whose malloc calls getenv(mapped) on every call. With the instrumented
 * preload that cannot work: the hook library comes before libasan, so ASan's
 * own start-up (its dlsym calls allocate through ld.so) runs the hook, which
 * calls the instrumented getenv before ASan has mapped its shadow memory, and
 * the process dies with SIGSEGV (the same with an empty instrumented library
 * in place of libvaultshim.so). Here the malloc hook is in the program itself
 * and calls getenv(mapped) only once main has started, after ASan's start-up;
 * the preload's allocations during the resolution then still come through it.
 *
 * usage: reentry NAME EXPECTED    prints: mapped=OK|NULL|BAD hook_calls=N */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *(*real_malloc)(size_t);
static void (*real_free)(void *);
static _Alignas(16) char boot[65536];
static size_t boot_used;
static int resolving;
static volatile int armed;
static const char *volatile hook_name;
static volatile size_t hook_calls; /* mallocs inside main's getenv */

static void *boot_alloc(size_t n)
{
	void *p;
	n = (n + 15) & ~(size_t)15;
	if (boot_used + n > sizeof boot)
		return NULL;
	p = boot + boot_used;
	boot_used += n;
	return p;
}

void *malloc(size_t n)
{
	if (!real_malloc) {
		void *f;
		if (resolving)
			return boot_alloc(n);
		resolving = 1;
		f = dlsym(RTLD_NEXT, "malloc");
		real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
		resolving = 0;
		if (!f)
			return boot_alloc(n);
		real_malloc = (void *(*)(size_t))f;
	}
	if (armed) {
		hook_calls++;
		(void)getenv(hook_name);
	}
	return real_malloc(n);
}

void free(void *p)
{
	if ((char *)p >= boot && (char *)p < boot + sizeof boot)
		return;
	if (!real_free)
		real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	if (real_free)
		real_free(p);
}

int main(int argc, char **argv)
{
	const char *v;

	if (argc != 3) {
		fprintf(stderr, "usage: %s NAME EXPECTED\n", argv[0]);
		return 2;
	}
	hook_name = argv[1];
	armed = 1;
	v = getenv(argv[1]);
	armed = 0;
	printf("mapped=%s hook_calls=%zu\n", !v ? "NULL" : strcmp(v, argv[2]) ? "BAD" : "OK", (size_t)hook_calls);
	return 0;
}
