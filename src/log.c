#include "vs_log.h"

#include <stdio.h>
#include <string.h>

static vs_log_level level = VS_LOG_OFF;
/* (initial-exec: the preload's getenv path may not call __tls_get_addr) */
static __thread int muted __attribute__((tls_model("initial-exec")));

void vs_log_mute(bool on)
{
	muted = on;
}

int vs_log_init(const char *spec)
{
	static const char *const names[] = {"debug", "info", "warn", "error", "off"};

	level = VS_LOG_WARN;
	if (!spec || !*spec)
		return 0;
	for (int i = 0; i <= VS_LOG_OFF; i++)
		if (!strcmp(spec, names[i])) {
			level = (vs_log_level)i;
			return 0;
		}
	return -1;
}

bool vs_log_enabled(vs_log_level lvl)
{
	return lvl >= level && level != VS_LOG_OFF && !muted;
}

void vs_log(vs_log_level lvl, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!vs_log_enabled(lvl))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	/* one write per line so lines from several processes do not interleave */
	fprintf(stderr, "vaultshim: %s\n", line);
}
