/*
 * src/vault/held.c — dynamic secrets held by the supervising launcher.
 *
 * Under `vaultshim exec --watch`, the launcher reads each dynamic secret
 * (database/creds/…) of its config once, with its own long-lived token,
 * renews the lease, and hands the credential to the helpers of its
 * program's tree over a unix socket it names in VAULTSHIM_SUPERVISOR (in a
 * 0700 directory of its own; both ends check that the other is the same
 * user). So a restart or a refresh of the program takes the credential the
 * launcher holds instead of minting a new one, and the lease lives as long
 * as the launcher keeps it (src/cli/hold.c), not as long as the helper's
 * one-shot login token.
 *
 * The exchange, one per connection:
 *   request  "R <path length>\n<path>\n"
 *   answer   "A <code> <lease seconds> <renewable> <fields> <message length>\n<message>\n"
 *            then per field "<key length> <value length>\n<key>\n<value>\n"
 * code 0: the secret; a sysexits code: Vault's failure, in the message;
 * VS_HELD_NOT_MINE: the launcher does not hold that path (read it yourself).
 * The lease ID never leaves the launcher.
 */
#define _GNU_SOURCE
#include "vault/internal.h"
#include "core/vs_log.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define HELD_MAX (1u << 20)

char *vs_held_encode(const vs_secret *sec, int not_mine, size_t *len)
{
	vs_buf b = {0};
	char head[128];
	const char *msg = sec && sec->code ? sec->err : "";
	int code = not_mine ? VS_HELD_NOT_MINE : sec->code;
	size_t nf = sec && !sec->code ? sec->n_fields : 0;

	snprintf(head, sizeof head, "A %d %ld %d %zu %zu\n", code, sec ? sec->lease_duration : 0L,
		 sec && sec->renewable, nf, strlen(msg));
	vs_buf_put(&b, head, strlen(head));
	vs_buf_put(&b, msg, strlen(msg));
	vs_buf_put(&b, "\n", 1);
	for (size_t i = 0; i < nf; i++) {
		const vs_field *f = &sec->fields[i];
		snprintf(head, sizeof head, "%zu %zu\n", strlen(f->key), strlen(f->value));
		vs_buf_put(&b, head, strlen(head));
		vs_buf_put(&b, f->key, strlen(f->key));
		vs_buf_put(&b, "\n", 1);
		vs_buf_put(&b, f->value, strlen(f->value));
		vs_buf_put(&b, "\n", 1);
	}
	if (b.oom) {
		vs_buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

/* The next "a b\n"-style header at *pos, NUL-terminated in hdr. */
static bool header(const char *buf, size_t len, size_t *pos, char *hdr, size_t hsz)
{
	const char *nl = *pos < len ? memchr(buf + *pos, '\n', len - *pos) : NULL;
	size_t l = nl ? (size_t)(nl - (buf + *pos)) : 0;

	if (!nl || l >= hsz || memchr(buf + *pos, '-', l))
		return false;
	memcpy(hdr, buf + *pos, l);
	hdr[l] = '\0';
	*pos += l + 1;
	return true;
}

/* n bytes at *pos followed by '\n', copied. */
static char *bytes(const char *buf, size_t len, size_t *pos, size_t n)
{
	char *s;

	if (*pos > len || n >= len - *pos || buf[*pos + n] != '\n' || memchr(buf + *pos, '\0', n) ||
	    !(s = malloc(n + 1)))
		return NULL;
	memcpy(s, buf + *pos, n);
	s[n] = '\0';
	*pos += n + 1;
	return s;
}

int vs_held_decode(const char *buf, size_t len, vs_secret *sec)
{
	char hdr[160], *msg;
	size_t pos = 0, nf, ml;
	int code, renewable;
	long lease;

	if (!header(buf, len, &pos, hdr, sizeof hdr) ||
	    sscanf(hdr, "A %d %ld %d %zu %zu", &code, &lease, &renewable, &nf, &ml) != 5 || nf > 4096 ||
	    !(msg = bytes(buf, len, &pos, ml)))
		return -1;
	if (code) {
		if (code != VS_HELD_NOT_MINE)
			vv_sec_fail(sec, code, msg);
		free(msg);
		return code;
	}
	free(msg);
	if (nf && !(sec->fields = calloc(nf, sizeof *sec->fields)))
		return -1;
	for (size_t i = 0; i < nf; i++) {
		size_t kl, vl;
		vs_field *f = &sec->fields[i];
		sec->n_fields = i + 1; /* (what is set is freed with it) */
		if (!header(buf, len, &pos, hdr, sizeof hdr) || sscanf(hdr, "%zu %zu", &kl, &vl) != 2 ||
		    !(f->key = bytes(buf, len, &pos, kl)) || !(f->value = bytes(buf, len, &pos, vl)))
			return -1;
	}
	sec->lease_duration = lease;
	sec->renewable = renewable != 0;
	return pos == len ? 0 : -1;
}

/* The other end of a connected unix socket is this user. */
bool vs_held_peer_ok(int fd)
{
	struct ucred cr;
	socklen_t l = sizeof cr;

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &l) == 0 && cr.uid == geteuid();
}

/* Reads until EOF or the deadline; NULL on failure. */
static char *read_all(int fd, double deadline, size_t *len)
{
	vs_buf b = {0};

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		double left = deadline - vs_now_ms();
		ssize_t n;
		if (left <= 0 || poll(&p, 1, (int)left + 1) <= 0 || !vs_buf_reserve(&b, 4096) ||
		    b.len > HELD_MAX)
			break;
		n = read(fd, b.p + b.len, b.cap - 1 - b.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (n == 0) {
			*len = b.len;
			return b.p;
		}
		b.len += (size_t)n;
	}
	if (b.p)
		explicit_bzero(b.p, b.cap);
	vs_buf_free(&b);
	return NULL;
}

int vv_held_read(const vs_vault_settings *s, const char *path, vs_secret *sec)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct stat st;
	char req[64], *ans = NULL;
	size_t len = 0;
	int fd, rc = -1;

	/* the launcher's own directory: this user's, closed to others */
	if (strlen(s->held_socket) >= sizeof a.sun_path || lstat(s->held_socket, &st) != 0 ||
	    !S_ISSOCK(st.st_mode) || st.st_uid != geteuid())
		return -1;
	strcpy(a.sun_path, s->held_socket);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	snprintf(req, sizeof req, "R %zu\n", strlen(path));
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 || !vs_held_peer_ok(fd) ||
	    vs_write_all(fd, req, strlen(req)) != 0 || vs_write_all(fd, path, strlen(path)) != 0 ||
	    vs_write_all(fd, "\n", 1) != 0 || shutdown(fd, SHUT_WR) != 0 ||
	    !(ans = read_all(fd, vs_now_ms() + (double)s->timeout_ms, &len)))
		goto out;
	rc = vs_held_decode(ans, len, sec);
	if (rc < 0)
		vs_secret_clear(sec);
out:
	if (ans) {
		explicit_bzero(ans, len);
		free(ans);
	}
	close(fd);
	if (rc == 0)
		vs_log(VS_LOG_DEBUG, "%s: from the supervising launcher", path);
	return rc;
}
