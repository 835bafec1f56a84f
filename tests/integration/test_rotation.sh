#!/bin/bash
# A database password rotated under a running program, with a real
# PostgreSQL (Debian's postgresql, started here in $T, password auth on a
# unix socket) and a C program using libpq that connects every 200 ms
# (libpq reads PGUSER, PGPASSWORD... with getenv at every connect), launched
# by `vaultshim exec` in lazy mode with `refresh = 1s`: after ALTER ROLE and
# the new password written to Vault it connects again by itself within a few
# seconds, in the same process, with few failures in between; with Vault
# stopped it keeps connecting with the last good values and says so once; the
# same program without refresh keeps failing after the rotation (the negative
# control); and no password or token in any output. Every process is bounded
# with `timeout`.
. "$(dirname "$0")/lib.sh"

# Under tests/sanitize/asan the preload beside this build's programs is the
# sanitized one, which cannot go first into every program (libpq's libraries
# read the environment before ASan has started): a copy of the programs
# beside the plain preload, which finds its helper beside itself.
if [ -n "${VAULTSHIM_TEST_SO_FILE:-}" ]; then
	copy_programs "$T/bin"
	VAULTSHIM=$T/bin/vaultshim
fi
# ind: a diagnostic of several lines as TAP comments (a log's "ok PID" line
# must not read as a passed check)
ind() { sed '2,$s/^/#   /'; }

# --- PostgreSQL: a cluster of its own in $T ----------------------------------
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ] || [ ! -x "$PGBIN/psql" ]; then
	not_ok "PostgreSQL's server programs (initdb, pg_ctl, psql under /usr/lib/postgresql/*/bin)" \
		"not installed: install Debian's package postgresql (scripts/install-deps)"
	exit 1
fi
PGVER=$(basename "$(dirname "$PGBIN")")
# PostgreSQL will not run as root: as root its programs run as the postgres
# user (nobody if there is none), which may enter $T (group, search only:
# every file here that holds a secret is 0600) but owns only its own dirs.
PGUSER_OS=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
	PGUSER_OS=postgres
	id postgres >/dev/null 2>&1 || PGUSER_OS=nobody
	chgrp "$(id -g "$PGUSER_OS")" "$T" && chmod 710 "$T"
fi
# as_pg SECONDS CMD...: CMD as that user, from /, bounded
as_pg() {
	local s=$1
	shift
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && timeout "$s" runuser -u "$PGUSER_OS" -- "$@")
	else
		(cd / && timeout "$s" "$@")
	fi
}
PGD=$T/pg/data     # the cluster
SOCK=$T/pg/sock    # its only listener: a unix socket in this directory
PGPORT_N=$((20000 + RANDOM % 20000)) # names the socket file (.s.PGSQL.N), no TCP
mkdir -p "$T/pg/sock" && chmod 700 "$T/pg" "$T/pg/sock"
[ "$PGUSER_OS" = "$(id -un)" ] || chown -R "$PGUSER_OS:" "$T/pg"

_progs=() # the programs' `timeout` wrappers, stopped at exit
pg_cleanup() {
	for p in "${_progs[@]}"; do reap "$p"; done
	if [ -f "$PGD/postmaster.pid" ]; then
		as_pg 15 "$PGBIN/pg_ctl" -D "$PGD" -m immediate -w -t 10 stop >/dev/null 2>&1
		pm=$(head -1 "$PGD/postmaster.pid" 2>/dev/null)
		[ -n "$pm" ] && kill -0 "$pm" 2>/dev/null && kill -KILL "$pm" 2>/dev/null
	fi
	cleanup
}
trap pg_cleanup EXIT

SUPW=su-$(rand)  # the cluster superuser's password
P1=p1-$(rand)    # app's password before the rotation
P2=p2-$(rand)    # and after
P3=p3-$(rand)    # and after the next one
(umask 077 && printf '%s\n' "$SUPW" >"$T/pg/supw")
[ "$PGUSER_OS" = "$(id -un)" ] || chown "$PGUSER_OS:" "$T/pg/supw"
as_pg 60 "$PGBIN/initdb" -D "$PGD" -U postgres --pwfile="$T/pg/supw" -A scram-sha-256 \
	-E UTF8 --no-sync >"$T/initdb.log" 2>&1
rc=$?
rm -f "$T/pg/supw"
# password auth for everyone, on the socket only
printf 'local all all scram-sha-256\n' >"$PGD/pg_hba.conf"
cat >>"$PGD/postgresql.conf" <<PGCONF
listen_addresses = ''
unix_socket_directories = '$SOCK'
port = $PGPORT_N
fsync = off
log_min_messages = warning
PGCONF
[ $rc -eq 0 ] && as_pg 40 "$PGBIN/pg_ctl" -D "$PGD" -l "$T/pg/server.log" -w -t 30 start >/dev/null 2>&1
rc=$?
# sql [ROLE PASSWORD]: runs its stdin over the socket (psql, bounded)
sql() {
	PGPASSWORD=${2:-$SUPW} timeout 15 "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PGPORT_N" \
		-U "${1:-postgres}" -d "${3:-postgres}" -f -
}
[ $rc -eq 0 ] && sql <<SQL >/dev/null 2>"$T/sql.err"
CREATE ROLE app LOGIN PASSWORD '$P1';
CREATE DATABASE appdb OWNER app;
SQL
rc=$?
who=$(echo 'SELECT current_user' | sql app "$P1" appdb 2>&1)
echo 'SELECT 1' | sql app "wrong-$P1" appdb >/dev/null 2>"$T/wrong.err"
wrong=$?
[ $rc -eq 0 ] && [ "$who" = app ] && [ $wrong -ne 0 ] && grep -q 'password authentication failed' "$T/wrong.err"
check "PostgreSQL $PGVER: a cluster in \$T on a unix socket; app connects with its password, a wrong one is refused" \
	$? "rc=$rc, as app: $(head -c 200 <<<"$who")" "$(tail -3 "$T/initdb.log" "$T/sql.err" "$T/wrong.err" "$T/pg/server.log" 2>/dev/null | ind)"
[ "$who" = app ] || exit 1

# --- the program: libpq, a connection every 200 ms ---------------------------
# pgloop LOG: until the file LOG.stop exists (or 60 s), PQconnectdb("") (its
# parameters from PG* variables), SELECT current_user, PQfinish, 200 ms
# sleep; one line per attempt in LOG: "ok PID" or "fail PID <first line of
# the error>" (libpq's errors never hold the password); exit 0.
cat >"$T/pgloop.c" <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libpq-fe.h>
int main(int argc, char **argv)
{
	char stop[4096], line[512];
	int fd, i;
	if (argc < 2) return 64;
	snprintf(stop, sizeof stop, "%s.stop", argv[1]);
	fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0600);
	if (fd < 0) return 73;
	for (i = 0; i < 300 && access(stop, F_OK) != 0; i++) {
		PGconn *c = PQconnectdb("");
		PGresult *r = NULL;
		const char *err = NULL;
		if (PQstatus(c) != CONNECTION_OK) {
			err = PQerrorMessage(c);
		} else {
			r = PQexec(c, "SELECT current_user");
			if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
				err = PQerrorMessage(c);
			else if (strcmp(PQgetvalue(r, 0, 0), "app") != 0)
				err = "connected, but not as app";
		}
		if (err)
			snprintf(line, sizeof line, "fail %d %.*s\n", (int)getpid(), (int)strcspn(err, "\n"), err);
		else
			snprintf(line, sizeof line, "ok %d\n", (int)getpid());
		(void)!write(fd, line, strlen(line));
		PQclear(r);
		PQfinish(c);
		nanosleep(&(struct timespec){0, 200 * 1000 * 1000}, NULL);
	}
	return 0;
}
C
PQFLAGS=$(pkg-config --cflags --libs libpq 2>/dev/null || echo "-I$("$PGBIN/pg_config" --includedir 2>/dev/null) -lpq")
# shellcheck disable=SC2086
cc -O1 -Wall -o "$T/pgloop" "$T/pgloop.c" $PQFLAGS 2>"$T/cc.err"
check "the libpq program builds" $? "install Debian's package libpq-dev (scripts/install-deps)" "$(head -5 "$T/cc.err" | ind)"
[ -x "$T/pgloop" ] || exit 1

# --- Vault: secret/db, two configs (with and without refresh) ----------------
start_server
db() { api POST /v1/secret/data/db "{\"data\":{\"host\":\"$SOCK\",\"port\":\"$PGPORT_N\",\"dbname\":\"appdb\",\"user\":\"app\",\"password\":\"$1\"}}" >/dev/null; }
db "$P1"
unset PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGPASSWORD PGPASSFILE PGSERVICE PGSERVICEFILE PGOPTIONS
export PGCONNECT_TIMEOUT=5 # (not mapped: a frozen server cannot hold an attempt longer)
C_ENV='PGHOST     = secret/db#host
PGPORT     = secret/db#port
PGDATABASE = secret/db#dbname
PGUSER     = secret/db#user
PGPASSWORD = secret/db#password'
RCONF=$(conf refresh 'refresh = 1s')
NCONF=$(conf plain)

# launch NAME CONF: pgloop under `vaultshim exec` (lazy: the default for a C
# program), in the background, bounded; log $T/NAME.log, stderr $T/NAME.err
launch() {
	timeout 60 "$VAULTSHIM" exec --config "$2" -- "$T/pgloop" "$T/$1.log" 2>"$T/$1.err" &
	_progs+=($!)
}
lines() { local n; n=$(wc -l <"$1" 2>/dev/null); echo "${n:-0}"; }
# after LOG N: the lines of LOG past its first N
after() { tail -n +$(($2 + 1)) "$1"; }
oks() { local n; n=$(grep -c '^ok ' "$1" 2>/dev/null); echo "${n:-0}"; }
pids() { cut -d' ' -f2 "$1" 2>/dev/null | sort -u; }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

launch refresh "$RCONF"
launch plain "$NCONF"
both_up() { [ "$(oks "$T/refresh.log")" -ge 3 ] && [ "$(oks "$T/plain.log")" -ge 3 ]; }
# (until both connected, or one of them is gone: a launch refused)
up_or_gone() { both_up || ! kill -0 "${_progs[0]}" 2>/dev/null || ! kill -0 "${_progs[1]}" 2>/dev/null; }
wait_for 100 up_or_gone
RPID=$(pids "$T/refresh.log")
NPID=$(pids "$T/plain.log")
both_up && ! grep -q '^fail' "$T/refresh.log" "$T/plain.log" && alive "$RPID" && alive "$NPID"
rc=$?
check "under vaultshim exec the program connects as app with PGHOST/PGUSER/PGPASSWORD... from Vault (with refresh = 1s and without)" \
	$rc "ok lines: $(oks "$T/refresh.log") and $(oks "$T/plain.log")" \
	"$(head -3 "$T/refresh.log" "$T/plain.log" "$T/refresh.err" "$T/plain.err" 2>&1 | ind)"
[ $rc -eq 0 ] || exit 1 # (nothing after this could mean anything)

# --- the rotation ------------------------------------------------------------
sql <<<"ALTER ROLE app PASSWORD '$P2';" >/dev/null 2>>"$T/sql.err"
rc=$?
r0=$(lines "$T/refresh.log") n0=$(lines "$T/plain.log")
db "$P2"
ms() { echo $(($(date +%s%N) / 1000000)); }
t0=$(ms)
# (the attempt under way during ALTER ROLE may have logged in before it: the
# first line after it proves nothing)
recovered() { after "$T/refresh.log" $((r0 + 1)) | grep -q '^ok '; }
wait_for 50 recovered
rec=$?
took=$(($(ms) - t0))
sleep 1.5
first=$(after "$T/refresh.log" $((r0 + 1)) | grep -n -m1 '^ok ' | cut -d: -f1)
fails=$(after "$T/refresh.log" "$r0" | grep -c '^fail')
[ $rc -eq 0 ] && [ $rec -eq 0 ] && [ "$(pids "$T/refresh.log")" = "$RPID" ] && alive "$RPID"
check "refresh = 1s: after ALTER ROLE and the new password in Vault, the program connects again within 5 s ($took ms), same process" \
	$? "ALTER ROLE rc=$rc; recovered: $([ $rec -eq 0 ] && echo yes || echo no)" \
	"pids: $(pids "$T/refresh.log" | tr '\n' ' ')(launched $RPID)" "$(after "$T/refresh.log" "$r0" | cut -c1-120 | tail -4 | ind)"
bad=$(after "$T/refresh.log" $((r0 + 1 + ${first:-0})) | grep -c '^fail')
# (none at all when the first attempt after ALTER ROLE came after the write
# to Vault, with a refresh due: the negative control shows the rotation)
[ -n "$first" ] && [ "$bad" = 0 ] && [ "$fails" -le 30 ]
check "refresh = 1s: every attempt since then succeeds; the failures in between are few ($fails, at most 30)" \
	$? "fails after recovery: $bad" "$(after "$T/refresh.log" "$r0" | grep '^fail' | cut -c1-160 | sort | uniq -c | head -3 | ind)"
# (at least 10 attempts since the rotation, 2 s and more: the refreshing
# program recovered within the same time)
refused10() { [ "$(after "$T/plain.log" $((n0 + 1)) | grep -c '^fail')" -ge 10 ]; }
wait_for 50 refused10
nok=$(after "$T/plain.log" $((n0 + 1)) | grep -c '^ok ')
nfail=$(after "$T/plain.log" $((n0 + 1)) | grep -c '^fail.*password authentication failed')
[ "$nok" = 0 ] && [ "$nfail" -ge 10 ] && [ "$(pids "$T/plain.log")" = "$NPID" ] && alive "$NPID"
check "negative control: without refresh the same program keeps failing after the rotation (the old password, same process)" \
	$? "since the rotation: $nok ok, $nfail refused" "$(after "$T/plain.log" "$n0" | cut -c1-120 | tail -3 | ind)"
touch "$T/plain.log.stop"

# --- Vault stopped under the program -----------------------------------------
cp "$T/refresh.err" "$T/refresh.err.before"
r1=$(lines "$T/refresh.log")
stop_server
sleep 3.5
since=$(after "$T/refresh.log" "$r1")
k=$(grep -c '^ok ' <<<"$since")
f=$(grep -c '^fail' <<<"$since")
[ "$k" -ge 8 ] && [ "$f" = 0 ] && [ "$(pids "$T/refresh.log")" = "$RPID" ] && alive "$RPID"
check "Vault stopped: the program keeps connecting with the last good values (3.5 s: $k ok, $f failed), same process" \
	$? "pids: $(pids "$T/refresh.log" | tr '\n' ' ')(launched $RPID)" "$(tail -3 <<<"$since" | cut -c1-120 | ind)"
w=$(diff "$T/refresh.err.before" "$T/refresh.err" | grep -c '^> ')
[ "$w" = 1 ] && diff "$T/refresh.err.before" "$T/refresh.err" | grep -qE "^> $LOG_HEAD"
check "Vault stopped: one warning on the program's stderr over 3 refresh periods, not one per getenv ($w)" \
	$? "$(ind <"$T/refresh.err")"

# --- Vault back (the same address and token), then another rotation ---------
restart_server
db "$P2" # (the dev server starts empty)
said_twice() { [ "$(diff "$T/refresh.err.before" "$T/refresh.err" | grep -c '^> ')" -ge 2 ]; }
wait_for 40 said_twice
sql <<<"ALTER ROLE app PASSWORD '$P3';" >/dev/null 2>>"$T/sql.err"
rc=$?
r2=$(lines "$T/refresh.log")
db "$P3"
t0=$(ms)
recovered3() { after "$T/refresh.log" $((r2 + 1)) | grep -q '^ok '; }
wait_for 50 recovered3
rec=$?
took=$(($(ms) - t0))
w=$(diff "$T/refresh.err.before" "$T/refresh.err" | grep -c '^> ')
[ $rc -eq 0 ] && [ $rec -eq 0 ] && [ "$w" = 2 ] && [ "$(pids "$T/refresh.log")" = "$RPID" ] && alive "$RPID"
check "Vault back: said once, and the next rotation is picked up again within 5 s ($took ms), same process" \
	$? "ALTER ROLE rc=$rc; recovered: $([ $rec -eq 0 ] && echo yes || echo no); lines on stderr since Vault stopped: $w" \
	"$(ind <"$T/refresh.err")" "$(after "$T/refresh.log" "$r2" | cut -c1-120 | tail -3 | ind)"

# --- the programs end by themselves: exit 0 ----------------------------------
touch "$T/refresh.log.stop"
rcs=""
for p in "${_progs[@]}"; do
	wait "$p"
	rcs="$rcs $?"
done
_progs=()
[ "$rcs" = " 0 0" ]
check "both programs ran to their end (exit 0: never stopped by vaultshim)" $? "exit statuses:$rcs"

# --- nothing secret in any output ---------------------------------------------
leak=""
for f in "$T/refresh.log" "$T/refresh.err" "$T/plain.log" "$T/plain.err"; do
	for v in "$P1" "$P2" "$P3" "$SUPW" "$ROOT_TOKEN"; do
		grep -qF -- "$v" "$f" 2>/dev/null && leak="$leak ${f##*/}"
	done
done
[ -z "$leak" ]
check "no password or token in the programs' logs or stderr (the launcher's included)" $? "in:$leak"
