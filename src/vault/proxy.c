/*
 * src/vault/proxy.c — which proxy, if any, carries a request to Vault.
 *
 * libcurl would read http_proxy & co. by itself, from whatever environment
 * the helper inherited; the client decides instead, as the Vault CLI (Go's
 * ProxyFromEnvironment) does, and hands libcurl the answer:
 *   - a loopback host (localhost, 127.0.0.0/8, ::1), as libcurl's own URL
 *     parser reads it, is never proxied, nor is a unix socket (the caller
 *     does not ask): the token stays on the host;
 *   - VAULT_PROXY_ADDR, else VAULT_HTTP_PROXY, carries every other request,
 *     NO_PROXY notwithstanding (as in the Go client);
 *   - else HTTPS_PROXY/https_proxy or HTTP_PROXY/http_proxy by the URL's
 *     scheme, unless NO_PROXY/no_proxy names the host.
 * The settings hold those values already (vs_vault_settings_init), without
 * any the config maps: a mapped name's value may be a secret served to a
 * parent, and must not route the token anywhere.
 */
#define _GNU_SOURCE
#include "vault/internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HOST_MAX 256

/* The host (lower case, brackets, IPv6 zone and a final dot dropped) and
 * port that libcurl itself will connect to: its URL parser, not a second
 * one, so that "127.1", "2130706433", "0x7f.0.0.1" or "%6cocalhost" (all
 * 127.0.0.1 / localhost to libcurl) are loopback here too. */
static bool split_url(const char *url, char *host, size_t hsz, long *port)
{
	CURLU *u = curl_url();
	char *h = NULL, *pt = NULL;
	bool ok = false;
	size_t n;

	if (!u)
		return false;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, CURLU_URLDECODE) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &pt, CURLU_DEFAULT_PORT) != CURLUE_OK)
		goto out;
	{
		const char *b = h;
		n = strlen(b);
		if (n >= 2 && b[0] == '[' && b[n - 1] == ']') {
			b++;
			n -= 2;
		}
		const char *zone = memchr(b, '%', n);
		if (zone)
			n = (size_t)(zone - b);
		if (n > 1 && b[n - 1] == '.')
			n--;
		if (n == 0 || n >= hsz)
			goto out;
		for (size_t i = 0; i < n; i++)
			host[i] = (char)tolower((unsigned char)b[i]);
		host[n] = '\0';
	}
	*port = strtol(pt, NULL, 10);
	ok = *port > 0 && *port <= 65535;
out:
	curl_free(h);
	curl_free(pt);
	curl_url_cleanup(u);
	return ok;
}

/* localhost and its subdomains (RFC 6761), with or without the final dot,
 * the IPv4 loopback network and ::1 (also as an IPv4-mapped address) */
static bool is_loopback(const char *host)
{
	unsigned char a[16];
	size_t n = strlen(host);

	if (n && host[n - 1] == '.')
		n--;
	if ((n == 9 && !strncmp(host, "localhost", 9)) ||
	    (n > 10 && !strncmp(host + n - 10, ".localhost", 10)))
		return true;
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	if (inet_pton(AF_INET6, host, a) == 1) {
		static const unsigned char one[16] = {[15] = 1};
		static const unsigned char v4mapped[12] = {[10] = 0xff, [11] = 0xff};
		return !memcmp(a, one, 16) || (!memcmp(a, v4mapped, 12) && a[12] == 127);
	}
	return false;
}

/* host (an IP literal) inside the network "addr/bits"? */
static bool in_cidr(const char *host, const char *net)
{
	unsigned char h[16], n[16];
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(net, '/');
	char *end;
	long bits;
	int af, len;

	if (!slash || (size_t)(slash - net) >= sizeof addr)
		return false;
	memcpy(addr, net, (size_t)(slash - net));
	addr[slash - net] = '\0';
	af = strchr(addr, ':') ? AF_INET6 : AF_INET;
	len = af == AF_INET ? 4 : 16;
	bits = strtol(slash + 1, &end, 10);
	/* "10.0.0.0/8x" or "/" alone is no network at all, not a /8 or a /0 */
	if (end == slash + 1 || *end || bits < 0 || bits > len * 8)
		return false;
	if (inet_pton(af, addr, n) != 1 || inet_pton(af, host, h) != 1)
		return false;
	for (long i = 0; i < bits; i++)
		if ((h[i / 8] ^ n[i / 8]) & (0x80 >> (i % 8)))
			return false;
	return true;
}

/* One NO_PROXY entry (trimmed, lower case) against host:port. */
static bool entry_matches(const char *e, const char *host, long port)
{
	char name[HOST_MAX];
	const char *colon;
	size_t n, hl = strlen(host);

	if (!strcmp(e, "*"))
		return true;
	if (strchr(e, '/'))
		return in_cidr(host, e);
	if (*e == '[' || strchr(e, ':') != strrchr(e, ':')) { /* an IPv6 literal, maybe [..]:port */
		const char *rb = strchr(e, ']');
		n = rb ? (size_t)(rb - e - 1) : strlen(e);
		if (rb && rb[1] == ':' && strtol(rb + 2, NULL, 10) != port)
			return false;
		return n == hl && !strncmp(rb ? e + 1 : e, host, n);
	}
	colon = strchr(e, ':');
	if (colon && strtol(colon + 1, NULL, 10) != port)
		return false;
	n = colon ? (size_t)(colon - e) : strlen(e);
	if (n >= sizeof name)
		return false;
	memcpy(name, e, n);
	name[n] = '\0';
	e = name;
	if (e[0] == '*' && e[1] == '.')
		e++;
	if (*e == '.')
		e++;
	n = strlen(e);
	/* "example.com" and ".example.com" cover the domain and its hosts */
	return n && (!strcmp(host, e) || (hl > n && host[hl - n - 1] == '.' && !strcmp(host + hl - n, e)));
}

static bool no_proxy_for(const char *list, const char *host, long port)
{
	char e[HOST_MAX];
	const char *b;
	size_t n;

	while (vs_list_next(&list, &b, &n)) {
		const char *t = b + n;
		while (b < t && isspace((unsigned char)*b))
			b++;
		while (t > b && isspace((unsigned char)t[-1]))
			t--;
		if (t > b && (size_t)(t - b) < sizeof e) {
			for (size_t i = 0; i < (size_t)(t - b); i++)
				e[i] = (char)tolower((unsigned char)b[i]);
			e[t - b] = '\0';
			if (entry_matches(e, host, port))
				return true;
		}
	}
	return false;
}

const char *vv_proxy_for(const vs_vault_settings *s, const char *url)
{
	char host[HOST_MAX];
	long port;
	const char *proxy;

	if (!split_url(url, host, sizeof host, &port) || is_loopback(host))
		return NULL;
	if (s->proxy_vault)
		return s->proxy_vault;
	proxy = !strncasecmp(url, "https://", 8) ? s->proxy_https : s->proxy_http;
	if (!proxy || no_proxy_for(s->no_proxy, host, port))
		return NULL;
	return proxy;
}
