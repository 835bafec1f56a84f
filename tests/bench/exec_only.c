/*
 * exec_only PROG [ARG...]: execve's PROG with this process's environment
 * and does nothing else. Built static (no loader, no shared libc to map), it
 * is the least any launcher that execs its program can add to that program's
 * start: the floor of figure 9's launchers. Run with LD_PRELOAD in its
 * environment, it passes it on (a static program ignores it).
 */
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	execve(argv[1], argv + 1, environ);
	return 127;
}
