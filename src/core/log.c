#define _GNU_SOURCE
#include "vs_log.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static vs_log_level level = VS_LOG_OFF;
static vs_log_format format = VS_LOG_TEXT;
/* JOURNAL_STREAM's device and inode; journal_set false when unset */
static bool journal_set;
static unsigned long long journal_dev, journal_ino;
/* bad settings not yet said (vs_log_setup with defer) */
static atomic_int pending_bad;
static const char *pending_level, *pending_format;
/* (initial-exec: the preload's getenv path may not call __tls_get_addr) */
static __thread int muted __attribute__((tls_model("initial-exec")));

/* the program the lines speak for: 0 unknown, 1 being set, 2 set */
static atomic_int prog_state;
static char prog[64];
static long prog_pid;

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};
/* syslog priorities (sd-daemon(3)): debug 7, info 6, warning 4, err 3 */
static const char level_prio[] = {'7', '6', '4', '3', '3'};

void vs_log_mute(bool on)
{
	muted = on;
}

/* The name kept one printable word: it lands in a log line's head. */
static void clean_prog(char *out, size_t size)
{
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == ' ')
			*p = '_';
	if (!*out)
		snprintf(out, size, "?");
}

void vs_log_set_prog(const char *name, long pid)
{
	/* (the helper's comes from its --for argument: cleaned as comm is) */
	snprintf(prog, sizeof prog, "%s", name && *name ? name : "vaultshim");
	clean_prog(prog, sizeof prog);
	prog_pid = pid;
	atomic_store(&prog_state, 2);
}

/* /proc/self/comm, else glibc's argv[0] basename: system calls only, no
 * allocation. */
static void find_prog(char *out, size_t size)
{
	int fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
	ssize_t n = -1;

	if (fd >= 0) {
		do
			n = read(fd, out, size - 1);
		while (n < 0 && errno == EINTR);
		close(fd);
	}
	if (n <= 0) {
		snprintf(out, size, "%s", program_invocation_short_name ? program_invocation_short_name : "?");
		n = (ssize_t)strlen(out);
	}
	out[n] = '\0';
	if (n > 0 && out[n - 1] == '\n')
		out[--n] = '\0';
	clean_prog(out, size);
}

/* The name, in tmp (room: 64) unless it is published already. */
static const char *prog_into(char *tmp)
{
	int st = atomic_load(&prog_state);

	if (st == 2)
		return prog;
	/* two threads may get here at once: each computes the same name; one
	 * publishes it, the other uses its own copy */
	find_prog(tmp, 64);
	st = 0;
	if (atomic_compare_exchange_strong(&prog_state, &st, 1)) {
		memcpy(prog, tmp, sizeof prog);
		atomic_store(&prog_state, 2);
	}
	return tmp;
}

const char *vs_log_prog(void)
{
	char tmp[64];

	prog_into(tmp);
	/* published by now, unless another thread is between its exchange
	 * and its store: a copy's worth of time. A child forked in that
	 * window has no such thread: after a bounded wait the name is
	 * published here (the same bytes another thread would write). */
	for (int i = 0; atomic_load(&prog_state) != 2; i++) {
		if (i == 1000) {
			memcpy(prog, tmp, sizeof prog);
			atomic_store(&prog_state, 2);
			break;
		}
		sched_yield();
	}
	return prog;
}

static int level_of(const char *spec)
{
	for (int i = 0; i <= VS_LOG_OFF; i++)
		if (!strcasecmp(spec, level_names[i]))
			return i;
	return -1;
}

static void say_bad(int bad, const char *lv, const char *fmt);

int vs_log_setup(const char *lv, const char *fmt, const char *journal, bool defer)
{
	int bad = 0, l;

	level = VS_LOG_WARN;
	format = VS_LOG_TEXT;
	journal_set = false;
	if (lv && *lv) {
		if ((l = level_of(lv)) >= 0)
			level = (vs_log_level)l;
		else
			bad |= VS_LOG_BAD_LEVEL;
	}
	if (fmt && *fmt) {
		if (!strcasecmp(fmt, "json"))
			format = VS_LOG_JSON;
		else if (strcasecmp(fmt, "text"))
			bad |= VS_LOG_BAD_FORMAT;
	}
	if (journal && *journal) {
		char *end;
		errno = 0;
		journal_dev = strtoull(journal, &end, 10);
		if (*end == ':' && !errno) {
			journal_ino = strtoull(end + 1, &end, 10);
			journal_set = !*end && !errno;
		}
	}
	if (bad && defer) {
		/* the environment's strings live as long as the process (the
		 * preload is given them before main and never frees environ) */
		pending_level = lv;
		pending_format = fmt;
		atomic_store(&pending_bad, bad);
	} else if (bad) {
		say_bad(bad, lv, fmt);
	}
	return bad;
}

bool vs_log_enabled(vs_log_level lvl)
{
	return lvl >= level && level != VS_LOG_OFF && !muted;
}

static bool stderr_is_journal(void)
{
	struct stat st;

	return journal_set && fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == journal_dev &&
	       (unsigned long long)st.st_ino == journal_ino;
}

/* Days since 1970-01-01 to a civil date (H. Hinnant's days_from_civil,
 * inverted): gmtime_r takes glibc's tz lock, which a forked child or a
 * signal handler may find held. */
static void civil(long long days, int *y, unsigned *m, unsigned *d)
{
	long long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

void vs_log_time(char *buf, size_t size)
{
	struct timespec ts;
	long long s, days;
	int y;
	unsigned mo, d, sod;

	clock_gettime(CLOCK_REALTIME, &ts);
	s = (long long)ts.tv_sec;
	days = s >= 0 ? s / 86400 : (s - 86399) / 86400;
	sod = (unsigned)(s - days * 86400);
	civil(days, &y, &mo, &d);
	snprintf(buf, size, "%04d-%02u-%02uT%02u:%02u:%02u.%03ldZ", y, mo, d, sod / 3600, sod / 60 % 60, sod % 60,
		 ts.tv_nsec / 1000000);
}

/* Length of the UTF-8 sequence at s (1-4), or 0 when it is not one. */
static int utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	int n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	for (int i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0) || (c == 0xf0 && s[1] < 0x90) ||
	    (c == 0xf4 && s[1] >= 0x90))
		return 0;
	return n;
}

static void put(char *buf, size_t size, size_t *pos, const char *s, size_t n)
{
	if (*pos + 1 >= size)
		return;
	if (n > size - 1 - *pos)
		n = size - 1 - *pos;
	memcpy(buf + *pos, s, n);
	*pos += n;
	buf[*pos] = '\0';
}

void vs_json_escape(char *buf, size_t size, size_t *pos, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		char esc[8];
		const char *piece = esc;
		size_t n;
		int u;
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			n = 2;
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof esc, "\\u%04x", *p);
			n = 6;
		} else if ((u = utf8_len(p)) > 0) {
			piece = (const char *)p;
			n = (size_t)u;
		} else {
			piece = "\\ufffd";
			n = 6;
		}
		/* a sequence or an escape is never cut in two at the end of the
		 * buffer: half an escape is not JSON, and a lone backslash
		 * would escape the closing quote */
		if (*pos + n + 1 > size)
			return;
		put(buf, size, pos, piece, n);
		p += piece == (const char *)p ? n : 1;
	}
}

size_t vs_log_format_line(char *buf, size_t size, vs_log_level lvl, const char *msg, bool journal)
{
	size_t pos = 0;
	char head[160];
	long pid = prog_pid > 0 ? prog_pid : (long)getpid();
	char tmp[64];
	const char *name = prog_into(tmp);
	int hl;

	if (size < 2)
		return 0;
	buf[0] = '\0';
	if (lvl > VS_LOG_ERROR)
		lvl = VS_LOG_ERROR;
	if (journal) {
		char prio[3] = {'<', level_prio[lvl], '>'};
		put(buf, size, &pos, prio, 3);
	}
	if (format == VS_LOG_JSON) {
		char t[32];
		vs_log_time(t, sizeof t);
		hl = snprintf(head, sizeof head, "{\"time\":\"%s\",\"pid\":%ld,\"prog\":\"", t, pid);
		put(buf, size, &pos, head, (size_t)hl);
		vs_json_escape(buf, size, &pos, name);
		hl = snprintf(head, sizeof head, "\",\"level\":\"%s\",\"msg\":\"", level_names[lvl]);
		put(buf, size, &pos, head, (size_t)hl);
		/* room kept for the closing "}\n", however long the message */
		vs_json_escape(buf, size > 4 ? size - 3 : size, &pos, msg);
		put(buf, size, &pos, "\"}", 2);
	} else {
		/* the journal has the level in the priority */
		hl = snprintf(head, sizeof head, journal ? "vaultshim[%ld] %s: " : "vaultshim[%ld] %s: %s: ", pid, name,
			      level_names[lvl]);
		put(buf, size, &pos, head, (size_t)hl < sizeof head ? (size_t)hl : sizeof head - 1);
		size_t from = pos;
		put(buf, size > 2 ? size - 1 : size, &pos, msg, strlen(msg));
		/* one line: a control byte of the message (a path, a name from
		 * a file) must not end it and start a forged one ('?', as in
		 * Vault's error text) */
		for (size_t i = from; i < pos; i++)
			if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
				buf[i] = '?';
	}
	if (pos + 1 >= size)
		pos = size - 2;
	buf[pos++] = '\n';
	buf[pos] = '\0';
	return pos;
}

static void emit(vs_log_level lvl, const char *msg)
{
	char line[4096];
	size_t n = vs_log_format_line(line, sizeof line, lvl, msg, stderr_is_journal());

	/* one write per line so lines from several processes do not interleave */
	vs_write_all(STDERR_FILENO, line, n);
}

static void say_bad(int bad, const char *lv, const char *fmt)
{
	char msg[512];

	/* (what the variable holds is the operator's setting, not a secret;
	 * cut short, since it may be anything) */
	if (bad & VS_LOG_BAD_LEVEL) {
		snprintf(msg, sizeof msg, "VAULTSHIM_LOG '%.40s' is not debug, info, warn, error or off; using warn", lv);
		emit(VS_LOG_WARN, msg);
	}
	if (bad & VS_LOG_BAD_FORMAT) {
		snprintf(msg, sizeof msg, "VAULTSHIM_LOG_FORMAT '%.40s' is not text or json; using text", fmt);
		emit(VS_LOG_WARN, msg);
	}
}

static void vlog(vs_log_level lvl, const char *fmt, va_list ap)
{
	char msg[1024];
	int bad;

	if ((bad = atomic_exchange(&pending_bad, 0)))
		say_bad(bad, pending_level, pending_format);
	vsnprintf(msg, sizeof msg, fmt, ap);
	emit(lvl, msg);
}

void vs_log(vs_log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (!vs_log_enabled(lvl))
		return;
	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
}

void vs_log_always(vs_log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
}
