/*
 * libvaultshim.so — stands in for getenv/secure_getenv so that mapped names
 * resolve from Vault, and tracks setenv/unsetenv/putenv/clearenv so that a
 * program's own later writes win. What children get: exec.c; the
 * resolution handed down a process tree: handoff.c.
 *
 * lazy:  the first getenv of a mapped name resolves every mapping once; the
 *        values are interned for the life of the process and never enter
 *        environ (so never /proc/PID/environ).
 * eager: the constructor resolves and places the values in environ before
 *        main, for runtimes that copy environ at start (Python, Perl, shells,
 *        Java).
 *
 * Vault is read by a helper process (`vaultshim resolve`), so this object
 * links neither libcurl nor cJSON nor OpenSSL. The design's numbered
 * pitfalls (signal handlers, locks, fork, pointer lifetime...) are the
 * constraints each piece below answers.
 */
#define _GNU_SOURCE
#include "preload.h"
#include "vs_audit.h"
#include "vs_wire.h"
#include "vs_log.h"
#include "vs_resolve.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#ifndef VS_BINDIR /* the Makefile's BINDIR */
#define VS_BINDIR "/usr/local/bin"
#endif
#define HELPER_OUTPUT_MAX (64u * 1024 * 1024)
#define HELPER_GRACE_MS 3000L  /* process start-up on top of the Vault deadline */


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

static vs_config *cfg;        /* NULL in a process served by the hand-off */
/* the bytes cfg is parsed from, handed to the helper and down the tree:
 * nothing opens the file again (a deploy may have renamed it, a chmod made
 * it unsafe) */
char *vs_config_text;
mapped *vs_map;               /* the mapped names (config order) */
size_t vs_n_map;
static uint32_t *slots;       /* open addressing: index + 1, 0 = empty */
static uint32_t slot_mask;
/* the config this process serves; set by the constructor (to a copy when
 * it fits config_path_buf) */
const char *vs_config_path;
bool vs_inherit = true;
const char *vs_self_path = "";
atomic_bool vs_unreadable;
char **vs_initial_environ;
/* copies made by the constructor: a program may overwrite its initial
 * environment (setproctitle) */
#define PATH_BUF 4096
static char config_path_buf[PATH_BUF], self_path_buf[PATH_BUF];
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

enum { ST_OFF = 1, ST_PENDING = 0, ST_READY = 2 };
static atomic_int state = ST_PENDING; /* config not loaded yet */
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static bool ho_deferred;      /* a lazy process of a tree: hand-off read at the load */
static bool secure_mode;

static pthread_mutex_t resolve_lock = PTHREAD_MUTEX_INITIALIZER;
atomic_int vs_resolved;       /* 1 once the values are interned */

/* Re-entrancy guard: anything called while resolving (malloc, posix_spawn,
 * the dynamic loader, logging) may call getenv again; such calls go straight
 * to libc. initial-exec: no __tls_get_addr (which may allocate) on the path. */
static __thread int in_hook __attribute__((tls_model("initial-exec")));

/* ------------------------------------------------------------------ */
/* before the constructor and straight lookups                         */

/* getenv before our constructor (another library's constructor runs first):
 * the real getenv is not known yet, so read environ directly. */
static char *scan_environ(const char *name)
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
	return f ? f(name) : scan_environ(name);
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
static void resolve_libc_getenv(void)
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

static mapped *lookup(const char *name)
{
	return vs_lookup_len(name, strlen(name));
}

static void load_now(const char *name, size_t len);

/* Names the program writes: from then on its own value wins over Vault. */
static void mark_written(const char *name, size_t len)
{
	mapped *m;

	/* a write before the config is loaded must still be remembered */
	load_now(name, len);
	if ((m = vs_lookup_len(name, len)))
		atomic_store(&m->overridden, true);
}

/* ------------------------------------------------------------------ */
/* resolution through the helper                                       */

static bool is_program(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

/* The helper: `helper =`, else beside this object (the build tree), its
 * ../bin (make install), the BINDIR this build was configured for (a
 * multiarch LIBDIR such as Debian's /usr/lib/x86_64-linux-gnu has no ../bin),
 * /usr/local/bin, /usr/bin. It runs with the token:
 * refused, as the config would be, when someone else could have written
 * it. NULL with err set when there is none to run. */
static char *find_helper(vs_error *err)
{
	char *p = NULL;
	const char *self = vs_self_path, *slash = strrchr(self, '/');

	if (cfg->options.helper)
		p = strdup(cfg->options.helper);
	else if (slash && *self == '/') {
		int dl = (int)(slash - self);
		/* in-tree: build/libvaultshim.so beside build/vaultshim; installed:
		 * lib/ and bin/ (where lib/vaultshim/ is a directory, never it) */
		if (asprintf(&p, "%.*s/vaultshim", dl, self) >= 0 && !is_program(p)) {
			free(p);
			p = NULL;
			if (asprintf(&p, "%.*s/../bin/vaultshim", dl, self) >= 0 && !is_program(p)) {
				free(p);
				p = NULL;
			}
		}
	}
	if (!p) {
		static const char *const where[] = {VS_BINDIR "/vaultshim", "/usr/local/bin/vaultshim",
						    "/usr/bin/vaultshim"};
		size_t i = 0;
		while (i + 1 < sizeof where / sizeof *where && !is_program(where[i]))
			i++;
		/* none: the configured one, which the error will name */
		p = strdup(is_program(where[i]) ? where[i] : where[0]);
	}
	if (!p) {
		vs_fail(err, VS_EX_SOFTWARE, "out of memory");
		return NULL;
	}
	if (access(p, F_OK) == 0 && vs_check_trusted(p, "resolver helper", false, err)) {
		free(p);
		return NULL;
	}
	return p;
}

long vs_deadline_ms(void)
{
	long ms;

	/* the config's, or the config's from the hand-off; a bad variable
	 * waits the default, and the helper reports it */
	vs_timeout_ms(cfg && cfg->vault.timeout_ms > 0 ? cfg->vault.timeout_ms : vs_opt_timeout_ms,
		      vs_client_getenv("VAULT_CLIENT_TIMEOUT"), &ms);
	return ms + HELPER_GRACE_MS;
}

/* The helper's environment: ours without LD_PRELOAD (no preload in the
 * helper, which would otherwise resolve recursively), with the launch's
 * values of the variables the config expands, so that it reads the paths
 * the launch would whichever process of the tree resolves. One block: the
 * array, then the entries made from vs_opt_inputs. */
static char **helper_env(void)
{
	size_t n = 0, j = 0, kl, vl, extra = strlen(vs_opt_inputs) + 1;
	char **env, *p;

	for (char **e = environ; e && *e; e++)
		n++;
	for (char *const *e = vs_client_env(); *e; e++)
		n++;
	for (const char *q = vs_opt_inputs, *k, *v; vs_snapshot_input_next(&q, &k, &kl, &v, &vl);)
		n++;
	if (!(env = calloc(1, (n + 1) * sizeof *env + extra)))
		return NULL;
	p = (char *)(env + n + 1);
	/* the Vault client's variables as the process started (tree.c) */
	for (char *const *e = vs_client_env(); *e; e++)
		env[j++] = *e;
	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		char name[256];
		bool found = false;
		if (!strncmp(*e, "LD_PRELOAD=", 11) || vs_client_var(*e))
			continue;
		if (eq && (size_t)(eq - *e) < sizeof name) {
			char buf[2];
			memcpy(name, *e, (size_t)(eq - *e));
			name[eq - *e] = '\0';
			vs_snapshot_input(vs_opt_inputs, name, buf, sizeof buf, &found);
		}
		if (!found)
			env[j++] = *e;
	}
	/* NAME=VALUE for each input; one that was unset is left out */
	for (const char *q = vs_opt_inputs, *k, *v; vs_snapshot_input_next(&q, &k, &kl, &v, &vl);) {
		if (!v)
			continue;
		env[j++] = p;
		memcpy(p, k, kl);
		p[kl] = '=';
		memcpy(p + kl + 1, v, vl);
		p[kl + 1 + vl] = '\0';
		p += kl + vl + 2;
	}
	return env;
}

typedef struct helper_result {
	vs_buf out;     /* the helper's answer (holds secrets) */
	vs_error err;   /* err.code != 0: the helper could not answer */
} helper_result;

/* The config's text in a sealed-size memfd at offset 0, for the helper's
 * descriptor 3; -1 when it cannot be made (the helper then opens the
 * file, as it would have). */
static int config_memfd(void)
{
	int fd = memfd_create("vaultshim-config", MFD_CLOEXEC), high;
	size_t off = 0;

	if (fd < 0)
		return -1;
	/* above the helper's 0-3, whatever the program left closed */
	if ((high = fcntl(fd, F_DUPFD_CLOEXEC, 10)) >= 0) {
		close(fd);
		fd = high;
	}
	size_t len = strlen(vs_config_text);

	while (off < len) {
		ssize_t w = write(fd, vs_config_text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	if (lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The answer is whole once it parses to its end marker. The end of the
 * pipe cannot say so: a child the program forks meanwhile (fork does not
 * wait for a resolution) holds the write end for as long as it lives. */
static bool answer_complete(const vs_buf *out)
{
	vs_secret *tmp;
	vs_error err = {0};
	int batch = 0;
	bool whole;

	if (out->len < 4 || memcmp(out->p + out->len - 4, "end\n", 4) ||
	    !(tmp = calloc(cfg->n_entries + 1, sizeof *tmp)))
		return false;
	whole = vs_helper_parse(cfg, out->p, out->len, tmp, &batch, &err) == 0;
	for (size_t i = 0; i < cfg->n_entries; i++)
		vs_secret_clear(&tmp[i]);
	free(tmp);
	return whole;
}

/* this process may not start its helper (its own seccomp filter): its
 * failure is its own, never published to the tree */
static bool spawn_refused;

/* Runs the helper and reads its answer, giving up at end (monotonic ms);
 * a refresh asks it not to read dynamic engines' paths. */
static void run_helper(helper_result *r, double end, bool refresh)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none;
	char *helper = NULL;

	/* (refused for this process's own sandbox: not an answer for its tree) */
	if (vs_spawn_allowed(cfg->options.seccomp, &r->err))
		spawn_refused = true;
	else
		helper = find_helper(&r->err);
	char **env = helper ? helper_env() : NULL;
	int cfd = helper && vs_config_text ? config_memfd() : -1;
	char *argv[10] = {helper, (char *)"resolve", (char *)"-c", (char *)cfg->path};
	int argc = 4;
	char who[96];
	int pfd[2] = {-1, -1}, status = 0;
	pid_t pid = -1;
	bool eof = false;

	if (refresh)
		argv[argc++] = (char *)"--skip-dynamic";
	/* the helper speaks for this program: in its log lines and in the
	 * User-Agent Vault sees */
	snprintf(who, sizeof who, "%ld:%s", (long)getpid(), vs_log_prog());
	argv[argc++] = (char *)"--for";
	argv[argc++] = who;
	if (cfd >= 0) {
		argv[argc++] = (char *)"--config-fd";
		argv[argc++] = (char *)"3";
	}
	if (!helper)
		goto out;
	if (!env) {
		vs_fail(&r->err, VS_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		vs_fail(&r->err, VS_EX_OSERR, "resolver helper: pipe: %s", strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (cfd >= 0)
		posix_spawn_file_actions_adddup2(&fa, cfd, 3);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	errno = posix_spawn(&pid, helper, &fa, &attr, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(pfd[1]);
	pfd[1] = -1;
	if (errno) {
		vs_fail(&r->err, VS_EX_UNAVAILABLE, "cannot run the resolver helper %s: %s; install vaultshim beside "
			"the library (../bin/vaultshim), or set helper in [options] to its path", helper,
			strerror(errno));
		pid = -1;
		goto out;
	}
	while (!eof) {
		struct pollfd p = {.fd = pfd[0], .events = POLLIN};
		double left = end - vs_now_ms();
		int pr;
		if (left <= 0) {
			vs_fail(&r->err, VS_EX_UNAVAILABLE, "resolver helper gave no answer within %ld ms; raise timeout "
				"in [vault] (or VAULT_CLIENT_TIMEOUT) if Vault is slow to answer", vs_deadline_ms());
			goto out;
		}
		pr = poll(&p, 1, (int)left + 1);
		if (pr < 0 && errno != EINTR) {
			vs_fail(&r->err, VS_EX_OSERR, "resolver helper: poll: %s", strerror(errno));
			goto out;
		}
		if (pr <= 0)
			continue;
		if (r->out.len + 4096 > HELPER_OUTPUT_MAX || !vs_buf_reserve(&r->out, 4096)) {
			vs_fail(&r->err, VS_EX_UNAVAILABLE, "resolver helper: output too large");
			goto out;
		}
		{
			ssize_t n = read(pfd[0], r->out.p + r->out.len, r->out.cap - 1 - r->out.len);
			if (n < 0 && errno != EINTR && errno != EAGAIN) {
				vs_fail(&r->err, VS_EX_OSERR, "resolver helper: read: %s", strerror(errno));
				goto out;
			}
			if (n == 0)
				eof = true;
			else if (n > 0) {
				r->out.len += (size_t)n;
				r->out.p[r->out.len] = '\0';
				eof = answer_complete(&r->out);
			}
		}
	}
out:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (cfd >= 0)
		close(cfd);
	if (pid > 0) {
		/* the helper exits right after writing; kill it if we gave up on it */
		if (r->err.code)
			kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		/* a SIGCHLD handler of the program may have reaped it: the protocol's
		 * end marker, not the status, tells whether the answer is whole */
		if (!r->err.code && r->out.len == 0)
			vs_fail(&r->err, VS_EX_UNAVAILABLE, "resolver helper %s exited without an answer (status %d); "
				"'vaultshim check' with the same config says why", helper,
				WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	}
	free(env);
	free(helper);
}

typedef struct fetch_ctx {
	helper_result *hr;
} fetch_ctx;

/* vs_fetch_fn over the helper's answer: the resolver applies the policy. */
static int helper_fetch(void *ctx, const vs_vault_req *reqs, size_t n, vs_secret *out,
			vs_vault_stats *stats, vs_error *err)
{
	helper_result *hr = ((fetch_ctx *)ctx)->hr;
	int batch = 0;

	(void)reqs;
	if (hr->err.code)
		return vs_fail(err, hr->err.code, "%s", hr->err.msg);
	if (n != cfg->n_entries)
		return vs_fail(err, VS_EX_SOFTWARE, "resolver: name count mismatch");
	if (vs_helper_parse(cfg, hr->out.p, hr->out.len, out, &batch, err) < 0) {
		for (size_t i = 0; i < n; i++)
			vs_secret_clear(&out[i]);
		return err->code;
	}
	/* (for the audit record: what the helper's reads cost Vault) */
	if (stats)
		stats->requests = vs_helper_requests(hr->out.p, hr->out.len);
	return batch;
}

/* set once the start-up (init) is over: a config load after it is late */
static atomic_bool started;

/* The config: read at start by the first process of a tree, later only by
 * a process of a tree whose hand-off was lost. false when this user cannot
 * read it (a child that dropped its privileges): one warning, and the
 * mapped names answer from the environment. Any other failure at start:
 * one line, then exit, before main. Later (pitfall 13): one line, and the
 * names answer from the environment: the program asked for a name, not
 * for the config, and may not even have asked for a mapped one. */
static bool need_config(const char *path)
{
	static atomic_bool warned;
	/* (the parser runs under the resolve lock, or the init lock: the
	 * static buffer of env_of_launch is not shared) */
	vs_getenv_fn env = vs_ho.fd >= 0 && vs_n_map ? vs_env_of_launch : vs_env_recording;
	vs_error err = {0};
	size_t text_len;
	int rc;

	/* asked each time: a forked worker may have dropped its privileges
	 * since the config was read (pitfall 15) */
	if (faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) != 0 && errno == EACCES) {
		/* one warning for a whole subtree (a shell loop run as nobody):
		 * VAULTSHIM_UNREADABLE, which the exec hooks pass on, tells
		 * descendants it was given */
		const char *told = vs_real_getenv("VAULTSHIM_UNREADABLE");
		if (!atomic_exchange(&warned, true) && !(told && !strcmp(told, path)))
			vs_log(VS_LOG_WARN, "%s: uid %u cannot read the config; mapped names answer from the environment; "
					    "make it readable by that user (chmod a+r it: a config holds no secret)",
			       path, (unsigned)geteuid());
		atomic_store(&vs_unreadable, true);
		return false;
	}
	if (cfg)
		return true;
	/* the text the tree's first process read (pitfall 13), else the file */
	if (vs_config_text)
		rc = vs_config_parse(path, vs_config_text, strlen(vs_config_text), env, NULL, &cfg, &err);
	else
		rc = vs_config_load_text(path, env, NULL, &cfg, &vs_config_text, &text_len, &err);
	if (rc) {
		if (atomic_load(&started)) {
			vs_log(VS_LOG_WARN, "config: %s; names answer from the environment; fix the file "
					    "('vaultshim check -c %s' says what is wrong) and start the program again",
			       err.msg, path);
			atomic_store(&vs_unreadable, true);
			return false;
		}
		vs_log_always(VS_LOG_ERROR, "config: %s", err.msg);
		_exit(err.code);
	}
	vs_opt_timeout_ms = cfg->vault.timeout_ms;
	return true;
}

/* The environment a resolution sees: a mapped name's fallback is its value
 * in the launch environment, whichever process of the tree resolves. */
static const char *env_for_resolve(const char *name, void *ctx)
{
	mapped *m = lookup(name);

	(void)ctx;
	return m ? m->ambient : vs_real_getenv(name);
}

bool vs_need_config(void)
{
	return need_config(vs_config_path);
}

bool vs_helper_refused(void)
{
	return spawn_refused;
}

int vs_resolve_values(double end, bool refresh, vs_resolution *res, vs_error *err)
{
	helper_result hr = {0};
	fetch_ctx fc = {&hr};
	double t0 = vs_now_ms();
	int rc;

	memset(res, 0, sizeof *res);
	run_helper(&hr, end, refresh);
	/* a refresh says what went wrong itself, once per change (refresh.c) */
	if (refresh)
		vs_log_mute(true);
	rc = vs_resolve(cfg, NULL, 0, env_for_resolve, NULL, helper_fetch, &fc, res, err);
	if (refresh)
		vs_log_mute(false);
	vs_buf_free(&hr.out);
	/* the program's wait: the helper's start and every read */
	if (!rc)
		res->stats.ms = vs_now_ms() - t0;
	return rc;
}

void vs_audit_resolution(const char *event, const vs_resolution *res)
{
	vs_error err = {0};

	if (cfg && vs_audit_record(cfg, event, NULL, res, &err))
		vs_log_always(VS_LOG_ERROR, "%s; the values are served without this record", err.msg);
}

/* Resolves every mapping of cfg into vs_map. Policy failure: one line, then
 * exit with the sysexits code, before the program can act on a missing
 * secret. */
static void resolve_all(double end)
{
	vs_resolution res;
	vs_error err = {0};

	if (vs_resolve_values(end, false, &res, &err)) {
		vs_log_always(VS_LOG_ERROR, "%s", err.msg);
		_exit(err.code);
	}
	/* a refused resolution too: someone asked for these secrets */
	vs_audit_resolution("resolve", &res);
	if (res.status) {
		vs_log_always(VS_LOG_ERROR, "%s", res.message);
		/* _exit, not exit: another thread may be mid-way through anything */
		_exit(res.status);
	}
	/* by name: a config edited since the hand-off was written may order
	 * its entries differently */
	for (size_t i = 0; i < res.n; i++) {
		const vs_value *v = &res.values[i];
		mapped *m = lookup(v->entry->name);
		if (m && v->value) {
			m->from_env = v->source == VS_SRC_ENV;
			m->value = strdup(v->value);
		}
	}
	vs_resolution_clear(&res);
}

/* The values, once for the tree: from the hand-off when another process
 * of the tree has resolved, else resolved here (siblings wait on the
 * hand-off's lock meanwhile) and handed down. */
static void resolve_tree(void)
{
	vs_snapshot snap;
	uint32_t seen = 0;
	int lk = -1;

	/* a sibling that resolves gets as long as Vault's timeout: had we
	 * asked Vault ourselves, we would have given up by then too; after
	 * that we resolve with a deadline of our own */
	if (vs_ho.fd >= 0) {
		lk = vs_handoff_lock(vs_now_ms() + (double)(vs_deadline_ms() - HELPER_GRACE_MS));
		if (vs_handoff_read(&snap) == 0) {
			if (vs_tree_same(&snap, vs_config_path) && vs_tree_adopt(&snap)) {
				vs_refresh_values_set(snap.resolved_at_ms, snap.generation);
				vs_log(VS_LOG_DEBUG, "values from the hand-off");
				vs_handoff_unlock(lk);
				return;
			}
			seen = snap.generation;
			vs_snapshot_free(&snap);
		}
	}
	if (need_config(vs_config_path)) {
		resolve_all(vs_now_ms() + (double)vs_deadline_ms());
		if (lk >= 0 && !spawn_refused) {
			vs_refresh_values_set(vs_now_ms(), seen + 1);
			vs_tree_publish(true);
		} else {
			/* (not the tree's values: no count of the tree's) */
			vs_refresh_values_set(vs_now_ms(), 0);
		}
	} else {
		for (size_t i = 0; i < vs_n_map; i++)
			atomic_store(&vs_map[i].overridden, true);
	}
	vs_handoff_unlock(lk);
}

static void ensure_resolved(void)
{
	vs_guard g;

	if (atomic_load_explicit(&vs_resolved, memory_order_acquire))
		return;
	vs_guard_enter(&g);
	in_hook++;
	pthread_mutex_lock(&resolve_lock);
	if (!atomic_load_explicit(&vs_resolved, memory_order_relaxed)) {
		resolve_tree();
		atomic_store_explicit(&vs_resolved, 1, memory_order_release);
	}
	pthread_mutex_unlock(&resolve_lock);
	in_hook--;
	/* a signal that came meanwhile is delivered here, with no lock held */
	vs_guard_leave(&g);
}

/* eager: the values of names the tree left alone go into environ, for
 * runtimes that copy it; libc's setenv, so it is not the program's write */
static void place_values(void)
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

/*
 * fork never waits for a lock of ours (pitfall 12): a resolution may take
 * seconds, the fork may come from a handler of a signal that interrupted
 * this very thread, and an allocator's fork handler registered after ours
 * runs first and holds its lock while ours would wait. Each lock that is
 * free is held across the fork (a child then sees what it guards whole);
 * in the child every lock starts afresh, since the threads that held the
 * others are gone: a resolution a child saw half done is done again.
 */
enum { HELD_INIT = 1, HELD_RESOLVE = 2, HELD_POPEN = 4 };
static __thread unsigned fork_held __attribute__((tls_model("initial-exec")));

static void atfork_prepare(void)
{
	fork_held = 0;
	if (pthread_mutex_trylock(&init_lock) == 0) {
		fork_held |= HELD_INIT;
		/* a process that forks before loading anything (xargs, a lazy
		 * shell, a C loop of fork+exec) still makes one tree of its
		 * children: an empty hand-off, filled by the first of them that
		 * loads the config. System calls only. (Under the init lock:
		 * threads forking at once make one.) */
		if (vs_ho.fd < 0 && vs_config_path && vs_inherit &&
		    atomic_load_explicit(&state, memory_order_acquire) == ST_PENDING)
			vs_handoff_create(vs_config_path, vs_config_text);
	}
	if (pthread_mutex_trylock(&resolve_lock) == 0)
		fork_held |= HELD_RESOLVE;
	if (pthread_mutex_trylock(&vs_popen_lock) == 0)
		fork_held |= HELD_POPEN;
}

static void atfork_parent(void)
{
	if (fork_held & HELD_POPEN)
		pthread_mutex_unlock(&vs_popen_lock);
	if (fork_held & HELD_RESOLVE)
		pthread_mutex_unlock(&resolve_lock);
	if (fork_held & HELD_INIT)
		pthread_mutex_unlock(&init_lock);
	fork_held = 0;
}

static void atfork_child(void)
{
	static const pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

	/* a forked worker may drop its privileges without exec: it writes to
	 * the hand-off only if it can open it again as its owner */
	vs_handoff_forget_writer();
	vs_signal_forked();
	init_lock = fresh;
	resolve_lock = fresh;
	vs_popen_lock = fresh;
	fork_held = 0;
}

/* getenv in a signal handler: what is already there, no lock, no
 * allocation, no helper (pitfall 11). Before this process has its values,
 * a mapped name answers from environ, as an unmapped one does. */
static char *getenv_in_handler(const char *name)
{
	mapped *m;

	if (atomic_load_explicit(&state, memory_order_acquire) != ST_READY || !real_getenv)
		return scan_environ(name);
	m = lookup(name);
	if (m && atomic_load_explicit(&vs_resolved, memory_order_acquire) &&
	    !atomic_load_explicit(&m->overridden, memory_order_relaxed))
		return __atomic_load_n(&m->value, __ATOMIC_ACQUIRE);
	return real_getenv(name);
}

/* A period after the values were resolved (refresh.c): the thread that
 * gets the lock refreshes; the others, and a thread in a handler, serve
 * the values they have meanwhile. */
static void refresh(void)
{
	vs_guard g;

	vs_guard_enter(&g);
	/* (the program has its values: a signal that would only end it need
	 * not wait for Vault) */
	vs_guard_open_fatal();
	in_hook++;
	if (pthread_mutex_trylock(&resolve_lock) == 0) {
		if (vs_refresh_still_due())
			vs_refresh_tree();
		pthread_mutex_unlock(&resolve_lock);
	}
	in_hook--;
	vs_guard_leave(&g);
}

static __attribute__((noinline)) char *getenv_mapped(const char *name)
{
	mapped *m;

	if (in_hook)
		return vs_real_getenv(name);
	if (vs_in_signal && vs_in_handler())
		return getenv_in_handler(name);
	/* (the state tested here: a call per lookup would be paid by every name
	 * that passes the first-byte filter) */
	if (atomic_load_explicit(&state, memory_order_acquire) == ST_PENDING)
		load_now(name, strlen(name));
	if (!real_getenv)
		return vs_real_getenv(name);
	{
		unsigned char c0 = (unsigned char)name[0], c1 = (unsigned char)name[c0 != 0];
		if (!(filter2[c0][c1 >> 6] & (1ULL << (c1 & 63))))
			return real_getenv(name);
	}
	m = lookup(name);
	if (!m || atomic_load_explicit(&m->overridden, memory_order_relaxed))
		return real_getenv(name);
	ensure_resolved();
	/* a child that cannot read the config answers from environ */
	if (atomic_load_explicit(&m->overridden, memory_order_relaxed))
		return real_getenv(name);
	if ((vs_opt_refresh_ms || vs_ho_gen) && vs_refresh_due())
		refresh();
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
		return scan_environ(name);
	}
	return getenv_mapped(name);
}

EXPORT char *secure_getenv(const char *name)
{
	/* a secure-execution (setuid, capabilities) process is never served
	 * secrets and keeps glibc's semantics */
	if (secure_mode || getauxval(AT_SECURE))
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

	if (in_hook || !value || !atomic_load_explicit(&vs_resolved, memory_order_acquire))
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
	if (!overwrite && name && *name && !strchr(name, '=') && !in_hook && !(vs_in_signal && vs_in_handler()) && getenv(name))
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
		load_now(NULL, 0);
	if (rc == 0 && vs_map)
		for (size_t i = 0; i < vs_n_map; i++)
			atomic_store(&vs_map[i].overridden, true);
	return rc;
}

/* ------------------------------------------------------------------ */
/* constructor                                                         */

/* inherit = no: children exec'd from here get neither the preload nor the
 * config; other entries of LD_PRELOAD stay. */
static void drop_inheritance(void)
{
	const char *lp = vs_real_getenv("LD_PRELOAD");

	libc_unsetenv()("VAULTSHIM_CONFIG");
	/* (our path was found by the constructor: no dladdr here, under the
	 * init lock) */
	if (lp && *vs_self_path) {
		const char *self = strrchr(vs_self_path, '/') + 1;
		char *copy = strdup(lp), *out = calloc(1, strlen(lp) + 1);
		if (copy && out) {
			for (char *save = NULL, *t = strtok_r(copy, ": ", &save); t; t = strtok_r(NULL, ": ", &save)) {
				const char *tb = strrchr(t, '/') ? strrchr(t, '/') + 1 : t;
				if (!strcmp(tb, self))
					continue;
				if (*out)
					strcat(out, ":");
				strcat(out, t);
			}
			if (*out)
				libc_setenv()("LD_PRELOAD", out, 1);
			else
				libc_unsetenv()("LD_PRELOAD");
		}
		free(copy);
		free(out);
	}
}

/* Builds the name index over names[0..n) (which live as long as the
 * process) and the filters that go with it (the second-byte filter
 * directly: only the slow path reads it, after the load). */
static int build_index(const char *const *names, size_t n, uint64_t *new_filter)
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

static vs_mode env_mode(bool *set)
{
	const char *m = vs_real_getenv("VAULTSHIM_MODE");
	vs_mode mode = VS_MODE_AUTO;

	*set = m && *m;
	if (!*set || !vs_mode_parse(m, &mode))
		return mode;
	vs_log_always(VS_LOG_ERROR, "VAULTSHIM_MODE '%s' is not one of " VS_MODE_NAMES "; set it to one of them, "
				    "or unset it (auto)", m);
	_exit(VS_EX_USAGE);
}

/* The mode for this launch: VAULTSHIM_MODE (set by vaultshim-exec --mode)
 * is an explicit choice and wins over the config's. */
static bool eager_for(int config_mode, const char *eager_programs)
{
	bool mode_set;
	vs_mode mode = env_mode(&mode_set);

	if (!mode_set)
		mode = (vs_mode)config_mode;
	/* Go sees nothing lazily, whatever the mode says */
	return mode == VS_MODE_EAGER || vs_runtime_is_go() ||
	       (mode == VS_MODE_AUTO && vs_runtime_eager(eager_programs));
}

/* Index built: serve lazily (filter on) or eagerly (values in environ now;
 * getenv then answers from environ). */
static void start(bool eager, const uint64_t *new_filter)
{
	/* a Go program's child holds its values in its environment block,
	 * readable in /proc/PID/environ until it wipes them: it learns them and
	 * wipes them before anything else (see vs_go_parent_choices) */
	if (eager || vs_go_parent()) {
		ensure_resolved();
		vs_go_parent_choices();
	}
	vs_prime_exec_hooks();
	if (eager) {
		place_values();
		vs_go_fill_slots();
		vs_log(VS_LOG_DEBUG, "eager mode: %zu names mapped", vs_n_map);
		memset(filter, 0, sizeof filter);
		return;
	}
	for (size_t i = 0; i < 4; i++)
		filter[i] = new_filter[i];
	vs_log(VS_LOG_DEBUG, "lazy mode: %zu names mapped", vs_n_map);
}

static void die_oom(void)
{
	vs_log_always(VS_LOG_ERROR, "out of memory");
	_exit(VS_EX_SOFTWARE);
}

/* The first process of a tree: loads the config, starts the hand-off for
 * its descendants and makes the preload ready. Config errors: one line,
 * then exit. */
static void full_init(const char *path)
{
	uint64_t new_filter[4];
	const char **names;
	bool eager;

	if (!need_config(path) || !cfg->n_entries) {
		memset(filter, 0, sizeof filter);
		return;
	}
	vs_opt_mode = (int)cfg->options.mode;
	vs_opt_refresh_ms = cfg->options.refresh_ms;
	vs_opt_eager = cfg->options.eager_programs ? cfg->options.eager_programs : "";
	vs_inherit = cfg->options.inherit;
	if (!vs_inherit)
		drop_inheritance();
	if (!(names = calloc(cfg->n_entries, sizeof *names)))
		die_oom();
	for (size_t i = 0; i < cfg->n_entries; i++)
		names[i] = cfg->entries[i].name;
	if (build_index(names, cfg->n_entries, new_filter) < 0)
		die_oom();
	free(names);
	for (size_t i = 0; i < vs_n_map; i++)
		vs_map[i].ambient = vs_map[i].initial;
	/* children without the preload need no hand-off (inherit = no) */
	if (vs_inherit)
		vs_tree_join();
	else
		vs_handoff_drop();
	/* (a hand-off still empty when this process started: its parent's
	 * choices came with it all the same) */
	vs_tree_apply_choices();
	eager = eager_for(vs_opt_mode, vs_opt_eager);
	if (eager && vs_opt_refresh_ms)
		vs_log(VS_LOG_INFO, "refresh: %s is served eagerly (it copies its environment at start): it "
				    "sees new values only when started again; its lazy children refresh",
		       program_invocation_short_name);
	start(eager, new_filter);
}

/*
 * A process of a tree: names, options and, once some process of the tree
 * has resolved, the values come from the hand-off; the config is not read.
 * 1 when served so; 0 when the hand-off is still empty (the config load
 * fills it); -1 when it is not for this process (another config).
 */
static int handoff_init(const char *path)
{
	uint64_t new_filter[4];
	vs_snapshot snap;
	int got = vs_handoff_read(&snap);

	if (got != 0)
		return got == 1 ? 0 : -1;
	if (!vs_tree_same(&snap, path)) {
		/* no names yet, this config's: the config load fills it, from
		 * the text it carries */
		got = !snap.n && !strcmp(snap.config_path, path) ? 0 : -1;
		if (!got && *snap.config_text && !vs_config_text)
			vs_config_text = strdup(snap.config_text);
		vs_snapshot_free(&snap);
		return got;
	}
	resolve_libc_getenv();
	/* snap's strings are the index's names from now on: never freed */
	vs_opt_mode = snap.mode;
	vs_opt_eager = snap.eager_programs;
	vs_opt_timeout_ms = snap.timeout_ms;
	vs_opt_refresh_ms = snap.refresh_ms;
	snprintf(vs_opt_inputs, sizeof vs_opt_inputs, "%s", snap.inputs);
	vs_inherit = snap.inherit;
	if (*snap.config_text)
		vs_config_text = (char *)snap.config_text;
	if (build_index(snap.names, snap.n, new_filter) < 0)
		die_oom();
	for (size_t i = 0; i < vs_n_map; i++)
		vs_map[i].ambient = snap.ambient[i];
	vs_tree_apply_choices();
	if (vs_tree_adopt(&snap)) {
		vs_refresh_values_set(snap.resolved_at_ms, snap.generation);
		atomic_store_explicit(&vs_resolved, 1, memory_order_release);
	}
	start(eager_for(vs_opt_mode, vs_opt_eager), new_filter);
	return 1;
}

/* Every function the preload will call through a pointer, looked up before
 * any lock of ours is taken: dlsym takes the loader's lock, which a thread
 * running a plugin's constructor holds while it calls getenv (pitfall 12). */
static void prime_symbols(void)
{
	resolve_libc_getenv();
	libc_setenv();
	libc_unsetenv();
	vs_prime_exec_hooks();
	vs_prime_sandbox();
}

/* The first getenv that passes the (all-ones) filter loads the config. */
static void deferred_init(void)
{
	vs_guard g;

	/* vs_config_path is unset before our constructor ran: nothing to load yet */
	if (!vs_config_path)
		return;
	in_hook++;
	prime_symbols();
	vs_guard_enter(&g);
	pthread_mutex_lock(&init_lock);
	if (atomic_load_explicit(&state, memory_order_relaxed) == ST_PENDING) {
		int served = 0;
		/* a lazy process of a tree reads the hand-off now, not at start */
		if (ho_deferred && (served = handoff_init(vs_config_path)) < 0)
			vs_handoff_drop();
		if (served <= 0)
			full_init(vs_config_path);
		atomic_store_explicit(&state, ST_READY, memory_order_release);
	}
	pthread_mutex_unlock(&init_lock);
	in_hook--;
	vs_guard_leave(&g);
}

static void early_init(void);

/*
 * Before our constructor, a call may come from inside another library's
 * start-up: an allocator's first malloc asks for MALLOC_CONF holding its own
 * lock, and starting the preload there (which allocates) would wait on it
 * forever. So only a name the config maps starts the preload early; the
 * config is looked at with a static buffer, no allocation. 1 when the
 * name is mapped (or name is NULL: any call that concerns every name).
 */
static bool maps_early(const char *name, size_t len)
{
	/* as large as any config the loader accepts: a larger one is refused
	 * at start anyway, and a config between 64 KiB (the old size) and
	 * VS_CONFIG_MAX started nothing early, so a library constructor
	 * reading a mapped name was answered from environ. Zero pages until
	 * read, and only the file's size is ever touched. */
	static char text[VS_CONFIG_MAX + 1];
	static size_t text_len;
	static atomic_int got; /* 0 not read, 1 reading, 2 read, 3 unusable */
	int expect = 0;

	if (!name)
		return true;
	if (atomic_compare_exchange_strong(&got, &expect, 1)) {
		const char *path = scan_environ("VAULTSHIM_CONFIG");
		int fd = open(path && *path ? path : VS_CONFIG_DEFAULT_PATH, O_RDONLY | O_CLOEXEC), ok = fd >= 0;
		while (ok && text_len < sizeof text) {
			ssize_t r = read(fd, text + text_len, sizeof text - text_len);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				ok = r == 0;
				break;
			}
			text_len += (size_t)r;
		}
		if (fd >= 0)
			close(fd);
		/* (a config larger than VS_CONFIG_MAX: no early start; the
		 * constructor refuses it) */
		atomic_store(&got, ok && text_len < sizeof text ? 2 : 3);
	}
	return atomic_load(&got) == 2 && vs_config_text_maps(text, text_len, name, len);
}

/* The config or hand-off loaded, now, for a call about name[0..len) (NULL:
 * about every name): the constructor's work first when it has not run yet
 * and the name is one the config maps (another library's constructor calls
 * us). Not from a signal handler (loading allocates), nor from within
 * ourselves. */
static void load_now(const char *name, size_t len)
{
	if (in_hook || (vs_in_signal && vs_in_handler()) || atomic_load_explicit(&state, memory_order_acquire) != ST_PENDING)
		return;
	if (!vs_config_path) {
		if (!maps_early(name, len))
			return;
		early_init();
	}
	if (vs_config_path && atomic_load_explicit(&state, memory_order_acquire) == ST_PENDING)
		deferred_init();
}

void vs_ensure_loaded(void)
{
	load_now(NULL, 0);
}

/* LD_PRELOAD is a list: when another object is in it, its execve hook (if
 * any) must still run, so the constructor finds it at once, outside any
 * vfork child; alone, execve is the bare system call. */
static bool another_preload(void)
{
	const char *lp = scan_environ("LD_PRELOAD");
	size_t first;

	if (!lp)
		return false;
	lp += strspn(lp, ": ");
	first = strcspn(lp, ": ");
	lp += first;
	return lp[strspn(lp, ": ")] != '\0';
}

/* Nothing more to do: getenv goes straight to libc from now on. */
static void switch_off(void)
{
	memset(filter, 0, sizeof filter);
	atomic_store(&state, ST_OFF);
}

/* p made absolute against the current directory into buf (room: PATH_BUF,
 * the size of config_path_buf and self_path_buf): NULL, or why not ("too
 * long", getcwd's error). Any directory a process can be in: a cwd longer
 * than a smaller buffer left a path relative, and a child that chdir'd
 * then found another file, or none. */
static const char *absolute_into(char buf[PATH_BUF], const char *p)
{
	char cwd[PATH_BUF];

	if (!getcwd(cwd, sizeof cwd))
		return errno == ERANGE ? "too long" : strerror(errno);
	if ((size_t)snprintf(buf, PATH_BUF, "%s/%s", cwd, p) >= PATH_BUF)
		return "too long";
	return NULL;
}

/* This object's path, made absolute (for the helper, and for children
 * given a served value without the preload). A relative LD_PRELOAD entry
 * naming us is made absolute in the environment too: a child started after
 * the program chdir'd would load whatever that path names there, or
 * nothing (pitfall 14). */
static void find_self(void)
{
	Dl_info info;
	const char *lp;

	if (!dladdr((void *)find_self, &info) || !info.dli_fname)
		return;
	if (*info.dli_fname == '/') {
		if (strlen(info.dli_fname) < sizeof self_path_buf)
			vs_self_path = strcpy(self_path_buf, info.dli_fname);
		return;
	}
	if (absolute_into(self_path_buf, info.dli_fname))
		return;
	vs_self_path = self_path_buf;
	if ((lp = scan_environ("LD_PRELOAD")) && strchr(info.dli_fname, '/')) {
		char out[8192], *o = out;
		size_t flen = strlen(info.dli_fname);
		bool changed = false;
		for (const char *t = lp; *t;) {
			size_t sep = strspn(t, ": "), n;
			if ((size_t)(o - out) + sep >= sizeof out)
				return;
			memcpy(o, t, sep);
			o += sep;
			t += sep;
			n = strcspn(t, ": ");
			if (n == flen && !memcmp(t, info.dli_fname, n)) {
				if ((size_t)(o - out) + strlen(self_path_buf) >= sizeof out)
					return;
				o = stpcpy(o, self_path_buf);
				changed = true;
			} else if (n) {
				if ((size_t)(o - out) + n >= sizeof out)
					return;
				memcpy(o, t, n);
				o += n;
			}
			t += n;
		}
		*o = '\0';
		if (changed)
			libc_setenv()("LD_PRELOAD", out, 1);
	}
}

/*
 * Start-up. A process that never reads its environment (/bin/true) should
 * pay for little here: no resolution and no hand-off unless something must
 * happen before main (eager mode, inherit = no). The config itself is read
 * now, by the first process of a tree (pitfall 13): a failure then is
 * reported before main; nothing a running program does later (closing
 * descriptors, clearenv, a deploy renaming the file) can make a load fail
 * under it, and ${VAR} in the config expands from the environment as it
 * was at start.
 */
static void init(void)
{
	const char *path;

	if (getauxval(AT_SECURE)) {
		secure_mode = true;
		switch_off();
		/* nor does it hand a tree's values on */
		if (vs_handoff_attach(scan_environ("VAULTSHIM_HANDOFF")) == 0)
			vs_handoff_drop();
		return;
	}
	in_hook++;
	if (another_preload())
		vs_next_fn(&vs_real_execve, "execve", (void *)execve);
	/* (a bad setting is said with this process's first line, if any: not
	 * by every process of a tree that has nothing to say) */
	vs_log_setup(scan_environ("VAULTSHIM_LOG"), scan_environ("VAULTSHIM_LOG_FORMAT"),
		     scan_environ("JOURNAL_STREAM"), true);
	/* (the constructor sets the stack's argv before it starts us) */
	if (!vs_stack_argv)
		vs_log(VS_LOG_DEBUG, "started before the constructor, by another library's call");
	path = scan_environ("VAULTSHIM_CONFIG");
	if (!path || !*path) {
		/* no config named and none installed: nothing to do */
		if (access(VS_CONFIG_DEFAULT_PATH, F_OK) != 0) {
			switch_off();
			goto out;
		}
		path = VS_CONFIG_DEFAULT_PATH;
	}
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	vs_initial_environ = environ;
	vs_client_env_capture();
	/* Relative paths are made absolute now, before the program can chdir
	 * (pitfall 14): a config read later, or a helper run later, from the
	 * directory the program moved to would be someone else's. The config's
	 * goes back into the environment, so that children read the same. */
	if (*path != '/') {
		const char *why = absolute_into(config_path_buf, path);
		if (why) {
			/* left relative it would name another file after a chdir:
			 * refused before main, as a broken config is */
			vs_log_always(VS_LOG_ERROR, "VAULTSHIM_CONFIG '%s' is relative and cannot be made absolute "
				      "(current directory: %s): set VAULTSHIM_CONFIG to an absolute path", path, why);
			_exit(VS_EX_CONFIG);
		}
		libc_setenv()("VAULTSHIM_CONFIG", config_path_buf, 1);
		path = config_path_buf;
	} else if (strlen(path) < sizeof config_path_buf) {
		path = strcpy(config_path_buf, path);
	}
	vs_config_path = path;
	find_self();
	/* A process of a tree: everything comes from the hand-off, and only
	 * its head is read now: a lazy process reads the rest at its first
	 * getenv. */
	if (vs_handoff_attach(scan_environ("VAULTSHIM_HANDOFF")) == 0) {
		char head[1024];
		vs_snapshot_head h;
		int got = vs_handoff_head(head, sizeof head, &h);
		if (got == 0 && (h.config_path_len != strlen(path) || memcmp(h.config_path, path, h.config_path_len))) {
			vs_handoff_drop(); /* another tree's: not ours to pass on */
		} else if (got == 0) {
			char eager[512];
			snprintf(eager, sizeof eager, "%.*s", (int)h.eager_programs_len, h.eager_programs);
			/* (a Go program's child reads it now: see vs_go_parent_choices) */
			if (!eager_for(h.mode, eager) && !vs_go_parent()) {
				ho_deferred = true;
				goto out;
			}
			resolve_libc_getenv(); /* (the rest after a Go parent's values are wiped: start) */
			got = handoff_init(path);
			if (got > 0) {
				atomic_store(&state, ST_READY);
				goto out;
			}
			if (got < 0)
				vs_handoff_drop();
		}
	}
	if (!need_config(path)) {
		switch_off();
		goto out;
	}
	if (!cfg->options.inherit || eager_for((int)cfg->options.mode, cfg->options.eager_programs)) {
		prime_symbols();
		full_init(path);
		atomic_store(&state, ST_READY);
	} else {
		vs_log(VS_LOG_DEBUG, "config read; the rest deferred to the first getenv");
	}
out:
	in_hook--;
	atomic_store(&started, true);
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* A hook called before our constructor (by another library's constructor:
 * they run first) starts the preload there and then, so that a C++ static
 * initializer reading a mapped name gets its value, and a write to one is
 * remembered (pitfall 3). */
static void early_init(void)
{
	pthread_once(&init_once, init);
}

/* glibc calls constructors with the process's argc, argv and envp; the
 * environment block on the stack is argv + argc + 1, whatever environ has
 * become since (a Go program reads it there). */
__attribute__((constructor)) static void vaultshim_init(int argc, char **argv, char **envp)
{
	bool early = atomic_load(&started);

	(void)envp;
	if (argv && argc >= 0) {
		vs_stack_argv = argv;
		vs_stack_envp = argv + argc + 1;
	}
	pthread_once(&init_once, init);
	if (atomic_load(&state) != ST_READY)
		return;
	/* started early, without the stack's block in hand */
	if (early && vs_runtime_is_go())
		vs_go_fill_slots();
	vs_go_reexec();
}
