#!/bin/bash
# vaultshim exec with watch (the supervising launcher) against the dev
# server, watch = 1s: on_change = SIGHUP sends one signal per change and none
# when nothing changed (KV v2 by version, KV v1 by value); on_change =
# restart starts the program again with the new value, and SIGKILLs one that
# ignores stop_signal after restart_grace; gunicorn serves the new
# SECRET_KEY after a restart; Vault stopped and started again never stops the
# program and is logged once each way; signals are forwarded and the exit
# status is the program's; a resolution of the program's tree in progress is
# waited for as long as VAULT_CLIENT_TIMEOUT gives it; the polls as the dev
# server counts them (one read per path per period, no dynamic path, one
# AppRole login, renewals); and no value or token in any output. Every
# process is bounded with `timeout`.
. "$(dirname "$0")/lib.sh"

_pids=() # supervisors started here (each leads its process group), killed
	  # with their programs at exit whatever happens
_dogs=() # their watchdogs
watch_cleanup() {
	for p in "${_pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null; done
	for p in "${_dogs[@]}"; do kill "$p" 2>/dev/null; done
	cleanup
}
trap watch_cleanup EXIT
count() { local n; n=$(grep -c "^$1" "$2" 2>/dev/null); echo "${n:-0}"; }
has_count() { [ "$(count "$1" "$2")" -ge "$3" ]; }

# The program under watch: appends "start PID VALUE-OF-$2" to LOG ($1) at
# start, and the name of every signal it gets; ignore-term ignores SIGTERM,
# otherwise SIGTERM ends it (exit 0); SIGUSR2 ends it with exit 3.
cat >"$T/sigcount.c" <<'C'
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
static int fd;
static void say(const char *s) { (void)!write(fd, s, strlen(s)); }
static void on(int sig)
{
	say(sig == SIGHUP ? "HUP\n" : sig == SIGINT ? "INT\n" : sig == SIGUSR1 ? "USR1\n" :
	    sig == SIGUSR2 ? "USR2\n" : "TERM\n");
	if (sig == SIGTERM) _exit(0);
	if (sig == SIGUSR2) _exit(3);
}
int main(int argc, char **argv)
{
	char line[512];
	const char *v = getenv(argv[2]);
	fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0600);
	snprintf(line, sizeof line, "start %d %s\n", (int)getpid(), v ? v : "(unset)");
	say(line);
	signal(SIGHUP, on); signal(SIGINT, on); signal(SIGUSR1, on); signal(SIGUSR2, on);
	signal(SIGTERM, argc > 3 && !strcmp(argv[3], "ignore-term") ? SIG_IGN : on);
	for (;;) pause();
}
C
cc -O1 -o "$T/sigcount" "$T/sigcount.c" || { echo "Bail out! cannot build the test program"; exit 1; }

start_server --kv-v1 kv
V1=v1-$(rand) V2=v2-$(rand) V3=v3-$(rand) K1=k1-$(rand) K2=k2-$(rand)
VALUES=("$V1" "$V2" "$V3" "$K1" "$K2")
kv2() { api POST /v1/secret/data/app/w "{\"data\":{\"v\":\"$1\",\"other\":\"x\"}}" >/dev/null; }
kv1() { api POST /v1/kv/app "{\"k\":\"$1\"}" >/dev/null; }
kv2 "$V1"
kv1 "$K1"
C_ENV='V = secret/app/w#v
K = kv/app#k'

# watch NAME CONF [exec options] -- CMD...: the supervisor in the background
# (setsid: its own process group, with the same pid), stderr in
# $T/NAME.err (VAULTSHIM_LOG=info, or W_LOG); sets W_PID. A watchdog kills
# the group after 40 s: the signals the tests send must reach the supervisor
# itself.
watch() {
	local name=$1 conf=$2
	shift 2
	VAULTSHIM_LOG=${W_LOG:-info} setsid "$VAULTSHIM" exec -c "$conf" "$@" 2>"$T/$name.err" &
	W_PID=$!
	_pids+=("$W_PID")
	(sleep 40; kill -KILL -- "-$W_PID") >/dev/null 2>&1 &
	_dogs+=($!)
}
# child_pid LOG: the program's pid from its last start line
child_pid() { grep '^start' "$1" | tail -1 | cut -d' ' -f2; }

# --- on_change = SIGHUP ------------------------------------------------------
CONF=$(conf hup 'watch = 1s' 'on_change = SIGHUP')
watch hup "$CONF" -- "$T/sigcount" "$T/hup.log" V
wait_for 50 has_count start "$T/hup.log" 1
grep -qF "start $(child_pid "$T/hup.log") $V1" "$T/hup.log"
check "watch: the program starts under the supervisor with its value" $? "$(cat "$T/hup.err")"
sleep 2.5
kv1 "$K1" # a KV v1 write that changes nothing: compared by value, no signal
sleep 2
n=$(count HUP "$T/hup.log")
cp=$(child_pid "$T/hup.log")
ppid=$(awk '/^PPid:/ {print $2}' "/proc/${cp:-0}/status" 2>/dev/null)
[ "$n" = 0 ] && [ -n "$cp" ] && [ "$ppid" = "$W_PID" ]
check "on_change = SIGHUP: no signal over 4 periods with no change (and a KV v1 write of the same value)" \
	$? "HUPs: $n; program ${cp:-not started}, its parent ${ppid:-?}, the supervisor $W_PID"
kv2 "$V2"
wait_for 40 has_count HUP "$T/hup.log" 1
sleep 1.5
n=$(count HUP "$T/hup.log")
check "on_change = SIGHUP: exactly one signal for a KV v2 write" $(( n != 1 )) "HUPs: $n"
kv1 "$K2"
wait_for 40 has_count HUP "$T/hup.log" 2
sleep 1.5
n=$(count HUP "$T/hup.log")
check "on_change = SIGHUP: exactly one more for a KV v1 value change" $(( n != 2 )) "HUPs: $n"
grep -q 'watch: changed in Vault: kv/app; sending SIGHUP to' "$T/hup.err" &&
	[ "$(grep -c 'changed in Vault' "$T/hup.err")" = 2 ]
check "one log line per change, naming the path" $? "$(cat "$T/hup.err")"
n=$(count start "$T/hup.log")
check "on_change = SIGHUP: the program was not restarted" $(( n != 1 )) "starts: $n"

# --- Vault stopped during watch (the same program) ---------------------------
cp "$T/root-token" "$T/root-token.keep"
stop_server
sleep 3.5
kill -0 "$(child_pid "$T/hup.log")" 2>/dev/null && kill -0 "$W_PID"
check "Vault down: the program and the supervisor keep running" $?
n=$(grep -c 'Vault cannot be read' "$T/hup.err")
check "Vault down: said once, not per poll" $(( n != 1 )) "$(cat "$T/hup.err")"
# the same Vault back (same address, same token), its data restored
cp "$T/root-token.keep" "$T/root-token"
restart_server --kv-v1 kv
kv2 "$V2"
kv1 "$K2"
wait_for 120 grep -q 'Vault answers again' "$T/hup.err"
check "Vault back: said once" $? "$(cat "$T/hup.err")"
sleep 1.5
before=$(count HUP "$T/hup.log")
kv2 "$V3"
kv2 "$V3" # (the restarted dev server numbers versions afresh: past the old one)
wait_for 40 has_count HUP "$T/hup.log" $((before + 1))
check "Vault back: a change is noticed again" $? "HUPs before: $before, now: $(count HUP "$T/hup.log")"
n=$(count start "$T/hup.log")
check "Vault down and back: the program was never restarted or stopped" $(( n != 1 )) "starts: $n"
kill -TERM "$W_PID"; wait "$W_PID" 2>/dev/null

# --- on_change = restart -----------------------------------------------------
CONF=$(conf restart 'watch = 1s' 'restart_grace = 5s')
watch restart "$CONF" -- "$T/sigcount" "$T/restart.log" V
wait_for 50 has_count start "$T/restart.log" 1
p1=$(child_pid "$T/restart.log")
kv2 "$V1"
wait_for 40 has_count start "$T/restart.log" 2
grep '^start' "$T/restart.log" | tail -1 | grep -qF " $V1"
check "on_change = restart: started again with the new value" $? "$(cut -c1-12 "$T/restart.log")"
grep -q '^TERM' "$T/restart.log" && ! kill -0 "$p1" 2>/dev/null
check "on_change = restart: the old program got SIGTERM (stop_signal) and is gone" $?
kill -TERM "$W_PID"; wait "$W_PID" 2>/dev/null

CONF=$(conf grace 'watch = 1s' 'restart_grace = 1s')
watch grace "$CONF" -- "$T/sigcount" "$T/grace.log" V ignore-term
wait_for 50 has_count start "$T/grace.log" 1
p1=$(child_pid "$T/grace.log")
kv2 "$V2"
t0=$SECONDS
wait_for 60 has_count start "$T/grace.log" 2
! kill -0 "$p1" 2>/dev/null &&
	grep -q 'did not stop within restart_grace.*killing it; raise restart_grace in \[options\] if it needs longer to stop' "$T/grace.err" &&
	grep '^start' "$T/grace.log" | tail -1 | grep -qF " $V2"
check "a program ignoring SIGTERM is killed after restart_grace (the line names the key to raise) and started again" $? \
	"$(cat "$T/grace.err")" "after $((SECONDS - t0)) s"
kill -KILL "$(child_pid "$T/grace.log")"
wait "$W_PID"
rc=$?
check "the program killed by SIGKILL -> 137" $(( rc != 137 )) "rc=$rc"

# --- signals and exit status -------------------------------------------------
CONF=$(conf sig)
watch sig "$CONF" --watch 1s -- "$T/sigcount" "$T/sig.log" V
wait_for 50 has_count start "$T/sig.log" 1
for s in INT USR1; do kill -"$s" "$W_PID"; wait_for 30 has_count "$s" "$T/sig.log" 1; done
kill -TERM "$W_PID"
wait "$W_PID"
rc=$?
has_count INT "$T/sig.log" 1 && has_count USR1 "$T/sig.log" 1 && has_count TERM "$T/sig.log" 1
check "--watch: SIGINT, SIGUSR1, SIGTERM reach the program; its exit 0 is the supervisor's" \
	$(( $? || rc )) "rc=$rc $(tr '\n' ' ' < "$T/sig.log" | cut -c1-20)"
watch sig3 "$CONF" --watch 1s -- "$T/sigcount" "$T/sig3.log" V
wait_for 50 has_count start "$T/sig3.log" 1
kill -USR2 "$W_PID"
wait "$W_PID"
rc=$?
check "the program's exit 3 is the supervisor's" $(( rc != 3 )) "rc=$rc"

# --- a resolution of the tree in progress when a change is seen ---------------
# The supervisor waits for it as long as the preload gives it: Vault's
# timeout by the one rule (here VAULT_CLIENT_TIMEOUT = 20s, no timeout in the
# config) and the helper's start-up, not the default's 13 s. The program
# makes the tree's hand-off at a fork and execs itself (keeping only the
# hand-off's read-only descriptor: one wait, not one per descriptor); its
# child's first getenv waits for $T/go (with "self", the program's own), and
# its helper's mount lookup is delayed 16 s (the supervisor, which knows the
# mount after its first poll, never asks again). The change is made once
# that lookup is in.
cat >"$T/lazyget.c" <<'C'
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	struct stat st;
	if (argc > 2 && !strcmp(argv[2], "fork") && fork() > 0) {
		execl(argv[0], argv[0], argv[1], (char *)NULL);
		return 127;
	}
	if (argc > 2) {
		while (stat(argv[1], &st) != 0)
			usleep(50000);
		(void)!getenv("V");
	}
	for (;;) pause();
}
C
cc -O1 -o "$T/lazyget" "$T/lazyget.c" || { echo "Bail out! cannot build the test program"; exit 1; }
V4=v4-$(rand)
VALUES+=("$V4")
CONF=$(C_ENV='V = secret/app/w#v' conf slow 'watch = 1s' 'on_change = none')
W_LOG=debug VAULT_CLIENT_TIMEOUT=20s watch slow "$CONF" -- "$T/lazyget" "$T/go" fork
sleep 1.5
control POST faults '{"path":"sys/internal/ui/mounts/secret/app/w","delay_ms":16000,"count":1}'
touch "$T/go"
no_fault() { curl -s "$VAULT_ADDR/_control/faults" | grep -q '"faults": *\[\]'; }
wait_for 50 no_fault
kv2 "$V4"
t0=$SECONDS
stale() { grep -Eq 'hand-off (are marked stale|of .* to update)' "$T/slow.err"; }
wait_for 250 stale
grep -q "the values in .*'s hand-off are marked stale" "$T/slow.err" && ! grep -q 'holds no hand-off' "$T/slow.err"
check "watch waits for a resolution in progress as long as VAULT_CLIENT_TIMEOUT gives it (over 13 s), then marks the hand-off stale" \
	$? "$(grep -E 'hand-off|changed in Vault' "$T/slow.err")" "after $((SECONDS - t0)) s"
kill -TERM -- "-$W_PID"; wait "$W_PID" 2>/dev/null
control DELETE faults

# A resolver that never lets go (stopped mid-resolution) is waited for once,
# as long as the preload gives it (VAULT_CLIENT_TIMEOUT = 2s: 5 s), though
# the program, which made the hand-off itself, holds two descriptors of it.
rm -f "$T/go"
W_LOG=debug VAULT_CLIENT_TIMEOUT=2s watch stop "$CONF" -- "$T/lazyget" "$T/go" self
sleep 1.5
control POST faults '{"path":"sys/internal/ui/mounts/secret/app/w","delay_ms":1500,"count":1}'
touch "$T/go"
wait_for 50 no_fault
kill -STOP "$(pgrep -P "$W_PID" lazyget)"
kv2 "$V1"
t0=$SECONDS
wait_for 150 grep -q 'holds no hand-off' "$T/stop.err"
check "watch gives up on a stopped resolver after one deadline, not one per descriptor of the hand-off" \
	$(( $? || SECONDS - t0 >= 8 )) "after $((SECONDS - t0)) s" "$(grep -E 'hand-off|changed in Vault' "$T/stop.err")"
kill -CONT "$(pgrep -P "$W_PID" lazyget)"; kill -TERM -- "-$W_PID"; wait "$W_PID" 2>/dev/null

# --- as PID 1 (a container's init) --------------------------------------------
# the program leaves two orphans behind; in a PID namespace they are handed to
# the supervisor, which must reap them when they end
if ! unshare --pid --fork --kill-child true 2>/dev/null; then
	skip "PID 1: cannot make a PID namespace here"
else
	CONF=$(conf init)
	setsid unshare --pid --fork --kill-child "$VAULTSHIM" exec -c "$CONF" --watch 1s -- \
		sh -c '(sleep 0.3 &); (sleep 0.3 &); exec sleep 5' 2>"$T/init.err" &
	U_PID=$!
	_pids+=("$U_PID")
	sleep 1.5
	sup=$(pgrep -P "$U_PID" | head -1)
	z=$(ps -o stat= --ppid "${sup:-1}" 2>/dev/null | grep -c '^Z')
	[ -n "$sup" ] && grep -q vaultshim "/proc/$sup/cmdline" && [ "$z" = 0 ] &&
		ps -o comm= --ppid "$sup" | grep -qx sleep
	check "as PID 1 it reaps the orphans handed to it (no zombie), its program running" $? \
		"supervisor ${sup:-none}, zombies $z, $(cat "$T/init.err")"
	kill -KILL -- "-$U_PID" 2>/dev/null
	wait "$U_PID" 2>/dev/null
fi

# --- the polls, counted at the server ----------------------------------------
api POST /v1/sys/auth/approle '{"type":"approle"}' >/dev/null
api PUT /v1/sys/policies/acl/watch '{"policy":"path \"secret/data/*\" { capabilities = [\"read\"] }\npath \"kv/*\" { capabilities = [\"read\"] }\npath \"database/*\" { capabilities = [\"read\"] }"}' >/dev/null
api POST /v1/auth/approle/role/w '{"token_policies":["watch"],"token_ttl":"3s"}' >/dev/null
api GET /v1/auth/approle/role/w/role-id | $PY -c 'import json,sys; print(json.load(sys.stdin)["data"]["role_id"])' >"$T/rid"
api POST /v1/auth/approle/role/w/secret-id '{}' | $PY -c 'import json,sys; print(json.load(sys.stdin)["data"]["secret_id"])' >"$T/sid"
chmod 600 "$T/rid" "$T/sid"
SID=$(cat "$T/sid")
write_conf "$T/poll.conf" <<CONF
[vault]
address = $VAULT_ADDR
auth = approle
role_id_file = $T/rid
secret_id_file = $T/sid

[options]
watch = 1s

[env]
V = secret/app/w#v
V_OTHER = secret/app/w#other
K = kv/app#k
DB_USER = database/creds/app#username
CONF
control DELETE counters
# a program that reads none of them: every request counted is the supervisor's
watch poll "$T/poll.conf" -- sleep 30
sleep 1.5
c1=$(counters)
sleep 4
c2=$(counters)
kill -TERM "$W_PID"; wait "$W_PID" 2>/dev/null
out=$($PY - "$c1" "$c2" <<'PY'
import json, sys
a, b = (json.loads(x)["requests"] for x in sys.argv[1:3])
d = lambda k: b.get(k, 0) - a.get(k, 0)
bad = []
for p in ("GET secret/data/app/w", "GET kv/app"):
    if not 3 <= d(p) <= 5: bad.append("%s: %d reads in 4 s" % (p, d(p)))
if b.get("GET database/creds/app", 0): bad.append("the dynamic path was read")
if b.get("POST auth/approle/login", 0) != 1: bad.append("logins: %d" % b.get("POST auth/approle/login", 0))
if not d("POST auth/token/renew-self"): bad.append("no renewal of a 3 s token")
if any(k.startswith("GET sys/internal/ui/mounts") for k in a if d(k)): bad.append("mount lookups in every poll")
print("; ".join(bad) or "ok")
print(json.dumps(b))
PY
)
[ "$(head -1 <<<"$out")" = ok ]
check "polls: one read per mapped path per period, the dynamic path never, one AppRole login renewed at 2/3 of its TTL" \
	$? "$out"

# a token with a 5 s max TTL (explicit: the dev server caps renewals by that
# one only): renewed while it may be, then a fresh login
api POST /v1/auth/approle/role/m '{"token_policies":["watch"],"token_ttl":"3s","token_explicit_max_ttl":"5s"}' >/dev/null
api GET /v1/auth/approle/role/m/role-id | $PY -c 'import json,sys; print(json.load(sys.stdin)["data"]["role_id"])' >"$T/rid"
api POST /v1/auth/approle/role/m/secret-id '{}' | $PY -c 'import json,sys; print(json.load(sys.stdin)["data"]["secret_id"])' >"$T/sid"
SID2=$(cat "$T/sid")
control DELETE counters
watch maxttl "$T/poll.conf" -- sleep 30
sleep 6.5
c=$(counters)
kill -TERM "$W_PID"; wait "$W_PID" 2>/dev/null
out=$($PY -c 'import json, sys
r = json.loads(sys.argv[1])["requests"]
l, n = r.get("POST auth/approle/login", 0), r.get("POST auth/token/renew-self", 0)
print("ok" if l == 2 and n >= 1 else "logins %d, renewals %d" % (l, n))' "$c")
[ "$out" = ok ] && ! grep -q 'cannot be read' "$T/maxttl.err"
check "a login token near its max TTL is replaced by a fresh login, with no failed poll" $? "$out" \
	"$(cat "$T/maxttl.err")"

# the login's token (TTL 1 h: no renewal due) revoked under the supervisor:
# the next poll finds it refused, logs in again and reads, with no failed poll
api POST /v1/auth/approle/role/l '{"token_policies":["watch"],"token_ttl":"1h"}' >/dev/null
api GET /v1/auth/approle/role/l/role-id | $PY -c 'import json,sys; print(json.load(sys.stdin)["data"]["role_id"])' >"$T/rid-l"
api POST /v1/auth/approle/role/l/secret-id '{}' | $PY -c 'import json,sys; print(json.load(sys.stdin)["data"]["secret_id"])' >"$T/sid-l"
chmod 600 "$T/rid-l" "$T/sid-l"
SID3=$(cat "$T/sid-l")
sed -e "s#^role_id_file = .*#role_id_file = $T/rid-l#" -e "s#^secret_id_file = .*#secret_id_file = $T/sid-l#" \
	"$T/poll.conf" | write_conf "$T/poll-l.conf"
control DELETE counters
watch revoke "$T/poll-l.conf" -- sleep 30
sleep 1.5
control POST revoke '{"all_non_root":true}'
sleep 2
c=$(counters)
kill -TERM "$W_PID"; wait "$W_PID" 2>/dev/null
l=$($PY -c 'import json, sys; print(json.loads(sys.argv[1])["requests"].get("POST auth/approle/login", 0))' "$c")
[ "$l" = 2 ] && ! grep -q 'cannot be read' "$T/revoke.err"
check "a revoked login token: a fresh login at the next poll, which reads (no failed poll)" $? "logins: $l" \
	"$(cat "$T/revoke.err")"

# logins refused (503) for a while: the polls back off, not one login after
# another (each login is up to 3 requests: the client's own retries)
control POST faults '{"path":"auth/approle/login","status":503}'
control DELETE counters
watch refused "$T/poll-l.conf" -- sleep 30
sleep 3.5
c=$(counters)
alive=0; kill -0 "$W_PID" 2>/dev/null && alive=1
kill -TERM "$W_PID"; wait "$W_PID" 2>/dev/null
control DELETE faults
l=$($PY -c 'import json, sys; print(json.loads(sys.argv[1])["requests"].get("POST auth/approle/login", 0))' "$c")
[ "$alive" = 1 ] && [ "$l" -ge 1 ] && [ "$l" -le 9 ] && [ "$(grep -c 'cannot be read' "$T/refused.err")" = 1 ]
check "logins refused: the supervisor waits, backs off (at most 3 logins in 3.5 s) and says it once" $? \
	"login requests: $l, alive: $alive" "$(cat "$T/refused.err")"

# a token given in token_file: renewed when renewable (and never revoked),
# left alone when not
mktok() { # FILE JSON: a token made with the root token, into FILE (0600)
	new_token "$2" >"$1"
	chmod 600 "$1"
}
mktok "$T/tok-r" '{"policies":["watch"],"ttl":"3s"}'
mktok "$T/tok-n" '{"policies":["watch"],"ttl":"60s","renewable":false}'
TOKS=("$(cat "$T/tok-r")" "$(cat "$T/tok-n")")
control DELETE counters
CONF=$(C_TOKEN=$T/tok-r conf tokr 'watch = 1s')
watch tokr "$CONF" -- sleep 30
sleep 4.5
kill -TERM "$W_PID"; wait "$W_PID" 2>/dev/null
c1=$(counters)
# past its first 3 s, alive: renewed, and not revoked at the end
alive=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Vault-Token: ${TOKS[0]}" "$VAULT_ADDR/v1/auth/token/lookup-self")
CONF=$(C_TOKEN=$T/tok-n conf tokn 'watch = 1s')
watch tokn "$CONF" -- sleep 30
sleep 2.5
kill -TERM "$W_PID"; wait "$W_PID" 2>/dev/null
c2=$(counters)
out=$($PY -c 'import json, sys
a, b = (json.loads(x)["requests"] for x in sys.argv[1:3])
bad = []
if not a.get("POST auth/token/renew-self"): bad.append("the renewable 3 s token was not renewed")
if b.get("POST auth/token/renew-self", 0) != a.get("POST auth/token/renew-self", 0): bad.append("the non-renewable token was renewed")
if any("revoke" in k for k in b): bad.append("a revoke")
if not 4 <= a.get("GET kv/app", 0) <= 6: bad.append("kv/app reads: %d" % a.get("GET kv/app", 0))
print("; ".join(bad) or "ok")' "$c1" "$c2")
[ "$out" = ok ] && [ "$alive" = 200 ] && ! grep -q 'cannot be read' "$T/tokr.err" "$T/tokn.err"
check "a given token: renewed when renewable (polls never fail on a 3 s TTL), not when not, never revoked" \
	$? "$out; lookup-self after: $alive" "$(cat "$T/tokr.err" "$T/tokn.err")"

# --- gunicorn under watch -----------------------------------------------------
if ! $PY -c 'import flask, gunicorn' 2>/dev/null; then
	skip "Flask/gunicorn not installed for $PY"
else
	if [ -x /usr/bin/gunicorn ]; then GUNICORN=(/usr/bin/gunicorn); else GUNICORN=("$PY" -m gunicorn); fi
	SK1=sk1-$(rand) SK2=sk2-$(rand)
	VALUES+=("$SK1" "$SK2")
	api POST /v1/secret/data/web/flask "{\"data\":{\"secret_key\":\"$SK1\"}}" >/dev/null
	GCONF=$(C_ENV='SECRET_KEY = secret/web/flask#secret_key' conf gunicorn 'watch = 1s')
	cp -r "$ROOT/scripts/examples/flask" "$T/flask"
	GP=$(free_port)
	(cd "$T/flask" && VAULTSHIM_LOG=info exec setsid "$VAULTSHIM" exec -c "$GCONF" -- \
		"${GUNICORN[@]}" -w 1 --graceful-timeout 3 --bind "127.0.0.1:$GP" app:app) >"$T/g.out" 2>"$T/gunicorn.err" &
	W_PID=$!
	_pids+=("$W_PID")
	(sleep 40; kill -KILL -- "-$W_PID") >/dev/null 2>&1 &
	_dogs+=($!)
	sk_digest() { curl -s -m 2 "http://127.0.0.1:$GP/proof" | $PY -c 'import json,sys; print(json.load(sys.stdin)["sha256"].get("SECRET_KEY"))' 2>/dev/null; }
	sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
	serves() { [ "$(sk_digest)" = "$(sha "$1")" ]; }
	wait_for 150 serves "$SK1"
	check "gunicorn under watch serves SECRET_KEY from Vault" $? "$(tail -3 "$T/gunicorn.err")"
	api POST /v1/secret/data/web/flask "{\"data\":{\"secret_key\":\"$SK2\"}}" >/dev/null
	wait_for 150 serves "$SK2"
	check "gunicorn: restarted after a KV write, it serves the new SECRET_KEY" $? "$(tail -5 "$T/gunicorn.err")"
	kill -TERM "$W_PID"
	wait "$W_PID"
	rc=$?
	check "gunicorn: SIGTERM to the supervisor stops it (exit 0)" $rc "rc=$rc"
fi

# --- nothing secret in any output ---------------------------------------------
leak=""
for f in "$T"/*.err "$T/server.log"; do
	for v in "${VALUES[@]}" "$(cat "$T/root-token")" "$SID" "$SID2" "$SID3" "${TOKS[@]}"; do
		grep -qF -- "$v" "$f" && leak="$leak ${f##*/}"
	done
done
# (the logs checked are those of supervisors that saw changes)
n=$(cat "$T"/*.err | grep -c 'watch: changed in Vault')
[ -z "$leak" ] && [ "$n" -ge 4 ]
check "no value or token in any output of the supervisors (logs with $n changes)" $? "in:$leak"
