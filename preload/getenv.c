/*
 * getenv.c — the getenv family: getenv and secure_getenv stand in for
 * libc's so that mapped names resolve from Vault; setenv, unsetenv, putenv
 * and clearenv note the program's own writes, which win from then on. With
 * them: the name index (its table and the filters in front of it) and the
 * lookups of libc's own functions behind every hook.
 *
 * lazy:  the first getenv of a mapped name resolves every mapping once; the
 *        values are interned for the life of the process and never enter
 *        environ (so never /proc/PID/environ).
 * eager: the constructor resolves and places the values in environ before
 *        main, for runtimes that copy environ at start (Python, Perl, shells,
 *        Java).
 *
 * The hot path (getenv, getenv_mapped, the lookup) stays in this one file,
 * where the compiler sees it whole. Depends on preload.h: the start-up
 * (init.c) and the resolution (helper.c) are reached through it.
 */
#define _GNU_SOURCE
#include "preload.h"
#include "vs_log.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#define EXPORT __attribute__((visibility("default")))

extern char **environ;

typedef char *(*getenv_fn)(const char *);
typedef int (*setenv_fn)(const char *, const char *, int);
typedef int (*unsetenv_fn)(const char *);
typedef int (*putenv_fn)(char *);
typedef int (*clearenv_fn)(void);

static getenv_fn real_getenv;
static setenv_fn real_setenv;
static unsetenv_fn real_unsetenv;
static putenv_fn real_putenv;
static clearenv_fn real_clearenv;

mapped *vs_map;               /* the mapped names (config order) */
size_t vs_n_map;
static uint32_t *slots;       /* open addressing: index + 1, 0 = empty */
static uint32_t slot_mask;
/* First-byte filter: a name whose first byte has a clear bit is not mapped.
 * Until the config is loaded every bit is set (all to the slow path): that
 * is the static initial value, so the constructor need not write it. */
static uint64_t filter[4] = {~0ULL, ~0ULL, ~0ULL, ~0ULL};
/* Second-byte filter, per first byte, checked in the slow path before any
 * hashing: SHELL, SHLVL and SSH_AUTH_SOCK need not hash because SECRET_KEY
 * is mapped. */
static uint64_t filter2[256][4];
/* Lengths of the mapped names (bit 63: 63 or longer): DB_HOST need not hash
 * because DB_PASSWORD is mapped. */
static uint64_t len_mask;

/* Re-entrancy guard: anything called while resolving (malloc, posix_spawn,
 * the dynamic loader, logging) may call getenv again; such calls go straight
 * to libc. initial-exec: no __tls_get_addr (which may allocate) on the path. */
__thread int vs_in_hook __attribute__((tls_model("initial-exec")));

/* ------------------------------------------------------------------ */
/* before the constructor and straight lookups                         */

/* getenv before our constructor (another library's constructor runs first):
 * the real getenv is not known yet, so read environ directly. */
char *vs_scan_environ(const char *name)
{
	size_t len = strlen(name);

	if (!environ || !len)
		return NULL;
	for (char **e = environ; *e; e++)
		if ((*e)[0] == name[0] && !strncmp(*e, name, len) && (*e)[len] == '=')
			return *e + len + 1;
	return NULL;
}

char *vs_real_getenv(const char *name)
{
	getenv_fn f = real_getenv;
	return f ? f(name) : vs_scan_environ(name);
}

static void *next_symbol(const char *name, void *self)
{
	void *p = dlsym(RTLD_NEXT, name);
	/* RTLD_NEXT handing back our own hook would recurse forever */
	if (p == self) {
		vs_log_always(VS_LOG_ERROR, "dlsym(RTLD_NEXT, \"%s\") returned the preload's own hook", name);
		abort();
	}
	return p;
}

/* libc's getenv is looked up when the config is loaded, not at start: a
 * process that reads no variable never pays for dlsym. Until then getenv
 * answers by scanning environ, which is all libc's getenv does. */
void vs_resolve_libc_getenv(void)
{
	if (!real_getenv)
		real_getenv = (getenv_fn)next_symbol("getenv", (void *)getenv);
	if (!real_getenv) {
		vs_log_always(VS_LOG_ERROR, "cannot find libc's getenv");
		abort();
	}
}

void *vs_next_fn(void **slot, const char *name, void *self)
{
	if (!*slot)
		*slot = next_symbol(name, self);
	return *slot;
}

/* setenv & co. are resolved on first use. */
static setenv_fn libc_setenv(void)
{
	if (!real_setenv)
		real_setenv = (setenv_fn)next_symbol("setenv", (void *)setenv);
	return real_setenv;
}

static unsetenv_fn libc_unsetenv(void)
{
	if (!real_unsetenv)
		real_unsetenv = (unsetenv_fn)next_symbol("unsetenv", (void *)unsetenv);
	return real_unsetenv;
}

/* The three above looked up at once, by the start-up (init.c: before any
 * lock of ours is taken). */
void vs_prime_env_hooks(void)
{
	vs_resolve_libc_getenv();
	libc_setenv();
	libc_unsetenv();
}

/* libc's setenv and unsetenv, for the preload's own changes to environ
 * (init.c): not the program's writes, so no name is marked. */
int vs_real_setenv(const char *name, const char *value, int overwrite)
{
	return libc_setenv()(name, value, overwrite);
}

int vs_real_unsetenv(const char *name)
{
	return libc_unsetenv()(name);
}

/* ------------------------------------------------------------------ */
/* the name index                                                      */

/* The table compares whole names, so its hash need only spread them: the
 * length and three bytes, no pass over the whole name. */
static uint32_t hash_name(const char *s, size_t len)
{
	uint32_t h = (uint32_t)len * 2654435761u;

	h ^= (uint32_t)(unsigned char)s[0] << 16;
	h ^= (uint32_t)(unsigned char)s[len / 2] << 8;
	h ^= (uint32_t)(unsigned char)s[len - 1];
	return h * 2246822519u;
}

mapped *vs_lookup_len(const char *name, size_t len)
{
	uint32_t h;

	if (!slots || !len || !(len_mask & (1ULL << (len < 63 ? len : 63))))
		return NULL;
	h = hash_name(name, len);
	for (uint32_t i = h & slot_mask;; i = (i + 1) & slot_mask) {
		uint32_t s = slots[i];
		mapped *m;
		if (!s)
			return NULL;
		m = &vs_map[s - 1];
		if (m->len == len && !memcmp(m->name, name, len))
			return m;
	}
}

/* Names the program writes: from then on its own value wins over Vault. */
static void mark_written(const char *name, size_t len)
{
	mapped *m;

	/* a write before the config is loaded must still be remembered */
	vs_load_now(name, len);
	if ((m = vs_lookup_len(name, len)))
		atomic_store(&m->overridden, true);
}

/* eager: the values of names the tree left alone go into environ, for
 * runtimes that copy it; libc's setenv, so it is not the program's write */
void vs_place_values(void)
{
	for (size_t i = 0; i < vs_n_map; i++) {
		mapped *m = &vs_map[i];
		const char *cur;
		if (!m->value || atomic_load(&m->overridden))
			continue;
		cur = vs_real_getenv(m->name);
		if (cur && !strcmp(cur, m->value))
			continue; /* there already (the launch environment's value) */
		if (libc_setenv()(m->name, m->value, 1) == 0)
			m->placed = true;
	}
}

/* Builds the name index over names[0..n) (which live as long as the
 * process) and the filters that go with it (the second-byte filter
 * directly: only the slow path reads it, after the load). */
int vs_build_index(const char *const *names, size_t n, uint64_t *new_filter)
{
	size_t cap = 16;

	while (cap < n * 2)
		cap *= 2;
	vs_map = calloc(n, sizeof *vs_map);
	slots = calloc(cap, sizeof *slots);
	if (!vs_map || !slots)
		return -1;
	slot_mask = (uint32_t)(cap - 1);
	memset(new_filter, 0, sizeof filter);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(names[i]);
		uint32_t h = hash_name(names[i], len), s;
		unsigned char c0 = (unsigned char)names[i][0];
		unsigned char c1 = (unsigned char)names[i][1];
		vs_map[i].name = names[i];
		vs_map[i].len = len;
		len_mask |= 1ULL << (len < 63 ? len : 63);
		for (s = h & slot_mask; slots[s]; s = (s + 1) & slot_mask)
			;
		slots[s] = (uint32_t)i + 1;
		new_filter[c0 >> 6] |= 1ULL << (c0 & 63);
		filter2[c0][c1 >> 6] |= 1ULL << (c1 & 63);
	}
	vs_n_map = n;
	/* what each mapped name held in environ at start: an entry passed on
	 * unchanged keeps this process's choice for the child (exec.c) */
	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		mapped *m = eq ? vs_lookup_len(*e, (size_t)(eq - *e)) : NULL;
		if (m && !m->initial)
			m->initial = eq + 1;
	}
	return 0;
}

/* The first-byte filter getenv reads: first[0..4) once the index serves
 * lazily; all clear (NULL) when getenv goes straight to libc (eager, off,
 * nothing mapped). */
void vs_filter_set(const uint64_t *first)
{
	if (!first) {
		memset(filter, 0, sizeof filter);
		return;
	}
	for (size_t i = 0; i < 4; i++)
		filter[i] = first[i];
}

/* ------------------------------------------------------------------ */
/* the hooks                                                           */

/* getenv in a signal handler: what is already there, no lock, no
 * allocation, no helper (docs/design.md, pitfall 11). Before this process has its values,
 * a mapped name answers from environ, as an unmapped one does. */
static char *getenv_in_handler(const char *name)
{
	mapped *m;

	if (atomic_load_explicit(&vs_state, memory_order_acquire) != VS_ST_READY || !real_getenv)
		return vs_scan_environ(name);
	m = vs_lookup(name);
	if (m && atomic_load_explicit(&vs_resolved, memory_order_acquire) &&
	    !atomic_load_explicit(&m->overridden, memory_order_relaxed))
		return __atomic_load_n(&m->value, __ATOMIC_ACQUIRE);
	return real_getenv(name);
}

static __attribute__((noinline)) char *getenv_mapped(const char *name)
{
	mapped *m;

	if (vs_in_hook)
		return vs_real_getenv(name);
	if (vs_in_signal && vs_in_handler())
		return getenv_in_handler(name);
	/* (the state tested here: a call per lookup would be paid by every name
	 * that passes the first-byte filter) */
	if (atomic_load_explicit(&vs_state, memory_order_acquire) == VS_ST_PENDING)
		vs_load_now(name, strlen(name));
	if (!real_getenv)
		return vs_real_getenv(name);
	{
		unsigned char c0 = (unsigned char)name[0], c1 = (unsigned char)name[c0 != 0];
		if (!(filter2[c0][c1 >> 6] & (1ULL << (c1 & 63))))
			return real_getenv(name);
	}
	m = vs_lookup(name);
	if (!m || atomic_load_explicit(&m->overridden, memory_order_relaxed))
		return real_getenv(name);
	/* (the one test inline; the lock and the resolution: helper.c) */
	if (!atomic_load_explicit(&vs_resolved, memory_order_acquire))
		vs_ensure_resolved();
	/* a child that cannot read the config answers from environ */
	if (atomic_load_explicit(&m->overridden, memory_order_relaxed))
		return real_getenv(name);
	if ((vs_opt_refresh_ms || vs_ho_gen) && vs_refresh_due())
		vs_refresh_try();
	return __atomic_load_n(&m->value, __ATOMIC_ACQUIRE);
}

EXPORT char *getenv(const char *name)
{
	unsigned char c = (unsigned char)name[0];

	/* unmapped first byte: one test, then a tail call into libc */
	if (__builtin_expect(!(filter[c >> 6] & (1ULL << (c & 63))), 1)) {
		getenv_fn f = real_getenv;
		if (__builtin_expect(f != NULL, 1))
			return f(name);
		return vs_scan_environ(name);
	}
	return getenv_mapped(name);
}

EXPORT char *secure_getenv(const char *name)
{
	/* a secure-execution (setuid, capabilities) process is never served
	 * secrets and keeps glibc's semantics */
	if (vs_secure_mode || getauxval(AT_SECURE))
		return NULL;
	return getenv(name);
}

/*
 * A program that sets a name to the very value it is served (git exports
 * GIT_AUTHOR_NAME again for its hooks) changes nothing it could see: the
 * name stays served and the value stays out of environ, so nothing that
 * copies environ hands it on; children are served it through the hand-off.
 */
static bool reexport(const char *name, size_t len, const char *value)
{
	mapped *m;

	if (vs_in_hook || !value || !atomic_load_explicit(&vs_resolved, memory_order_acquire))
		return false;
	m = vs_lookup_len(name, len);
	if (!m || !m->value || m->placed || m->from_env || atomic_load(&m->overridden) ||
	    strcmp(value, m->value))
		return false;
	atomic_store(&m->reexported, true);
	return true;
}

EXPORT int setenv(const char *name, const char *value, int overwrite)
{
	int rc;

	if (name && reexport(name, strlen(name), value))
		return 0;
	/* without overwrite, a name that has a value keeps it, and a mapped
	 * name has the one it is served, though it is not in environ */
	if (!overwrite && name && *name && !strchr(name, '=') && !vs_in_hook && !(vs_in_signal && vs_in_handler()) && getenv(name))
		return 0;
	rc = libc_setenv()(name, value, overwrite);

	if (rc == 0)
		mark_written(name, strlen(name));
	return rc;
}

EXPORT int unsetenv(const char *name)
{
	int rc = libc_unsetenv()(name);

	if (rc == 0)
		mark_written(name, strlen(name));
	return rc;
}

EXPORT int putenv(char *string)
{
	int rc;
	if (!real_putenv)
		real_putenv = (putenv_fn)next_symbol("putenv", (void *)putenv);
	{
		const char *eq = strchr(string, '=');
		if (eq && reexport(string, (size_t)(eq - string), eq + 1))
			return 0;
	}
	rc = real_putenv(string);
	if (rc == 0) {
		const char *eq = strchr(string, '=');
		mark_written(string, eq ? (size_t)(eq - string) : strlen(string));
	}
	return rc;
}

EXPORT int clearenv(void)
{
	int rc;
	if (!real_clearenv)
		real_clearenv = (clearenv_fn)next_symbol("clearenv", (void *)clearenv);
	rc = real_clearenv();
	if (rc == 0)
		vs_load_now(NULL, 0);
	if (rc == 0 && vs_map)
		for (size_t i = 0; i < vs_n_map; i++)
			atomic_store(&vs_map[i].overridden, true);
	return rc;
}
