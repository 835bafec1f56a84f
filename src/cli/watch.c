/*
 * vaultshim exec with watch (README "Watching for changes"): the launcher
 * stays as its program's parent instead of exec'ing it.
 *
 * Built into vaultshim-client.so (it talks to Vault), so that the launch
 * path of a plain `vaultshim exec` keeps no libcurl: exec.c hands over to
 * `__watch` through vs_client_run, as it does for every other command that
 * needs Vault. The program is started as `vaultshim exec --no-watch …`, so it
 * goes down exactly the path a plain exec takes (the preload resolves
 * lazily in it, afresh at every start).
 *
 * Two threads. The main one waits on a signalfd and a pipe: it forwards
 * SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH to the
 * program, reaps it (and, as PID 1 of a container, every orphan that ends up
 * here), applies on_change and exits with the program's status (128+N when
 * it was killed by signal N). The poller thread reads the mapped paths every
 * period through one Vault session (src/vault/session.c) with skip_dynamic
 * (a dynamic engine's path is never read: it would mint a credential),
 * compares them with the last read (KV v2: the version; other engines: the
 * mapped values, held in memory only and wiped), and writes one byte to the
 * pipe per change. Vault being down or refusing never stops the program:
 * the last state is kept, the poll retried with backoff (up to 5 periods),
 * and the change of state logged once.
 */
#define _GNU_SOURCE
#include "cli/vs_cli.h"
#include "core/vs_config.h"
#include "core/vs_log.h"
#include "core/vs_snapshot.h"
#include "vault/vs_vault.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

/* One unique (path, version, kv_version) of the [env] entries. */
typedef struct watched {
	const char *path;
	int version;
	int ekv;        /* the entries' kv_version (0 = detect) */
	int kv;         /* the one polled with: learned after the first read, so
			 * later polls skip the mount lookup */
	bool dynamic;   /* on a dynamic engine: never read */
	bool have;      /* a state is known */
	bool missing;
	long kv_no;     /* KV v2: the version read */
	char *snap;     /* other engines: the mapped fields and values */
	size_t snap_len;
} watched;

static struct {
	vs_config *cfg;
	long period_ms;
	watched *w;
	size_t nw;
	int pipe_w;
	const char *prog;
	const char *config;    /* as the program's VAULTSHIM_CONFIG has it */
	_Atomic pid_t child;   /* the program now */
	vs_vault_settings s;   /* the supervisor's own (never the held socket) */
	vs_vault_session *ss;  /* one token, for the polls and the held leases */
	bool have_session;
	pthread_mutex_t mu;    /* the session: the poller's and the hold's */
} W = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void wipe(watched *w)
{
	if (w->snap) {
		explicit_bzero(w->snap, w->snap_len);
		free(w->snap);
	}
	w->snap = NULL;
	w->snap_len = 0;
}

/* The mapped fields of w in sec, as "field\0value\0…" (absent: \1). */
static char *snapshot(const watched *w, const vs_secret *sec, size_t *len)
{
	vs_buf b = {0};

	for (size_t i = 0; i < W.cfg->n_entries; i++) {
		const vs_entry *e = &W.cfg->entries[i];
		const char *v;
		if (strcmp(e->path, w->path) || e->version != w->version || e->kv_version != w->ekv)
			continue;
		v = vs_secret_field(sec, e->field);
		vs_buf_put(&b, e->field, strlen(e->field) + 1);
		vs_buf_put(&b, v ? v : "\1", strlen(v ? v : "\1") + 1);
	}
	if (b.oom) {
		vs_buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return b.p ? b.p : calloc(1, 1);
}

/* Whether the path, read (or missing) now, changed since the last read. */
static bool update(watched *w, const vs_secret *sec)
{
	bool missing = sec->code == VS_EX_MISSING, changed;
	char *snap = NULL;
	size_t len = 0;

	if (!missing && !w->ekv && !w->kv && sec->api_path) {
		/* as the client would form it with the KV version forced (the
		 * first segment as the mount): then force it from now on */
		size_t ml = strcspn(w->path, "/");
		if (!strcmp(sec->engine, "kv-v1") && !strcmp(sec->api_path, w->path))
			w->kv = 1;
		else if (!strcmp(sec->engine, "kv-v2") && w->path[ml] &&
			 !strncmp(sec->api_path, w->path, ml) && !strncmp(sec->api_path + ml, "/data/", 6) &&
			 !strcmp(sec->api_path + ml + 6, w->path + ml + 1))
			w->kv = 2;
	}
	if (!missing && !(sec->kv_version_no > 0))
		snap = snapshot(w, sec, &len);
	changed = w->have && (missing != w->missing || (!missing && (sec->kv_version_no != w->kv_no ||
		  (snap && (len != w->snap_len || !w->snap || memcmp(snap, w->snap, len))))));
	wipe(w);
	w->have = true;
	w->missing = missing;
	w->kv_no = missing ? 0 : sec->kv_version_no;
	w->snap = snap;
	w->snap_len = len;
	return changed;
}

/*
 * The program's tree keeps its values in its hand-off (a memfd named
 * "vaultshim" that the program holds, preload/handoff.c): marked stale
 * there, they are resolved again by the first of its lazy processes that
 * calls getenv for a mapped name, once for the tree, and taken by the
 * others at their next getenv (README "Rotation and leases"). A program
 * that holds no hand-off (inherit = no, a static program) or is another
 * user's is left as it is: one line at info.
 */
static void mark_stale(pid_t child)
{
	char dir[64], path[128], link[64];
	struct dirent *e;
	DIR *d;
	int rc = 1;
	/* (a resolution of the tree's in progress is waited for, as long as
	 * the preload would give it: Vault's timeout by the one rule, which
	 * W.s holds, and the helper's start-up; once, whatever the number of
	 * the hand-off's descriptors the program holds) */
	double deadline = vs_now_ms() + (double)(W.s.timeout_ms + VS_HELPER_GRACE_MS);

	snprintf(dir, sizeof dir, "/proc/%d/fd", (int)child);
	if (child <= 0 || !(d = opendir(dir))) {
		vs_log(VS_LOG_INFO, "watch: %s: no hand-off to update", W.prog);
		return;
	}
	while (rc != 0 && (e = readdir(d))) {
		ssize_t n;
		int fd;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (e->d_name[0] == '.' || (n = readlink(path, link, sizeof link - 1)) <= 0)
			continue;
		link[n] = '\0';
		if (strncmp(link, "/memfd:vaultshim ", 17) || (fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
			continue;
		rc = vs_snapshot_mark_stale(fd, W.config, deadline);
		close(fd);
	}
	closedir(d);
	if (rc == 0)
		vs_log(VS_LOG_DEBUG, "watch: the values in %s's hand-off are marked stale", W.prog);
	else
		vs_log(VS_LOG_INFO, "watch: %s holds no hand-off of %s to update (it reads new values only "
				    "if restarted)", W.prog, W.config);
}

/* One poll. Returns whether Vault answered every read; *why says why not. */
static bool poll_once(vs_vault_session *ss, char *why, size_t whysz)
{
	vs_vault_req *reqs = calloc(W.nw + 1, sizeof *reqs);
	vs_secret *secs = calloc(W.nw + 1, sizeof *secs);
	size_t *map = calloc(W.nw + 1, sizeof *map), n = 0, refused = 0;
	vs_error err = {0};
	vs_buf changed = {0};
	bool ok = true;
	int rc, retried = 0;

	if (!reqs || !secs || !map) {
		snprintf(why, whysz, "out of memory");
		ok = false;
		goto out;
	}
again:
	if ((rc = vs_vault_session_keep(ss, &err))) {
		snprintf(why, whysz, "%s", err.msg);
		ok = false;
		goto out;
	}
	n = 0;
	for (size_t i = 0; i < W.nw; i++)
		if (!W.w[i].dynamic) {
			map[n] = i;
			reqs[n++] = (vs_vault_req){.path = W.w[i].path, .version = W.w[i].version,
						   .kv_version = W.w[i].ekv ? W.w[i].ekv : W.w[i].kv};
		}
	if (n && (rc = vs_vault_read(vs_vault_session_settings(ss), reqs, n, secs, NULL, &err))) {
		if (rc == VS_EX_NOPERM && vs_vault_session_refused(ss) && !retried++)
			goto again; /* the login's token expired or was revoked: a fresh login */
		snprintf(why, whysz, "%s", err.msg);
		ok = false;
		goto out;
	}
	for (size_t k = 0; k < n; k++)
		refused += secs[k].code == VS_EX_NOPERM;
	if (refused && refused == n && vs_vault_session_refused(ss) && !retried++) {
		for (size_t k = 0; k < n; k++)
			vs_secret_clear(&secs[k]);
		refused = 0;
		goto again;
	}
	refused = 0;
	for (size_t k = 0; k < n; k++) {
		watched *w = &W.w[map[k]];
		if (secs[k].dynamic_unread) {
			w->dynamic = true;
			vs_log(VS_LOG_DEBUG, "watch: %s is on a dynamic engine: not polled", w->path);
		} else if (secs[k].code && secs[k].code != VS_EX_MISSING) {
			if (ok)
				snprintf(why, whysz, "%s", secs[k].err);
			ok = false;
		} else if (update(w, &secs[k])) {
			if (changed.len)
				vs_buf_put(&changed, ", ", 2);
			vs_buf_put(&changed, w->path, strlen(w->path));
		}
		vs_secret_clear(&secs[k]);
	}
	if (changed.len) {
		const vs_options *o = &W.cfg->options;
		if (o->on_change == VS_ON_CHANGE_RESTART)
			vs_log(VS_LOG_INFO, "watch: changed in Vault: %s; restarting %s", changed.p, W.prog);
		else if (o->on_change == VS_ON_CHANGE_SIGNAL)
			vs_log(VS_LOG_INFO, "watch: changed in Vault: %s; sending %s to %s", changed.p,
			       vs_signal_name(o->on_change_signal), W.prog);
		else
			vs_log(VS_LOG_INFO, "watch: changed in Vault: %s (on_change = none)", changed.p);
		/* the program stays: its tree resolves again at its next getenv */
		if (o->on_change != VS_ON_CHANGE_RESTART)
			mark_stale(atomic_load(&W.child));
		if (write(W.pipe_w, "c", 1) < 0 && errno != EAGAIN)
			vs_log(VS_LOG_WARN, "watch: cannot tell the supervisor: %s", strerror(errno));
	}
out:
	free(changed.p);
	free(reqs);
	free(secs);
	free(map);
	return ok;
}

/* One poll and what it says of Vault's state (logged once per change). */
static bool poll_step(vs_vault_session *ss, bool up, int *fails, char *why, size_t whysz)
{
	if (poll_once(ss, why, whysz)) {
		if (!up)
			vs_log(VS_LOG_INFO, "watch: Vault answers again; watching every %ld ms", W.period_ms);
		*fails = 0;
		return true;
	}
	if (up)
		vs_log(VS_LOG_WARN, "watch: Vault cannot be read (%s); %s keeps running with the values "
				    "it has, retrying", why, W.prog);
	*fails += *fails < 4;
	return false;
}

static void sleep_until(double t)
{
	double ms = t - vs_now_ms();
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1000) * 1e6);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* A held credential was replaced (hold.c): the program takes it as it
 * takes a change in Vault. */
static void hold_changed(const char *paths)
{
	const vs_options *o = &W.cfg->options;

	vs_log(VS_LOG_INFO, "watch: new credential for %s; %s", paths,
	       o->on_change == VS_ON_CHANGE_RESTART ? "restarting the program" : "applying on_change");
	if (o->on_change != VS_ON_CHANGE_RESTART)
		mark_stale(atomic_load(&W.child));
	if (write(W.pipe_w, "c", 1) < 0 && errno != EAGAIN)
		vs_log(VS_LOG_WARN, "watch: cannot tell the supervisor: %s", strerror(errno));
}

static void *poller(void *arg)
{
	vs_vault_session *ss = W.ss;
	vs_error err = {0};
	bool up = true, keep_failed = false;
	int fails = 0;
	double next = vs_now_ms();

	(void)arg;
	for (;;) {
		double due, hold_due = vs_hold_due();
		char why[VS_ERR_MAX] = "", changed[512];
		pthread_mutex_lock(&W.mu);
		due = vs_vault_session_due(ss);
		pthread_mutex_unlock(&W.mu);
		if (hold_due > 0 && hold_due < next && (keep_failed || due <= 0 || hold_due < due)) {
			/* a held lease to renew (or replace) before the next poll */
			sleep_until(hold_due);
			if (vs_hold_tick(changed, sizeof changed))
				hold_changed(changed);
			continue;
		}
		if (!keep_failed && due > 0 && due < next) {
			/* the token needs renewing before the next poll (once: a
			 * failure waits for the poll, which tries again) */
			sleep_until(due);
			pthread_mutex_lock(&W.mu);
			if (vs_vault_session_keep(ss, &err)) {
				keep_failed = true;
				vs_log(VS_LOG_DEBUG, "watch: keeping the token: %s", err.msg);
			}
			pthread_mutex_unlock(&W.mu);
			continue;
		}
		keep_failed = false;
		sleep_until(next);
		pthread_mutex_lock(&W.mu);
		up = poll_step(ss, up, &fails, why, sizeof why);
		pthread_mutex_unlock(&W.mu);
		/* (a renewed token may have been a new login: the held leases
		 * read with the old one are replaced before it goes) */
		if (vs_hold_tick(changed, sizeof changed))
			hold_changed(changed);
		next = vs_now_ms() + (double)W.period_ms * (1 + fails);
	}
	return NULL;
}

/* The distinct paths the [env] entries read. */
static void collect(void)
{
	W.w = calloc(W.cfg->n_entries + 1, sizeof *W.w);
	if (!W.w)
		vs_exec_die(VS_EX_OSERR, "out of memory");
	for (size_t i = 0; i < W.cfg->n_entries; i++) {
		const vs_entry *e = &W.cfg->entries[i];
		size_t j;
		for (j = 0; j < W.nw; j++)
			if (!strcmp(W.w[j].path, e->path) && W.w[j].version == e->version && W.w[j].ekv == e->kv_version)
				break;
		if (j == W.nw)
			W.w[W.nw++] = (watched){.path = e->path, .version = e->version, .ekv = e->kv_version};
	}
}

static pid_t start(char **argv)
{
	posix_spawnattr_t a;
	sigset_t none, defs;
	pid_t pid;
	int rc;

	sigemptyset(&none);
	sigemptyset(&defs);
	for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++)
		sigaddset(&defs, forwarded[i]);
	sigaddset(&defs, SIGCHLD);
	sigaddset(&defs, SIGPIPE);
	posix_spawnattr_init(&a);
	posix_spawnattr_setflags(&a, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&a, &none);
	posix_spawnattr_setsigdefault(&a, &defs);
	rc = posix_spawn(&pid, argv[0], NULL, &a, argv, environ);
	posix_spawnattr_destroy(&a);
	if (rc)
		vs_exec_die(VS_EX_OSERR, "cannot start %s: %s", argv[0], strerror(rc));
	return pid;
}

/* The program is gone: so are the leases held for it. */
static void leave(int code)
{
	vs_hold_revoke_all();
	vs_hold_close();
	fflush(NULL);
	_exit(code);
}

/* The arguments (from exec.c only): the period, the config (W.cfg, its
 * paths in W.w) and the program's name for the log lines. */
static void watch_args(int argc, char **argv)
{
	vs_error err = {0};

	if (argc < 6 || strcmp(argv[3], "--"))
		vs_exec_die(VS_EX_USAGE, "__watch is for vaultshim exec's own use");
	W.period_ms = atol(argv[1]);
	if (W.period_ms < VS_WATCH_MIN_MS)
		vs_exec_die(VS_EX_USAGE, "watch: a period of at least 1s");
	if (vs_config_load(argv[2], vs_libc_getenv, NULL, &W.cfg, &err))
		vs_exec_die(err.code, "config: %s", err.msg);
	W.config = argv[2];
	for (int i = 4; i < argc; i++)
		if (!strcmp(argv[i], "--") && i + 1 < argc) {
			W.prog = argv[i + 1];
			break;
		}
	if (!W.prog)
		W.prog = "the program";
	collect();
}

/* The signals to pass on and SIGCHLD, as a signalfd (returned), and the
 * poller's pipe (pfd). */
static int open_channels(int pfd[2])
{
	sigset_t set;
	int sfd;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++)
		sigaddset(&set, forwarded[i]);
	sigaddset(&set, SIGCHLD);
	/* blocked before the poller starts: every signal comes to the signalfd;
	 * and not ignored (a shell ignores SIGINT and SIGQUIT for a background
	 * job), or it would never come there to be passed on */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++)
		signal(forwarded[i], SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0 || pipe2(pfd, O_CLOEXEC | O_NONBLOCK) < 0)
		vs_exec_die(VS_EX_OSERR, "watch: %s", strerror(errno));
	return sfd;
}

/* One session for the polls and the held leases; the program's helpers
 * ask this launcher for its dynamic secrets (VAULTSHIM_SUPERVISOR). */
static void open_session(void)
{
	vs_error err = {0};

	if (vs_vault_settings_init(&W.s, W.cfg, vs_libc_getenv, NULL, &err)) {
		vs_log(VS_LOG_ERROR, "watch: not watching: %s", err.msg);
	} else {
		free(W.s.held_socket);
		W.s.held_socket = NULL;
		W.s.skip_dynamic = true;
		if (!(W.ss = vs_vault_session_new(&W.s)))
			vs_exec_die(VS_EX_OSERR, "out of memory");
		W.have_session = true;
		if (vs_hold_open(W.cfg, W.ss, &W.mu) == 0)
			setenv("VAULTSHIM_SUPERVISOR", vs_hold_socket(), 1);
		else
			vs_log(VS_LOG_WARN, "watch: cannot open a socket for the program's dynamic secrets "
					    "(%s): its helpers read them from Vault", strerror(errno));
	}
	if (!vs_hold_socket())
		unsetenv("VAULTSHIM_SUPERVISOR"); /* (an outer launcher's is not for this one) */
}

/* The program as the main loop sees it. */
typedef struct prog_state {
	char **argv;            /* how it is started */
	pid_t child;
	bool stopping;          /* a restart sent stop_signal */
	bool killed;            /* and SIGKILL after restart_grace */
	bool terminating;       /* a signal that ends it was passed on: no restart */
	double kill_at;
} prog_state;

/* A signal on the signalfd: passed on to the program (false: the loop
 * goes round), or SIGCHLD: the program's end is this launcher's, unless it
 * was stopped for a restart, which starts it again. */
static bool on_signal(prog_state *p, int sfd)
{
	struct signalfd_siginfo si;

	if (read(sfd, &si, sizeof si) != sizeof si)
		return false;
	if ((int)si.ssi_signo != SIGCHLD) {
		int sig = (int)si.ssi_signo;
		if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT)
			p->terminating = true;
		kill(p->child, sig);
		return false;
	}
	/* SIGCHLD: the program, or (as PID 1) an orphan handed to us */
	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG);
		if (pid <= 0)
			break;
		if (pid != p->child)
			continue;
		if (!p->stopping || p->terminating)
			leave(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		/* a restart: the new one resolves afresh */
		p->stopping = p->killed = false;
		fflush(NULL);
		p->child = start(p->argv);
		atomic_store(&W.child, p->child);
	}
	return true;
}

/* A change the poller wrote to the pipe: on_change applied. */
static void on_change(prog_state *p, int pipe_r)
{
	const vs_options *o = &W.cfg->options;
	char buf[64];

	while (read(pipe_r, buf, sizeof buf) > 0)
		;
	if (p->terminating)
		return;
	if (o->on_change == VS_ON_CHANGE_SIGNAL) {
		kill(p->child, o->on_change_signal);
	} else if (o->on_change == VS_ON_CHANGE_RESTART && !p->stopping) {
		kill(p->child, o->stop_signal);
		p->stopping = true;
		p->killed = false;
		p->kill_at = vs_now_ms() + (double)o->restart_grace_ms;
	}
}

/* The main thread from the program's start on: signals, the program's
 * end, changes, and SIGKILL for a program that outlives restart_grace. */
static void watch_loop(prog_state *p, int sfd, int pipe_r) __attribute__((noreturn));

static void watch_loop(prog_state *p, int sfd, int pipe_r)
{
	const vs_options *o = &W.cfg->options;

	for (;;) {
		struct pollfd fds[2] = {{.fd = sfd, .events = POLLIN}, {.fd = pipe_r, .events = POLLIN}};
		int timeout = -1;
		if (p->stopping && !p->killed) {
			double left = p->kill_at - vs_now_ms();
			timeout = left > 0 ? (int)left + 1 : 0;
		}
		if (poll(fds, 2, timeout) < 0) {
			if (errno == EINTR)
				continue;
			vs_exec_die(VS_EX_OSERR, "watch: poll: %s", strerror(errno));
		}
		if (p->stopping && !p->killed && vs_now_ms() >= p->kill_at) {
			vs_log(VS_LOG_WARN, "watch: %s did not stop within restart_grace after %s: killing it; "
					    "raise restart_grace in [options] if it needs longer to stop",
			       W.prog, vs_signal_name(o->stop_signal));
			kill(p->child, SIGKILL);
			p->killed = true;
		}
		if ((fds[0].revents & POLLIN) && !on_signal(p, sfd))
			continue;
		if (fds[1].revents & POLLIN)
			on_change(p, pipe_r);
	}
}

/* `vaultshim __watch PERIOD_MS CONFIG -- VAULTSHIM exec --no-watch … -- CMD…`
 * (from exec.c only). */
int vs_cmd_watch(int argc, char **argv)
{
	prog_state p = {.argv = argv + 4};
	int sfd, pfd[2];
	pthread_t th;

	/* an exit on an error (vs_exec_die) leaves no socket behind; the
	 * program's end (leave) revokes the leases and closes it itself */
	atexit(vs_hold_close);
	watch_args(argc, argv);
	sfd = open_channels(pfd);
	W.pipe_w = pfd[1];
	open_session();
	fflush(NULL);
	p.child = start(p.argv);
	atomic_store(&W.child, p.child);
	if (W.have_session && (errno = pthread_create(&th, NULL, poller, NULL)))
		vs_log(VS_LOG_ERROR, "watch: cannot start the poller (%s): not watching", strerror(errno));
	watch_loop(&p, sfd, pfd[0]);
}
