/*
 * refresh.c — [options] refresh: a lazy process serves values at most one
 * period old (README "Rotation and leases").
 *
 * The first getenv of a mapped name a period after the values were resolved
 * resolves again, once for the tree: under the hand-off's resolver lock, a
 * process that finds values some process of the tree resolved less than a
 * period ago takes them; otherwise it resolves (the helper, with
 * --skip-dynamic: a refresh never mints a credential) and writes the values
 * back with the time. So a tree asks Vault about once per period, whatever
 * the number of its processes.
 *
 * A refresh never harms a program that has its values (design, "Refresh"):
 * - it is taken whole or not at all: a name that came from Vault and does
 *   not come from Vault again keeps every value as it was (one path read
 *   once: a user and its password are one version);
 * - a failure keeps the last values, never applies the failure policy, and
 *   is reported once when refreshes start failing and once when they work
 *   again, never per call; the next attempt is a period later;
 * - strings served before stay valid (pitfall 5): a changed value is a new
 *   string, the old one is kept, and still counts as served when a program
 *   hands it to a child in an environment it built (pitfall 15).
 * Eager processes (their values were copied by the runtime at start) never
 * get here: their getenv does not pass the filter.
 */
#define _GNU_SOURCE
#include "preload.h"
#include "vs_log.h"
#include "vs_resolve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long vs_opt_refresh_ms;

/* when this process's values were resolved (by it or by the tree), in
 * CLOCK_MONOTONIC ms; read without a lock by getenv */
static _Atomic double values_at;
/* the hand-off's write count of the values this process serves */
static _Atomic uint32_t generation;
/* after a failed attempt, how much more than a period until the next: five
 * times what the attempt cost, so that a Vault that hangs (each attempt
 * blocks one getenv for the whole deadline) holds the program at most a
 * sixth of the time; 0 after a success */
static _Atomic double retry_ms;
/* this thread's last getenv of a mapped name, and since when a refresh has
 * been put off for a burst of reads (see vs_refresh_due) */
static __thread double last_read __attribute__((tls_model("initial-exec")));
static __thread double put_off __attribute__((tls_model("initial-exec")));
static bool failing;        /* the last attempt failed (one line per change) */

/* A string served before a refresh: kept, and recognised (exec.c). */
typedef struct old_value {
	const char *value;
	struct old_value *next;
} old_value;

void vs_refresh_values_set(double at, uint32_t gen)
{
	atomic_store_explicit(&values_at, at, memory_order_release);
	atomic_store_explicit(&generation, gen, memory_order_release);
	vs_handoff_map();
}

void vs_refresh_written(vs_snapshot *snap)
{
	snap->resolved_at_ms = atomic_load(&values_at);
	snap->generation = atomic_load(&generation);
	snap->retry_ms = (long)atomic_load(&retry_ms);
}

/*
 * Due: the tree has other values (a sibling refreshed, or the supervising
 * launcher marked them stale), or a period (and any backoff) has passed.
 * A program reads related names in a burst — libpq reads PGUSER, then
 * PGPASSWORD, microseconds apart, for one connection — and a refresh
 * between two of them would pair an old user with a new password. So a
 * refresh comes due only at a read that starts a burst (10 ms or more after
 * this thread's previous one), or after being put off for a second.
 */
static bool due_at(double now)
{
	const uint32_t *g = __atomic_load_n(&vs_ho_gen, __ATOMIC_ACQUIRE);

	if (g && __atomic_load_n(g, __ATOMIC_ACQUIRE) != atomic_load_explicit(&generation, memory_order_acquire))
		return true;
	return vs_opt_refresh_ms > 0 && now - atomic_load_explicit(&values_at, memory_order_acquire) >=
						(double)vs_opt_refresh_ms + atomic_load(&retry_ms);
}

bool vs_refresh_still_due(void)
{
	return due_at(vs_now_ms());
}

bool vs_refresh_due(void)
{
	double now = vs_now_ms(), prev = last_read;

	last_read = now;
	if (!due_at(now))
		return false;
	if (now - prev >= 10.0 || (put_off > 0 && now - put_off >= 1000.0)) {
		put_off = 0;
		return true;
	}
	if (put_off <= 0)
		put_off = now;
	return false;
}

bool vs_served_value(const mapped *m, const char *v)
{
	const char *cur = __atomic_load_n(&m->value, __ATOMIC_ACQUIRE);

	if (cur && !strcmp(cur, v))
		return true;
	for (const old_value *o = __atomic_load_n(&m->old, __ATOMIC_ACQUIRE); o; o = o->next)
		if (!strcmp(o->value, v))
			return true;
	return false;
}

/* m serves v from now on; the string it served is kept. false when out of
 * memory (m unchanged). */
static bool change(mapped *m, const char *v, bool from_env)
{
	char *nv;
	old_value *o = NULL;

	if (m->value && v && !strcmp(m->value, v)) {
		m->from_env = from_env;
		return true;
	}
	if ((v && !(nv = strdup(v))) || (m->value && !(o = malloc(sizeof *o)))) {
		free(o);
		return false;
	}
	if (!v)
		nv = NULL;
	if (o) {
		o->value = m->value;
		o->next = m->old;
		__atomic_store_n(&m->old, o, __ATOMIC_RELEASE);
	}
	m->from_env = from_env;
	__atomic_store_n(&m->value, nv, __ATOMIC_RELEASE);
	return true;
}

/* Values another process of the tree resolved. */
static void take(const vs_snapshot *s)
{
	for (size_t i = 0; i < s->n; i++) {
		mapped *m = vs_lookup_len(s->names[i], strlen(s->names[i]));
		if (m && s->values[i])
			change(m, s->values[i], s->from_env[i]);
	}
}

/* The new resolution is taken only if Vault answered for every name: a
 * value, or "no such secret" (it was deleted: the name then takes its
 * fallback, as at start) without a policy failure. Vault down, sealed or
 * refusing (69, 77, 78...) keeps every value as it was. */
static bool whole(const vs_resolution *res, const char **why)
{
	for (size_t i = 0; i < res->n; i++) {
		const vs_value *v = &res->values[i];
		if (v->code || (v->vault_code && v->vault_code != VS_EX_MISSING)) {
			*why = v->vault_err[0] ? v->vault_err : res->message;
			return false;
		}
	}
	return true;
}

static void apply(const vs_resolution *res)
{
	for (size_t i = 0; i < res->n; i++) {
		const vs_value *v = &res->values[i];
		mapped *m = vs_lookup_len(v->entry->name, strlen(v->entry->name));
		/* (a dynamic engine's path was not read: its value stays) */
		if (m && v->source != VS_SRC_DYNAMIC && v->value)
			change(m, v->value, v->source == VS_SRC_ENV);
	}
}

/* Resolves here; true when the values were taken. */
static bool resolve_here(void)
{
	vs_resolution res;
	vs_error err = {0};
	const char *why = NULL;
	bool ok = false;
	double t0 = vs_now_ms(), cost;

	if (vs_resolve_values(vs_now_ms() + (double)vs_deadline_ms(), true, &res, &err)) {
		why = err.msg;
	} else {
		if (whole(&res, &why)) {
			apply(&res);
			ok = true;
		}
		if (!ok && !why)
			why = "a name from Vault came from elsewhere";
	}
	cost = vs_now_ms() - t0;
	atomic_store(&retry_ms, ok || 5.0 * cost <= (double)vs_opt_refresh_ms ? 0.0
									 : 5.0 * cost - (double)vs_opt_refresh_ms);
	if (!ok && !failing && vs_opt_refresh_ms)
		fprintf(stderr, "vaultshim: refresh failed, the last values stay in use (next try in %.0f s): %s\n",
			((double)vs_opt_refresh_ms + atomic_load(&retry_ms)) / 1000.0, why);
	else if (!ok && !failing)
		fprintf(stderr, "vaultshim: new values could not be read, the last ones stay in use: %s\n", why);
	else if (ok && failing)
		fprintf(stderr, "vaultshim: refresh works again: values from Vault\n");
	failing = !ok;
	vs_resolution_clear(&res);
	return ok;
}

/* Values of the tree's hand-off another process may serve as they are:
 * resolved, not marked stale (time 0), not older than a period. (A time
 * ahead of ours comes from another time namespace: not taken.) */
static bool fresh(const vs_snapshot *snap, double now)
{
	return vs_tree_same(snap, vs_config_path) && snap->resolved && snap->resolved_at_ms > 0 &&
	       snap->resolved_at_ms <= now &&
	       (!vs_opt_refresh_ms || now - snap->resolved_at_ms < (double)(vs_opt_refresh_ms + snap->retry_ms));
}

/* Under the resolve lock (vaultshim.c), with the refresh due. Whatever
 * happens, the count this process ends with is the hand-off's as it read
 * it (or the one it wrote): the next refresh is due a period on, or at the
 * tree's next change, never at the next getenv. */
void vs_refresh_tree(void)
{
	vs_snapshot snap;
	const uint32_t *g = __atomic_load_n(&vs_ho_gen, __ATOMIC_ACQUIRE);
	uint32_t seen = g ? __atomic_load_n(g, __ATOMIC_ACQUIRE) : atomic_load(&generation);
	int lk = -1, got = -1;
	bool ok;

	if (atomic_load(&vs_unreadable))
		return;
	if (vs_ho.fd >= 0) {
		/* (without the lock, a process that cannot write the hand-off —
		 * it dropped its privileges — still reads it) */
		lk = vs_handoff_lock(vs_now_ms() + (double)vs_deadline_ms());
		if ((got = vs_handoff_read(&snap)) == 0) {
			bool take_them = fresh(&snap, vs_now_ms());
			seen = snap.generation;
			if (take_them) {
				if (snap.generation != atomic_load(&generation))
					take(&snap);
				atomic_store(&retry_ms, (double)snap.retry_ms);
				vs_refresh_values_set(snap.resolved_at_ms, snap.generation);
				vs_log(VS_LOG_DEBUG, "refresh: values from the hand-off");
			}
			vs_snapshot_free(&snap);
			if (take_them) {
				vs_handoff_unlock(lk);
				return;
			}
		}
	}
	if (!vs_need_config()) {
		vs_refresh_values_set(vs_now_ms(), seen);
		vs_handoff_unlock(lk);
		return;
	}
	/* a failed attempt counts too: the tree tries again a period later
	 * (unless it failed for this process's own sandbox) */
	ok = resolve_here();
	if (lk >= 0 && got == 0 && (ok || !vs_helper_refused())) {
		vs_refresh_values_set(vs_now_ms(), seen + 1);
		vs_tree_publish(true);
	} else {
		vs_refresh_values_set(vs_now_ms(), seen);
	}
	vs_handoff_unlock(lk);
}
