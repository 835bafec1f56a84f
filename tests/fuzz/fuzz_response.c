/*
 * fuzz_response — vs_vault_parse_read on arbitrary response bodies.
 *
 * The first byte chooses the read: kv = b % 3 (0 other engine, 1 KV v1,
 * 2 KV v2), version = (b / 3) % 2 ? 3 : 0, status = {200, 404, 500, 204}
 * [(b / 6) % 4]. The rest is the body, passed without a terminating NUL,
 * as libcurl hands it over (an empty body is passed as NULL).
 */
#define _GNU_SOURCE /* strnlen */
#include "fuzz.h"

#include "vault/vs_vault.h"

#include <string.h>

#define WHAT "GET secret/data/app"

static const long statuses[] = {200, 404, 500, 204};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* the CLI's set-up: cJSON clears memory before freeing it */
	vs_vault_global_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const vs_secret zero;
	vs_secret sec = {0};
	const char *body;
	size_t len;
	long status;
	int kv, version, rc;

	if (size < 1)
		return 0;
	kv = data[0] % 3;
	version = (data[0] / 3) % 2 ? 3 : 0;
	status = statuses[(data[0] / 6) % 4];
	body = size > 1 ? (const char *)data + 1 : NULL;
	len = size - 1;

	rc = vs_vault_parse_read(kv, version, WHAT, status, body, len, &sec);
	FUZZ_CHECK(sec.http_status == status);
	FUZZ_CHECK(strnlen(sec.err, sizeof sec.err) < sizeof sec.err);
	if (rc == -1) {
		/* an HTTP failure left for the caller to report */
		FUZZ_CHECK(status < 200 || status >= 300);
		FUZZ_CHECK(sec.code == 0 && sec.n_fields == 0 && !sec.lease_id);
	} else if (rc) {
		FUZZ_CHECK(sec.code == rc && sec.err[0]);
		FUZZ_CHECK(vs_secret_field(&sec, "password") == NULL);
	} else {
		FUZZ_CHECK(status >= 200 && status < 300);
		FUZZ_CHECK(sec.code == 0);
		FUZZ_CHECK(sec.lease_duration >= 0);
		for (size_t i = 0; i < sec.n_fields; i++) {
			const vs_field *f = &sec.fields[i];
			FUZZ_CHECK(f->key && f->value);
			/* the first field of that name answers */
			FUZZ_CHECK(vs_secret_field(&sec, f->key) != NULL);
		}
		if (sec.lease_id)
			FUZZ_CHECK(sec.lease_id[0] != '\0');
		(void)vs_secret_field(&sec, "password");
	}
	if (kv == 2)
		FUZZ_CHECK(sec.kv_version_no >= 0);
	vs_secret_clear(&sec);
	FUZZ_CHECK(!memcmp(&sec, &zero, sizeof sec));
	return 0;
}
