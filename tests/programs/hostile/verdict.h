/* verdict.h — what the lock tests' programs print and check: how getenv
 * answered (never the value itself), and whether a fork still returns
 * (a lock of the preload left held makes it wait forever). */
#ifndef VERDICT_H
#define VERDICT_H

#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *verdict(const char *v)
{
	return !v ? "unset" : !strcmp(v, "locks-db") ? "served" : "another value";
}

static bool fork_returns(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	return pid > 0 && waitpid(pid, NULL, 0) == pid;
}

#endif
