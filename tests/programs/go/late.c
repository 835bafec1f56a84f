/* liblate.so, for tests/integration/test_go.sh: a library the probe is
 * linked against (DT_NEEDED). The constructors of a program's own libraries
 * run before those of its LD_PRELOAD libraries, so this one runs before the
 * preload's: it waits (up to 5 s) until the process is no longer the child
 * of the pid in $GOVS_PARENT (set by `govs start`, which exits at once), and
 * says on stderr whether it was re-parented. The preload's constructor then
 * runs in a child whose Go parent is gone. The environment is read from the
 * constructor's envp (no getenv: the preload is not initialized yet). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void late_linked(void)
{
}

__attribute__((constructor)) static void late_wait(int argc, char **argv, char **envp)
{
	static const char gone[] = "late: re-parented before the preload's constructor\n";
	static const char still[] = "late: still the child of govs after 5 s\n";
	long parent = 0;

	(void)argc;
	(void)argv;
	for (char **e = envp; e && *e; e++)
		if (!strncmp(*e, "GOVS_PARENT=", 12))
			parent = strtol(*e + 12, NULL, 10);
	if (parent <= 0)
		return;
	for (int i = 0; i < 500 && getppid() == (pid_t)parent; i++)
		usleep(10000);
	if (getppid() == (pid_t)parent)
		(void)!write(2, still, sizeof still - 1);
	else
		(void)!write(2, gone, sizeof gone - 1);
}
