/*
 * env_probe [LABEL]: prints one line telling what a measured program would
 * have been started with, read without calling getenv (the preload may be
 * loaded here and must not be woken by the probe itself):
 *
 *   probe LABEL preload=0|1 ld_preload=0|1 handoff=0|1 memfd=0|1 config=0|1
 *
 * preload     libvaultshim is mapped in this process (/proc/self/maps)
 * ld_preload  LD_PRELOAD is in environ
 * handoff     VAULTSHIM_HANDOFF is in environ: a process of a tree
 * memfd       a descriptor of the hand-off (/memfd:vaultshim) is open here
 * config      VAULTSHIM_CONFIG is in environ
 *
 * The harness runs it in place of a measured /bin/true to check that a
 * "first process of its tree" has no hand-off, that a "process of a tree"
 * has one, and that a run "without the preload" really has none.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static int in_environ(const char *prefix_with_eq)
{
	for (char **e = environ; e && *e; e++)
		if (!strncmp(*e, prefix_with_eq, strlen(prefix_with_eq)))
			return 1;
	return 0;
}

static int preload_mapped(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];
	int found = 0;

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof line, f))
		found = strstr(line, "libvaultshim") != NULL;
	fclose(f);
	return found;
}

static int handoff_fd_open(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	char path[300], target[256];
	int found = 0;

	if (!d)
		return -1;
	while (!found && (de = readdir(d))) {
		ssize_t n;
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/proc/self/fd/%s", de->d_name);
		n = readlink(path, target, sizeof target - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		found = strstr(target, "memfd:vaultshim") != NULL;
	}
	closedir(d);
	return found;
}

int main(int argc, char **argv)
{
	printf("probe %s preload=%d ld_preload=%d handoff=%d memfd=%d config=%d\n", argc > 1 ? argv[1] : "-",
	       preload_mapped(), in_environ("LD_PRELOAD="), in_environ("VAULTSHIM_HANDOFF="),
	       handoff_fd_open(), in_environ("VAULTSHIM_CONFIG="));
	return 0;
}
