/* R10f: Ctrl-C during the first resolution. A terminal sends SIGINT to the
 * whole foreground process group, the resolver helper included: the helper
 * must outlive it (the value is served) and the program's own SIGINT handler
 * runs once, after the resolution (the preload holds asynchronous signals
 * back in its sections), still inside the getenv.
 *
 * usage: sigint_resolve PIDFILE (run as a process group leader: setsid)
 * Writes its pid (its process group) to PIDFILE, then reads DB_PASSWORD;
 * the test sends SIGINT to the group ~400 ms later; Vault is slow (1.5 s,
 * the case's delay). "after the resolution": the handler ran at least 1 s
 * into the getenv, which it would have 0.4 s in, had the signal not waited.
 * Prints "served, handler ran once after the resolution". */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t runs, in_getenv, ran_in_getenv;
static struct timespec t_handler;

static void on_int(int sig)
{
	(void)sig;
	if (!runs++) {
		clock_gettime(CLOCK_MONOTONIC, &t_handler);
		ran_in_getenv = in_getenv;
	}
}

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_int};
	struct timespec t0, pause_ms = {0, 300 * 1000 * 1000};
	char buf[32];
	const char *v;
	int fd, len, served, after;

	if (argc != 2)
		return 2;
	if (getpgrp() != getpid()) {
		printf("not a process group leader\n");
		return 2;
	}
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL))
		return 2;
	len = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, buf, (size_t)len) != len)
		return 2;
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	in_getenv = 1;
	v = getenv("DB_PASSWORD");
	in_getenv = 0;
	nanosleep(&pause_ms, NULL); /* a second delivery would show now */
	served = v && !strcmp(v, "locks-db");
	if (runs != 1 || !ran_in_getenv) {
		printf("%s, handler ran %d times%s\n", served ? "served" : "not served", (int)runs,
		       runs && !ran_in_getenv ? " (after the getenv: SIGINT came late)" : "");
		return 1;
	}
	after = ms_between(&t0, &t_handler) >= 1000;
	printf("%s, handler ran once %s\n", !v ? "unset" : served ? "served" : "another value",
	       after ? "after the resolution" : "less than 1 s into the getenv");
	return served && after ? 0 : 1;
}
