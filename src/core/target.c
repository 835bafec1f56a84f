/*
 * What a launch will really run (see vs_target.h). Everything here reads;
 * nothing is executed. Sizes read from a file are bounded before use: the
 * file may be anything the user named.
 */
#define _GNU_SOURCE
#include "vs_target.h"
#include "vs_common.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

/* The kernel runs a script whose interpreter is a script up to five levels
 * deep (ELOOP beyond; measured: five nested scripts run, six fail). */
#define MAX_CHAIN 5
/* The kernel reads at most this much of a #! line (BINPRM_BUF_SIZE). */
#define SHEBANG_MAX 256

static bool readable_exec(const char *p, int *why)
{
	struct stat st;

	if (stat(p, &st) != 0) {
		*why = errno;
		return false;
	}
	if (!S_ISREG(st.st_mode) || access(p, X_OK) != 0) {
		*why = EACCES;
		return false;
	}
	return true;
}

int vs_target_lookup(const char *name, const char *path_env, char *out, size_t outsz)
{
	const char *p;
	int seen = ENOENT;

	if (!*name)
		return ENOENT;
	if (strchr(name, '/'))
		return vs_copy_bounded(out, outsz, name, strlen(name)) ? 0 : ENAMETOOLONG;
	p = path_env ? path_env : "/bin:/usr/bin";
	for (;;) {
		size_t n = strcspn(p, ":");
		int why = 0;
		/* an empty element is the current directory, as execvp has it */
		int len = n ? snprintf(out, outsz, "%.*s/%s", (int)n, p, name)
			    : snprintf(out, outsz, "%s", name);
		if (len > 0 && (size_t)len < outsz) {
			if (readable_exec(out, &why))
				return 0;
			if (why == EACCES)
				seen = EACCES;
		}
		if (!p[n])
			break;
		p += n + 1;
	}
	return seen;
}

bool vs_target_is_builtin(const char *name)
{
	/* POSIX's special built-ins and the regular ones with no file of
	 * their own on a usual system */
	static const char *const names[] = {
		":", ".", "break", "continue", "eval", "exec", "exit", "export", "readonly",
		"return", "set", "shift", "times", "trap", "unset", "alias", "bg", "cd",
		"command", "fc", "fg", "getopts", "hash", "jobs", "read", "type", "ulimit",
		"umask", "unalias", "wait", "local", "true", "false", "echo", "printf",
		"test", "[", "pwd", "kill",
	};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

/* ---- ELF -------------------------------------------------------------- */

typedef struct {
	int fd;
	bool is64, swap;
} elf_file;

static uint16_t u16(const elf_file *e, const unsigned char *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof v);
	return e->swap ? __builtin_bswap16(v) : v;
}

static uint32_t u32(const elf_file *e, const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof v);
	return e->swap ? __builtin_bswap32(v) : v;
}

static uint64_t u64(const elf_file *e, const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
	return e->swap ? __builtin_bswap64(v) : v;
}

static bool read_at(int fd, void *buf, size_t n, uint64_t off)
{
	ssize_t got;

	if (off > (uint64_t)INT64_MAX)
		return false;
	got = pread(fd, buf, n, (off_t)off);
	return got >= 0 && (size_t)got == n;
}

/* Go's linker writes a note named "Go" of type 4 (its build ID) into the
 * first page of every ELF it makes, internal or external linking. */
static bool notes_say_go(const elf_file *e, uint64_t off, uint64_t size)
{
	unsigned char buf[4096];
	size_t n = size < sizeof buf ? (size_t)size : sizeof buf, at = 0;

	if (!read_at(e->fd, buf, n, off))
		return false;
	while (at + 12 <= n) {
		uint32_t namesz = u32(e, buf + at), descsz = u32(e, buf + at + 4), type = u32(e, buf + at + 8);
		size_t name = at + 12;
		if (namesz > n || descsz > n)
			return false;
		/* Go writes the name padded: "Go\0\0" */
		if (type == 4 && (namesz == 3 || namesz == 4) && name + 3 <= n && !memcmp(buf + name, "Go", 3))
			return true;
		at = name + ((namesz + 3u) & ~3u) + ((descsz + 3u) & ~3u);
	}
	return false;
}

/* A stripped or odd Go binary may lack the note; .go.buildinfo is what `go
 * version FILE` reads, and every Go binary since 1.13 has it. */
static bool sections_say_go(const elf_file *e, const unsigned char *eh)
{
	uint64_t shoff = e->is64 ? u64(e, eh + 0x28) : u32(e, eh + 0x20);
	uint16_t shentsize = u16(e, eh + (e->is64 ? 0x3a : 0x2e));
	uint16_t shnum = u16(e, eh + (e->is64 ? 0x3c : 0x30));
	uint16_t shstrndx = u16(e, eh + (e->is64 ? 0x3e : 0x32));
	unsigned char sh[64], names[8192];
	uint64_t str_off, str_size;
	size_t nlen;

	if (!shoff || shnum == 0 || shnum > 4096 || shstrndx >= shnum || shentsize < (e->is64 ? 64 : 40) ||
	    shentsize > sizeof sh)
		return false;
	if (!read_at(e->fd, sh, shentsize, shoff + (uint64_t)shstrndx * shentsize))
		return false;
	str_off = e->is64 ? u64(e, sh + 0x18) : u32(e, sh + 0x10);
	str_size = e->is64 ? u64(e, sh + 0x20) : u32(e, sh + 0x14);
	nlen = str_size < sizeof names - 1 ? (size_t)str_size : sizeof names - 1;
	if (!read_at(e->fd, names, nlen, str_off))
		return false;
	names[nlen] = 0;
	for (uint16_t i = 0; i < shnum; i++) {
		uint32_t name;
		if (!read_at(e->fd, sh, shentsize, shoff + (uint64_t)i * shentsize))
			return false;
		name = u32(e, sh);
		if (name < nlen && !strcmp((const char *)names + name, ".go.buildinfo"))
			return true;
	}
	return false;
}

int vs_elf_facts(int fd, bool *is_static, bool *is_go)
{
	unsigned char eh[64], ph[64];
	elf_file e = {.fd = fd};
	uint64_t phoff;
	uint16_t phentsize, phnum;
	bool interp = false, go = false;
	const uint16_t one = 1;
	bool host_le = *(const unsigned char *)&one == 1;

	if (!read_at(fd, eh, 52, 0) || memcmp(eh, ELFMAG, SELFMAG))
		return -1;
	if (eh[EI_CLASS] != ELFCLASS32 && eh[EI_CLASS] != ELFCLASS64)
		return -1;
	if (eh[EI_DATA] != ELFDATA2LSB && eh[EI_DATA] != ELFDATA2MSB)
		return -1;
	e.is64 = eh[EI_CLASS] == ELFCLASS64;
	e.swap = (eh[EI_DATA] == ELFDATA2LSB) != host_le;
	if (e.is64 && !read_at(fd, eh, 64, 0))
		return -1;
	phoff = e.is64 ? u64(&e, eh + 0x20) : u32(&e, eh + 0x1c);
	phentsize = u16(&e, eh + (e.is64 ? 0x36 : 0x2a));
	phnum = u16(&e, eh + (e.is64 ? 0x38 : 0x2c));
	if (phnum > 512 || phentsize < (e.is64 ? 56 : 32) || phentsize > sizeof ph)
		return -1;
	for (uint16_t i = 0; i < phnum; i++) {
		uint32_t type;
		if (!read_at(fd, ph, phentsize, phoff + (uint64_t)i * phentsize))
			return -1;
		type = u32(&e, ph);
		if (type == PT_INTERP)
			interp = true;
		else if (type == PT_NOTE && !go) {
			uint64_t off = e.is64 ? u64(&e, ph + 8) : u32(&e, ph + 4);
			uint64_t size = e.is64 ? u64(&e, ph + 32) : u32(&e, ph + 16);
			go = notes_say_go(&e, off, size);
		}
	}
	*is_static = !interp;
	*is_go = go || sections_say_go(&e, eh);
	return 0;
}

/* ---- the chain --------------------------------------------------------- */

/* Would exec of this file run with AT_SECURE? As the kernel decides it:
 * set-user-ID to someone else, set-group-ID to another group (both ignored
 * on a nosuid mount), or file capabilities gained by a non-root user. */
static const char *secure_reason(int fd)
{
	struct stat st;
	struct statvfs vfs;
	bool nosuid;

	if (fstat(fd, &st) != 0)
		return NULL;
	/* no_new_privs (NoNewPrivileges=, many containers): exec grants nothing */
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1)
		return NULL;
	nosuid = fstatvfs(fd, &vfs) == 0 && (vfs.f_flag & ST_NOSUID);
	if (!nosuid && (st.st_mode & S_ISUID) && st.st_uid != geteuid())
		return "setuid";
	if (!nosuid && (st.st_mode & S_ISGID) && (st.st_mode & S_IXGRP) && st.st_gid != getegid())
		return "setgid";
	if (!nosuid && geteuid() != 0 && fgetxattr(fd, "security.capability", NULL, 0) > 0)
		return "file capabilities";
	return NULL;
}

/* When exec of the file open at fd would be secure, and no file of the
 * chain was found so before, names it: the first one is the one to fix. */
static void note_secure(vs_target *t, int fd, const char *file)
{
	const char *why = secure_reason(fd);

	if (why && !t->secure) {
		t->secure = why;
		snprintf(t->secure_file, sizeof t->secure_file, "%s", file);
	}
}

/* "#!interp arg" as the kernel splits it: one interpreter, at most one
 * argument (the rest of the line, trimmed). */
static bool parse_shebang(const char *buf, size_t n, char *interp, size_t isz, char *arg, size_t asz)
{
	const char *p = buf + 2, *end = memchr(buf, '\n', n);
	size_t len;

	if (!end)
		end = buf + n;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	len = strcspn(p, " \t\n");
	if (p + len > end)
		len = (size_t)(end - p);
	if (!len || !vs_copy_bounded(interp, isz, p, len))
		return false;
	p += len;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	len = (size_t)(end - p);
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r'))
		len--;
	if (len >= asz)
		len = asz - 1;
	memcpy(arg, p, len);
	arg[len] = 0;
	return true;
}

/* `#!/usr/bin/env [-S] NAME …`: the program env goes on to run, or "" when
 * env's own options make that unclear. */
static void env_program(const char *arg, char *out, size_t outsz)
{
	const char *p = arg;
	size_t n;

	out[0] = 0;
	if (!strncmp(p, "-S", 2)) {
		p += 2;
		p += strspn(p, " \t");
	}
	if (*p == '-') /* env's other options: leave it to env */
		return;
	/* NAME=VALUE assignments come before the program */
	for (;;) {
		n = strcspn(p, " \t");
		if (!n)
			return;
		if (!memchr(p, '=', n))
			break;
		p += n;
		p += strspn(p, " \t");
	}
	vs_copy_bounded(out, outsz, p, n);
}

int vs_target_inspect(const char *path, const char *path_env, vs_target *t)
{
	char file[PATH_MAX];

	/* path may be t->path itself (the lookup's output) */
	if (!vs_copy_bounded(file, sizeof file, path, strlen(path)))
		return ENAMETOOLONG;
	memset(t, 0, sizeof *t);
	strcpy(t->path, file);
	for (int depth = 0; depth <= MAX_CHAIN; depth++) {
		char head[SHEBANG_MAX + 1], interp[PATH_MAX], arg[SHEBANG_MAX];
		ssize_t n;
		int fd = open(file, O_RDONLY | O_CLOEXEC);

		if (fd < 0 && depth == 0 && errno == EACCES && access(file, X_OK) == 0) {
			/* execute-only (sudo is 4111 on some systems): it runs, but
			 * cannot be read; its mode alone tells whether it is secure */
			fd = open(file, O_PATH | O_CLOEXEC);
			if (fd >= 0) {
				note_secure(t, fd, file);
				close(fd);
			}
			t->unreadable = true;
			return 0;
		}
		if (fd < 0) {
			if (depth == 0)
				return errno;
			return 0;
		}
		n = pread(fd, head, SHEBANG_MAX, 0);
		if (n < 0) {
			int e = errno;
			close(fd);
			return depth == 0 ? e : 0;
		}
		head[n] = 0; /* parse_shebang's strcspn stops here at worst */
		if (n >= 4 && !memcmp(head, ELFMAG, SELFMAG)) {
			bool st = false, go = false;
			/* the set-ID bits of the program the kernel loads count; a
			 * script's own are ignored by Linux */
			note_secure(t, fd, file);
			if (vs_elf_facts(fd, &st, &go) == 0) {
				t->is_static = st;
				t->is_go = go;
				strcpy(t->elf, file);
			}
			close(fd);
			return 0;
		}
		close(fd);
		if (n < 2 || head[0] != '#' || head[1] != '!') {
			t->no_magic = depth == 0;
			return 0;
		}
		if (depth == 0)
			t->script = true;
		if (!parse_shebang(head, (size_t)n, interp, sizeof interp, arg, sizeof arg))
			return 0;
		{
			const char *base = strrchr(interp, '/') ? strrchr(interp, '/') + 1 : interp;
			char prog[PATH_MAX];
			if (!strcmp(base, "env") && (env_program(arg, prog, sizeof prog), *prog)) {
				/* env itself may be what makes it secure; its program
				 * decides the rest */
				int efd = open(interp, O_RDONLY | O_CLOEXEC);
				if (efd < 0) /* the kernel fails the exec: nothing runs */
					return 0;
				note_secure(t, efd, interp);
				close(efd);
				if (vs_target_lookup(prog, path_env, file, sizeof file) != 0)
					return 0;
				continue;
			}
		}
		strcpy(file, interp);
	}
	return 0;
}
