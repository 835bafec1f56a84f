/*
 * fuzz_helper — vs_helper_parse, the preload's reader of its helper's
 * output, against a fixed three-entry config parsed once. When the input
 * parses, it is written back with vs_helper_format and parsed again: the
 * two readings must agree, so writer and reader cannot drift apart.
 */
#define _GNU_SOURCE /* explicit_bzero */
#include "fuzz.h"

#include "core/vs_config.h"
#include "core/vs_wire.h"

#include <math.h>
#include <string.h>

#define N 3

static const char conf_text[] =
	"[env]\n"
	"DB_PASSWORD = secret/app/db#password\n"
	"API_KEY = secret/shop/api#key version=3\n"
	"DB_USER = database/creds/app#username\n";

static vs_config *cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	vs_error err = {0};

	(void)argc;
	(void)argv;
	if (vs_config_parse("/etc/vaultshim/fuzz.conf", conf_text, sizeof conf_text - 1,
			    NULL, NULL, &cfg, &err) || cfg->n_entries != N)
		abort();
	return 0;
}

static void clear_all(vs_secret *s)
{
	for (size_t i = 0; i < N; i++)
		vs_secret_clear(&s[i]);
}

/* vs_helper_format prints ms with "%.3f" into a 256-byte line: only values
 * a clock can produce are expected to survive the round trip. */
static bool plausible(const vs_secret *s)
{
	for (size_t i = 0; i < N; i++)
		if (!isfinite(s[i].ms) || fabs(s[i].ms) > 1e12)
			return false;
	return true;
}

static void round_trip(const vs_secret *out, int batch_code, const vs_error *err, int requests)
{
	vs_secret again[N] = {0};
	vs_error err2 = {0};
	int batch2 = -7;
	size_t len = 0;
	char *buf;

	buf = vs_helper_format(cfg, out, batch_code, batch_code ? err->msg : NULL, requests, &len);
	FUZZ_CHECK(buf != NULL);
	FUZZ_CHECK(vs_helper_parse(cfg, buf, len, again, &batch2, &err2) == 0);
	/* the request count of the head (the audit record's) survives too */
	FUZZ_CHECK(vs_helper_requests(buf, len) == requests);
	FUZZ_CHECK(batch2 == batch_code);
	if (batch_code) {
		FUZZ_CHECK(err2.code == batch_code && !strcmp(err2.msg, err->msg));
	} else {
		for (size_t i = 0; i < N; i++) {
			const char *f = cfg->entries[i].field;
			const char *a = vs_secret_field(&out[i], f), *b = vs_secret_field(&again[i], f);
			FUZZ_CHECK(again[i].code == out[i].code);
			FUZZ_CHECK(!strcmp(again[i].err, out[i].err));
			FUZZ_CHECK(!a == !b);
			if (a) {
				FUZZ_CHECK(!strcmp(a, b));
				FUZZ_CHECK(again[i].lease_duration == out[i].lease_duration);
				/* the KV version (audit's path@version): kept when
				 * there is one, 0 otherwise */
				FUZZ_CHECK(again[i].kv_version_no ==
					   (out[i].kv_version_no > 0 ? out[i].kv_version_no : 0));
			}
		}
	}
	clear_all(again);
	explicit_bzero(buf, len);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vs_secret out[N] = {0};
	vs_error err = {0};
	int batch = -7, rc, requests;

	/* the head's request count: never negative, whatever the input */
	requests = vs_helper_requests((const char *)data, size);
	FUZZ_CHECK(requests >= 0);
	rc = vs_helper_parse(cfg, (const char *)data, size, out, &batch, &err);
	if (rc) {
		FUZZ_CHECK(rc == -1);
		FUZZ_CHECK(err.code == VS_EX_UNAVAILABLE);
		FUZZ_CHECK(!strncmp(err.msg, "resolver helper: ", 17));
	} else {
		FUZZ_CHECK(batch >= 0);
		if (batch)
			FUZZ_CHECK(err.code == batch);
		for (size_t i = 0; i < N; i++) {
			FUZZ_CHECK(out[i].code >= 0);
			FUZZ_CHECK(strnlen(out[i].err, sizeof out[i].err) < sizeof out[i].err);
			if (out[i].code)
				FUZZ_CHECK(out[i].n_fields == 0);
		}
		if (plausible(out))
			round_trip(out, batch, &err, requests);
	}
	clear_all(out);
	return 0;
}
