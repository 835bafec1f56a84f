/* libmallochook.so: a second preload, listed before libvaultshim.so, whose
 * malloc calls getenv(HOOK_NAME) — a mapped name — every time. The preload's
 * resolution allocates, so without its re-entrancy guard the nested getenv
 * would wait forever on the resolve lock the outer call holds (pitfall 2).
 * dlsym may itself allocate before the real malloc is known: those requests
 * are served from a static bootstrap buffer, which free() must recognise. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#ifndef HOOK_NAME
#define HOOK_NAME "DB_PASSWORD"
#endif

static void *(*real_malloc)(size_t);
static void (*real_free)(void *);
static _Alignas(16) char boot[65536];
static size_t boot_used;
static __thread int resolving_self;
volatile size_t mallochook_hits;

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
		if (resolving_self)
			return boot_alloc(n);
		resolving_self = 1;
		f = dlsym(RTLD_NEXT, "malloc");
		real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
		resolving_self = 0;
		if (!f)
			return boot_alloc(n);
		real_malloc = (void *(*)(size_t))f;
	}
	/* the point of this library: getenv of a mapped name from inside malloc */
	if (getenv(HOOK_NAME))
		mallochook_hits++;
	return real_malloc(n);
}

void free(void *p)
{
	if ((char *)p >= boot && (char *)p < boot + sizeof boot)
		return;
	if (!real_free) {
		if (resolving_self)
			return;
		real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	}
	if (real_free)
		real_free(p);
}
