/* Scratch directories for the file-reading cases of the unit suites. */
#ifndef VS_TEST_TMPDIR_H
#define VS_TEST_TMPDIR_H

#include <stddef.h>

/* Creates /tmp/<prefix>-XXXXXX into dir (size n); aborts the run on failure. */
void tmpdir_make(char *dir, size_t n, const char *prefix);
/* Removes dir and everything below it; an empty dir name is a no-op. */
void tmpdir_remove(const char *dir);

#endif
