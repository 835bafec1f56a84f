/*
 * fuzz_dotenv — vs_dotenv_parse on arbitrary bytes, then vs_dotenv_get of
 * every key it found.
 */
#include "fuzz.h"

#include "core/vs_dotenv.h"

#include <string.h>

#define ENV_PATH "/srv/app/.env"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vs_dotenv *d = (vs_dotenv *)1;
	vs_error err = {0};
	size_t prev_end = 0;
	int rc;

	rc = vs_dotenv_parse(ENV_PATH, (const char *)data, size, &d, &err);
	if (rc) {
		/* only out of memory (or a size libFuzzer never makes) */
		FUZZ_CHECK(d == NULL && err.code == rc);
		return 0;
	}
	FUZZ_CHECK(d != NULL);
	for (size_t i = 0; i < d->n; i++) {
		const vs_dotenv_entry *e = &d->entries[i];
		const char *got;
		size_t last = i;

		/* e->key may be "": a NUL byte in the file ends a key early */
		FUZZ_CHECK(e->key);
		FUZZ_CHECK(e->line >= 1);
		/* statements are disjoint byte ranges in file order (migrate
		 * rewrites files by these ranges) */
		FUZZ_CHECK(e->start >= prev_end && e->start <= e->end && e->end <= size);
		prev_end = e->end;
		if (e->value)
			FUZZ_CHECK(strlen(e->value) <= size);

		/* later duplicates win: get() answers with the last one */
		for (size_t j = i + 1; j < d->n; j++)
			if (!strcmp(d->entries[j].key, e->key))
				last = j;
		got = vs_dotenv_get(d, e->key);
		FUZZ_CHECK(got == d->entries[last].value);
	}
	for (size_t i = 0; i < d->n_issues; i++)
		FUZZ_CHECK(!strncmp(d->issues[i], ENV_PATH ":", strlen(ENV_PATH) + 1));
	vs_dotenv_free(d);
	return 0;
}
