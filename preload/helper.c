/*
 * helper.c — the resolution: finding, starting and reading the resolver
 * helper (`vaultshim resolve`: Vault is read by a helper process, so this
 * object links neither libcurl nor cJSON nor OpenSSL), the config it is
 * given, and the values resolved once for the process and its tree
 * (vs_ensure_resolved), then refreshed (vs_refresh_try).
 *
 * Depends on preload.h (the index, the hand-off, the tree, the sandbox)
 * and the core's config, resolver, helper protocol (vs_wire.h) and audit.
 */
#define _GNU_SOURCE
#include "preload.h"
#include "vs_audit.h"
#include "vs_wire.h"
#include "vs_log.h"
#include "vs_resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef VS_BINDIR /* the Makefile's BINDIR */
#define VS_BINDIR "/usr/local/bin"
#endif
#define HELPER_OUTPUT_MAX (64u * 1024 * 1024)

extern char **environ;

vs_config *vs_cfg;            /* NULL in a process served by the hand-off */
/* the bytes vs_cfg is parsed from, handed to the helper and down the tree:
 * nothing opens the file again (a deploy may have renamed it, a chmod made
 * it unsafe) */
char *vs_config_text;
atomic_bool vs_unreadable;

pthread_mutex_t vs_resolve_lock = PTHREAD_MUTEX_INITIALIZER;
atomic_int vs_resolved;       /* 1 once the values are interned */

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

	if (vs_cfg->options.helper)
		p = strdup(vs_cfg->options.helper);
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
	vs_timeout_ms(vs_cfg && vs_cfg->vault.timeout_ms > 0 ? vs_cfg->vault.timeout_ms : vs_opt_timeout_ms,
		      vs_client_getenv("VAULT_CLIENT_TIMEOUT"), &ms);
	return ms + VS_HELPER_GRACE_MS;
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

	if (fd < 0)
		return -1;
	/* above the helper's 0-3, whatever the program left closed */
	if ((high = fcntl(fd, F_DUPFD_CLOEXEC, 10)) >= 0) {
		close(fd);
		fd = high;
	}
	if (vs_write_all(fd, vs_config_text, strlen(vs_config_text)) < 0) {
		close(fd);
		return -1;
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
	    !(tmp = calloc(vs_cfg->n_entries + 1, sizeof *tmp)))
		return false;
	whole = vs_helper_parse(vs_cfg, out->p, out->len, tmp, &batch, &err) == 0;
	for (size_t i = 0; i < vs_cfg->n_entries; i++)
		vs_secret_clear(&tmp[i]);
	free(tmp);
	return whole;
}

/* this process may not start its helper (its own seccomp filter): its
 * failure is its own, never published to the tree */
static bool spawn_refused;

/* Starts the helper argv[0] with argv and env: its stdout the pipe's write
 * end pfd[1] (closed here, and set to -1), stdin /dev/null, the config's
 * memfd cfd (none: -1) as its descriptor 3, no signal blocked. Its pid, or
 * -1 with r->err saying why. */
static pid_t spawn_helper(helper_result *r, char **argv, char **env, int cfd, int pfd[2])
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none;
	pid_t pid = -1;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (cfd >= 0)
		posix_spawn_file_actions_adddup2(&fa, cfd, 3);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	errno = posix_spawn(&pid, argv[0], &fa, &attr, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(pfd[1]);
	pfd[1] = -1;
	if (errno) {
		vs_fail(&r->err, VS_EX_UNAVAILABLE, "cannot run the resolver helper %s: %s; install vaultshim beside "
			"the library (../bin/vaultshim), or set helper in [options] to its path", argv[0],
			strerror(errno));
		return -1;
	}
	return pid;
}

/* Reads the helper's answer from fd into r->out until it is whole or the
 * pipe ends, giving up at end (monotonic ms): r->err says why. */
static void read_answer(helper_result *r, int fd, double end)
{
	bool eof = false;

	while (!eof) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		double left = end - vs_now_ms();
		int pr;
		if (left <= 0) {
			vs_fail(&r->err, VS_EX_UNAVAILABLE, "resolver helper gave no answer within %ld ms; raise timeout "
				"in [vault] (or VAULT_CLIENT_TIMEOUT) if Vault is slow to answer", vs_deadline_ms());
			return;
		}
		pr = poll(&p, 1, (int)left + 1);
		if (pr < 0 && errno != EINTR) {
			vs_fail(&r->err, VS_EX_OSERR, "resolver helper: poll: %s", strerror(errno));
			return;
		}
		if (pr <= 0)
			continue;
		if (r->out.len + 4096 > HELPER_OUTPUT_MAX || !vs_buf_reserve(&r->out, 4096)) {
			vs_fail(&r->err, VS_EX_UNAVAILABLE, "resolver helper: output too large");
			return;
		}
		{
			ssize_t n = read(fd, r->out.p + r->out.len, r->out.cap - 1 - r->out.len);
			if (n < 0 && errno != EINTR && errno != EAGAIN) {
				vs_fail(&r->err, VS_EX_OSERR, "resolver helper: read: %s", strerror(errno));
				return;
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
}

/* Waits for the helper pid (killed first when we gave up on it); an
 * answer-less exit is r's error. */
static void reap_helper(helper_result *r, pid_t pid, const char *helper)
{
	int status = 0;

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

/* Runs the helper and reads its answer, giving up at end (monotonic ms);
 * a refresh asks it not to read dynamic engines' paths. */
static void run_helper(helper_result *r, double end, bool refresh)
{
	char *helper = NULL;

	/* (refused for this process's own sandbox: not an answer for its tree) */
	if (vs_spawn_allowed(vs_cfg->options.seccomp, &r->err))
		spawn_refused = true;
	else
		helper = find_helper(&r->err);
	char **env = helper ? helper_env() : NULL;
	int cfd = helper && vs_config_text ? config_memfd() : -1;
	char *argv[10] = {helper, (char *)"resolve", (char *)"-c", (char *)vs_cfg->path};
	int argc = 4;
	char who[96];
	int pfd[2] = {-1, -1};
	pid_t pid = -1;

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
	if ((pid = spawn_helper(r, argv, env, cfd, pfd)) > 0)
		read_answer(r, pfd[0], end);
out:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (cfd >= 0)
		close(cfd);
	if (pid > 0)
		reap_helper(r, pid, helper);
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
	if (n != vs_cfg->n_entries)
		return vs_fail(err, VS_EX_SOFTWARE, "resolver: name count mismatch");
	if (vs_helper_parse(vs_cfg, hr->out.p, hr->out.len, out, &batch, err) < 0) {
		for (size_t i = 0; i < n; i++)
			vs_secret_clear(&out[i]);
		return err->code;
	}
	/* (for the audit record: what the helper's reads cost Vault) */
	if (stats)
		stats->requests = vs_helper_requests(hr->out.p, hr->out.len);
	return batch;
}

/* The config: read at start by the first process of a tree, later only by
 * a process of a tree whose hand-off was lost. false when this user cannot
 * read it (a child that dropped its privileges): one warning, and the
 * mapped names answer from the environment. Any other failure at start:
 * one line, then exit, before main. Later (docs/design.md, pitfall 13): one line, and the
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
	 * since the config was read (docs/design.md, pitfall 15) */
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
	if (vs_cfg)
		return true;
	/* the text the tree's first process read (docs/design.md, pitfall 13), else the file */
	if (vs_config_text)
		rc = vs_config_parse(path, vs_config_text, strlen(vs_config_text), env, NULL, &vs_cfg, &err);
	else
		rc = vs_config_load_text(path, env, NULL, &vs_cfg, &vs_config_text, &text_len, &err);
	if (rc) {
		if (atomic_load(&vs_started)) {
			vs_log(VS_LOG_WARN, "config: %s; names answer from the environment; fix the file "
					    "('vaultshim check -c %s' says what is wrong) and start the program again",
			       err.msg, path);
			atomic_store(&vs_unreadable, true);
			return false;
		}
		vs_log_always(VS_LOG_ERROR, "config: %s", err.msg);
		_exit(err.code);
	}
	vs_opt_timeout_ms = vs_cfg->vault.timeout_ms;
	return true;
}

/* The environment a resolution sees: a mapped name's fallback is its value
 * in the launch environment, whichever process of the tree resolves. */
static const char *env_for_resolve(const char *name, void *ctx)
{
	mapped *m = vs_lookup(name);

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
	rc = vs_resolve(vs_cfg, NULL, 0, env_for_resolve, NULL, helper_fetch, &fc, res, err);
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

	if (vs_cfg && vs_audit_record(vs_cfg, event, NULL, res, &err))
		vs_log_always(VS_LOG_ERROR, "%s; the values are served without this record", err.msg);
}

/* Resolves every mapping of vs_cfg into vs_map. Policy failure: one line,
 * then exit with the sysexits code, before the program can act on a
 * missing secret. */
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
		mapped *m = vs_lookup(v->entry->name);
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
		lk = vs_handoff_lock(vs_now_ms() + (double)(vs_deadline_ms() - VS_HELPER_GRACE_MS));
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

void vs_ensure_resolved(void)
{
	vs_guard g;

	if (atomic_load_explicit(&vs_resolved, memory_order_acquire))
		return;
	vs_guard_enter(&g);
	vs_in_hook++;
	pthread_mutex_lock(&vs_resolve_lock);
	if (!atomic_load_explicit(&vs_resolved, memory_order_relaxed)) {
		resolve_tree();
		atomic_store_explicit(&vs_resolved, 1, memory_order_release);
	}
	pthread_mutex_unlock(&vs_resolve_lock);
	vs_in_hook--;
	/* a signal that came meanwhile is delivered here, with no lock held */
	vs_guard_leave(&g);
}

/* A period after the values were resolved (refresh.c): the thread that
 * gets the lock refreshes; the others, and a thread in a handler, serve
 * the values they have meanwhile. */
void vs_refresh_try(void)
{
	vs_guard g;

	vs_guard_enter(&g);
	/* (the program has its values: a signal that would only end it need
	 * not wait for Vault) */
	vs_guard_open_fatal();
	vs_in_hook++;
	if (pthread_mutex_trylock(&vs_resolve_lock) == 0) {
		if (vs_refresh_still_due())
			vs_refresh_tree();
		pthread_mutex_unlock(&vs_resolve_lock);
	}
	vs_in_hook--;
	vs_guard_leave(&g);
}

