/* heap_count.h — the program's own malloc, calloc, realloc and free, which
 * count the calls made while in_handler is set (a signal handler runs) and
 * pass everything to glibc's allocator: a getenv in a handler must make
 * none (docs/design.md, pitfall 11). Included by one file of a program. */
#ifndef HEAP_COUNT_H
#define HEAP_COUNT_H

#include <signal.h>
#include <stddef.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static volatile sig_atomic_t in_handler, heap_calls;

void *malloc(size_t n)
{
	if (in_handler)
		heap_calls++;
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t s)
{
	if (in_handler)
		heap_calls++;
	return __libc_calloc(n, s);
}

void *realloc(void *p, size_t n)
{
	if (in_handler)
		heap_calls++;
	return __libc_realloc(p, n);
}

void free(void *p)
{
	if (in_handler && p)
		heap_calls++;
	__libc_free(p);
}

#endif
