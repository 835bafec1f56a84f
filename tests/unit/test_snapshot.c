/* The hand-off snapshot (src/core/snapshot.c): what a process tree's first
 * resolver writes and every descendant reads must come back whole, and any
 * damaged or truncated block must be refused rather than half-read. */
#define _GNU_SOURCE
#include "suites.h"
#include "core/vs_snapshot.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *names[] = {"DB_PASSWORD", "API_KEY", "DB_USER"};
static const char *values[] = {"p4ss word\nline two", NULL, ""};
static const bool from_env[] = {false, false, true};
static const char *ambient[] = {NULL, "from-the-launch", NULL};

static vs_snapshot sample(bool resolved)
{
	vs_snapshot s = {.config_path = "/etc/app/vaultshim.conf", .eager_programs = "tclsh*",
			 .mode = 2, .inherit = true, .resolved = resolved, .timeout_ms = 2500,
			 .inputs = "APP_ENV\x01prod\x02REGION\x02", .n = 3,
			 .names = names, .values = values, .from_env = from_env, .ambient = ambient,
			 .config_text = "[env]\nDB_PASSWORD = secret/app#pw\n",
			 .refresh_ms = 90L * 24 * 3600 * 1000, /* past 32 bits of ms */
			 .resolved_at_ms = 1234567.0, .generation = 7, .failed_at_ms = 1234999.0,
			 .retry_ms = 49000};
	return s;
}

START_TEST(round_trip_resolved)
{
	vs_snapshot in = sample(true), out;
	size_t len = 0;
	char *buf = vs_snapshot_format(&in, &len);

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(vs_snapshot_parse(buf, len, &out), 0);
	ck_assert_str_eq(out.config_path, "/etc/app/vaultshim.conf");
	ck_assert_str_eq(out.eager_programs, "tclsh*");
	ck_assert_int_eq(out.mode, 2);
	ck_assert(out.inherit && out.resolved);
	ck_assert_uint_eq(out.n, 3);
	for (size_t i = 0; i < 3; i++)
		ck_assert_str_eq(out.names[i], names[i]);
	ck_assert_str_eq(out.values[0], values[0]); /* a newline survives */
	ck_assert_ptr_null(out.values[1]);          /* no source had one */
	ck_assert_str_eq(out.values[2], "");        /* empty is not missing */
	ck_assert(!out.from_env[0] && out.from_env[2]);
	ck_assert_ptr_null(out.ambient[0]);
	ck_assert_str_eq(out.ambient[1], "from-the-launch");
	ck_assert_int_eq(out.timeout_ms, 2500);
	ck_assert_str_eq(out.inputs, "APP_ENV\x01prod\x02REGION\x02");
	ck_assert_str_eq(out.config_text, "[env]\nDB_PASSWORD = secret/app#pw\n");
	/* refresh: the period, when the tree last resolved, and the count */
	ck_assert_int_eq(out.refresh_ms, 90L * 24 * 3600 * 1000);
	ck_assert(out.resolved_at_ms == 1234567.0);
	ck_assert_uint_eq(out.generation, 7);
	ck_assert(out.failed_at_ms == 1234999.0);
	ck_assert_int_eq(out.retry_ms, 49000);
	vs_snapshot_free(&out);
	ck_assert_ptr_null(out.buf);
	free(buf);
}
END_TEST

START_TEST(unresolved_has_names_no_values)
{
	vs_snapshot in = sample(false), out;
	size_t len = 0;
	char *buf = vs_snapshot_format(&in, &len);

	ck_assert_int_eq(vs_snapshot_parse(buf, len, &out), 0);
	ck_assert(!out.resolved);
	ck_assert_uint_eq(out.n, 3);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_str_eq(out.names[i], names[i]);
		ck_assert_ptr_null(out.values[i]);
	}
	/* the block holds no value at all */
	ck_assert_ptr_null(memmem(buf, len, "p4ss", 4));
	vs_snapshot_free(&out);
	free(buf);
}
END_TEST

START_TEST(every_truncation_is_refused)
{
	vs_snapshot in = sample(true), out;
	size_t len = 0;
	char *buf = vs_snapshot_format(&in, &len);

	for (size_t l = 0; l < len; l++) {
		ck_assert_msg(vs_snapshot_parse(buf, l, &out) == -1, "accepted %zu of %zu bytes", l, len);
		ck_assert_ptr_null(out.buf);
	}
	free(buf);
}
END_TEST

START_TEST(damage_is_refused)
{
	vs_snapshot in = sample(true), out;
	size_t len = 0;
	char *buf = vs_snapshot_format(&in, &len), *copy = malloc(len + 1);
	uint32_t huge = 0xffffffffu;

	/* a trailing byte, a bad magic, a count far beyond the data, a NUL
	 * inside a name */
	memcpy(copy, buf, len);
	copy[len] = 'x';
	ck_assert_int_eq(vs_snapshot_parse(copy, len + 1, &out), -1);
	memcpy(copy, buf, len);
	copy[0] = 'X';
	ck_assert_int_eq(vs_snapshot_parse(copy, len, &out), -1);
	memcpy(copy, buf, len);
	memcpy(copy + 8 + 16, &huge, 4); /* the count of names */
	ck_assert_int_eq(vs_snapshot_parse(copy, len, &out), -1);
	memcpy(copy, buf, len);
	((char *)memmem(copy, len, "API_KEY", 7))[3] = '\0';
	ck_assert_int_eq(vs_snapshot_parse(copy, len, &out), -1);
	free(copy);
	free(buf);
}
END_TEST

START_TEST(inputs_are_looked_up_by_name)
{
	/* (separate literals: "\x02E" would read as one hex escape) */
	const char *in = "APP_ENV\x01" "prod\x02" "REGION\x02" "EMPTY\x01\x02";
	char buf[32];
	bool found;

	ck_assert_str_eq(vs_snapshot_input(in, "APP_ENV", buf, sizeof buf, &found), "prod");
	ck_assert(found);
	ck_assert_ptr_null(vs_snapshot_input(in, "REGION", buf, sizeof buf, &found)); /* was unset */
	ck_assert(found);
	ck_assert_str_eq(vs_snapshot_input(in, "EMPTY", buf, sizeof buf, &found), "");
	ck_assert_ptr_null(vs_snapshot_input(in, "APP", buf, sizeof buf, &found)); /* no prefix match */
	ck_assert(!found);
}
END_TEST

START_TEST(empty_handoff_names_only_its_config)
{
	static const char text[] = "[env]\nA = s/a#b\n";
	char buf[128];
	size_t len = vs_snapshot_format_empty(buf, sizeof buf, "/etc/app/vaultshim.conf", 0);
	vs_snapshot out;

	ck_assert_uint_gt(len, 0);
	ck_assert_int_eq(vs_snapshot_parse(buf, len, &out), 0);
	ck_assert_str_eq(out.config_path, "/etc/app/vaultshim.conf");
	ck_assert_uint_eq(out.n, 0);
	ck_assert(!out.resolved && out.inherit);
	ck_assert_int_eq(out.timeout_ms, -1);
	ck_assert_str_eq(out.config_text, "");
	vs_snapshot_free(&out);
	/* too small a buffer: nothing written */
	ck_assert_uint_eq(vs_snapshot_format_empty(buf, len - 1, "/etc/app/vaultshim.conf", 0), 0);

	/* with the config's text, which the caller writes after the head */
	len = vs_snapshot_format_empty(buf, sizeof buf - (sizeof text - 1), "/etc/app/vaultshim.conf",
				       sizeof text - 1);
	ck_assert_uint_gt(len, 0);
	memcpy(buf + len, text, sizeof text - 1);
	ck_assert_int_eq(vs_snapshot_parse(buf, len + sizeof text - 1, &out), 0);
	ck_assert_str_eq(out.config_text, text);
	vs_snapshot_free(&out);
	/* without them it is not whole */
	ck_assert_int_eq(vs_snapshot_parse(buf, len, &out), -1);
}
END_TEST

START_TEST(inputs_are_added_once_and_walked)
{
	char in[64] = "";
	const char *p = in, *k, *v;
	size_t kl, vl;

	ck_assert(vs_snapshot_input_add(in, sizeof in, "APP_ENV", "prod"));
	ck_assert(vs_snapshot_input_add(in, sizeof in, "REGION", NULL));
	ck_assert(!vs_snapshot_input_add(in, sizeof in, "APP_ENV", "staging")); /* first one stays */
	ck_assert(!vs_snapshot_input_add(in, sizeof in, "BAD", "a\x02" "b")); /* a separator */
	ck_assert(!vs_snapshot_input_add(in, 20, "LONG", "0123456789"));         /* does not fit */
	ck_assert(vs_snapshot_input_next(&p, &k, &kl, &v, &vl));
	ck_assert(kl == 7 && !memcmp(k, "APP_ENV", 7) && vl == 4 && !memcmp(v, "prod", 4));
	ck_assert(vs_snapshot_input_next(&p, &k, &kl, &v, &vl));
	ck_assert(kl == 6 && !memcmp(k, "REGION", 6) && v == NULL);
	ck_assert(!vs_snapshot_input_next(&p, &k, &kl, &v, &vl));
}
END_TEST

/* The preload maps the head and reads the write count at a fixed offset;
 * the supervising launcher rewrites it in place. */
START_TEST(count_and_time_at_fixed_offsets)
{
	vs_snapshot in = sample(true);
	size_t len = 0;
	char *buf = vs_snapshot_format(&in, &len);
	uint32_t gen;
	uint64_t at;

	memcpy(&gen, buf + VS_SNAPSHOT_GEN_OFFSET, 4);
	memcpy(&at, buf + VS_SNAPSHOT_AT_OFFSET, 8);
	ck_assert_uint_eq(gen, 7);
	ck_assert_uint_eq(at, 1234567);
	free(buf);
}
END_TEST

START_TEST(mark_stale_in_place)
{
	vs_snapshot in = sample(true), out;
	size_t len = 0;
	char *buf = vs_snapshot_format(&in, &len), *back = malloc(len);
	int fd = memfd_create("t", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, buf, len, 0), (ssize_t)len);
	/* another config's hand-off is not touched */
	ck_assert_int_eq(vs_snapshot_mark_stale(fd, "/etc/other.conf", vs_now_ms() + 1000), 1);
	ck_assert_int_eq(pread(fd, back, len, 0), (ssize_t)len);
	ck_assert(!memcmp(back, buf, len));
	/* ours: time 0, count + 1, everything else as it was */
	ck_assert_int_eq(vs_snapshot_mark_stale(fd, "/etc/app/vaultshim.conf", vs_now_ms() + 1000), 0);
	ck_assert_int_eq(pread(fd, back, len, 0), (ssize_t)len);
	ck_assert_int_eq(vs_snapshot_parse(back, len, &out), 0);
	ck_assert(out.resolved_at_ms == 0);
	ck_assert(out.failed_at_ms == 0);
	ck_assert_int_eq(out.retry_ms, 0);
	ck_assert_uint_eq(out.generation, 8);
	ck_assert_str_eq(out.values[0], values[0]);
	ck_assert_int_eq(out.refresh_ms, in.refresh_ms);
	vs_snapshot_free(&out);
	/* one without values yet (nothing to mark) */
	free(buf);
	in = sample(false);
	buf = vs_snapshot_format(&in, &len);
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	ck_assert_int_eq(pwrite(fd, buf, len, 0), (ssize_t)len);
	ck_assert_int_eq(vs_snapshot_mark_stale(fd, "/etc/app/vaultshim.conf", vs_now_ms() + 1000), 1);
	close(fd);
	free(buf);
	free(back);
}
END_TEST

Suite *snapshot_suite(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, round_trip_resolved);
	tcase_add_test(tc, unresolved_has_names_no_values);
	tcase_add_test(tc, every_truncation_is_refused);
	tcase_add_test(tc, damage_is_refused);
	tcase_add_test(tc, inputs_are_looked_up_by_name);
	tcase_add_test(tc, empty_handoff_names_only_its_config);
	tcase_add_test(tc, inputs_are_added_once_and_walked);
	tcase_add_test(tc, count_and_time_at_fixed_offsets);
	tcase_add_test(tc, mark_stale_in_place);
	suite_add_tcase(s, tc);
	return s;
}
