/*
 * vs_snapshot.h — what a process tree's hand-off holds (preload/handoff.c):
 * the config path, the options the preload needs before main, the mapped
 * names in config order and, once some process of the tree has resolved,
 * the value each name is served. The format is this program's own (it
 * never leaves the tree): an 8-byte magic, then native 32-bit numbers and
 * length-prefixed strings.
 *
 * Ownership: a parsed snapshot owns one block (buf) holding every array and
 * string; vs_snapshot_free clears and frees it. The preload keeps the block
 * for the life of the process once it serves the values.
 */
#ifndef VS_SNAPSHOT_H
#define VS_SNAPSHOT_H

#include "vs_common.h"

#include <stdint.h>
#include <sys/types.h>

#define VS_SNAPSHOT_MAX (64u * 1024 * 1024)

typedef struct vs_snapshot {
	const char *config_path;
	const char *eager_programs;  /* "" when none */
	int mode;                    /* vs_mode */
	bool inherit;
	bool resolved;               /* values are set */
	long timeout_ms;             /* the config's [vault] timeout; -1 unset */
	/* [options] refresh (0 = off), and when the values were last resolved
	 * for the tree (CLOCK_MONOTONIC ms, 0 = never; a failed refresh counts:
	 * the tree retries once per period) with a count bumped at each write
	 * of values (README "Rotation and leases") */
	long refresh_ms;
	double resolved_at_ms;
	uint32_t generation;
	/* the tree's last failed refresh for a cause that is the tree's (Vault
	 * down, sealed, hanging: not one process's missing token or sandbox),
	 * and how much longer than a period the tree waits after it (each try
	 * at a hung Vault blocks a getenv for the whole deadline); 0, 0 when
	 * none. A failure never touches the values. */
	double failed_at_ms;
	long retry_ms;
	/* The launch environment's values of the variables the config expands
	 * (${APP_ENV}): "NAME\x01VALUE\x02" each, "NAME\x02" when unset. Any
	 * process of the tree that resolves expands the config with these, so
	 * the tree's values do not depend on which process resolved. */
	const char *inputs;
	size_t n;
	const char *const *names;
	const char *const *values;   /* resolved: the value, or NULL when none */
	const bool *from_env;        /* the value came from the real environment */
	/* each name's value in the launch environment (the env fallback of a
	 * resolution made anywhere in the tree), or NULL */
	const char *const *ambient;
	/* the config's text as the tree's first process read it at its start
	 * (docs/design.md, pitfall 13): a process of the tree that resolves later parses
	 * this, never the file, which may have been renamed or changed since;
	 * "" when unknown */
	const char *config_text;
	char *buf;                   /* parsed: owns all of the above */
	size_t buf_len;
} vs_snapshot;

/* Where the head keeps the time of the last resolution (64 bits) and the
 * write count (32 bits): a process maps the head and compares the count at
 * each getenv (no system call), and `vaultshim exec --watch` marks a tree's
 * values stale in place (vs_snapshot_mark_stale). */
#define VS_SNAPSHOT_AT_OFFSET 36
#define VS_SNAPSHOT_GEN_OFFSET 44
#define VS_SNAPSHOT_FAILED_OFFSET 48
/* The hand-off's record locks (fcntl, one byte each): held while one
 * process resolves for the tree; held while the snapshot is written or
 * read. */
#define VS_SNAPSHOT_LOCK_RESOLVE 0
#define VS_SNAPSHOT_LOCK_DATA 1
/* Takes one of them (type F_RDLCK or F_WRLCK), retried until deadline_ms
 * (monotonic; F_SETLKW could wait forever on a stopped holder): 0 or -1.
 * Only system calls (a fork handler may). */
int vs_snapshot_lock(int fd, short type, off_t byte, double deadline_ms);
void vs_snapshot_unlock(int fd, off_t byte);

/* Writes s (buf unused) as a malloc'd block (secret: clear and free it).
 * Returns NULL when out of memory or larger than VS_SNAPSHOT_MAX. */
char *vs_snapshot_format(const vs_snapshot *s, size_t *len);

/* Writes into buf (size bytes) the snapshot of a hand-off with no names
 * yet, naming only config_path, without allocating (a fork handler writes
 * it), all but the text_len bytes of the config text, which the caller
 * writes right after. Returns the length written, or 0 when it does not
 * fit. */
size_t vs_snapshot_format_empty(char *buf, size_t size, const char *config_path, size_t text_len);

/* Parses len bytes into *out (owning a new block). 0, or -1 when the bytes
 * are not a whole snapshot (out is then empty). */
int vs_snapshot_parse(const char *buf, size_t len, vs_snapshot *out);

/*
 * Reads only the fixed head of a snapshot (mode, inherit, config path,
 * eager_programs), which is the same in every rewrite of one tree: enough
 * for a process to decide, before main, whether it must act now. The
 * strings point into buf, NOT NUL-terminated: their lengths are set. 0, or
 * -1 when buf does not begin like a snapshot.
 */
typedef struct vs_snapshot_head {
	int mode;
	bool inherit;
	const char *config_path, *eager_programs;
	size_t config_path_len, eager_programs_len;
} vs_snapshot_head;
int vs_snapshot_head_parse(const char *buf, size_t len, vs_snapshot_head *h);

/* In the hand-off open read-write on fd (a tree's memfd, opened through
 * /proc/PID/fd by the supervising launcher): when it is the snapshot of
 * config_path and holds values, marks them stale (time 0, count + 1), so
 * that every process of the tree resolves again, once for the tree, at its
 * next getenv of a mapped name. Waits for a resolution in progress (both
 * locks, each until deadline_ms, monotonic). 0, 1 when the snapshot is
 * another config's or has no values yet, -1 on error (errno). */
int vs_snapshot_mark_stale(int fd, const char *config_path, double deadline_ms);

/* Clears and frees what vs_snapshot_parse allocated; out is emptied. */
void vs_snapshot_free(vs_snapshot *s);

/* The value of name in a snapshot's inputs: *found is false when the name
 * is not among them; the value is NULL when it was unset. Returns a pointer
 * into inputs, valid up to the next '\x02' (copied to buf, size bufsz). */
const char *vs_snapshot_input(const char *inputs, const char *name, char *buf, size_t bufsz,
			      bool *found);

/* One record of inputs at *p: the name (nlen bytes) and the value (vlen
 * bytes, NULL when it was unset), both pointing into inputs; moves *p past
 * it. false at the end. */
bool vs_snapshot_input_next(const char **p, const char **name, size_t *nlen, const char **value,
			    size_t *vlen);

/* Appends name (and value, NULL when unset) to the inputs in a buffer of
 * size bytes. false, and nothing added, when the name is there already,
 * either holds a separator, or it does not fit. */
bool vs_snapshot_input_add(char *inputs, size_t size, const char *name, const char *value);

#endif
