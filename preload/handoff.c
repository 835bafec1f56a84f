/*
 * handoff.c — one resolution per launch, handed down a process tree.
 *
 * The first preloaded process of a tree that loads its config creates a
 * memfd (mode 0600, so only its uid can open it again) and writes into it
 * the mapped names and the options; whichever process of the tree resolves
 * first writes the values there too. Children inherit a read-only
 * descriptor of it, at a high number, and find it through the variable
 *
 *   VAULTSHIM_HANDOFF=<fd>.<dev>.<ino>[.<mask>]
 *
 * which names the descriptor and the memfd's identity (a daemon that closed
 * its descriptors, or reused the number, is noticed: fstat must match) and,
 * as a hex bit mask in config order, the names an ancestor chose itself
 * (set or removed): those answer from environ. Why a memfd: it never shows
 * in /proc/PID/environ, it is shared by siblings (so a resolution made by
 * one child serves the next) and later refreshes can go through it, it
 * needs no process to serve it, and it dies with the last process holding
 * it. /proc/PID/fd of a process shows it as "/memfd:vaultshim (deleted)".
 *
 * Writers: only processes that can open the memfd read-write again through
 * /proc/self/fd (its owner; not a child that dropped privileges) write.
 * Locks are POSIX record locks on the memfd (held per process, dropped by
 * the kernel when a holder dies): byte 0 while resolving (siblings wait for
 * that process instead of resolving too), byte 1 while the data is written
 * or read. Every wait is bounded by the caller's deadline.
 */
#define _GNU_SOURCE
#include "preload.h"
#include "vs_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOCK_RESOLVE VS_SNAPSHOT_LOCK_RESOLVE
#define LOCK_DATA VS_SNAPSHOT_LOCK_DATA
#define DATA_WAIT_MS 2000.0 /* the data lock is held for microseconds */

vs_handoff vs_ho = {.fd = -1, .rw_fd = -1, .mask = "", .names = ""};
const uint32_t *vs_ho_gen;
static int held_fd = -1; /* writable descriptor while the resolver lock is held */

/* The descriptor still is our memfd (a program may close any fd it did
 * not open, and reuse the number). */
static bool still_ours(int fd)
{
	struct stat st;
	return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == vs_ho.dev && st.st_ino == vs_ho.ino;
}

bool vs_mask_bit(const char *mask, size_t i)
{
	size_t len = strlen(mask), pos = i / 4;
	char c;
	int v;

	if (pos >= len)
		return false;
	c = mask[len - 1 - pos]; /* least significant digit last, as written */
	v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : 0;
	return (v >> (i % 4)) & 1;
}

int vs_handoff_attach(const char *var)
{
	unsigned long long dev, ino;
	char *end;
	long fd;
	struct stat st;

	if (!var || !*var)
		return -1;
	errno = 0;
	fd = strtol(var, &end, 10);
	if (errno || end == var || *end != '.' || fd < 0 || fd > 1 << 20)
		return -1;
	var = end + 1;
	dev = strtoull(var, &end, 16);
	if (errno || end == var || *end != '.')
		return -1;
	var = end + 1;
	ino = strtoull(var, &end, 16);
	if (errno || end == var || (*end && *end != '.'))
		return -1;
	/* a memfd: no name in any directory, seals supported (a descriptor
	 * of any other file is not ours to read, nor to mark close-on-exec) */
	if (fstat((int)fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 0 ||
	    (unsigned long long)st.st_dev != dev || (unsigned long long)st.st_ino != ino ||
	    fcntl((int)fd, F_GET_SEALS) < 0)
		return -1;
	/* [.mask[.NAME,NAME...]] */
	{
		static char mask[1024];
		const char *names = "";
		size_t ml;
		var = *end ? end + 1 : end;
		ml = strspn(var, "0123456789abcdef");
		if (var[ml] == '.') {
			names = var + ml + 1;
			if (names[strspn(names, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_,")])
				return -1;
		} else if (var[ml]) {
			return -1;
		}
		if (ml >= sizeof mask)
			return -1;
		memcpy(mask, var, ml);
		mask[ml] = '\0';
		vs_ho.mask = mask;
		vs_ho.names = names;
	}
	vs_ho.fd = (int)fd;
	vs_ho.dev = st.st_dev;
	vs_ho.ino = st.st_ino;
	return 0;
}

/* Writes "/proc/<pid>/fd/<fd>" without stdio (safe in a vfork child). */
static void proc_fd_path(char *p, long pid, int fd)
{
	char digits[24];
	long parts[2] = {pid, fd};

	p = stpcpy(p, "/proc/");
	for (int k = 0; k < 2; k++) {
		int i = 0;
		long v = parts[k];
		do {
			digits[i++] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		while (i)
			*p++ = digits[--i];
		if (k == 0)
			p = stpcpy(p, "/fd/");
	}
	*p = '\0';
}

/* Moves fd to a high number, out of the range programs count on (the
 * lowest free descriptor, systemd's LISTEN_FDS from 3), as shells do with
 * the descriptors they keep. */
static int move_high(int fd, bool cloexec)
{
	struct rlimit rl;
	long base = 10;
	int nfd;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rlim_t lim = rl.rlim_cur > 1024 ? 1024 : rl.rlim_cur;
		if ((long)lim * 3 / 4 > base)
			base = (long)lim * 3 / 4;
	}
	nfd = fcntl(fd, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, (int)base);
	if (nfd < 0)
		return fd;
	close(fd);
	return nfd;
}

char *vs_handoff_var(char *p, int fd)
{
	static const char hex[] = "0123456789abcdef";
	unsigned long long parts[3] = {(unsigned)fd, (unsigned long long)vs_ho.dev,
				       (unsigned long long)vs_ho.ino};

	for (int k = 0; k < 3; k++) {
		char tmp[24];
		int i = 0;
		unsigned base = k ? 16 : 10;
		unsigned long long v = parts[k];
		do {
			tmp[i++] = hex[v % base];
			v /= base;
		} while (v);
		while (i)
			*p++ = tmp[--i];
		if (k < 2)
			*p++ = '.';
	}
	*p = '\0';
	return p;
}

void vs_handoff_map(void)
{
	struct stat st;
	void *p;

	/* (a snapshot is never shorter than its head once written: the
	 * mapped word never lies past the end of the file) */
	if (vs_ho_gen || vs_ho.fd < 0 || !still_ours(vs_ho.fd) || fstat(vs_ho.fd, &st) != 0 ||
	    st.st_size < VS_SNAPSHOT_GEN_OFFSET + 4)
		return;
	p = mmap(NULL, VS_SNAPSHOT_GEN_OFFSET + 4, PROT_READ, MAP_SHARED, vs_ho.fd, 0);
	if (p != MAP_FAILED)
		__atomic_store_n(&vs_ho_gen, (const uint32_t *)(void *)((char *)p + VS_SNAPSHOT_GEN_OFFSET),
				 __ATOMIC_RELEASE);
}

bool vs_handoff_fd_ok(void)
{
	return vs_ho.fd >= 0 && still_ours(vs_ho.fd);
}

int vs_handoff_reopen_from_parent(void)
{
	char p[64];
	struct stat st;
	int fd;

	if (vs_ho.fd < 0)
		return -1;
	proc_fd_path(p, (long)getppid(), vs_ho.fd);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || st.st_dev != vs_ho.dev || st.st_ino != vs_ho.ino) {
		close(fd);
		return -1;
	}
	fd = move_high(fd, true);
	fcntl(fd, F_SETFD, 0);
	return fd;
}

static int reopen(int fd, int flags)
{
	char p[64];
	proc_fd_path(p, (long)getpid(), fd);
	return open(p, flags | O_CLOEXEC);
}

/* A hand-off with no names yet names its config, so that a child with
 * another config does not take it. */
static int write_empty(int fd, const char *config_path, const char *text)
{
	char b[4096 + 64];
	size_t tl = text ? strlen(text) : 0, len = vs_snapshot_format_empty(b, sizeof b, config_path, tl);

	return len && pwrite(fd, b, len, 0) == (ssize_t)len &&
			       (!tl || pwrite(fd, text, tl, (off_t)len) == (ssize_t)tl)
		       ? 0
		       : -1;
}

/* Only system calls: the fork handler may run in a signal handler. */
int vs_handoff_create(const char *config_path, const char *text)
{
	struct stat st;
	int rw = memfd_create("vaultshim", MFD_CLOEXEC), ro;

	if (rw < 0)
		return -1;
	if (fchmod(rw, 0600) != 0 || fstat(rw, &st) != 0 || write_empty(rw, config_path, text) != 0) {
		close(rw);
		return -1;
	}
	/* children get a read-only descriptor, opened again through /proc;
	 * without /proc there is no hand-off (a writable one would let a
	 * child that dropped its privileges rewrite its ancestors' values) */
	ro = reopen(rw, O_RDONLY);
	if (ro < 0) {
		close(rw);
		return -1;
	}
	rw = move_high(rw, true);
	ro = move_high(ro, true);
	fcntl(ro, F_SETFD, 0); /* inherited across exec */
	vs_ho.fd = ro;
	vs_ho.rw_fd = rw;
	vs_ho.dev = st.st_dev;
	vs_ho.ino = st.st_ino;
	vs_ho.mask = "";
	vs_ho.names = "";
	return 0;
}

void vs_handoff_forget_writer(void)
{
	/* (a descriptor reopened for the resolver lock by a thread of the
	 * parent: not this process's to hold) */
	if (held_fd >= 0 && held_fd != vs_ho.rw_fd)
		close(held_fd);
	held_fd = -1;
	if (vs_ho.rw_fd >= 0 && still_ours(vs_ho.rw_fd))
		close(vs_ho.rw_fd);
	vs_ho.rw_fd = -1;
}

void vs_handoff_drop(void)
{
	/* (its count is no longer this process's tree's) */
	__atomic_store_n(&vs_ho_gen, NULL, __ATOMIC_RELEASE);
	if (vs_ho.fd >= 0 && still_ours(vs_ho.fd))
		fcntl(vs_ho.fd, F_SETFD, FD_CLOEXEC);
	vs_ho.fd = -1;
}

/* A writable descriptor of the hand-off: the creator's, or one opened
 * again through /proc by a process of the same user (to close after use
 * when it is not vs_ho.rw_fd); -1 for a child that dropped its privileges,
 * which resolves (or not) without the tree. */
static int writable(void)
{
	if (vs_ho.fd < 0 || !still_ours(vs_ho.fd))
		return -1;
	return vs_ho.rw_fd >= 0 && still_ours(vs_ho.rw_fd) ? vs_ho.rw_fd : reopen(vs_ho.fd, O_RDWR);
}

int vs_handoff_lock(double deadline)
{
	int fd = writable();

	if (fd < 0)
		return -1;
	if (vs_snapshot_lock(fd, F_WRLCK, LOCK_RESOLVE, deadline) != 0) {
		if (fd != vs_ho.rw_fd)
			close(fd);
		return -1;
	}
	held_fd = fd;
	return fd;
}

int vs_handoff_trylock(void)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = LOCK_RESOLVE, .l_len = 1};
	int fd = writable();

	if (fd < 0)
		return -1;
	if (fcntl(fd, F_SETLK, &fl) != 0) {
		int busy = errno == EACCES || errno == EAGAIN;
		if (fd != vs_ho.rw_fd)
			close(fd);
		return busy ? VS_LOCK_BUSY : -1;
	}
	held_fd = fd;
	return fd;
}

void vs_handoff_unlock(int fd)
{
	if (fd < 0)
		return;
	vs_snapshot_unlock(fd, LOCK_RESOLVE);
	if (fd != vs_ho.rw_fd)
		close(fd); /* also drops any other lock of ours on it */
	held_fd = -1;
}

/* ------------------------------------------------------------------ */
/* the snapshot (src/core/snapshot.c) in the memfd                          */

static void free_raw(char *p, size_t n)
{
	if (p) {
		explicit_bzero(p, n);
		free(p);
	}
}

int vs_handoff_write(const vs_snapshot *snap)
{
	int fd = vs_ho.rw_fd >= 0 ? vs_ho.rw_fd : held_fd, rc = -1;
	size_t len = 0;
	char *b;

	if (vs_ho.fd < 0 || fd < 0 || !still_ours(fd) || !(b = vs_snapshot_format(snap, &len)))
		return -1;
	if (vs_snapshot_lock(fd, F_WRLCK, LOCK_DATA, vs_now_ms() + DATA_WAIT_MS) != 0)
		goto out;
	if (vs_pwrite_all(fd, b, len, 0) == 0 && ftruncate(fd, (off_t)len) == 0)
		rc = 0;
	vs_snapshot_unlock(fd, LOCK_DATA);
out:
	free_raw(b, len); /* it held values */
	return rc;
}

void vs_handoff_note_failure(double at, long retry_ms)
{
	int fd = vs_ho.rw_fd >= 0 ? vs_ho.rw_fd : held_fd;
	uint64_t a = at > 0 ? (uint64_t)at : 0;
	uint32_t r = retry_ms > 0 && retry_ms < UINT32_MAX ? (uint32_t)retry_ms : 0;

	if (vs_ho.fd < 0 || fd < 0 || !still_ours(fd) ||
	    vs_snapshot_lock(fd, F_WRLCK, LOCK_DATA, vs_now_ms() + DATA_WAIT_MS) != 0)
		return;
	if (pwrite(fd, &a, 8, VS_SNAPSHOT_FAILED_OFFSET) != 8 ||
	    pwrite(fd, &r, 4, VS_SNAPSHOT_FAILED_OFFSET + 8) != 4)
		vs_log(VS_LOG_DEBUG, "could not note the failure in the hand-off");
	vs_snapshot_unlock(fd, LOCK_DATA);
}

int vs_handoff_head(char *buf, size_t size, vs_snapshot_head *h)
{
	ssize_t r;

	if (vs_ho.fd < 0)
		return -1;
	/* no lock: a tree's head is written once and rewritten the same; a
	 * first write caught half-way fails to parse */
	do
		r = pread(vs_ho.fd, buf, size, 0);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return 1;
	if (r < 0 || vs_snapshot_head_parse(buf, (size_t)r, h) != 0)
		return -1;
	return 0;
}

int vs_handoff_read(vs_snapshot *snap)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int rc = -1;

	memset(snap, 0, sizeof *snap);
	if (vs_ho.fd < 0 || !still_ours(vs_ho.fd))
		return -1;
	if (vs_snapshot_lock(vs_ho.fd, F_RDLCK, LOCK_DATA, vs_now_ms() + DATA_WAIT_MS) != 0)
		return -1;
	if (fstat(vs_ho.fd, &st) == 0 && st.st_size == 0) {
		rc = 1; /* made at a fork, nothing loaded yet */
		goto out;
	}
	if (fstat(vs_ho.fd, &st) != 0 || st.st_size < 8 || (size_t)st.st_size > VS_SNAPSHOT_MAX ||
	    !(buf = malloc((size_t)st.st_size)))
		goto out;
	while (got < (size_t)st.st_size) {
		ssize_t r = pread(vs_ho.fd, buf + got, (size_t)st.st_size - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got == (size_t)st.st_size)
		rc = vs_snapshot_parse(buf, got, snap);
out:
	vs_snapshot_unlock(vs_ho.fd, LOCK_DATA);
	free_raw(buf, got);
	return rc;
}
