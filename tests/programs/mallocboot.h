/* What a malloc interposer needs before it knows libc's malloc: dlsym itself
 * may allocate, so those first requests come from a static buffer, which
 * free() must recognise. Shared by tests/programs/mallochook.c and
 * tests/sanitize/reentry.c. Include after <dlfcn.h> with _GNU_SOURCE. */
#ifndef VS_TEST_MALLOCBOOT_H
#define VS_TEST_MALLOCBOOT_H

#include <stdbool.h>
#include <stddef.h>

static void *(*real_malloc)(size_t);
static void (*real_free)(void *);
static _Alignas(16) char boot[65536];
static size_t boot_used;
static int boot_resolving;

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

/* Looks up libc's malloc and free once; false while that is under way (or
 * failed): the caller then serves the request with boot_alloc. */
static bool boot_resolve(void)
{
	void *f;

	if (real_malloc)
		return true;
	if (boot_resolving)
		return false;
	boot_resolving = 1;
	f = dlsym(RTLD_NEXT, "malloc");
	real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	boot_resolving = 0;
	if (!f)
		return false;
	real_malloc = (void *(*)(size_t))f;
	return true;
}

/* free() for the interposer: bootstrap blocks are never returned to libc. */
static void boot_free(void *p)
{
	if ((char *)p >= boot && (char *)p < boot + sizeof boot)
		return;
	if (!real_free) {
		if (boot_resolving)
			return;
		real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	}
	if (real_free)
		real_free(p);
}

#endif
