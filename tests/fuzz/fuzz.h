/*
 * fuzz.h — shared by the libFuzzer targets in this directory.
 *
 * Targets check the promises the public headers make, not just "no crash":
 * a broken promise aborts, which libFuzzer reports and saves like a crash.
 * Targets never print (libFuzzer's own output is the only output).
 */
#ifndef VS_FUZZ_H
#define VS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* abort() rather than assert(): NDEBUG must not turn the checks off. */
#define FUZZ_CHECK(cond) \
	do { \
		if (!(cond)) \
			abort(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
