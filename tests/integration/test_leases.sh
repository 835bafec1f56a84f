#!/bin/bash
# The leases of dynamic secrets under `vaultshim exec` with watch, against
# the dev server (database role with default_ttl 3s, max_ttl 7s): the
# launcher reads the credential once for its program (the program's helper
# mints none), renews the lease at about 2/3 of its TTL, reads a new one
# before the old one reaches its max TTL, and the program (which stays,
# on_change = none) serves the new one at its next getenv; a restart takes
# the held credential instead of minting one; at the launcher's exit the
# lease is revoked; no value or token in any output. Counted at the dev
# server. Every process is bounded with `timeout`.
. "$(dirname "$0")/lib.sh"

# dbloop N: N times, every 200 ms, "MS PID DB_USER" (MS since its start)
cat >"$T/dbloop.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
static double ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}
int main(int argc, char **argv)
{
	int n = atoi(argv[1]);
	double t0 = ms();
	for (int i = 0; i < n; i++) {
		const char *u = getenv("DB_USER");
		printf("%.0f %d %s\n", ms() - t0, (int)getpid(), u ? u : "-");
		fflush(stdout);
		usleep(200000);
	}
	return 0;
}
C
cc -O1 -o "$T/dbloop" "$T/dbloop.c" || { echo "Bail out! cannot build dbloop"; exit 1; }

start_server
api POST /v1/database/roles/app '{"default_ttl":"3s","max_ttl":"7s"}' >/dev/null
C_ENV='DB_USER = database/creds/app#username
DB_PASS = database/creds/app#password'
NONE=$(conf none "watch = 1s" "on_change = none")

# --- renewed, then replaced before the max TTL; the program takes it -----------
control DELETE counters
timeout 40 "$VAULTSHIM" exec -c "$NONE" -- "$T/dbloop" 50 >"$T/none.out" 2>"$T/none.err"
rc=$?
reads=$(requests_for "GET database/creds/app")
renews=$(requests_for "POST sys/leases/renew")  # (the dev server counts PUT as POST, as Vault routes both to update)
$PY - "$T/none.out" >"$T/none.res" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
users = []
for ms, pid, user in rows:
    if not users or users[-1][1] != user:
        users.append((float(ms), user))
print("pids", len({r[1] for r in rows}))
print("users", len(users))
print("switch_ms", int(users[1][0]) if len(users) > 1 else -1)
print("unset", sum(1 for r in rows if r[2] == "-"))
PY
res() { sed -n "s/^$1 //p" "$T/none.res"; }
# every credential read was one the program served: its helper minted none
check "the launcher reads the credentials and the program gets them: none read by the program's helper" \
	$([ "$rc" = 0 ] && [ "$(res unset)" = 0 ] && [ "$(res pids)" = 1 ] && [ "$(res users)" = "$reads" ]; echo $?) \
	"rc=$rc $(tr '\n' ' ' <"$T/none.res")" "$(cat "$T/none.err")"
check "the lease is renewed at about 2/3 of its 3 s TTL (renewals counted at the server)" \
	$([ "$renews" -ge 2 ]; echo $?) "renewals: $renews"
# max TTL 7 s from the read: a new credential before then, served by the same
# process (no restart); 10 s of running: two or three credentials, not one per getenv
check "before the max TTL (7 s) a new credential is read, and the running program serves it (same pid)" \
	$([ "$(res switch_ms)" -gt 3000 ] && [ "$(res switch_ms)" -lt 7000 ] && [ "$reads" -ge 2 ] && [ "$reads" -le 3 ]; echo $?) \
	"first switch at $(res switch_ms) ms; credentials read: $reads; $(res users) users seen"
left=$(leases_left)
check "after the run no lease is left (the last one revoked at exit, the earlier ones expired)" \
	$([ "$left" = 0 ]; echo $?) "$left leases left of $reads read"

# --- a restart takes the held credential ------------------------------------------
api POST /v1/database/roles/app '{"default_ttl":"60s","max_ttl":"120s"}' >/dev/null
api POST /v1/secret/data/app/k '{"data":{"k":"one"}}' >/dev/null
C_ENV='DB_USER = database/creds/app#username
K = secret/app/k#k'
RESTART=$(conf restart "watch = 1s" "on_change = restart" "restart_grace = 1s")
control DELETE counters
(sleep 2; api POST /v1/secret/data/app/k '{"data":{"k":"two"}}' >/dev/null) &
w=$!
timeout 40 "$VAULTSHIM" exec -c "$RESTART" -- "$T/dbloop" 25 >"$T/restart.out" 2>"$T/restart.err"
wait $w
pids=$(cut -d' ' -f2 "$T/restart.out" | sort -u | wc -l)
users=$(cut -d' ' -f3 "$T/restart.out" | sort -u | wc -l)
reads=$(requests_for "GET database/creds/app")
check "on_change = restart: the new instance gets the held credential, none is minted for it" \
	$([ "$pids" = 2 ] && [ "$users" = 1 ] && [ "$reads" = 1 ]; echo $?) \
	"instances: $pids; distinct users: $users; credentials read: $reads" "$(cat "$T/restart.err")"
left=$(leases_left)
check "at the launcher's exit the lease it holds (60 s TTL, still live) is revoked" \
	$([ "$reads" -ge 1 ] && [ "$left" = 0 ]; echo $?) "$left leases left of $reads read"

# --- without watch, as before: the helper reads (and mints) itself --------------
control DELETE counters
PLAIN=$(conf plain)
timeout 20 "$VAULTSHIM" exec -c "$PLAIN" -- "$T/dbloop" 1 >"$T/plain.out" 2>"$T/plain.err"
check "without watch the program's helper reads the credential itself (one read, no renewal)" \
	$([ "$(requests_for "GET database/creds/app")" = 1 ] && [ "$(requests_for "POST sys/leases/renew")" = 0 ] && ! grep -q ' -$' "$T/plain.out"; echo $?) \
	"$(cat "$T/plain.err")"

# --- no value or token in any output ----------------------------------------------
leak=0
for f in "$T"/*.err; do
	grep -q -- "$ROOT_TOKEN" "$f" && { leak=1; echo "# token in $f"; }
	grep -Eq 'v-token-app-[0-9a-f]+' "$f" && { leak=1; echo "# a username in $f"; }
done
check "no credential or token on any stderr" $leak
