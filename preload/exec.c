/*
 * exec.c — what a child is given: the exec family, execveat, fexecve and
 * posix_spawn(p), and the child's environment they build (also used by
 * shell.c: system, popen and wordexp).
 *
 * The process-tree rule, applied to the envp of every child:
 * - an entry NAME=value where value is the value this process serves (from
 *   Vault, a .env file or a default) is removed: the child is served it
 *   through the hand-off instead, so it is in no /proc/PID/environ;
 * - any other entry of a mapped name is the tree's own choice and stays as
 *   it is; so does the absence of a name this process had in environ (an
 *   eager process's placed values, the launch environment's), which is a
 *   removal (`unset X`, `env -u X`, an explicit environment without it);
 * - the choices travel in VAULTSHIM_HANDOFF (see handoff.c) as a mask, so
 *   the child knows which names to serve and which to leave to environ.
 * When a served value was passed explicitly in an environment that leaves
 * out LD_PRELOAD, the preload, the config and the hand-off are added for
 * that child, which is then served the value.
 *
 * The child's array lives on the caller's stack, or in an anonymous mapping
 * when it is large: execve may run in a vfork child (CPython's subprocess,
 * posix_spawn), where malloc is not safe but system calls are.
 *
 * Depends on preload.h: the index and the served values (getenv.c), the
 * start-up's state (init.c), the hand-off (handoff.c).
 */
#define _GNU_SOURCE
#include "preload.h"
#include "vs_log.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define STACK_ENV_MAX (32 * 1024) /* bytes of the caller's stack, at most */
#define HO_VAR "VAULTSHIM_HANDOFF="

extern char **environ;

/* ------------------------------------------------------------------ */
/* the child's environment                                              */

typedef struct child_env {
	char **env;       /* what the real call gets */
	void *mapped;     /* an anonymous mapping to release, or NULL */
	size_t mapped_len;
	bool cloexec_set; /* the hand-off descriptor was kept from the child */
	int reopened;     /* a descriptor opened for this child, or -1 */
} child_env;

static bool has_name(const char *e, const char *prefix_with_eq)
{
	return !strncmp(e, prefix_with_eq, strlen(prefix_with_eq));
}

/* Bytes needed for the child's environment of envp (0: pass envp as is). */
size_t vs_child_env_size(char *const *envp)
{
	size_t n = 0, preload = 0, need;

	/* (a hand-off made at a fork, before any config load, is passed on) */
	if (!vs_tree_active() && vs_ho.fd < 0 && !atomic_load(&vs_unreadable))
		return 0;
	for (; envp && envp[n]; n++)
		if (has_name(envp[n], "LD_PRELOAD="))
			preload += strlen(envp[n]);
	need = (n + 5) * sizeof(char *);
	need += vs_n_map;                              /* a byte per name: seen */
	need += sizeof HO_VAR + 64 + vs_n_map / 4 + strlen(vs_ho.mask) + 2; /* the hand-off variable */
	need += sizeof "LD_PRELOAD=" + strlen(vs_self_path) + 1 + preload;
	need += 2 * (sizeof "VAULTSHIM_UNREADABLE=" + (vs_config_path ? strlen(vs_config_path) : 0));
	if (!vs_tree_active() && vs_ho.fd >= 0) { /* the names chosen (choices_by_name) */
		need += strlen(vs_ho.names) + 2;
		for (size_t i = 0; envp && envp[i]; i++)
			need += strlen(envp[i]) + 1;
		for (char **e = vs_initial_environ; e && *e; e++)
			need += strlen(*e) + 1;
	}
	return (need + 15) & ~(size_t)15;
}

static char *put_str(char *p, const char *s)
{
	size_t n = strlen(s);
	memcpy(p, s, n);
	return p + n;
}

static bool stat_escalates(int dirfd, const char *path, int flags)
{
	struct stat st;

	if (fstatat(dirfd, path, &st, flags) != 0 || !S_ISREG(st.st_mode))
		return false;
	return ((st.st_mode & S_ISUID) && st.st_uid != geteuid()) ||
	       ((st.st_mode & S_ISGID) && st.st_gid != getegid());
}

/* A target that runs with more privilege than ours (setuid or setgid to
 * another id): a secure-execution process, which is not handed the tree's
 * values. A name searched on PATH is judged by the first executable found,
 * the one execvp would run. No malloc: this may run in a vfork child. */
static bool escalates(vs_exec_target t)
{
	const char *path = NULL;
	char buf[4096];

	if (!t.path)
		return false;
	if (t.flags || strchr(t.path, '/'))
		return stat_escalates(t.dirfd, t.path, t.flags);
	for (char **e = environ; e && *e; e++)
		if (has_name(*e, "PATH=")) {
			path = *e + 5;
			break;
		}
	if (!path)
		path = "/bin:/usr/bin"; /* glibc's default search path */
	for (const char *p = path;; p++) {
		const char *end = strchrnul(p, ':');
		size_t dl = (size_t)(end - p), fl = strlen(t.path);
		if (dl + 1 + fl < sizeof buf) {
			if (dl)
				memcpy(buf, p, dl);
			else
				buf[dl++] = '.';
			buf[dl] = '/';
			memcpy(buf + dl + 1, t.path, fl + 1);
			struct stat st;
			/* execvp skips what is not an executable file */
			if (access(buf, X_OK) == 0 && stat(buf, &st) == 0 && S_ISREG(st.st_mode))
				return stat_escalates(AT_FDCWD, buf, 0);
		}
		if (!*end)
			return false;
		p = end;
	}
}

/* Whether a LD_PRELOAD value (after the '=') lists this object. */
static bool lists_us(const char *v)
{
	const char *self = strrchr(vs_self_path, '/');

	self = self ? self + 1 : vs_self_path;
	while (*self && *v) {
		size_t n = strcspn(v, ": ");
		const char *base = memrchr(v, '/', n);
		base = base ? base + 1 : v;
		if ((size_t)(v + n - base) == strlen(self) && !memcmp(base, self, strlen(self)))
			return true;
		v += n;
		v += strspn(v, ": ");
	}
	return false;
}

static bool valid_name(const char *e, size_t n)
{
	return n && strspn(e, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") >= n;
}

/* Our own variables, which say nothing of the program's choices. */
static bool own_var(const char *e)
{
	return has_name(e, "VAULTSHIM_") || has_name(e, "LD_PRELOAD=");
}

static bool has_entry(char *const *list, const char *e)
{
	for (; list && *list; list++)
		if (*list == e || !strcmp(*list, e))
			return true;
	return false;
}

static bool has_named(char *const *list, const char *name, size_t n)
{
	for (; list && *list; list++)
		if (!strncmp(*list, name, n) && (*list)[n] == '=')
			return true;
	return false;
}

static char *put_name(char *s, const char *e, size_t n, bool *first)
{
	if (!*first)
		*s++ = ',';
	*first = false;
	memcpy(s, e, n);
	return s + n;
}

/*
 * A process that has not loaded the config does not know which names are
 * mapped: what it chose for a child travels by name instead, the names of
 * every entry it set or changed and of every one it removed, against its
 * environment at start (plus those its own ancestors named). Writes
 * ".NAME,NAME" at s; no malloc.
 */
static char *choices_by_name(char *s, char *const *envp)
{
	size_t n_env = 0, n_init = 0;
	bool first = true;
	char *start = s;

	while (envp && envp[n_env])
		n_env++;
	while (vs_initial_environ && vs_initial_environ[n_init])
		n_init++;
	*s++ = '.';
	if (*vs_ho.names) {
		s = stpcpy(s, vs_ho.names);
		first = false;
	}
	if (n_env * n_init <= 1000000) {
		for (size_t i = 0; i < n_env; i++) {
			size_t n = strcspn(envp[i], "=");
			if (!own_var(envp[i]) && valid_name(envp[i], n) && !has_entry(vs_initial_environ, envp[i]))
				s = put_name(s, envp[i], n, &first);
		}
		for (size_t i = 0; i < n_init; i++) {
			const char *e = vs_initial_environ[i];
			size_t n = strcspn(e, "=");
			if (!own_var(e) && valid_name(e, n) && !has_named(envp, e, n))
				s = put_name(s, e, n, &first);
		}
	}
	return first ? start : s;
}

/* The child's environment while child_env_build writes it: the array, a
 * byte per mapped name (seen), the strings after them, and what the copy of
 * envp found. */
typedef struct env_build {
	char **out;
	size_t j;                 /* entries in out so far */
	/* per name, its first entry: 0 none, 1 the tree's choice (environ
	 * answers), 2 a served value (stripped), 3 the value this process
	 * started with, untouched */
	unsigned char *seen;
	char *s;                  /* where the next string goes */
	const char *preload;      /* the LD_PRELOAD the loader takes, or NULL */
	size_t preload_at;        /* ... its index in out */
	bool stripped, has_config, has_unreadable;
} env_build;

/* Copies envp[0..n) into b->out, but for what is written anew and the
 * served values, noting each mapped name's first entry in b->seen. */
static void copy_entries(env_build *b, char *const *envp, size_t n, bool resolved)
{
	for (size_t i = 0; i < n; i++) {
		const char *e = envp[i], *eq = strchr(e, '=');
		mapped *m;

		if (has_name(e, HO_VAR))
			continue; /* written anew below */
		if (has_name(e, "VAULTSHIM_FROM_GO="))
			continue; /* for a Go program's own children only */
		if (has_name(e, "LD_PRELOAD=")) {
			/* the dynamic loader takes the last one */
			b->preload = e + 11;
			b->preload_at = b->j;
		}
		if (has_name(e, "VAULTSHIM_CONFIG="))
			b->has_config = true;
		if (has_name(e, "VAULTSHIM_UNREADABLE="))
			b->has_unreadable = true;
		if (eq && (m = vs_lookup_len(e, (size_t)(eq - e)))) {
			size_t k = (size_t)(m - vs_map);
			bool first = !b->seen[k];
			/* a served value never goes to a child: it is served there */
			if (resolved && vs_served_value(m, eq + 1)) {
				b->stripped = true;
				if (first)
					b->seen[k] = 2;
				continue;
			}
			/* the child's getenv takes the first entry, as glibc's does */
			if (first) {
				b->seen[k] = 1; /* the tree's choice: environ answers */
				/* the value this process started with, untouched:
				 * passed on with this process's own choice */
				if (!atomic_load(&m->overridden) && m->initial && !strcmp(eq + 1, m->initial))
					b->seen[k] = 3;
			}
		}
		b->out[b->j++] = (char *)e;
	}
}

/* Adds the entry prefix + value. */
static void put_var(env_build *b, const char *prefix, const char *value)
{
	b->out[b->j++] = b->s;
	b->s = put_str(put_str(b->s, prefix), value) + 1;
	b->s[-1] = '\0';
}

/* Brings the preload (first in LD_PRELOAD, unless it is there: ours) and
 * the config along for a child given a served value; true: the child
 * loads the preload. */
static bool carry_preload(env_build *b, bool ours)
{
	if (!ours) {
		char *v = b->s;
		b->s = put_str(put_str(b->s, "LD_PRELOAD="), vs_self_path);
		if (b->preload)
			b->s = put_str(put_str(b->s, ":"), b->preload);
		*b->s++ = '\0';
		if (b->preload)
			b->out[b->preload_at] = v; /* in place of the one the loader takes */
		else
			b->out[b->j++] = v;
		ours = true;
	}
	if (!b->has_config && vs_config_path)
		put_var(b, "VAULTSHIM_CONFIG=", vs_config_path);
	return ours;
}

/* The mask, most significant digit first: bit k set when the child must
 * answer name k from its environ. Written at s, without leading zeros
 * (nothing, *any false, when all are clear); returns the end. */
static char *put_mask(char *s, const unsigned char *seen, bool *any)
{
	*any = false;
	for (size_t d = (vs_n_map + 3) / 4; d-- > 0;) {
		unsigned v = 0;
		for (unsigned b = 0; b < 4; b++) {
			size_t k = d * 4 + b;
			const mapped *m;
			bool env;
			if (k >= vs_n_map)
				continue;
			m = &vs_map[k];
			if (seen[k] == 2)
				env = false;
			else if (seen[k] == 3)
				env = atomic_load(&m->overridden);
			else if (seen[k] == 1)
				env = true;
			else /* absent: removed if it was in environ */
				env = atomic_load(&m->overridden) || m->placed || m->initial;
			v |= (unsigned)env << b;
		}
		if (v || *any) {
			*s++ = "0123456789abcdef"[v];
			*any = true;
		}
	}
	return s;
}

/* Adds VAULTSHIM_HANDOFF for a child handed descriptor fd: its head, then
 * the choices (by index; before the config is loaded, by name too) after
 * a '.', left out when there are none. */
static void put_handoff(env_build *b, int fd, char *const *envp)
{
	char *s, *dot;
	bool any;

	b->out[b->j++] = b->s;
	s = vs_handoff_var(put_str(b->s, HO_VAR), fd);
	dot = s;
	*s++ = '.';
	s = put_mask(s, b->seen, &any);
	/* not loaded yet (a process that has read nothing): the
	 * choices it was given by index, and its own by name */
	if (!vs_tree_active()) {
		char *names;
		s = stpcpy(s, vs_ho.mask);
		names = s;
		s = choices_by_name(s, envp);
		if (s == names && !*vs_ho.mask)
			s = dot;
	} else if (!any) {
		s = dot;
	}
	*s = '\0';
	b->s = s + 1;
}

/*
 * Builds the child's environment in mem (vs_child_env_size bytes) from
 * envp, for the program t, handing down descriptor fd (-1: none). *keep_fd:
 * the child is given the hand-off; *secure: t runs with more privilege.
 * Uses no malloc and no lock: only reads of state published before.
 */
char **vs_child_env_build(char *const *envp, vs_exec_target t, int fd, void *mem, bool *keep_fd,
			  bool *secure)
{
	env_build b = {.out = mem};
	size_t n = 0;
	bool ours, carry;
	bool resolved = atomic_load_explicit(&vs_resolved, memory_order_acquire);

	while (envp && envp[n])
		n++;
	b.seen = (unsigned char *)(b.out + n + 5);
	b.s = (char *)(b.seen + vs_n_map);
	memset(b.seen, 0, vs_n_map);
	copy_entries(&b, envp, n, resolved);
	/* a name this process set to its served value (the value was kept out
	 * of environ) is in its environment as far as its children go */
	for (size_t k = 0; envp == environ && resolved && k < vs_n_map; k++) {
		const mapped *m = &vs_map[k];
		if (!b.seen[k] && atomic_load(&m->reexported) && !atomic_load(&m->overridden)) {
			b.seen[k] = 2;
			b.stripped = true;
		}
	}
	/* a served value given explicitly to a child without the preload (an
	 * environment built from scratch) brings the preload and the config
	 * along, so that the child is served it */
	ours = b.preload && lists_us(b.preload);
	/* (the privilege check costs a stat, or a PATH search: only when a
	 * hand-off or a carried preload depends on it) */
	*secure = (fd >= 0 || b.stripped) && escalates(t);
	carry = b.stripped && vs_inherit && !*secure && *vs_self_path;
	if (carry)
		ours = carry_preload(&b, ours);
	/* one warning for a subtree that cannot read the config */
	if (atomic_load(&vs_unreadable) && !b.has_unreadable && vs_config_path)
		put_var(&b, "VAULTSHIM_UNREADABLE=", vs_config_path);
	*keep_fd = fd >= 0 && vs_inherit && !*secure && ours;
	if (*keep_fd)
		put_handoff(&b, fd, envp);
	b.out[b.j] = NULL;
	return b.out;
}

/* Prepares ce for envp; false (errno set) when no room could be had.
 * parent: the call starts the child from this process (posix_spawn), so
 * descriptor flags changed here would race with other threads' forks. */
static bool child_env_begin(child_env *ce, char *const *envp, vs_exec_target t, void *stack, size_t size,
			    bool parent)
{
	bool keep_fd = false, secure = false;
	void *mem = stack;
	int fd = -1;

	memset(ce, 0, sizeof *ce);
	ce->reopened = -1;
	if (size > STACK_ENV_MAX) {
		mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mem == MAP_FAILED)
			return false;
		ce->mapped = mem;
		ce->mapped_len = size;
	}
	if (vs_ho.fd >= 0 && vs_inherit) {
		if (vs_handoff_fd_ok())
			fd = vs_ho.fd;
		else if (!parent && (fd = vs_handoff_reopen_from_parent()) >= 0)
			ce->reopened = fd;
	}
	ce->env = vs_child_env_build(envp, t, fd, mem, &keep_fd, &secure);
	if (!keep_fd && ce->reopened >= 0) {
		close(ce->reopened);
		ce->reopened = -1;
	}
	/* a child more privileged than us gets no descriptor either (from a
	 * parent, only then: the flag is shared with other threads' forks);
	 * other children without the variable just cannot find it */
	if (!keep_fd && fd >= 0 && fd == vs_ho.fd && (secure || !parent) &&
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == 0)
		ce->cloexec_set = true;
	return true;
}

static void child_env_end(child_env *ce)
{
	int e = errno;
	if (ce->cloexec_set)
		fcntl(vs_ho.fd, F_SETFD, 0);
	if (ce->reopened >= 0)
		close(ce->reopened);
	if (ce->mapped)
		munmap(ce->mapped, ce->mapped_len);
	errno = e;
}

/*
 * Runs `call` with env_ set to the child's environment of envp, for the
 * program t_ (parent_: see child_env_begin). The stack array is sized here,
 * in the hook's own frame. When no room can be had the call fails as the
 * real one would: fail_rc.
 */
#define WITH_ENV(envp, t_, parent_, fail_rc, call)                             \
	do {                                                                   \
		size_t need_ = vs_child_env_size(envp);                        \
		char *const *env_ = (envp);                                    \
		if (!need_)                                                    \
			return call;                                           \
		{                                                              \
			char stack_[need_ <= STACK_ENV_MAX ? need_ : 16]       \
				__attribute__((aligned(16)));                  \
			child_env ce_;                                         \
			if (!child_env_begin(&ce_, (envp), (t_), stack_, need_, (parent_))) \
				return (fail_rc);                              \
			env_ = ce_.env;                                        \
			__typeof__(call) rc_ = call;                           \
			child_env_end(&ce_);                                   \
			return rc_;                                            \
		}                                                              \
	} while (0)


static vs_exec_target at_path(const char *path)
{
	return (vs_exec_target){AT_FDCWD, path, 0};
}

/* ------------------------------------------------------------------ */
/* the hooks                                                           */

typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*execveat_fn)(int, const char *, char *const[], char *const[], int);
typedef int (*fexecve_fn)(int, char *const[], char *const[]);
typedef int (*spawn_fn)(pid_t *, const char *, const posix_spawn_file_actions_t *,
			const posix_spawnattr_t *, char *const[], char *const[]);

/* The next execve: a later preload's hook when one was found (looked up at
 * start only then, or when the config loads), else the system call itself,
 * which is all libc's execve is: no lookup, safe in a vfork child. */
void *vs_real_execve;
static void *real_execvpe, *real_fexecve, *real_execveat, *real_spawn, *real_spawnp;

static int next_execve(const char *path, char *const argv[], char *const envp[])
{
	execve_fn f = (execve_fn)vs_real_execve;
	return f ? f(path, argv, envp) : (int)syscall(SYS_execve, path, argv, envp);
}

static int next_execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	execveat_fn f = (execveat_fn)real_execveat;
	return f ? f(dirfd, path, argv, envp, flags)
		 : (int)syscall(SYS_execveat, dirfd, path, argv, envp, flags);
}

/* Looked up when the config or the hand-off is loaded, so no hook needs
 * dlsym later (in a vfork child it could wait forever on the loader's
 * lock). */
void vs_prime_exec_hooks(void)
{
	vs_next_fn(&vs_real_execve, "execve", (void *)execve);
	vs_next_fn(&real_execvpe, "execvpe", (void *)execvpe);
	vs_next_fn(&real_fexecve, "fexecve", (void *)fexecve);
	vs_next_fn(&real_execveat, "execveat", (void *)execveat);
	vs_next_fn(&real_spawn, "posix_spawn", (void *)posix_spawn);
	vs_next_fn(&real_spawnp, "posix_spawnp", (void *)posix_spawnp);
	vs_prime_shell_hooks();
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	WITH_ENV(envp, at_path(path), false, -1, next_execve(path, argv, env_));
}

EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	vs_exec_target t = {dirfd, path, flags & (AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)};
	WITH_ENV(envp, t, false, -1, next_execveat(dirfd, path, argv, env_, flags));
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	execve_fn f = (execve_fn)vs_next_fn(&real_execvpe, "execvpe", (void *)execvpe);
	WITH_ENV(envp, at_path(file), false, -1, f(file, argv, env_));
}

EXPORT int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

EXPORT int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	fexecve_fn f = (fexecve_fn)vs_next_fn(&real_fexecve, "fexecve", (void *)fexecve);
	vs_exec_target t = {fd, "", AT_EMPTY_PATH};
	WITH_ENV(envp, t, false, -1, f(fd, argv, env_));
}

/* The execl family: collect the arguments, then the matching execv*. */
#define COLLECT_ARGS(arg0, ap, argv, extra)                                    \
	size_t argc_ = 1;                                                      \
	va_start(ap, arg0);                                                    \
	while (va_arg(ap, char *))                                             \
		argc_++;                                                       \
	va_end(ap);                                                            \
	char *argv[argc_ + 1];                                                 \
	va_start(ap, arg0);                                                    \
	argv[0] = (char *)(arg0);                                              \
	for (size_t i_ = 1; i_ <= argc_; i_++)                                 \
		argv[i_] = va_arg(ap, char *);                                 \
	extra;                                                                 \
	va_end(ap)

EXPORT int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	COLLECT_ARGS(arg, ap, argv, (void)0);
	return execve(path, argv, environ);
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	COLLECT_ARGS(arg, ap, argv, (void)0);
	return execvpe(file, argv, environ);
}

EXPORT int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	char *const *envp;
	COLLECT_ARGS(arg, ap, argv, envp = va_arg(ap, char *const *));
	return execve(path, argv, envp);
}

EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
		       const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	spawn_fn f = (spawn_fn)vs_next_fn(&real_spawn, "posix_spawn", (void *)posix_spawn);

	vs_ensure_loaded();
	WITH_ENV(envp, at_path(path), true, ENOMEM, f(pid, path, fa, attr, argv, env_));
}

EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	spawn_fn f = (spawn_fn)vs_next_fn(&real_spawnp, "posix_spawnp", (void *)posix_spawnp);

	vs_ensure_loaded();
	WITH_ENV(envp, at_path(file), true, ENOMEM, f(pid, file, fa, attr, argv, env_));
}
