/*
 * hold.c — the supervising launcher keeps its program's dynamic secrets
 * (README "Rotation and leases"; the exchange is src/vault/held.c).
 *
 * A dynamic secret (database/creds/…) is read here, once, with the
 * launcher's own token (src/vault/session.c) when a helper of the
 * program's tree first asks for it over the socket; every later ask (a
 * restart, a refresh, another process of the tree) gets the same
 * credential. Its lease is renewed at about 2/3 of what Vault granted; when
 * Vault grants less than half the lease's first TTL (its max TTL is near),
 * refuses the renewal, or the launcher's token was replaced (a lease dies
 * with the token that read it), a new credential is read before the old one
 * expires, and the caller is told: it applies on_change as for a change in
 * Vault. The old lease is left to expire (the program may still hold
 * connections made with it); at the launcher's exit every lease it holds
 * is revoked: the program that used them is gone.
 *
 * Threads: the server thread answers the socket; the poller calls
 * vs_hold_tick. Both use the session under the caller's lock.
 */
#define _GNU_SOURCE
#include "cli/vs_cli.h"
#include "core/vs_config.h"
#include "core/vs_log.h"
#include "vault/vs_vault.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct held {
	char *path;
	vs_secret sec;         /* the credential (lease_id never leaves here) */
	long first_ttl_s;      /* what Vault granted at the read */
	double granted_ms, expires_ms, due_ms;
	unsigned login;        /* the session's login that read it */
	bool reread;           /* due: read a new one (else renew) */
} held;

static struct {
	const vs_config *cfg;
	vs_vault_session *ss;
	pthread_mutex_t *mu;
	held *h;
	size_t n, cap;
	int lfd;
	char dir[108], sock[108];
	bool told_fail;
} H = {.lfd = -1};

/* The path is one the config maps (a helper asks only for those). */
static bool mapped(const char *path)
{
	for (size_t i = 0; i < H.cfg->n_entries; i++)
		if (!strcmp(H.cfg->entries[i].path, path))
			return true;
	return false;
}

static held *find(const char *path)
{
	for (size_t i = 0; i < H.n; i++)
		if (!strcmp(H.h[i].path, path))
			return &H.h[i];
	return NULL;
}

static void schedule(held *h, long granted_s)
{
	double now = vs_now_ms();

	h->granted_ms = now;
	h->expires_ms = now + (double)granted_s * 1000.0;
	h->due_ms = now + (double)granted_s * 1000.0 * 2.0 / 3.0;
	/* granted well short of the first TTL: the max TTL is near, and the
	 * next renewal would grant less still */
	h->reread = granted_s * 2 < h->first_ttl_s || granted_s < 2;
}

/* Reads path with the launcher's token (under H.mu). 0, or a code with
 * sec failed. */
static int read_one(const char *path, vs_secret *sec)
{
	vs_vault_req req = {.path = path};
	vs_vault_settings s;
	vs_error err = {0};
	int rc;

	memset(sec, 0, sizeof *sec);
	if ((rc = vs_vault_session_keep(H.ss, &err))) {
		sec->code = rc;
		snprintf(sec->err, sizeof sec->err, "%s", err.msg);
		return rc;
	}
	s = *vs_vault_session_settings(H.ss);
	s.skip_dynamic = false;
	s.held_socket = NULL; /* (never itself) */
	if ((rc = vs_vault_read(&s, &req, 1, sec, NULL, &err)) && !sec->code) {
		sec->code = rc;
		snprintf(sec->err, sizeof sec->err, "%s", err.msg);
	}
	if (!rc && sec->code == VS_EX_NOPERM)
		vs_vault_session_refused(H.ss);
	return rc ? rc : sec->code;
}

/* Takes a fresh credential for h (or a new entry). */
static void keep(held *h, const char *path, vs_secret *sec)
{
	if (h) {
		vs_secret_clear(&h->sec);
	} else {
		if (H.n == H.cap) {
			size_t cap = H.cap ? H.cap * 2 : 4;
			held *nh = realloc(H.h, cap * sizeof *nh);
			if (!nh)
				return;
			H.h = nh;
			H.cap = cap;
		}
		h = &H.h[H.n++];
		memset(h, 0, sizeof *h);
		if (!(h->path = strdup(path))) {
			H.n--;
			return;
		}
	}
	h->sec = *sec;
	memset(sec, 0, sizeof *sec);
	h->first_ttl_s = h->sec.lease_duration;
	h->login = vs_vault_session_logins(H.ss);
	schedule(h, h->sec.lease_duration);
}

/* One helper's question. */
static void answer(int fd)
{
	char req[4200], *path, *out = NULL;
	size_t got = 0, len = 0, pl;
	vs_secret fresh = {0};
	const vs_secret *sec = NULL;
	held *h;
	bool mine;

	while (got < sizeof req - 1) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;
		if (poll(&p, 1, 2000) <= 0)
			return;
		n = read(fd, req + got, sizeof req - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	req[got] = '\0';
	if (sscanf(req, "R %zu\n", &pl) != 1 || !(path = strchr(req, '\n')) || strlen(++path) != pl + 1 ||
	    path[pl] != '\n')
		return;
	path[pl] = '\0';
	pthread_mutex_lock(H.mu);
	mine = mapped(path);
	if (mine && !(h = find(path))) {
		read_one(path, &fresh);
		if (!fresh.code && fresh.lease_id && *fresh.lease_id) {
			vs_log(VS_LOG_INFO, "watch: %s read; its lease is kept and renewed for the program", path);
			keep(NULL, path, &fresh);
			h = find(path);
		}
	}
	if (mine)
		sec = (h = find(path)) ? &h->sec : &fresh;
	out = vs_held_encode(sec, !mine, &len);
	pthread_mutex_unlock(H.mu);
	if (out)
		(void)!vs_write_all(fd, out, len);
	vs_free_secret(out);
	vs_secret_clear(&fresh);
}

static void *serve(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept4(H.lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL;
		}
		if (vs_held_peer_ok(fd))
			answer(fd);
		close(fd);
	}
}

int vs_hold_open(const vs_config *cfg, vs_vault_session *ss, pthread_mutex_t *mu)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	const char *base = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	pthread_t th;

	H.cfg = cfg;
	H.ss = ss;
	H.mu = mu;
	if (!base || *base != '/' || stat(base, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    strlen(base) > 60)
		base = "/tmp";
	snprintf(H.dir, sizeof H.dir, "%s/vaultshim-XXXXXX", base);
	if (!mkdtemp(H.dir)) {
		H.dir[0] = '\0';
		return -1;
	}
	snprintf(H.sock, sizeof H.sock, "%s/held", H.dir);
	strcpy(a.sun_path, H.sock);
	if ((H.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(H.lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(H.lfd, 16) != 0 ||
	    pthread_create(&th, NULL, serve, NULL) != 0) {
		vs_hold_close();
		return -1;
	}
	pthread_detach(th);
	return 0;
}

const char *vs_hold_socket(void)
{
	return H.lfd >= 0 ? H.sock : NULL;
}

double vs_hold_due(void)
{
	double due = 0;

	pthread_mutex_lock(H.mu);
	for (size_t i = 0; i < H.n; i++)
		if (!due || H.h[i].due_ms < due)
			due = H.h[i].due_ms;
	pthread_mutex_unlock(H.mu);
	return due;
}

int vs_hold_tick(char *changed, size_t size)
{
	int n_changed = 0;
	double now = vs_now_ms();

	changed[0] = '\0';
	pthread_mutex_lock(H.mu);
	for (size_t i = 0; i < H.n; i++) {
		held *h = &H.h[i];
		vs_error err = {0};
		vs_secret fresh;
		long granted = 0;
		int rc = 0;

		if (h->login != vs_vault_session_logins(H.ss))
			h->reread = true; /* the token that read it goes: so does its lease */
		else if (h->due_ms > now)
			continue;
		if (!h->reread && !(rc = vs_vault_session_keep(H.ss, &err)) &&
		    !(rc = vs_vault_lease_renew(vs_vault_session_settings(H.ss), h->sec.lease_id,
						 h->first_ttl_s, &granted, &err))) {
			schedule(h, granted);
			vs_log(VS_LOG_DEBUG, "watch: lease of %s renewed for %lds", h->path, granted);
			if (!h->reread)
				continue;
			vs_log(VS_LOG_INFO, "watch: the lease of %s reaches its max TTL; reading a new credential "
					    "before it expires", h->path);
		}
		/* (a refusal, or "lease not found", asks for a new credential) */
		if (!h->reread && rc == VS_EX_UNAVAILABLE) {
			/* Vault down: try again soon, the old credential meanwhile */
			if (!H.told_fail)
				vs_log(VS_LOG_WARN, "watch: the lease of %s could not be renewed (%s); retrying",
				       h->path, err.msg);
			H.told_fail = true;
			h->due_ms = now + 1000.0 + (h->expires_ms - now) / 6.0;
			continue;
		}
		if (read_one(h->path, &fresh)) {
			if (!H.told_fail)
				vs_log(VS_LOG_WARN, "watch: a new credential for %s could not be read (%s); retrying",
				       h->path, fresh.err);
			H.told_fail = true;
			h->due_ms = now + 1000.0 + (h->expires_ms > now ? (h->expires_ms - now) / 6.0 : 1000.0);
			h->reread = true;
			vs_secret_clear(&fresh);
			continue;
		}
		H.told_fail = false;
		keep(h, NULL, &fresh);
		if (n_changed++)
			strncat(changed, ", ", size - strlen(changed) - 1);
		strncat(changed, h->path, size - strlen(changed) - 1);
	}
	pthread_mutex_unlock(H.mu);
	return n_changed;
}

void vs_hold_close(void)
{
	if (H.lfd >= 0)
		close(H.lfd);
	H.lfd = -1;
	if (H.sock[0])
		unlink(H.sock);
	if (H.dir[0])
		rmdir(H.dir);
	H.sock[0] = H.dir[0] = '\0';
}

void vs_hold_revoke_all(void)
{
	if (!H.mu)
		return;
	pthread_mutex_lock(H.mu);
	for (size_t i = 0; i < H.n; i++) {
		vs_error err = {0};
		if (vs_vault_lease_revoke(vs_vault_session_settings(H.ss), H.h[i].sec.lease_id, &err))
			vs_log(VS_LOG_WARN, "watch: the lease of %s was not revoked (%s); it expires by itself",
			       H.h[i].path, err.msg);
		else
			vs_log(VS_LOG_DEBUG, "watch: the lease of %s revoked", H.h[i].path);
		vs_secret_clear(&H.h[i].sec);
	}
	H.n = 0;
	pthread_mutex_unlock(H.mu);
}
