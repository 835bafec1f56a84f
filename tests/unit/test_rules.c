/* The rules written once in the core and used by several fronts: comma
 * lists, write-all loops, mode names, the timeout precedence. */
#define _GNU_SOURCE
#include "suites.h"
#include "core/vs_config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

START_TEST(test_list_items)
{
	const char *p = "a,,bc,", *it;
	size_t n;
	char got[64] = "";

	while (vs_list_next(&p, &it, &n))
		snprintf(got + strlen(got), sizeof got - strlen(got), "[%.*s]", (int)n, it);
	ck_assert_str_eq(got, "[a][][bc]");
	p = "";
	ck_assert(!vs_list_next(&p, &it, &n));
	p = NULL;
	ck_assert(!vs_list_next(&p, &it, &n));
	ck_assert(vs_list_has("DB_PASS,API", "API", 3));
	ck_assert(vs_list_has("DB_PASS,API", "DB_PASS", 7));
	ck_assert(!vs_list_has("DB_PASS,API", "DB", 2));
	ck_assert(!vs_list_has("DB_PASS,API", "API_KEY", 7));
	ck_assert(!vs_list_has(NULL, "A", 1));
}
END_TEST

START_TEST(test_write_all)
{
	char path[] = "/tmp/vs-rules-XXXXXX", buf[16] = "";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(vs_write_all(fd, "hello world", 11), 0);
	ck_assert_int_eq(vs_pwrite_all(fd, "W", 1, 6), 0);
	ck_assert_int_eq(pread(fd, buf, sizeof buf - 1, 0), 11);
	ck_assert_str_eq(buf, "hello World");
	ck_assert_int_eq(vs_pwrite_all(fd, "x", 1, -1), -1);
	close(fd);
	fd = open("/dev/full", O_WRONLY);
	if (fd >= 0) {
		ck_assert_int_eq(vs_write_all(fd, "x", 1), -1);
		close(fd);
	}
}
END_TEST

START_TEST(test_mode_names)
{
	vs_mode m = VS_MODE_AUTO;

	ck_assert_int_eq(vs_mode_parse("lazy", &m), 0);
	ck_assert_int_eq(m, VS_MODE_LAZY);
	ck_assert_int_eq(vs_mode_parse("eager", &m), 0);
	ck_assert_int_eq(m, VS_MODE_EAGER);
	ck_assert_int_eq(vs_mode_parse("auto", &m), 0);
	ck_assert_int_eq(m, VS_MODE_AUTO);
	ck_assert_int_eq(vs_mode_parse("Lazy", &m), -1);
	ck_assert_int_eq(vs_mode_parse("", &m), -1);
	ck_assert_int_eq(vs_mode_parse(NULL, &m), -1);
	for (vs_mode i = VS_MODE_AUTO; i <= VS_MODE_EAGER; i++) {
		ck_assert_int_eq(vs_mode_parse(vs_mode_name(i), &m), 0);
		ck_assert_int_eq(m, i);
	}
}
END_TEST

START_TEST(test_timeout_precedence)
{
	long ms = 0;

	ck_assert_int_eq(vs_timeout_ms(-1, NULL, &ms), 0);
	ck_assert_int_eq(ms, VS_DEFAULT_TIMEOUT_MS);
	ck_assert_int_eq(vs_timeout_ms(2500, "30s", &ms), 0); /* the config wins */
	ck_assert_int_eq(ms, 2500);
	ck_assert_int_eq(vs_timeout_ms(-1, "30s", &ms), 0);
	ck_assert_int_eq(ms, 30000);
	ck_assert_int_eq(vs_timeout_ms(-1, "0", &ms), 0); /* ignored, as by the Go client */
	ck_assert_int_eq(ms, VS_DEFAULT_TIMEOUT_MS);
	ck_assert_int_eq(vs_timeout_ms(-1, "", &ms), 0);
	ck_assert_int_eq(ms, VS_DEFAULT_TIMEOUT_MS);
	ck_assert_int_eq(vs_timeout_ms(-1, "soon", &ms), -1);
	ck_assert_int_eq(ms, VS_DEFAULT_TIMEOUT_MS);
	ck_assert_int_eq(vs_timeout_ms(4000, "soon", &ms), 0); /* not read when the config sets it */
	ck_assert_int_eq(ms, 4000);
}
END_TEST

START_TEST(test_path_absolute)
{
	char out[64], cwd[4096], want[4200], tiny[4];

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	ck_assert_int_eq(vs_path_absolute("/etc/app.conf", out, sizeof out), 0);
	ck_assert_str_eq(out, "/etc/app.conf");
	snprintf(want, sizeof want, "%s/app.conf", cwd);
	char big[4200];
	ck_assert_int_eq(vs_path_absolute("app.conf", big, sizeof big), 0);
	ck_assert_str_eq(big, want);
	/* the result does not fit: ENAMETOOLONG, errno untouched */
	errno = 0;
	ck_assert_int_eq(vs_path_absolute("app.conf", tiny, sizeof tiny), ENAMETOOLONG);
	ck_assert_int_eq(vs_path_absolute("/etc/app.conf", tiny, sizeof tiny), ENAMETOOLONG);
	ck_assert_int_eq(errno, 0);
}
END_TEST

Suite *rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_list_items);
	tcase_add_test(tc, test_write_all);
	tcase_add_test(tc, test_mode_names);
	tcase_add_test(tc, test_timeout_precedence);
	tcase_add_test(tc, test_path_absolute);
	suite_add_tcase(s, tc);
	return s;
}
