/*
 * preload.h — state shared by the parts of libvaultshim.so (hidden: the
 * object is built with -fvisibility=hidden and exports only its hooks),
 * and the functions they call across files, each under the file that
 * defines it. The preload's one internal header.
 *
 *   getenv.c     getenv & co. (the hot path), the name index, libc's own
 *                functions behind the hooks
 *   init.c       start-up: the constructor, the config or hand-off load,
 *                the mode, the fork handlers
 *   helper.c     the resolution: the config, the resolver helper, once
 *                for the tree, then refreshed
 *   exec.c       the exec family and posix_spawn: what a child is given
 *                (the process-tree rule)
 *   shell.c      system, popen/pclose, wordexp over those hooks
 *   handoff.c    the resolution handed down a process tree in a memfd
 *   signal.c     signal handlers, and our critical sections kept from them
 *   sandbox.c    seccomp: whether the helper may be started
 *   tree.c       this process's part in it: what it writes, takes, passes on
 *   refresh.c    [options] refresh: values at most one period old
 *   runtime.c    what this process is, for auto mode (and Go)
 *
 * The process-tree rule (docs/design.md, "The process-tree rule"): a launch resolves once and
 * hands the values down outside environ; for each mapped name a process sees
 * what its ancestors chose; a served value never enters a child's envp.
 */
#ifndef VS_PRELOAD_H
#define VS_PRELOAD_H

#include "vs_config.h"
#include "vs_snapshot.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

typedef struct mapped {
	const char *name;
	size_t len;
	/* The value this process serves (interned: never freed, callers keep
	 * pointers); NULL when no source had one. Set by a resolution or the
	 * hand-off before `resolved` is published; a refresh (refresh.c) swaps
	 * in a new string (atomic store) and keeps the old one in `old`. */
	char *value;
	struct old_value *old;
	/* value came from the real environment: not a secret of ours, never
	 * stripped from a child (atomic: a refresh changes it) */
	atomic_bool from_env;
	bool placed;              /* eager: value was put in environ */
	/* set to its served value by the program, which was kept out of
	 * environ: its children are handed it as if it were there */
	atomic_bool reexported;
	/* The tree chose this name (this process or an ancestor wrote or
	 * removed it): environ answers, not the resolution. */
	atomic_bool overridden;
	const char *initial;      /* its value in environ at start (or NULL) */
	/* the launch environment's value: the env fallback of a resolution
	 * made here for the tree (the root's initial value), or NULL */
	const char *ambient;
} mapped;

/* Shared state is written under the init lock (init.c) before the state
 * is published (vs_state: ready). */

/* ------------------------------------------------------------------ */
/* getenv.c                                                           */

/* The mapped names (config order) and their count: the index. */
extern mapped *vs_map;
extern size_t vs_n_map;
/* The config is loaded and maps names. */
static inline bool vs_tree_active(void)
{
	return vs_map && vs_n_map;
}
/* Re-entrancy guard: anything called while resolving (malloc, posix_spawn,
 * the dynamic loader, logging) may call getenv again; such calls go
 * straight to libc. */
extern __thread int vs_in_hook __attribute__((tls_model("initial-exec")));
mapped *vs_lookup_len(const char *name, size_t len);
static inline mapped *vs_lookup(const char *name)
{
	return vs_lookup_len(name, strlen(name));
}
/* Builds the index over names[0..n) (which live as long as the process);
 * new_filter (4 words) gets the first-byte filter that goes with it, for
 * vs_filter_set. 0, or -1 out of memory. */
int vs_build_index(const char *const *names, size_t n, uint64_t *new_filter);
/* Sets the first-byte filter getenv tests (NULL: all clear, every name
 * straight to libc). */
void vs_filter_set(const uint64_t *first);
/* eager: the served values of the names the tree left alone put in
 * environ (by libc's setenv: not the program's write). */
void vs_place_values(void);
/* libc's getenv (environ as it is, no mapping) */
char *vs_real_getenv(const char *name);
/* environ scanned, without libc (before libc's getenv is looked up) */
char *vs_scan_environ(const char *name);
/* Looks up libc's getenv (aborts when there is none). */
void vs_resolve_libc_getenv(void);
/* Looks up libc's getenv, setenv and unsetenv. */
void vs_prime_env_hooks(void);
/* libc's setenv and unsetenv, for the preload's own changes to environ. */
int vs_real_setenv(const char *name, const char *value, int overwrite);
int vs_real_unsetenv(const char *name);
/* The next definition of a hooked function (dlsym RTLD_NEXT), cached in
 * *slot; aborts if that is our own hook. */
void *vs_next_fn(void **slot, const char *name, void *self);

/* ------------------------------------------------------------------ */
/* init.c                                                             */

/* Where the start-up is: the config (or hand-off) not loaded yet, nothing
 * to serve (getenv goes straight to libc), or loaded. */
enum { VS_ST_PENDING = 0, VS_ST_OFF = 1, VS_ST_READY = 2 };
extern atomic_int vs_state;
/* set once the start-up (init) is over: a config load after it is late */
extern atomic_bool vs_started;
/* a secure-execution process: served nothing (secure_getenv) */
extern bool vs_secure_mode;
extern const char *vs_config_path;  /* the config this process serves */
extern bool vs_inherit;             /* [options] inherit */
extern const char *vs_self_path;    /* this object's path, "" when unknown */
/* environ as the process started: what it changes before it loads the
 * config is told to its children by name (exec.c) */
extern char **vs_initial_environ;
/* The config or hand-off loaded now, for a call about name[0..len) (NULL:
 * about every name); the constructor's work first when it has not run
 * and the config maps the name. Not in a handler, nor within ourselves. */
void vs_load_now(const char *name, size_t len);
/* Makes sure the config or hand-off is loaded (the lazy load), from hooks
 * that start children in the calling process (never a vfork child). */
void vs_ensure_loaded(void);

/* ------------------------------------------------------------------ */
/* helper.c                                                           */

extern vs_config *vs_cfg;           /* NULL in a process served by the hand-off */
/* the config's text as the tree's first process read it at start
 * (NUL-terminated; NULL while unknown): what this process parses and its
 * helper reads */
extern char *vs_config_text;
/* this process could not read its config (VAULTSHIM_UNREADABLE) */
extern atomic_bool vs_unreadable;
extern atomic_int vs_resolved;      /* 1 once every value is set */
/* Held while this process resolves or refreshes (and across a fork). */
extern pthread_mutex_t vs_resolve_lock;
/* how long a resolution may take, helper start-up included (ms) */
long vs_deadline_ms(void);
/* The values, once: from the tree's hand-off, else resolved here and
 * handed down. Returns when vs_resolved is set. */
void vs_ensure_resolved(void);
/* A refresh is due (refresh.c): made by the thread that gets the resolve
 * lock; the others serve the values they have meanwhile. */
void vs_refresh_try(void);
/* For refresh.c: the config parsed (false: this process cannot read it;
 * names answer from environ); one resolution through the helper, the
 * policy not applied (res filled: 0; else the code, err says why);
 * whether this process's own sandbox refused the helper. */
struct vs_resolution;
bool vs_need_config(void);
int vs_resolve_values(double end, bool refresh, struct vs_resolution *res, vs_error *err);
/* The audit record of a resolution this process completed (event:
 * "resolve", "refresh"); a failure to write it is said, never fatal. */
void vs_audit_resolution(const char *event, const struct vs_resolution *res);
bool vs_helper_refused(void);

/* ------------------------------------------------------------------ */
/* exec.c                                                             */

/* execve: the next preload's hook when there is one, else NULL (the system
 * call). */
extern void *vs_real_execve;
/* Resolves every exec hook's next function (shell.c's too); called once
 * the config or the hand-off is loaded, outside vfork children. */
void vs_prime_exec_hooks(void);
/* The program a call executes, as fstatat names it; path without a '/' is
 * searched on PATH as execvp does. */
typedef struct vs_exec_target {
	int dirfd;
	const char *path;
	int flags;
} vs_exec_target;
/* Bytes needed for the child's environment of envp (0: pass envp as is). */
size_t vs_child_env_size(char *const *envp);
/* Builds the child's environment in mem (vs_child_env_size bytes) from
 * envp, for the program t, handing down descriptor fd (-1: none). *keep_fd:
 * the child is given the hand-off; *secure: t runs with more privilege.
 * No malloc, no lock: safe in a vfork child. */
char **vs_child_env_build(char *const *envp, vs_exec_target t, int fd, void *mem, bool *keep_fd,
			  bool *secure);

/* ------------------------------------------------------------------ */
/* shell.c                                                            */

/* The popen list's lock (held by the fork handlers). */
extern pthread_mutex_t vs_popen_lock;
/* Looks up libc's system, popen, pclose and wordexp. */
void vs_prime_shell_hooks(void);

/* ------------------------------------------------------------------ */
/* signal.c                                                           */

/* How deep in signal handlers (installed by the program) this thread is. */
extern __thread int vs_in_signal __attribute__((tls_model("initial-exec")));
/* vs_in_signal, checked: false (and the count cleared) when this thread has
 * left its handlers by a way that skipped the trampoline's return. */
bool vs_in_handler(void);
/* In a forked child: the handler table is this process's now. */
void vs_signal_forked(void);
/* A critical section of ours: asynchronous signals blocked, cancellation
 * disabled (see signal.c). */
typedef struct vs_guard {
	sigset_t mask;
	int cancel;
} vs_guard;
void vs_guard_enter(vs_guard *g);
void vs_guard_leave(vs_guard *g);
/* In a guard that may last (a refresh's wait for Vault): lets through
 * the signals whose action is still the default one, which ends the
 * process (a SIGTERM to a program with no handler for it is not held). */
void vs_guard_open_fatal(void);

/* ------------------------------------------------------------------ */
/* sandbox.c                                                          */

/* 0 when the helper may be started under the seccomp policy; else
 * VS_EX_UNAVAILABLE with err saying why and what to do. */
int vs_spawn_allowed(vs_seccomp policy, vs_error *err);
/* Looks up the next prctl and syscall (with the other hooks', in
 * ordinary code: a vfork child must not wait in dlsym). */
void vs_prime_sandbox(void);

/* ------------------------------------------------------------------ */
/* handoff.c                                                          */

/* The hand-off this process has (inherited or created): fd >= 0 when on. */
typedef struct vs_handoff {
	int fd;                   /* read-only descriptor, inherited by children */
	int rw_fd;                /* the creator's writable descriptor, or -1 */
	dev_t dev;
	ino_t ino;
	const char *mask;         /* inherited per-name choices (hex), "" = none */
	/* names an ancestor that had not loaded the config chose (set or
	 * removed), comma-separated: it could not say so by index */
	const char *names;
} vs_handoff;

extern vs_handoff vs_ho;

/* From VAULTSHIM_HANDOFF (the value of the variable): checks that the fd
 * still is the memfd it names. 0 and vs_ho set, or -1 (nothing changed). */
int vs_handoff_attach(const char *var);
/* Reads the head of the snapshot into buf (see vs_snapshot_head_parse):
 * 0, 1 when the memfd is still empty, -1 when unreadable. No malloc. */
int vs_handoff_head(char *buf, size_t size, vs_snapshot_head *h);
/* Reads the snapshot under the data lock: 0 (with s->n == 0 when it was
 * made at a fork and no config is loaded yet: no names), 1 when the memfd
 * is empty, or -1. */
int vs_handoff_read(vs_snapshot *s);
/* Creates a new hand-off for config_path (and text, the config's text: see
 * vs_snapshot.config_text), with no names yet (the first process of a
 * tree); only system calls, so the fork handler can. 0 or -1. */
int vs_handoff_create(const char *config_path, const char *text);
/* In a forked child: drops the creator's writable descriptor. */
void vs_handoff_forget_writer(void);
/* Notes in the head, in place, that the tree's refresh failed at `at`
 * (monotonic ms) and waits retry_ms more than a period before the next
 * try; the values are left as they are. Under the resolver lock. */
void vs_handoff_note_failure(double at, long retry_ms);
/* Replaces the snapshot (with or without values). 0 or -1. */
int vs_handoff_write(const vs_snapshot *s);
/* The resolver lock, so a tree resolves once: held while one process
 * resolves, waited for (until deadline_ms, monotonic) by the others.
 * Returns an fd to pass to vs_handoff_unlock, or -1 (go on without). */
int vs_handoff_lock(double deadline_ms);
/* The same, without waiting: the fd, VS_LOCK_BUSY when another process
 * holds it, or -1 when it cannot be taken here (no hand-off, or one this
 * process may not open for writing). */
#define VS_LOCK_BUSY (-2)
int vs_handoff_trylock(void);
void vs_handoff_unlock(int fd);
/* Writes "<fd>.<dev>.<ino>", the head of VAULTSHIM_HANDOFF's value, into
 * p (room: 64); returns the end. No stdio. */
char *vs_handoff_var(char *p, int fd);
/* The descriptor is still open and still the memfd. */
bool vs_handoff_fd_ok(void);
/* For a child whose parent closed its descriptors before exec (Python's
 * close_fds, Java's child set-up): the memfd opened again, read-only, from
 * the parent that still holds it, for exec. The fd, or -1. Only system
 * calls: safe in a vfork child. */
int vs_handoff_reopen_from_parent(void);
/* Stops handing down: children get no descriptor and no variable. */
void vs_handoff_drop(void);
/* The hand-off's write count, in its head mapped read-only (NULL until
 * vs_handoff_map, after this process read or wrote values): a getenv
 * compares it with its own without a system call (refresh.c). */
extern const uint32_t *vs_ho_gen;
void vs_handoff_map(void);
/* Bit i of a hex mask ("" = all clear). */
bool vs_mask_bit(const char *mask, size_t i);

/* ------------------------------------------------------------------ */
/* tree.c                                                             */

/* What the hand-off this process writes carries besides names and values:
 * [options] mode and eager_programs, [vault] timeout, and the launch's
 * values of the variables the config expands (vs_snapshot.inputs). */
extern int vs_opt_mode;
extern const char *vs_opt_eager;
extern long vs_opt_timeout_ms;
#define VS_INPUTS_MAX 65536
extern char vs_opt_inputs[VS_INPUTS_MAX];

/* vs_getenv_fn for the config parser: in the first process of a tree,
 * records what the config expands; in a later one that resolves, answers
 * with the launch's values, so every process reads the same paths. */
const char *vs_env_recording(const char *name, void *ctx);
const char *vs_env_of_launch(const char *name, void *ctx);
/* Writes names, options and (with values) the values for the tree. */
void vs_tree_publish(bool values);
/* Whether a snapshot is this process's tree's: the same config. */
bool vs_tree_same(const vs_snapshot *snap, const char *path);
/* Takes the values of a resolved snapshot (its buffer then lives as long
 * as the process: the values are interned); false when unresolved. */
bool vs_tree_adopt(const vs_snapshot *s);
/* Joins the tree's hand-off with the config loaded: fills one made at a
 * fork, checks one a sibling filled, or starts one. */
void vs_tree_join(void);
/* Marks the names this process's ancestors chose (its hand-off variable:
 * by index, or by name from an ancestor that had read nothing). */
void vs_tree_apply_choices(void);

/* ------------------------------------------------------------------ */
/* refresh.c                                                          */

extern long vs_opt_refresh_ms;      /* [options] refresh; 0 = off */
/* The values were resolved (or taken from the tree) at `at` (monotonic
 * ms), as the hand-off's write number gen. */
void vs_refresh_values_set(double at, uint32_t gen);
/* ... and fills those two fields of a snapshot this process writes. */
void vs_refresh_written(vs_snapshot *snap);
/* A refresh is on and the values are a period old (no lock, no syscall
 * but the vDSO clock). */
bool vs_refresh_due(void);
/* ... the same without the burst rule, for the thread that got the lock */
bool vs_refresh_still_due(void);
/* Refreshes: from the tree's hand-off, or by resolving here. Called under
 * the resolve lock, in a critical section (helper.c). */
void vs_refresh_tree(void);
/* v is, or was before a refresh, m's served value. */
bool vs_served_value(const mapped *m, const char *v);

/* tree.c: the Vault client's variables (VAULT_*, HOME, the proxies) as
 * this process started: what its helper is given (vs_client_var: an
 * environment entry is one of them). */
bool vs_client_var(const char *entry);
void vs_client_env_capture(void);
char *const *vs_client_env(void);
const char *vs_client_getenv(const char *name);

/* ------------------------------------------------------------------ */
/* runtime.c: what this process is, for auto mode                     */

/* the environment block and argv on the process's stack (set by the
 * constructor, init.c) */
extern char **vs_stack_envp, **vs_stack_argv;
/* An empty slot `vaultshim exec` adds to a Go program's environment. */
#define VS_GO_SLOT "VAULTSHIM_SLOT="
/* True when the runtime copies environ at start (argv[0], the executable's
 * name, an embedded interpreter's library, Go), or matches `extra`. */
bool vs_runtime_eager(const char *extra);
bool vs_runtime_is_go(void);
/* Go: points entries of the stack's environment block at the values. */
void vs_go_fill_slots(void);
/* Go without slots: runs the program again with them (end of constructor). */
void vs_go_reexec(void);
/* This process was started by a Go program (it marked the environment). */
bool vs_go_parent(void);
/* A Go program's child: its choices read from the environment it passed;
 * served values wiped from this process's environment block. */
void vs_go_parent_choices(void);

#endif
