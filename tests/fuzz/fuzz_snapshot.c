/*
 * fuzz_snapshot — vs_snapshot_parse, which every process of a tree runs on
 * the hand-off it inherits (a descriptor any ancestor could have filled).
 * When the input parses, it is written back with vs_snapshot_format: the
 * bytes must be the same, so writer and reader cannot drift apart.
 */
#include "fuzz.h"

#include "core/vs_snapshot.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vs_snapshot s;
	size_t len = 0;
	char *again;

	if (vs_snapshot_parse((const char *)data, size, &s) != 0) {
		FUZZ_CHECK(s.buf == NULL && s.n == 0);
		return 0;
	}
	FUZZ_CHECK(s.config_path && s.eager_programs);
	for (size_t i = 0; i < s.n; i++) {
		FUZZ_CHECK(s.names[i] && *s.names[i]);
		FUZZ_CHECK(s.resolved || !s.values[i]);
	}
	again = vs_snapshot_format(&s, &len);
	FUZZ_CHECK(again);
	/* a value flagged in an unresolved block is dropped on the way, and
	 * the from_env bit of a missing value too: compare what is kept */
	if (s.resolved) {
		vs_snapshot t;
		FUZZ_CHECK(vs_snapshot_parse(again, len, &t) == 0 && t.n == s.n);
		for (size_t i = 0; i < s.n; i++) {
			FUZZ_CHECK(!strcmp(t.names[i], s.names[i]));
			FUZZ_CHECK((t.values[i] == NULL) == (s.values[i] == NULL));
			FUZZ_CHECK(!t.values[i] || !strcmp(t.values[i], s.values[i]));
		}
		vs_snapshot_free(&t);
	}
	free(again);
	vs_snapshot_free(&s);
	return 0;
}
