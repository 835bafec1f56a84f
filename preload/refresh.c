/*
 * refresh.c — [options] refresh: a lazy process serves values at most one
 * period old (README "Rotation and leases").
 *
 * The first getenv of a mapped name a period after the values were resolved
 * resolves again, once for the tree: a process takes the hand-off's values
 * whenever they are newer than its own (each write of values bumps a count
 * that every process reads in the mapped head), and resolves itself only
 * when they are a period old too, under the hand-off's resolver lock (the
 * helper, with --skip-dynamic: a refresh never mints a credential); a
 * success is written back with the time. So a tree asks Vault about once
 * per period, whatever the number of its processes. A failure is never
 * written: it is the failing process's own (no token in its environment,
 * its own sandbox), and must neither roll the tree back nor hold it.
 *
 * A refresh never harms a program that has its values (docs/design.md, "Refresh"):
 * - it is taken whole or not at all: a name that came from Vault and does
 *   not come from Vault again keeps every value as it was (one path read
 *   once: a user and its password are one version);
 * - a failure keeps the last values, never applies the failure policy, and
 *   is reported once when refreshes start failing and once when they work
 *   again, never per call; the next attempt is a period later, or five
 *   times what the failed one cost (a hung Vault);
 * - strings served before stay valid (docs/design.md, pitfall 5): a changed value is a new
 *   string, and every string served as a Vault value is kept on a list and
 *   still counts as served when a program hands it to a child in an
 *   environment it built (docs/design.md, pitfall 15), even once the name falls back to the
 *   environment.
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
#include <time.h>

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
/* no try before this (the tree's backoff after a failure of the tree's) */
static _Atomic double not_before;
/* this thread's last getenv of a mapped name, and since when a refresh has
 * been put off for a burst of reads (see vs_refresh_due) */
static __thread double last_read __attribute__((tls_model("initial-exec")));
static __thread double put_off __attribute__((tls_model("initial-exec")));
static bool failing;        /* the last attempt failed (one line per change) */

/* A string served as a Vault value (never freed: pointers to it stay
 * valid), recognised in a child's environment (exec.c). */
typedef struct old_value {
	const char *value;
	struct old_value *next;
} old_value;

/* a count a is ahead of b (it wraps) */
static bool newer(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

void vs_refresh_values_set(double at, uint32_t gen)
{
	double now = vs_now_ms();

	/* (a time ahead of ours: the writer was in another time namespace) */
	atomic_store_explicit(&values_at, at > now ? now : at, memory_order_release);
	atomic_store_explicit(&generation, gen, memory_order_release);
	vs_handoff_map();
}

void vs_refresh_written(vs_snapshot *snap)
{
	snap->resolved_at_ms = atomic_load(&values_at);
	snap->generation = atomic_load(&generation);
	snap->failed_at_ms = 0; /* (values are written after a success only) */
	snap->retry_ms = 0;
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
/* (the coarse clock: a few ns where the precise one costs ~25, on every
 * served getenv; its tick is far below a period or a burst's 10 ms) */
static double coarse_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static bool gen_due(void)
{
	const uint32_t *g = __atomic_load_n(&vs_ho_gen, __ATOMIC_ACQUIRE);

	return g && __atomic_load_n(g, __ATOMIC_ACQUIRE) != atomic_load_explicit(&generation, memory_order_acquire);
}

static bool time_due(double now)
{
	return vs_opt_refresh_ms > 0 && now >= atomic_load(&not_before) &&
	       now - atomic_load_explicit(&values_at, memory_order_acquire) >=
		       (double)vs_opt_refresh_ms + atomic_load(&retry_ms);
}

bool vs_refresh_still_due(void)
{
	return gen_due() || time_due(vs_now_ms());
}

bool vs_refresh_due(void)
{
	bool by_gen = gen_due();
	double now, prev;

	if (!by_gen && vs_opt_refresh_ms <= 0)
		return false; /* (no clock read: refresh is off) */
	now = coarse_ms();
	prev = last_read;
	last_read = now;
	if (!by_gen && !time_due(now))
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

	if (cur && !atomic_load_explicit(&m->from_env, memory_order_acquire) && !strcmp(cur, v))
		return true;
	for (const old_value *o = __atomic_load_n(&m->old, __ATOMIC_ACQUIRE); o; o = o->next)
		if (!strcmp(o->value, v))
			return true;
	return false;
}

static bool listed(const mapped *m, const char *v)
{
	for (const old_value *o = m->old; o; o = o->next)
		if (!strcmp(o->value, v))
			return true;
	return false;
}

/* m serves v from now on (NULL: keeps what it has). The string it served
 * is kept, on m's list when it was a Vault value; a Vault value served
 * before is served from its first string again (a value that flips back
 * and forth costs nothing more). false when out of memory (m unchanged). */
static bool change(mapped *m, const char *v, bool from_env)
{
	const char *nv = NULL;
	old_value *o = NULL;

	if (!v || (m->value && !strcmp(m->value, v) && m->from_env == from_env))
		return true;
	for (o = m->old; o && !from_env; o = o->next)
		if (!strcmp(o->value, v))
			nv = o->value;
	o = NULL;
	if ((!nv && !(nv = strdup(v))) ||
	    (m->value && !m->from_env && !listed(m, m->value) && !(o = malloc(sizeof *o))))
		return false;
	if (o) {
		/* listed before the new value shows: a reader that sees the new
		 * one sees the old one here */
		o->value = m->value;
		o->next = m->old;
		__atomic_store_n(&m->old, o, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&m->value, (char *)nv, __ATOMIC_RELEASE);
	atomic_store_explicit(&m->from_env, from_env, memory_order_release);
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
static bool whole(const vs_resolution *res, const char **why, int *code)
{
	for (size_t i = 0; i < res->n; i++) {
		const vs_value *v = &res->values[i];
		if (v->code || (v->vault_code && v->vault_code != VS_EX_MISSING)) {
			*why = v->vault_err[0] ? v->vault_err : res->message;
			*code = v->vault_code ? v->vault_code : v->code;
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

/* Resolves here; true when the values were taken. *code: why not (a
 * sysexits code). */
static bool resolve_here(int *code)
{
	vs_resolution res;
	vs_error err = {0};
	const char *why = NULL;
	bool ok = false;
	double t0 = vs_now_ms(), cost;

	*code = 0;
	if ((*code = vs_resolve_values(vs_now_ms() + (double)vs_deadline_ms(), true, &res, &err))) {
		why = err.msg;
	} else {
		if (whole(&res, &why, code)) {
			apply(&res);
			ok = true;
			/* values served: recorded, as the first resolution was */
			vs_audit_resolution("refresh", &res);
		}
		if (!ok && !why)
			why = "a name from Vault came from elsewhere";
	}
	cost = vs_now_ms() - t0;
	atomic_store(&retry_ms, ok || 5.0 * cost <= (double)vs_opt_refresh_ms ? 0.0
									 : 5.0 * cost - (double)vs_opt_refresh_ms);
	if (!ok && !failing && vs_helper_refused())
		vs_log(VS_LOG_WARN, "refresh: this process may not start the resolver helper (%s); "
				    "its values stay as they are", why);
	else if (!ok && !failing && vs_opt_refresh_ms)
		vs_log(VS_LOG_WARN, "refresh failed, the last values stay in use (next try in %.0f s): %s",
		       ((double)vs_opt_refresh_ms + atomic_load(&retry_ms)) / 1000.0, why);
	else if (!ok && !failing)
		vs_log(VS_LOG_WARN, "new values could not be read, the last ones stay in use: %s", why);
	else if (ok && failing)
		/* (warn: it closes the warning above, at the same level) */
		vs_log(VS_LOG_WARN, "refresh works again: values from Vault");
	failing = !ok;
	vs_resolution_clear(&res);
	return ok;
}

/* Values of the tree's hand-off that need no resolution here: resolved,
 * not marked stale (time 0), not older than a period. */
static bool fresh(const vs_snapshot *snap, double now)
{
	/* (a time ahead of ours: the writer is in another time namespace, and
	 * its "recent" says nothing here) */
	return snap->resolved && snap->resolved_at_ms > 0 && snap->resolved_at_ms <= now &&
	       (!vs_opt_refresh_ms || now - snap->resolved_at_ms < (double)vs_opt_refresh_ms);
}

/* The tree failed to refresh a moment ago, for a cause that is the tree's:
 * the next try waits for the end of its backoff. */
static bool tree_waits(const vs_snapshot *snap, double now)
{
	double until = snap->failed_at_ms + (double)vs_opt_refresh_ms + (double)snap->retry_ms;

	if (!vs_opt_refresh_ms || snap->failed_at_ms <= 0 || snap->failed_at_ms > now || now >= until)
		return false;
	atomic_store(&not_before, until);
	return true;
}

/* Under the resolve lock (helper.c), with the refresh due. Whatever
 * happens, this process ends with a count at least the hand-off's and a
 * time: the next refresh is due a period on, or at the tree's next write,
 * never at the next getenv. */
void vs_refresh_tree(void)
{
	vs_snapshot snap;
	const uint32_t *g = __atomic_load_n(&vs_ho_gen, __ATOMIC_ACQUIRE);
	uint32_t own = atomic_load(&generation), top = g ? __atomic_load_n(g, __ATOMIC_ACQUIRE) : own;
	int lk = -1, got = -1, code = 0;
	bool ok;

	if (atomic_load(&vs_unreadable))
		return;
	if (vs_ho.fd >= 0) {
		/* another process is resolving for the tree: serve what we have
		 * (its values come at a later getenv), never wait for it */
		if ((lk = vs_handoff_trylock()) == VS_LOCK_BUSY)
			return;
		/* (without the lock — a process that dropped its privileges
		 * cannot take it — the hand-off is still read) */
		if ((got = vs_handoff_read(&snap)) == 0) {
			bool done = false;
			if (vs_tree_same(&snap, vs_config_path) && snap.resolved) {
				double now = vs_now_ms();
				if (newer(snap.generation, own)) {
					take(&snap);
					own = snap.generation;
				}
				if (!newer(own, snap.generation) && fresh(&snap, now)) {
					vs_refresh_values_set(snap.resolved_at_ms, own);
					vs_log(VS_LOG_DEBUG, "refresh: values from the hand-off");
					done = true;
				} else if (!gen_due() && tree_waits(&snap, now)) {
					atomic_store(&generation, own);
					done = true;
				}
			}
			if (newer(snap.generation, top))
				top = snap.generation;
			vs_snapshot_free(&snap);
			if (done) {
				vs_handoff_unlock(lk);
				return;
			}
		}
	}
	if (newer(own, top))
		top = own;
	if (!vs_need_config()) {
		/* this process cannot read its config (it dropped its
		 * privileges): it answers from the environment (docs/design.md, pitfall 15) */
		for (size_t i = 0; i < vs_n_map; i++)
			atomic_store(&vs_map[i].overridden, true);
		vs_refresh_values_set(vs_now_ms(), top);
		vs_handoff_unlock(lk);
		return;
	}
	ok = resolve_here(&code);
	/* values go to the tree after a success only; a failure of the tree's
	 * (Vault down, sealed, hanging) only holds the tree's next tries back,
	 * one of this process's own (no token, its sandbox) not even that */
	if (ok && lk >= 0 && got == 0) {
		vs_refresh_values_set(vs_now_ms(), top + 1);
		vs_tree_publish(true);
	} else {
		vs_refresh_values_set(vs_now_ms(), top);
		if (!ok && lk >= 0 && got == 0 && code == VS_EX_UNAVAILABLE && !vs_helper_refused())
			vs_handoff_note_failure(vs_now_ms(), (long)atomic_load(&retry_ms));
	}
	vs_handoff_unlock(lk);
}
