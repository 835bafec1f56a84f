#define _GNU_SOURCE
#include "vs_dotenv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	const char *path;
	const char *text, *end, *s;
	int line;
	vs_dotenv *d;
	size_t cap, icap;
	vs_buf val;               /* the value being read (a secret) */
	bool oom;
} dparser;

static void vput(dparser *p, char c)
{
	vs_buf_put(&p->val, &c, 1);
}

static bool sp(char c)
{
	return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

static void skip_sp(dparser *p)
{
	while (p->s < p->end && sp(*p->s))
		p->s++;
}

static void issue(dparser *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void issue(dparser *p, int line, const char *fmt, ...)
{
	char reason[256], *msg;
	va_list ap;

	if (p->oom)
		return;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	if (asprintf(&msg, "%s:%d: %s", p->path, line, reason) < 0) {
		p->oom = true;
		return;
	}
	if (p->d->n_issues == p->icap) {
		size_t cap = p->icap ? p->icap * 2 : 8;
		char **n = realloc(p->d->issues, cap * sizeof *n);
		if (!n) {
			free(msg);
			p->oom = true;
			return;
		}
		p->d->issues = n;
		p->icap = cap;
	}
	p->d->issues[p->d->n_issues++] = msg;
}

/* Advances past the rest of the current line, counting the newline. */
static void skip_line(dparser *p)
{
	while (p->s < p->end && *p->s != '\n')
		p->s++;
	if (p->s < p->end) {
		p->s++;
		p->line++;
	}
}

/* After a value: optional spaces, optional comment, then end of line. */
static bool rest_of_line_ok(dparser *p)
{
	skip_sp(p);
	if (p->s < p->end && *p->s == '#') {
		skip_line(p);
		return true;
	}
	if (p->s < p->end && *p->s == '\r' && p->s + 1 < p->end && p->s[1] == '\n')
		p->s++;
	if (p->s >= p->end)
		return true;
	if (*p->s == '\n') {
		p->s++;
		p->line++;
		return true;
	}
	return false;
}

static bool looks_interpolated(const char *v, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (v[i] == '$' && (v[i + 1] == '{' || v[i + 1] == '('))
			return true;
	return false;
}

/* Quoted value starting at p->s (the quote). Returns false when unterminated. */
static bool quoted(dparser *p, char q)
{
	p->s++;
	while (p->s < p->end && *p->s != q) {
		char c = *p->s;
		if (c == '\\' && p->s + 1 < p->end) {
			char n = p->s[1], out = 0;
			if (q == '\'') {
				if (n == '\'' || n == '\\')
					out = n;
			} else {
				switch (n) {
				case '\\': out = '\\'; break;
				case '\'': out = '\''; break;
				case '"': out = '"'; break;
				case 'a': out = '\a'; break;
				case 'b': out = '\b'; break;
				case 'f': out = '\f'; break;
				case 'n': out = '\n'; break;
				case 'r': out = '\r'; break;
				case 't': out = '\t'; break;
				case 'v': out = '\v'; break;
				default: break;
				}
			}
			if (out) {
				vput(p, out);
				p->s += 2;
				continue;
			}
		}
		/* line breaks inside quotes read as python-dotenv's universal
		 * newlines: CRLF and a lone CR both become LF */
		if (c == '\r') {
			if (p->s + 1 < p->end && p->s[1] == '\n')
				p->s++;
			c = '\n';
		}
		if (c == '\n')
			p->line++;
		vput(p, c);
		p->s++;
	}
	if (p->s >= p->end)
		return false;
	p->s++;
	return true;
}

static int add_entry(dparser *p, const char *key, size_t klen, bool has_value,
		     int line, const char *start, bool interp)
{
	vs_dotenv_entry *e;

	if (p->d->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 32;
		vs_dotenv_entry *n = realloc(p->d->entries, cap * sizeof *n);
		if (!n)
			return -1;
		p->d->entries = n;
		p->cap = cap;
	}
	e = &p->d->entries[p->d->n];
	memset(e, 0, sizeof *e);
	if (!(e->key = strndup(key, klen)))
		return -1;
	if (p->val.oom) {
		free(e->key);
		return -1;
	}
	if (has_value && !(e->value = strdup(p->val.p ? p->val.p : ""))) {
		free(e->key);
		return -1;
	}
	e->line = line;
	e->start = (size_t)(start - p->text);
	e->end = (size_t)(p->s - p->text);
	e->interpolation = interp;
	p->d->n++;
	return 0;
}

/* The name, quoted ('NAME') or bare, into *key..*key_end; false (and the
 * issue said) when it is unterminated or empty. */
static bool read_key(dparser *p, int line, const char **key, const char **key_end)
{
	if (p->s < p->end && *p->s == '\'') {
		*key = ++p->s;
		while (p->s < p->end && *p->s != '\'' && *p->s != '\n')
			p->s++;
		if (p->s >= p->end || *p->s != '\'') {
			issue(p, line, "unterminated quoted name");
			skip_line(p);
			return false;
		}
		*key_end = p->s++;
	} else {
		*key = p->s;
		while (p->s < p->end && *p->s != '=' && *p->s != '#' && *p->s != '\n' &&
		       *p->s != '\r' && !sp(*p->s))
			p->s++;
		*key_end = p->s;
	}
	if (*key_end == *key) {
		issue(p, line, "expected NAME=value");
		skip_line(p);
		return false;
	}
	return true;
}

/* A quoted value at p->s, and the rest of its line; false (and the issue
 * said) when it is unterminated or followed by text. start and line: the
 * statement's. */
static bool quoted_value(dparser *p, const char *start, int line, const char *key, int klen, bool *interp)
{
	char q = *p->s;

	if (!quoted(p, q)) {
		issue(p, line, "unterminated %s quote in value of '%.*s'", q == '"' ? "double" : "single", klen, key);
		/* resume after the opening line so one bad quote loses one line */
		p->s = start;
		p->line = line;
		skip_line(p);
		return false;
	}
	if (q == '"')
		*interp = looks_interpolated(p->val.p ? p->val.p : "", p->val.len);
	if (!rest_of_line_ok(p)) {
		issue(p, line, "unexpected text after the quoted value of '%.*s'", klen, key);
		skip_line(p);
		return false;
	}
	return true;
}

/* A bare value: the rest of the line, up to an inline comment, trimmed.
 * Returns whether it looks interpolated. */
static bool bare_value(dparser *p)
{
	const char *v = p->s, *e;

	while (p->s < p->end && *p->s != '\n')
		p->s++;
	e = p->s;
	if (e > v && e[-1] == '\r')
		e--;
	/* an inline comment needs whitespace before its '#' */
	for (const char *c = v; c < e; c++)
		if (*c == '#' && c > v && sp(c[-1])) {
			e = c;
			break;
		}
	while (e > v && sp(e[-1]))
		e--;
	for (const char *c = v; c < e; c++)
		vput(p, *c);
	skip_line(p);
	return looks_interpolated(v, (size_t)(e - v));
}

static void statement(dparser *p)
{
	const char *start = p->s, *key, *key_end;
	int line = p->line;
	bool interp = false;

	vs_buf_reset(&p->val);
	skip_sp(p);
	if (p->s >= p->end)
		return;
	if (*p->s == '\n' || (*p->s == '\r' && p->s + 1 < p->end && p->s[1] == '\n') ||
	    *p->s == '#') {
		skip_line(p);
		return;
	}
	if ((size_t)(p->end - p->s) > 7 && !memcmp(p->s, "export", 6) && sp(p->s[6])) {
		p->s += 7;
		skip_sp(p);
	}
	if (!read_key(p, line, &key, &key_end))
		return;
	skip_sp(p);
	if (p->s >= p->end || *p->s != '=') {
		/* a bare NAME (python-dotenv: value None) or garbage after the name */
		if (rest_of_line_ok(p)) {
			if (add_entry(p, key, (size_t)(key_end - key), false, line, start, false))
				p->oom = true;
		} else {
			/* the word is not echoed: after an unterminated quote this
			 * line may be part of a multi-line secret */
			issue(p, line, "expected NAME=value");
			skip_line(p);
		}
		return;
	}
	p->s++;
	skip_sp(p);
	if (p->s < p->end && (*p->s == '"' || *p->s == '\'')) {
		if (!quoted_value(p, start, line, key, (int)(key_end - key), &interp))
			return;
	} else {
		interp = bare_value(p);
	}
	if (add_entry(p, key, (size_t)(key_end - key), true, line, start, interp))
		p->oom = true;
}

int vs_dotenv_parse(const char *path, const char *text, size_t len,
		    vs_dotenv **out, vs_error *err)
{
	dparser p = {.path = path, .text = text, .end = text + len, .s = text, .line = 1};
	int rc = 0;

	*out = NULL;
	if (len > VS_DOTENV_MAX)
		return vs_fail(err, VS_EX_CONFIG, "%s: file larger than %d bytes", path, VS_DOTENV_MAX);
	if (!(p.d = calloc(1, sizeof *p.d)))
		return vs_fail(err, VS_EX_SOFTWARE, "%s: out of memory", path);
	p.s += vs_bom_len(text, len);
	{
		/* a NUL byte would cut a name or value short: the file is refused
		 * as unparseable, as the config parser does */
		const char *nul = memchr(text, '\0', len);
		if (nul) {
			int line = 1;
			for (const char *c = text; c < nul; c++)
				line += *c == '\n';
			issue(&p, line, "NUL byte; the file is not parsed");
			p.s = p.end;
		}
	}
	while (p.s < p.end && !p.oom) {
		const char *before = p.s;
		statement(&p);
		if (p.s == before) /* never loop in place */
			skip_line(&p);
	}
	if (p.oom) {
		rc = vs_fail(err, VS_EX_SOFTWARE, "%s: out of memory", path);
		vs_dotenv_free(p.d);
	} else {
		*out = p.d;
	}
	vs_buf_free(&p.val);
	return rc;
}

int vs_dotenv_load(const char *path, vs_dotenv **out, vs_error *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc, fd = vs_open_private(path, "dotenv file", err);

	*out = NULL;
	if (fd < 0)
		return err ? err->code : VS_EX_IOERR;
	if ((rc = vs_read_fd(fd, path, VS_DOTENV_MAX, &text, &len, err)))
		return rc;
	rc = vs_dotenv_parse(path, text, len, out, err);
	explicit_bzero(text, len);
	free(text);
	return rc;
}

const char *vs_dotenv_get(const vs_dotenv *d, const char *key)
{
	for (size_t i = d->n; i-- > 0;)
		if (!strcmp(d->entries[i].key, key))
			return d->entries[i].value;
	return NULL;
}

void vs_dotenv_free(vs_dotenv *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->entries[i].key);
		vs_free_secret(d->entries[i].value);
	}
	for (size_t i = 0; i < d->n_issues; i++)
		free(d->issues[i]);
	free(d->entries);
	free(d->issues);
	free(d);
}
