/*
 * vaultshim — the commands that talk to Vault: check, get, run, resolve,
 * migrate, version (vaultshim-client.so, loaded by src/cli/vaultshim.c).
 * Failures print one line "vaultshim: context: reason" and exit with the
 * sysexits code (see vs_common.h); values never reach the terminal except
 * through `get`, whose whole purpose is to print one.
 */
#define _GNU_SOURCE
#include "cli/vs_cli.h"
#include "core/vs_target.h"
#include "core/vs_audit.h"
#include "core/vs_config.h"
#include "core/vs_wire.h"
#include "core/vs_log.h"
#include "cli/vs_migrate.h"
#include "core/vs_resolve.h"
#include "vault/vs_vault.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

/* the Makefile passes it, from the VERSION file: no second copy here */
#ifndef VS_VERSION
#error "VS_VERSION is not defined (build with make)"
#endif

static const char usage_main[] =
	"usage: vaultshim COMMAND [OPTIONS]\n"
	"\n"
	"Give unmodified programs their secrets from HashiCorp Vault through the\n"
	"environment variables they already read.\n"
	"\n"
	"commands:\n"
	"  check [-c FILE] [--json] [--strict] [--dynamic]\n"
	"                             resolve every mapped name; show its source, path\n"
	"                             and time (never the value); exit non-zero when a\n"
	"                             program started now would be refused\n"
	"  get [-c FILE] NAME         print the value of one mapped name\n"
	"  exec [-c FILE] [--mode M] [--check] -- CMD...\n"
	"                             run CMD with the preload: its mapped names\n"
	"                             resolve when first read (see exec --help)\n"
	"  run [-c FILE] -- CMD...    resolve, export the values, exec CMD\n"
	"  migrate --env-file F --path P [...]\n"
	"                             move secrets from a .env file into Vault\n"
	"  version                    print the version\n"
	"  resolve -c FILE            the preload's helper (internal; see --help)\n"
	"\n"
	"Run 'vaultshim COMMAND --help' for a command's options.\n"
	"\n"
	"config file: -c FILE, else $VAULTSHIM_CONFIG, else ./vaultshim.conf, else\n"
	"/etc/vaultshim.conf. Logging: VAULTSHIM_LOG=debug|info|warn|error|off.\n"
	"exit codes: 64 usage, 65 required secret missing, 69 Vault unavailable,\n"
	"77 permission denied, 78 config error; run: the command's own status,\n"
	"126 not executable, 127 not found.\n";

static const char usage_get[] =
	"usage: vaultshim get [-c FILE] NAME\n"
	"\n"
	"Resolve NAME (which must be mapped in [env]) through the same sources and\n"
	"policy as a program would, and print its value followed by a newline.\n"
	"Exit 65 when it has no value from any source.\n"
	"\n"
	"  -c, --config FILE   config file (default: see 'vaultshim --help')\n";

static const char usage_run[] =
	"usage: vaultshim run [-c FILE] -- CMD [ARGS...]\n"
	"\n"
	"Resolve every mapped name, place the values in the environment and exec\n"
	"CMD (environment mode: for programs that cannot take the preload, such as\n"
	"static binaries). VAULTSHIM_CONFIG is set to the config's absolute path.\n"
	"When the policy refuses (a required secret missing, on_error = fail and\n"
	"Vault failing) CMD is not started. The exit status is CMD's own; 126 when\n"
	"it cannot be executed, 127 when it is not found.\n"
	"\n"
	"  -c, --config FILE   config file (default: see 'vaultshim --help')\n";

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

static const char usage_migrate[] =
	"usage: vaultshim migrate --env-file FILE --path VAULT_PATH\n"
	"                         [--keys A,B | --all | --secrets-only] [--match WORDS]\n"
	"                         [--config-out FILE] [--strip] [--backup-dir DIR]\n"
	"                         [--overwrite]\n"
	"                         [--dry-run] [--yes] [-c FILE]\n"
	"\n"
	"Moves secrets from a .env file into Vault, then maps them so the program\n"
	"reads them through vaultshim unchanged. Steps: parse FILE (every line it\n"
	"cannot parse is reported as FILE:LINE and nothing happens); choose the\n"
	"names; show the plan (names and destinations, never values); ask (unless\n"
	"--yes); write them to VAULT_PATH in one KV write (v2: check-and-set);\n"
	"read them back through the resolver; then back up FILE (--strip: mode\n"
	"0600, in the backup directory), extend the config, strip FILE, and verify\n"
	"again through the config, restoring FILE on any mismatch. Run it twice:\n"
	"the second run changes nothing and says so. A new config gets a [vault]\n"
	"section reaching Vault as the migration did (never a token or secret_id)\n"
	"and its names are marked required. Files are replaced atomically, through\n"
	"symlinks, keeping their owner, group and mode.\n"
	"\n"
	"  --env-file FILE     the .env to migrate (python-dotenv syntax)\n"
	"  --path VAULT_PATH   destination, e.g. secret/myapp/production; each name\n"
	"                      becomes a field of that secret, named as the variable\n"
	"  --secrets-only      names containing SECRET, PASSWORD, PASSWD, TOKEN, KEY,\n"
	"                      CREDENTIAL or PRIVATE, and URLs holding a password\n"
	"                      (the default)\n"
	"  --match WORDS       comma-separated words replacing that list\n"
	"  --keys A,B          exactly these names (each must be in FILE)\n"
	"  --all               every name with a value\n"
	"  --config-out FILE   write or extend this mapping config ([env] lines)\n"
	"  --strip             remove the migrated lines from FILE, keeping every\n"
	"                      other byte (comments, order, other values)\n"
	"  --backup-dir DIR    where --strip keeps the original FILE (created 0700;\n"
	"                      refused if not yours or open to group or others);\n"
	"                      default $XDG_STATE_HOME/vaultshim, else\n"
	"                      ~/.local/state/vaultshim. The backup is named after\n"
	"                      FILE's path and the UTC time, mode 0600\n"
	"  --overwrite         replace different values already in Vault (refused\n"
	"                      otherwise)\n"
	"  --dry-run           show the plan; change nothing\n"
	"  --yes               do not ask (required when stdin is not a terminal)\n"
	"  -c, --config FILE   take [vault] connection settings from this config;\n"
	"                      otherwise VAULT_ADDR, VAULT_TOKEN, ...\n"
	"exit: 0 done or nothing to do; 64 usage; 65 FILE unparseable or values\n"
	"differ in Vault; 69/77 Vault unavailable/denied; 74 file errors.\n";

/* run and resolve speak through the log format: their lines end up among
 * a program's or a service's own (the journal); the commands a person
 * types keep a Unix tool's "vaultshim: context: reason" */
static bool log_format_errors;

static void die(int code, const char *ctx, const char *msg)
{
	if (log_format_errors)
		vs_log_always(VS_LOG_ERROR, "%s: %s", ctx, msg);
	else
		fprintf(stderr, "vaultshim: %s: %s\n", ctx, msg);
	exit(code);
}

static void usage_error(const char *ctx, const char *msg, const char *usage)
{
	fprintf(stderr, "vaultshim: %s: %s\n%s", ctx, msg, usage);
	exit(VS_EX_USAGE);
}

/* -c FILE, else $VAULTSHIM_CONFIG, else ./vaultshim.conf, else /etc
 * (vs_config_locate); the caller frees the path. */
static char *config_path(const char *opt)
{
	char abs[PATH_MAX];
	vs_error err = {0};
	char *p;

	if (vs_config_locate(opt, abs, &err)) {
		if (log_format_errors)
			vs_log_always(VS_LOG_ERROR, "%s", err.msg);
		else
			fprintf(stderr, "vaultshim: %s\n", err.msg);
		exit(err.code);
	}
	if (!(p = strdup(abs)))
		die(VS_EX_SOFTWARE, "config", "out of memory");
	return p;
}

static vs_config *load_config(const char *path)
{
	vs_config *cfg = NULL;
	vs_error err = {0};

	if (vs_config_load(path, vs_libc_getenv, NULL, &cfg, &err))
		die(err.code, "config", err.msg);
	return cfg;
}

/* Options shared by the commands: -c FILE, --json; returns the index of the
 * first operand. "--" ends the options. */
static int parse_opts(int argc, char **argv, const char *usage, const char **cfg, bool *json,
		      bool *dynamic, const char *ctx)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			return i + 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			exit(0);
		} else if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
			if (++i >= argc)
				usage_error(ctx, "-c needs a file", usage);
			*cfg = argv[i];
		} else if (!strncmp(a, "--config=", 9)) {
			*cfg = a + 9;
		} else if (!strcmp(a, "--json") && json) {
			*json = true;
		} else if (!strcmp(a, "--dynamic") && dynamic) {
			*dynamic = true;
		} else if (a[0] == '-' && a[1]) {
			char msg[256];
			snprintf(msg, sizeof msg, "unknown option '%s'", a);
			usage_error(ctx, msg, usage);
		} else {
			return i;
		}
	}
	return i;
}

/* A failure of the connection settings (a token file that cannot be read
 * or is open to others, a bad VAULT_ADDR, a CA file refused) is Vault's
 * failure for every name, as the helper reports it to the preload
 * (cmd_resolve): the policy decides, so check, get and run answer what a
 * program under the preload gets. */
static int settings_failed(void *ctx, const vs_vault_req *reqs, size_t n, vs_secret *out,
			   vs_vault_stats *stats, vs_error *err)
{
	const vs_error *why = ctx;

	(void)reqs;
	(void)n;
	(void)out;
	(void)stats;
	return vs_fail(err, why->code, "%s", why->msg);
}

/* The audit record of a resolution that serves values (run, get): a
 * trail that cannot be written is said, and the command goes on, as the
 * preload does (check is where a broken trail fails). */
static void audit(const vs_config *cfg, const char *event, const char *cmd, const vs_resolution *res)
{
	vs_error err = {0};

	if (vs_audit_record(cfg, event, cmd, res, &err))
		vs_log_always(VS_LOG_ERROR, "%s; the values are served without this record", err.msg);
}

int vs_cli_resolve(const vs_config *cfg, const char *const *names, size_t n, enum vs_dynamic_reads dyn,
		   vs_resolution *res, vs_error *err)
{
	vs_vault_settings s;
	vs_error why = {0};
	int rc;

	if ((rc = vs_vault_settings_init(&s, cfg, vs_libc_getenv, NULL, &why))) {
		if (rc == VS_EX_SOFTWARE)
			return vs_fail(err, rc, "%s", why.msg);
		vs_log(VS_LOG_DEBUG, "connection settings refused: %s", why.msg);
		return vs_resolve(cfg, names, n, vs_libc_getenv, NULL, settings_failed, &why, res, err);
	}
	s.skip_dynamic = dyn == VS_DYN_SKIP;
	s.revoke_leases = dyn == VS_DYN_READ_REVOKE;
	rc = vs_resolve(cfg, names, n, vs_libc_getenv, NULL, vs_vault_fetch, &s, res, err);
	vs_vault_settings_clear(&s);
	return rc;
}

static void resolve_or_die(const vs_config *cfg, const char *const *names, size_t n,
			   enum vs_dynamic_reads dyn, vs_resolution *res)
{
	vs_error err = {0};

	if (vs_cli_resolve(cfg, names, n, dyn, res, &err))
		die(err.code, "resolve", err.msg);
}

static int cmd_get(int argc, char **argv)
{
	const char *cfg_opt = NULL;
	int first = parse_opts(argc, argv, usage_get, &cfg_opt, NULL, NULL, "get");
	const char *name;
	char *path;
	vs_config *cfg;
	vs_resolution res;
	int status;

	if (first != argc - 1)
		usage_error("get", first >= argc ? "missing NAME" : "too many arguments", usage_get);
	name = argv[first];
	path = config_path(cfg_opt);
	cfg = load_config(path);
	if (!vs_config_find(cfg, name)) {
		fprintf(stderr, "vaultshim: get: '%s' is not mapped in [env] of %s; add a line '%s = path#field' "
			"to its [env]\n", name, path, name);
		exit(VS_EX_USAGE);
	}
	resolve_or_die(cfg, &name, 1, VS_DYN_READ, &res);
	audit(cfg, "get", NULL, &res);
	status = res.status;
	if (status) {
		fprintf(stderr, "vaultshim: get: %s\n", res.message);
	} else if (!res.values[0].value) {
		fprintf(stderr, "vaultshim: get: %s: no value from Vault (%s), the environment, dotenv or a default; "
			"fix Vault's answer, or give it a fallback (set %s in the environment, or default= on its "
			"line in [env])\n", name, res.values[0].vault_err, name);
		status = VS_EX_MISSING;
	} else {
		fputs(res.values[0].value, stdout);
		putchar('\n');
	}
	vs_resolution_clear(&res);
	vs_config_free(cfg);
	free(path);
	return status;
}

static int exec_status(const char *cmd, int e)
{
	vs_log_always(VS_LOG_ERROR, "run: %s: %s", cmd, strerror(e));
	return e == ENOENT ? 127 : 126;
}

/* A setuid, setgid or file-capability CMD is never given the values:
 * privileged programs reset the environment or, worse, keep it (`sudo -E`
 * would hand every secret to root). Says so once. */
static bool secure_target(const char *cmd)
{
	char path[PATH_MAX];
	vs_target t;
	const char *p = getenv("PATH");

	if (vs_target_lookup(cmd, p, path, sizeof path) || vs_target_inspect(path, p, &t) || !t.secure)
		return false;
	vs_log_always(VS_LOG_WARN,
		      "run: %s is %s (%s): it runs without its secrets, since exporting them "
		      "would hand every one of them to a privileged program; run the unprivileged program it "
		      "starts under vaultshim instead",
		      cmd, t.secure, t.secure_file);
	return true;
}

static int cmd_run(int argc, char **argv)
{
	const char *cfg_opt = NULL;
	int first = parse_opts(argc, argv, usage_run, &cfg_opt, NULL, NULL, "run");
	char *path;
	vs_config *cfg;
	vs_resolution res;

	if (first >= argc)
		usage_error("run", "missing command (vaultshim run [-c FILE] -- CMD...)", usage_run);
	log_format_errors = true;
	path = config_path(cfg_opt);
	cfg = load_config(path);
	if (secure_target(argv[first])) {
		/* nothing to export into it: start it as it is */
		vs_config_free(cfg);
		free(path);
		fflush(NULL);
		execvp(argv[first], argv + first);
		return exec_status(argv[first], errno);
	}
	resolve_or_die(cfg, NULL, 0, VS_DYN_READ, &res);
	audit(cfg, "run", argv[first], &res);
	if (res.status)
		die(res.status, "run", res.message);
	for (size_t i = 0; i < res.n; i++) {
		const vs_value *v = &res.values[i];
		/* env-sourced names are already in the environment as they were */
		if (v->value && v->source != VS_SRC_ENV && setenv(v->entry->name, v->value, 1))
			die(VS_EX_OSERR, "run", "setenv failed");
	}
	if (setenv("VAULTSHIM_CONFIG", path, 1))
		die(VS_EX_OSERR, "run", "setenv failed");
	vs_resolution_clear(&res);
	vs_config_free(cfg);
	free(path);
	fflush(NULL);
	execvp(argv[first], argv + first);
	return exec_status(argv[first], errno);
}

static int cmd_migrate(int argc, char **argv)
{
	vs_migrate_opts o = {0};
	const char *cfg_opt = NULL;
	vs_config *conn = NULL;
	int modes = 0, rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **val = NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_migrate, stdout);
			return 0;
		} else if (!strcmp(a, "--env-file")) {
			val = &o.env_file;
		} else if (!strcmp(a, "--path")) {
			val = &o.path;
		} else if (!strcmp(a, "--keys")) {
			val = &o.keys;
			modes++;
		} else if (!strcmp(a, "--match")) {
			val = &o.match;
		} else if (!strcmp(a, "--config-out")) {
			val = &o.config_out;
		} else if (!strcmp(a, "--backup-dir")) {
			val = &o.backup_dir;
		} else if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
			val = &cfg_opt;
		} else if (!strcmp(a, "--all")) {
			o.all = true;
			modes++;
		} else if (!strcmp(a, "--secrets-only")) {
			modes++;
		} else if (!strcmp(a, "--strip")) {
			o.strip = true;
		} else if (!strcmp(a, "--dry-run")) {
			o.dry_run = true;
		} else if (!strcmp(a, "--yes")) {
			o.yes = true;
		} else if (!strcmp(a, "--overwrite")) {
			o.overwrite = true;
		} else {
			char msg[256];
			snprintf(msg, sizeof msg, "unknown argument '%s'", a);
			usage_error("migrate", msg, usage_migrate);
		}
		if (val) {
			if (++i >= argc || !*argv[i]) {
				char msg[128];
				snprintf(msg, sizeof msg, "%s needs a value", a);
				usage_error("migrate", msg, usage_migrate);
			}
			*val = argv[i];
		}
	}
	if (!o.env_file || !o.path)
		usage_error("migrate", "--env-file and --path are required", usage_migrate);
	if (modes > 1)
		usage_error("migrate", "--keys, --all and --secrets-only exclude each other", usage_migrate);
	if (o.match && (o.keys || o.all))
		usage_error("migrate", "--match applies to --secrets-only only", usage_migrate);
	while (*o.path == '/')
		o.path++;
	if (cfg_opt) {
		char *path = config_path(cfg_opt);
		conn = load_config(path);
		free(path);
	}
	rc = vs_migrate(&o, conn, stdout);
	vs_config_free(conn);
	return rc;
}

static int write_all(int fd, const char *p, size_t n)
{
	return vs_write_all(fd, p, n);
}

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
	 * preload keeps from it until the values are in (design, pitfall 12),
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
		usage_error("resolve", "--config-fd needs a descriptor number above 2", usage_resolve);
	if (vs_read_fd((int)fd, path, VS_CONFIG_MAX, &text, &len, &err) ||
	    vs_config_parse(path, text, len, vs_libc_getenv, NULL, &cfg, &err))
		die(err.code, "config", err.msg);
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

static int cmd_resolve(int argc, char **argv)
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
		usage_error("resolve", "--config-fd needs a descriptor number above 2", usage_resolve);
	fd_arg = take_opt(&argc, argv, "--config-fd", true);
	/* --for PID:PROG: the program this helper reads for (the preload's
	 * host): its lines and its User-Agent name that program */
	if ((who = take_opt(&argc, argv, "--for", true))) {
		char *end;
		const char *colon = strchr(who, ':');
		long pid = strtol(who, &end, 10);
		if (!colon || end != colon || pid <= 0)
			usage_error("resolve", "--for needs PID:PROG", usage_resolve);
		vs_log_set_prog(colon + 1, pid);
		vs_vault_user_agent(colon + 1);
	}
	skip_dynamic = take_opt(&argc, argv, "--skip-dynamic", false) != NULL;
	first = parse_opts(argc, argv, usage_resolve, &cfg_opt, NULL, NULL, "resolve");
	if (first < argc || !cfg_opt)
		usage_error("resolve", "needs -c FILE and nothing else", usage_resolve);
	log_format_errors = true;
	/* (read before the hygiene closes every descriptor above 2) */
	cfg = fd_arg ? config_from_fd(cfg_opt, fd_arg) : NULL;
	helper_hygiene();
	if (!cfg)
		cfg = load_config(cfg_opt);
	reqs = calloc(cfg->n_entries + 1, sizeof *reqs);
	secs = calloc(cfg->n_entries + 1, sizeof *secs);
	if (!reqs || !secs)
		die(VS_EX_SOFTWARE, "resolve", "out of memory");
	for (size_t i = 0; i < cfg->n_entries; i++)
		reqs[i] = (vs_vault_req){.path = cfg->entries[i].path, .version = cfg->entries[i].version,
					 .kv_version = cfg->entries[i].kv_version};
	if ((batch = vs_vault_settings_init(&s, cfg, vs_libc_getenv, NULL, &err)) == 0) {
		s.skip_dynamic = skip_dynamic;
		batch = vs_vault_read(&s, reqs, cfg->n_entries, secs, &stats, &err);
		vs_vault_settings_clear(&s);
	}
	out = vs_helper_format(cfg, secs, batch, err.msg, stats.requests, &len);
	if (!out || write_all(1, out, len) < 0)
		rc = VS_EX_IOERR;
	if (out) {
		explicit_bzero(out, len);
		free(out);
	}
	for (size_t i = 0; i < cfg->n_entries; i++)
		vs_secret_clear(&secs[i]);
	free(secs);
	free(reqs);
	vs_config_free(cfg);
	return rc;
}

/* Loaded by the front (src/cli/vaultshim.c) for every command but exec;
 * the only symbol this library exports. */
__attribute__((visibility("default"))) int vs_client_main(int argc, char **argv);

int vs_client_main(int argc, char **argv)
{
	const char *cmd;

	vs_log_set_prog("vaultshim", 0);
	/* the helper says a bad setting only with a line of its own (the
	 * preload it serves says it with its first line) */
	vs_log_setup(getenv("VAULTSHIM_LOG"), getenv("VAULTSHIM_LOG_FORMAT"), getenv("JOURNAL_STREAM"),
		     argc > 1 && !strcmp(argv[1], "resolve"));
	if (argc < 2) {
		fputs(usage_main, stderr);
		return VS_EX_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("vaultshim %s (libcurl %s)\n", VS_VERSION, curl_version_info(CURLVERSION_NOW)->version);
		return 0;
	}
	vs_vault_global_init();
	/* the command is who asks Vault (resolve: the program it serves, --for) */
	vs_vault_user_agent(!strcmp(cmd, "__watch") ? "exec" : cmd);
	if (!strcmp(cmd, "check"))
		return vs_cmd_check(argc - 1, argv + 1);
	if (!strcmp(cmd, "get"))
		return cmd_get(argc - 1, argv + 1);
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "resolve"))
		return cmd_resolve(argc - 1, argv + 1);
	if (!strcmp(cmd, "__watch")) /* vaultshim exec with watch (src/cli/watch.c) */
		return vs_cmd_watch(argc - 1, argv + 1);
	if (!strcmp(cmd, "migrate"))
		return cmd_migrate(argc - 1, argv + 1);
	fprintf(stderr, "vaultshim: unknown command '%s'\n%s", cmd, usage_main);
	return VS_EX_USAGE;
}
