/*
 * .env parser tests. Expected values follow python-dotenv (what the files
 * were written for); values are compared without printing them.
 */
#define _GNU_SOURCE
#include "suites.h"
#include "testlib.h"
#include "core/vs_dotenv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

static vs_dotenv *parse_len(const char *text, size_t len)
{
	vs_dotenv *d = NULL;
	vs_error err = {0};
	int rc = vs_dotenv_parse("t.env", text, len, &d, &err);

	ck_assert_msg(rc == VS_OK, "vs_dotenv_parse failed with %d: %s", rc, err.msg);
	ck_assert_ptr_nonnull(d);
	return d;
}

#define PARSE(text) parse_len((text), strlen(text))

/* The entry for key (the last one when repeated), or a test failure. */
static const vs_dotenv_entry *entry(const vs_dotenv *d, const char *key)
{
	for (size_t i = d->n; i-- > 0;)
		if (!strcmp(d->entries[i].key, key))
			return &d->entries[i];
	ck_abort_msg("no entry for %s", key);
	return NULL;
}

/* Compares a value without printing it. */
#define ASSERT_VALUE(d, key, expected)                                                       \
	do {                                                                                  \
		const char *v_ = vs_dotenv_get((d), (key));                                   \
		const char *x_ = (expected);                                                  \
		ck_assert_msg(v_ != NULL, "%s has no value", (key));                          \
		ck_assert_msg(strlen(v_) == strlen(x_) && !memcmp(v_, x_, strlen(x_)),        \
			      "value of %s differs from the expected one (%zu vs %zu bytes)", \
			      (key), strlen(v_), strlen(x_));                                 \
	} while (0)

#define ASSERT_NO_ISSUES(d) \
	ck_assert_msg((d)->n_issues == 0, "unexpected issue: %s", (d)->issues[0])

/* issue i is "t.env:LINE: ..." and holds word */
static void assert_issue(const vs_dotenv *d, size_t i, int line, const char *word)
{
	char prefix[64];

	ck_assert_msg(i < d->n_issues, "expected at least %zu issues, got %zu", i + 1, d->n_issues);
	snprintf(prefix, sizeof prefix, "t.env:%d: ", line);
	ck_assert_msg(!strncmp(d->issues[i], prefix, strlen(prefix)),
		      "issue '%s' does not start with '%s'", d->issues[i], prefix);
	ck_assert_msg(strstr(d->issues[i] + strlen(prefix), word), "issue '%s' lacks '%s'", d->issues[i], word);
}

/* ---- basic statements ---- */

START_TEST(test_key_value)
{
	vs_dotenv *d = PARSE("A=1\nB_2=two words\nlower=x\n");

	ck_assert_uint_eq(d->n, 3);
	ASSERT_NO_ISSUES(d);
	ck_assert_str_eq(d->entries[0].key, "A");
	ck_assert_str_eq(d->entries[1].key, "B_2");
	ck_assert_str_eq(d->entries[2].key, "lower");
	ASSERT_VALUE(d, "A", "1");
	ASSERT_VALUE(d, "B_2", "two words");
	ASSERT_VALUE(d, "lower", "x");
	ck_assert_int_eq(d->entries[0].line, 1);
	ck_assert_int_eq(d->entries[1].line, 2);
	ck_assert_int_eq(d->entries[2].line, 3);
	ck_assert(!d->entries[0].interpolation);
	vs_dotenv_free(d);
}
END_TEST

START_TEST(test_export)
{
	vs_dotenv *d = PARSE("export KEY=v\nexport\tK2=w\nexport   K3 = x\nexported=y\n");

	ck_assert_uint_eq(d->n, 4);
	ASSERT_NO_ISSUES(d);
	ck_assert_str_eq(d->entries[0].key, "KEY");
	ck_assert_str_eq(d->entries[1].key, "K2");
	ck_assert_str_eq(d->entries[2].key, "K3");
	/* only "export" followed by whitespace is the keyword */
	ck_assert_str_eq(d->entries[3].key, "exported");
	ASSERT_VALUE(d, "KEY", "v");
	ASSERT_VALUE(d, "K2", "w");
	ASSERT_VALUE(d, "K3", "x");
	ASSERT_VALUE(d, "exported", "y");
	vs_dotenv_free(d);
}
END_TEST

START_TEST(test_spaces_around_equals)
{
	vs_dotenv *d = PARSE("A = 1\nB\t=\t2  \n  C=3\nD =  spaced  value  \n");

	ck_assert_uint_eq(d->n, 4);
	ASSERT_NO_ISSUES(d);
	ASSERT_VALUE(d, "A", "1");
	ASSERT_VALUE(d, "B", "2");
	ASSERT_VALUE(d, "C", "3");
	ASSERT_VALUE(d, "D", "spaced  value");
	vs_dotenv_free(d);
}
END_TEST

START_TEST(test_blank_lines_and_comments)
{
	vs_dotenv *d = PARSE("\n# a comment\n   # indented comment\n\t\n\nA=1\n#B=2\n\n");

	ck_assert_uint_eq(d->n, 1);
	ASSERT_NO_ISSUES(d);
	ASSERT_VALUE(d, "A", "1");
	ck_assert_int_eq(d->entries[0].line, 6);
	ck_assert_ptr_null(vs_dotenv_get(d, "B"));
	vs_dotenv_free(d);
}
END_TEST

START_TEST(test_inline_comment)
{
	vs_dotenv *d = PARSE("A=x # comment\nB=a#b\nC=x\t# tab comment\nD=a #b #c\nE=#start\n");

	ASSERT_NO_ISSUES(d);
	ASSERT_VALUE(d, "A", "x");
	ASSERT_VALUE(d, "B", "a#b");
	ASSERT_VALUE(d, "C", "x");
	ASSERT_VALUE(d, "D", "a");
	/* python-dotenv: a '#' right after '=' is part of the value */
	ASSERT_VALUE(d, "E", "#start");
	vs_dotenv_free(d);
}
END_TEST

START_TEST(test_empty_value)
{
	vs_dotenv *d = PARSE("A=\nB=   \nC=\"\"\nD=''\nE= # only a comment\n");
	const char *keys[] = {"A", "B", "C", "D"};

	ck_assert_uint_eq(d->n, 5);
	ASSERT_NO_ISSUES(d);
	for (size_t i = 0; i < 4; i++) {
		ck_assert_msg(vs_dotenv_get(d, keys[i]) != NULL, "%s is unset, expected empty", keys[i]);
		ASSERT_VALUE(d, keys[i], "");
	}
	vs_dotenv_free(d);
}
END_TEST

START_TEST(test_bare_key)
{
	vs_dotenv *d = PARSE("A\nB # comment\n  C  \nD=1\n");

	ck_assert_uint_eq(d->n, 4);
	ASSERT_NO_ISSUES(d);
	ck_assert_str_eq(d->entries[0].key, "A");
	ck_assert_ptr_null(d->entries[0].value);
	ck_assert_str_eq(d->entries[1].key, "B");
	ck_assert_ptr_null(d->entries[1].value);
	ck_assert_str_eq(d->entries[2].key, "C");
	ck_assert_ptr_null(d->entries[2].value);
	ck_assert_int_eq(d->entries[2].line, 3);
	ck_assert_ptr_null(vs_dotenv_get(d, "A"));
	ASSERT_VALUE(d, "D", "1");
	vs_dotenv_free(d);
}
END_TEST

START_TEST(test_equals_in_value)
{
	vs_dotenv *d = PARSE("URL=postgres://u:p@h/db?a=b&c==d\nQ=\"x=y\"\n");

	ASSERT_NO_ISSUES(d);
	ck_assert_uint_eq(d->n, 2);
	ck_assert_str_eq(d->entries[0].key, "URL");
	ASSERT_VALUE(d, "URL", "postgres://u:p@h/db?a=b&c==d");
	ASSERT_VALUE(d, "Q", "x=y");
	vs_dotenv_free(d);
}
END_TEST

START_TEST(test_unicode_bytes)
{
	vs_dotenv *d = PARSE("NAME=h\xC3\xA9llo w\xC3\xB6rld \xE2\x9C\x93\n"
			     "Q=\"\xF0\x9F\x94\x91 key\"\n"
			     "S='\xE6\x97\xA5\xE6\x9C\xAC'\n");

	ASSERT_NO_ISSUES(d);
	ASSERT_VALUE(d, "NAME", "h\xC3\xA9llo w\xC3\xB6rld \xE2\x9C\x93");
	ASSERT_VALUE(d, "Q", "\xF0\x9F\x94\x91 key");
	ASSERT_VALUE(d, "S", "\xE6\x97\xA5\xE6\x9C\xAC");
	vs_dotenv_free(d);
}
END_TEST

START_TEST(test_later_duplicates_win)
{
	vs_dotenv *d = PARSE("A=1\nB=x\nA=2\nC=3\nC\n");

	ck_assert_uint_eq(d->n, 5);
	ASSERT_VALUE(d, "A", "2");
	ASSERT_VALUE(d, "B", "x");
	/* the first statement is still there, in file order */
	ck_assert_str_eq(d->entries[0].key, "A");
	ck_assert_str_eq(d->entries[0].value, "1");
	ck_assert_int_eq(entry(d, "A")->line, 3);
	/* a later bare NAME unsets */
	ck_assert_ptr_null(vs_dotenv_get(d, "C"));
	ck_assert_ptr_null(vs_dotenv_get(d, "MISSING"));
	ck_assert_ptr_null(vs_dotenv_get(d, "a"));
	vs_dotenv_free(d);
}
END_TEST

START_TEST(test_empty_input)
{
	vs_dotenv *d = PARSE("");

	ck_assert_uint_eq(d->n, 0);
	ck_assert_uint_eq(d->n_issues, 0);
	ck_assert_ptr_null(vs_dotenv_get(d, "A"));
	vs_dotenv_free(d);
	vs_dotenv_free(NULL);
}
END_TEST

/* ---- quotes ---- */

START_TEST(test_single_quotes)
{
	vs_dotenv *d = PARSE("A='it\\'s'\n"
			     "B='a\\\\b'\n"
			     "C='raw\\n\\t\\\"'\n"
			     "D='# not a comment'\n"
			     "E='  padded  '\n"
			     "F='x' # comment\n");

	ck_assert_uint_eq(d->n, 6);
	ASSERT_NO_ISSUES(d);
	ASSERT_VALUE(d, "A", "it's");
	ASSERT_VALUE(d, "B", "a\\b");
	/* other escapes stay as written */
	ASSERT_VALUE(d, "C", "raw\\n\\t\\\"");
	ASSERT_VALUE(d, "D", "# not a comment");
	ASSERT_VALUE(d, "E", "  padded  ");
	ASSERT_VALUE(d, "F", "x");
	vs_dotenv_free(d);
}
END_TEST

START_TEST(test_double_quotes)
{
	vs_dotenv *d = PARSE("A=\"l1\\nl2\\tq\\\"x\\\\y\"\n"
			     "B=\"# not a comment\"\n"
			     "C=\"x\" # comment\n"
			     "D=\"it's\"\n"
			     "E=\"  padded  \"\n"
			     "F=\"keep \\$ and \\d\"\n");

	ck_assert_uint_eq(d->n, 6);
	ASSERT_NO_ISSUES(d);
	ASSERT_VALUE(d, "A", "l1\nl2\tq\"x\\y");
	ASSERT_VALUE(d, "B", "# not a comment");
	ASSERT_VALUE(d, "C", "x");
	ASSERT_VALUE(d, "D", "it's");
	ASSERT_VALUE(d, "E", "  padded  ");
	/* unknown escapes are kept with their backslash */
	ASSERT_VALUE(d, "F", "keep \\$ and \\d");
	vs_dotenv_free(d);
}
END_TEST

static const char pem_text[] =
	"A=1\n"
	"CERT=\"-----BEGIN CERTIFICATE-----\n"
	"MIIBszCCAVmgAwIBAgIUexample\n"
	"-----END CERTIFICATE-----\"\n"
	"B=2\n"
	"S='line one\n"
	"line two'\n"
	"=orphan\n"
	"C=3\n";

START_TEST(test_multiline_values)
{
	vs_dotenv *d = PARSE(pem_text);

	ck_assert_uint_eq(d->n, 5);
	ASSERT_VALUE(d, "CERT", "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUexample\n-----END CERTIFICATE-----");
	ASSERT_VALUE(d, "S", "line one\nline two");
	ASSERT_VALUE(d, "B", "2");
	ASSERT_VALUE(d, "C", "3");
	ck_assert_int_eq(entry(d, "A")->line, 1);
	ck_assert_int_eq(entry(d, "CERT")->line, 2);
	ck_assert_int_eq(entry(d, "B")->line, 5);
	ck_assert_int_eq(entry(d, "S")->line, 6);
	ck_assert_int_eq(entry(d, "C")->line, 9);
	ck_assert_uint_eq(d->n_issues, 1);
	assert_issue(d, 0, 8, "expected");
	vs_dotenv_free(d);
}
END_TEST

/* ---- line endings, BOM, interpolation ---- */

START_TEST(test_crlf)
{
	vs_dotenv *d = PARSE("A=1\r\nB=\"two\"\r\nC='3'\r\nD\r\n# c\r\n\r\nE=x # c\r\nF=\r\nG=\"q\" # c\r\n");

	ck_assert_uint_eq(d->n, 7);
	ASSERT_NO_ISSUES(d);
	ASSERT_VALUE(d, "A", "1");
	ASSERT_VALUE(d, "B", "two");
	ASSERT_VALUE(d, "C", "3");
	ck_assert_ptr_null(vs_dotenv_get(d, "D"));
	ck_assert_str_eq(entry(d, "D")->key, "D");
	ASSERT_VALUE(d, "E", "x");
	ASSERT_VALUE(d, "F", "");
	ASSERT_VALUE(d, "G", "q");
	ck_assert_int_eq(entry(d, "E")->line, 7);
	ck_assert_int_eq(entry(d, "G")->line, 9);
	vs_dotenv_free(d);
}
END_TEST

START_TEST(test_crlf_multiline_value)
{
	/* python-dotenv reads files with universal newlines: a quoted value
	 * spanning CRLF lines holds "\n", not "\r\n" */
	vs_dotenv *d = PARSE("K=\"l1\r\nl2\"\r\nN=1\r\n");
	const char *k;
	size_t klen;
	bool lf;

	ASSERT_NO_ISSUES(d);
	ASSERT_VALUE(d, "N", "1");
	ck_assert_int_eq(entry(d, "N")->line, 3);
	k = vs_dotenv_get(d, "K");
	ck_assert_msg(k != NULL, "K has no value");
	klen = strlen(k);
	lf = !strcmp(k, "l1\nl2");
	/* freed before the verdict so a failure leaks nothing under valgrind */
	vs_dotenv_free(d);
	ck_assert_msg(lf, "value of K differs from the expected one (%zu vs 5 bytes)", klen);
}
END_TEST

START_TEST(test_bom)
{
	vs_dotenv *d = PARSE("\xEF\xBB\xBF" "A=1\nB=2");

	ck_assert_uint_eq(d->n, 2);
	ASSERT_NO_ISSUES(d);
	ck_assert_str_eq(d->entries[0].key, "A");
	ASSERT_VALUE(d, "A", "1");
	ASSERT_VALUE(d, "B", "2");
	ck_assert_int_eq(d->entries[0].line, 1);
	ck_assert_int_eq(d->entries[1].line, 2);
	vs_dotenv_free(d);
}
END_TEST

START_TEST(test_interpolation_kept_literally)
{
	vs_dotenv *d = PARSE("A=${HOME}/x\n"
			     "B=$(whoami)\n"
			     "C=\"${USER}-db\"\n"
			     "D='${USER}'\n"
			     "E=plain$\n"
			     "F=cost $5\n"
			     "G='$(id)'\n"
			     "H=\"$(id)\"\n");

	ck_assert_uint_eq(d->n, 8);
	ASSERT_NO_ISSUES(d);
	ASSERT_VALUE(d, "A", "${HOME}/x");
	ASSERT_VALUE(d, "B", "$(whoami)");
	ASSERT_VALUE(d, "C", "${USER}-db");
	ASSERT_VALUE(d, "D", "${USER}");
	ASSERT_VALUE(d, "E", "plain$");
	ASSERT_VALUE(d, "F", "cost $5");
	ASSERT_VALUE(d, "G", "$(id)");
	ASSERT_VALUE(d, "H", "$(id)");
	ck_assert(entry(d, "A")->interpolation);
	ck_assert(entry(d, "B")->interpolation);
	ck_assert(entry(d, "C")->interpolation);
	ck_assert(!entry(d, "D")->interpolation);
	ck_assert(!entry(d, "E")->interpolation);
	ck_assert(!entry(d, "F")->interpolation);
	ck_assert(!entry(d, "G")->interpolation);
	ck_assert(entry(d, "H")->interpolation);
	vs_dotenv_free(d);
}
END_TEST

/* ---- byte ranges ---- */

/*
 * Checks that the statements' ranges are exactly `stmts` (in order) and that
 * cutting them out of text leaves exactly `rest`.
 */
static void check_ranges(const char *text, const char *const *stmts, size_t n, const char *rest)
{
	vs_dotenv *d = PARSE(text);
	size_t len = strlen(text), pos = 0, rlen = 0;
	char *left = malloc(len + 1);

	ck_assert_ptr_nonnull(left);
	ck_assert_uint_eq(d->n, n);
	for (size_t i = 0; i < n; i++) {
		const vs_dotenv_entry *e = &d->entries[i];
		const char *want = strstr(text + pos, stmts[i]);
		size_t wstart, wend;

		ck_assert_msg(want != NULL, "bad fixture: statement %zu not in text", i);
		wstart = (size_t)(want - text);
		wend = wstart + strlen(stmts[i]);
		ck_assert_msg(e->start == wstart && e->end == wend,
			      "statement %zu (%s, line %d): range [%zu,%zu), expected [%zu,%zu)",
			      i, e->key, e->line, e->start, e->end, wstart, wend);
		memcpy(left + rlen, text + pos, wstart - pos);
		rlen += wstart - pos;
		pos = wend;
	}
	memcpy(left + rlen, text + pos, len - pos);
	rlen += len - pos;
	left[rlen] = '\0';
	ck_assert_msg(!strcmp(left, rest), "what is left after cutting the statements differs");
	free(left);
	vs_dotenv_free(d);
}

START_TEST(test_ranges)
{
	static const char text[] =
		"# header comment\n"
		"\n"
		"  IND=1\n"
		"export EXP=\"two\" # c\n"
		"PEM=\"a\n"
		"b\n"
		"c\"\n"
		"# between\n"
		"BARE\n"
		"SQ='x'\n"
		"LAST=end";
	static const char *const stmts[] = {
		"  IND=1\n",
		"export EXP=\"two\" # c\n",
		"PEM=\"a\nb\nc\"\n",
		"BARE\n",
		"SQ='x'\n",
		"LAST=end",
	};

	check_ranges(text, stmts, 6, "# header comment\n\n# between\n");
}
END_TEST

START_TEST(test_ranges_crlf)
{
	static const char text[] = "A=1\r\n# c\r\nB=\"x\"\r\nC\r\nD=y # z\r\n";
	static const char *const stmts[] = {"A=1\r\n", "B=\"x\"\r\n", "C\r\n", "D=y # z\r\n"};

	check_ranges(text, stmts, 4, "# c\r\n");
}
END_TEST

START_TEST(test_ranges_line_numbers)
{
	vs_dotenv *d = PARSE("A=1\nM=\"1\n2\n3\"\nB=2\n\nC='x\ny'\nD=4\n");

	ck_assert_uint_eq(d->n, 5);
	ck_assert_int_eq(entry(d, "A")->line, 1);
	ck_assert_int_eq(entry(d, "M")->line, 2);
	ck_assert_int_eq(entry(d, "B")->line, 5);
	ck_assert_int_eq(entry(d, "C")->line, 7);
	ck_assert_int_eq(entry(d, "D")->line, 9);
	vs_dotenv_free(d);
}
END_TEST

/* ---- issues ---- */

START_TEST(test_issue_unterminated_quote)
{
	vs_dotenv *d = PARSE("A=1\nB=\"oops\nC=3\nD='also\nE=5\n");

	ck_assert_uint_eq(d->n_issues, 2);
	assert_issue(d, 0, 2, "unterminated");
	assert_issue(d, 1, 4, "unterminated");
	ck_assert_ptr_null(vs_dotenv_get(d, "B"));
	ck_assert_ptr_null(vs_dotenv_get(d, "D"));
	ASSERT_VALUE(d, "A", "1");
	ASSERT_VALUE(d, "C", "3");
	ASSERT_VALUE(d, "E", "5");
	ck_assert_int_eq(entry(d, "C")->line, 3);
	ck_assert_int_eq(entry(d, "E")->line, 5);
	ck_assert_uint_eq(d->n, 3);
	vs_dotenv_free(d);
}
END_TEST

START_TEST(test_issue_no_key)
{
	vs_dotenv *d = PARSE("A=1\n=value\n  = spaced\nB=2\n");

	ck_assert_uint_eq(d->n_issues, 2);
	assert_issue(d, 0, 2, "expected");
	assert_issue(d, 1, 3, "expected");
	ck_assert_uint_eq(d->n, 2);
	ASSERT_VALUE(d, "B", "2");
	ck_assert_int_eq(entry(d, "B")->line, 4);
	vs_dotenv_free(d);
}
END_TEST

START_TEST(test_issue_key_space_value)
{
	vs_dotenv *d = PARSE("# c\nKEY value\nNEXT=ok\n");

	ck_assert_uint_eq(d->n_issues, 1);
	assert_issue(d, 0, 2, "expected NAME=value");
	/* the line's words are not echoed: they may be part of a secret */
	ck_assert_ptr_null(strstr(d->issues[0], "value\n"));
	ck_assert_ptr_null(strstr(d->issues[0], "KEY"));
	ck_assert_uint_eq(d->n, 1);
	ck_assert_str_eq(d->entries[0].key, "NEXT");
	ASSERT_VALUE(d, "NEXT", "ok");
	vs_dotenv_free(d);
}
END_TEST

START_TEST(test_issue_text_after_quote)
{
	vs_dotenv *d = PARSE("A=\"x\" trailing\nB='y'z\nC=3\n");

	ck_assert_uint_eq(d->n_issues, 2);
	assert_issue(d, 0, 1, "after the quoted value");
	assert_issue(d, 1, 2, "after the quoted value");
	ck_assert_uint_eq(d->n, 1);
	ASSERT_VALUE(d, "C", "3");
	vs_dotenv_free(d);
}
END_TEST

START_TEST(test_issue_after_multiline)
{
	/* an issue after a multi-line value carries the right line number */
	vs_dotenv *d = PARSE("P=\"a\nb\nc\"\nbad line here\nQ=1\n");

	ck_assert_uint_eq(d->n_issues, 1);
	assert_issue(d, 0, 4, "expected NAME=value");
	ck_assert_ptr_null(strstr(d->issues[0], "bad"));
	ASSERT_VALUE(d, "Q", "1");
	ck_assert_int_eq(entry(d, "Q")->line, 5);
	vs_dotenv_free(d);
}
END_TEST

START_TEST(test_issue_never_holds_value)
{
	vs_dotenv *d = PARSE("PASSWORD=\"hunter2-Zq9\nTOKEN='s.AbCdEf' junk\n");

	ck_assert_uint_eq(d->n_issues, 2);
	for (size_t i = 0; i < d->n_issues; i++) {
		ck_assert_msg(!strstr(d->issues[i], "hunter2"), "issue %zu contains the value", i);
		ck_assert_msg(!strstr(d->issues[i], "AbCdEf"), "issue %zu contains the value", i);
	}
	assert_issue(d, 0, 1, "PASSWORD");
	assert_issue(d, 1, 2, "TOKEN");
	vs_dotenv_free(d);
}
END_TEST

START_TEST(test_too_large)
{
	size_t n = (size_t)VS_DOTENV_MAX + 1;
	char *text = malloc(n);
	vs_dotenv *d = NULL;
	vs_error err = {0};
	int rc;

	ck_assert_ptr_nonnull(text);
	for (size_t i = 0; i < n; i++)
		text[i] = (i % 64 == 63) ? '\n' : '#';
	rc = vs_dotenv_parse("big.env", text, n, &d, &err);
	ck_assert_int_eq(rc, VS_EX_CONFIG);
	ck_assert_ptr_null(d);
	ck_assert_msg(strstr(err.msg, "big.env") && strstr(err.msg, "larger than"),
		      "message '%s' lacks the file or the reason", err.msg);
	free(text);
}
END_TEST

/* ---- files ---- */

static char tmpdir[64];

static void files_setup(void)
{
	tl_tmpdir_make(tmpdir, sizeof tmpdir, "vs-dotenv-test");
}

static void files_teardown(void)
{
	tl_tmpdir_remove(tmpdir);
}

/* dir/name holding text, with this mode; its path, malloc'd */
static char *write_env(const char *name, const char *text, mode_t mode)
{
	char *path = tl_path(tmpdir, name);

	tl_write_text(path, text, mode);
	return path;
}

START_TEST(test_load_ok)
{
	char *path = write_env("ok.env", "# app\nexport DB_USER=app\nDB_PASSWORD=\"dev pw\"\n", 0600);
	vs_dotenv *d = NULL;
	vs_error err = {0};
	int rc = vs_dotenv_load(path, &d, &err);

	ck_assert_msg(rc == VS_OK, "loading failed: %s", err.msg);
	ck_assert_uint_eq(d->n, 2);
	ASSERT_VALUE(d, "DB_USER", "app");
	ASSERT_VALUE(d, "DB_PASSWORD", "dev pw");
	ck_assert_int_eq(entry(d, "DB_PASSWORD")->line, 3);
	vs_dotenv_free(d);
	free(path);
}
END_TEST

START_TEST(test_load_issues_name_path)
{
	char *path = write_env("issues.env", "A=1\nB=\"open\n", 0644);
	vs_dotenv *d = NULL;
	vs_error err = {0};
	char *prefix;
	int rc = vs_dotenv_load(path, &d, &err);

	ck_assert_msg(rc == VS_OK, "loading failed: %s", err.msg);
	ck_assert_uint_eq(d->n_issues, 1);
	ck_assert_int_ge(asprintf(&prefix, "%s:2: ", path), 0);
	ck_assert_msg(!strncmp(d->issues[0], prefix, strlen(prefix)), "issue '%s' does not start with '%s'",
		      d->issues[0], prefix);
	free(prefix);
	vs_dotenv_free(d);
	free(path);
}
END_TEST

START_TEST(test_load_refuses_group_writable)
{
	char *path = write_env("group.env", "A=1\n", 0660);
	vs_dotenv *d = NULL;
	vs_error err = {0};
	int rc = vs_dotenv_load(path, &d, &err);

	if (rc == VS_OK) {
		vs_dotenv_free(d);
		ck_abort_msg("a group-writable .env was accepted");
	}
	ck_assert_int_eq(rc, VS_EX_NOPERM);
	ck_assert_int_eq(err.code, VS_EX_NOPERM);
	ck_assert_ptr_null(d);
	ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, "writable"),
		      "message '%s' lacks the path or 'writable'", err.msg);
	free(path);
}
END_TEST

START_TEST(test_load_missing)
{
	char *path;
	vs_dotenv *d = NULL;
	vs_error err = {0};
	int rc;

	path = tl_path(tmpdir, "missing.env");
	rc = vs_dotenv_load(path, &d, &err);
	ck_assert_int_eq(rc, VS_EX_IOERR);
	ck_assert_ptr_null(d);
	ck_assert_msg(strstr(err.msg, path), "message '%s' does not name the file", err.msg);
	free(path);
}
END_TEST

START_TEST(test_nul_byte_refuses_the_file)
{
	static const char text[] = "A=1\nB=x\0y\nC=3\n";
	vs_dotenv *d = parse_len(text, sizeof text - 1);

	/* a NUL would cut a name or value short: nothing is taken, one issue */
	ck_assert_uint_eq(d->n, 0);
	ck_assert_uint_eq(d->n_issues, 1);
	ck_assert_str_eq(d->issues[0], "t.env:2: NUL byte; the file is not parsed");
	vs_dotenv_free(d);
}
END_TEST

Suite *dotenv_suite(void)
{
	Suite *s = suite_create("dotenv");
	TCase *basic = tcase_create("basic");
	TCase *quotes = tcase_create("quotes");
	TCase *format = tcase_create("format");
	TCase *ranges = tcase_create("ranges");
	TCase *issues = tcase_create("issues");
	TCase *files = tcase_create("files");

	tcase_add_test(basic, test_key_value);
	tcase_add_test(basic, test_export);
	tcase_add_test(basic, test_spaces_around_equals);
	tcase_add_test(basic, test_blank_lines_and_comments);
	tcase_add_test(basic, test_inline_comment);
	tcase_add_test(basic, test_empty_value);
	tcase_add_test(basic, test_bare_key);
	tcase_add_test(basic, test_equals_in_value);
	tcase_add_test(basic, test_unicode_bytes);
	tcase_add_test(basic, test_later_duplicates_win);
	tcase_add_test(basic, test_empty_input);
	suite_add_tcase(s, basic);

	tcase_add_test(quotes, test_single_quotes);
	tcase_add_test(quotes, test_double_quotes);
	tcase_add_test(quotes, test_multiline_values);
	suite_add_tcase(s, quotes);

	tcase_add_test(format, test_crlf);
	tcase_add_test(format, test_crlf_multiline_value);
	tcase_add_test(format, test_bom);
	tcase_add_test(format, test_interpolation_kept_literally);
	suite_add_tcase(s, format);

	tcase_add_test(ranges, test_ranges);
	tcase_add_test(ranges, test_ranges_crlf);
	tcase_add_test(ranges, test_ranges_line_numbers);
	suite_add_tcase(s, ranges);

	tcase_add_test(issues, test_issue_unterminated_quote);
	tcase_add_test(issues, test_issue_no_key);
	tcase_add_test(issues, test_issue_key_space_value);
	tcase_add_test(issues, test_issue_text_after_quote);
	tcase_add_test(issues, test_issue_after_multiline);
	tcase_add_test(issues, test_issue_never_holds_value);
	tcase_add_test(issues, test_too_large);
	suite_add_tcase(s, issues);

	tcase_add_unchecked_fixture(files, files_setup, files_teardown);
	tcase_add_test(files, test_load_ok);
	tcase_add_test(files, test_load_issues_name_path);
	tcase_add_test(files, test_load_refuses_group_writable);
	tcase_add_test(files, test_load_missing);
	tcase_add_test(files, test_nul_byte_refuses_the_file);
	suite_add_tcase(s, files);

	return s;
}
