/*
 * The config's text to a vs_config (see vs_config.h): the key table, the
 * parser, the preload's quick scan of the same text (vs_config_text_maps,
 * kept beside the parser it must agree with), and the words and signal
 * names the keys take. No I/O: config_file.c finds, checks and reads the
 * file. libc only.
 */
#define _GNU_SOURCE
#include "vs_config.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena: every string of a config lives here, freed in one go ---- */

struct vs_arena {
	struct chunk *head;
};

struct chunk {
	struct chunk *next;
	size_t cap, used;
	char data[];
};

static void *arena_alloc(vs_arena *a, size_t n)
{
	struct chunk *c = a->head;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > 4096 ? n : 4096;
		c = malloc(sizeof *c + cap);
		if (!c)
			return NULL;
		c->cap = cap;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	c->used += n;
	return c->data + c->used - n;
}

static char *arena_strndup(vs_arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static void arena_free(vs_arena *a)
{
	struct chunk *c, *next;

	if (!a)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		/* defaults may be secrets in all but name: clear before free */
		explicit_bzero(c->data, c->used);
		free(c);
	}
	free(a);
}

/* ---- parser state ---- */

enum section { SEC_NONE, SEC_VAULT, SEC_OPTIONS, SEC_ENV };

enum key {
	K_ADDRESS, K_AUTH, K_AUTH_MOUNT, K_TOKEN_FILE, K_ROLE_ID_FILE, K_SECRET_ID_FILE,
	K_ROLE, K_JWT_FILE, K_NAMESPACE, K_CA_CERT, K_CA_PATH, K_CLIENT_CERT,
	K_CLIENT_KEY, K_TLS_SERVER_NAME, K_SKIP_VERIFY, K_TIMEOUT, K_MAX_RETRIES,
	K_KV_VERSION, K_TOKEN_WRAPPED, K_SECRET_ID_WRAPPED,
	K_MODE, K_ON_ERROR, K_DOTENV, K_INHERIT, K_HELPER, K_EAGER_PROGRAMS, K_SECCOMP,
	K_WATCH, K_ON_CHANGE, K_STOP_SIGNAL, K_RESTART_GRACE, K_REFRESH, K_AUDIT,
	K_COUNT
};

static const struct {
	const char *name;
	enum section sec;
	bool is_file; /* relative paths resolve against the config's directory */
} keys[K_COUNT] = {
	[K_ADDRESS] = {"address", SEC_VAULT, false},
	[K_AUTH] = {"auth", SEC_VAULT, false},
	[K_AUTH_MOUNT] = {"auth_mount", SEC_VAULT, false},
	[K_TOKEN_FILE] = {"token_file", SEC_VAULT, true},
	[K_ROLE_ID_FILE] = {"role_id_file", SEC_VAULT, true},
	[K_SECRET_ID_FILE] = {"secret_id_file", SEC_VAULT, true},
	[K_ROLE] = {"role", SEC_VAULT, false},
	[K_JWT_FILE] = {"jwt_file", SEC_VAULT, true},
	[K_NAMESPACE] = {"namespace", SEC_VAULT, false},
	[K_CA_CERT] = {"ca_cert", SEC_VAULT, true},
	[K_CA_PATH] = {"ca_path", SEC_VAULT, true},
	[K_CLIENT_CERT] = {"client_cert", SEC_VAULT, true},
	[K_CLIENT_KEY] = {"client_key", SEC_VAULT, true},
	[K_TLS_SERVER_NAME] = {"tls_server_name", SEC_VAULT, false},
	[K_SKIP_VERIFY] = {"skip_verify", SEC_VAULT, false},
	[K_TIMEOUT] = {"timeout", SEC_VAULT, false},
	[K_MAX_RETRIES] = {"max_retries", SEC_VAULT, false},
	[K_KV_VERSION] = {"kv_version", SEC_VAULT, false},
	[K_TOKEN_WRAPPED] = {"token_wrapped", SEC_VAULT, false},
	[K_SECRET_ID_WRAPPED] = {"secret_id_wrapped", SEC_VAULT, false},
	[K_MODE] = {"mode", SEC_OPTIONS, false},
	[K_ON_ERROR] = {"on_error", SEC_OPTIONS, false},
	[K_DOTENV] = {"dotenv", SEC_OPTIONS, true},
	[K_INHERIT] = {"inherit", SEC_OPTIONS, false},
	[K_HELPER] = {"helper", SEC_OPTIONS, true},
	[K_EAGER_PROGRAMS] = {"eager_programs", SEC_OPTIONS, false},
	[K_SECCOMP] = {"seccomp", SEC_OPTIONS, false},
	[K_WATCH] = {"watch", SEC_OPTIONS, false},
	[K_ON_CHANGE] = {"on_change", SEC_OPTIONS, false},
	[K_STOP_SIGNAL] = {"stop_signal", SEC_OPTIONS, false},
	[K_RESTART_GRACE] = {"restart_grace", SEC_OPTIONS, false},
	[K_REFRESH] = {"refresh", SEC_OPTIONS, false},
	/* not is_file: "syslog" and "off" are words; a file is made absolute below */
	[K_AUDIT] = {"audit", SEC_OPTIONS, false},
};

typedef struct {
	const char *path;
	int line;
	vs_getenv_fn env;
	void *env_ctx;
	vs_config *cfg;
	vs_error *err;
	size_t entries_cap;
	int key_line[K_COUNT];
	vs_buf b, tmp;
} parser;

static int perr(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int perr(parser *p, const char *fmt, ...)
{
	char reason[VS_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	return vs_fail(p->err, VS_EX_CONFIG, "%s:%d: %s", p->path, p->line, reason);
}

static int poom(parser *p)
{
	return vs_fail(p->err, VS_EX_SOFTWARE, "%s:%d: out of memory", p->path, p->line);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* An inline comment starts at ';' or '#' at the start of the value or after
 * whitespace: "path#field" keeps its '#'. */
static bool comment_at(const char *start, const char *pos)
{
	return (*pos == ';' || *pos == '#') && (pos == start || is_space(pos[-1]));
}

static const char *skip_space(const char *s, const char *end)
{
	while (s < end && is_space(*s))
		s++;
	return s;
}

static const char *skip_word(const char *s, const char *end)
{
	while (s < end && !is_space(*s))
		s++;
	return s;
}

/* A key's or an [env] NAME's end: '=' or a space. */
static const char *name_end(const char *s, const char *end)
{
	while (s < end && *s != '=' && !is_space(*s))
		s++;
	return s;
}

/* "key = value", "NAME = …": the '=' after the name, or NULL. */
static const char *equals_after(const char *s, const char *end)
{
	s = skip_space(name_end(s, end), end);
	return s < end && *s == '=' ? s : NULL;
}

/*
 * Reads a double-quoted string starting at *s (on the opening quote) into b,
 * handling escapes; "\$" becomes the marker \x01 so that expansion treats
 * it as a literal '$'. Advances *s past the closing quote.
 */
static int read_quoted(parser *p, const char **s, const char *end, vs_buf *b)
{
	const char *q = *s + 1;

	while (q < end && *q != '"') {
		if (*q == '\\') {
			char c;
			if (q + 1 >= end) /* a backslash as the last byte escapes nothing */
				return perr(p, "unterminated quote");
			switch (q[1]) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case '"': c = '"'; break;
			case '\\': c = '\\'; break;
			case '$':
				/* \x01 stands for a literal '$' until expansion is done */
				c = '\x01';
				break;
			default:
				return perr(p, "unknown escape '\\%c' in quoted value (use \\\\ \\\" \\n \\t \\r \\$)", q[1]);
			}
			vs_buf_put(b, &c, 1);
			q += 2;
			continue;
		}
		if (*q == '\x01')
			return perr(p, "control character in quoted value");
		vs_buf_put(b, q, 1);
		q++;
	}
	if (q >= end)
		return perr(p, "unterminated quote");
	*s = q + 1;
	return b->oom ? poom(p) : 0;
}

/*
 * Expands ${VAR} and ${VAR:-default} in src[0..n) into out. A '$' not
 * followed by '{' is literal; \x01 (from "\$") is a literal '$'. An unset
 * variable without a default is an error: it would silently read the wrong
 * path (secret/app//db) instead of failing where the mistake is.
 */
static int expand(parser *p, const char *src, size_t n, vs_buf *out, const char *what)
{
	size_t i = 0;

	while (i < n) {
		const char *close, *name, *def = NULL, *val;
		size_t name_len, def_len = 0;
		char namebuf[256];

		if (src[i] == '\x01') {
			vs_buf_put(out, "$", 1);
			i++;
			continue;
		}
		if (src[i] != '$' || i + 1 >= n || src[i + 1] != '{') {
			vs_buf_put(out, src + i, 1);
			i++;
			continue;
		}
		close = memchr(src + i + 2, '}', n - i - 2);
		if (!close)
			return perr(p, "unterminated ${ in %s", what);
		name = src + i + 2;
		name_len = (size_t)(close - name);
		for (size_t k = 0; k + 1 < name_len; k++) {
			if (name[k] == ':' && name[k + 1] == '-') {
				def = name + k + 2;
				def_len = name_len - k - 2;
				name_len = k;
				break;
			}
		}
		if (def && memmem(def, def_len, "${", 2))
			return perr(p, "nested ${...} in a default is not supported in %s", what);
		if (!vs_valid_env_name(name, name_len) || !vs_copy_bounded(namebuf, sizeof namebuf, name, name_len))
			return perr(p, "invalid variable name '${%.*s}' in %s", (int)(close - name), name, what);
		val = p->env ? p->env(namebuf, p->env_ctx) : NULL;
		if (val && *val)
			vs_buf_put(out, val, strlen(val));
		else if (def)
			vs_buf_put(out, def, def_len);
		else if (val)
			; /* set but empty: expands to nothing, as in sh */
		else
			return perr(p, "${%s} is not set and has no default (write ${%s:-value}) in %s",
				    namebuf, namebuf, what);
		i = (size_t)(close - src) + 1;
	}
	return out->oom ? poom(p) : 0;
}

static const char *arena_dup(parser *p, const char *s, size_t n)
{
	char *r = arena_strndup(p->cfg->arena, s, n);
	if (!r)
		poom(p);
	return r;
}

/* Makes a file path absolute against the config's directory; "~/" uses HOME. */
static const char *file_path(parser *p, const char *v)
{
	const char *slash;

	if (v[0] == '~' && v[1] == '/') {
		const char *home = p->env ? p->env("HOME", p->env_ctx) : NULL;
		if (!home || !*home) {
			perr(p, "'~/' in a path but HOME is not set");
			return NULL;
		}
		vs_buf_reset(&p->tmp);
		vs_buf_put(&p->tmp, home, strlen(home));
		vs_buf_put(&p->tmp, v + 1, strlen(v + 1));
		return p->tmp.oom ? (poom(p), NULL) : arena_dup(p, p->tmp.p, p->tmp.len);
	}
	slash = strrchr(p->path, '/');
	if (v[0] == '/' || !slash)
		return arena_dup(p, v, strlen(v));
	vs_buf_reset(&p->tmp);
	vs_buf_put(&p->tmp, p->path, (size_t)(slash - p->path) + 1);
	vs_buf_put(&p->tmp, v, strlen(v));
	return p->tmp.oom ? (poom(p), NULL) : arena_dup(p, p->tmp.p, p->tmp.len);
}

/* Scalar value of a [vault]/[options] key: quoted, or bare up to a comment. */
static int scalar_value(parser *p, const char *s, const char *end)
{
	const char *start = s;
	int rc;

	vs_buf_reset(&p->b);
	s = skip_space(s, end);
	if (s < end && *s == '"') {
		if ((rc = read_quoted(p, &s, end, &p->b)))
			return rc;
		s = skip_space(s, end);
		if (s < end && !comment_at(start, s))
			return perr(p, "unexpected text after quoted value");
		/* \$ has no meaning outside [env]; turn the marker back into '$' */
		for (size_t i = 0; i < p->b.len; i++)
			if (p->b.p[i] == '\x01')
				p->b.p[i] = '$';
		return 0;
	}
	{
		const char *v = s, *e = s;
		while (e < end && !comment_at(start, e))
			e++;
		while (e > v && is_space(e[-1]))
			e--;
		vs_buf_put(&p->b, v, (size_t)(e - v));
	}
	return p->b.oom ? poom(p) : 0;
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (!*s)
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* ---- the words a key takes ---------------------------------------------
 * One table per key of a few words, in its enum's order: the parser reads
 * them, and vs_mode_name and vs_auth_name give them back. */

static const char *const auth_names[] = {[VS_AUTH_TOKEN] = "token", [VS_AUTH_APPROLE] = "approle",
					 [VS_AUTH_KUBERNETES] = "kubernetes", [VS_AUTH_JWT] = "jwt"};
static const char *const mode_names[] = {[VS_MODE_AUTO] = "auto", [VS_MODE_LAZY] = "lazy",
					 [VS_MODE_EAGER] = "eager"};
/* kv_version: 0 (detect), 1, 2 */
static const char *const kv_names[] = {"auto", "1", "2"};
static const char *const on_error_names[] = {[VS_ON_ERROR_FALLBACK] = "fallback", [VS_ON_ERROR_FAIL] = "fail"};
static const char *const seccomp_names[] = {[VS_SECCOMP_AUTO] = "auto", [VS_SECCOMP_SPAWN] = "spawn",
					    [VS_SECCOMP_NO_SPAWN] = "no-spawn"};

#define N_WORDS(t) (sizeof t / sizeof *t)

/* For each such key: its words, and the list its message gives (the
 * documented order, which for mode is not the enum's). (Not indexed by key:
 * tests/integration/test_docs.sh reads "[K_…] = {" lines as the key table.) */
static const struct {
	enum key k;
	const char *const *names;
	size_t n;
	const char *list;
} words[] = {
	{K_AUTH, auth_names, N_WORDS(auth_names), "token, approle, kubernetes, jwt"},
	{K_KV_VERSION, kv_names, N_WORDS(kv_names), "auto, 1, 2"},
	{K_MODE, mode_names, N_WORDS(mode_names), VS_MODE_NAMES},
	{K_ON_ERROR, on_error_names, N_WORDS(on_error_names), "fallback, fail"},
	{K_SECCOMP, seccomp_names, N_WORDS(seccomp_names), "auto, spawn, no-spawn"},
};

/* s's index in names[0..n), or -1 (s may be NULL). */
static int word_index(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return -1;
}

int vs_mode_parse(const char *s, vs_mode *m)
{
	int i = word_index(s, mode_names, N_WORDS(mode_names));

	if (i < 0)
		return -1;
	*m = (vs_mode)i;
	return 0;
}

const char *vs_mode_name(vs_mode m)
{
	return (size_t)m < N_WORDS(mode_names) ? mode_names[m] : "auto";
}

const char *vs_auth_name(vs_auth_method m)
{
	return (size_t)m < N_WORDS(auth_names) ? auth_names[m] : "token";
}

static const struct {
	const char *name;
	int sig;
} signals[] = {
	{"SIGHUP", SIGHUP}, {"SIGINT", SIGINT}, {"SIGQUIT", SIGQUIT}, {"SIGKILL", SIGKILL},
	{"SIGUSR1", SIGUSR1}, {"SIGUSR2", SIGUSR2}, {"SIGALRM", SIGALRM}, {"SIGTERM", SIGTERM},
	{"SIGCONT", SIGCONT}, {"SIGSTOP", SIGSTOP}, {"SIGTSTP", SIGTSTP}, {"SIGWINCH", SIGWINCH},
	{"SIGPWR", SIGPWR},
};

int vs_signal_parse(const char *s)
{
	for (size_t i = 0; s && i < sizeof signals / sizeof *signals; i++)
		if (!strcmp(s, signals[i].name) || !strcmp(s, signals[i].name + 3))
			return signals[i].sig;
	return 0;
}

const char *vs_signal_name(int sig)
{
	for (size_t i = 0; i < sizeof signals / sizeof *signals; i++)
		if (signals[i].sig == sig)
			return signals[i].name;
	return "signal";
}

/* ---- setting a [vault] or [options] key, by the kind of value ---------- */

/* Where a key that keeps its text (an address, a name, a path) is kept;
 * NULL for a key whose text is read as something else. */
static const char **text_slot(vs_config *cfg, enum key k)
{
	vs_vault_conf *vc = &cfg->vault;
	vs_options *o = &cfg->options;

	switch (k) {
	case K_ADDRESS: return &vc->address;
	case K_AUTH_MOUNT: return &vc->auth_mount;
	case K_TOKEN_FILE: return &vc->token_file;
	case K_ROLE_ID_FILE: return &vc->role_id_file;
	case K_SECRET_ID_FILE: return &vc->secret_id_file;
	case K_ROLE: return &vc->role;
	case K_JWT_FILE: return &vc->jwt_file;
	case K_NAMESPACE: return &vc->namespace_;
	case K_CA_CERT: return &vc->ca_cert;
	case K_CA_PATH: return &vc->ca_path;
	case K_CLIENT_CERT: return &vc->client_cert;
	case K_CLIENT_KEY: return &vc->client_key;
	case K_TLS_SERVER_NAME: return &vc->tls_server_name;
	case K_DOTENV: return &o->dotenv;
	case K_HELPER: return &o->helper;
	case K_EAGER_PROGRAMS: return &o->eager_programs;
	default: return NULL;
	}
}

/* A program pattern's byte: a name, a glob, or the list's comma. */
static bool pattern_char(char c)
{
	return c == ',' || c == ' ' || c == '*' || c == '?' || c == '.' || c == '-' || c == '_' || c == '+' ||
	       (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A text key: v as written, dup as kept (a file's made absolute). */
static int set_text(parser *p, enum key k, const char *v, const char *dup, const char **slot)
{
	switch (k) {
	case K_ADDRESS:
		if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8) && strncmp(v, "unix://", 7))
			return perr(p, "address '%s' must start with http://, https:// or unix://", v);
		break;
	case K_AUTH_MOUNT:
		while (*dup == '/')
			dup++;
		break;
	case K_EAGER_PROGRAMS:
		for (const char *c = v; *c; c++)
			if (!pattern_char(*c))
				return perr(p, "eager_programs: '%c' is not allowed in a program pattern "
					    "(comma-separated names, or globs with * and ?, such as ruby*, my-tool)", *c);
		break;
	default:
		break;
	}
	*slot = dup;
	return 0;
}

/* A boolean key (vs_parse_bool's words); skip_verify's message offers true
 * or false, the others' yes or no. */
static int set_bool(parser *p, enum key k, const char *v)
{
	bool b;

	if (vs_parse_bool(v, &b))
		return perr(p, "%s '%s' is not a boolean (%s)", keys[k].name, v,
			    k == K_SKIP_VERIFY ? "true or false" : "yes or no");
	switch (k) {
	case K_SKIP_VERIFY: p->cfg->vault.skip_verify = b; break;
	case K_TOKEN_WRAPPED: p->cfg->vault.token_wrapped = b; break;
	case K_SECRET_ID_WRAPPED: p->cfg->vault.secret_id_wrapped = b; break;
	case K_INHERIT: p->cfg->options.inherit = b; break;
	default: break;
	}
	return 0;
}

/* A duration key; eg: the examples its message gives. */
static int duration(parser *p, enum key k, const char *v, const char *eg, long *ms)
{
	if (vs_parse_duration_ms(v, ms))
		return perr(p, "%s '%s' is not a duration (e.g. %s)", keys[k].name, v, eg);
	return 0;
}

/* A duration of at least VS_WATCH_MIN_MS (watch, refresh: each period may
 * be a Vault read); hint: what to write instead. */
static int duration_min(parser *p, enum key k, const char *v, const char *eg, const char *hint, long *ms)
{
	int rc = duration(p, k, v, eg, ms);

	if (!rc && *ms < VS_WATCH_MIN_MS)
		rc = perr(p, "%s '%s' is below the minimum of 1s (%s)", keys[k].name, v, hint);
	return rc;
}

static int set_duration(parser *p, enum key k, const char *v)
{
	vs_options *o = &p->cfg->options;
	long n = 0, *to;
	int rc;

	switch (k) {
	case K_TIMEOUT:
		/* the one duration that must be positive, as its message says */
		if (vs_parse_duration_ms(v, &n) || n == 0)
			return perr(p, "timeout '%s' is not a positive duration (e.g. 5s, 500ms)", v);
		rc = 0;
		to = &p->cfg->vault.timeout_ms;
		break;
	case K_WATCH:
		rc = duration_min(p, k, v, "30s, 5m", "polling Vault faster is not supported; use e.g. watch = 1s", &n);
		to = &o->watch_ms;
		break;
	case K_REFRESH:
		rc = duration_min(p, k, v, "5m, 30s",
				  "use e.g. refresh = 1s, or leave it out to keep the values for the life of the process",
				  &n);
		to = &o->refresh_ms;
		break;
	default: /* K_RESTART_GRACE */
		rc = duration(p, k, v, "10s, 500ms; 0 kills at once", &n);
		to = &o->restart_grace_ms;
		break;
	}
	if (!rc)
		*to = n;
	return rc;
}

/* A key of a few words (its row of words[]). */
static int set_word(parser *p, enum key k, const char *v)
{
	vs_vault_conf *vc = &p->cfg->vault;
	vs_options *o = &p->cfg->options;
	size_t w = 0;
	int i;

	while (words[w].k != k)
		w++;
	if ((i = word_index(v, words[w].names, words[w].n)) < 0)
		return perr(p, "%s '%s' is not one of %s", keys[k].name, v, words[w].list);
	switch (k) {
	case K_AUTH:
		vc->auth = (vs_auth_method)i;
		vc->auth_set = true;
		break;
	case K_KV_VERSION: vc->kv_version = i; break;
	case K_MODE: o->mode = (vs_mode)i; break;
	case K_ON_ERROR: o->on_error = (vs_on_error)i; break;
	case K_SECCOMP: o->seccomp = (vs_seccomp)i; break;
	default: break;
	}
	return 0;
}

/* on_change (restart, none or a signal) and stop_signal (a signal). */
static int set_signal(parser *p, enum key k, const char *v)
{
	vs_options *o = &p->cfg->options;
	int sig = vs_signal_parse(v);

	if (k == K_STOP_SIGNAL) {
		if (sig <= 0)
			return perr(p, "stop_signal '%s' is not a signal name (SIGTERM, SIGINT, SIGQUIT, "
				    "SIGHUP, SIGUSR1, SIGUSR2...)", v);
		o->stop_signal = sig;
	} else if (!strcmp(v, "restart")) {
		o->on_change = VS_ON_CHANGE_RESTART;
	} else if (!strcmp(v, "none")) {
		o->on_change = VS_ON_CHANGE_NONE;
	} else if (sig > 0) {
		o->on_change = VS_ON_CHANGE_SIGNAL;
		o->on_change_signal = sig;
	} else {
		return perr(p, "on_change '%s' is not one of restart, none, or a signal name "
			    "(SIGHUP, SIGUSR1, SIGUSR2, SIGINT, SIGTERM, SIGQUIT, SIGWINCH...)", v);
	}
	return 0;
}

/* audit: off, syslog, or the trail's file. */
static int set_audit(parser *p, const char *v)
{
	vs_options *o = &p->cfg->options;

	/* the trail (src/core/audit.c): opened when a record is written, so its
	 * line is kept for the messages that name it */
	o->audit_line = p->line;
	o->audit_file = NULL;
	if (!strcmp(v, "off")) {
		o->audit = VS_AUDIT_OFF;
	} else if (!strcmp(v, "syslog")) {
		o->audit = VS_AUDIT_SYSLOG;
	} else {
		/* made absolute as the file keys are (not is_file: the words are not paths) */
		if (!(o->audit_file = file_path(p, v)))
			return p->err->code;
		o->audit = VS_AUDIT_FILE;
	}
	return 0;
}

static int set_key(parser *p, enum key k, const char *v)
{
	const char *dup, **slot;
	long n;

	if (!*v && k != K_NAMESPACE)
		return perr(p, "empty value for '%s'", keys[k].name);
	dup = keys[k].is_file ? file_path(p, v) : arena_dup(p, v, strlen(v));
	if (!dup)
		return p->err->code;
	if ((slot = text_slot(p->cfg, k)))
		return set_text(p, k, v, dup, slot);
	switch (k) {
	case K_SKIP_VERIFY:
	case K_TOKEN_WRAPPED:
	case K_SECRET_ID_WRAPPED:
	case K_INHERIT:
		return set_bool(p, k, v);
	case K_TIMEOUT:
	case K_WATCH:
	case K_RESTART_GRACE:
	case K_REFRESH:
		return set_duration(p, k, v);
	case K_AUTH:
	case K_KV_VERSION:
	case K_MODE:
	case K_ON_ERROR:
	case K_SECCOMP:
		return set_word(p, k, v);
	case K_ON_CHANGE:
	case K_STOP_SIGNAL:
		return set_signal(p, k, v);
	case K_MAX_RETRIES:
		if (parse_int(v, 0, 100, &n))
			return perr(p, "max_retries '%s' is not a number from 0 to 100", v);
		p->cfg->vault.max_retries = (int)n;
		return 0;
	case K_AUDIT:
		return set_audit(p, v);
	default:
		return 0;
	}
}

bool vs_reserved_name(const char *s, size_t n)
{
	return (n >= 6 && !memcmp(s, "VAULT_", 6)) ||
	       (n >= 10 && !memcmp(s, "VAULTSHIM_", 10)) ||
	       (n >= 3 && !memcmp(s, "LD_", 3));
}

/* Checks an expanded Vault path: no empty or dot segments, no control bytes. */
static int check_path(parser *p, const char *path, size_t n)
{
	size_t seg_start = 0;

	if (n == 0)
		return perr(p, "empty Vault path");
	for (size_t i = 0; i <= n; i++) {
		if (i < n && (unsigned char)path[i] < 0x20)
			return perr(p, "control character in Vault path");
		if (i == n || path[i] == '/') {
			size_t sl = i - seg_start;
			if (sl == 0)
				return perr(p, "Vault path '%.*s' has an empty segment", (int)n, path);
			if ((sl == 1 && path[seg_start] == '.') ||
			    (sl == 2 && path[seg_start] == '.' && path[seg_start + 1] == '.'))
				return perr(p, "Vault path '%.*s' has a '.' or '..' segment", (int)n, path);
			seg_start = i + 1;
		}
	}
	return 0;
}

/* ---- an [env] line: NAME = path#field [options] ------------------------- */

/* NAME: a variable name vaultshim may set, mapped once. */
static int entry_name(parser *p, const char *name, const char *end, vs_entry *e)
{
	const vs_config *cfg = p->cfg;
	size_t n = (size_t)(end - name);

	if (n > VS_NAME_MAX)
		return perr(p, "name longer than %d characters", VS_NAME_MAX);
	if (!vs_valid_env_name(name, n))
		return perr(p, "'%.*s' is not a valid environment variable name", (int)n, name);
	if (vs_reserved_name(name, n))
		return perr(p, "'%.*s' is reserved (names starting with VAULT_, VAULTSHIM_ or LD_ configure vaultshim itself)",
			    (int)n, name);
	for (size_t i = 0; i < cfg->n_entries; i++)
		if (strlen(cfg->entries[i].name) == n && !memcmp(cfg->entries[i].name, name, n))
			return perr(p, "duplicate name '%s' (first mapped on line %d)",
				    cfg->entries[i].name, cfg->entries[i].line);
	e->line = p->line;
	if (!(e->name = arena_dup(p, name, n)))
		return p->err->code;
	return 0;
}

/* The path part of the reference, expanded into raw: without its leading
 * and trailing '/', checked. */
static int entry_path(parser *p, const vs_buf *raw, vs_entry *e)
{
	const char *ps = raw->p ? raw->p : "";
	size_t pn = raw->len;
	int rc;

	while (pn && *ps == '/')
		ps++, pn--;
	while (pn && ps[pn - 1] == '/')
		pn--;
	if ((rc = check_path(p, ps, pn)))
		return rc;
	if (!(e->path = arena_dup(p, ps, pn)))
		return p->err->code;
	return 0;
}

/* The reference, bare or quoted path#field, from *sp (moved past it); the
 * field is the text after its last '#'. */
static int entry_ref(parser *p, const char **sp, const char *end, vs_entry *e, vs_buf *raw)
{
	const char *s = *sp, *start = s, *ref, *ref_end, *hash = NULL;
	int rc;

	vs_buf_reset(&p->b);
	if (s < end && *s == '"') {
		if ((rc = read_quoted(p, &s, end, &p->b)))
			return rc;
	} else {
		while (s < end && !is_space(*s) && !comment_at(start, s))
			s++;
		vs_buf_put(&p->b, start, (size_t)(s - start));
	}
	*sp = s;
	if (p->b.oom)
		return poom(p);
	ref = p->b.p ? p->b.p : "";
	ref_end = ref + p->b.len;
	if (ref == ref_end)
		return perr(p, "'%s' has no Vault reference (expected path#field)", e->name);
	for (const char *q = ref; q < ref_end; q++)
		if (*q == '#')
			hash = q;
	if (!hash)
		return perr(p, "reference '%.*s' for '%s' has no #field (expected path#field)",
			    (int)(ref_end - ref), ref, e->name);
	if (hash + 1 == ref_end)
		return perr(p, "reference for '%s' has an empty field after '#'", e->name);
	if (!(e->field = arena_dup(p, hash + 1, (size_t)(ref_end - hash - 1))))
		return p->err->code;
	if ((rc = expand(p, ref, (size_t)(hash - ref), raw, "the path")))
		return rc;
	return entry_path(p, raw, e);
}

/* default=VALUE or default="…", expanded into raw; *sp on "default=".
 * e->def is NULL until a default is given. */
static int opt_default(parser *p, const char **sp, const char *end, vs_entry *e, vs_buf *raw)
{
	const char *s = *sp + 8;
	int rc;

	vs_buf_reset(&p->b);
	if (e->def)
		return perr(p, "'default' given twice for '%s'", e->name);
	if (s < end && *s == '"') {
		if ((rc = read_quoted(p, &s, end, &p->b)))
			return rc;
		if (s < end && !is_space(*s))
			return perr(p, "unexpected text after quoted default for '%s'", e->name);
	} else {
		const char *v = s;
		s = skip_word(s, end);
		vs_buf_put(&p->b, v, (size_t)(s - v));
	}
	*sp = s;
	vs_buf_reset(raw);
	if ((rc = expand(p, p->b.p ? p->b.p : "", p->b.len, raw, "the default")))
		return rc;
	if (!(e->def = arena_dup(p, raw->p ? raw->p : "", raw->len)))
		return p->err->code;
	return 0;
}

/* version=N (the KV v2 version to read) or kv_version=N (1 or 2); *sp on
 * the option. Each is 0 in e until given. */
static int opt_version(parser *p, const char **sp, const char *end, vs_entry *e)
{
	const char *tok = *sp;
	bool is_kv = tok[0] == 'k';
	const char *v = tok + (is_kv ? 11 : 8);
	char num[16];
	long n;
	size_t vl;

	*sp = skip_word(tok, end);
	vl = (size_t)(*sp - v);
	if (vl == 0 || !vs_copy_bounded(num, sizeof num, v, vl))
		return perr(p, "%s for '%s' needs a number", is_kv ? "kv_version" : "version", e->name);
	if (is_kv) {
		if (e->kv_version || parse_int(num, 1, 2, &n))
			return perr(p, e->kv_version ? "'kv_version' given twice for '%s'"
					: "kv_version for '%s' must be 1 or 2", e->name);
		e->kv_version = (int)n;
	} else {
		if (e->version || parse_int(num, 1, INT32_MAX, &n))
			return perr(p, e->version ? "'version' given twice for '%s'"
					: "version for '%s' must be a positive number", e->name);
		e->version = (int)n;
	}
	return 0;
}

/* The options after the reference, up to the end or a comment (start:
 * where the reference began, for comment_at). */
static int entry_options(parser *p, const char *s, const char *end, const char *start, vs_entry *e,
			 vs_buf *raw)
{
	int rc;

	for (;;) {
		s = skip_space(s, end);
		if (s >= end || comment_at(start, s))
			return 0;
		if (end - s >= 8 && !strncmp(s, "required", 8) && (s + 8 == end || is_space(s[8]))) {
			if (e->required)
				return perr(p, "'required' given twice for '%s'", e->name);
			e->required = true;
			s += 8;
		} else if ((size_t)(end - s) >= 8 && !strncmp(s, "default=", 8)) {
			if ((rc = opt_default(p, &s, end, e, raw)))
				return rc;
		} else if ((end - s >= 8 && !strncmp(s, "version=", 8)) ||
			   (end - s >= 11 && !strncmp(s, "kv_version=", 11))) {
			if ((rc = opt_version(p, &s, end, e)))
				return rc;
		} else {
			/* the word is not echoed: it may be the rest of an unquoted
			 * default ("default=two words"), that is, part of a secret */
			return perr(p, "unknown option after the reference of '%s' (expected required, default=, "
				    "version=, kv_version=; quote a default that holds spaces)", e->name);
		}
	}
}

static int add_entry(parser *p, const vs_entry *e)
{
	vs_config *cfg = p->cfg;

	if (cfg->n_entries == p->entries_cap) {
		size_t cap = p->entries_cap ? p->entries_cap * 2 : 16;
		vs_entry *ne = realloc(cfg->entries, cap * sizeof *ne);
		if (!ne)
			return poom(p);
		cfg->entries = ne;
		p->entries_cap = cap;
	}
	cfg->entries[cfg->n_entries++] = *e;
	return 0;
}

static int parse_entry(parser *p, const char *s, const char *end)
{
	const char *eq, *start;
	vs_entry e = {0};
	vs_buf raw = {0}; /* the expanded path, then each default */
	int rc;

	if (!(eq = equals_after(s, end)))
		return perr(p, "expected NAME = path#field");
	if ((rc = entry_name(p, s, name_end(s, end), &e)))
		return rc;
	start = skip_space(eq + 1, end);
	s = start;
	if (!(rc = entry_ref(p, &s, end, &e, &raw)) && !(rc = entry_options(p, s, end, start, &e, &raw))) {
		if (e.version && e.kv_version == 1)
			rc = perr(p, "version=%d for '%s' needs KV v2, but kv_version=1", e.version, e.name);
		else
			rc = add_entry(p, &e);
	}
	vs_buf_free(&raw);
	return rc;
}

static int parse_line(parser *p, enum section *sec, const char *s, const char *end)
{
	const char *k, *ke, *eq;

	s = skip_space(s, end);
	while (end > s && is_space(end[-1]))
		end--;
	if (s == end || *s == ';' || *s == '#')
		return 0;

	if (*s == '[') {
		const char *close = memchr(s, ']', (size_t)(end - s));
		const char *after;
		if (!close)
			return perr(p, "section header without ']'");
		after = skip_space(close + 1, end);
		if (after < end && *after != ';' && *after != '#')
			return perr(p, "unexpected text after section header");
		if (close - s == 6 && !memcmp(s, "[vault", 6))
			*sec = SEC_VAULT;
		else if (close - s == 8 && !memcmp(s, "[options", 8))
			*sec = SEC_OPTIONS;
		else if (close - s == 4 && !memcmp(s, "[env", 4))
			*sec = SEC_ENV;
		else
			return perr(p, "unknown section '%.*s' (expected [vault], [options] or [env])",
				    (int)(close - s + 1), s);
		return 0;
	}

	if (*sec == SEC_NONE)
		return perr(p, "key outside of a section (start with [vault], [options] or [env])");
	if (*sec == SEC_ENV)
		return parse_entry(p, s, end);

	k = s;
	ke = name_end(s, end);
	if (!(eq = equals_after(s, end)))
		return perr(p, "expected 'key = value'");
	for (int i = 0; i < K_COUNT; i++) {
		int rc;
		if (keys[i].sec != *sec || strlen(keys[i].name) != (size_t)(ke - k) ||
		    memcmp(keys[i].name, k, (size_t)(ke - k)))
			continue;
		if (p->key_line[i])
			return perr(p, "duplicate key '%s' (first set on line %d)", keys[i].name, p->key_line[i]);
		p->key_line[i] = p->line;
		if ((rc = scalar_value(p, eq + 1, end)))
			return rc;
		return set_key(p, (enum key)i, p->b.p ? p->b.p : "");
	}
	return perr(p, "unknown key '%.*s' in [%s]", (int)(ke - k), k,
		    *sec == SEC_VAULT ? "vault" : "options");
}

int vs_config_parse(const char *path, const char *text, size_t len,
		    vs_getenv_fn env, void *env_ctx, vs_config **out, vs_error *err)
{
	parser p = {.path = path, .env = env, .env_ctx = env_ctx, .err = err};
	enum section sec = SEC_NONE;
	const char *s = text, *end = text + len;
	vs_config *cfg = NULL;
	int rc = 0;

	*out = NULL;
	if (len > VS_CONFIG_MAX)
		return vs_fail(err, VS_EX_CONFIG, "%s: file larger than %d bytes", path, VS_CONFIG_MAX);
	cfg = calloc(1, sizeof *cfg);
	if (!cfg || !(cfg->arena = calloc(1, sizeof *cfg->arena))) {
		free(cfg);
		return vs_fail(err, VS_EX_SOFTWARE, "%s: out of memory", path);
	}
	p.cfg = cfg;
	cfg->vault.skip_verify = -1;
	cfg->vault.timeout_ms = -1;
	cfg->vault.max_retries = -1;
	cfg->options.inherit = true;
	cfg->options.on_change = VS_ON_CHANGE_RESTART;
	cfg->options.stop_signal = SIGTERM;
	cfg->options.restart_grace_ms = VS_RESTART_GRACE_MS;
	if (!(cfg->path = arena_strndup(cfg->arena, path, strlen(path)))) {
		rc = vs_fail(err, VS_EX_SOFTWARE, "%s: out of memory", path);
		goto out;
	}
	s += vs_bom_len(s, len);
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *le = nl ? nl : end;
		p.line++;
		if (memchr(s, '\0', (size_t)(le - s))) {
			rc = perr(&p, "NUL byte in config file");
			goto out;
		}
		if (le > s && le[-1] == '\r')
			le--;
		if ((rc = parse_line(&p, &sec, s, le)))
			goto out;
		s = nl ? nl + 1 : end;
	}
	*out = cfg;
	cfg = NULL;
out:
	vs_buf_free(&p.b);
	vs_buf_free(&p.tmp);
	vs_config_free(cfg);
	return rc;
}

bool vs_config_text_maps(const char *text, size_t len, const char *name, size_t name_len)
{
	const char *s = text, *end = text + len;
	bool in_env = false;

	/* no entry has an invalid name; "A " would match "A = ..." below */
	if (!vs_valid_env_name(name, name_len))
		return false;
	s += vs_bom_len(s, len);
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s)), *le = nl ? nl : end;
		s = skip_space(s, le);
		if (s < le && *s == '[')
			in_env = le - s >= 5 && !memcmp(s, "[env", 4) && memchr(s, ']', (size_t)(le - s)) == s + 4;
		else if (in_env && (size_t)(le - s) > name_len && !memcmp(s, name, name_len) &&
			 (s[name_len] == '=' || is_space(s[name_len])))
			return true;
		s = nl ? nl + 1 : end;
	}
	return false;
}

const vs_entry *vs_config_find(const vs_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_entries; i++)
		if (!strcmp(cfg->entries[i].name, name))
			return &cfg->entries[i];
	return NULL;
}

void vs_config_free(vs_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->entries);
	arena_free(cfg->arena);
	free(cfg);
}

int vs_timeout_ms(long conf_ms, const char *env, long *ms)
{
	long t;

	*ms = VS_DEFAULT_TIMEOUT_MS;
	if (conf_ms > 0) {
		*ms = conf_ms;
		return 0;
	}
	if (!env || !*env)
		return 0;
	if (vs_parse_duration_ms(env, &t))
		return -1;
	if (t > 0)
		*ms = t;
	return 0;
}
