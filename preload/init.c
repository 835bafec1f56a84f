/*
 * init.c — start-up: the constructor, and a start before it when another
 * library's constructor calls a hook first; the config or the hand-off
 * loaded at start or at the first getenv that needs it; the mode (lazy or
 * eager) chosen and the index served; the fork handlers.
 *
 * Depends on preload.h: the index and libc's functions (getenv.c), the
 * config and the resolution (helper.c), the hand-off and the tree
 * (handoff.c, tree.c), the runtime (runtime.c).
 */
#define _GNU_SOURCE
#include "preload.h"
#include "vs_log.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char **environ;

/* the config this process serves; set by the constructor (to a copy when
 * it fits config_path_buf) */
const char *vs_config_path;
bool vs_inherit = true;
const char *vs_self_path = "";
char **vs_initial_environ;
/* copies made by the constructor: a program may overwrite its initial
 * environment (setproctitle) */
#define PATH_BUF 4096
static char config_path_buf[PATH_BUF], self_path_buf[PATH_BUF];

atomic_int vs_state = VS_ST_PENDING; /* config not loaded yet */
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static bool ho_deferred;      /* a lazy process of a tree: hand-off read at the load */
bool vs_secure_mode;

/* set once the start-up (init) is over: a config load after it is late */
atomic_bool vs_started;

/* ------------------------------------------------------------------ */
/* the fork handlers                                                   */

/*
 * fork never waits for a lock of ours (docs/design.md, pitfall 12): a resolution may take
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
		    atomic_load_explicit(&vs_state, memory_order_acquire) == VS_ST_PENDING)
			vs_handoff_create(vs_config_path, vs_config_text);
	}
	if (pthread_mutex_trylock(&vs_resolve_lock) == 0)
		fork_held |= HELD_RESOLVE;
	if (pthread_mutex_trylock(&vs_popen_lock) == 0)
		fork_held |= HELD_POPEN;
}

static void atfork_parent(void)
{
	if (fork_held & HELD_POPEN)
		pthread_mutex_unlock(&vs_popen_lock);
	if (fork_held & HELD_RESOLVE)
		pthread_mutex_unlock(&vs_resolve_lock);
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
	vs_resolve_lock = fresh;
	vs_popen_lock = fresh;
	fork_held = 0;
}

/* ------------------------------------------------------------------ */
/* constructor                                                         */

/* inherit = no: children exec'd from here get neither the preload nor the
 * config; other entries of LD_PRELOAD stay. */
static void drop_inheritance(void)
{
	const char *lp = vs_real_getenv("LD_PRELOAD");

	vs_real_unsetenv("VAULTSHIM_CONFIG");
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
				vs_real_setenv("LD_PRELOAD", out, 1);
			else
				vs_real_unsetenv("LD_PRELOAD");
		}
		free(copy);
		free(out);
	}
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
		vs_ensure_resolved();
		vs_go_parent_choices();
	}
	vs_prime_exec_hooks();
	if (eager) {
		vs_place_values();
		vs_go_fill_slots();
		vs_log(VS_LOG_DEBUG, "eager mode: %zu names mapped", vs_n_map);
		vs_filter_set(NULL);
		return;
	}
	vs_filter_set(new_filter);
	vs_log(VS_LOG_DEBUG, "lazy mode: %zu names mapped", vs_n_map);
}

static void die_oom(void)
{
	vs_log_always(VS_LOG_ERROR, "out of memory");
	_exit(VS_EX_SOFTWARE);
}

/* The first process of a tree: loads the config (vs_config_path), starts
 * the hand-off for its descendants and makes the preload ready. Config
 * errors: one line, then exit. */
static void full_init(void)
{
	uint64_t new_filter[4];
	const char **names;
	bool eager;

	if (!vs_need_config() || !vs_cfg->n_entries) {
		vs_filter_set(NULL);
		return;
	}
	vs_opt_mode = (int)vs_cfg->options.mode;
	vs_opt_refresh_ms = vs_cfg->options.refresh_ms;
	vs_opt_eager = vs_cfg->options.eager_programs ? vs_cfg->options.eager_programs : "";
	vs_inherit = vs_cfg->options.inherit;
	if (!vs_inherit)
		drop_inheritance();
	if (!(names = calloc(vs_cfg->n_entries, sizeof *names)))
		die_oom();
	for (size_t i = 0; i < vs_cfg->n_entries; i++)
		names[i] = vs_cfg->entries[i].name;
	if (vs_build_index(names, vs_cfg->n_entries, new_filter) < 0)
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
	vs_resolve_libc_getenv();
	/* snap's strings are the index's names from now on: never freed */
	vs_opt_mode = snap.mode;
	vs_opt_eager = snap.eager_programs;
	vs_opt_timeout_ms = snap.timeout_ms;
	vs_opt_refresh_ms = snap.refresh_ms;
	snprintf(vs_opt_inputs, sizeof vs_opt_inputs, "%s", snap.inputs);
	vs_inherit = snap.inherit;
	if (*snap.config_text)
		vs_config_text = (char *)snap.config_text;
	if (vs_build_index(snap.names, snap.n, new_filter) < 0)
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
 * running a plugin's constructor holds while it calls getenv (docs/design.md, pitfall 12). */
static void prime_symbols(void)
{
	vs_prime_env_hooks();
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
	vs_in_hook++;
	prime_symbols();
	vs_guard_enter(&g);
	pthread_mutex_lock(&init_lock);
	if (atomic_load_explicit(&vs_state, memory_order_relaxed) == VS_ST_PENDING) {
		int served = 0;
		/* a lazy process of a tree reads the hand-off now, not at start */
		if (ho_deferred && (served = handoff_init(vs_config_path)) < 0)
			vs_handoff_drop();
		if (served <= 0)
			full_init();
		atomic_store_explicit(&vs_state, VS_ST_READY, memory_order_release);
	}
	pthread_mutex_unlock(&init_lock);
	vs_in_hook--;
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
		const char *path = vs_scan_environ("VAULTSHIM_CONFIG");
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
void vs_load_now(const char *name, size_t len)
{
	if (vs_in_hook || (vs_in_signal && vs_in_handler()) || atomic_load_explicit(&vs_state, memory_order_acquire) != VS_ST_PENDING)
		return;
	if (!vs_config_path) {
		if (!maps_early(name, len))
			return;
		early_init();
	}
	if (vs_config_path && atomic_load_explicit(&vs_state, memory_order_acquire) == VS_ST_PENDING)
		deferred_init();
}

void vs_ensure_loaded(void)
{
	vs_load_now(NULL, 0);
}

/* LD_PRELOAD is a list: when another object is in it, its execve hook (if
 * any) must still run, so the constructor finds it at once, outside any
 * vfork child; alone, execve is the bare system call. */
static bool another_preload(void)
{
	const char *lp = vs_scan_environ("LD_PRELOAD");
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
	vs_filter_set(NULL);
	atomic_store(&vs_state, VS_ST_OFF);
}

/* p made absolute against the current directory into buf (room: PATH_BUF,
 * the size of config_path_buf and self_path_buf): NULL, or why not ("too
 * long", getcwd's error). Any directory a process can be in: a cwd longer
 * than a smaller buffer left a path relative, and a child that chdir'd
 * then found another file, or none. */
static const char *absolute_into(char buf[PATH_BUF], const char *p)
{
	int e = vs_path_absolute(p, buf, PATH_BUF);

	return !e ? NULL : e == ERANGE || e == ENAMETOOLONG ? "too long" : strerror(e);
}

/* This object's path, made absolute (for the helper, and for children
 * given a served value without the preload). A relative LD_PRELOAD entry
 * naming us is made absolute in the environment too: a child started after
 * the program chdir'd would load whatever that path names there, or
 * nothing (docs/design.md, pitfall 14). */
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
	if ((lp = vs_scan_environ("LD_PRELOAD")) && strchr(info.dli_fname, '/')) {
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
			vs_real_setenv("LD_PRELOAD", out, 1);
	}
}

/*
 * Start-up. A process that never reads its environment (/bin/true) should
 * pay for little here: no resolution and no hand-off unless something must
 * happen before main (eager mode, inherit = no). The config itself is read
 * now, by the first process of a tree (docs/design.md, pitfall 13): a failure then is
 * reported before main; nothing a running program does later (closing
 * descriptors, clearenv, a deploy renaming the file) can make a load fail
 * under it, and ${VAR} in the config expands from the environment as it
 * was at start.
 */
static void init(void)
{
	const char *path;

	if (getauxval(AT_SECURE)) {
		vs_secure_mode = true;
		switch_off();
		/* nor does it hand a tree's values on */
		if (vs_handoff_attach(vs_scan_environ("VAULTSHIM_HANDOFF")) == 0)
			vs_handoff_drop();
		return;
	}
	vs_in_hook++;
	if (another_preload())
		vs_next_fn(&vs_real_execve, "execve", (void *)execve);
	/* (a bad setting is said with this process's first line, if any: not
	 * by every process of a tree that has nothing to say) */
	vs_log_setup(vs_scan_environ("VAULTSHIM_LOG"), vs_scan_environ("VAULTSHIM_LOG_FORMAT"),
		     vs_scan_environ("JOURNAL_STREAM"), true);
	/* (the constructor sets the stack's argv before it starts us) */
	if (!vs_stack_argv)
		vs_log(VS_LOG_DEBUG, "started before the constructor, by another library's call");
	path = vs_scan_environ("VAULTSHIM_CONFIG");
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
	 * (docs/design.md, pitfall 14): a config read later, or a helper run later, from the
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
		vs_real_setenv("VAULTSHIM_CONFIG", config_path_buf, 1);
		path = config_path_buf;
	} else if (strlen(path) < sizeof config_path_buf) {
		path = strcpy(config_path_buf, path);
	}
	vs_config_path = path;
	find_self();
	/* A process of a tree: everything comes from the hand-off, and only
	 * its head is read now: a lazy process reads the rest at its first
	 * getenv. */
	if (vs_handoff_attach(vs_scan_environ("VAULTSHIM_HANDOFF")) == 0) {
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
			vs_resolve_libc_getenv(); /* (the rest after a Go parent's values are wiped: start) */
			got = handoff_init(path);
			if (got > 0) {
				atomic_store(&vs_state, VS_ST_READY);
				goto out;
			}
			if (got < 0)
				vs_handoff_drop();
		}
	}
	if (!vs_need_config()) {
		switch_off();
		goto out;
	}
	if (!vs_cfg->options.inherit || eager_for((int)vs_cfg->options.mode, vs_cfg->options.eager_programs)) {
		prime_symbols();
		full_init();
		atomic_store(&vs_state, VS_ST_READY);
	} else {
		vs_log(VS_LOG_DEBUG, "config read; the rest deferred to the first getenv");
	}
out:
	vs_in_hook--;
	atomic_store(&vs_started, true);
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* A hook called before our constructor (by another library's constructor:
 * they run first) starts the preload there and then, so that a C++ static
 * initializer reading a mapped name gets its value, and a write to one is
 * remembered (docs/design.md, pitfall 3). */
static void early_init(void)
{
	pthread_once(&init_once, init);
}

/* glibc calls constructors with the process's argc, argv and envp; the
 * environment block on the stack is argv + argc + 1, whatever environ has
 * become since (a Go program reads it there). */
__attribute__((constructor)) static void vaultshim_init(int argc, char **argv, char **envp)
{
	bool early = atomic_load(&vs_started);

	(void)envp;
	if (argv && argc >= 0) {
		vs_stack_argv = argv;
		vs_stack_envp = argv + argc + 1;
	}
	pthread_once(&init_once, init);
	if (atomic_load(&vs_state) != VS_ST_READY)
		return;
	/* started early, without the stack's block in hand */
	if (early && vs_runtime_is_go())
		vs_go_fill_slots();
	vs_go_reexec();
}
