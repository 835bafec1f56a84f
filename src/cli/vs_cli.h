/*
 * The `vaultshim` command is two parts: a front linked with libc and the
 * network-free core only (src/cli/vaultshim.c, src/cli/exec.c,
 * src/cli/exec_log.c), so that `vaultshim exec` — on every launch — loads
 * no libcurl; and the commands that talk to Vault (check, get, run,
 * resolve, migrate, version), built into vaultshim-client.so with libcurl
 * and cJSON and loaded by the front with dlopen when one of them is asked
 * for.
 */
#ifndef VS_CLI_H
#define VS_CLI_H

#include <pthread.h>
#include <stddef.h>

/* `vaultshim exec …` (argv[0] is "exec"): returns an exit status only when
 * it does not exec. */
int vs_cmd_exec(int argc, char **argv);

/* The launcher's lines (src/cli/exec_log.c, in the front and in
 * vaultshim-client.so): "exec: MSG" as a log line, a warning, or an error
 * followed by exit(code). exec and watch (which is exec with watch) say
 * them alike. */
void vs_exec_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vs_exec_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/* Runs `vaultshim ARGV…` (argv[0] is "vaultshim") in vaultshim-client.so;
 * returns its exit status, 69 when the library cannot be loaded. */
int vs_client_run(int argc, char **argv);

/* `vaultshim __watch PERIOD_MS CONFIG -- VAULTSHIM exec --no-watch … -- CMD…`
 * in vaultshim-client.so (src/cli/watch.c): vaultshim exec with watch, the
 * supervising launcher. Never returns. */
int vs_cmd_watch(int argc, char **argv) __attribute__((noreturn));

/* hold.c: the dynamic secrets a supervising launcher holds for its
 * program (README "Rotation and leases"). vs_hold_open makes the socket
 * (0 or -1) and answers it from a thread, using ss under mu;
 * vs_hold_socket its path (NULL when not open); vs_hold_due when a lease
 * must be renewed next (vs_now_ms clock, 0 = none); vs_hold_tick renews or
 * replaces what is due and returns how many credentials were replaced
 * (their paths in changed); vs_hold_revoke_all gives every lease back;
 * vs_hold_close removes the socket. */
struct vs_config;
struct vs_error;
struct vs_vault_session;
int vs_hold_open(const struct vs_config *cfg, struct vs_vault_session *ss, pthread_mutex_t *mu);
const char *vs_hold_socket(void);
double vs_hold_due(void);
int vs_hold_tick(char *changed, size_t size);
void vs_hold_revoke_all(void);
void vs_hold_close(void);

/* The commands of vaultshim-client.so, one file each (argv[0] is the
 * command's name): check.c, get.c, run.c, resolve.c (the preload's
 * helper), migrate_cmd.c (the options of migrate.c's vs_migrate); each
 * returns its exit status. */
int vs_cmd_check(int argc, char **argv);
int vs_cmd_get(int argc, char **argv);
int vs_cmd_run(int argc, char **argv);
int vs_cmd_resolve(int argc, char **argv);
int vs_cmd_migrate(int argc, char **argv);

/* What those commands share (src/cli/client.c). The resolution check, get
 * and run share: the connection settings and every mapped name (names
 * NULL) or the n listed, through the failure policy. A settings failure
 * (an unreadable token file, a bad VAULT_ADDR) is every name's Vault
 * failure, as the preload's helper reports it. 0 with *res filled, or an
 * error code with err set (out of memory). */
struct vs_resolution;
enum vs_dynamic_reads { VS_DYN_READ, VS_DYN_SKIP, VS_DYN_READ_REVOKE };
int vs_cli_resolve(const struct vs_config *cfg, const char *const *names, size_t n,
		   enum vs_dynamic_reads dyn, struct vs_resolution *res, struct vs_error *err);
/* The same, exiting with the line "resolve: REASON" when it fails. */
void vs_cli_resolve_or_die(const struct vs_config *cfg, const char *const *names, size_t n,
			   enum vs_dynamic_reads dyn, struct vs_resolution *res);
/* The audit record of a resolution that serves values (run, get): a
 * trail that cannot be written is said, and the command goes on, as the
 * preload does (check is where a broken trail fails). */
void vs_cli_audit(const struct vs_config *cfg, const char *event, const char *cmd,
		  const struct vs_resolution *res);
/* A failure: "vaultshim: CTX: MSG" on stderr, or after vs_cli_log_errors
 * (run and resolve, whose lines end up among a program's or a service's
 * own) the same as a log line; then exit(code). */
void vs_cli_log_errors(void);
void vs_cli_die(int code, const char *ctx, const char *msg) __attribute__((noreturn));
/* A usage error: "vaultshim: CTX: MSG" and the usage text on stderr, exit 64. */
void vs_cli_usage_error(const char *ctx, const char *msg, const char *usage) __attribute__((noreturn));
/* The options get, run and resolve share: -c FILE (--config, --config=FILE)
 * and -h/--help (usage on stdout, exit 0); the index of the first operand,
 * after a "--" that ends the options. */
int vs_cli_parse_opts(int argc, char **argv, const char *usage, const char **cfg, const char *ctx);
/* The config's absolute path: -c FILE, else $VAULTSHIM_CONFIG, else
 * ./vaultshim.conf, else /etc (vs_config_locate); the caller frees it. */
char *vs_cli_config_path(const char *opt);
/* The config at path, loaded and checked. */
struct vs_config *vs_cli_load_config(const char *path);

/* The entry point of vaultshim-client.so (src/cli/client.c). */
typedef int vs_client_main_fn(int argc, char **argv);
#define VS_CLIENT_ENTRY "vs_client_main"

#include <stdbool.h>

/* Path of the running executable in buf (size n): /proc/self/exe, else
 * the path it was started by (AT_EXECFN) made absolute; false (and "")
 * when neither tells. */
bool vs_exe_path(char *buf, unsigned long n);

/* Directory of the running executable, with a trailing '/', in buf
 * (size n); "" when it cannot be told. */
void vs_exe_dir(char *buf, unsigned long n);

/* A library fit to load: a regular file owned by root or this user, not
 * writable by group or others. */
bool vs_safe_lib(const char *path);

#endif
