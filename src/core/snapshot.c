#define _GNU_SOURCE /* explicit_bzero */
#include "vs_snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAGIC "VSHOFF4\n"
#define F_VALUE 1u
#define F_FROM_ENV 2u
#define F_AMBIENT 4u

static void put32(vs_buf *b, uint32_t v)
{
	vs_buf_put(b, &v, sizeof v);
}

static void put64(vs_buf *b, uint64_t v)
{
	vs_buf_put(b, &v, sizeof v);
}

static void putstr(vs_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	put32(b, (uint32_t)n);
	vs_buf_put(b, s ? s : "", n);
}

char *vs_snapshot_format(const vs_snapshot *s, size_t *len)
{
	vs_buf b = {0};

	vs_buf_put(&b, MAGIC, 8);
	put32(&b, s->resolved);
	put32(&b, (uint32_t)s->mode);
	put32(&b, s->inherit);
	put32(&b, s->timeout_ms < 0 ? UINT32_MAX : (uint32_t)s->timeout_ms);
	put32(&b, (uint32_t)s->n);
	put64(&b, s->refresh_ms > 0 ? (uint64_t)s->refresh_ms : 0);
	put64(&b, s->resolved_at_ms > 0 ? (uint64_t)s->resolved_at_ms : 0);
	put32(&b, s->generation);
	put64(&b, s->failed_at_ms > 0 ? (uint64_t)s->failed_at_ms : 0);
	put32(&b, s->retry_ms > 0 && s->retry_ms < UINT32_MAX ? (uint32_t)s->retry_ms : 0);
	putstr(&b, s->config_path);
	putstr(&b, s->eager_programs);
	putstr(&b, s->inputs);
	for (size_t i = 0; i < s->n; i++) {
		const char *v = s->resolved ? s->values[i] : NULL;
		const char *a = s->ambient ? s->ambient[i] : NULL;
		uint32_t flags = (v ? F_VALUE | (s->from_env && s->from_env[i] ? F_FROM_ENV : 0u) : 0u) |
				 (a ? F_AMBIENT : 0u);
		putstr(&b, s->names[i]);
		put32(&b, flags);
		putstr(&b, v);
		putstr(&b, a);
	}
	putstr(&b, s->config_text);
	if (b.oom || b.len > VS_SNAPSHOT_MAX) {
		vs_buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

size_t vs_snapshot_format_empty(char *buf, size_t size, const char *config_path, size_t text_len)
{
	/* resolved, mode, inherit, timeout (unset), n, refresh (64 bits: off),
	 * resolved at (64 bits: never), generation, failed at (64 bits), retry;
	 * then the config path, two
	 * empty strings (eager_programs, inputs), no entry, and the config
	 * text's length (its bytes follow) */
	const uint32_t head[13] = {0, 0, 1, UINT32_MAX, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	uint32_t pl = (uint32_t)strlen(config_path), zero[2] = {0, 0}, tl = (uint32_t)text_len;
	size_t len = 8 + sizeof head + 4 + pl + sizeof zero + 4;

	if (strlen(config_path) > UINT32_MAX || text_len > VS_SNAPSHOT_MAX || len > size)
		return 0;
	memcpy(buf, MAGIC, 8);
	memcpy(buf + 8, head, sizeof head);
	memcpy(buf + 8 + sizeof head, &pl, 4);
	memcpy(buf + 12 + sizeof head, config_path, pl);
	memcpy(buf + 12 + sizeof head + pl, zero, sizeof zero);
	memcpy(buf + 12 + sizeof head + pl + sizeof zero, &tl, 4);
	return len;
}

static bool get32(const char *buf, size_t len, size_t *pos, uint32_t *v)
{
	if (len - *pos < sizeof *v)
		return false;
	memcpy(v, buf + *pos, sizeof *v);
	*pos += sizeof *v;
	return true;
}

static bool get64(const char *buf, size_t len, size_t *pos, uint64_t *v)
{
	if (len - *pos < sizeof *v)
		return false;
	memcpy(v, buf + *pos, sizeof *v);
	*pos += sizeof *v;
	return true;
}

/* The head after the magic, in the order vs_snapshot_format writes it. */
struct head {
	uint32_t resolved, mode, inherit, timeout, n;
	uint64_t refresh, at;
	uint32_t gen;
	uint64_t failed;
	uint32_t retry;
};

/* Checks the magic and reads the head; *pos ends after it. */
static bool read_head(const char *buf, size_t len, size_t *pos, struct head *h)
{
	*pos = 8;
	return len >= 8 && !memcmp(buf, MAGIC, 8) && get32(buf, len, pos, &h->resolved) &&
	       get32(buf, len, pos, &h->mode) && get32(buf, len, pos, &h->inherit) &&
	       get32(buf, len, pos, &h->timeout) && get32(buf, len, pos, &h->n) &&
	       get64(buf, len, pos, &h->refresh) && get64(buf, len, pos, &h->at) &&
	       get32(buf, len, pos, &h->gen) && get64(buf, len, pos, &h->failed) &&
	       get32(buf, len, pos, &h->retry);
}

/* Copies the next length-prefixed string of buf to *out, NUL-terminated,
 * and moves *out past it. */
static bool take(const char *buf, size_t len, size_t *pos, char **out, const char **str)
{
	uint32_t l;

	if (!get32(buf, len, pos, &l) || l > len - *pos || memchr(buf + *pos, '\0', l))
		return false;
	memcpy(*out, buf + *pos, l);
	(*out)[l] = '\0';
	*str = *out;
	*out += l + 1;
	*pos += l;
	return true;
}

int vs_snapshot_parse(const char *buf, size_t len, vs_snapshot *out)
{
	size_t pos;
	struct head h;
	uint32_t n;
	const char **names, **values, **ambient;
	bool *from_env;
	char *str;

	memset(out, 0, sizeof *out);
	/* each entry takes at least 16 bytes: n is bounded before any
	 * allocation */
	if (len > VS_SNAPSHOT_MAX || !read_head(buf, len, &pos, &h) || h.n > len / 16 || h.resolved > 1 ||
	    h.inherit > 1 || h.refresh > LONG_MAX || h.at > (1ull << 52) || h.failed > (1ull << 52))
		return -1;
	n = h.n;
	/* one block: the arrays, then every string with its NUL */
	out->buf_len = (size_t)n * (3 * sizeof(char *) + sizeof(bool)) + len + 3 * (size_t)n + 4;
	if (!(out->buf = calloc(1, out->buf_len)))
		goto bad;
	names = (const char **)(void *)out->buf;
	values = names + n;
	ambient = values + n;
	from_env = (bool *)(ambient + n);
	str = (char *)(from_env + n);
	if (!take(buf, len, &pos, &str, &out->config_path) ||
	    !take(buf, len, &pos, &str, &out->eager_programs) ||
	    !take(buf, len, &pos, &str, &out->inputs))
		goto bad;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t flags;
		const char *v, *a;
		if (!take(buf, len, &pos, &str, &names[i]) || !*names[i] ||
		    !get32(buf, len, &pos, &flags) || flags > 7 || !take(buf, len, &pos, &str, &v) ||
		    !take(buf, len, &pos, &str, &a))
			goto bad;
		values[i] = (flags & F_VALUE) && h.resolved ? v : NULL;
		from_env[i] = (flags & F_FROM_ENV) != 0;
		ambient[i] = (flags & F_AMBIENT) ? a : NULL;
	}
	if (!take(buf, len, &pos, &str, &out->config_text) || pos != len)
		goto bad;
	out->names = names;
	out->values = values;
	out->ambient = ambient;
	out->from_env = from_env;
	out->timeout_ms = h.timeout == UINT32_MAX ? -1 : (long)h.timeout;
	out->mode = (int)h.mode;
	out->inherit = h.inherit;
	out->resolved = h.resolved;
	out->refresh_ms = (long)h.refresh;
	out->resolved_at_ms = (double)h.at;
	out->generation = h.gen;
	out->failed_at_ms = (double)h.failed;
	out->retry_ms = (long)h.retry;
	out->n = n;
	return 0;
bad:
	vs_snapshot_free(out);
	return -1;
}

static bool span(const char *buf, size_t len, size_t *pos, const char **out, size_t *n)
{
	uint32_t l;

	if (!get32(buf, len, pos, &l) || l > len - *pos)
		return false;
	*out = buf + *pos;
	*n = l;
	*pos += l;
	return true;
}

int vs_snapshot_head_parse(const char *buf, size_t len, vs_snapshot_head *h)
{
	size_t pos;
	struct head hd;

	if (!read_head(buf, len, &pos, &hd) || hd.inherit > 1 ||
	    !span(buf, len, &pos, &h->config_path, &h->config_path_len) ||
	    !span(buf, len, &pos, &h->eager_programs, &h->eager_programs_len))
		return -1;
	h->mode = (int)hd.mode;
	h->inherit = hd.inherit;
	return 0;
}

int vs_snapshot_lock(int fd, short type, off_t byte, double deadline)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1};
	long wait_us = 500;

	for (;;) {
		struct timespec ts = {0, 0};
		if (fcntl(fd, F_SETLK, &fl) == 0)
			return 0;
		if ((errno != EACCES && errno != EAGAIN && errno != EINTR) || vs_now_ms() >= deadline)
			return -1;
		ts.tv_nsec = wait_us * 1000;
		nanosleep(&ts, NULL);
		if (wait_us < 8000)
			wait_us *= 2;
	}
}

void vs_snapshot_unlock(int fd, off_t byte)
{
	struct flock fl = {.l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1};
	fcntl(fd, F_SETLK, &fl);
}

int vs_snapshot_mark_stale(int fd, const char *config_path, double deadline_ms)
{
	char head[VS_SNAPSHOT_GEN_OFFSET + 4 + 4 + 4096];
	vs_snapshot_head h;
	uint32_t gen, resolved, zero32 = 0;
	uint64_t zero = 0;
	ssize_t r;
	int rc = -1;

	/* a resolution in progress finishes first: its values, read before
	 * the change, must not be the ones the tree takes as new */
	if (vs_snapshot_lock(fd, F_WRLCK, VS_SNAPSHOT_LOCK_RESOLVE, deadline_ms) != 0)
		return -1;
	if (vs_snapshot_lock(fd, F_WRLCK, VS_SNAPSHOT_LOCK_DATA, deadline_ms) != 0)
		goto out;
	r = pread(fd, head, sizeof head, 0);
	if (r < VS_SNAPSHOT_GEN_OFFSET + 4 || vs_snapshot_head_parse(head, (size_t)r, &h) != 0) {
		errno = EINVAL;
		goto unlock;
	}
	memcpy(&resolved, head + 8, 4);
	memcpy(&gen, head + VS_SNAPSHOT_GEN_OFFSET, 4);
	if (!resolved || h.config_path_len != strlen(config_path) ||
	    memcmp(h.config_path, config_path, h.config_path_len)) {
		rc = 1;
		goto unlock;
	}
	gen++;
	/* (no backoff left either: a stale tree resolves at once) */
	if (!vs_pwrite_all(fd, &zero, 8, VS_SNAPSHOT_AT_OFFSET) &&
	    !vs_pwrite_all(fd, &zero, 8, VS_SNAPSHOT_FAILED_OFFSET) &&
	    !vs_pwrite_all(fd, &zero32, 4, VS_SNAPSHOT_FAILED_OFFSET + 8) &&
	    !vs_pwrite_all(fd, &gen, 4, VS_SNAPSHOT_GEN_OFFSET))
		rc = 0;
unlock:
	vs_snapshot_unlock(fd, VS_SNAPSHOT_LOCK_DATA);
out:
	vs_snapshot_unlock(fd, VS_SNAPSHOT_LOCK_RESOLVE);
	return rc;
}

void vs_snapshot_free(vs_snapshot *s)
{
	if (s->buf) {
		explicit_bzero(s->buf, s->buf_len);
		free(s->buf);
	}
	memset(s, 0, sizeof *s);
}

bool vs_snapshot_input_next(const char **p, const char **name, size_t *nlen, const char **value,
			    size_t *vlen)
{
	const char *q = *p;
	size_t rec, key;

	if (!q || !*q)
		return false;
	rec = strcspn(q, "\x02");
	key = strcspn(q, "\x01\x02");
	*name = q;
	*nlen = key;
	*value = q[key] == '\x01' ? q + key + 1 : NULL;
	*vlen = *value ? rec - key - 1 : 0;
	*p = q + rec + (q[rec] != '\0');
	return true;
}

const char *vs_snapshot_input(const char *inputs, const char *name, char *buf, size_t bufsz,
			      bool *found)
{
	size_t n = strlen(name), nl, vl;
	const char *k, *v;

	*found = false;
	while (vs_snapshot_input_next(&inputs, &k, &nl, &v, &vl)) {
		if (nl != n || memcmp(k, name, n))
			continue;
		*found = true;
		return v && vs_copy_bounded(buf, bufsz, v, vl) ? buf : NULL;
	}
	return NULL;
}

bool vs_snapshot_input_add(char *inputs, size_t size, const char *name, const char *value)
{
	size_t have = strlen(inputs), need = strlen(name) + (value ? strlen(value) + 1 : 0) + 2;
	bool found;
	char buf[2];

	vs_snapshot_input(inputs, name, buf, sizeof buf, &found);
	if (found || strpbrk(name, "\x01\x02") || (value && strpbrk(value, "\x01\x02")) ||
	    have + need > size)
		return false;
	snprintf(inputs + have, size - have, "%s%s%s\x02", name, value ? "\x01" : "", value ? value : "");
	return true;
}
