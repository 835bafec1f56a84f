/* libmallochook.so: a second preload, listed before libvaultshim.so, whose
 * malloc calls getenv(HOOK_NAME) — a mapped name — every time. The preload's
 * resolution allocates, so without its re-entrancy guard the nested getenv
 * would wait forever on the resolve lock the outer call holds
 * (docs/design.md, pitfall 2).
 * dlsym may itself allocate before the real malloc is known: those requests
 * are served from a static bootstrap buffer, which free() must recognise. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "mallocboot.h"

#ifndef HOOK_NAME
#define HOOK_NAME "DB_PASSWORD"
#endif

volatile size_t mallochook_hits;

void *malloc(size_t n)
{
	if (!boot_resolve())
		return boot_alloc(n);
	/* the point of this library: getenv of a mapped name from inside malloc */
	if (getenv(HOOK_NAME))
		mallochook_hits++;
	return real_malloc(n);
}

void free(void *p)
{
	boot_free(p);
}
