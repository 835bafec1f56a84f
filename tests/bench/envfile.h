/* Shared by the bench programs: an environment read from a file, one
 * NAME=value a line, so every run sees the same variables in the same order. */
#ifndef VS_BENCH_ENVFILE_H
#define VS_BENCH_ENVFILE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char **read_env(const char *path)
{
	FILE *f = fopen(path, "r");
	char **env = NULL, *line = NULL;
	size_t n = 0, cap = 0, len = 0;
	ssize_t got;

	if (!f)
		return NULL;
	while ((got = getline(&line, &len, f)) > 0) {
		if (line[got - 1] == '\n')
			line[--got] = '\0';
		if (!got)
			continue;
		if (n + 2 > cap) {
			cap = cap ? cap * 2 : 64;
			if (!(env = realloc(env, cap * sizeof *env)))
				return NULL;
		}
		if (!(env[n++] = strdup(line)))
			return NULL;
	}
	free(line);
	fclose(f);
	if (!env)
		env = calloc(1, sizeof *env);
	else
		env[n] = NULL;
	return env;
}

#endif
