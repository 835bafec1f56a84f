/* The rules the core writes once for several of its files: bounded copies,
 * the byte order mark, the reason a NUL-holding field gives no value (the
 * resolver's and the helper's record), and the auth names the parser and
 * vs_auth_name share. */
#define _GNU_SOURCE
#include "suites.h"
#include "core/vs_config.h"
#include "core/vs_resolve.h"
#include "core/vs_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_copy_bounded)
{
	char buf[4] = "xyz";

	ck_assert(vs_copy_bounded(buf, sizeof buf, "abcdef", 3));
	ck_assert_str_eq(buf, "abc");
	/* no room for the NUL: refused whole, the buffer as it was */
	ck_assert(!vs_copy_bounded(buf, sizeof buf, "wxyz", 4));
	ck_assert_str_eq(buf, "abc");
	ck_assert(vs_copy_bounded(buf, sizeof buf, "", 0));
	ck_assert_str_eq(buf, "");
	ck_assert(!vs_copy_bounded(buf, 0, "", 0));
}
END_TEST

START_TEST(test_bom)
{
	ck_assert_uint_eq(vs_bom_len("\xEF\xBB\xBF[env]", 8), 3);
	ck_assert_uint_eq(vs_bom_len("\xEF\xBB", 2), 0);
	ck_assert_uint_eq(vs_bom_len("[env]", 5), 0);
	ck_assert_uint_eq(vs_bom_len("", 0), 0);
}
END_TEST

static vs_config *one_entry(const char *field)
{
	char *text = NULL;
	vs_config *cfg = NULL;
	vs_error err = {0};

	ck_assert_int_gt(asprintf(&text, "[env]\nA = secret/app#%s\n", field), 0);
	ck_assert_int_eq(vs_config_parse("/t.conf", text, strlen(text), NULL, NULL, &cfg, &err), 0);
	free(text);
	return cfg;
}

/* A read of entry 0 whose field holds a NUL byte. */
static void nul_read(const vs_config *cfg, vs_secret *s)
{
	memset(s, 0, sizeof *s);
	s->fields = calloc(1, sizeof *s->fields);
	s->fields[0].key = strdup(cfg->entries[0].field);
	s->fields[0].value = strdup("cut");
	s->fields[0].nul = true;
	s->n_fields = 1;
}

START_TEST(test_nul_reason)
{
	vs_config *cfg = one_entry("pw");
	vs_secret s;
	char buf[VS_ERR_MAX];

	nul_read(cfg, &s);
	ck_assert_uint_eq(vs_nul_field_reason(buf, sizeof buf, &s, &cfg->entries[0]), strlen(buf));
	ck_assert_str_eq(buf, "secret/app: field 'pw' holds a NUL byte, which no environment variable can carry");
	ck_assert_uint_eq(vs_nul_field_reason(buf, 8, &s, &cfg->entries[0]), 7);
	ck_assert_str_eq(buf, "secret/");
	vs_secret_clear(&s);
	vs_config_free(cfg);
}
END_TEST

/* A reason longer than the message room: the helper's record holds what
 * the resolver would say (cut at VS_ERR_MAX), and reads back as it. */
START_TEST(test_nul_reason_long)
{
	char field[2 * VS_ERR_MAX];
	vs_config *cfg;
	vs_secret s, back = {0};
	vs_error err = {0};
	char want[VS_ERR_MAX], *wire;
	size_t len = 0;
	int batch = -1;

	memset(field, 'f', sizeof field - 1);
	field[sizeof field - 1] = '\0';
	cfg = one_entry(field);
	nul_read(cfg, &s);
	vs_nul_field_reason(want, sizeof want, &s, &cfg->entries[0]);
	ck_assert_uint_eq(strlen(want), VS_ERR_MAX - 1);
	wire = vs_helper_format(cfg, &s, 0, NULL, 1, &len);
	ck_assert_ptr_nonnull(wire);
	ck_assert_int_eq(vs_helper_parse(cfg, wire, len, &back, &batch, &err), 0);
	ck_assert_int_eq(back.code, VS_EX_MISSING);
	ck_assert_str_eq(back.err, want);
	free(wire);
	vs_secret_clear(&back);
	vs_secret_clear(&s);
	vs_config_free(cfg);
}
END_TEST

START_TEST(test_auth_names)
{
	static const char *const names[] = {"token", "approle", "kubernetes", "jwt"};

	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		char text[64];
		vs_config *cfg = NULL;
		vs_error err = {0};
		int n = snprintf(text, sizeof text, "[vault]\nauth = %s\n", names[i]);
		ck_assert_int_eq(vs_config_parse("/t.conf", text, (size_t)n, NULL, NULL, &cfg, &err), 0);
		ck_assert(cfg->vault.auth_set);
		ck_assert_str_eq(vs_auth_name(cfg->vault.auth), names[i]);
		vs_config_free(cfg);
	}
	ck_assert_str_eq(vs_auth_name((vs_auth_method)99), "token");
}
END_TEST

Suite *core_rules_suite(void)
{
	Suite *s = suite_create("core_rules");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_copy_bounded);
	tcase_add_test(tc, test_bom);
	tcase_add_test(tc, test_nul_reason);
	tcase_add_test(tc, test_nul_reason_long);
	tcase_add_test(tc, test_auth_names);
	suite_add_tcase(s, tc);
	return s;
}
