#define _GNU_SOURCE
#include "vs_audit.h"
#include "vs_log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* syslog(3)'s LOG_AUTHPRIV | LOG_INFO: who was given which secret belongs
 * with the other access records, in a log only root reads */
#define AUDIT_PRI ((10 << 3) | 6)

/* The room of one string field. The buffers are on the heap: a record is
 * written in the host program's getenv, maybe on a thread with
 * PTHREAD_STACK_MIN (16 KiB) of stack, which three of them would overflow. */
#define FIELD_MAX (4096 + 16)

/* Appends s as a JSON string (quoted) to b, escaped in place into a
 * field's room (FIELD_MAX, quotes included). */
static void put_str(vs_buf *b, const char *s)
{
	size_t start = b->len, pos = 1;

	if (!vs_buf_reserve(b, FIELD_MAX))
		return;
	b->p[start] = '"';
	vs_json_escape(b->p + start, FIELD_MAX - 1, &pos, s ? s : "");
	b->p[start + pos++] = '"';
	b->len = start + pos;
	b->p[b->len] = '\0';
}

/* The record: names, sources, paths, versions — never res's values. */
static void format_record(vs_buf *b, const vs_config *cfg, const char *event, const char *cmd,
			  const vs_resolution *res)
{
	char t[32], *exe = malloc(4096), *ref = malloc(4096);
	ssize_t n = exe ? readlink("/proc/self/exe", exe, 4096 - 1) : -1;

	if (!exe || !ref) {
		b->oom = true;
		goto out;
	}
	exe[n > 0 ? n : 0] = '\0';
	vs_log_time(t, sizeof t);
	vs_buf_printf(b, "{\"time\":\"%s\",\"event\":", t);
	put_str(b, event);
	vs_buf_printf(b, ",\"pid\":%ld,\"uid\":%u,\"prog\":", (long)getpid(), (unsigned)getuid());
	put_str(b, vs_log_prog());
	vs_buf_put(b, ",\"exe\":", 7);
	put_str(b, exe);
	if (cmd) {
		/* run: the program the values are exported to (exe is ours
		 * until the exec that follows) */
		vs_buf_put(b, ",\"cmd\":", 7);
		put_str(b, cmd);
	}
	vs_buf_put(b, ",\"config\":", 10);
	put_str(b, cfg->path);
	vs_buf_printf(b, ",\"status\":%d,\"names\":[", res->status);
	for (size_t i = 0; i < res->n; i++) {
		const vs_value *v = &res->values[i];
		vs_buf_put(b, i ? ",{\"name\":" : "{\"name\":", i ? 9 : 8);
		put_str(b, v->entry->name);
		vs_buf_put(b, ",\"source\":", 10);
		put_str(b, vs_source_name(v->source));
		if (v->source == VS_SRC_VAULT) {
			/* path@version: which version of the secret was served
			 * (KV v2; other engines have none) */
			if (v->kv_version_no > 0)
				snprintf(ref, 4096, "%s@%ld", v->entry->path, v->kv_version_no);
			else
				snprintf(ref, 4096, "%s", v->entry->path);
			vs_buf_put(b, ",\"vault\":", 9);
			put_str(b, ref);
		}
		vs_buf_put(b, "}", 1);
	}
	vs_buf_printf(b, "],\"requests\":%d,\"ms\":%.1f}", res->stats.requests, res->stats.ms);
out:
	free(exe);
	free(ref);
}

static int fail_at(const vs_config *cfg, vs_error *err, int code, const char *what)
{
	return vs_fail(err, code, "%s:%d: audit %s: %s", cfg->path, cfg->options.audit_line,
		       cfg->options.audit == VS_AUDIT_FILE ? cfg->options.audit_file : "syslog", what);
}

/* The trail, opened for appending, checked as the config is. fd or -1. */
static int open_trail(const vs_config *cfg, vs_error *err)
{
	const char *path = cfg->options.audit_file;
	struct stat st;
	vs_error why = {0};
	/* O_NONBLOCK: a FIFO at the path would block the open until a reader
	 * came, in the host program's getenv, its signals blocked (it is then
	 * refused below, as anything but a regular file is; a regular file
	 * ignores the flag) */
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0600);

	if (fd < 0) {
		fail_at(cfg, err, errno == EACCES ? VS_EX_NOPERM : VS_EX_IOERR,
			errno == ELOOP ? "is a symbolic link; name the file itself" : strerror(errno));
		return -1;
	}
	/* on the descriptor: no window between the check and the write */
	if (fstat(fd, &st) < 0) {
		fail_at(cfg, err, VS_EX_IOERR, strerror(errno));
	} else if (vs_check_stat(&st, path, "audit file", false, &why)) {
		/* why: "PATH: refusing audit file …"; the config's line first */
		const char *reason = strstr(why.msg, ": ");
		fail_at(cfg, err, why.code, reason ? reason + 2 : why.msg);
	} else {
		return fd;
	}
	close(fd);
	return -1;
}

/* One datagram on fd (connected to /dev/log), never waiting long: a
 * syslog daemon that stopped reading leaves its queue full, and a blocking
 * send would hang the host program in its getenv. A full queue gets one
 * bounded wait for room (poll on a connected socket sees the peer's queue). */
static bool send_bounded(int fd, const vs_buf *msg)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};

	if (send(fd, msg->p, msg->len, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
		return true;
	if ((errno != EAGAIN && errno != EWOULDBLOCK) || poll(&p, 1, 1000) <= 0)
		return false;
	return send(fd, msg->p, msg->len, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0;
}

static int send_syslog(const vs_config *cfg, const vs_buf *rec, vs_error *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char head[64];
	int hl = snprintf(head, sizeof head, "<%d>vaultshim[%ld]: ", AUDIT_PRI, (long)getpid());
	vs_buf msg = {0};
	int fd, rc = 0;

	vs_buf_put(&msg, head, (size_t)hl);
	vs_buf_put(&msg, rec->p, rec->len);
	if (msg.oom)
		return fail_at(cfg, err, VS_EX_SOFTWARE, "out of memory");
	snprintf(sa.sun_path, sizeof sa.sun_path, "/dev/log");
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || !send_bounded(fd, &msg)) {
		char why[256];
		snprintf(why, sizeof why, "cannot send to /dev/log: %s", strerror(errno));
		rc = fail_at(cfg, err, VS_EX_UNAVAILABLE, why);
	}
	if (fd >= 0)
		close(fd);
	vs_buf_free(&msg);
	return rc;
}

int vs_audit_record(const vs_config *cfg, const char *event, const char *cmd, const vs_resolution *res,
		    vs_error *err)
{
	vs_buf rec = {0};
	int rc = 0, fd;

	if (cfg->options.audit == VS_AUDIT_OFF)
		return 0;
	format_record(&rec, cfg, event, cmd, res);
	if (rec.oom) {
		vs_buf_free(&rec);
		return fail_at(cfg, err, VS_EX_SOFTWARE, "out of memory");
	}
	if (cfg->options.audit == VS_AUDIT_SYSLOG) {
		rc = send_syslog(cfg, &rec, err);
	} else if ((fd = open_trail(cfg, err)) < 0) {
		rc = err->code;
	} else {
		/* one write per record: appenders in other processes never cut
		 * into it (O_APPEND) */
		vs_buf_put(&rec, "\n", 1);
		errno = 0;
		if (!rec.oom && write(fd, rec.p, rec.len) != (ssize_t)rec.len)
			rc = fail_at(cfg, err, VS_EX_IOERR, errno ? strerror(errno) : "short write");
		close(fd);
	}
	vs_buf_free(&rec);
	return rc;
}

int vs_audit_check(const vs_config *cfg, vs_error *err)
{
	int fd;

	if (cfg->options.audit != VS_AUDIT_FILE)
		return 0;
	if ((fd = open_trail(cfg, err)) < 0)
		return err->code;
	close(fd);
	return 0;
}
