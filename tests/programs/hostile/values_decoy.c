/* values_decoy.c — a shared object planted where a relative LD_PRELOAD
 * would find it after the program changed directory. Its constructor
 * leaves a marker (path given at build time: -DVALUES_DECOY_MARKER="...")
 * so that the test can tell it was loaded. */
#include <fcntl.h>
#include <unistd.h>

#ifndef VALUES_DECOY_MARKER
#error "build with -DVALUES_DECOY_MARKER=\"path\""
#endif

__attribute__((constructor)) static void values_decoy(void)
{
	int fd = open(VALUES_DECOY_MARKER, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
}
