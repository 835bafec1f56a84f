#define _GNU_SOURCE
#include "vs_wire.h"
#include "vs_resolve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *vs_helper_format(const vs_config *cfg, const vs_secret *secs, int batch_code,
		       const char *batch_msg, int requests, size_t *len)
{
	vs_buf b = {0};

	vs_buf_printf(&b, "VSR1 %zu %d\n", cfg->n_entries, requests > 0 ? requests : 0);
	if (batch_code) {
		vs_buf_printf(&b, "E %d %zu\n", batch_code, strlen(batch_msg));
		vs_buf_put(&b, batch_msg, strlen(batch_msg));
		vs_buf_put(&b, "\n", 1);
	} else {
		for (size_t i = 0; i < cfg->n_entries; i++) {
			const vs_entry *e = &cfg->entries[i];
			const vs_secret *s = &secs[i];
			const char *v = vs_secret_field(s, e->field);
			if (s->dynamic_unread) {
				vs_buf_printf(&b, "d %s %.3f\n", e->name, s->ms);
			} else if (s->code) {
				vs_buf_printf(&b, "e %s %d %.3f %zu\n", e->name, s->code, s->ms, strlen(s->err));
				vs_buf_put(&b, s->err, strlen(s->err));
				vs_buf_put(&b, "\n", 1);
			} else if (vs_secret_field_nul(s, e->field)) {
				char m[VS_ERR_MAX];
				size_t ml = vs_nul_field_reason(m, sizeof m, s, e);
				vs_buf_printf(&b, "e %s %d %.3f %zu\n", e->name, VS_EX_MISSING, s->ms, ml);
				vs_buf_put(&b, m, ml);
				vs_buf_put(&b, "\n", 1);
			} else if (!v) {
				vs_buf_printf(&b, "n %s %.3f\n", e->name, s->ms);
			} else {
				vs_buf_printf(&b, "v %s %.3f %ld %zu %ld\n", e->name, s->ms, s->lease_duration, strlen(v),
				     s->kv_version_no > 0 ? s->kv_version_no : 0);
				vs_buf_put(&b, v, strlen(v));
				vs_buf_put(&b, "\n", 1);
			}
		}
	}
	vs_buf_put(&b, "end\n", 4);
	if (b.oom) {
		vs_buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

/* The header line at *pos, without its '\n', into hdr (size bytes), *pos
 * moved past it; false when there is none or it does not fit. */
static bool header_at(const char *buf, size_t len, size_t *pos, char *hdr, size_t size)
{
	const char *nl = *pos < len ? memchr(buf + *pos, '\n', len - *pos) : NULL;

	if (!nl || !vs_copy_bounded(hdr, size, buf + *pos, (size_t)(nl - (buf + *pos))))
		return false;
	*pos = (size_t)(nl - buf) + 1;
	return true;
}

static int bad(vs_error *err, const char *what)
{
	vs_fail(err, VS_EX_UNAVAILABLE, "resolver helper: malformed output (%s)", what);
	return -1;
}

/* Takes n bytes at *pos followed by '\n'; the check cannot wrap however
 * large n is. */
static char *take(const char *buf, size_t len, size_t *pos, size_t n)
{
	char *s;
	if (*pos > len || n >= len - *pos || buf[*pos + n] != '\n')
		return NULL;
	if (!(s = malloc(n + 1)))
		return NULL;
	memcpy(s, buf + *pos, n);
	s[n] = '\0';
	*pos += n + 1;
	return s;
}

int vs_helper_requests(const char *buf, size_t len)
{
	size_t n, pos = 0;
	int requests = 0;
	char hdr[64];

	if (!header_at(buf, len, &pos, hdr, sizeof hdr))
		return 0;
	return sscanf(hdr, "VSR1 %zu %d", &n, &requests) == 2 && requests > 0 ? requests : 0;
}

int vs_helper_parse(const vs_config *cfg, const char *buf, size_t len, vs_secret *out,
		    int *batch_code, vs_error *err)
{
	size_t pos = 0, count;
	char hdr[512], name[256];

	*batch_code = 0;
	if (!header_at(buf, len, &pos, hdr, sizeof hdr))
		return bad(err, "no header");
	if (strchr(hdr, '-') || sscanf(hdr, "VSR1 %zu", &count) != 1 || count != cfg->n_entries)
		return bad(err, "header does not match the config");

	for (size_t i = 0;; i++) {
		double ms = 0;
		size_t n;
		int code;
		long lease;

		if (!header_at(buf, len, &pos, hdr, sizeof hdr))
			return bad(err, "truncated");
		/* no header holds a '-': names are [A-Za-z0-9_] and every number is
		 * non-negative, while sscanf's %zu would read "-1" as SIZE_MAX */
		if (strchr(hdr, '-'))
			return bad(err, "negative number");
		if (!strcmp(hdr, "end")) {
			if (i != cfg->n_entries && !*batch_code)
				return bad(err, "missing entries");
			return 0;
		}
		if (i >= cfg->n_entries || *batch_code)
			return bad(err, "too many records");
		if (hdr[0] == 'E' && i == 0 && sscanf(hdr, "E %d %zu", &code, &n) == 2) {
			char *msg = take(buf, len, &pos, n);
			if (!msg || code <= 0)
				return free(msg), bad(err, "batch record");
			vs_fail(err, code, "%s", msg);
			free(msg);
			*batch_code = code;
			continue;
		}
		long kvv = 0;
		if (hdr[0] == 'v' && sscanf(hdr, "v %255s %lf %ld %zu %ld", name, &ms, &lease, &n, &kvv) >= 4) {
			char *v;
			if (strcmp(name, cfg->entries[i].name))
				return bad(err, "entry order");
			v = take(buf, len, &pos, n);
			if (!v)
				return bad(err, "value record");
			if (!(out[i].fields = calloc(1, sizeof *out[i].fields)) ||
			    !(out[i].fields[0].key = strdup(cfg->entries[i].field))) {
				vs_free_secret(v);
				return bad(err, "out of memory");
			}
			out[i].fields[0].value = v;
			out[i].n_fields = 1;
			out[i].ms = ms;
			out[i].lease_duration = lease;
			out[i].kv_version_no = kvv;
		} else if (hdr[0] == 'n' && sscanf(hdr, "n %255s %lf", name, &ms) == 2) {
			if (strcmp(name, cfg->entries[i].name))
				return bad(err, "entry order");
			out[i].ms = ms;
		} else if (hdr[0] == 'd' && sscanf(hdr, "d %255s %lf", name, &ms) == 2) {
			/* --skip-dynamic: on a dynamic engine, not read */
			if (strcmp(name, cfg->entries[i].name))
				return bad(err, "entry order");
			out[i].dynamic_unread = true;
			out[i].ms = ms;
		} else if (hdr[0] == 'e' && sscanf(hdr, "e %255s %d %lf %zu", name, &code, &ms, &n) == 4) {
			char *msg;
			if (strcmp(name, cfg->entries[i].name) || code <= 0)
				return bad(err, "error record");
			if (!(msg = take(buf, len, &pos, n)))
				return bad(err, "error record");
			out[i].code = code;
			snprintf(out[i].err, sizeof out[i].err, "%s", msg);
			out[i].ms = ms;
			free(msg);
		} else {
			return bad(err, "unknown record");
		}
	}
}
