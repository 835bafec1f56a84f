/*
 * Test harness: starts scripts/vault-dev-server (with its control API) on a
 * free loopback port, and talks to the control API. One server per TCase
 * (unchecked fixture, run in the parent process).
 */
#ifndef VS_TEST_DEVSERVER_H
#define VS_TEST_DEVSERVER_H

#include <stdbool.h>

typedef struct devserver {
	char addr[256];        /* http://127.0.0.1:PORT */
	char token[64];        /* root token, random per server */
	char dir[64];          /* temp dir: token file, addr file */
	int pid;
	/* for TLS servers: what the harness's own calls trust and present
	 * (set before ds_start; kept by it) */
	char ca_file[256], client_cert[256], client_key[256];
} devserver;

/* Starts a server with extra arguments (NULL-terminated list, may be NULL).
 * Aborts the test run with a message when it does not come up in 10 s. */
void ds_start(devserver *ds, const char *const *extra_args);
void ds_stop(devserver *ds);

/* Calls the API: method, path under the server ("/v1/…" or "/_control/…"),
 * optional JSON body, token (NULL: none). Returns the HTTP status; the body
 * goes to *body (malloc'd, may be NULL). */
long ds_call(const devserver *ds, const char *method, const char *path,
	     const char *json, const char *token, char **body);

/* Writes a KV v2 secret (root token): data_json is the inner {"k":"v"}. */
void ds_put_v2(const devserver *ds, const char *mount_path, const char *data_json);

/* A policy, a token, an AppRole role, made with the root token; each aborts
 * the test run (like ds_start) when the server refuses.
 * ds_policy: ACL policy NAME with these HCL rules.
 * ds_token: a new token, auth/token/create with this JSON body; malloc'd.
 * ds_approle: role ROLE of approle/ (enabled first when it is not) with
 * these options (JSON); its role_id and, when secret_id is not NULL, a new
 * secret_id, both malloc'd. */
void ds_policy(const devserver *ds, const char *name, const char *hcl);
char *ds_token(const devserver *ds, const char *create_json);
void ds_approle(const devserver *ds, const char *role, const char *options_json, char **role_id,
		char **secret_id);

/* body[a][b] of a JSON answer when it is a string (malloc'd), else NULL. */
char *ds_json_get(const char *body, const char *a, const char *b);

/* Number of requests the server counted for "METHOD path" since the last reset. */
int ds_count(const devserver *ds, const char *method_path);
int ds_count_total(const devserver *ds);
void ds_reset(const devserver *ds); /* clears faults and counters, unseals */

#endif
