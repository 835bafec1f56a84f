/*
 * What a launch will really run (src/core/target.c): the PATH lookup execvp
 * makes, the #! chain the kernel follows, and what the ELF at its end is
 * (static, Go, secure-execution). The ELF files are written byte by byte
 * here, so no Go toolchain or static binary has to be installed; the kernel
 * facts the expectations rest on (5 nested scripts run and a 6th is ELOOP,
 * set-user-ID is ignored on scripts) were checked by running the same files.
 */
#define _GNU_SOURCE
#include "suites.h"
#include "testlib.h"
#include "core/vs_target.h"

#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#define NOBODY 65534

/* ---- scratch files ---- */

static char tmpdir[64];

static void files_setup(void)
{
	tl_tmpdir_make(tmpdir, sizeof tmpdir, "vs-target-test");
	/* the cases that drop to nobody must reach the files below */
	if (chmod(tmpdir, 0755) != 0)
		abort();
}

static void files_teardown(void)
{
	tl_tmpdir_remove(tmpdir);
}

/* dir/name into out (PATH_MAX) */
static void scratch(char *out, const char *name)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", tmpdir, name);

	ck_assert(n > 0 && n < PATH_MAX);
}

/* Writes dir/name with exactly these bytes and mode; its path into out. */
static void put_file(char *out, const char *name, const void *data, size_t len, mode_t mode)
{
	scratch(out, name);
	tl_write_file(out, data, len, mode);
}

static void put_script(char *out, const char *name, const char *text)
{
	put_file(out, name, text, strlen(text), 0755);
}

static void inspect_ok(const char *path, const char *path_env, vs_target *t)
{
	int rc = vs_target_inspect(path, path_env, t);

	ck_assert_msg(rc == 0, "inspect %s: %s", path, strerror(rc));
	ck_assert_str_eq(t->path, path);
}

/* ---- ELF images, written by hand ---- */

#define DATA_AT 0x200 /* after the header and up to 8 program headers */

typedef struct {
	unsigned char b[4096];
	size_t len, cur; /* bytes in use; where the next data goes */
	bool is64, be;
	unsigned phnum;
} elf_img;

static void put(elf_img *e, size_t off, uint64_t v, int size)
{
	ck_assert(off + (size_t)size <= sizeof e->b);
	for (int i = 0; i < size; i++)
		e->b[off + (size_t)i] = (unsigned char)(v >> (e->be ? (size - 1 - i) * 8 : i * 8));
	if (off + (size_t)size > e->len)
		e->len = off + (size_t)size;
}

static void elf_init(elf_img *e, bool is64, bool be)
{
	memset(e, 0, sizeof *e);
	e->is64 = is64;
	e->be = be;
	memcpy(e->b, ELFMAG, SELFMAG);
	e->b[EI_CLASS] = is64 ? ELFCLASS64 : ELFCLASS32;
	e->b[EI_DATA] = be ? ELFDATA2MSB : ELFDATA2LSB;
	e->b[EI_VERSION] = EV_CURRENT;
	put(e, 0x10, ET_EXEC, 2);
	put(e, 0x12, is64 ? (be ? EM_PPC64 : EM_X86_64) : (be ? EM_PPC : EM_386), 2);
	put(e, 0x14, EV_CURRENT, 4);
	if (is64) {
		put(e, 0x20, 64, 8);   /* e_phoff */
		put(e, 0x34, 64, 2);   /* e_ehsize */
		put(e, 0x36, 56, 2);   /* e_phentsize */
	} else {
		put(e, 0x1c, 52, 4);
		put(e, 0x28, 52, 2);
		put(e, 0x2a, 32, 2);
	}
	e->len = e->cur = DATA_AT;
}

/* Appends bytes at the data cursor (8-aligned); returns their offset. */
static size_t elf_data(elf_img *e, const void *data, size_t n)
{
	size_t at = (e->cur + 7) & ~(size_t)7;

	ck_assert(at + n <= sizeof e->b);
	memcpy(e->b + at, data, n);
	e->cur = at + n;
	if (e->cur > e->len)
		e->len = e->cur;
	return at;
}

static void elf_phdr(elf_img *e, uint32_t type, uint64_t off, uint64_t size)
{
	size_t base = e->is64 ? 64 + e->phnum * 56u : 52 + e->phnum * 32u;

	ck_assert(base + 56 <= DATA_AT);
	if (e->is64) {
		put(e, base, type, 4);
		put(e, base + 4, PF_R, 4);
		put(e, base + 8, off, 8);   /* p_offset */
		put(e, base + 32, size, 8); /* p_filesz */
		put(e, base + 40, size, 8); /* p_memsz */
	} else {
		put(e, base, type, 4);
		put(e, base + 4, off, 4);
		put(e, base + 16, size, 4);
		put(e, base + 20, size, 4);
		put(e, base + 24, PF_R, 4);
	}
	e->phnum++;
	put(e, e->is64 ? 0x38 : 0x2c, e->phnum, 2);
}

static void elf_interp(elf_img *e)
{
	static const char ld[] = "/lib64/ld-linux-x86-64.so.2";
	size_t at = elf_data(e, ld, sizeof ld);

	elf_phdr(e, PT_INTERP, at, sizeof ld);
}

/* Appends one note (name padded to 4, desc of descsz bytes 0xab padded to 4)
 * at the cursor, 4-aligned; returns its offset, its size into *size. */
static size_t elf_note(elf_img *e, const char *name, uint32_t namesz, uint32_t type, uint32_t descsz,
		       size_t *size)
{
	size_t at = (e->cur + 3) & ~(size_t)3, p;

	put(e, at, namesz, 4);
	put(e, at + 4, descsz, 4);
	put(e, at + 8, type, 4);
	p = at + 12;
	ck_assert(p + namesz + descsz + 8 <= sizeof e->b);
	memset(e->b + p, 0, (namesz + 3u) & ~3u);
	memcpy(e->b + p, name, strlen(name) < namesz ? strlen(name) : namesz);
	p += (namesz + 3u) & ~3u;
	memset(e->b + p, 0, (descsz + 3u) & ~3u);
	memset(e->b + p, 0xab, descsz);
	p += (descsz + 3u) & ~3u;
	e->cur = p;
	if (p > e->len)
		e->len = p;
	*size = p - at;
	return at;
}

/* A PT_NOTE segment holding one note. */
static void elf_note_segment(elf_img *e, const char *name, uint32_t namesz, uint32_t type)
{
	size_t size, at = elf_note(e, name, namesz, type, 20, &size);

	elf_phdr(e, PT_NOTE, at, size);
}

/* Section headers: the null one, .shstrtab, then one named `name`. */
static void elf_sections(elf_img *e, const char *name)
{
	char strtab[64] = "\0.shstrtab"; /* name 1 */
	size_t name_at = 11, tlen = name_at + strlen(name) + 1, str_off, sh, ent = e->is64 ? 64 : 40;

	ck_assert(tlen <= sizeof strtab);
	memcpy(strtab + name_at, name, strlen(name) + 1);
	str_off = elf_data(e, strtab, tlen);
	sh = (e->cur + 7) & ~(size_t)7;
	ck_assert(sh + 3 * ent <= sizeof e->b);
	memset(e->b + sh, 0, 3 * ent);
	for (size_t i = 1; i < 3; i++) {
		size_t h = sh + i * ent;
		put(e, h, i == 1 ? 1 : name_at, 4); /* sh_name */
		put(e, h + 4, i == 1 ? SHT_STRTAB : SHT_PROGBITS, 4);
		if (e->is64) {
			put(e, h + 0x18, i == 1 ? str_off : 0, 8); /* sh_offset */
			put(e, h + 0x20, i == 1 ? tlen : 0, 8);    /* sh_size */
		} else {
			put(e, h + 0x10, i == 1 ? str_off : 0, 4);
			put(e, h + 0x14, i == 1 ? tlen : 0, 4);
		}
	}
	e->cur = sh + 3 * ent;
	if (e->cur > e->len)
		e->len = e->cur;
	if (e->is64) {
		put(e, 0x28, sh, 8); /* e_shoff */
		put(e, 0x3a, 64, 2); /* e_shentsize */
		put(e, 0x3c, 3, 2);  /* e_shnum */
		put(e, 0x3e, 1, 2);  /* e_shstrndx */
	} else {
		put(e, 0x20, sh, 4);
		put(e, 0x2e, 40, 2);
		put(e, 0x30, 3, 2);
		put(e, 0x32, 1, 2);
	}
}

/* An ELF with one PT_LOAD and nothing else: what a static C program is. */
static void elf_plain(elf_img *e, bool is64, bool be)
{
	elf_init(e, is64, be);
	elf_phdr(e, PT_LOAD, 0, DATA_AT);
}

static void elf_write(elf_img *e, char *out, const char *name, mode_t mode)
{
	put_file(out, name, e->b, e->len, mode);
}

/* Inspects a written image: it must be taken as an ELF (elf == path). */
static void inspect_elf(elf_img *e, const char *name, bool *is_static, bool *is_go)
{
	char path[PATH_MAX];
	vs_target t;
	bool st, go;
	int fd;

	elf_write(e, path, name, 0755);
	inspect_ok(path, "/usr/bin", &t);
	ck_assert_str_eq(t.elf, path);
	ck_assert(!t.script && !t.no_magic);
	ck_assert_ptr_null(t.secure);
	/* the same facts straight from an open file (both written: they
	 * start as the opposite) */
	st = !t.is_static;
	go = !t.is_go;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(vs_elf_facts(fd, &st, &go), 0);
	close(fd);
	ck_assert(st == t.is_static && go == t.is_go);
	*is_static = t.is_static;
	*is_go = t.is_go;
}

/* ---- running a piece as another user ---- */

/* Runs fn(arg) in a child (as nobody when drop) and returns what fn
 * returned, or -1 when the child failed. The answer comes through a pipe,
 * not the exit status, which valgrind --error-exitcode may replace. */
static int in_child_as(int (*fn)(const char *), const char *arg, bool drop)
{
	int fds[2], status, res = -1;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		if (drop && (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
			     setresuid(NOBODY, NOBODY, NOBODY)))
			res = 200;
		else
			res = fn(arg);
		_exit(write(fds[1], &res, sizeof res) == sizeof res ? 0 : 1);
	}
	close(fds[1]);
	if (pid < 0 || read(fds[0], &res, sizeof res) != sizeof res)
		res = -1;
	close(fds[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	return res;
}

/* fn(arg) as nobody: the runner keeps its uid (CK_FORK=no included) */
static int as_nobody(int (*fn)(const char *), const char *arg)
{
	int rc = in_child_as(fn, arg, true);

	ck_assert_msg(rc != -1, "the child died");
	ck_assert_msg(rc != 200, "could not drop to uid %d", NOBODY);
	return rc;
}

/* inspect's return value */
static int inspect_rc(const char *path)
{
	vs_target t;

	return vs_target_inspect(path, "/usr/bin", &t);
}

/* 0 not secure, 1 setuid, 2 setgid, 3 file capabilities, 4 other, 5 failed */
static int secure_code(const char *path)
{
	vs_target t;

	if (vs_target_inspect(path, "/usr/bin", &t) != 0)
		return 5;
	if (!t.secure)
		return 0;
	if (!strcmp(t.secure, "setuid"))
		return 1;
	if (!strcmp(t.secure, "setgid"))
		return 2;
	if (!strcmp(t.secure, "file capabilities"))
		return 3;
	return 4;
}

/* ---- lookup ---- */

START_TEST(lookup_finds_a_program_on_path)
{
	char out[PATH_MAX];

	ck_assert_int_eq(vs_target_lookup("true", "/usr/bin", out, sizeof out), 0);
	ck_assert_str_eq(out, "/usr/bin/true");
	/* the first directory that has it wins */
	ck_assert_int_eq(vs_target_lookup("true", "/nonexistent-vs:/usr/bin:/bin", out, sizeof out), 0);
	ck_assert_str_eq(out, "/usr/bin/true");
}
END_TEST

START_TEST(lookup_missing_is_enoent)
{
	char out[PATH_MAX];

	ck_assert_int_eq(vs_target_lookup("vs-no-such-command-3141", "/usr/bin:/bin", out, sizeof out), ENOENT);
	ck_assert_int_eq(vs_target_lookup("", "/usr/bin:/bin", out, sizeof out), ENOENT);
}
END_TEST

START_TEST(lookup_non_executable_is_eacces)
{
	char out[PATH_MAX], file[PATH_MAX], path_env[PATH_MAX + 16];

	/* mode 0644: no x bit at all, so access(X_OK) fails even for root */
	put_file(file, "vs-target-cmd", "echo hi\n", 8, 0644);
	ck_assert_int_eq(vs_target_lookup("vs-target-cmd", tmpdir, out, sizeof out), EACCES);
	/* an executable match further on still wins, as with execvp */
	put_file(file, "true", "echo hi\n", 8, 0644);
	snprintf(path_env, sizeof path_env, "%s:/usr/bin", tmpdir);
	ck_assert_int_eq(vs_target_lookup("true", path_env, out, sizeof out), 0);
	ck_assert_str_eq(out, "/usr/bin/true");
}
END_TEST

START_TEST(lookup_skips_a_directory)
{
	char out[PATH_MAX], sub[PATH_MAX], cmd[PATH_MAX + 8], path_env[2 * PATH_MAX];

	scratch(sub, "dirbin");
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	snprintf(cmd, sizeof cmd, "%s/true", sub);
	ck_assert_int_eq(mkdir(cmd, 0755), 0); /* a directory named true, searchable */
	snprintf(path_env, sizeof path_env, "%s:/usr/bin", sub);
	ck_assert_int_eq(vs_target_lookup("true", path_env, out, sizeof out), 0);
	ck_assert_str_eq(out, "/usr/bin/true");
	/* nothing else: not found (execve gives EACCES for a directory, and
	 * so does execvp) */
	ck_assert_int_ne(vs_target_lookup("true", sub, out, sizeof out), 0);
}
END_TEST

/* out names dir/vs-target-here, relative to the current directory */
static void assert_here(const char *out, const char *file)
{
	struct stat a, b;

	ck_assert_msg(out[0] != '/', "%s is not the current directory's", out);
	ck_assert_int_eq(stat(out, &a), 0);
	ck_assert_int_eq(stat(file, &b), 0);
	ck_assert(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
}

START_TEST(lookup_empty_element_is_the_current_directory)
{
	char out[PATH_MAX], file[PATH_MAX];
	int back = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* CK_FORK=no */

	ck_assert_int_ge(back, 0);
	put_file(file, "vs-target-here", "echo hi\n", 8, 0755);
	ck_assert_int_eq(chdir(tmpdir), 0);
	ck_assert_int_eq(vs_target_lookup("vs-target-here", "", out, sizeof out), 0);
	assert_here(out, file);
	ck_assert_int_eq(vs_target_lookup("vs-target-here", "/nonexistent-vs:", out, sizeof out), 0);
	assert_here(out, file);
	ck_assert_int_eq(vs_target_lookup("vs-target-here", ":/nonexistent-vs", out, sizeof out), 0);
	assert_here(out, file);
	ck_assert_int_eq(vs_target_lookup("vs-target-here", "/nonexistent-vs::/usr/bin", out, sizeof out), 0);
	assert_here(out, file);
	/* no empty element: the current directory is not searched */
	ck_assert_int_eq(vs_target_lookup("vs-target-here", "/usr/bin", out, sizeof out), ENOENT);
	/* nor by the default path */
	ck_assert_int_eq(vs_target_lookup("vs-target-here", NULL, out, sizeof out), ENOENT);
	ck_assert_int_eq(fchdir(back), 0);
	close(back);
}
END_TEST

START_TEST(lookup_null_path_is_bin_then_usr_bin)
{
	char out[PATH_MAX];

	ck_assert_int_eq(vs_target_lookup("sh", NULL, out, sizeof out), 0);
	ck_assert_str_eq(out, "/bin/sh");
	ck_assert_int_eq(vs_target_lookup("vs-no-such-command-3141", NULL, out, sizeof out), ENOENT);
}
END_TEST

START_TEST(lookup_name_with_slash_is_taken_as_is)
{
	char out[PATH_MAX];

	ck_assert_int_eq(vs_target_lookup("/usr/bin/true", "/nonexistent-vs", out, sizeof out), 0);
	ck_assert_str_eq(out, "/usr/bin/true");
	/* not searched and not checked: execve decides */
	ck_assert_int_eq(vs_target_lookup("./no/such/vs-prog", "/usr/bin", out, sizeof out), 0);
	ck_assert_str_eq(out, "./no/such/vs-prog");
	ck_assert_int_eq(vs_target_lookup("bin/true", "/usr", out, sizeof out), 0);
	ck_assert_str_eq(out, "bin/true");
	/* a name that does not fit is refused, not cut */
	ck_assert_int_eq(vs_target_lookup("/usr/bin/true", NULL, out, 8), ENAMETOOLONG);
}
END_TEST

/* ---- ELF ---- */

START_TEST(elf64_without_interp_is_static)
{
	elf_img e;
	bool st = false, go = true;

	elf_plain(&e, true, false);
	inspect_elf(&e, "static64", &st, &go);
	ck_assert(st);
	ck_assert(!go);
}
END_TEST

START_TEST(elf64_with_interp_is_dynamic)
{
	elf_img e;
	bool st = true, go = true;

	elf_plain(&e, true, false);
	elf_interp(&e);
	inspect_elf(&e, "dynamic64", &st, &go);
	ck_assert(!st);
	ck_assert(!go);
}
END_TEST

START_TEST(go_build_id_note_is_go)
{
	elf_img e;
	bool st = false, go = false;

	/* what Go's linker writes: name "Go\0\0" (namesz 4), type 4 */
	elf_plain(&e, true, false);
	elf_note_segment(&e, "Go", 4, 4);
	inspect_elf(&e, "go-note4", &st, &go);
	ck_assert(go);
	ck_assert(st);
	/* the same name counted with one NUL */
	elf_plain(&e, true, false);
	elf_note_segment(&e, "Go", 3, 4);
	inspect_elf(&e, "go-note3", &st, &go);
	ck_assert(go);
	/* a dynamically linked Go program (cgo): Go and not static */
	elf_plain(&e, true, false);
	elf_interp(&e);
	elf_note_segment(&e, "Go", 4, 4);
	inspect_elf(&e, "go-cgo", &st, &go);
	ck_assert(go);
	ck_assert(!st);
}
END_TEST

START_TEST(other_notes_are_not_go)
{
	elf_img e;
	bool st = true, go = true;

	elf_plain(&e, true, false);
	elf_note_segment(&e, "GNU", 4, 4); /* same type, another owner */
	inspect_elf(&e, "gnu-note4", &st, &go);
	ck_assert(!go);
	elf_plain(&e, true, false);
	elf_note_segment(&e, "Gopher", 7, 4); /* starts like Go */
	inspect_elf(&e, "gopher-note", &st, &go);
	ck_assert(!go);
	elf_plain(&e, true, false);
	elf_note_segment(&e, "Go", 4, 3); /* Go's, but not the build ID */
	inspect_elf(&e, "go-note-type3", &st, &go);
	ck_assert(!go);
}
END_TEST

START_TEST(go_note_after_other_notes)
{
	elf_img e;
	size_t start, size, total = 0;
	bool st = false, go = false;

	/* one segment: GNU build ID, a note with an odd name and desc size
	 * (padding), then Go's */
	elf_plain(&e, true, false);
	start = elf_note(&e, "GNU", 4, NT_GNU_BUILD_ID, 20, &size);
	total += size;
	elf_note(&e, "vs", 3, 7, 6, &size);
	total += size;
	elf_note(&e, "Go", 4, 4, 20, &size);
	total += size;
	elf_phdr(&e, PT_NOTE, start, total);
	inspect_elf(&e, "go-third-note", &st, &go);
	ck_assert(go);
	/* the Go note in a second PT_NOTE segment */
	elf_plain(&e, true, false);
	elf_note_segment(&e, "GNU", 4, NT_GNU_BUILD_ID);
	elf_note_segment(&e, "Go", 4, 4);
	inspect_elf(&e, "go-second-segment", &st, &go);
	ck_assert(go);
}
END_TEST

START_TEST(go_buildinfo_section_is_go)
{
	elf_img e;
	bool st = false, go = false;

	elf_plain(&e, true, false);
	elf_sections(&e, ".go.buildinfo");
	inspect_elf(&e, "go-buildinfo", &st, &go);
	ck_assert(go);
	elf_plain(&e, true, false);
	elf_sections(&e, ".go.buildinfox");
	inspect_elf(&e, "go-buildinfo-near", &st, &go);
	ck_assert(!go);
	elf_plain(&e, true, false);
	elf_sections(&e, ".text");
	inspect_elf(&e, "text-section", &st, &go);
	ck_assert(!go);
}
END_TEST

START_TEST(elf32)
{
	elf_img e;
	bool st = false, go = true;

	elf_plain(&e, false, false);
	inspect_elf(&e, "static32", &st, &go);
	ck_assert(st);
	ck_assert(!go);
	elf_plain(&e, false, false);
	elf_interp(&e);
	inspect_elf(&e, "dynamic32", &st, &go);
	ck_assert(!st);
	elf_plain(&e, false, false);
	elf_note_segment(&e, "Go", 4, 4);
	inspect_elf(&e, "go32", &st, &go);
	ck_assert(go);
	elf_plain(&e, false, false);
	elf_sections(&e, ".go.buildinfo");
	inspect_elf(&e, "go32-buildinfo", &st, &go);
	ck_assert(go);
}
END_TEST

START_TEST(big_endian)
{
	elf_img e;
	bool st = true, go = true;

	elf_plain(&e, true, true);
	elf_interp(&e);
	inspect_elf(&e, "dynamic64be", &st, &go);
	ck_assert(!st);
	ck_assert(!go);
	elf_plain(&e, true, true);
	inspect_elf(&e, "static64be", &st, &go);
	ck_assert(st);
	elf_plain(&e, true, true);
	elf_note_segment(&e, "Go", 4, 4);
	inspect_elf(&e, "go64be", &st, &go);
	ck_assert(go);
	elf_plain(&e, true, true);
	elf_sections(&e, ".go.buildinfo");
	inspect_elf(&e, "go64be-buildinfo", &st, &go);
	ck_assert(go);
	elf_plain(&e, false, true);
	elf_interp(&e);
	inspect_elf(&e, "dynamic32be", &st, &go);
	ck_assert(!st);
}
END_TEST

/* Damaged images: each must come back without a crash, not Go, and either
 * refused (elf "") or with facts read from the file as it is. */
static void garbage(elf_img *e, int i)
{
	size_t size, at;

	elf_plain(e, true, false);
	switch (i) {
	case 0: /* the header cut short */
		e->len = 40;
		break;
	case 1: /* program headers of a size no ELF has */
		put(e, 0x36, 10, 2);
		break;
	case 2: /* too many program headers (PN_XNUM) */
		put(e, 0x38, 0xffff, 2);
		break;
	case 3: /* program headers past the end of the file */
		put(e, 0x20, 1 << 20, 8);
		break;
	case 4: /* an offset that wraps around */
		put(e, 0x20, UINT64_MAX - 8, 8);
		put(e, 0x38, 3, 2);
		break;
	case 5: /* a note segment past the end of the file */
		elf_phdr(e, PT_NOTE, 1 << 20, 64);
		break;
	case 6: /* a note segment of absurd size */
		elf_note_segment(e, "Go", 4, 4);
		put(e, 64 + 56 + 32, UINT64_MAX, 8);
		put(e, 0x38, 2, 2);
		e->len -= 4; /* and the Go note cut */
		break;
	case 7: /* a note whose name size is absurd */
		at = elf_note(e, "Go", 4, 4, 20, &size);
		put(e, at, 0xffffffff, 4);
		elf_phdr(e, PT_NOTE, at, size);
		break;
	case 8: /* a note whose desc size runs past the segment, then Go's */
		at = elf_note(e, "GNU", 4, 3, 20, &size);
		put(e, at + 4, 0xfff0, 4);
		elf_note(e, "Go", 4, 4, 20, &size);
		elf_phdr(e, PT_NOTE, at, 32);
		break;
	case 9: /* the Go note cut mid-name by its segment */
		at = elf_note(e, "Go", 4, 4, 20, &size);
		elf_phdr(e, PT_NOTE, at, 13);
		break;
	case 10: /* a string table index out of range */
		elf_sections(e, ".go.buildinfo");
		put(e, 0x3e, 7, 2);
		break;
	case 11: /* section headers and names past the end of the file */
		elf_sections(e, ".go.buildinfo");
		put(e, 0x28, 1u << 30, 8);
		break;
	case 12: /* the name offset of .go.buildinfo outside the string table */
		elf_sections(e, ".go.buildinfo");
		put(e, e->cur - 64, 5000, 4);
		break;
	case 13: /* an ELF class that does not exist */
		e->b[EI_CLASS] = 7;
		break;
	case 14: /* a byte order that does not exist */
		e->b[EI_DATA] = 9;
		break;
	case 15: /* only the magic */
		e->len = 4;
		break;
	}
}

START_TEST(damaged_elf_is_safe)
{
	elf_img e;
	char path[PATH_MAX], name[32];
	vs_target t;
	bool st = false, go = false;
	int fd, rc;

	garbage(&e, _i);
	snprintf(name, sizeof name, "garbage%d", _i);
	elf_write(&e, path, name, 0755);
	inspect_ok(path, "/usr/bin", &t);
	ck_assert_msg(!t.is_go, "damaged image %d taken for Go", _i);
	ck_assert(!t.script && !t.no_magic);
	ck_assert_msg(t.elf[0] == 0 || !strcmp(t.elf, path), "elf is %s", t.elf);
	if (!t.elf[0])
		ck_assert(!t.is_static); /* refused: no facts */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	rc = vs_elf_facts(fd, &st, &go);
	close(fd);
	ck_assert(rc == 0 || rc == -1);
	ck_assert(rc == -1 || !go);
	ck_assert((rc == 0) == (t.elf[0] != 0));
	if (_i == 0 || _i >= 13) /* not an ELF this can read at all */
		ck_assert_int_eq(rc, -1);
}
END_TEST

START_TEST(real_true_is_dynamic_not_go)
{
	vs_target t;
	bool st = true, go = true;
	int fd = open("/usr/bin/true", O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(vs_elf_facts(fd, &st, &go), 0);
	close(fd);
	ck_assert(!st && !go);
	inspect_ok("/usr/bin/true", "/usr/bin", &t);
	ck_assert_str_eq(t.elf, "/usr/bin/true");
	ck_assert(!t.script && !t.no_magic && !t.is_static && !t.is_go);
	ck_assert_ptr_null(t.secure);
}
END_TEST

START_TEST(not_an_elf_for_facts)
{
	char path[PATH_MAX];
	bool st = false, go = false;
	int fd;

	put_script(path, "facts-script", "#!/bin/sh\n");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(vs_elf_facts(fd, &st, &go), -1);
	close(fd);
}
END_TEST

START_TEST(inspect_into_the_lookups_own_buffer)
{
	vs_target t;

	/* what the launcher does: the lookup writes t.path, inspect reads it */
	ck_assert_int_eq(vs_target_lookup("true", "/usr/bin", t.path, sizeof t.path), 0);
	ck_assert_int_eq(vs_target_inspect(t.path, "/usr/bin", &t), 0);
	ck_assert_str_eq(t.path, "/usr/bin/true");
	ck_assert_str_eq(t.elf, "/usr/bin/true");
}
END_TEST

/* ---- #! chains ---- */

START_TEST(shebang_sh)
{
	char path[PATH_MAX];
	vs_target t;

	put_script(path, "sh-script", "#!/bin/sh\necho hi\n");
	inspect_ok(path, "/usr/bin", &t);
	ck_assert(t.script && !t.no_magic);
	ck_assert_str_eq(t.elf, "/bin/sh"); /* as written: no realpath */
	ck_assert(!t.is_static && !t.is_go);
	ck_assert_ptr_null(t.secure);
	/* blanks before the interpreter, an argument after it */
	put_script(path, "sh-script-arg", "#! \t/bin/sh -e \n");
	inspect_ok(path, "/usr/bin", &t);
	ck_assert(t.script);
	ck_assert_str_eq(t.elf, "/bin/sh");
}
END_TEST

/* dir/envbin holding `sh`: a crafted static ELF, so where it was found shows */
static void fake_sh(char *sh, char *path_env, size_t n)
{
	char sub[PATH_MAX];
	elf_img e;

	scratch(sub, "envbin");
	if (mkdir(sub, 0755) != 0)
		ck_assert_int_eq(errno, EEXIST);
	elf_plain(&e, true, false);
	elf_write(&e, sh, "envbin/sh", 0755);
	snprintf(path_env, n, "%s:/usr/bin:/bin", sub);
}

START_TEST(shebang_env_uses_path_env)
{
	char path[PATH_MAX], sh[PATH_MAX], path_env[PATH_MAX + 32];
	vs_target t;

	put_script(path, "env-sh", "#!/usr/bin/env sh\n");
	inspect_ok(path, "/usr/bin", &t);
	ck_assert(t.script);
	ck_assert_str_eq(t.elf, "/usr/bin/sh");
	ck_assert(!t.is_static);
	/* the path_env passed, not the test's own PATH */
	fake_sh(sh, path_env, sizeof path_env);
	inspect_ok(path, path_env, &t);
	ck_assert_str_eq(t.elf, sh);
	ck_assert(t.is_static);
	/* NAME=VALUE before the program */
	put_script(path, "env-assign-sh", "#!/usr/bin/env -S LANG=C X=1 sh -e\n");
	inspect_ok(path, path_env, &t);
	ck_assert_str_eq(t.elf, sh);
}
END_TEST

START_TEST(shebang_env_split_string)
{
	char path[PATH_MAX], sh[PATH_MAX], path_env[PATH_MAX + 32];
	vs_target t;

	fake_sh(sh, path_env, sizeof path_env);
	put_script(path, "env-S-sh", "#!/usr/bin/env -S sh -e\n");
	inspect_ok(path, path_env, &t);
	ck_assert(t.script);
	ck_assert_str_eq(t.elf, sh);
	ck_assert(t.is_static);
	put_script(path, "env-S-sh-joined", "#!/usr/bin/env -Ssh -e\n");
	inspect_ok(path, path_env, &t);
	ck_assert_str_eq(t.elf, sh);
}
END_TEST

START_TEST(shebang_env_other_options_stop_at_env)
{
	char path[PATH_MAX], sh[PATH_MAX], path_env[PATH_MAX + 32];
	vs_target t;

	fake_sh(sh, path_env, sizeof path_env);
	put_script(path, "env-i-sh", "#!/usr/bin/env -i sh\n");
	inspect_ok(path, path_env, &t);
	ck_assert(t.script);
	ck_assert_str_eq(t.elf, "/usr/bin/env");
	ck_assert(!t.is_static);
	put_script(path, "env-S-u-sh", "#!/usr/bin/env -S -u HOME sh\n");
	inspect_ok(path, path_env, &t);
	ck_assert_str_eq(t.elf, "/usr/bin/env");
	put_script(path, "env-alone", "#!/usr/bin/env\n");
	inspect_ok(path, path_env, &t);
	ck_assert_str_eq(t.elf, "/usr/bin/env");
}
END_TEST

START_TEST(shebang_chain_script_script_elf)
{
	char a[PATH_MAX], b[PATH_MAX], text[PATH_MAX + 16];
	vs_target t;

	put_script(b, "chain-b", "#!/bin/sh\n");
	snprintf(text, sizeof text, "#!%s\n", b);
	put_script(a, "chain-a", text);
	inspect_ok(a, "/usr/bin", &t);
	ck_assert(t.script);
	ck_assert_str_eq(t.elf, "/bin/sh");
	ck_assert(!t.is_static);
}
END_TEST

START_TEST(shebang_loop_ends)
{
	char a[PATH_MAX], text[PATH_MAX + 16];
	vs_target t;

	scratch(a, "loop-a");
	snprintf(text, sizeof text, "#!%s\n", a);
	put_script(a, "loop-a", text);
	inspect_ok(a, "/usr/bin", &t); /* returns: the tcase timeout catches a hang */
	ck_assert(t.script);
	ck_assert_str_eq(t.elf, "");
	ck_assert(!t.is_static && !t.is_go);
}
END_TEST

/* depth-0 "#!/bin/sh", depth-k "#!dir/depth-(k-1)"; the path of the last */
static void nested(char *top, int scripts)
{
	char prev[PATH_MAX], text[PATH_MAX + 16], name[32];

	for (int k = 0; k < scripts; k++) {
		if (k == 0)
			snprintf(text, sizeof text, "#!/bin/sh\n");
		else
			snprintf(text, sizeof text, "#!%s\n", prev);
		snprintf(name, sizeof name, "depth-%d", k);
		put_script(top, name, text);
		memcpy(prev, top, PATH_MAX);
	}
}

/* The kernel follows 5 scripts to an ELF (fs/exec.c: ELOOP once depth > 5);
 * checked on Linux 6.18 by running these very files: depth-4 runs sh,
 * depth-5 fails with ELOOP. */
START_TEST(five_nested_scripts_reach_the_elf)
{
	char top[PATH_MAX];
	vs_target t;

	nested(top, 4);
	inspect_ok(top, "/usr/bin", &t);
	ck_assert_str_eq(t.elf, "/bin/sh");
	nested(top, 5);
	inspect_ok(top, "/usr/bin", &t);
	ck_assert(t.script);
	ck_assert_msg(!strcmp(t.elf, "/bin/sh"),
		      "5 nested scripts: the kernel runs /bin/sh, inspect says elf \"%s\"", t.elf);
}
END_TEST

START_TEST(six_nested_scripts_are_too_deep)
{
	char top[PATH_MAX];
	vs_target t;

	nested(top, 6);
	inspect_ok(top, "/usr/bin", &t);
	ck_assert(t.script);
	ck_assert_str_eq(t.elf, ""); /* execve: ELOOP */
}
END_TEST

START_TEST(shebang_longer_than_the_kernel_reads)
{
	char path[PATH_MAX], text[600];
	vs_target t;

	/* the kernel reads 256 bytes: the argument is cut, the interpreter runs */
	snprintf(text, sizeof text, "#!/bin/sh -e%0400d\necho hi\n", 0);
	put_script(path, "long-arg", text);
	inspect_ok(path, "/usr/bin", &t);
	ck_assert(t.script);
	ck_assert_str_eq(t.elf, "/bin/sh");
	/* an interpreter name longer than that: ENOEXEC, nothing runs */
	memset(text, 'a', 400);
	memcpy(text, "#!/", 3);
	memcpy(text + 400, "\n", 2);
	put_script(path, "long-interp", text);
	inspect_ok(path, "/usr/bin", &t);
	ck_assert(t.script);
	ck_assert_str_eq(t.elf, "");
}
END_TEST

START_TEST(shebang_short_files)
{
	char path[PATH_MAX];
	vs_target t;

	/* a whole script with no newline at all */
	put_script(path, "no-newline", "#!/bin/sh");
	inspect_ok(path, "/usr/bin", &t);
	ck_assert(t.script);
	ck_assert_str_eq(t.elf, "/bin/sh");
	put_script(path, "no-newline-arg", "#!/bin/sh -e");
	inspect_ok(path, "/usr/bin", &t);
	ck_assert_str_eq(t.elf, "/bin/sh");
	/* no interpreter at all */
	put_script(path, "bare-shebang", "#!");
	inspect_ok(path, "/usr/bin", &t);
	ck_assert(t.script);
	ck_assert_str_eq(t.elf, "");
	put_script(path, "blank-shebang", "#!   \n");
	inspect_ok(path, "/usr/bin", &t);
	ck_assert(t.script);
	ck_assert_str_eq(t.elf, "");
}
END_TEST

START_TEST(shebang_missing_interpreter)
{
	char path[PATH_MAX];
	vs_target t;

	put_script(path, "missing-interp", "#!/nonexistent-vs/interp\n");
	inspect_ok(path, "/usr/bin", &t);
	ck_assert(t.script);
	ck_assert_str_eq(t.elf, "");
	ck_assert(!t.is_static && !t.is_go);
	/* a DOS line end: the kernel looks for "/bin/sh\r" */
	put_script(path, "crlf", "#!/bin/sh\r\necho hi\r\n");
	inspect_ok(path, "/usr/bin", &t);
	ck_assert_str_eq(t.elf, "");
}
END_TEST

START_TEST(shebang_missing_env)
{
	char path[PATH_MAX];
	vs_target t;

	/* the kernel cannot open the interpreter: ENOENT, env never runs to
	 * look sh up */
	put_script(path, "missing-env", "#!/nonexistent-vs/env sh\n");
	inspect_ok(path, "/usr/bin", &t);
	ck_assert(t.script);
	ck_assert_msg(!strcmp(t.elf, ""), "#!/nonexistent-vs/env sh: elf is \"%s\", not \"\"", t.elf);
}
END_TEST

/* ---- neither magic, unreadable ---- */

START_TEST(no_magic)
{
	char path[PATH_MAX];
	vs_target t;

	put_script(path, "plain-text", "echo hi\n");
	inspect_ok(path, "/usr/bin", &t);
	ck_assert(t.no_magic);
	ck_assert(!t.script && !t.is_static && !t.is_go);
	ck_assert_str_eq(t.elf, "");
	put_file(path, "empty", "", 0, 0755);
	inspect_ok(path, "/usr/bin", &t);
	ck_assert(t.no_magic);
	put_script(path, "hash-only", "#");
	inspect_ok(path, "/usr/bin", &t);
	ck_assert(t.no_magic && !t.script);
	/* an interpreter with no magic: the kernel refuses (ENOEXEC); the
	 * script itself has its magic */
	{
		char plain[PATH_MAX], text[PATH_MAX + 16];
		put_script(plain, "plain-interp", "echo hi\n");
		snprintf(text, sizeof text, "#!%s\n", plain);
		put_script(path, "via-plain", text);
		inspect_ok(path, "/usr/bin", &t);
		ck_assert(t.script && !t.no_magic);
		ck_assert_str_eq(t.elf, "");
	}
}
END_TEST

START_TEST(unreadable_path_is_an_error)
{
	char path[PATH_MAX];
	vs_target t;

	scratch(path, "does-not-exist");
	ck_assert_int_eq(vs_target_inspect(path, "/usr/bin", &t), ENOENT);
	ck_assert_int_ne(vs_target_inspect(tmpdir, "/usr/bin", &t), 0); /* a directory */
	put_file(path, "no-read", "#!/bin/sh\n", 10, 0);
	if (geteuid() == 0) /* root reads anything: ask as nobody */
		ck_assert_int_eq(as_nobody(inspect_rc, path), EACCES);
	else
		ck_assert_int_eq(vs_target_inspect(path, "/usr/bin", &t), EACCES);
}
END_TEST

/* ---- secure execution ---- */

/* a crafted dynamic ELF of this mode, owned by uid/gid (-1: unchanged) */
static void elf_owned(char *path, const char *name, mode_t mode, uid_t uid, gid_t gid)
{
	elf_img e;

	elf_plain(&e, true, false);
	elf_interp(&e);
	elf_write(&e, path, name, 0755);
	ck_assert_int_eq(chown(path, uid, gid), 0);
	ck_assert_int_eq(chmod(path, mode), 0); /* after chown, which clears the bits */
}

START_TEST(setuid_to_another_user_is_secure)
{
	char path[PATH_MAX];
	vs_target t;

	if (geteuid() == 0) {
		elf_owned(path, "suid-other", 04755, NOBODY, (gid_t)-1);
		inspect_ok(path, "/usr/bin", &t);
		ck_assert_ptr_nonnull(t.secure);
		ck_assert_str_eq(t.secure, "setuid");
		ck_assert_str_eq(t.secure_file, path);
		ck_assert_str_eq(t.elf, path);
	} else {
		/* not root: no file of another user can be made setuid here;
		 * one of our own is not secure */
		elf_owned(path, "suid-other", 04755, (uid_t)-1, (gid_t)-1);
		inspect_ok(path, "/usr/bin", &t);
		ck_assert_ptr_null(t.secure);
	}
}
END_TEST

START_TEST(setuid_to_oneself_is_not_secure)
{
	char path[PATH_MAX];
	vs_target t;

	elf_owned(path, "suid-self", 04755, geteuid(), (gid_t)-1);
	inspect_ok(path, "/usr/bin", &t);
	ck_assert_ptr_null(t.secure);
	ck_assert_str_eq(t.secure_file, "");
}
END_TEST

/* a group we are in other than our egid, or -1 */
static gid_t other_group(void)
{
	gid_t g[64];
	int n = getgroups(64, g);

	for (int i = 0; i < n; i++)
		if (g[i] != getegid())
			return g[i];
	return (gid_t)-1;
}

START_TEST(setgid_to_another_group_is_secure)
{
	char path[PATH_MAX];
	vs_target t;
	gid_t other = geteuid() == 0 ? (gid_t)NOBODY : other_group();

	if (other != (gid_t)-1) {
		elf_owned(path, "sgid-other", 02755, (uid_t)-1, other);
		inspect_ok(path, "/usr/bin", &t);
		ck_assert_ptr_nonnull(t.secure);
		ck_assert_str_eq(t.secure, "setgid");
		ck_assert_str_eq(t.secure_file, path);
		/* set-group-ID without group execute is the mandatory-locking
		 * mark, not set-group-ID execution */
		elf_owned(path, "sgid-nox", 02745, (uid_t)-1, other);
		inspect_ok(path, "/usr/bin", &t);
		ck_assert_ptr_null(t.secure);
	}
	/* our own group: not secure */
	elf_owned(path, "sgid-self", 02755, (uid_t)-1, getegid());
	inspect_ok(path, "/usr/bin", &t);
	ck_assert_ptr_null(t.secure);
}
END_TEST

START_TEST(setuid_interpreter_is_secure)
{
	char path[PATH_MAX], interp[PATH_MAX], text[PATH_MAX + 16];
	vs_target t;
	bool root = geteuid() == 0;

	elf_owned(interp, "suid-interp", 04755, root ? NOBODY : (uid_t)-1, (gid_t)-1);
	snprintf(text, sizeof text, "#!%s -x\n", interp);
	put_script(path, "via-suid-interp", text);
	inspect_ok(path, "/usr/bin", &t);
	ck_assert_str_eq(t.elf, interp);
	if (root) {
		ck_assert_ptr_nonnull(t.secure);
		ck_assert_str_eq(t.secure, "setuid");
		ck_assert_str_eq(t.secure_file, interp);
	} else {
		ck_assert_ptr_null(t.secure);
	}
}
END_TEST

START_TEST(setuid_env_is_secure)
{
	char path[PATH_MAX], env[PATH_MAX], text[PATH_MAX + 16], sub[PATH_MAX];
	vs_target t;
	bool root = geteuid() == 0;

	/* an env that is set-user-ID: the exec of env itself is secure */
	scratch(sub, "suid-env");
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	elf_owned(env, "suid-env/env", 04755, root ? NOBODY : (uid_t)-1, (gid_t)-1);
	snprintf(text, sizeof text, "#!%s sh\n", env);
	put_script(path, "via-suid-env", text);
	inspect_ok(path, "/usr/bin", &t);
	ck_assert_str_eq(t.elf, "/usr/bin/sh");
	if (root) {
		ck_assert_ptr_nonnull(t.secure);
		ck_assert_str_eq(t.secure, "setuid");
		ck_assert_str_eq(t.secure_file, env);
	} else {
		ck_assert_ptr_null(t.secure);
	}
}
END_TEST

/* Linux ignores set-user-ID and set-group-ID on a script: the interpreter
 * runs as the caller (checked: a 04755 `#!/bin/cat /proc/self/status`
 * owned by nobody, run by root, shows Uid 0 0 0 0). */
START_TEST(setuid_script_is_not_secure)
{
	char path[PATH_MAX];
	vs_target t;
	bool root = geteuid() == 0;

	put_script(path, "suid-script", "#!/bin/sh\necho hi\n");
	ck_assert_int_eq(chown(path, root ? NOBODY : (uid_t)-1, root ? NOBODY : (gid_t)-1), 0);
	ck_assert_int_eq(chmod(path, 06755), 0);
	inspect_ok(path, "/usr/bin", &t);
	ck_assert_str_eq(t.elf, "/bin/sh");
	ck_assert_msg(t.secure == NULL, "a set-user-ID script (ignored by the kernel) is taken as %s (%s)",
		      t.secure, t.secure_file);
}
END_TEST

/* a setuid-nobody ELF on a fresh nosuid tmpfs, in a private mount
 * namespace: 0 when inspect says not secure, 1 when it says secure,
 * 100 + errno when the mount could not be made */
static int nosuid_case(const char *mnt)
{
	char path[PATH_MAX];
	vs_target t;
	struct statvfs vfs;
	int fd;

	if (unshare(CLONE_NEWNS) || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", mnt, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k"))
		return 100 + (errno % 100);
	if (statvfs(mnt, &vfs) || !(vfs.f_flag & ST_NOSUID))
		return 99;
	/* no ck_assert here (the probe runs outside any case): a plain copy of
	 * an ELF header is enough, the mode and owner are what count */
	snprintf(path, sizeof path, "%s/suid", mnt);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0755);
	if (fd < 0 || write(fd, ELFMAG, SELFMAG) != SELFMAG || close(fd) || chown(path, NOBODY, NOBODY) ||
	    chmod(path, 06755))
		return 98;
	if (vs_target_inspect(path, "/usr/bin", &t))
		return 97;
	return t.secure != NULL;
}

static int in_child(int (*fn)(const char *), const char *arg)
{
	return in_child_as(fn, arg, false);
}

START_TEST(setuid_on_a_nosuid_mount_is_not_secure)
{
	char mnt[PATH_MAX];

	scratch(mnt, "nosuid-mnt");
	ck_assert_int_eq(mkdir(mnt, 0755), 0);
	ck_assert_int_eq(in_child(nosuid_case, mnt), 0);
}
END_TEST

/* vfs_cap_data v2: cap_net_raw permitted and effective */
static int set_net_raw(const char *path)
{
	struct vfs_cap_data cap = {0};

	cap.magic_etc = htole32(VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE);
	cap.data[0].permitted = htole32(1u << CAP_NET_RAW);
	return setxattr(path, "security.capability", &cap, XATTR_CAPS_SZ_2, 0);
}

/* What setcap writes, written directly (no setcap binary needed); the case
 * is there only when file capabilities can be set (root, a filesystem with
 * security xattrs): a non-root user cannot make such a file. */
START_TEST(file_capabilities_are_secure_for_non_root)
{
	char path[PATH_MAX];
	vs_target t;

	elf_owned(path, "caps", 0755, (uid_t)-1, (gid_t)-1);
	ck_assert_msg(set_net_raw(path) == 0, "setxattr: %s", strerror(errno));
	/* root gains nothing from them: no secure execution */
	inspect_ok(path, "/usr/bin", &t);
	ck_assert_ptr_null(t.secure);
	/* anyone else does */
	ck_assert_int_eq(as_nobody(secure_code, path), 3);
}
END_TEST

/* ---- builtins ---- */

START_TEST(builtins)
{
	ck_assert(vs_target_is_builtin("cd"));
	ck_assert(vs_target_is_builtin(":"));
	ck_assert(vs_target_is_builtin("export"));
	ck_assert(vs_target_is_builtin("."));
	ck_assert(vs_target_is_builtin("umask"));
	ck_assert(!vs_target_is_builtin("ls"));
	ck_assert(!vs_target_is_builtin(""));
	ck_assert(!vs_target_is_builtin("cd "));
	ck_assert(!vs_target_is_builtin("CD"));
	ck_assert(!vs_target_is_builtin("/bin/cd"));
}
END_TEST

/* ---- probes: only what can run here is added ---- */

static bool can_mount_nosuid(void)
{
	char dir[64];
	int rc;

	if (geteuid() != 0)
		return false;
	tl_tmpdir_make(dir, sizeof dir, "vs-target-probe");
	rc = in_child(nosuid_case, dir);
	rmdir(dir);
	return rc == 0 || rc == 1; /* the mount worked (and the case ran there) */
}

static bool can_set_file_caps(void)
{
	char dir[64], path[96];
	int fd, rc;

	if (geteuid() != 0)
		return false;
	tl_tmpdir_make(dir, sizeof dir, "vs-target-probe");
	snprintf(path, sizeof path, "%s/f", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0755);
	rc = fd >= 0 ? set_net_raw(path) : -1;
	if (fd >= 0)
		close(fd);
	unlink(path);
	rmdir(dir);
	return rc == 0;
}

Suite *target_suite(void)
{
	Suite *s = suite_create("target");
	TCase *lookup = tcase_create("lookup");
	TCase *elf = tcase_create("elf");
	TCase *chain = tcase_create("chain");
	TCase *secure = tcase_create("secure");
	TCase *builtin = tcase_create("builtin");

	/* unchecked fixtures: run in the runner process, so the directory is
	 * removed even when a case crashes */
	tcase_add_unchecked_fixture(lookup, files_setup, files_teardown);
	tcase_add_test(lookup, lookup_finds_a_program_on_path);
	tcase_add_test(lookup, lookup_missing_is_enoent);
	tcase_add_test(lookup, lookup_non_executable_is_eacces);
	tcase_add_test(lookup, lookup_skips_a_directory);
	tcase_add_test(lookup, lookup_empty_element_is_the_current_directory);
	tcase_add_test(lookup, lookup_null_path_is_bin_then_usr_bin);
	tcase_add_test(lookup, lookup_name_with_slash_is_taken_as_is);
	suite_add_tcase(s, lookup);

	tcase_add_unchecked_fixture(elf, files_setup, files_teardown);
	tcase_add_test(elf, elf64_without_interp_is_static);
	tcase_add_test(elf, elf64_with_interp_is_dynamic);
	tcase_add_test(elf, go_build_id_note_is_go);
	tcase_add_test(elf, other_notes_are_not_go);
	tcase_add_test(elf, go_note_after_other_notes);
	tcase_add_test(elf, go_buildinfo_section_is_go);
	tcase_add_test(elf, elf32);
	tcase_add_test(elf, big_endian);
	tcase_add_loop_test(elf, damaged_elf_is_safe, 0, 16);
	tcase_add_test(elf, real_true_is_dynamic_not_go);
	tcase_add_test(elf, not_an_elf_for_facts);
	tcase_add_test(elf, inspect_into_the_lookups_own_buffer);
	suite_add_tcase(s, elf);

	tcase_add_unchecked_fixture(chain, files_setup, files_teardown);
	tcase_add_test(chain, shebang_sh);
	tcase_add_test(chain, shebang_env_uses_path_env);
	tcase_add_test(chain, shebang_env_split_string);
	tcase_add_test(chain, shebang_env_other_options_stop_at_env);
	tcase_add_test(chain, shebang_chain_script_script_elf);
	tcase_add_test(chain, shebang_loop_ends);
	tcase_add_test(chain, five_nested_scripts_reach_the_elf);
	tcase_add_test(chain, six_nested_scripts_are_too_deep);
	tcase_add_test(chain, shebang_longer_than_the_kernel_reads);
	tcase_add_test(chain, shebang_short_files);
	tcase_add_test(chain, shebang_missing_interpreter);
	tcase_add_test(chain, shebang_missing_env);
	tcase_add_test(chain, no_magic);
	tcase_add_test(chain, unreadable_path_is_an_error);
	suite_add_tcase(s, chain);

	tcase_add_unchecked_fixture(secure, files_setup, files_teardown);
	tcase_add_test(secure, setuid_to_another_user_is_secure);
	tcase_add_test(secure, setuid_to_oneself_is_not_secure);
	tcase_add_test(secure, setgid_to_another_group_is_secure);
	tcase_add_test(secure, setuid_interpreter_is_secure);
	tcase_add_test(secure, setuid_env_is_secure);
	tcase_add_test(secure, setuid_script_is_not_secure);
	/* a nosuid mount needs root with CAP_SYS_ADMIN (a private mount
	 * namespace); file capabilities need root to be set */
	if (can_mount_nosuid())
		tcase_add_test(secure, setuid_on_a_nosuid_mount_is_not_secure);
	if (can_set_file_caps())
		tcase_add_test(secure, file_capabilities_are_secure_for_non_root);
	suite_add_tcase(s, secure);

	tcase_add_test(builtin, builtins);
	suite_add_tcase(s, builtin);
	return s;
}
