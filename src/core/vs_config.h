/*
 * vs_config.h — the vaultshim config file (INI: [vault], [options], [env]).
 *
 * The parser has no global state, links neither libcurl nor cJSON, reads at
 * most VS_CONFIG_MAX bytes and allocates every string of a config from one
 * arena owned by the vs_config: vs_config_free() releases all of it at once.
 * Every error is reported as "FILE:LINE: reason" (VS_EX_CONFIG) and the
 * whole config is refused.
 */
#ifndef VS_CONFIG_H
#define VS_CONFIG_H

#include "vs_common.h"

/* The Vault client's defaults, which [vault] keys and VAULT_* variables
 * override (core, so the preload's helper deadline follows the same rule). */
#define VS_RESPONSE_MAX (1024 * 1024)
#define VS_DEFAULT_ADDR "https://127.0.0.1:8200"
#define VS_DEFAULT_TIMEOUT_MS 10000L
#define VS_DEFAULT_CONNECT_TIMEOUT_MS 3000L
#define VS_DEFAULT_MAX_RETRIES 2
/* The resolver helper's start-up on top of that timeout: how long the
 * preload gives a resolution, and so how long the supervising launcher
 * (watch) waits for one in progress. */
#define VS_HELPER_GRACE_MS 3000L

#define VS_CONFIG_MAX (1024 * 1024)
#define VS_NAME_MAX 128          /* longest [env] name */
#define VS_CONFIG_DEFAULT_PATH "/etc/vaultshim.conf"

typedef enum { VS_MODE_AUTO, VS_MODE_LAZY, VS_MODE_EAGER } vs_mode;
typedef enum { VS_ON_ERROR_FALLBACK, VS_ON_ERROR_FAIL } vs_on_error;
/* Whether the preload starts its helper under a seccomp filter (README,
 * "Sandboxes"): auto, unless the program installed the filter itself. */
typedef enum { VS_SECCOMP_AUTO, VS_SECCOMP_SPAWN, VS_SECCOMP_NO_SPAWN } vs_seccomp;
/* What the supervising launcher (watch) does when a mapped value changes. */
typedef enum { VS_ON_CHANGE_RESTART, VS_ON_CHANGE_SIGNAL, VS_ON_CHANGE_NONE } vs_on_change;
#define VS_WATCH_MIN_MS 1000L
#define VS_RESTART_GRACE_MS 10000L
typedef enum {
	VS_AUTH_TOKEN,
	VS_AUTH_APPROLE,
	VS_AUTH_KUBERNETES,
	VS_AUTH_JWT
} vs_auth_method;

/* One [env] mapping: NAME = path#field [required] [default="…"] [version=N] [kv_version=N] */
typedef struct vs_entry {
	const char *name;
	const char *path;  /* expanded, no leading or trailing '/' */
	const char *field;
	const char *def;   /* default value, NULL when none */
	int version;       /* KV v2 version to read; 0 = latest */
	int kv_version;    /* 0 = detect; 1 or 2 = forced for this entry */
	bool required;
	int line;
} vs_entry;

/*
 * [vault]: every pointer is NULL and every number negative (or 0 for
 * kv_version) when the key is absent, so the client can apply the
 * precedence "config key, then VAULT_* variable, then default".
 * Relative file paths are made absolute against the config file's directory.
 */
typedef struct vs_vault_conf {
	const char *address;
	vs_auth_method auth;
	bool auth_set;
	const char *auth_mount;   /* default: the method's name */
	const char *token_file;
	const char *role_id_file;
	const char *secret_id_file;
	const char *role;         /* kubernetes, jwt */
	const char *jwt_file;     /* kubernetes (default SA token path), jwt */
	const char *namespace_;
	const char *ca_cert;
	const char *ca_path;
	const char *client_cert;
	const char *client_key;
	const char *tls_server_name;
	int skip_verify;          /* -1 unset, 0, 1 */
	long timeout_ms;          /* -1 unset */
	int max_retries;          /* -1 unset */
	int kv_version;           /* 0 detect, 1, 2 */
	bool token_wrapped;       /* the token (file or variable) is a wrapping token */
	bool secret_id_wrapped;   /* the AppRole secret_id is a wrapping token */
} vs_vault_conf;

typedef enum { VS_AUDIT_OFF, VS_AUDIT_SYSLOG, VS_AUDIT_FILE } vs_audit;

typedef struct vs_options {
	vs_mode mode;
	vs_on_error on_error;
	const char *dotenv;       /* NULL when none */
	bool inherit;             /* children inherit LD_PRELOAD / VAULTSHIM_CONFIG */
	const char *helper;       /* the resolver helper executable; NULL = search */
	const char *eager_programs; /* extra executables auto mode treats as eager:
				     * comma-separated basenames or globs; NULL = none */
	vs_seccomp seccomp;
	/* the supervising launcher (vaultshim exec, README "Watching for changes") */
	long watch_ms;            /* poll period; 0 = no watch (exec as usual) */
	vs_on_change on_change;   /* default restart */
	int on_change_signal;     /* VS_ON_CHANGE_SIGNAL: the signal sent */
	int stop_signal;          /* restart: sent first; default SIGTERM */
	long restart_grace_ms;    /* restart: then SIGKILL after this; default 10s */
	/* the preload: a getenv of a mapped name this long after the values
	 * were resolved resolves again (README "Rotation and leases"); 0 = off */
	long refresh_ms;
	/* the audit trail: one record per resolution that serves values
	 * (src/core/vs_audit.h); audit_file for VS_AUDIT_FILE, absolute;
	 * audit_line: the key's line, for messages */
	vs_audit audit;
	const char *audit_file;
	int audit_line;
} vs_options;

typedef struct vs_arena vs_arena;

typedef struct vs_config {
	const char *path;         /* the file this came from */
	vs_vault_conf vault;
	vs_options options;
	vs_entry *entries;
	size_t n_entries;
	vs_arena *arena;          /* owns every string above */
} vs_config;

/*
 * Parses `len` bytes of `text` (need not be NUL-terminated) named `path` in
 * messages. `env` expands ${VAR} and ${VAR:-default} in paths and defaults.
 * On success *out owns a new config (free with vs_config_free) and 0 is
 * returned; otherwise VS_EX_CONFIG (or VS_EX_SOFTWARE for out of memory)
 * with err->msg = "FILE:LINE: reason".
 */
int vs_config_parse(const char *path, const char *text, size_t len,
		    vs_getenv_fn env, void *env_ctx, vs_config **out, vs_error *err);

/*
 * Opens `path` with the ownership and mode checks of vs_open_private, reads it
 * (at most VS_CONFIG_MAX bytes) and parses it. Same ownership and errors as
 * vs_config_parse, plus VS_EX_NOPERM / VS_EX_IOERR for the file itself.
 */
int vs_config_load(const char *path, vs_getenv_fn env, void *env_ctx,
		   vs_config **out, vs_error *err);
/* The same, and on success *text (malloc'd, NUL-terminated, the caller's)
 * and *len: the bytes parsed, for a later reader that must not open the
 * file again (the preload hands them to its helper). */
int vs_config_load_text(const char *path, vs_getenv_fn env, void *env_ctx,
			vs_config **out, char **text, size_t *len, vs_error *err);

/* Whether text (a config, unparsed) has an [env] entry named name[0..len):
 * a scan of the keys, no checks and no allocation, for a caller that may
 * not allocate (the preload before its constructor). */
bool vs_config_text_maps(const char *text, size_t len, const char *name, size_t name_len);

/* True for names vaultshim keeps for itself (VAULT_*, VAULTSHIM_*, LD_*):
 * they configure it, so they cannot be mapped. */
bool vs_reserved_name(const char *name, size_t len);

/* Returns the entry named `name` (exact match), or NULL. */
const vs_entry *vs_config_find(const vs_config *cfg, const char *name);

/* Frees the config and everything it owns; NULL is fine. */
void vs_config_free(vs_config *cfg);

/*
 * The config a person's command means (the CLI's rule; the preload never
 * looks in the current directory): `opt` (-c FILE), else $VAULTSHIM_CONFIG,
 * else ./vaultshim.conf, else /etc/vaultshim.conf. Writes its absolute path
 * into out (PATH_MAX bytes) and returns 0; otherwise VS_EX_CONFIG (err says
 * how to give one when it does not exist) or VS_EX_NOPERM.
 */
int vs_config_locate(const char *opt, char *out, vs_error *err);

/* A signal by name, "SIGHUP" or "HUP" (the ones a config may name); 0 when
 * unknown. And back: the name of sig, "signal" when not one of those. */
int vs_signal_parse(const char *s);
const char *vs_signal_name(int sig);

/* The launch modes by name ("auto", "lazy", "eager"), one table for the
 * config's mode key, VAULTSHIM_MODE and the launcher's --mode: 0 and *m, or
 * -1 when s is none of them (VS_MODE_NAMES lists them for the message). */
#define VS_MODE_NAMES "lazy, eager, auto"
int vs_mode_parse(const char *s, vs_mode *m);
const char *vs_mode_name(vs_mode m);

/* The deadline of one Vault read, the one precedence for the client and the
 * preload's wait on its helper: the config's timeout when > 0, else
 * VAULT_CLIENT_TIMEOUT (env, may be NULL or empty; 0 is ignored, as by the
 * Go client), else VS_DEFAULT_TIMEOUT_MS. Returns 0, or -1 when env is not a
 * duration, *ms then the default (the client refuses that, the preload
 * waits the default and its helper reports it). */
int vs_timeout_ms(long conf_ms, const char *env, long *ms);
const char *vs_auth_name(vs_auth_method m);

#endif
