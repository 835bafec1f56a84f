/*
 * children METHOD [own]: starts /bin/sh through METHOD (execve, execv, execvp,
 * execvpe, execl, execlp, execle, fexecve, posix_spawn, posix_spawnp, system,
 * popen). The child prints two lines: how many DB_PASSWORD entries its
 * initial environment (/proc/self/environ, what anyone with its uid can read)
 * holds, and the SHA-256 of the DB_PASSWORD it sees. With "own" the program
 * first sets DB_PASSWORD itself: that write must reach the child.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char script[] =
	"tr '\\0' '\\n' < /proc/$$/environ | grep -c '^DB_PASSWORD=';"
	"printf '%s' \"$DB_PASSWORD\" | sha256sum | cut -c1-64";

static int wait_child(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
	char *cargv[] = {"sh", "-c", (char *)script, NULL};
	const char *m = argc > 1 ? argv[1] : "";
	pid_t pid;

	if (argc > 2 && !strcmp(argv[2], "own"))
		setenv("DB_PASSWORD", "program-own-value", 1);
	else if (!getenv("DB_PASSWORD")) /* the program reads it: resolved */
		return 3;
	fflush(stdout);
	if (!strcmp(m, "system"))
		return WEXITSTATUS(system(script));
	if (!strcmp(m, "popen")) {
		char line[256];
		FILE *f = popen(script, "r");
		if (!f)
			return 4;
		while (fgets(line, sizeof line, f))
			fputs(line, stdout);
		return WEXITSTATUS(pclose(f));
	}
	if (!strcmp(m, "posix_spawn") || !strcmp(m, "posix_spawnp")) {
		int e = m[11] == 'p' ? posix_spawnp(&pid, "sh", NULL, NULL, cargv, environ)
				     : posix_spawn(&pid, "/bin/sh", NULL, NULL, cargv, environ);
		return e ? 5 : wait_child(pid);
	}
	pid = fork();
	if (pid == 0) {
		if (!strcmp(m, "execve"))
			execve("/bin/sh", cargv, environ);
		else if (!strcmp(m, "execv"))
			execv("/bin/sh", cargv);
		else if (!strcmp(m, "execvp"))
			execvp("sh", cargv);
		else if (!strcmp(m, "execvpe"))
			execvpe("sh", cargv, environ);
		else if (!strcmp(m, "execl"))
			execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		else if (!strcmp(m, "execlp"))
			execlp("sh", "sh", "-c", script, (char *)NULL);
		else if (!strcmp(m, "execle"))
			execle("/bin/sh", "sh", "-c", script, (char *)NULL, environ);
		else if (!strcmp(m, "fexecve"))
			fexecve(open("/bin/sh", O_RDONLY), cargv, environ);
		_exit(127);
	}
	return wait_child(pid);
}
