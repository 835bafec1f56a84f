/* docs/design.md, pitfall 2 (re-entrancy), under AddressSanitizer, for
 * tests/sanitize/asan.
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

#include "../programs/mallocboot.h"

static volatile int armed;
static const char *volatile hook_name;
static volatile size_t hook_calls; /* mallocs inside main's getenv */

void *malloc(size_t n)
{
	if (!boot_resolve())
		return boot_alloc(n);
	if (armed) {
		hook_calls++;
		(void)getenv(hook_name);
	}
	return real_malloc(n);
}

void free(void *p)
{
	boot_free(p);
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
