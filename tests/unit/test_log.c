/* The log line formatter (src/core/log.c) and the audit key of the config: the
 * escaping a JSON reader relies on, and what a line holds. */
#include "suites.h"
#include "core/vs_config.h"
#include "core/vs_log.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char *esc(const char *s, size_t size)
{
	static char buf[256];
	size_t pos = 0;

	buf[0] = '\0';
	vs_json_escape(buf, size, &pos, s);
	ck_assert_uint_eq(pos, strlen(buf));
	return buf;
}

START_TEST(test_json_escape)
{
	ck_assert_str_eq(esc("a\"b\\c", 256), "a\\\"b\\\\c");
	ck_assert_str_eq(esc("tab\tnl\nesc\x1b del\x7f", 256), "tab\\u0009nl\\u000aesc\\u001b del\\u007f");
	/* UTF-8 kept; a stray byte, an overlong form and a surrogate are not UTF-8 */
	ck_assert_str_eq(esc("caf\xc3\xa9", 256), "caf\xc3\xa9");
	ck_assert_str_eq(esc("x\xffy", 256), "x\\ufffdy");
	ck_assert_str_eq(esc("\xc0\xaf", 256), "\\ufffd\\ufffd");
	ck_assert_str_eq(esc("\xed\xa0\x80", 256), "\\ufffd\\ufffd\\ufffd");
	/* cut short, never in the middle of a sequence */
	ck_assert_str_eq(esc("ab\xc3\xa9", 4), "ab");
	/* nor in the middle of an escape (a lone backslash would escape the
	 * closing quote) */
	ck_assert_str_eq(esc("ab\"c", 4), "ab");
	ck_assert_str_eq(esc("ab\\c", 4), "ab");
	ck_assert_str_eq(esc("a\x01", 6), "a");
	ck_assert_str_eq(esc("a\xff", 7), "a");
	ck_assert_str_eq(esc("a\x01", 8), "a\\u0001");
}
END_TEST

START_TEST(test_text_line)
{
	char line[256], want[128];

	vs_log_set_prog("psql", 0);
	ck_assert_int_eq(vs_log_setup("warn", "text", NULL, false), 0);
	vs_log_format_line(line, sizeof line, VS_LOG_WARN, "a message", false);
	snprintf(want, sizeof want, "vaultshim[%ld] psql: warn: a message\n", (long)getpid());
	ck_assert_str_eq(line, want);
	/* the journal: the priority, no level word */
	vs_log_format_line(line, sizeof line, VS_LOG_ERROR, "broken", true);
	snprintf(want, sizeof want, "<3>vaultshim[%ld] psql: broken\n", (long)getpid());
	ck_assert_str_eq(line, want);
	/* the helper speaks for its host */
	vs_log_set_prog("app", 4242);
	vs_log_format_line(line, sizeof line, VS_LOG_DEBUG, "m", true);
	ck_assert_str_eq(line, "<7>vaultshim[4242] app: m\n");
	/* a long message is cut, the line still ends with its newline */
	vs_log_format_line(line, 32, VS_LOG_INFO, "0123456789012345678901234567890123456789", false);
	ck_assert_uint_eq(strlen(line), 31);
	ck_assert_int_eq(line[30], '\n');
}
END_TEST

START_TEST(test_json_line)
{
	char line[512];

	vs_log_set_prog("a\"b", 7);
	ck_assert_int_eq(vs_log_setup("Debug", "JSON", NULL, false), 0);
	vs_log_format_line(line, sizeof line, VS_LOG_INFO, "path \"x\"\n", false);
	ck_assert_ptr_nonnull(strstr(line, "\"pid\":7,\"prog\":\"a\\\"b\",\"level\":\"info\","
					   "\"msg\":\"path \\\"x\\\"\\u000a\"}\n"));
	ck_assert_int_eq(strncmp(line, "{\"time\":\"", 9), 0);
	/* cut short, a JSON line still closes */
	vs_log_format_line(line, 140, VS_LOG_INFO, "0123456789012345678901234567890123456789012345678901234567890123456789", false);
	ck_assert_uint_eq(strlen(line), 139);
	ck_assert_int_eq(strcmp(line + strlen(line) - 3, "\"}\n"), 0);
}
END_TEST

START_TEST(test_bad_settings)
{
	ck_assert_int_eq(vs_log_setup("loud", NULL, NULL, true), VS_LOG_BAD_LEVEL);
	ck_assert(vs_log_enabled(VS_LOG_WARN) && !vs_log_enabled(VS_LOG_INFO));
	ck_assert_int_eq(vs_log_setup(NULL, "yaml", NULL, true), VS_LOG_BAD_FORMAT);
	ck_assert_int_eq(vs_log_setup("OFF", "Text", "12:34", false), 0);
	ck_assert(!vs_log_enabled(VS_LOG_ERROR));
}
END_TEST

static vs_config *parse(const char *text, vs_error *err)
{
	vs_config *cfg = NULL;

	memset(err, 0, sizeof *err);
	if (vs_config_parse("/etc/app/v.conf", text, strlen(text), vs_libc_getenv, NULL, &cfg, err))
		return NULL;
	return cfg;
}

START_TEST(test_audit_key)
{
	vs_error err;
	vs_config *cfg;

	cfg = parse("[options]\naudit = trail/a.log\n", &err);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_int_eq(cfg->options.audit, VS_AUDIT_FILE);
	ck_assert_str_eq(cfg->options.audit_file, "/etc/app/trail/a.log");
	ck_assert_int_eq(cfg->options.audit_line, 2);
	vs_config_free(cfg);
	cfg = parse("[options]\n\naudit = syslog\n", &err);
	ck_assert_int_eq(cfg->options.audit, VS_AUDIT_SYSLOG);
	ck_assert_int_eq(cfg->options.audit_line, 3);
	vs_config_free(cfg);
	cfg = parse("[options]\naudit = off\n", &err);
	ck_assert_int_eq(cfg->options.audit, VS_AUDIT_OFF);
	vs_config_free(cfg);
	cfg = parse("[options]\n", &err);
	ck_assert_int_eq(cfg->options.audit, VS_AUDIT_OFF);
	vs_config_free(cfg);
	ck_assert_ptr_null(parse("[options]\naudit =\n", &err));
	ck_assert_str_eq(err.msg, "/etc/app/v.conf:2: empty value for 'audit'");
}
END_TEST

Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, test_json_escape);
	tcase_add_test(tc, test_text_line);
	tcase_add_test(tc, test_json_line);
	tcase_add_test(tc, test_bad_settings);
	tcase_add_test(tc, test_audit_key);
	suite_add_tcase(s, tc);
	return s;
}
