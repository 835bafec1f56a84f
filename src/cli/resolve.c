/*
 * vaultshim resolve — the helper the preload runs (vaultshim-client.so): it
 * reads every [env] entry from Vault in a process of its own and writes the
 * outcomes to stdout in the helper protocol (src/core/vs_wire.h). Uses the
 * commands' shared helpers (src/cli/client.c), the core and the Vault client.
 */
#define _GNU_SOURCE
#include "cli/vs_cli.h"
#include "core/vs_config.h"
#include "core/vs_log.h"
#include "core/vs_wire.h"
#include "vault/vs_vault.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

static const char usage_resolve[] =
	"usage: vaultshim resolve -c FILE [--config-fd N] [--skip-dynamic] [--for PID:PROG]\n"
	"\n"
	"The helper the preload (libvaultshim.so) runs, without the preload, to read\n"
	"Vault in a separate process. Reads every [env] entry of FILE and writes each\n"
	"one's outcome to stdout in the helper protocol (see src/core/vs_wire.h). Not\n"
	"meant for people: use 'vaultshim check' to see what resolves.\n"
	"\n"
	"  --config-fd N  read FILE's text from descriptor N (the copy the preload\n"
	"                 read and checked at its start) instead of opening FILE\n"
	"  --skip-dynamic the paths on a dynamic engine (database/creds/...) are\n"
	"                 looked up, not read: a refresh never mints a credential\n"
	"  --for PID:PROG the program it reads for: its log lines say\n"
	"                 vaultshim[PID] PROG, its User-Agent vaultshim/VERSION (PROG)\n";

/* The helper holds the token and the values: no core dump of it, none of
 * the host's descriptors (listening sockets, lock files) kept open while it
 * talks to Vault, and 0-2 always open, so that no socket of libcurl's takes
 * the number its log lines go to. */
static void helper_hygiene(void)
{
	struct rlimit none = {0, 0};

	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	setrlimit(RLIMIT_CORE, &none);
	/* Ctrl-C reaches the whole process group: the program, which the
	 * preload keeps from it until the values are in (docs/design.md, pitfall 12),
	 * and this helper, which must not die then and leave the program
	 * without them; the preload's deadline still bounds it */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int n = open("/dev/null", fd ? O_WRONLY : O_RDONLY);
		if (n >= 0 && n != fd) {
			dup2(n, fd);
			close(n);
		}
	}
	if (close_range(3, ~0U, 0) != 0) {
		long max = sysconf(_SC_OPEN_MAX);
		for (long fd = 3; fd < (max > 0 ? max : 1024); fd++)
			close((int)fd);
	}
}

/* The config the preload handed over on descriptor fd_arg: the text it read
 * at its start, so that a file renamed or made unsafe since changes
 * nothing for a program already running. */
static vs_config *config_from_fd(const char *path, const char *fd_arg)
{
	vs_config *cfg = NULL;
	vs_error err = {0};
	char *text = NULL, *end;
	size_t len = 0;
	long fd = strtol(fd_arg, &end, 10);

	if (*fd_arg < '0' || *fd_arg > '9' || *end || fd < 3 || fd > 1024)
		vs_cli_usage_error("resolve", "--config-fd needs a descriptor number above 2", usage_resolve);
	if (vs_read_fd((int)fd, path, VS_CONFIG_MAX, &text, &len, &err) ||
	    vs_config_parse(path, text, len, vs_libc_getenv, NULL, &cfg, &err))
		vs_cli_die(err.code, "config", err.msg);
	free(text);
	return cfg;
}

/* Takes the first `opt` (and, with arg, the word after it) out of argv,
 * before the shared options: its value, opt itself when it takes none, or
 * NULL when it is not there. */
static const char *take_opt(int *argc, char **argv, const char *opt, bool arg)
{
	int n = arg ? 2 : 1;

	for (int i = 1; i + n - 1 < *argc; i++)
		if (!strcmp(argv[i], opt)) {
			const char *v = argv[i + n - 1];
			memmove(argv + i, argv + i + n, (size_t)(*argc - i - n + 1) * sizeof *argv);
			*argc -= n;
			return v;
		}
	return NULL;
}

int vs_cmd_resolve(int argc, char **argv)
{
	const char *cfg_opt = NULL, *fd_arg, *who;
	bool skip_dynamic;
	int first;
	vs_config *cfg;
	vs_vault_settings s;
	vs_vault_stats stats = {0};
	vs_vault_req *reqs;
	vs_secret *secs;
	vs_error err = {0};
	char *out;
	size_t len = 0;
	int batch = 0, rc = 0;

	/* --config-fd N: taken out before the shared options */
	if (argc > 1 && !strcmp(argv[argc - 1], "--config-fd"))
		vs_cli_usage_error("resolve", "--config-fd needs a descriptor number above 2", usage_resolve);
	fd_arg = take_opt(&argc, argv, "--config-fd", true);
	/* --for PID:PROG: the program this helper reads for (the preload's
	 * host): its lines and its User-Agent name that program */
	if ((who = take_opt(&argc, argv, "--for", true))) {
		char *end;
		const char *colon = strchr(who, ':');
		long pid = strtol(who, &end, 10);
		if (!colon || end != colon || pid <= 0)
			vs_cli_usage_error("resolve", "--for needs PID:PROG", usage_resolve);
		vs_log_set_prog(colon + 1, pid);
		vs_vault_user_agent(colon + 1);
	}
	skip_dynamic = take_opt(&argc, argv, "--skip-dynamic", false) != NULL;
	first = vs_cli_parse_opts(argc, argv, usage_resolve, &cfg_opt, "resolve");
	if (first < argc || !cfg_opt)
		vs_cli_usage_error("resolve", "needs -c FILE and nothing else", usage_resolve);
	vs_cli_log_errors();
	/* (read before the hygiene closes every descriptor above 2) */
	cfg = fd_arg ? config_from_fd(cfg_opt, fd_arg) : NULL;
	helper_hygiene();
	if (!cfg)
		cfg = vs_cli_load_config(cfg_opt);
	reqs = calloc(cfg->n_entries + 1, sizeof *reqs);
	secs = calloc(cfg->n_entries + 1, sizeof *secs);
	if (!reqs || !secs)
		vs_cli_die(VS_EX_SOFTWARE, "resolve", "out of memory");
	for (size_t i = 0; i < cfg->n_entries; i++)
		reqs[i] = (vs_vault_req){.path = cfg->entries[i].path, .version = cfg->entries[i].version,
					 .kv_version = cfg->entries[i].kv_version};
	if ((batch = vs_vault_settings_init(&s, cfg, vs_libc_getenv, NULL, &err)) == 0) {
		s.skip_dynamic = skip_dynamic;
		batch = vs_vault_read(&s, reqs, cfg->n_entries, secs, &stats, &err);
		vs_vault_settings_clear(&s);
	}
	out = vs_helper_format(cfg, secs, batch, err.msg, stats.requests, &len);
	if (!out || vs_write_all(1, out, len) < 0)
		rc = VS_EX_IOERR;
	vs_free_secret(out);
	for (size_t i = 0; i < cfg->n_entries; i++)
		vs_secret_clear(&secs[i]);
	free(secs);
	free(reqs);
	vs_config_free(cfg);
	return rc;
}
