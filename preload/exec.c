/*
 * exec.c — what a child is given: the exec family, execveat, fexecve,
 * posix_spawn(p), system, popen and wordexp.
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
 */
#define _GNU_SOURCE
#include "preload.h"
#include "vs_log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wordexp.h>

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

static bool tree_active(void)
{
	return vs_map && vs_n_map;
}

static bool has_name(const char *e, const char *prefix_with_eq)
{
	return !strncmp(e, prefix_with_eq, strlen(prefix_with_eq));
}

/* Bytes needed for the child's environment of envp (0: pass envp as is). */
static size_t child_env_size(char *const *envp)
{
	size_t n = 0, preload = 0, need;

	/* (a hand-off made at a fork, before any config load, is passed on) */
	if (!tree_active() && vs_ho.fd < 0 && !atomic_load(&vs_unreadable))
		return 0;
	for (; envp && envp[n]; n++)
		if (has_name(envp[n], "LD_PRELOAD="))
			preload += strlen(envp[n]);
	need = (n + 5) * sizeof(char *);
	need += vs_n_map;                              /* a byte per name: seen */
	need += sizeof HO_VAR + 64 + vs_n_map / 4 + strlen(vs_ho.mask) + 2; /* the hand-off variable */
	need += sizeof "LD_PRELOAD=" + strlen(vs_self_path) + 1 + preload;
	need += 2 * (sizeof "VAULTSHIM_UNREADABLE=" + (vs_config_path ? strlen(vs_config_path) : 0));
	if (!tree_active() && vs_ho.fd >= 0) { /* the names chosen (choices_by_name) */
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

/* The program a call executes, as fstatat names it; path without a '/' is
 * searched on PATH as execvp does. */
typedef struct target {
	int dirfd;
	const char *path;
	int flags;
} target;

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
static bool escalates(target t)
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

/*
 * Builds the child's environment in mem (child_env_size bytes) from envp,
 * for the program t, handing down descriptor fd (-1: none). *keep_fd: the
 * child is given the hand-off; *secure: t runs with more privilege. Uses no
 * malloc and no lock: only reads of state published before.
 */
static char **child_env_build(char *const *envp, target t, int fd, void *mem, bool *keep_fd,
			      bool *secure)
{
	size_t n = 0, j = 0, preload_at = 0;
	char **out = mem;
	unsigned char *seen;
	char *s;
	const char *preload = NULL;
	bool stripped = false, has_config = false, has_unreadable = false, ours, carry;
	bool resolved = atomic_load_explicit(&vs_resolved, memory_order_acquire);

	while (envp && envp[n])
		n++;
	seen = (unsigned char *)(out + n + 5);
	s = (char *)(seen + vs_n_map);
	memset(seen, 0, vs_n_map);
	for (size_t i = 0; i < n; i++) {
		const char *e = envp[i], *eq = strchr(e, '=');
		mapped *m;

		if (has_name(e, HO_VAR))
			continue; /* written anew below */
		if (has_name(e, "VAULTSHIM_FROM_GO="))
			continue; /* for a Go program's own children only */
		if (has_name(e, "LD_PRELOAD=")) {
			/* the dynamic loader takes the last one */
			preload = e + 11;
			preload_at = j;
		}
		if (has_name(e, "VAULTSHIM_CONFIG="))
			has_config = true;
		if (has_name(e, "VAULTSHIM_UNREADABLE="))
			has_unreadable = true;
		if (eq && (m = vs_lookup_len(e, (size_t)(eq - e)))) {
			size_t k = (size_t)(m - vs_map);
			bool first = !seen[k];
			/* a served value never goes to a child: it is served there */
			if (resolved && vs_served_value(m, eq + 1)) {
				stripped = true;
				if (first)
					seen[k] = 2;
				continue;
			}
			/* the child's getenv takes the first entry, as glibc's does */
			if (first) {
				seen[k] = 1; /* the tree's choice: environ answers */
				/* the value this process started with, untouched:
				 * passed on with this process's own choice */
				if (!atomic_load(&m->overridden) && m->initial && !strcmp(eq + 1, m->initial))
					seen[k] = 3;
			}
		}
		out[j++] = (char *)e;
	}
	/* a name this process set to its served value (the value was kept out
	 * of environ) is in its environment as far as its children go */
	for (size_t k = 0; envp == environ && resolved && k < vs_n_map; k++) {
		const mapped *m = &vs_map[k];
		if (!seen[k] && atomic_load(&m->reexported) && !atomic_load(&m->overridden)) {
			seen[k] = 2;
			stripped = true;
		}
	}
	/* a served value given explicitly to a child without the preload (an
	 * environment built from scratch) brings the preload and the config
	 * along, so that the child is served it */
	ours = preload && lists_us(preload);
	/* (the privilege check costs a stat, or a PATH search: only when a
	 * hand-off or a carried preload depends on it) */
	*secure = (fd >= 0 || stripped) && escalates(t);
	carry = stripped && vs_inherit && !*secure && *vs_self_path;
	if (carry && !ours) {
		char *v = s;
		s = put_str(put_str(s, "LD_PRELOAD="), vs_self_path);
		if (preload)
			s = put_str(put_str(s, ":"), preload);
		*s++ = '\0';
		if (preload)
			out[preload_at] = v; /* in place of the one the loader takes */
		else
			out[j++] = v;
		ours = true;
	}
	if (carry && !has_config && vs_config_path) {
		out[j++] = s;
		s = put_str(put_str(s, "VAULTSHIM_CONFIG="), vs_config_path) + 1;
		s[-1] = '\0';
	}
	/* one warning for a subtree that cannot read the config */
	if (atomic_load(&vs_unreadable) && !has_unreadable && vs_config_path) {
		out[j++] = s;
		s = put_str(put_str(s, "VAULTSHIM_UNREADABLE="), vs_config_path) + 1;
		s[-1] = '\0';
	}
	*keep_fd = fd >= 0 && vs_inherit && !*secure && ours;
	if (*keep_fd) {
		char *dot;
		bool any = false;
		out[j++] = s;
		s = vs_handoff_var(put_str(s, HO_VAR), fd);
		dot = s;
		*s++ = '.';
		/* the mask, most significant digit first: bit k set when the
		 * child must answer name k from its environ */
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
			if (v || any) {
				*s++ = "0123456789abcdef"[v];
				any = true;
			}
		}
		/* not loaded yet (a process that has read nothing): the
		 * choices it was given by index, and its own by name */
		if (!tree_active()) {
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
	}
	out[j] = NULL;
	return out;
}

/* Prepares ce for envp; false (errno set) when no room could be had.
 * parent: the call starts the child from this process (posix_spawn), so
 * descriptor flags changed here would race with other threads' forks. */
static bool child_env_begin(child_env *ce, char *const *envp, target t, void *stack, size_t size,
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
	ce->env = child_env_build(envp, t, fd, mem, &keep_fd, &secure);
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
		size_t need_ = child_env_size(envp);                           \
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


static target at_path(const char *path)
{
	return (target){AT_FDCWD, path, 0};
}

/* ------------------------------------------------------------------ */
/* the hooks                                                           */

typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*execveat_fn)(int, const char *, char *const[], char *const[], int);
typedef int (*fexecve_fn)(int, char *const[], char *const[]);
typedef int (*spawn_fn)(pid_t *, const char *, const posix_spawn_file_actions_t *,
			const posix_spawnattr_t *, char *const[], char *const[]);
typedef int (*system_fn)(const char *);
typedef FILE *(*popen_fn)(const char *, const char *);
typedef int (*pclose_fn)(FILE *);
typedef int (*wordexp_fn)(const char *, wordexp_t *, int);

/* The next execve: a later preload's hook when one was found (looked up at
 * start only then, or when the config loads), else the system call itself,
 * which is all libc's execve is: no lookup, safe in a vfork child. */
void *vs_real_execve;
static void *real_execvpe, *real_fexecve, *real_execveat, *real_spawn, *real_spawnp;
static void *real_system, *real_popen, *real_pclose, *real_wordexp;

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
	vs_next_fn(&real_system, "system", (void *)system);
	vs_next_fn(&real_popen, "popen", (void *)popen);
	vs_next_fn(&real_pclose, "pclose", (void *)pclose);
	vs_next_fn(&real_wordexp, "wordexp", (void *)wordexp);
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	WITH_ENV(envp, at_path(path), false, -1, next_execve(path, argv, env_));
}

EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	target t = {dirfd, path, flags & (AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)};
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
	target t = {fd, "", AT_EMPTY_PATH};
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

/*
 * glibc's system(), popen() and wordexp() start their children inside
 * libc, out of any hook's reach, with environ as it is: no hand-off
 * variable (it is never put in environ: a program may hold on to environ's
 * array), served values of an eager process included. In a tree they run
 * through the hooks above instead.
 */
static bool own_children(void)
{
	vs_ensure_loaded();
	return tree_active() || vs_ho.fd >= 0 || atomic_load(&vs_unreadable);
}


/*
 * system() as POSIX describes it — /bin/sh -c, SIGCHLD blocked and SIGINT,
 * SIGQUIT ignored in the caller while it waits, the child with default
 * dispositions and the caller's mask — spawned through the posix_spawn hook.
 */
/* Concurrent system() calls: the first in saves SIGINT/SIGQUIT and ignores
 * them, the last out restores them (a per-call save would let the last call
 * restore another call's SIG_IGN for good). */
static pthread_mutex_t system_lock = PTHREAD_MUTEX_INITIALIZER;
static int system_active;
static struct sigaction system_old_int, system_old_quit;

/* The end of a system(): SIGINT and SIGQUIT back as they were when the
 * last concurrent call ends. */
static void system_end(void)
{
	pthread_mutex_lock(&system_lock);
	if (--system_active == 0) {
		sigaction(SIGINT, &system_old_int, NULL);
		sigaction(SIGQUIT, &system_old_quit, NULL);
	}
	pthread_mutex_unlock(&system_lock);
}

/* A thread cancelled while it waits (waitpid is a cancellation point, as
 * system is): the child killed and reaped, the dispositions and the
 * thread's mask restored, as glibc's system does (pitfall 12). */
typedef struct system_call {
	pid_t pid;
	sigset_t old_mask;
} system_call;

static void system_cancelled(void *arg)
{
	system_call *sc = arg;

	kill(sc->pid, SIGKILL);
	while (waitpid(sc->pid, NULL, 0) < 0 && errno == EINTR)
		;
	system_end();
	sigprocmask(SIG_SETMASK, &sc->old_mask, NULL);
}

EXPORT int system(const char *cmd)
{
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_int, old_quit;
	sigset_t block, old_mask, defaults;
	posix_spawnattr_t attr;
	char *argv[] = {(char *)"sh", (char *)"-c", (char *)cmd, NULL};
	int status = -1, err;
	pid_t pid;

	if (!cmd || !own_children())
		return ((system_fn)vs_next_fn(&real_system, "system", (void *)system))(cmd);
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old_mask);
	pthread_mutex_lock(&system_lock);
	if (system_active++ == 0) {
		sigaction(SIGINT, &ign, &system_old_int);
		sigaction(SIGQUIT, &ign, &system_old_quit);
	}
	old_int = system_old_int;
	old_quit = system_old_quit;
	pthread_mutex_unlock(&system_lock);
	posix_spawnattr_init(&attr);
	sigemptyset(&defaults);
	if (old_int.sa_handler != SIG_IGN)
		sigaddset(&defaults, SIGINT);
	if (old_quit.sa_handler != SIG_IGN)
		sigaddset(&defaults, SIGQUIT);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	posix_spawnattr_setsigmask(&attr, &old_mask);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	err = posix_spawn(&pid, "/bin/sh", NULL, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	if (err == 0) {
		system_call sc = {.pid = pid, .old_mask = old_mask};
		pthread_cleanup_push(system_cancelled, &sc);
		while (waitpid(pid, &status, 0) < 0) {
			if (errno != EINTR) {
				status = -1;
				break;
			}
		}
		pthread_cleanup_pop(0);
	} else {
		status = W_EXITCODE(127, 0);
	}
	system_end();
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	return status;
}

/* popen()/pclose() over posix_spawn: the streams this opened, with their
 * descriptor (never read through f, which fclose may have freed) and pid. */
pthread_mutex_t vs_popen_lock = PTHREAD_MUTEX_INITIALIZER;
static struct popened {
	FILE *f;
	int fd;
	pid_t pid;
	struct popened *next;
} *popened;

EXPORT FILE *popen(const char *cmd, const char *mode)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = {(char *)"sh", (char *)"-c", (char *)cmd, NULL};
	bool reading, cloexec;
	struct popened *p;
	int fds[2], err;
	pid_t pid;
	FILE *f;

	if (!own_children())
		return ((popen_fn)vs_next_fn(&real_popen, "popen", (void *)popen))(cmd, mode);
	if (!mode || (mode[0] != 'r' && mode[0] != 'w') || (mode[1] && strcmp(mode + 1, "e"))) {
		errno = EINVAL;
		return NULL;
	}
	reading = mode[0] == 'r';
	cloexec = mode[1] == 'e';
	if (!(p = calloc(1, sizeof *p)) || pipe2(fds, O_CLOEXEC) < 0) {
		free(p);
		return NULL;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[reading ? 1 : 0], reading ? 1 : 0);
	/* POSIX: streams of earlier popen() calls are closed in the new child */
	pthread_mutex_lock(&vs_popen_lock);
	for (struct popened *q = popened; q; q = q->next)
		posix_spawn_file_actions_addclose(&fa, q->fd);
	err = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[reading ? 1 : 0]);
	if (err || !(f = fdopen(fds[reading ? 0 : 1], reading ? "r" : "w"))) {
		pthread_mutex_unlock(&vs_popen_lock);
		if (!err) {
			close(fds[reading ? 0 : 1]);
			waitpid(pid, NULL, 0);
		} else {
			close(fds[reading ? 0 : 1]);
			errno = err;
		}
		free(p);
		return NULL;
	}
	if (!cloexec)
		fcntl(fileno(f), F_SETFD, 0);
	p->f = f;
	p->fd = fileno(f);
	p->pid = pid;
	p->next = popened;
	popened = p;
	pthread_mutex_unlock(&vs_popen_lock);
	return f;
}

EXPORT int pclose(FILE *f)
{
	struct popened **pp, *p = NULL;
	int status;

	pthread_mutex_lock(&vs_popen_lock);
	for (pp = &popened; *pp; pp = &(*pp)->next)
		if ((*pp)->f == f) {
			p = *pp;
			*pp = p->next;
			break;
		}
	pthread_mutex_unlock(&vs_popen_lock);
	if (!p)
		return ((pclose_fn)vs_next_fn(&real_pclose, "pclose", (void *)pclose))(f);
	fclose(f);
	while (waitpid(p->pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = -1;
			break;
		}
	}
	free(p);
	return status;
}

/* ------------------------------------------------------------------ */
/* wordexp                                                             */

static bool full_write(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return true;
}

static bool full_read(int fd, void *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		p = (char *)p + r;
		n -= (size_t)r;
	}
	return true;
}

/* The forked child: expands with environ set to what a child may see,
 * then sends back the status and the words. */
static void __attribute__((noreturn)) wordexp_child(int fd, const char *words, int flags)
{
	wordexp_fn f = (wordexp_fn)real_wordexp;
	size_t need = child_env_size(environ);
	void *mem = mmap(NULL, need ? need : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	wordexp_t we = {0};
	bool keep_fd, secure;
	int rc;

	if (mem == MAP_FAILED)
		_exit(1);
	if (need)
		environ = child_env_build(environ, at_path(NULL), vs_handoff_fd_ok() ? vs_ho.fd : -1, mem,
					  &keep_fd, &secure);
	rc = f(words, &we, flags & ~(WRDE_APPEND | WRDE_DOOFFS | WRDE_REUSE));
	full_write(fd, &rc, sizeof rc);
	full_write(fd, &we.we_wordc, sizeof we.we_wordc);
	for (size_t i = 0; i < we.we_wordc; i++) {
		size_t l = strlen(we.we_wordv[i]);
		full_write(fd, &l, sizeof l);
		full_write(fd, we.we_wordv[i], l);
	}
	_exit(0);
}

/* Appends the words read from fd to p as glibc's wordexp would. */
static int wordexp_collect(int fd, wordexp_t *p, int flags)
{
	size_t wc, offs, old;
	char **v;
	int rc;

	if (!full_read(fd, &rc, sizeof rc) || !full_read(fd, &wc, sizeof wc) || wc > (1u << 24))
		return WRDE_NOSPACE;
	if (rc && rc != WRDE_NOSPACE)
		return rc;
	if (flags & WRDE_REUSE)
		wordfree(p);
	if (!(flags & WRDE_APPEND) || (flags & WRDE_REUSE)) {
		p->we_wordc = 0;
		p->we_wordv = NULL;
		if (!(flags & WRDE_DOOFFS))
			p->we_offs = 0;
	}
	offs = (flags & WRDE_DOOFFS) ? p->we_offs : 0;
	old = p->we_wordc;
	if (!(v = realloc(p->we_wordv, (offs + old + wc + 1) * sizeof *v)))
		return WRDE_NOSPACE;
	if (!p->we_wordv)
		for (size_t i = 0; i < offs; i++)
			v[i] = NULL;
	p->we_wordv = v;
	for (size_t i = 0; i < wc; i++) {
		size_t l;
		char *w;
		if (!full_read(fd, &l, sizeof l) || l > (1u << 26) || !(w = malloc(l + 1)))
			return WRDE_NOSPACE;
		if (!full_read(fd, w, l)) {
			free(w);
			return WRDE_NOSPACE;
		}
		w[l] = '\0';
		v[offs + p->we_wordc++] = w;
		v[offs + p->we_wordc] = NULL;
	}
	v[offs + p->we_wordc] = NULL;
	return rc;
}

/*
 * wordexp() runs `$(...)` and backquotes through /bin/sh with environ as it
 * is, inside libc where no hook reaches: with names mapped, such an
 * expansion runs in a forked copy of this process whose environ is first
 * made what a child may see.
 */
EXPORT int wordexp(const char *words, wordexp_t *p, int flags)
{
	wordexp_fn f = (wordexp_fn)vs_next_fn(&real_wordexp, "wordexp", (void *)wordexp);
	int fds[2], rc, status;
	pid_t pid;

	if ((flags & WRDE_NOCMD) || !words || (!strchr(words, '`') && !strstr(words, "$(")) ||
	    !own_children())
		return f(words, p, flags);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return WRDE_NOSPACE;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return WRDE_NOSPACE;
	}
	if (pid == 0) {
		close(fds[0]);
		wordexp_child(fds[1], words, flags);
	}
	close(fds[1]);
	rc = wordexp_collect(fds[0], p, flags);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return rc;
}
