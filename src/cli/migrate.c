/*
 * vaultshim migrate — move secrets out of a .env file into Vault, safely and
 * repeatably: plan (names and destinations, never values), confirm, one KV
 * write with check-and-set, verify by resolving back, then back up, map and
 * strip locally, and verify once more through the written config.
 *
 * Order matters for "nothing lost": Vault is written and checked before any
 * local file changes, so a failure there leaves the .env as it was; a
 * failure after the local changes restores them from the backup.
 */
#define _GNU_SOURCE
#include "cli/vs_migrate.h"
#include "core/vs_safefile.h"
#include "core/vs_config.h"
#include "core/vs_dotenv.h"
#include "core/vs_resolve.h"
#include "vault/vs_vault.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char default_words[] = "SECRET,PASSWORD,PASSWD,TOKEN,KEY,CREDENTIAL,PRIVATE";

enum action { A_SKIP, A_WRITE, A_UNCHANGED, A_OVERWRITE, A_CONFLICT };

typedef struct pick {
	const char *name;
	const char *value;       /* borrowed from the dotenv */
	int line;
	enum action action;
	bool mapped_already;     /* the config-out maps it to this destination already */
	char note[160];          /* why skipped or refused */
} pick;

typedef struct state {
	const vs_migrate_opts *o;
	FILE *out;
	char *text;              /* the .env as read */
	size_t len;
	vs_dotenv *d;
	pick *picks;
	size_t n;
	vs_vault_settings vs;
	bool vs_ready;
	vs_secret cur;           /* what Vault holds at the path now */
	bool exists;
	char *cfg_text;          /* config-out before we touched it; NULL when absent */
	size_t cfg_len;
	vs_config *cfg_out;
	char backup[4096];
	char *env_path;          /* o->env_file with symlinks resolved */
	const vs_config *conn;   /* the [vault] connection settings (may be NULL) */
	/* the plan's counts: names to write to Vault, migrated (written or
	 * there already), refused, to map in the config, statements to strip */
	size_t n_write, n_migrated, n_conflict, n_map, n_strip;
	char *bdir;              /* where --strip backs the .env up */
	bool env_written, cfg_written;
	/* what the written [vault] section could not carry (see
	 * vs_migrate_vault_section) */
	char cannot[128], env_only[128];
} state;

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(int code, const char *fmt, ...)
{
	va_list ap;
	fputs("vaultshim: migrate: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

/* A secret by name (any of the words, case-insensitive) or by value: a URL
 * that carries a password (scheme://user:pass@host). */
static bool looks_secret(const char *words, const char *name, const char *value)
{
	const char *p = words, *item;
	const char *scheme;
	size_t l;

	while (vs_list_next(&p, &item, &l)) {
		char w[64];
		if (l && l < sizeof w) {
			memcpy(w, item, l);
			w[l] = '\0';
			if (strcasestr(name, w))
				return true;
		}
	}
	if (value && (scheme = strstr(value, "://"))) {
		const char *auth = scheme + 3, *at = strchr(auth, '@'), *slash = strchr(auth, '/');
		if (at && (!slash || at < slash)) {
			const char *colon = memchr(auth, ':', (size_t)(at - auth));
			if (colon && colon + 1 < at)
				return true;
		}
	}
	return false;
}

static int read_env_file(state *st)
{
	const vs_migrate_opts *o = st->o;
	vs_error err = {0};
	struct stat sb;
	int fd, rc;

	/* A symlinked .env (.env -> .env.production): the backup, the strip and
	 * any restore act on the file it names, never replace the link. */
	if (!(st->env_path = realpath(o->env_file, NULL)))
		return fail(errno == EACCES ? VS_EX_NOPERM : VS_EX_IOERR, "%s: %s", o->env_file, strerror(errno));
	fd = open(st->env_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return fail(errno == EACCES ? VS_EX_NOPERM : VS_EX_IOERR, "%s: %s", o->env_file, strerror(errno));
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return fail(VS_EX_IOERR, "%s: not a regular file", o->env_file);
	}
	if ((rc = vs_read_fd(fd, o->env_file, VS_DOTENV_MAX, &st->text, &st->len, &err)))
		return fail(rc, "%s", err.msg);
	if ((rc = vs_dotenv_parse(o->env_file, st->text, st->len, &st->d, &err)))
		return fail(rc, "%s", err.msg);
	if (st->d->n_issues) {
		for (size_t i = 0; i < st->d->n_issues; i++)
			fprintf(stderr, "vaultshim: migrate: %s\n", st->d->issues[i]);
		return fail(VS_EX_MISSING, "%s: %zu statement%s not understood; fix %s first (nothing was changed)",
			    o->env_file, st->d->n_issues, st->d->n_issues == 1 ? "" : "s",
			    st->d->n_issues == 1 ? "it" : "them");
	}
	return 0;
}

/* The keys to migrate: --keys, --all, or the secret-looking ones. */
static int choose(state *st)
{
	const vs_migrate_opts *o = st->o;
	const char *words = o->match ? o->match : default_words;
	size_t l;

	if (!(st->picks = calloc(st->d->n + 1, sizeof *st->picks)))
		return fail(VS_EX_SOFTWARE, "out of memory");
	for (size_t i = 0; i < st->d->n; i++) {
		const vs_dotenv_entry *e = &st->d->entries[i];
		bool named = vs_list_has(o->keys, e->key, strlen(e->key));
		bool later = false;
		pick *p;
		/* later duplicates win: only the last statement of a key counts */
		for (size_t j = i + 1; j < st->d->n; j++)
			later |= !strcmp(st->d->entries[j].key, e->key);
		if (later)
			continue;
		if (o->keys ? !named : !(o->all || looks_secret(words, e->key, e->value)))
			continue;
		p = &st->picks[st->n++];
		p->name = e->key;
		p->value = e->value;
		p->line = e->line;
		p->action = A_WRITE;
		if (!e->value)
			snprintf(p->note, sizeof p->note, "no value ('%s' alone on its line)", e->key), p->action = A_SKIP;
		else if (!vs_valid_env_name(e->key, strlen(e->key)))
			snprintf(p->note, sizeof p->note, "not a valid environment variable name"), p->action = A_SKIP;
		else if (vs_reserved_name(e->key, strlen(e->key)))
			snprintf(p->note, sizeof p->note, "reserved name (configures vaultshim itself)"), p->action = A_SKIP;
		else if (e->interpolation && !named)
			snprintf(p->note, sizeof p->note, "holds ${...} or $(...), which python-dotenv may expand; "
				 "name it in --keys to migrate it literally"), p->action = A_SKIP;
	}
	/* every name --keys gives must be in the file */
	for (const char *k = o->keys, *item; vs_list_next(&k, &item, &l);) {
		bool found = false;
		for (size_t i = 0; i < st->n; i++)
			found |= strlen(st->picks[i].name) == l && !strncmp(st->picks[i].name, item, l);
		if (!found)
			return fail(VS_EX_USAGE, "--keys: '%.*s' is not set in %s", (int)l, item, o->env_file);
	}
	return 0;
}

/* Reads the destination as it is now and sets each pick's action. */
static int compare_with_vault(state *st)
{
	vs_vault_req req = {.path = st->o->path};
	vs_error err = {0};
	int rc = vs_vault_read(&st->vs, &req, 1, &st->cur, NULL, &err);

	if (rc)
		return fail(rc, "%s", err.msg);
	if (st->cur.code == VS_EX_MISSING && st->cur.http_status == 404) {
		st->exists = false;
	} else if (st->cur.code) {
		return fail(st->cur.code, "%s", st->cur.err);
	} else {
		st->exists = true;
	}
	if (st->cur.engine && !strcmp(st->cur.engine, "generic"))
		return fail(VS_EX_CONFIG, "%s is not on a KV mount", st->o->path);
	for (size_t i = 0; i < st->n; i++) {
		pick *p = &st->picks[i];
		const char *have = st->exists ? vs_secret_field(&st->cur, p->name) : NULL;
		if (p->action != A_WRITE || !have)
			continue;
		if (!strcmp(have, p->value))
			p->action = A_UNCHANGED;
		else
			p->action = st->o->overwrite ? A_OVERWRITE : A_CONFLICT;
	}
	return 0;
}

/* Writes "path#NAME" as a quoted config reference, escaped as every value
 * the migration writes, so the parser reads back exactly this path. */
static void put_ref(FILE *f, const char *path, const char *name)
{
	fputc('"', f);
	vs_migrate_put_escaped(f, path);
	fprintf(f, "#%s\"", name);
}

static bool is_migrated(const pick *p)
{
	return p->action == A_WRITE || p->action == A_UNCHANGED || p->action == A_OVERWRITE;
}

/* The [env] lines mapping the migrated names (only those not mapped yet).
 * With required, each is marked so: a program run with the config stops
 * (65) rather than run without a secret its .env no longer holds. */
static char *mapping_lines(state *st, size_t *len, bool all, bool required)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < st->n; i++) {
		const pick *p = &st->picks[i];
		if (!is_migrated(p) || (!all && p->mapped_already))
			continue;
		fprintf(f, "%s = ", p->name);
		put_ref(f, st->o->path, p->name);
		fputs(required ? " required\n" : "\n", f);
	}
	fclose(f);
	return buf;
}

static const char *no_env(const char *name, void *ctx)
{
	(void)name;
	(void)ctx;
	return NULL;
}

/* Checks the config-out: an existing mapping of a migrated name must point
 * at the same destination. */
static int check_config_out(state *st)
{
	const char *path = st->o->config_out;
	vs_error err = {0};
	int fd, rc;

	if (!path || access(path, F_OK) != 0)
		return 0;
	if ((fd = vs_open_private(path, "config file", &err)) < 0)
		return fail(err.code, "%s", err.msg);
	if ((rc = vs_read_fd(fd, path, VS_CONFIG_MAX, &st->cfg_text, &st->cfg_len, &err)))
		return fail(rc, "%s", err.msg);
	if ((rc = vs_config_parse(path, st->cfg_text, st->cfg_len, vs_libc_getenv, NULL, &st->cfg_out, &err)))
		return fail(rc, "%s", err.msg);
	for (size_t i = 0; i < st->n; i++) {
		pick *p = &st->picks[i];
		const vs_entry *e = vs_config_find(st->cfg_out, p->name);
		if (!is_migrated(p) || !e)
			continue;
		if (strcmp(e->path, st->o->path) || strcmp(e->field, p->name))
			return fail(VS_EX_CONFIG, "%s:%d: %s is mapped to %s#%s already, not to %s#%s; "
				    "change or remove that line first", path, e->line, p->name, e->path, e->field,
				    st->o->path, p->name);
		p->mapped_already = true;
	}
	return 0;
}

static const char *action_name(enum action a)
{
	static const char *const n[] = {"skip", "write", "unchanged", "overwrite", "CONFLICT"};
	return n[a];
}

static void print_plan(state *st)
{
	int w = 4;

	for (size_t i = 0; i < st->n; i++)
		if ((int)strlen(st->picks[i].name) > w)
			w = (int)strlen(st->picks[i].name);
	fprintf(st->out, "%-*s  %-9s  %s\n", w, "NAME", "ACTION", "DESTINATION / NOTE");
	for (size_t i = 0; i < st->n; i++) {
		const pick *p = &st->picks[i];
		if (p->action == A_SKIP)
			fprintf(st->out, "%-*s  %-9s  %s:%d: %s\n", w, p->name, "skip", st->o->env_file, p->line, p->note);
		else if (p->action == A_CONFLICT)
			fprintf(st->out, "%-*s  %-9s  %s#%s holds a different value (--overwrite to replace it)\n", w,
				p->name, "CONFLICT", st->o->path, p->name);
		else
			fprintf(st->out, "%-*s  %-9s  %s#%s\n", w, p->name, action_name(p->action), st->o->path,
				p->name);
	}
}

/* Resolves the migrated names through `cfg` with no environment, reading
 * Vault with `vs`, and checks each comes from Vault with exactly the value
 * it had in the .env. */
static int verify(state *st, const vs_config *cfg, vs_vault_settings *vs, const char *what)
{
	vs_resolution res;
	vs_error err = {0};
	int rc;
	size_t bad = 0;

	const char **names = calloc(st->n + 1, sizeof *names);
	size_t nn = 0;
	if (!names)
		return fail(VS_EX_SOFTWARE, "out of memory");
	for (size_t i = 0; i < st->n; i++)
		if (is_migrated(&st->picks[i]))
			names[nn++] = st->picks[i].name;
	rc = vs_resolve(cfg, names, nn, no_env, NULL, vs_vault_fetch, vs, &res, &err);
	free(names);
	if (rc)
		return fail(rc, "verification through %s: %s", what, err.msg);
	for (size_t i = 0; i < res.n; i++) {
		const vs_value *v = &res.values[i];
		const pick *p = NULL;
		for (size_t j = 0; j < st->n && !p; j++)
			if (!strcmp(st->picks[j].name, v->entry->name))
				p = &st->picks[j];
		if (v->source != VS_SRC_VAULT || !v->value || strcmp(v->value, p->value)) {
			fprintf(stderr, "vaultshim: migrate: verification through %s: %s does not read back "
				"as it was in %s (%s)\n", what, p->name, st->o->env_file,
				v->source != VS_SRC_VAULT ? v->vault_err : "the value differs");
			bad++;
		}
	}
	vs_resolution_clear(&res);
	return bad ? VS_EX_UNAVAILABLE : 0;
}

static int restore(state *st, bool env_written, bool cfg_written)
{
	vs_error err = {0};
	int rc = 0;

	if (env_written && vs_replace_file(st->env_path, st->text, st->len, 0600, &err)) {
		fail(VS_EX_IOERR, "could not restore %s: %s; the original is in %s", st->o->env_file, err.msg,
		     st->backup);
		rc = -1;
	} else if (env_written) {
		fprintf(stderr, "vaultshim: migrate: %s restored from %s\n", st->o->env_file, st->backup);
	}
	if (cfg_written) {
		if (st->cfg_text ? vs_replace_file(st->o->config_out, st->cfg_text, st->cfg_len, 0600, &err) != 0
				 : unlink(st->o->config_out) < 0) {
			fail(VS_EX_IOERR, "could not restore %s: %s", st->o->config_out,
			     st->cfg_text ? err.msg : strerror(errno));
			rc = -1;
		}
	}
	return rc;
}

/* Where --strip puts the plaintext backup: outside the working tree (a
 * backup beside the .env is one `git add .` from a commit, and is copied
 * with the app): --backup-dir, else the user's XDG state directory. */
static char *backup_dir(const vs_migrate_opts *o)
{
	const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char *d = NULL;

	if (o->backup_dir)
		return strdup(o->backup_dir);
	/* the XDG rules: a relative XDG_STATE_HOME is invalid, ignore it */
	if (x && x[0] == '/')
		return asprintf(&d, "%s/vaultshim", x) < 0 ? NULL : d;
	if (!home || !*home) {
		struct passwd *pw = getpwuid(geteuid());
		home = pw ? pw->pw_dir : NULL;
	}
	if (!home || !*home)
		return NULL;
	return asprintf(&d, "%s/.local/state/vaultshim", home) < 0 ? NULL : d;
}

/* The backup's name says which .env and when: the .env's absolute path
 * with '/' as '_' (its tail, if long), then .backup.<UTC time>. */
static void backup_name(const state *st, char *buf, size_t n)
{
	const char *p = st->env_path + (st->env_path[0] == '/');
	size_t l = strlen(p), off = l > 180 ? l - 180 : 0, i;
	time_t now = time(NULL);
	struct tm tm;

	for (i = 0; i + 1 < n && p[off + i]; i++)
		buf[i] = p[off + i] == '/' ? '_' : p[off + i];
	buf[i] = '\0';
	gmtime_r(&now, &tm);
	l = strlen(buf);
	l += (size_t)snprintf(buf + l, n - l, ".backup.");
	strftime(buf + l, n - l, "%Y%m%dT%H%M%SZ", &tm);
}

static bool confirm(state *st, size_t n_write)
{
	char line[32];

	if (st->o->yes)
		return true;
	if (!isatty(0)) {
		fail(VS_EX_USAGE, "standard input is not a terminal: pass --yes to write without asking");
		return false;
	}
	fprintf(stderr, "Write %zu secret%s to %s%s%s%s? [y/N] ", n_write, n_write == 1 ? "" : "s", st->o->path,
		st->o->strip ? ", strip them from " : "", st->o->strip ? st->o->env_file : "",
		st->o->config_out ? " and update the config" : "");
	fflush(stderr);
	if (!fgets(line, sizeof line, stdin))
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}

/* The destination must be a path the config can map, before anything is
 * read or written. */
static int check_path(const vs_migrate_opts *o)
{
	FILE *f;
	char *text = NULL;
	size_t tl = 0;
	vs_config *probe = NULL;
	vs_error err = {0};
	int rc = 0;

	if (!(f = open_memstream(&text, &tl)))
		return fail(VS_EX_SOFTWARE, "out of memory");
	fputs("[env]\nPROBE = ", f);
	put_ref(f, o->path, "PROBE");
	fputc('\n', f);
	fclose(f);
	if (vs_config_parse("--path", text, tl, no_env, NULL, &probe, &err)) {
		/* "--path:2: reason" -> "--path: reason" */
		const char *reason = strstr(err.msg, ": ");
		rc = fail(VS_EX_USAGE, "--path '%s': %s", o->path, reason ? reason + 2 : err.msg);
	}
	vs_config_free(probe);
	free(text);
	return rc;
}

/* The plan's counts (state's n_*). */
static void count_picks(state *st)
{
	for (size_t i = 0; i < st->n; i++) {
		const pick *p = &st->picks[i];
		st->n_write += p->action == A_WRITE || p->action == A_OVERWRITE;
		st->n_conflict += p->action == A_CONFLICT;
		st->n_migrated += is_migrated(p);
		st->n_map += is_migrated(p) && !p->mapped_already;
		if (is_migrated(p))
			for (size_t j = 0; j < st->d->n; j++)
				st->n_strip += !strcmp(st->d->entries[j].key, p->name);
	}
}

/* Shows the plan and decides: false, with the run's exit status in *rc,
 * when it ends here (nothing to do, a conflict, a dry run, not
 * confirmed). */
static bool go_ahead(state *st, int *rc)
{
	const vs_migrate_opts *o = st->o;

	*rc = 0;
	if (!st->n) {
		fprintf(st->out, "nothing to migrate: no %s in %s\n", o->keys ? "such keys" : "secret-looking names",
			o->env_file);
		return false;
	}
	print_plan(st);
	if (st->n_conflict) {
		*rc = fail(VS_EX_MISSING, "%zu name%s in %s hold%s a different value in Vault: nothing was written "
			   "(--overwrite replaces them)", st->n_conflict, st->n_conflict == 1 ? "" : "s", o->path,
			   st->n_conflict == 1 ? "s" : "");
		return false;
	}
	if (!st->n_migrated) {
		fprintf(st->out, "nothing to migrate: every chosen name was skipped\n");
		return false;
	}
	if (!st->n_write && (!o->config_out || !st->n_map) && (!o->strip || !st->n_strip)) {
		fprintf(st->out, "nothing to do: %zu secret%s already in Vault at %s with the same value%s%s\n",
			st->n_migrated, st->n_migrated == 1 ? "" : "s", o->path, st->n_migrated == 1 ? "" : "s",
			o->config_out ? " and mapped in the config" : "");
		return false;
	}
	if (o->dry_run) {
		fprintf(st->out, "dry run: would write %zu secret%s to %s%s%s; nothing was changed\n", st->n_write,
			st->n_write == 1 ? "" : "s", o->path, o->config_out ? ", map them in " : "",
			o->config_out ? o->config_out : "");
		return false;
	}
	if (!confirm(st, st->n_write)) {
		/* (not asked, stdin being no terminal: confirm said so) */
		if (o->yes || isatty(0)) {
			fprintf(stderr, "vaultshim: migrate: not confirmed; nothing was changed\n");
			*rc = 1;
		} else {
			*rc = VS_EX_USAGE;
		}
		return false;
	}
	return true;
}

/* The backup's directory is checked before anything is written: an unsafe
 * one stops the migration with nothing changed. */
static int check_backup_dir(state *st)
{
	vs_error err = {0};
	int rc;

	if (!st->o->strip)
		return 0;
	if (!(st->bdir = backup_dir(st->o)))
		return fail(VS_EX_USAGE, "no directory for the backup of %s: neither XDG_STATE_HOME nor HOME "
			    "is set; give --backup-dir DIR (nothing was changed)", st->o->env_file);
	if ((rc = vs_private_dir(st->bdir, "backup directory", &err)))
		return fail(rc, "%s (nothing was changed; --backup-dir DIR picks another)", err.msg);
	return 0;
}

/* 1. Vault: one write holding what is there plus the migrated keys */
static int write_vault(state *st)
{
	vs_error err = {0};
	size_t nf = 0;
	vs_field *fields;
	int rc;

	if (!st->n_write)
		return 0;
	if (!(fields = calloc(st->cur.n_fields + st->n + 1, sizeof *fields)))
		return fail(VS_EX_SOFTWARE, "out of memory");
	for (size_t i = 0; st->exists && i < st->cur.n_fields; i++) {
		bool replaced = false;
		for (size_t j = 0; j < st->n; j++)
			replaced |= is_migrated(&st->picks[j]) && !strcmp(st->picks[j].name, st->cur.fields[i].key);
		if (!replaced)
			fields[nf++] = st->cur.fields[i];
	}
	for (size_t j = 0; j < st->n; j++)
		if (is_migrated(&st->picks[j]))
			fields[nf++] = (vs_field){.key = (char *)st->picks[j].name,
						  .value = (char *)st->picks[j].value};
	/* check-and-set against the version seen: 0 when there is none, the
	 * deleted or destroyed latest version's number when that is all */
	rc = vs_vault_kv_write(&st->vs, st->o->path, 0, fields, nf, st->cur.kv_version_no, &err);
	free(fields);
	if (rc)
		return fail(rc, "writing %s: %s; %s was not changed", st->o->path, err.msg, st->o->env_file);
	return 0;
}

/* 2. read back through the resolver before any local change */
static int read_back(state *st)
{
	FILE *f;
	char *lines, *text = NULL;
	size_t lines_len = 0, tl = 0;
	vs_config *check_cfg = NULL;
	vs_error err = {0};
	int rc;

	if (!(lines = mapping_lines(st, &lines_len, true, false)))
		return fail(VS_EX_SOFTWARE, "out of memory");
	if (!(f = open_memstream(&text, &tl))) {
		free(lines);
		return fail(VS_EX_SOFTWARE, "out of memory");
	}
	fprintf(f, "[env]\n%s", lines);
	fclose(f);
	rc = vs_config_parse("(migration check)", text, tl, no_env, NULL, &check_cfg, &err);
	free(text);
	free(lines);
	if (rc)
		rc = fail(VS_EX_SOFTWARE, "%s", err.msg);
	else if ((rc = verify(st, check_cfg, &st->vs, "Vault")))
		fail(rc, "%s was not changed", st->o->env_file);
	vs_config_free(check_cfg);
	return rc;
}

/* 3. back up the .env before touching it, whole or not at all, never
 * over an earlier backup */
static int back_up(state *st)
{
	char name[256], *made = NULL;
	vs_error err = {0};
	int rc;

	if (!st->o->strip)
		return 0;
	backup_name(st, name, sizeof name);
	if ((rc = vs_create_private(st->bdir, name, st->text, st->len, &made, &err)))
		return fail(rc, "cannot back up %s: %s; %s was not changed", st->o->env_file, err.msg,
			    st->o->env_file);
	snprintf(st->backup, sizeof st->backup, "%s", made);
	free(made);
	return 0;
}

/* The config-out as it was, for map_names: whether [env] is its last
 * section (the new lines go on under it) and whether it has [vault]. */
static void config_sections(const state *st, bool *env_last, bool *has_vault)
{
	for (const char *l = st->cfg_text; l && l < st->cfg_text + st->cfg_len;) {
		const char *s = l;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '[')
			*env_last = !strncmp(s, "[env]", 5);
		*has_vault |= !strncmp(s, "[vault]", 7);
		l = memchr(l, '\n', st->cfg_len - (size_t)(l - st->cfg_text));
		l = l ? l + 1 : NULL;
	}
}

/* 4. map the names in the config */
static int map_names(state *st)
{
	const vs_migrate_opts *o = st->o;
	FILE *f;
	char *lines, *newcfg = NULL;
	size_t lines_len = 0, nl = 0;
	bool env_last = false, has_vault = false;
	vs_error err = {0};
	int rc;

	if (!o->config_out || !st->n_map)
		return 0;
	if (!(lines = mapping_lines(st, &lines_len, false, true)))
		return fail(VS_EX_SOFTWARE, "out of memory");
	if (!(f = open_memstream(&newcfg, &nl))) {
		free(lines);
		return fail(VS_EX_SOFTWARE, "out of memory");
	}
	if (st->cfg_text) {
		/* append under [env] when it is the last section, else open one */
		config_sections(st, &env_last, &has_vault);
		fwrite(st->cfg_text, 1, st->cfg_len, f);
		if (st->cfg_len && st->cfg_text[st->cfg_len - 1] != '\n')
			fputc('\n', f);
	} else {
		fprintf(f, "# vaultshim mapping config, written by 'vaultshim migrate' from %s\n", o->env_file);
	}
	/* a config that runs on its own: it reaches Vault as this migration
	 * did (an existing [vault] section is the operator's, and the check
	 * through the config below holds it to work) */
	if (!has_vault) {
		if (st->cfg_text)
			fputc('\n', f);
		vs_migrate_vault_section(f, &st->vs, st->conn, st->cannot, st->env_only, sizeof st->cannot);
		env_last = false;
	}
	if (!env_last)
		fputs(st->cfg_text ? "\n[env]\n" : "[env]\n", f);
	fputs(lines, f);
	fclose(f);
	free(lines);
	rc = vs_replace_file(o->config_out, newcfg, nl, 0600, &err);
	free(newcfg);
	if (rc)
		return fail(rc, "cannot write the config: %s; %s was not changed", err.msg, o->env_file);
	st->cfg_written = true;
	return 0;
}

/* 5. strip the migrated statements, every other byte kept */
static int strip_env(state *st)
{
	char *stripped;
	size_t sl = 0;
	vs_error err = {0};
	int rc;

	if (!st->o->strip || !st->n_strip)
		return 0;
	if (!(stripped = malloc(st->len + 1))) {
		rc = fail(VS_EX_SOFTWARE, "out of memory");
		restore(st, false, st->cfg_written);
		return rc;
	}
	for (size_t pos = 0; pos < st->len;) {
		const vs_dotenv_entry *drop = NULL;
		for (size_t j = 0; j < st->d->n && !drop; j++) {
			const vs_dotenv_entry *e = &st->d->entries[j];
			if (e->start != pos)
				continue;
			for (size_t k = 0; k < st->n; k++)
				if (is_migrated(&st->picks[k]) && !strcmp(st->picks[k].name, e->key))
					drop = e;
		}
		if (drop) {
			pos = drop->end;
			continue;
		}
		stripped[sl++] = st->text[pos++];
	}
	rc = vs_replace_file(st->env_path, stripped, sl, 0600, &err);
	/* the .env's text, less the secrets it no longer holds: wiped all
	 * the same (it is not a string: no vs_free_secret) */
	explicit_bzero(stripped, st->len);
	free(stripped);
	if (rc) {
		rc = fail(rc, "cannot rewrite %s: %s; it was not changed%s", st->o->env_file, err.msg,
			  st->cfg_written ? ", and the config is restored" : "");
		restore(st, false, st->cfg_written);
		return rc;
	}
	st->env_written = true;
	return 0;
}

/* 6. verify once more, through the config the program will use; a
 * mismatch restores what was changed */
static int verify_config(state *st)
{
	vs_config *written = NULL;
	vs_vault_settings ws;
	vs_error err = {0};
	int rc;

	if (!st->cfg_written)
		return 0;
	/* with the written config's own [vault] settings, as the program
	 * will read Vault: a config that cannot reach it is not left */
	if ((rc = vs_config_load(st->o->config_out, vs_libc_getenv, NULL, &written, &err)) ||
	    (rc = vs_vault_settings_init(&ws, written, vs_libc_getenv, NULL, &err))) {
		fail(rc, "%s", err.msg);
	} else {
		rc = verify(st, written, &ws, st->o->config_out);
		vs_vault_settings_clear(&ws);
	}
	vs_config_free(written);
	if (rc)
		restore(st, st->env_written, st->cfg_written);
	return rc;
}

/* What was done, and what the written config still needs from the
 * environment it runs in. */
static void report(const state *st)
{
	const vs_migrate_opts *o = st->o;
	const char *cannot = st->cannot;

	fprintf(st->out, "migrated %zu secret%s to %s (%zu written, %zu already there)\n", st->n_migrated,
		st->n_migrated == 1 ? "" : "s", o->path, st->n_write, st->n_migrated - st->n_write);
	if (st->cfg_written)
		fprintf(st->out, "mapped %zu name%s in %s (required)\n", st->n_map, st->n_map == 1 ? "" : "s",
			o->config_out);
	if (*cannot)
		fprintf(stderr, "vaultshim: migrate: %s: the config reads the %s from %s, as this migration did "
			"(a config file never holds a credential); set %s where the program runs, or %s in its "
			"[vault] section\n", o->config_out, strstr(cannot, "TOKEN") ? "token" : "credentials",
			cannot, cannot, strstr(cannot, "TOKEN") ? "token_file" : "the matching *_file key");
	if (*st->env_only)
		fprintf(stderr, "vaultshim: migrate: %s: no config key holds %s, which this migration used; "
			"set it where the program runs\n", o->config_out, st->env_only);
	if (st->env_written)
		fprintf(st->out, "removed %zu statement%s from %s; the original is in %s (mode 0600)\n", st->n_strip,
			st->n_strip == 1 ? "" : "s", o->env_file, st->backup);
}

static void state_clear(state *st)
{
	free(st->bdir);
	vs_config_free(st->cfg_out);
	vs_free_secret(st->cfg_text);
	vs_secret_clear(&st->cur);
	if (st->vs_ready)
		vs_vault_settings_clear(&st->vs);
	free(st->picks);
	free(st->env_path);
	vs_dotenv_free(st->d);
	if (st->text) {
		explicit_bzero(st->text, st->len);
		free(st->text);
	}
}

int vs_migrate(const vs_migrate_opts *o, const vs_config *conn, FILE *out)
{
	state st = {.o = o, .out = out, .conn = conn};
	vs_error err = {0};
	int rc;

	if ((rc = check_path(o)) || (rc = read_env_file(&st)) || (rc = choose(&st)))
		goto out;
	if ((rc = vs_vault_settings_init(&st.vs, conn, vs_libc_getenv, NULL, &err))) {
		rc = fail(rc, "%s", err.msg);
		goto out;
	}
	st.vs_ready = true;
	if ((rc = compare_with_vault(&st)) || (rc = check_config_out(&st)))
		goto out;
	count_picks(&st);
	if (!go_ahead(&st, &rc) || (rc = check_backup_dir(&st)))
		goto out;
	/* the order of "nothing lost" (see the top of this file): Vault
	 * written and read back before any local change; each local step
	 * restores what the ones before it changed when it fails */
	if ((rc = write_vault(&st)) || (rc = read_back(&st)) || (rc = back_up(&st)) || (rc = map_names(&st)) ||
	    (rc = strip_env(&st)) || (rc = verify_config(&st)))
		goto out;
	report(&st);
out:
	state_clear(&st);
	return rc;
}
