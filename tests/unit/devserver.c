#define _GNU_SOURCE
#include "devserver.h"
#include "testlib.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void fatal(const char *msg)
{
	fprintf(stderr, "devserver harness: %s\n", msg);
	exit(99);
}

void ds_start(devserver *ds, const char *const *extra)
{
	char tokfile[128], addrfile[128];
	const char *argv[32];
	int n = 0, fd;
	unsigned char rnd[16];
	FILE *f;

	char ca[sizeof ds->ca_file], cc[sizeof ds->client_cert], ck[sizeof ds->client_key];

	/* the TLS files a test set before starting survive the reset */
	memcpy(ca, ds->ca_file, sizeof ca);
	memcpy(cc, ds->client_cert, sizeof cc);
	memcpy(ck, ds->client_key, sizeof ck);
	memset(ds, 0, sizeof *ds);
	memcpy(ds->ca_file, ca, sizeof ca);
	memcpy(ds->client_cert, cc, sizeof cc);
	memcpy(ds->client_key, ck, sizeof ck);
	tl_tmpdir_make(ds->dir, sizeof ds->dir, "vs-ds");
	fd = open("/dev/urandom", O_RDONLY);
	if (fd < 0 || read(fd, rnd, sizeof rnd) != sizeof rnd)
		fatal("no /dev/urandom");
	close(fd);
	strcpy(ds->token, "hvs.test");
	for (size_t i = 0; i < sizeof rnd; i++)
		sprintf(ds->token + strlen(ds->token), "%02x", rnd[i]);
	snprintf(tokfile, sizeof tokfile, "%s/root-token", ds->dir);
	snprintf(addrfile, sizeof addrfile, "%s/addr", ds->dir);
	fd = open(tokfile, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write(fd, ds->token, strlen(ds->token)) < 0)
		fatal("cannot write token file");
	close(fd);

	argv[n++] = "python3";
	argv[n++] = "scripts/vault-dev-server";
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--control";
	argv[n++] = "--root-token-file";
	argv[n++] = tokfile;
	argv[n++] = "--addr-file";
	argv[n++] = addrfile;
	for (int i = 0; extra && extra[i] && n < 30; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;

	ds->pid = fork();
	if (ds->pid < 0)
		fatal("fork failed");
	if (ds->pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execvp("python3", (char **)argv);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) { /* 10 s */
		struct timespec ts = {0, 50 * 1000 * 1000};
		if ((f = fopen(addrfile, "r"))) {
			if (fgets(ds->addr, sizeof ds->addr, f))
				ds->addr[strcspn(ds->addr, "\n")] = '\0';
			fclose(f);
			if (ds->addr[0])
				return;
		}
		if (waitpid(ds->pid, NULL, WNOHANG) == ds->pid)
			fatal("scripts/vault-dev-server exited at start");
		nanosleep(&ts, NULL);
	}
	fatal("scripts/vault-dev-server did not start within 10 s");
}

void ds_stop(devserver *ds)
{
	if (ds->pid > 0) {
		kill(ds->pid, SIGTERM);
		waitpid(ds->pid, NULL, 0);
		ds->pid = 0;
	}
	tl_tmpdir_remove(ds->dir);
}

struct sink {
	char *p;
	size_t n;
};

static size_t on_data(char *ptr, size_t sz, size_t nm, void *ud)
{
	struct sink *s = ud;
	char *np = realloc(s->p, s->n + sz * nm + 1);
	if (!np)
		return 0;
	memcpy(np + s->n, ptr, sz * nm);
	s->n += sz * nm;
	np[s->n] = '\0';
	s->p = np;
	return sz * nm;
}

long ds_call(const devserver *ds, const char *method, const char *path,
	     const char *json, const char *token, char **body)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hd = NULL;
	struct sink s = {0};
	char url[512], th[128];
	long status = 0;

	if (!strncmp(ds->addr, "unix://", 7)) {
		snprintf(url, sizeof url, "http://localhost%s", path);
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, ds->addr + 7);
	} else {
		snprintf(url, sizeof url, "%s%s", ds->addr, path);
	}
	if (ds->ca_file[0])
		curl_easy_setopt(h, CURLOPT_CAINFO, ds->ca_file);
	if (ds->client_cert[0]) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, ds->client_cert);
		curl_easy_setopt(h, CURLOPT_SSLKEY, ds->client_key);
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	if (token) {
		snprintf(th, sizeof th, "X-Vault-Token: %s", token);
		hd = curl_slist_append(hd, th);
	}
	if (json) {
		hd = curl_slist_append(hd, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hd);
	curl_easy_cleanup(h);
	if (body)
		*body = s.p;
	else
		free(s.p);
	return status;
}

void ds_put_v2(const devserver *ds, const char *mount_path, const char *data_json)
{
	char path[512], *json;
	const char *slash = strchr(mount_path, '/');
	long st;

	snprintf(path, sizeof path, "/v1/%.*s/data/%s", (int)(slash - mount_path), mount_path, slash + 1);
	if (asprintf(&json, "{\"data\":%s}", data_json) < 0)
		fatal("oom");
	st = ds_call(ds, "POST", path, json, ds->token, NULL);
	free(json);
	if (st != 200 && st != 204)
		fatal("could not write a test secret");
}

char *ds_json_get(const char *body, const char *a, const char *b)
{
	cJSON *root = cJSON_Parse(body);
	const char *v = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, a), b));
	char *r = v ? strdup(v) : NULL;

	cJSON_Delete(root);
	return r;
}

void ds_policy(const devserver *ds, const char *name, const char *hcl)
{
	cJSON *o = cJSON_CreateObject();
	char path[256], *json;
	long st;

	cJSON_AddStringToObject(o, "policy", hcl);
	json = cJSON_PrintUnformatted(o);
	snprintf(path, sizeof path, "/v1/sys/policies/acl/%s", name);
	st = ds_call(ds, "PUT", path, json, ds->token, NULL);
	free(json);
	cJSON_Delete(o);
	if (st / 100 != 2)
		fatal("could not write a test policy");
}

char *ds_token(const devserver *ds, const char *create_json)
{
	char *body = NULL, *tok;

	if (ds_call(ds, "POST", "/v1/auth/token/create", create_json, ds->token, &body) != 200)
		fatal("could not make a test token");
	tok = ds_json_get(body, "auth", "client_token");
	free(body);
	if (!tok)
		fatal("no client_token in auth/token/create's answer");
	return tok;
}

/* GET or POST path with the root token: body[data][key], malloc'd */
static char *data_of(const devserver *ds, const char *method, const char *path, const char *json,
		     const char *key)
{
	char *body = NULL, *v;

	if (ds_call(ds, method, path, json, ds->token, &body) != 200)
		fatal("an AppRole request of the harness failed");
	v = ds_json_get(body, "data", key);
	free(body);
	if (!v)
		fatal("an AppRole answer lacks its data");
	return v;
}

void ds_approle(const devserver *ds, const char *role, const char *options_json, char **role_id,
		char **secret_id)
{
	char path[256];

	/* approle/ may be enabled already (by another test of this server) */
	ds_call(ds, "POST", "/v1/sys/auth/approle", "{\"type\":\"approle\"}", ds->token, NULL);
	snprintf(path, sizeof path, "/v1/auth/approle/role/%s", role);
	if (ds_call(ds, "POST", path, options_json, ds->token, NULL) / 100 != 2)
		fatal("could not make a test AppRole role");
	snprintf(path, sizeof path, "/v1/auth/approle/role/%s/role-id", role);
	*role_id = data_of(ds, "GET", path, NULL, "role_id");
	if (secret_id) {
		snprintf(path, sizeof path, "/v1/auth/approle/role/%s/secret-id", role);
		*secret_id = data_of(ds, "POST", path, "{}", "secret_id");
	}
}

static cJSON *counters(const devserver *ds)
{
	char *body = NULL;
	cJSON *root;

	if (ds_call(ds, "GET", "/_control/counters", NULL, NULL, &body) != 200)
		fatal("control API: counters unavailable");
	root = cJSON_Parse(body);
	free(body);
	return root;
}

int ds_count(const devserver *ds, const char *method_path)
{
	cJSON *root = counters(ds);
	cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "requests"),
						    method_path);
	int n = cJSON_IsNumber(v) ? v->valueint : 0;
	cJSON_Delete(root);
	return n;
}

int ds_count_total(const devserver *ds)
{
	cJSON *root = counters(ds);
	cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "total");
	int n = cJSON_IsNumber(v) ? v->valueint : -1;
	cJSON_Delete(root);
	return n;
}

void ds_reset(const devserver *ds)
{
	ds_call(ds, "DELETE", "/_control/faults", NULL, NULL, NULL);
	ds_call(ds, "POST", "/_control/unseal", NULL, NULL, NULL);
	ds_call(ds, "DELETE", "/_control/counters", NULL, NULL, NULL);
}
