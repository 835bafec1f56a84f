/*
 * sandbox.c — whether the helper may be started under a seccomp filter
 * (docs/design.md, pitfall 16).
 *
 * A filter's verdict cannot be read from inside it: a clone or execve it
 * forbids with its kill action (systemd's default for SystemCallFilter=)
 * kills the whole program, whatever on_error says. What can be known is
 * whether the program installed a filter itself, after start: its own
 * sandbox is made for what it does, and seldom lets it start processes; a
 * filter inherited at start (a container runtime's, a service manager's)
 * governs the whole service, and the common ones allow both. So by default
 * (seccomp = auto) the helper is not started once the program has
 * installed a filter through libc (prctl, or the seccomp system call through
 * syscall(), as libseccomp does); seccomp = no-spawn refuses under any
 * filter, seccomp = spawn never refuses.
 */
#define _GNU_SOURCE
#include "preload.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

static atomic_bool self_filtered;
static void *real_prctl, *real_syscall;

typedef int (*prctl_fn)(int, unsigned long, unsigned long, unsigned long, unsigned long);
typedef long (*syscall_fn)(long, long, long, long, long, long, long);

/* (both take their arguments as libc's do: every one a register's worth,
 * read whether the caller passed it or not) */
EXPORT int prctl(int option, ...)
{
	prctl_fn f = (prctl_fn)vs_next_fn(&real_prctl, "prctl", (void *)prctl);
	unsigned long a[4];
	va_list ap;
	int rc;

	va_start(ap, option);
	for (int i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	rc = f(option, a[0], a[1], a[2], a[3]);
	if (rc == 0 && option == PR_SET_SECCOMP)
		atomic_store(&self_filtered, true);
	return rc;
}

EXPORT long syscall(long n, ...)
{
	syscall_fn f = (syscall_fn)vs_next_fn(&real_syscall, "syscall", (void *)syscall);
	long a[6], rc;
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	rc = f(n, a[0], a[1], a[2], a[3], a[4], a[5]);
	/* (0 only: with SECCOMP_FILTER_FLAG_TSYNC a positive answer is a
	 * thread that blocked it, and nothing was installed) */
	if (rc == 0 && ((n == SYS_seccomp && (a[0] == SECCOMP_SET_MODE_FILTER || a[0] == SECCOMP_SET_MODE_STRICT)) ||
			(n == SYS_prctl && a[0] == PR_SET_SECCOMP)))
		atomic_store(&self_filtered, true);
	return rc;
}

void vs_prime_sandbox(void)
{
	vs_next_fn(&real_prctl, "prctl", (void *)prctl);
	vs_next_fn(&real_syscall, "syscall", (void *)syscall);
}

/* /proc/self/status says "Seccomp: 2" under a filter (1: strict mode). It
 * is read line by line: with many groups, the line is far down. */
static bool filtered_now(void)
{
	char buf[4096];
	size_t have = 0;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	bool on = false, eof = fd < 0;

	while (!eof || have) {
		char *nl;
		if (!eof && have < sizeof buf - 1) {
			ssize_t r = read(fd, buf + have, sizeof buf - 1 - have);
			if (r < 0 && errno == EINTR)
				continue;
			eof = r <= 0;
			have += r > 0 ? (size_t)r : 0;
		}
		buf[have] = '\0';
		nl = memchr(buf, '\n', have);
		if (!nl && !eof && have < sizeof buf - 1)
			continue;
		if (!strncmp(buf, "Seccomp:", 8)) {
			on = strtol(buf + 8, NULL, 10) > 0;
			break;
		}
		if (!nl) /* a line longer than the buffer, or the last one */
			have = 0;
		else {
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have);
		}
	}
	if (fd >= 0)
		close(fd);
	return on;
}

int vs_spawn_allowed(vs_seccomp policy, vs_error *err)
{
	bool self = atomic_load(&self_filtered);

	if (policy == VS_SECCOMP_SPAWN || (policy == VS_SECCOMP_AUTO && !self) ||
	    (policy == VS_SECCOMP_NO_SPAWN && !self && !filtered_now()))
		return 0;
	return vs_fail(err, VS_EX_UNAVAILABLE,
		       "%s: the resolver helper is not started (a filter that forbids starting it would kill "
		       "the program); read the values before the filter (mode = eager), or set seccomp = spawn "
		       "in [options] if the filter allows clone and execve",
		       self ? "the program installed a seccomp filter" : "a seccomp filter is in force");
}
