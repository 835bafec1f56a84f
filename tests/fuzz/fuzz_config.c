/*
 * fuzz_config — vs_config_parse on arbitrary bytes, then vs_config_find, and
 * the preload's scan of the names before its constructor
 * (vs_config_text_maps) against the parser: it finds every entry.
 *
 * The fake environment is fixed so that a crashing input replays the same
 * way everywhere; it has an empty variable (expands to nothing), a long one
 * (stresses the value buffers) and HOME (for "~/" file paths).
 */
#include "fuzz.h"

#include "core/vs_config.h"

#include <stdbool.h>
#include <string.h>

#define CONF_PATH "/etc/vaultshim/fuzz.conf"

static const char long_value[] =
	"a-very-long-environment-value-a-very-long-environment-value-"
	"a-very-long-environment-value-a-very-long-environment-value-"
	"a-very-long-environment-value-a-very-long-environment-value-"
	"a-very-long-environment-value-a-very-long-environment-value-"
	"a-very-long-environment-value-a-very-long-environment-value";

static const char *const fake_env[][2] = {
	{"APP_ENV", "production"},
	{"HOME", "/home/fuzz"},
	{"EMPTY", ""},
	{"REGION", "eu-west-1"},
	{"LONG", long_value},
	{"SLASHES", "//a//"},
};

static const char *env_fn(const char *name, void *ctx)
{
	FUZZ_CHECK(ctx == (void *)fake_env);
	for (size_t i = 0; i < sizeof fake_env / sizeof fake_env[0]; i++)
		if (!strcmp(fake_env[i][0], name))
			return fake_env[i][1];
	return NULL;
}

/* Touches every byte of a string the config hands out, so ASan checks it. */
static void touch(const char *s)
{
	if (s)
		FUZZ_CHECK(strlen(s) < VS_CONFIG_MAX + 4096);
}

/* "FILE:LINE: reason" with LINE a positive number. */
static bool well_formed_error(const char *msg)
{
	const char *p = msg + strlen(CONF_PATH);
	bool digits = false;

	if (strncmp(msg, CONF_PATH ":", strlen(CONF_PATH) + 1))
		return false;
	for (p++; *p >= '0' && *p <= '9'; p++)
		digits = true;
	return digits && p[0] == ':' && p[1] == ' ' && p[2] != '\0';
}

static void check_path(const char *path)
{
	size_t n = strlen(path);

	FUZZ_CHECK(n > 0);
	FUZZ_CHECK(path[0] != '/' && path[n - 1] != '/');
	FUZZ_CHECK(!strstr(path, "//"));
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK((unsigned char)path[i] >= 0x20);
}

static void check_config(const vs_config *cfg)
{
	const vs_vault_conf *v = &cfg->vault;
	const vs_options *o = &cfg->options;

	FUZZ_CHECK(!strcmp(cfg->path, CONF_PATH));
	touch(v->address);
	touch(v->auth_mount);
	touch(v->token_file);
	touch(v->role_id_file);
	touch(v->secret_id_file);
	touch(v->role);
	touch(v->jwt_file);
	touch(v->namespace_);
	touch(v->ca_cert);
	touch(v->ca_path);
	touch(v->client_cert);
	touch(v->client_key);
	touch(v->tls_server_name);
	touch(o->dotenv);
	touch(o->helper);
	touch(o->eager_programs);
	touch(vs_mode_name(o->mode));
	touch(vs_auth_name(v->auth));
	FUZZ_CHECK(v->skip_verify >= -1 && v->skip_verify <= 1);
	FUZZ_CHECK(v->timeout_ms == -1 || v->timeout_ms > 0);
	FUZZ_CHECK(v->max_retries >= -1 && v->max_retries <= 100);
	FUZZ_CHECK(v->kv_version >= 0 && v->kv_version <= 2);
	/* the supervising launcher's keys (watch) */
	FUZZ_CHECK(o->watch_ms == 0 || o->watch_ms >= VS_WATCH_MIN_MS);
	FUZZ_CHECK(o->restart_grace_ms >= 0);
	FUZZ_CHECK(o->stop_signal > 0);
	FUZZ_CHECK(o->on_change != VS_ON_CHANGE_SIGNAL || o->on_change_signal > 0);
	touch(vs_signal_name(o->stop_signal));
	/* file keys are made absolute against the config's directory */
	if (o->dotenv)
		FUZZ_CHECK(o->dotenv[0] == '/');
	if (v->token_file)
		FUZZ_CHECK(v->token_file[0] == '/');

	for (size_t i = 0; i < cfg->n_entries; i++) {
		const vs_entry *e = &cfg->entries[i];
		FUZZ_CHECK(e->name && vs_valid_env_name(e->name, strlen(e->name)));
		FUZZ_CHECK(strncmp(e->name, "VAULT_", 6) && strncmp(e->name, "LD_", 3));
		check_path(e->path);
		FUZZ_CHECK(e->field && e->field[0]);
		touch(e->def);
		FUZZ_CHECK(e->version >= 0);
		FUZZ_CHECK(e->kv_version >= 0 && e->kv_version <= 2);
		FUZZ_CHECK(!(e->version && e->kv_version == 1));
		FUZZ_CHECK(e->line >= 1);
		/* names are unique, so each finds itself */
		FUZZ_CHECK(vs_config_find(cfg, e->name) == e);
	}
	FUZZ_CHECK(vs_config_find(cfg, "NOT A NAME") == NULL);
	FUZZ_CHECK(vs_config_find(cfg, "") == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vs_config *cfg = (vs_config *)1;
	vs_error err = {0};
	int rc;

	rc = vs_config_parse(CONF_PATH, (const char *)data, size, env_fn, (void *)fake_env, &cfg, &err);
	if (rc) {
		FUZZ_CHECK(cfg == NULL);
		FUZZ_CHECK(rc == VS_EX_CONFIG || rc == VS_EX_SOFTWARE);
		FUZZ_CHECK(err.code == rc);
		FUZZ_CHECK(well_formed_error(err.msg));
		return 0;
	}
	FUZZ_CHECK(cfg != NULL);
	check_config(cfg);
	/* a name the scan misses would not start the preload early: a library
	 * constructor reading it would be answered from environ */
	for (size_t i = 0; i < cfg->n_entries; i++)
		FUZZ_CHECK(vs_config_text_maps((const char *)data, size, cfg->entries[i].name,
					       strlen(cfg->entries[i].name)));
	vs_config_free(cfg);
	return 0;
}
