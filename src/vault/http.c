/*
 * src/vault/http.c — the client's HTTP engine: the process-wide set-up
 * (libcurl, cJSON's clearing free, the User-Agent), a client (one libcurl
 * multi handle and its deadline) and its transfers: requests built with
 * the token and namespace headers, TLS and proxy options, run together
 * with connect and total timeouts, a response size cap, one redirect
 * followed, and bounded retries of transient failures; and a failed
 * transfer said in one line with Vault's own words, never the token.
 * Knows nothing of what a request is for (auth.c, kv.c, mounts.c and the
 * others build on it); depends on the core and proxy.c.
 */
#define _GNU_SOURCE
#include "vault/internal.h"
#include "core/vs_log.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_HOST_CONNECTIONS 8L

/* ------------------------------------------------------------------ */
/* global init                                                         */

/* "vaultshim/VERSION (PROG)": the program the request is made for (the
 * preload's host, which its helper is told; a command's name), so that
 * Vault's audit log and a proxy's access log say who asks */
static char user_agent[128] = "vaultshim/" VS_VERSION " (vaultshim)";

void vs_vault_user_agent(const char *prog)
{
	char clean[64];
	size_t n = 0;

	/* a header value: printable ASCII only, no parentheses of its own */
	for (const char *p = prog ? prog : ""; *p && n < sizeof clean - 1; p++)
		clean[n++] = *p > 0x20 && *p < 0x7f && *p != '(' && *p != ')' ? *p : '_';
	clean[n] = '\0';
	snprintf(user_agent, sizeof user_agent, "vaultshim/%s (%s)", VS_VERSION, n ? clean : "vaultshim");
}

static void zero_free(void *p)
{
	if (p) {
		explicit_bzero(p, malloc_usable_size(p));
		free(p);
	}
}

static void global_init_once(void)
{
	cJSON_Hooks hooks = {.malloc_fn = malloc, .free_fn = zero_free};
	struct timespec ts;

	/* retries of many processes started together must not fall in step */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	srand((unsigned)getpid() ^ (unsigned)ts.tv_nsec ^ (unsigned)ts.tv_sec);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	cJSON_InitHooks(&hooks);
}

void vs_vault_global_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, global_init_once);
}

/* ------------------------------------------------------------------ */
/* transfers                                                           */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	xfer *x = ud;
	size_t n = size * nmemb;

	if (x->body.len + n > VS_RESPONSE_MAX) {
		x->too_big = true;
		return 0; /* aborts the transfer */
	}
	vs_buf_put(&x->body, ptr, n);
	return x->body.oom ? 0 : n;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud)
{
	xfer *x = ud;
	size_t n = size * nitems;

	if (n > 12 && !strncasecmp(buf, "Retry-After:", 12)) {
		long secs = strtol(buf + 12, NULL, 10);
		if (secs > 0) /* capped: the deadline bounds any wait anyway */
			x->retry_after_ms = (secs > 3600 ? 3600 : secs) * 1000;
	}
	return n;
}

/* Percent-encodes a Vault path, keeping '/' and the unreserved set. */
static int append_path(char **url, const char *base, const char *path, const char *query)
{
	size_t n = strlen(base) + 4 + strlen(path) * 3 + (query ? strlen(query) + 1 : 0) + 1;
	char *u = malloc(n), *p;

	if (!u)
		return -1;
	p = u + sprintf(u, "%s/v1/", base);
	for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
		if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
		    *c == '-' || *c == '_' || *c == '.' || *c == '~' || *c == '/')
			*p++ = (char)*c;
		else
			p += sprintf(p, "%%%02X", *c);
	}
	if (query)
		p += sprintf(p, "?%s", query);
	*p = '\0';
	*url = u;
	return 0;
}

/* Frees a header list, cleared first: the token header in it is a copy
 * libcurl made. */
static void free_headers(struct curl_slist *hdrs)
{
	for (struct curl_slist *l = hdrs; l; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(hdrs);
}

void vv_xfer_free(client *c, xfer *x)
{
	if (!x)
		return;
	if (x->h) {
		if (x->running)
			curl_multi_remove_handle(c->multi, x->h);
		curl_easy_cleanup(x->h);
	}
	free_headers(x->hdrs);
	curl_slist_free_all(x->connect_to);
	vs_buf_free(&x->body);
	vs_free_secret(x->post);
	free(x->url);
	free(x->what);
	free(x);
}

/* curl_slist_append returns NULL on failure and the list is then lost (with
 * the token in it): keep it on x so vv_xfer_free clears it either way. */
static int add_header(xfer *x, const char *h)
{
	struct curl_slist *l = curl_slist_append(x->hdrs, h);
	if (!l)
		return -1;
	x->hdrs = l;
	return 0;
}

/* "<name>: <value>"; the line is cleared once libcurl has its copy (it
 * may be the token's). */
static int add_named_header(xfer *x, const char *name, const char *value)
{
	char *hdr;
	int r;

	if (asprintf(&hdr, "%s: %s", name, value) < 0)
		return -1;
	r = add_header(x, hdr);
	vs_free_secret(hdr);
	return r;
}

/* The proxy for x's URL, or none: "" keeps libcurl from reading the
 * environment's proxy variables itself, and NOPROXY "" from reading the
 * process's NO_PROXY (src/vault/proxy.c decides, from the settings alone).
 * While CONNECT_TO pins the connection to the address's host (a
 * tls_server_name), that host decides, not the name in the URL: a loopback
 * Vault stays unproxied whatever name its certificate carries. */
static void set_proxy(const vs_vault_settings *s, xfer *x, bool may_proxy, bool pinned)
{
	const char *px = may_proxy ? vv_proxy_for(s, pinned && s->connect_to ? s->address : x->url) : NULL;
	curl_easy_setopt(x->h, CURLOPT_PROXY, px ? px : "");
	curl_easy_setopt(x->h, CURLOPT_NOPROXY, "");
	if (px)
		vs_log(VS_LOG_DEBUG, "%s: through the proxy from %s", x->what,
		       px == s->proxy_vault ? "VAULT_PROXY_ADDR/VAULT_HTTP_PROXY" : "the proxy variables");
}

xfer *vv_xfer_new(client *c, const char *method, const char *path, const char *query,
		      char *post_body, bool with_token)
{
	const vs_vault_settings *s = c->s;
	xfer *x = calloc(1, sizeof *x);

	if (!x) {
		vs_free_secret(post_body);
		return NULL;
	}
	x->post = post_body;
	if (append_path(&x->url, s->base_url, path, query) < 0 ||
	    asprintf(&x->what, "%s %s", method, path) < 0 || !(x->h = curl_easy_init()))
		goto fail;

	if (add_header(x, "X-Vault-Request: true") < 0 ||
	    (with_token && c->token && add_named_header(x, "X-Vault-Token", c->token) < 0) ||
	    (s->namespace_ && add_named_header(x, "X-Vault-Namespace", s->namespace_) < 0))
		goto fail;
	if (post_body && add_header(x, "Content-Type: application/json") < 0)
		goto fail;

	curl_easy_setopt(x->h, CURLOPT_URL, x->url);
	set_proxy(s, x, !s->unix_socket, true);
	curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(x->h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(x->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x->h, CURLOPT_USERAGENT, user_agent);
	curl_easy_setopt(x->h, CURLOPT_SHARE, c->share);
	if (s->unix_socket)
		curl_easy_setopt(x->h, CURLOPT_UNIX_SOCKET_PATH, s->unix_socket);
	if (post_body) {
		curl_easy_setopt(x->h, CURLOPT_POSTFIELDS, post_body);
		curl_easy_setopt(x->h, CURLOPT_POSTFIELDSIZE, (long)strlen(post_body));
	} else if (strcmp(method, "GET")) {
		curl_easy_setopt(x->h, CURLOPT_CUSTOMREQUEST, method);
	}
	if (s->ca_cert)
		curl_easy_setopt(x->h, CURLOPT_CAINFO, s->ca_cert);
	if (s->ca_path)
		curl_easy_setopt(x->h, CURLOPT_CAPATH, s->ca_path);
	if (s->client_cert) {
		curl_easy_setopt(x->h, CURLOPT_SSLCERT, s->client_cert);
		curl_easy_setopt(x->h, CURLOPT_SSLKEY, s->client_key);
	}
	if (s->connect_to) {
		if (!(x->connect_to = curl_slist_append(NULL, s->connect_to)))
			goto fail;
		curl_easy_setopt(x->h, CURLOPT_CONNECT_TO, x->connect_to);
	}
	if (s->skip_verify) {
		curl_easy_setopt(x->h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(x->h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	curl_easy_setopt(x->h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	return x;
fail:
	vv_xfer_free(c, x);
	return NULL;
}

static double remaining_ms(const client *c)
{
	return c->deadline - vs_now_ms();
}

static int xfer_start(client *c, xfer *x)
{
	double left = remaining_ms(c);
	long conn = c->s->connect_timeout_ms;

	if (left < 1)
		left = 1;
	if (conn > (long)left)
		conn = (long)left;
	curl_easy_setopt(x->h, CURLOPT_TIMEOUT_MS, (long)left);
	curl_easy_setopt(x->h, CURLOPT_CONNECTTIMEOUT_MS, conn);
	vs_buf_reset(&x->body);
	x->too_big = false;
	x->status = 0;
	x->cc = CURLE_OK;
	x->errbuf[0] = '\0';
	x->retry_after_ms = 0;
	x->not_before = 0;
	if (c->st)
		c->st->requests++;
	if (curl_multi_add_handle(c->multi, x->h) != CURLM_OK)
		return -1;
	x->running = true;
	return 0;
}

static bool is_redirect(const xfer *x)
{
	return x->cc == CURLE_OK &&
	       (x->status == 301 || x->status == 302 || x->status == 307 || x->status == 308);
}

/* A standby answers 307 with the active node's address: follow one redirect,
 * re-sending the same request — without the token when https would drop to
 * http, where it could be read on the wire. */
static int follow_redirect(const client *c, xfer *x)
{
	char *loc = NULL, *url;
	bool downgrade;

	curl_easy_getinfo(x->h, CURLINFO_REDIRECT_URL, &loc);
	if (!loc || (strncmp(loc, "http://", 7) && strncmp(loc, "https://", 8)) || !(url = strdup(loc)))
		return -1;
	downgrade = !strncmp(x->url, "https://", 8) && !strncmp(url, "http://", 7);
	if (downgrade) {
		struct curl_slist *kept = NULL;
		for (struct curl_slist *l = x->hdrs; l; l = l->next)
			if (strncasecmp(l->data, "X-Vault-Token:", 14))
				kept = curl_slist_append(kept, l->data);
		free_headers(x->hdrs);
		x->hdrs = kept;
		curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->hdrs);
		vs_log(VS_LOG_WARN, "%s: redirected from https to http; the token is not sent there", x->what);
	}
	free(x->url);
	x->url = url;
	curl_easy_setopt(x->h, CURLOPT_URL, x->url);
	/* the new host is reached directly, not through the agent socket or pin */
	curl_easy_setopt(x->h, CURLOPT_UNIX_SOCKET_PATH, NULL);
	curl_easy_setopt(x->h, CURLOPT_CONNECT_TO, NULL);
	set_proxy(c->s, x, true, false);
	x->redirected = true;
	vs_log(VS_LOG_DEBUG, "%s: following a %ld redirect", x->what, x->status);
	return 0;
}

static bool is_sealed(const xfer *x)
{
	return x->status == 503 && x->body.p && strstr(x->body.p, "Vault is sealed");
}

/* Transient failures worth another try: connection-level errors that are not
 * TLS verdicts, 412, 429 and every 5xx but 501 — and not a sealed Vault,
 * which will not unseal itself within a retry window. */
static bool retryable(const xfer *x)
{
	if (x->cc != CURLE_OK) {
		switch (x->cc) {
		case CURLE_COULDNT_CONNECT:
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_PARTIAL_FILE:
			return true;
		default:
			return false;
		}
	}
	if (x->status == 412 || x->status == 429)
		return true;
	return x->status >= 500 && x->status != 501 && !is_sealed(x);
}

static long backoff_ms(const xfer *x)
{
	/* 100 ms, 200 ms, 400 ms … capped at 1.5 s, plus up to 50% jitter */
	long base = 100L << (x->attempts - 1 < 4 ? x->attempts - 1 : 4);
	if (base > 1500)
		base = 1500;
	/* A rate-limit quota (429) sends Retry-After only when Vault's
	 * enable_rate_limit_response_headers is on (off by default), and its
	 * default window is 1 s: without the header, wait past a window —
	 * 1 s, 2 s … per attempt, as the Go client's linear backoff does. */
	if (x->status == 429 && x->cc == CURLE_OK)
		base = 1000L * x->attempts;
	base += (long)((double)base * 0.5 * ((double)rand() / RAND_MAX));
	if (x->retry_after_ms > base)
		base = x->retry_after_ms;
	return base;
}

/* Runs transfers to completion (or the deadline), retrying transient failures. */
void vv_run_all(client *c, xfer **xs, size_t n)
{
	size_t open = 0;

	for (size_t i = 0; i < n; i++) {
		if (!xs[i] || xs[i]->done)
			continue;
		xs[i]->attempts = 1;
		xs[i]->t0 = vs_now_ms();
		if (xfer_start(c, xs[i]) < 0) {
			xs[i]->cc = CURLE_OUT_OF_MEMORY;
			xs[i]->done = true;
			continue;
		}
		open++;
	}
	while (open > 0) {
		int still, msgs, timeout = 100;
		CURLMsg *m;
		double now;

		curl_multi_perform(c->multi, &still);
		while ((m = curl_multi_info_read(c->multi, &msgs))) {
			xfer *x = NULL;
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			x->cc = m->data.result;
			curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->status);
			curl_multi_remove_handle(c->multi, x->h);
			x->running = false;
			vs_log(VS_LOG_DEBUG, "%s -> %ld%s%s (attempt %d)", x->what, x->status,
			       x->cc ? " " : "", x->cc ? curl_easy_strerror(x->cc) : "", x->attempts);
			if (is_redirect(x) && !x->redirected && follow_redirect(c, x) == 0) {
				x->not_before = vs_now_ms(); /* re-sent at once below */
				continue;
			}
			if (retryable(x) && x->attempts <= c->s->max_retries) {
				long wait = backoff_ms(x);
				if (remaining_ms(c) > (double)wait + 1) {
					x->not_before = vs_now_ms() + (double)wait;
					x->attempts++;
					if (c->st)
						c->st->retries++;
					continue;
				}
			}
			x->done = true;
			x->t1 = vs_now_ms();
			open--;
		}
		now = vs_now_ms();
		for (size_t i = 0; i < n; i++) {
			xfer *x = xs[i];
			if (!x || x->done || x->running || x->not_before <= 0)
				continue;
			if (now >= x->not_before) {
				if (xfer_start(c, x) < 0) {
					x->done = true;
					open--;
				}
			} else if (x->not_before - now < timeout) {
				timeout = (int)(x->not_before - now) + 1;
			}
		}
		if (open == 0)
			break;
		if (now >= c->deadline) {
			for (size_t i = 0; i < n; i++) {
				xfer *x = xs[i];
				if (!x || x->done)
					continue;
				if (x->running) {
					curl_multi_remove_handle(c->multi, x->h);
					x->running = false;
				}
				if (x->cc == CURLE_OK || x->not_before > 0)
					x->cc = CURLE_OPERATION_TIMEDOUT;
				x->status = 0;
				x->done = true;
				x->t1 = now;
			}
			break;
		}
		curl_multi_poll(c->multi, NULL, 0, timeout, NULL);
	}
}

/* ------------------------------------------------------------------ */
/* failures                                                            */

/* Text from the server is printed to a terminal or a log: a server or a
 * proxy that echoes the request would print the token, and escape
 * sequences would drive the terminal. Occurrences of `secret` become
 * "[token]" and control bytes '?'. */
static void tame(char *s, const char *secret)
{
	size_t sl = secret ? strlen(secret) : 0;
	char *hit;

	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	while (sl >= 4 && (hit = strstr(s, secret))) {
		static const char mark[] = "[token]";
		size_t keep = strlen(hit + sl);
		if (sl >= sizeof mark - 1) {
			memcpy(hit, mark, sizeof mark - 1);
			memmove(hit + sizeof mark - 1, hit + sl, keep + 1);
		} else {
			memset(hit, '*', sl);
		}
	}
}

/* Vault's "errors" array on one line: "2 errors occurred:\n\t* a\n\t* b" -> "a; b". */
void vv_vault_errors(const client *c, const xfer *x, char *out, size_t sz)
{
	cJSON *root, *errs, *e;
	size_t used = 0;

	out[0] = '\0';
	if (!x->body.p || !(root = cJSON_ParseWithLength(x->body.p, x->body.len)))
		return;
	errs = cJSON_GetObjectItemCaseSensitive(root, "errors");
	cJSON_ArrayForEach(e, errs) {
		const char *s = cJSON_GetStringValue(e);
		char line[VS_ERR_MAX], *w = line;
		if (!s)
			continue;
		if (strstr(s, "error occurred:") || strstr(s, "errors occurred:"))
			s = strchr(s, ':') + 1;
		for (; *s && w < line + sizeof line - 3; s++) {
			if (*s == '\n' || *s == '\t' || *s == '*') {
				if (w > line && w[-1] != ' ' && w[-1] != ';' && (s[1] == '\t' || s[1] == '*' || s[1] == ' '))
					*w++ = ';', *w++ = ' ';
				continue;
			}
			if (*s == ' ' && (w == line || w[-1] == ' '))
				continue;
			*w++ = *s;
		}
		while (w > line && (w[-1] == ' ' || w[-1] == ';'))
			w--;
		*w = '\0';
		if (!*line)
			continue;
		used += (size_t)snprintf(out + used, used < sz ? sz - used : 0, "%s%s", used ? "; " : "", line);
		if (used >= sz)
			break;
	}
	cJSON_Delete(root);
	tame(out, c->token);
}

/* Turns a failed transfer into a sysexits code and a one-line message. */
int vv_failure(const client *c, const xfer *x, char *msg, size_t sz)
{
	char verr[VS_ERR_MAX];

	if (x->too_big)
		return snprintf(msg, sz, "%s: response larger than %d bytes", x->what, VS_RESPONSE_MAX),
		       VS_EX_UNAVAILABLE;
	if (x->cc == CURLE_OPERATION_TIMEDOUT)
		return snprintf(msg, sz, "%s: no answer from Vault at %s within %ld ms; raise timeout in [vault] "
				"(or VAULT_CLIENT_TIMEOUT) if it is slow, else check it is up", x->what,
				c->s->address, c->s->timeout_ms), VS_EX_UNAVAILABLE;
	/* OpenSSL's verdict on a plain-HTTP answer to its TLS hello */
	if (x->cc == CURLE_SSL_CONNECT_ERROR && strstr(x->errbuf, "wrong version number"))
		return snprintf(msg, sz, "%s: %s answered in plain HTTP, not TLS: write http:// in the address "
				"(or turn TLS on in the server's listener)", x->what, c->s->address), VS_EX_CONFIG;
	if (x->cc == CURLE_PEER_FAILED_VERIFICATION || x->cc == CURLE_SSL_CONNECT_ERROR ||
	    x->cc == CURLE_SSL_CERTPROBLEM || x->cc == CURLE_SSL_CACERT_BADFILE ||
	    x->cc == CURLE_SSL_CIPHER || x->cc == CURLE_SSL_ISSUER_ERROR)
		return snprintf(msg, sz, "%s: TLS failure talking to %s: %s; set ca_cert in [vault] (or "
				"VAULT_CACERT) to the CA that signed its certificate, tls_server_name to the "
				"name in it", x->what, c->s->address,
				x->errbuf[0] ? x->errbuf : curl_easy_strerror(x->cc)), VS_EX_UNAVAILABLE;
	if (x->cc != CURLE_OK)
		return snprintf(msg, sz, "%s: cannot reach Vault at %s: %s; check address in [vault] (or "
				"VAULT_ADDR) and that Vault runs there", x->what, c->s->address,
				x->errbuf[0] ? x->errbuf : curl_easy_strerror(x->cc)), VS_EX_UNAVAILABLE;
	/* Go's HTTP server (Vault) says this in plain text to plain HTTP on a TLS port */
	if (x->status == 400 && x->body.p && strstr(x->body.p, "HTTP request to an HTTPS server"))
		return snprintf(msg, sz, "%s: %s serves HTTPS: write https:// in the address", x->what,
				c->s->address), VS_EX_CONFIG;
	vv_vault_errors(c, x, verr, sizeof verr);
	if (x->status == 403)
		return snprintf(msg, sz, "%s: permission denied (403%s%s)", x->what, *verr ? ": " : "", verr),
		       VS_EX_NOPERM;
	/* OpenBao: an unknown namespace is 404 "namespace not found" — not a
	 * missing secret that a default may stand in for */
	if (x->status == 404 && strstr(verr, "namespace"))
		return snprintf(msg, sz, "%s: %s (404); check namespace in [vault] or VAULT_NAMESPACE", x->what,
				verr), VS_EX_CONFIG;
	if (x->status == 404)
		return snprintf(msg, sz, "%s: not found (404%s%s)", x->what, *verr ? ": " : "", verr),
		       VS_EX_MISSING;
	if (is_sealed(x))
		return snprintf(msg, sz, "%s: Vault at %s is sealed (503); unseal it (vault operator unseal)",
				x->what, c->s->address),
		       VS_EX_UNAVAILABLE;
	return snprintf(msg, sz, "%s: HTTP %ld from Vault%s%s", x->what, x->status, *verr ? ": " : "", verr),
	       VS_EX_UNAVAILABLE;
}

/* Parses a 2xx body; on failure writes a message and returns NULL. */
cJSON *vv_parse_body(const xfer *x, char *msg, size_t sz)
{
	cJSON *root = x->body.p ? cJSON_ParseWithLength(x->body.p, x->body.len) : NULL;
	if (!root || !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		snprintf(msg, sz, "%s: malformed JSON in Vault's response (HTTP %ld, %zu bytes)", x->what,
			 x->status, x->body.len);
		return NULL;
	}
	return root;
}

/* ------------------------------------------------------------------ */
/* the client                                                          */

client *vv_client_new(const vs_vault_settings *s, vs_vault_stats *st)
{
	client *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->s = s;
	c->token = s->token;
	c->st = st;
	c->deadline = vs_now_ms() + (double)s->timeout_ms;
	c->multi = curl_multi_init();
	c->share = curl_share_init();
	if (!c->multi || !c->share) {
		if (c->multi)
			curl_multi_cleanup(c->multi);
		if (c->share)
			curl_share_cleanup(c->share);
		free(c);
		return NULL;
	}
	/* one DNS cache for all transfers; connections are reused by the multi handle */
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, MAX_HOST_CONNECTIONS);
	return c;
}

void vv_client_free(client *c)
{
	if (!c)
		return;
	curl_multi_cleanup(c->multi);
	curl_share_cleanup(c->share);
	free(c);
}
