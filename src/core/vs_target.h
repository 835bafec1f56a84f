/*
 * What a launch will really run, found without running it: the PATH lookup
 * execvp makes, the `#!` chain the kernel follows (and `/usr/bin/env NAME`
 * after it), and what the ELF at its end is — statically linked (the loader,
 * and so LD_PRELOAD, never runs), a Go program (it reads the environment
 * block on its stack, not libc's environ), or a secure-execution program
 * (setuid, setgid, file capabilities: the loader ignores LD_PRELOAD and
 * libc's secure_getenv hides everything).
 *
 * libc only (the launcher runs it on every launch); reads files with
 * open/pread, never executes anything.
 */
#ifndef VS_TARGET_H
#define VS_TARGET_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct vs_target {
	char path[PATH_MAX]; /* the file execve is given (after the PATH lookup) */
	char elf[PATH_MAX];  /* the ELF that ends up running: path, or the
	                        interpreter of its #! chain; "" when none */
	bool script;         /* path starts with #! */
	bool no_magic;       /* neither ELF nor #!: execvp runs it with /bin/sh */
	bool unreadable;     /* execute-only: run, but not inspected */
	bool is_static;      /* elf has no PT_INTERP: LD_PRELOAD cannot reach it */
	bool is_go;          /* elf was built by Go (build-id note or .go.buildinfo) */
	const char *secure;  /* why exec will be secure ("setuid", "setgid",
	                        "file capabilities"), or NULL */
	char secure_file[PATH_MAX]; /* the file that makes it so (path or an
	                               interpreter of the chain) */
} vs_target;

/*
 * Finds NAME as execvp would: a name with a '/' is taken as is; otherwise
 * each element of `path_env` (NULL: "/bin:/usr/bin", as glibc; an empty
 * element is the current directory) is tried in order, and the first
 * executable regular file wins. Writes it into out (size outsz) and returns
 * 0; ENOENT when nothing matched, EACCES when a match was not executable.
 */
int vs_target_lookup(const char *name, const char *path_env, char *out, size_t outsz);

/*
 * Inspects `path` (as found by vs_target_lookup) and the chain it starts;
 * `path_env` is used for `#!/usr/bin/env NAME`. Returns 0, or an errno
 * value when path itself cannot be opened or read (ENOENT, EACCES...);
 * problems deeper in the chain leave the fields false (the launch then goes
 * ahead as the kernel decides).
 */
int vs_target_inspect(const char *path, const char *path_env, vs_target *t);

/*
 * ELF facts of one open file: *is_static (no PT_INTERP) and *is_go. Returns
 * 0, or -1 when fd is not an ELF file this build can read.
 */
int vs_elf_facts(int fd, bool *is_static, bool *is_go);

/* True when NAME is a shell builtin with no executable of its own to find
 * (`cd`, `export`, `:`…): the launcher runs it through `sh -c`. */
bool vs_target_is_builtin(const char *name);

#endif
