/*
 * shell.c — system(), popen()/pclose() and wordexp() for a process of a
 * tree. glibc starts their children inside libc, out of any hook's reach;
 * here they are done again over the posix_spawn hook (wordexp: in a forked
 * copy whose environ is first made what a child may see), so that those
 * children get what exec.c gives every child.
 *
 * Apart from exec.c, which would otherwise stay ~960 lines: these are
 * re-implementations of libc functions, with their own locks and state,
 * and reach the child's environment only through exec.c's hooks and its
 * builder (vs_child_env_size/vs_child_env_build). Depends on preload.h:
 * that builder, the start-up's lazy load (init.c), the hand-off's state.
 */
#define _GNU_SOURCE
#include "preload.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wordexp.h>

#define EXPORT __attribute__((visibility("default")))

extern char **environ;

typedef int (*system_fn)(const char *);
typedef FILE *(*popen_fn)(const char *, const char *);
typedef int (*pclose_fn)(FILE *);
typedef int (*wordexp_fn)(const char *, wordexp_t *, int);

/* libc's, for a process that is no tree's (looked up with the exec
 * hooks' next functions: vs_prime_exec_hooks) */
static void *real_system, *real_popen, *real_pclose, *real_wordexp;

void vs_prime_shell_hooks(void)
{
	vs_next_fn(&real_system, "system", (void *)system);
	vs_next_fn(&real_popen, "popen", (void *)popen);
	vs_next_fn(&real_pclose, "pclose", (void *)pclose);
	vs_next_fn(&real_wordexp, "wordexp", (void *)wordexp);
}

/*
 * glibc's system(), popen() and wordexp() start their children inside
 * libc, out of any hook's reach, with environ as it is: no hand-off
 * variable (it is never put in environ: a program may hold on to environ's
 * array), served values of an eager process included. In a tree they run
 * through the hooks instead.
 */
static bool own_children(void)
{
	vs_ensure_loaded();
	return vs_tree_active() || vs_ho.fd >= 0 || atomic_load(&vs_unreadable);
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
 * thread's mask restored, as glibc's system does (docs/design.md, pitfall 12). */
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
	size_t need = vs_child_env_size(environ);
	void *mem = mmap(NULL, need ? need : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	wordexp_t we = {0};
	bool keep_fd, secure;
	int rc;

	if (mem == MAP_FAILED)
		_exit(1);
	if (need)
		environ = vs_child_env_build(environ, (vs_exec_target){AT_FDCWD, NULL, 0},
					     vs_handoff_fd_ok() ? vs_ho.fd : -1, mem, &keep_fd, &secure);
	rc = f(words, &we, flags & ~(WRDE_APPEND | WRDE_DOOFFS | WRDE_REUSE));
	vs_write_all(fd, &rc, sizeof rc);
	vs_write_all(fd, &we.we_wordc, sizeof we.we_wordc);
	for (size_t i = 0; i < we.we_wordc; i++) {
		size_t l = strlen(we.we_wordv[i]);
		vs_write_all(fd, &l, sizeof l);
		vs_write_all(fd, we.we_wordv[i], l);
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
