/*
 * tree.c — this process's part in its tree's hand-off, above the memfd of
 * handoff.c: what it writes there (names, options, the launch's inputs and,
 * once resolved, the values), what it takes from there, and the choices its
 * ancestors made.
 */
#define _GNU_SOURCE
#include "preload.h"
#include "vs_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vs_opt_mode;
const char *vs_opt_eager = "";
long vs_opt_timeout_ms = -1;
/* (a variable the config expands may hold a long value: a certificate, a
 * JSON document; zero pages cost nothing until written) */
char vs_opt_inputs[VS_INPUTS_MAX];

/* The parser's view of the environment in the first process of a tree:
 * records what the config expands. */
const char *vs_env_recording(const char *name, void *ctx)
{
	const char *v = vs_real_getenv(name);
	(void)ctx;
	/* (a value holding the separators is left out: a process resolving
	 * later expands that variable from its own environment) */
	vs_snapshot_input_add(vs_opt_inputs, sizeof vs_opt_inputs, name, v);
	return v;
}

/* ... and in a process of the tree that resolves later: the launch's
 * values, so that every process of the tree reads the same paths. */
const char *vs_env_of_launch(const char *name, void *ctx)
{
	static char buf[VS_INPUTS_MAX];
	bool found;
	const char *v = vs_snapshot_input(vs_opt_inputs, name, buf, sizeof buf, &found);

	(void)ctx;
	return found ? v : vs_real_getenv(name);
}

/* Writes names, options and (with values) the values for the tree. */
void vs_tree_publish(bool values)
{
	const char **names = calloc(vs_n_map + 1, sizeof *names);
	const char **vals = calloc(vs_n_map + 1, sizeof *vals);
	const char **amb = calloc(vs_n_map + 1, sizeof *amb);
	bool *fe = calloc(vs_n_map + 1, sizeof *fe);

	if (names && vals && amb && fe) {
		vs_snapshot snap = {.config_path = vs_config_path, .eager_programs = vs_opt_eager,
				    .mode = vs_opt_mode, .inherit = vs_inherit, .resolved = values,
				    .timeout_ms = vs_opt_timeout_ms, .inputs = vs_opt_inputs,
				    .n = vs_n_map, .names = names,
				    .values = vals, .from_env = fe, .ambient = amb,
				    .config_text = vs_config_text, .refresh_ms = vs_opt_refresh_ms};
		vs_refresh_written(&snap);
		for (size_t i = 0; i < vs_n_map; i++) {
			names[i] = vs_map[i].name;
			vals[i] = vs_map[i].value;
			amb[i] = vs_map[i].ambient;
			fe[i] = vs_map[i].from_env;
		}
		if (vs_handoff_write(&snap) != 0)
			vs_log(VS_LOG_DEBUG, "could not write the hand-off; children resolve for themselves");
	}
	free(names);
	free(vals);
	free(amb);
	free(fe);
}

/* Whether a snapshot is this process's tree's: the same config. */
bool vs_tree_same(const vs_snapshot *snap, const char *path)
{
	return snap->n && !strcmp(snap->config_path, path);
}

/* Takes the values of a resolved snapshot, whose buffer then lives as long
 * as the process (the values are interned). */
bool vs_tree_adopt(const vs_snapshot *s)
{
	if (!s->resolved)
		return false;
	for (size_t i = 0; i < s->n; i++) {
		mapped *m = vs_lookup_len(s->names[i], strlen(s->names[i]));
		if (m && s->values[i]) {
			m->from_env = s->from_env[i];
			m->value = (char *)s->values[i];
		}
	}
	return true;
}

/* A process with the config loaded takes part in the tree's hand-off: fills
 * an empty one (made at a fork before anything was loaded), checks one
 * filled by a sibling meanwhile, or starts one. */
void vs_tree_join(void)
{
	vs_snapshot snap;
	int lk = -1, got;

	if (vs_ho.fd >= 0) {
		/* without the resolver lock first: a sibling may hold it for a
		 * whole resolution, and it fills the hand-off before that */
		for (int pass = 0; pass < 2; pass++) {
			got = vs_handoff_read(&snap);
			if (got == 0 && !snap.n && !strcmp(snap.config_path, vs_config_path))
				got = 1; /* made at a fork for this config: to fill */
			else if (got == 0 && !vs_tree_same(&snap, vs_config_path))
				got = -1;
			if (got == 0)
				vs_snapshot_free(&snap);
			if (got != 1 || pass == 1 ||
			    (lk = vs_handoff_lock(vs_now_ms() + (double)vs_deadline_ms())) < 0)
				break;
		}
		if (got == 1 && lk >= 0)
			vs_tree_publish(false);
		vs_handoff_unlock(lk);
		if (got >= 0)
			return;
		vs_handoff_drop(); /* another tree's: not ours to use or pass on */
	}
	if (vs_handoff_create(vs_config_path, vs_config_text) == 0)
		vs_tree_publish(false);
}

/* What this process's ancestors chose (set or removed), as its hand-off
 * variable tells: by index, or by name from an ancestor that had not loaded
 * the config. Environ answers those names. */
void vs_tree_apply_choices(void)
{
	const char *name;
	size_t n;

	for (size_t i = 0; i < vs_n_map; i++)
		if (vs_mask_bit(vs_ho.mask, i))
			atomic_store(&vs_map[i].overridden, true);
	for (const char *p = vs_ho.names; vs_list_next(&p, &name, &n);) {
		mapped *m = vs_lookup_len(name, n);
		if (m)
			atomic_store(&m->overridden, true);
	}
}


/* ------------------------------------------------------------------ */
/* the Vault client's variables as this process started                */

/* VAULT_TOKEN, VAULT_ADDR, VAULT_CLIENT_TIMEOUT and the rest, HOME (for
 * ~/.vault-token), the proxies and TLS settings: the helper talks to Vault
 * with the values the process was started with, not with what the program
 * made of its environment since (it may unset VAULT_TOKEN after start, as
 * a careful program does, or set its own): a refresh an hour later must
 * reach the same Vault with the same credentials as the first resolution.
 * Copied in the constructor, before main. */
static char **client_env;

bool vs_client_var(const char *e)
{
	static const char *const names[] = {"HOME=", "http_proxy=", "https_proxy=", "no_proxy=",
					    "HTTP_PROXY=", "HTTPS_PROXY=", "NO_PROXY=", "REQUEST_METHOD=",
					    "SSL_CERT_FILE=", "SSL_CERT_DIR=", "CURL_CA_BUNDLE=",
					    "VAULTSHIM_SUPERVISOR="};

	if (!strncmp(e, "VAULT_", 6))
		return true;
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (!strncmp(e, names[i], strlen(names[i])))
			return true;
	return false;
}

void vs_client_env_capture(void)
{
	size_t n = 0, j = 0;

	for (char **e = environ; e && *e; e++)
		n += vs_client_var(*e);
	if (!(client_env = calloc(n + 1, sizeof *client_env)))
		return;
	for (char **e = environ; e && *e && j < n; e++)
		if (vs_client_var(*e) && (client_env[j] = strdup(*e)))
			j++;
}

char *const *vs_client_env(void)
{
	static char *const none[] = {NULL};
	return client_env ? client_env : none;
}

const char *vs_client_getenv(const char *name)
{
	size_t l = strlen(name);

	for (char *const *e = vs_client_env(); *e; e++)
		if (!strncmp(*e, name, l) && (*e)[l] == '=')
			return *e + l + 1;
	return NULL;
}
