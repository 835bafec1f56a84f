/*
 * signal.c — signal handlers and cancellation around the preload (docs/design.md,
 * pitfalls 11 and 12).
 *
 * A handler may interrupt anything, malloc included, so a getenv inside
 * one must not allocate, lock or start a process: the handlers a program
 * installs run through a trampoline that counts, per thread, how deep in
 * handlers it is, and getenv answers such calls from what is already there.
 *
 * The preload's own critical sections (loading the config, resolving) run
 * with the asynchronous signals blocked and cancellation disabled: no
 * handler runs inside them, so none can siglongjmp out of them, fork in
 * them or wait on them, and no pthread_cancel leaves one of our locks held.
 * A signal that arrives meanwhile is delivered when the section ends.
 */
/* fortified headers rename longjmp & co. to __longjmp_chk: this file
 * defines each of them under its own name */
#undef _FORTIFY_SOURCE
#define _GNU_SOURCE
#include "preload.h"

#include <sys/syscall.h>

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#define EXPORT __attribute__((visibility("default")))

__thread int vs_in_signal __attribute__((tls_model("initial-exec")));
/* the trampoline's frame at each depth (the first DEPTH_MAX): a handler left
 * by anything but a return (a C++ exception, setcontext, a jump the hooks
 * below did not see) is known to be left once getenv runs above it */
#define DEPTH_MAX 8
static __thread void *depth_frame[DEPTH_MAX] __attribute__((tls_model("initial-exec")));
/* the process whose handlers the table holds: a vfork child shares our
 * memory, and what it installs must not replace its parent's entries */
static pid_t table_pid;

/* The program's action for each signal whose kernel action is the
 * trampoline: two copies, the one in use named by cur[sig], so a handler
 * never reads one half-written (sigaction may itself run in a handler). */
typedef struct prog_action {
	void *fn;
	int flags;
} prog_action;
static prog_action actions[_NSIG][2];
static atomic_uchar cur[_NSIG];

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
typedef void (*handler_fn)(int);
typedef void (*siginfo_fn)(int, siginfo_t *, void *);
typedef handler_fn (*signal_fn)(int, handler_fn);
typedef void (*jump_fn)(struct __jmp_buf_tag *, int);
/* fortified programs' longjmp (setjmp.h declares it only then) */
void __longjmp_chk(struct __jmp_buf_tag env[1], int val) __attribute__((noreturn));

static void *real_sigaction, *real_signal, *real_sysv_signal, *real_bsd_signal, *real_sigset;
static void *real___sysv_signal, *real_ssignal, *real___sigaction;
static void *real_longjmp, *real_siglongjmp, *real__longjmp, *real_longjmp_chk;

static void trampoline(int sig, siginfo_t *si, void *uc)
{
	prog_action a;
	int d = vs_in_signal;

	if (sig <= 0 || sig >= _NSIG)
		return;
	a = actions[sig][atomic_load_explicit(&cur[sig], memory_order_acquire)];
	if (d >= 0 && d < DEPTH_MAX)
		depth_frame[d] = __builtin_frame_address(0);
	vs_in_signal = d + 1;
	if (a.flags & SA_SIGINFO)
		((siginfo_fn)a.fn)(sig, si, uc);
	else if (a.fn)
		((handler_fn)a.fn)(sig);
	vs_in_signal = d;
}

/* A handler's frames lie below its trampoline's (the stack grows down): a
 * getenv running above one is not in that handler any more. */
__attribute__((noinline)) bool vs_in_handler(void)
{
	char *here = __builtin_frame_address(0);
	int d = vs_in_signal;

	while (d > 0 && d <= DEPTH_MAX && here > (char *)depth_frame[d - 1])
		d--;
	vs_in_signal = d;
	return d > 0;
}

void vs_signal_forked(void)
{
	if (table_pid)
		table_pid = getpid();
}

static bool is_function(const struct sigaction *act)
{
	return act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN && act->sa_handler != SIG_ERR;
}

/* The jump functions are looked up with sigaction, in ordinary code: a
 * handler that jumps must not wait in dlsym. */
static sigaction_fn next_sigaction(void)
{
	if (!real_sigaction) {
		vs_next_fn(&real_longjmp, "longjmp", (void *)longjmp);
		vs_next_fn(&real_siglongjmp, "siglongjmp", (void *)siglongjmp);
		vs_next_fn(&real__longjmp, "_longjmp", (void *)_longjmp);
		vs_next_fn(&real_longjmp_chk, "__longjmp_chk", (void *)__longjmp_chk);
	}
	return (sigaction_fn)vs_next_fn(&real_sigaction, "sigaction", (void *)sigaction);
}

static int do_sigaction(sigaction_fn f, int sig, const struct sigaction *act, struct sigaction *old);

EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	return do_sigaction(next_sigaction(), sig, act, old);
}

/* glibc's alias, which a few programs call by that name */
int __sigaction(int sig, const struct sigaction *act, struct sigaction *old);
EXPORT int __sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	next_sigaction();
	return do_sigaction((sigaction_fn)vs_next_fn(&real___sigaction, "__sigaction", (void *)__sigaction), sig,
			    act, old);
}

static int do_sigaction(sigaction_fn f, int sig, const struct sigaction *act, struct sigaction *old)
{
	struct sigaction mine, prev;
	prog_action was;
	unsigned char now;
	int rc;

	if (sig <= 0 || sig >= _NSIG)
		return f(sig, act, old);
	now = atomic_load_explicit(&cur[sig], memory_order_acquire);
	was = actions[sig][now];
	if (act && is_function(act)) {
		pid_t me = getpid();
		if (!table_pid)
			table_pid = me;
		else if (me != table_pid) /* a vfork child: its own, unwrapped */
			return f(sig, act, old);
		actions[sig][!now] = (prog_action){(void *)act->sa_sigaction, act->sa_flags};
		atomic_store_explicit(&cur[sig], (unsigned char)!now, memory_order_release);
		mine = *act;
		mine.sa_sigaction = trampoline;
		mine.sa_flags |= SA_SIGINFO;
		act = &mine;
	}
	rc = f(sig, act, &prev);
	if (rc == 0 && old) {
		*old = prev;
		/* the program sees its own handler and flags, never ours */
		if (prev.sa_sigaction == trampoline) {
			old->sa_sigaction = (siginfo_fn)was.fn;
			if (!(was.flags & SA_SIGINFO))
				old->sa_flags &= ~SA_SIGINFO;
		} else if (prev.sa_handler == SIG_DFL && (was.flags & SA_RESETHAND) && !(was.flags & SA_SIGINFO)) {
			/* reset by its delivery: the flag was ours */
			old->sa_flags &= ~SA_SIGINFO;
		}
	}
	return rc;
}

/*
 * signal() and its relatives (sysv_signal, bsd_signal, System V's sigset,
 * whose SIG_HOLD installs nothing) install through libc's internal sigaction,
 * which no hook sees: let them, with the flags and mask they choose, then
 * put the trampoline in front of the handler they installed.
 */
static handler_fn wrap_installed(int sig, handler_fn prev, prog_action was)
{
	struct sigaction now;

	if (prev == SIG_ERR || sig <= 0 || sig >= _NSIG)
		return prev;
	if (next_sigaction()(sig, NULL, &now) == 0 && is_function(&now) && now.sa_sigaction != trampoline)
		sigaction(sig, &now, NULL);
	return (void *)prev == (void *)trampoline ? (handler_fn)was.fn : prev;
}

static prog_action current(int sig)
{
	prog_action none = {0};

	if (sig <= 0 || sig >= _NSIG)
		return none;
	return actions[sig][atomic_load_explicit(&cur[sig], memory_order_acquire)];
}

#define SIGNAL_HOOK(name, slot)                                                \
	EXPORT handler_fn name(int sig, handler_fn h)                          \
	{                                                                      \
		signal_fn f = (signal_fn)vs_next_fn(&slot, #name, (void *)name); \
		prog_action was = current(sig);                                \
		return wrap_installed(sig, f(sig, h), was);                    \
	}

SIGNAL_HOOK(signal, real_signal)
SIGNAL_HOOK(sysv_signal, real_sysv_signal)
SIGNAL_HOOK(bsd_signal, real_bsd_signal)
/* signal() in a program built with -std=c99/c11 binds to __sysv_signal */
SIGNAL_HOOK(__sysv_signal, real___sysv_signal)
SIGNAL_HOOK(ssignal, real_ssignal)
/* (deprecated in the headers, still called by old programs) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
SIGNAL_HOOK(sigset, real_sigset)
#pragma GCC diagnostic pop

/*
 * A jump out of a handler leaves the trampoline without its decrement. A
 * jump is taken as leaving every handler of the thread: one that stays
 * inside a handler (rare) only makes getenv there take the ordinary path,
 * as it did before the trampoline.
 */
#define JUMP_HOOK(name, slot)                                                  \
	EXPORT void name(struct __jmp_buf_tag env[1], int val)                 \
	{                                                                      \
		jump_fn f = (jump_fn)vs_next_fn(&slot, #name, (void *)name);   \
		vs_in_signal = 0;                                              \
		f(env, val);                                                   \
		__builtin_unreachable();                                       \
	}

JUMP_HOOK(longjmp, real_longjmp)
JUMP_HOOK(siglongjmp, real_siglongjmp)
JUMP_HOOK(_longjmp, real__longjmp)
JUMP_HOOK(__longjmp_chk, real_longjmp_chk)

void vs_guard_enter(vs_guard *g)
{
	sigset_t all;

	sigfillset(&all);
	/* a fault raised while these are blocked kills the process outright */
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGTRAP);
	sigdelset(&all, SIGSYS);
	/* (SIGABRT stays blocked: abort() unblocks it itself) */
	pthread_sigmask(SIG_BLOCK, &all, &g->mask);
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &g->cancel);
}

/* Inside a guard: the signals the program left at their default action,
 * terminate, let through again (docs/design.md, "Refresh"). No handler of the
 * program's can run on them, so none can jump out of our critical section:
 * they only end the process (the kernel drops its record locks; the helper
 * finishes alone). Asked of the kernel (no lookup of libc's sigaction
 * under our lock); the handler is the first word of its answer. */
void vs_guard_open_fatal(void)
{
	static const int fatal[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM,
				    SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGPWR};
	sigset_t open;

	sigemptyset(&open);
	for (size_t i = 0; i < sizeof fatal / sizeof *fatal; i++) {
		void *k[8] = {0};
		if (syscall(SYS_rt_sigaction, fatal[i], NULL, k, sizeof(unsigned long)) == 0 &&
		    k[0] == (void *)SIG_DFL)
			sigaddset(&open, fatal[i]);
	}
	pthread_sigmask(SIG_UNBLOCK, &open, NULL);
}

void vs_guard_leave(vs_guard *g)
{
	pthread_setcancelstate(g->cancel, NULL);
	pthread_sigmask(SIG_SETMASK, &g->mask, NULL);
}
