/*
 * vs_audit.h — the audit trail (`[options] audit = syslog | FILE | off`):
 * one record per resolution that serves values to a program — the
 * preload's first resolution and each refresh, `vaultshim run`, `vaultshim
 * get` — written by the process that completes it. A record is one JSON
 * object on one line (README, "Logs and the audit trail";
 * docs/design.md, "Audit records"):
 *
 *   {"time":"…Z","event":"resolve","pid":1234,"uid":1000,"prog":"psql",
 *    "exe":"/usr/bin/psql","config":"/etc/app/vaultshim.conf","status":0,
 *    "names":[{"name":"DB_PASSWORD","source":"vault","vault":"secret/app/db@3"},
 *             {"name":"API_KEY","source":"env"}],
 *    "requests":3,"ms":12.5}
 *
 * names, sources, paths and KV versions: never a value, never a token.
 * libc only (the preload writes records): a FILE is opened for each record
 * (O_APPEND|O_CREAT|O_NOFOLLOW, 0600), checked like the config (owner,
 * mode: vs_check_stat) and written with one write(); syslog is a datagram
 * to /dev/log (facility authpriv), not openlog/syslog, which would change
 * the host program's own syslog identity.
 */
#ifndef VS_AUDIT_H
#define VS_AUDIT_H

#include "vs_resolve.h"

/* Writes the record of res (event: "resolve", "refresh", "run", "get";
 * cmd: for run, the command it starts with the values, else NULL; the
 * requests and ms of res->stats) where cfg's audit option says; off:
 * nothing. 0, or a sysexits code with err "CONFIG:LINE: audit FILE: reason". */
int vs_audit_record(const vs_config *cfg, const char *event, const char *cmd, const vs_resolution *res,
		    vs_error *err);

/* The FILE trail can be written (opened, created if need be, and checked
 * as a record would be); 0 for syslog and off. For `vaultshim check`. */
int vs_audit_check(const vs_config *cfg, vs_error *err);

#endif
