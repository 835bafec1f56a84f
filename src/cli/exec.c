/*
 * vaultshim exec — launch a program with the preload in front of it.
 *
 * On the launch path there is no fork and no libcurl: the config is parsed
 * (so a mistake stops the launch with FILE:LINE), the target is found as
 * execvp finds it and inspected (src/core/target.c), and the program is
 * exec'd with libvaultshim.so prepended to LD_PRELOAD. Resolution stays
 * lazy: the first process of the tree that reads a mapped name resolves and
 * hands the values down. Three kinds of target are served another way, each
 * said once on stderr:
 *  - secure execution (setuid, setgid, file capabilities): the loader drops
 *    LD_PRELOAD and exporting the values would hand them to a privileged
 *    program that resets or keeps them; it runs without them;
 *  - statically linked (no loader, so no preload): environment mode,
 *    `vaultshim run` (the values are then in its /proc/PID/environ);
 *  - Go with cgo: the Go runtime copies the environment block on its stack,
 *    which setenv cannot extend, so the launcher adds empty slots to that
 *    block that the preload points at the values before Go reads it.
 */
#define _GNU_SOURCE
#include "cli/vs_cli.h"
#include "core/vs_target.h"
#include "core/vs_config.h"
#include "core/vs_log.h"

#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef VS_VERSION
#error "VS_VERSION is not defined (build with make)"
#endif
#ifndef VS_LIBDIR
#define VS_LIBDIR "/usr/local/lib"
#endif

/* An empty slot in a Go program's environment block (see preload/runtime.c). */
#define GO_SLOT "VAULTSHIM_SLOT="

extern char **environ;

static const char usage_exec[] =
	"usage: vaultshim exec [-c FILE] [--mode lazy|eager|auto] [--check] [--watch DURATION|--no-watch]\n"
	"                      [--] CMD [ARGS...]\n"
	"       vaultshim-exec [same options]\n"
	"\n"
	"Runs CMD with libvaultshim.so prepended to LD_PRELOAD, so the environment\n"
	"variables mapped in FILE resolve from Vault when CMD (or any program it\n"
	"starts) first reads one; a launch that never reads one never talks to\n"
	"Vault. CMD is exec'd: signals and the exit status are its own. CMD is\n"
	"found as a shell finds it (PATH); a shell builtin without a program of\n"
	"its own (cd, export...) runs through 'sh -c'.\n"
	"\n"
	"  -c, --config FILE   mapping config; default: $VAULTSHIM_CONFIG, else\n"
	"                      ./vaultshim.conf, else /etc/vaultshim.conf. Checked\n"
	"                      before CMD starts, and passed on to CMD (and its\n"
	"                      children) as an absolute VAULTSHIM_CONFIG.\n"
	"      --mode MODE     lazy (resolve at the first getenv; values never enter\n"
	"                      environ), eager (resolve before main and place the\n"
	"                      values in environ, for runtimes that copy it: Python,\n"
	"                      Perl, shells, Java, Tcl, awk, make...), auto (decide\n"
	"                      per program; the default). Overrides the config's mode.\n"
	"      --check         run 'vaultshim check' first and refuse to start CMD\n"
	"                      (with check's exit code) when a required secret is\n"
	"                      missing or the policy would fail\n"
	"      --watch DURATION  stay as CMD's parent (overrides [options] watch):\n"
	"                      every DURATION (1s or more) poll the mapped paths and\n"
	"                      on a change apply on_change: restart (the default:\n"
	"                      stop_signal, default SIGTERM; SIGKILL after\n"
	"                      restart_grace, default 10s; start again), a signal\n"
	"                      name (SIGHUP...) sent to CMD, or none; signals are\n"
	"                      passed on, the exit status is CMD's (README,\n"
	"                      \"Watching for changes\")\n"
	"      --no-watch      exec CMD even when the config sets watch\n"
	"  -h, --help          this text\n"
	"      --version       print the version (no library loaded, nothing run)\n"
	"\n"
	"Programs the preload cannot serve are served another way, said once on\n"
	"stderr: a statically linked CMD runs in environment mode ('vaultshim run':\n"
	"its values are visible in /proc/PID/environ); a Go program gets its values\n"
	"in the environment block Go copies at start (programs it starts inherit\n"
	"them); a setuid, setgid or file-capability CMD gets no secrets at all\n"
	"(run the unprivileged program it starts under vaultshim instead).\n"
	"\n"
	"Environment: VAULTSHIM_LIB, the path of libvaultshim.so (default: beside\n"
	"this program, then ../lib/, then " VS_LIBDIR ").\n"
	"Exit status: CMD's own; 64 usage, 69 library missing, 77 config unsafe,\n"
	"78 config error or missing, 126 CMD not executable, 127 CMD not found;\n"
	"with --check, check's code.\n";

/* libvaultshim.so: VAULTSHIM_LIB, else beside this program (the build
 * tree), ../lib/ (make install), the configured library directory. */
static void find_lib(char *out, size_t outsz)
{
	const char *env = getenv("VAULTSHIM_LIB");
	char dir[PATH_MAX], cand[PATH_MAX + 32];
	static const char *const rel[] = {"libvaultshim.so", "../lib/libvaultshim.so"};

	if (env && *env) {
		/* taken as given (made absolute, links kept): what the user put
		 * there goes into LD_PRELOAD */
		int e;
		if (access(env, R_OK) != 0)
			vs_exec_die(VS_EX_UNAVAILABLE, "VAULTSHIM_LIB=%s: %s; point VAULTSHIM_LIB at libvaultshim.so, "
						       "or unset it", env, strerror(errno));
		if ((e = vs_path_absolute(env, out, outsz)) == ENAMETOOLONG)
			vs_exec_die(VS_EX_UNAVAILABLE, "VAULTSHIM_LIB=%s: path too long; give VAULTSHIM_LIB a shorter "
						       "absolute path", env);
		if (e)
			vs_exec_die(VS_EX_UNAVAILABLE, "VAULTSHIM_LIB=%s: cannot make it absolute: %s; give "
						       "VAULTSHIM_LIB an absolute path", env, strerror(e));
		return;
	}
	vs_exe_dir(dir, sizeof dir);
	for (size_t i = 0; *dir && i < sizeof rel / sizeof *rel; i++) {
		snprintf(cand, sizeof cand, "%s%s", dir, rel[i]);
		if (access(cand, R_OK) == 0 && realpath(cand, out))
			return;
	}
	snprintf(cand, sizeof cand, "%s/libvaultshim.so", VS_LIBDIR);
	if (access(cand, R_OK) == 0 && strlen(cand) < outsz) {
		strcpy(out, cand);
		return;
	}
	vs_exec_die(VS_EX_UNAVAILABLE, "libvaultshim.so not found beside %s, in ../lib/ or in %s "
				       "(run 'make', or set VAULTSHIM_LIB)",
		    *dir ? dir : "this program", VS_LIBDIR);
}

/* A library or plug-in this launch loads into programs: a regular file
 * owned by root or by this user and writable by nobody else, as the config
 * must be, in a directory only its owner can change; and a path LD_PRELOAD
 * can carry (a list split at ':' and blanks; VAULTSHIM_LIB may name a list
 * of ':' on purpose). */
static void check_lib(const char *path, bool explicit)
{
	struct stat st;

	if (strpbrk(path, explicit ? " \t" : ": \t"))
		vs_exec_die(VS_EX_UNAVAILABLE, "%s: LD_PRELOAD cannot carry a path with %s; install the library "
					       "elsewhere%s", path, explicit ? "a blank" : "':' or a blank",
			    explicit ? "" : " or set VAULTSHIM_LIB");
	if (stat(path, &st) != 0)
		vs_exec_die(VS_EX_UNAVAILABLE, "%s: %s", path, strerror(errno));
	if (!vs_safe_lib(path))
		vs_exec_die(VS_EX_NOPERM, "%s: refusing a library that is not a regular file owned by root or "
					  "you and writable only by its owner (chmod go-w, or reinstall)", path);
}

/* LD_PRELOAD is a list: prepend, never replace, never twice. */
static void prepend_preload(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	char *v;

	if (old && *old) {
		size_t n = strlen(lib);
		for (const char *p = old; *p;) {
			size_t len = strcspn(p, ": ");
			if (len == n && !memcmp(p, lib, n))
				return;
			p += len;
			p += strspn(p, ": ");
		}
		if (asprintf(&v, "%s:%s", lib, old) < 0)
			vs_exec_die(VS_EX_OSERR, "out of memory");
	} else if (!(v = strdup(lib))) {
		vs_exec_die(VS_EX_OSERR, "out of memory");
	}
	if (setenv("LD_PRELOAD", v, 1))
		vs_exec_die(VS_EX_OSERR, "setenv: %s", strerror(errno));
	free(v);
}

/* `vaultshim check -c CONFIG`, its report on stderr (stdout is CMD's). The
 * one fork of the launcher, and only when asked for. */
static void run_check(const char *config, const char *cmd)
{
	char self[PATH_MAX];
	char *argv[] = {(char *)"vaultshim", (char *)"check", (char *)"-c", (char *)config, NULL};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, rc;

	if (!vs_exe_path(self, sizeof self))
		vs_exec_die(VS_EX_UNAVAILABLE, "--check: cannot tell where this program is (no /proc, started by a "
					       "relative path): run 'vaultshim check' yourself first");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
	rc = posix_spawn(&pid, self, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		vs_exec_die(VS_EX_OSERR, "--check: cannot run %s check: %s", self, strerror(rc));
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			vs_exec_die(VS_EX_OSERR, "--check: waitpid: %s", strerror(errno));
	rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (rc)
		vs_exec_die(rc, "check failed (exit %d): not starting %s; fix what check reported above", rc, cmd);
}

/* A new argv: the npre words of pre, then args (NULL-terminated); *argc
 * (when not NULL) its length. Never freed: it is exec'd or the launch ends. */
static char **prefixed(const char *const *pre, int npre, char *const *args, int *argc)
{
	int n = 0;
	char **argv;

	while (args[n])
		n++;
	argv = calloc((size_t)(npre + n + 1), sizeof *argv);
	if (!argv)
		vs_exec_die(VS_EX_OSERR, "out of memory");
	memcpy(argv, pre, (size_t)npre * sizeof *argv);
	memcpy(argv + npre, args, (size_t)n * sizeof *argv);
	if (argc)
		*argc = npre + n;
	return argv;
}

/* A statically linked CMD: `vaultshim run`, in this process. */
static int environment_mode(const char *config, char **cmd)
{
	const char *pre[] = {"vaultshim", "run", "-c", config, "--"};
	int argc;
	char **argv = prefixed(pre, 5, cmd, &argc);

	return vs_client_run(argc, argv);
}

/* environ plus `slots` empty slots for a Go program's preload to fill. */
static char **with_slots(size_t slots)
{
	size_t n = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + slots + 1, sizeof *env);
	if (!env)
		vs_exec_die(VS_EX_OSERR, "out of memory");
	memcpy(env, environ, n * sizeof *env);
	for (size_t i = 0; i < slots; i++)
		env[n + i] = (char *)GO_SLOT;
	return env;
}

/* Names of cfg that the launch environment does not hold: a Go program
 * needs a slot for each of them. */
static size_t slots_needed(const vs_config *cfg)
{
	size_t need = 0;

	for (size_t i = 0; i < cfg->n_entries; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(cfg->entries[j].name, cfg->entries[i].name);
		if (!seen && !getenv(cfg->entries[i].name))
			need++;
	}
	/* and two for what the program leaves its children (the preload's
	 * runtime.c: a mark, the hand-off) */
	return need + 2;
}

static int exec_failed(const char *cmd, int e)
{
	vs_log_always(VS_LOG_ERROR, "exec: %s: %s", cmd, e == ENOENT ? "command not found" : strerror(e));
	return e == ENOENT ? 127 : 126;
}

/* watch: this launch stays as CMD's parent (src/cli/watch.c, in the client
 * library: no libcurl here) and starts CMD as `vaultshim exec --no-watch`. */
static int supervise(long period_ms, const char *config, const char *mode, bool check, char **cmd)
{
	char self[PATH_MAX], period[32];
	const char *pre[14] = {"vaultshim", "__watch", period, config, "--", self, "exec", "--no-watch", "-c", config};
	int n = 10, argc;
	char **argv;

	if (!vs_exe_path(self, sizeof self))
		vs_exec_die(VS_EX_UNAVAILABLE, "watch: cannot tell where this program is (no /proc, started by a "
					       "relative path); start vaultshim by its absolute path, or launch with "
					       "--no-watch");
	snprintf(period, sizeof period, "%ld", period_ms);
	if (check)
		pre[n++] = "--check";
	if (mode)
		pre[n++] = "--mode", pre[n++] = mode;
	pre[n++] = "--";
	argv = prefixed(pre, n, cmd, &argc);
	return vs_client_run(argc, argv);
}

/* The launcher's options (see usage_exec). */
typedef struct exec_opts {
	const char *cfg_opt, *mode, *watch;
	bool check, no_watch;
	long watch_ms;          /* --watch's period, when given */
} exec_opts;

/* The options before CMD: CMD's index in argv, or -1 once --help or
 * --version is answered (the launch then exits 0). A usage error ends the
 * launch (64). */
static int parse_exec_opts(int argc, char **argv, exec_opts *o)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_exec, stdout);
			return -1;
		} else if (!strcmp(a, "--version")) {
			/* the launcher is libc only: no libcurl version to add */
			printf("vaultshim %s\n", VS_VERSION);
			return -1;
		} else if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
			if (++i >= argc)
				vs_exec_die(VS_EX_USAGE, "%s needs a file (see --help)", a);
			o->cfg_opt = argv[i];
		} else if (!strncmp(a, "--config=", 9)) {
			o->cfg_opt = a + 9;
		} else if (!strcmp(a, "--mode")) {
			if (++i >= argc)
				vs_exec_die(VS_EX_USAGE, "--mode needs lazy, eager or auto");
			o->mode = argv[i];
		} else if (!strncmp(a, "--mode=", 7)) {
			o->mode = a + 7;
		} else if (!strcmp(a, "--check")) {
			o->check = true;
		} else if (!strcmp(a, "--watch")) {
			if (++i >= argc)
				vs_exec_die(VS_EX_USAGE, "--watch needs a duration (e.g. 30s, 5m)");
			o->watch = argv[i];
		} else if (!strncmp(a, "--watch=", 8)) {
			o->watch = a + 8;
		} else if (!strcmp(a, "--no-watch")) {
			o->no_watch = true;
		} else if (a[0] == '-' && a[1]) {
			vs_exec_die(VS_EX_USAGE, "unknown option '%s' (see --help)", a);
		} else {
			break;
		}
	}
	if (i >= argc)
		vs_exec_die(VS_EX_USAGE, "missing command (vaultshim exec [options] -- CMD [ARGS...])");
	if (o->mode && vs_mode_parse(o->mode, &(vs_mode){0}))
		vs_exec_die(VS_EX_USAGE, "--mode '%s' is not one of " VS_MODE_NAMES, o->mode);
	if (o->watch && (vs_parse_duration_ms(o->watch, &o->watch_ms) || o->watch_ms < VS_WATCH_MIN_MS))
		vs_exec_die(VS_EX_USAGE, "--watch '%s' is not a duration of 1s or more (e.g. 30s, 5m)", o->watch);
	return i;
}

/* CMD found as execvp finds it, its path in t->path: 0, or the lookup's
 * errno. A shell builtin with no program of its own (cd, export...) runs
 * through the shell, *cmd then being that shell's argv. */
static int find_target(char ***cmd, const char *path_env, vs_target *t)
{
	int rc = vs_target_lookup((*cmd)[0], path_env, t->path, sizeof t->path);

	if (rc == ENOENT && vs_target_is_builtin((*cmd)[0])) {
		/* `sh -c 'NAME "$@"' NAME ARGS...`: the shell runs it with the
		 * preload like any other program */
		char *script;
		if (asprintf(&script, "%s \"$@\"", (*cmd)[0]) < 0)
			vs_exec_die(VS_EX_OSERR, "out of memory");
		{
			const char *pre[] = {"sh", "-c", script};
			*cmd = prefixed(pre, 3, *cmd, NULL);
		}
		rc = vs_target_lookup("/bin/sh", path_env, t->path, sizeof t->path);
	}
	return rc;
}

/* The launch, by kind of target (see the top of this file): returns only
 * when it does not exec. */
static int launch(const vs_target *t, char **cmd, const char *config, const char *lib, size_t go_slots)
{
	char **envp;
	int rc;

	if (t->secure) {
		vs_exec_warn("%s is %s (%s): it runs without its secrets, since a secure-execution program "
			     "takes no LD_PRELOAD and exporting them would hand every one of them to it; "
			     "run the unprivileged program it starts under vaultshim instead",
			     cmd[0], t->secure, t->secure_file);
		execve(t->path, cmd, environ);
		return exec_failed(cmd[0], errno);
	}
	if (t->unreadable)
		vs_exec_warn("%s cannot be read, only run (execute-only): whether it is statically linked or a Go "
			     "program is not known; if it is, it gets no values (make it readable, or run it with "
			     "'vaultshim run')",
			     cmd[0]);
	if (t->is_static) {
		vs_exec_warn("%s is statically linked%s, so LD_PRELOAD cannot reach it; running it in environment "
			     "mode: its secrets are exported and visible in /proc/PID/environ",
			     cmd[0], t->is_go ? " (Go)" : "");
		fflush(NULL);
		return environment_mode(config, cmd);
	}
	prepend_preload(lib);
	envp = environ; /* after every setenv: they may move it */
	if (t->is_go) {
		envp = with_slots(go_slots);
		vs_exec_warn("%s is a Go program: Go copies its environment before any getenv, so its values "
			     "are placed in that copy at start (not in /proc/PID/environ); programs it starts "
			     "are given them in their environment (a preloaded one wipes them at its start; a "
			     "static or setuid one, such as sudo -E or su, keeps them)",
			     cmd[0]);
	}
	fflush(NULL);
	execve(t->path, cmd, envp);
	rc = errno;
	if (rc == ENOEXEC && t->no_magic) {
		/* as execvp: a file without #! or ELF magic is a shell script */
		const char *pre[] = {"sh", t->path};
		execve("/bin/sh", prefixed(pre, 2, cmd + 1, NULL), envp);
		rc = errno;
	}
	return exec_failed(cmd[0], rc);
}

int vs_cmd_exec(int argc, char **argv)
{
	exec_opts o = {0};
	char config[PATH_MAX], lib[PATH_MAX];
	vs_config *cfg = NULL;
	size_t go_slots;
	vs_error err = {0};
	vs_target t;
	char **cmd;
	const char *path_env = getenv("PATH");
	int i, rc;

	if ((i = parse_exec_opts(argc, argv, &o)) < 0)
		return 0;
	cmd = argv + i;

	find_lib(lib, sizeof lib);
	check_lib(lib, getenv("VAULTSHIM_LIB") && *getenv("VAULTSHIM_LIB"));
	if (vs_config_locate(o.cfg_opt, config, &err))
		vs_exec_die(err.code, "%s", err.msg);
	if (vs_config_load(config, vs_libc_getenv, NULL, &cfg, &err))
		vs_exec_die(err.code, "config: %s", err.msg);
	/* all the launch needs of it (before any setenv: names set now are
	 * the launch's) */
	go_slots = slots_needed(cfg);
	if (!o.watch)
		o.watch_ms = cfg->options.watch_ms;
	vs_config_free(cfg);
	if (o.watch_ms && !o.no_watch)
		return supervise(o.watch_ms, config, o.mode, o.check, cmd);
	if (setenv("VAULTSHIM_CONFIG", config, 1) || (o.mode && setenv("VAULTSHIM_MODE", o.mode, 1)))
		vs_exec_die(VS_EX_OSERR, "setenv: %s", strerror(errno));
	/* a launch starts a tree: nothing a Go program or an earlier launch left
	 * for its own children is for this one's */
	unsetenv("VAULTSHIM_FROM_GO");
	unsetenv("VAULTSHIM_SLOT");

	if ((rc = find_target(&cmd, path_env, &t)))
		return exec_failed(cmd[0], rc);
	if (o.check)
		run_check(config, cmd[0]);
	if ((rc = vs_target_inspect(t.path, path_env, &t)))
		return exec_failed(cmd[0], rc);
	return launch(&t, cmd, config, lib, go_slots);
}
