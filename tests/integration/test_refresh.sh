#!/bin/bash
# [options] refresh against the dev server, with refresh = 1s and C programs
# that call getenv in a loop (lazy mode): a KV write reaches the running
# process within about a period, same pid, and a user never comes with
# another version's password; without refresh the value never changes;
# strings served before stay valid; Vault stopped leaves the last values
# (on_error = fail does not exit a program that has them) with one line when
# refreshes start failing and one when they work again; a tree of processes
# asks Vault about once per period, not once per process; a dynamic
# engine's path is never read again by a refresh; an old value a program
# puts in a child's environment is still kept out of it; and no value or
# token in any output. Every process is bounded with `timeout`.
. "$(dirname "$0")/lib.sh"

# loop N [keep]: N times, every 200 ms, prints "PID USER PASS" from getenv
# (APP_USER, APP_PASS); with keep, also the string the first getenv of
# APP_PASS returned, as it reads now (docs/design.md, pitfall 5: it must
# stay valid).
cat >"$T/loop.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	int n = atoi(argv[1]), keep = argc > 2;
	const char *first = getenv("APP_PASS");
	for (int i = 0; i < n; i++) {
		const char *u = getenv("APP_USER"), *p = getenv("APP_PASS");
		if (keep)
			printf("%d %s %s first=%s\n", (int)getpid(), u ? u : "-", p ? p : "-", first ? first : "-");
		else
			printf("%d %s %s\n", (int)getpid(), u ? u : "-", p ? p : "-");
		fflush(stdout);
		usleep(200000);
	}
	return 0;
}
C
# tree N K: starts N children running `loop K` (through execv: each a
# process of this one's tree) and waits for them.
cat >"$T/tree.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	int n = atoi(argv[1]);
	for (int i = 0; i < n; i++)
		if (fork() == 0) {
			execl(argv[3], argv[3], argv[2], (char *)NULL);
			_exit(127);
		}
	while (wait(NULL) > 0)
		;
	return 0;
}
C
# hup N: like loop N (APP_PASS only), and says "HUP" for each SIGHUP; a
# child process of its own (fork, exec of loop) runs beside it.
cat >"$T/hup.c" <<'C'
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
static volatile sig_atomic_t hups;
static void on_hup(int sig) { (void)sig; hups++; }
int main(int argc, char **argv)
{
	int n = atoi(argv[1]), seen = 0;
	signal(SIGHUP, on_hup);
	if (fork() == 0) {
		signal(SIGHUP, SIG_IGN);
		execl(argv[2], argv[2], argv[1], (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < n; i++) {
		const char *p = getenv("APP_PASS");
		for (; seen < hups; seen++)
			printf("HUP\n");
		printf("%d %s\n", (int)getpid(), p ? p : "-");
		fflush(stdout);
		usleep(200000);
	}
	wait(NULL);
	return 0;
}
C
for p in loop tree hup; do
	cc -O1 -o "$T/$p" "$T/$p.c" || { echo "Bail out! cannot build $p"; exit 1; }
done
cc -O1 -o "$T/oldenv" "$ROOT/tests/programs/oldenv.c" || { echo "Bail out! cannot build oldenv"; exit 1; }

start_server
U1=u1-$(rand) P1=p1-$(rand) U2=u2-$(rand) P2=p2-$(rand)
put() { kv_put app/db user="$1" pass="$2"; } # USER PASS: secret/app/db
put "$U1" "$P1"
C_ENV='APP_USER = secret/app/db#user
APP_PASS = secret/app/db#pass'
REFRESH=$(conf refresh "refresh = 1s")
NOREFRESH=$(conf norefresh)
run() { timeout 40 "$VAULTSHIM" exec -c "$@"; }

# --- a KV write reaches the running process ----------------------------------
(sleep 1.5; put "$U2" "$P2") &
w=$!
run "$REFRESH" -- "$T/loop" 25 keep >"$T/rot.out" 2>"$T/rot.err"
wait $w
$PY - "$T/rot.out" "$U1" "$P1" "$U2" "$P2" >"$T/rot.res" <<'PY'
import sys
lines = [l.split() for l in open(sys.argv[1])]
u1, p1, u2, p2 = sys.argv[2:6]
pids = {l[0] for l in lines}
pairs = [(l[1], l[2]) for l in lines]
first_new = next((i for i, p in enumerate(pairs) if p == (u2, p2)), None)
print("pids", len(pids))
print("lines", len(lines))
print("mixed", sum(1 for p in pairs if p not in ((u1, p1), (u2, p2))))
print("first_new", first_new)
print("back", sum(1 for p in pairs[first_new or 0:] if p != (u2, p2)))
print("first_kept", all(l[3] == "first=" + p1 for l in lines))
PY
res() { sed -n "s/^$1 //p" "$T/rot.res"; }
# written at 1.5 s; refreshed at the first getenv after 2 s (1 s after the
# write at the latest, + helper time): the new pair within 3.5 s of the
# start, i.e. from line 18 of 200 ms lines at the latest
[ "$(res pids)" = 1 ] && [ "$(res lines)" = 25 ] && [ -n "$(res first_new)" ] && [ "$(res first_new)" != None ] &&
	[ "$(res first_new)" -ge 5 ] && [ "$(res first_new)" -le 17 ] && [ "$(res back)" = 0 ]
check "refresh = 1s: a KV write is served to the running process within a period (same pid)" $? \
	"$(tr '\n' ' ' <"$T/rot.res")" "$(cat "$T/rot.err")"
check "refresh: user and password always of one version (never a new user with an old password)" \
	$([ "$(res mixed)" = 0 ]; echo $?) "$(res mixed) mixed lines"
check "refresh: a string served before the refresh still holds its value (pitfall 5)" \
	$([ "$(res first_kept)" = True ]; echo $?)
check "refresh: nothing on stderr when all goes well" $([ ! -s "$T/rot.err" ]; echo $?) "$(cat "$T/rot.err")"

# --- without refresh, the value is the process's for life ---------------------
put "$U1" "$P1"
(sleep 0.5; put "$U2" "$P2") &
w=$!
run "$NOREFRESH" -- "$T/loop" 12 >"$T/norf.out" 2>"$T/norf.err"
wait $w
n=$(grep -c " $U1 $P1\$" "$T/norf.out")
check "no refresh option: the value read at start is served for the life of the process" \
	$([ "$n" = 12 ]; echo $?) "$n of 12 lines with the first value"

# --- Vault stopped, then back --------------------------------------------------
put "$U1" "$P1"
FAILCONF=$(conf failconf "refresh = 1s" "on_error = fail")
run "$FAILCONF" -- "$T/loop" 40 >"$T/down.out" 2>"$T/down.err" &
prog=$!
sleep 1
addr=$VAULT_ADDR
stop_server
sleep 3
# the same address again, and a new value there
start_server --listen "${addr#http://}"
put "$U2" "$P2"
wait "$prog"; rc=$?
nd=$(grep -c " $U1 $P1\$" "$T/down.out")
nn=$(grep -c " $U2 $P2\$" "$T/down.out")
check "Vault stopped: the program keeps its last values and runs to its end (on_error = fail, exit 0)" \
	$([ "$rc" = 0 ] && [ "$nd" -ge 15 ] && [ "$((nd + nn))" = 40 ]; echo $?) "rc=$rc old=$nd new=$nn" "$(cat "$T/down.err")"
check "Vault back: the next refresh serves the new value" $([ "$nn" -ge 3 ]; echo $?) "new=$nn"
nf=$(grep -c "refresh failed" "$T/down.err")
nb=$(grep -c "refresh works again" "$T/down.err")
check "one line when refreshes start failing, one when they work again (not one per call)" \
	$([ "$nf" = 1 ] && [ "$nb" = 1 ] && [ "$(wc -l <"$T/down.err")" = 2 ]; echo $?) "$(cat "$T/down.err")"
grep -q "refresh failed, the last values stay in use.*cannot reach Vault" "$T/down.err"
check "the failure line says the values stay and why" $? "$(cat "$T/down.err")"

# --- reads in a burst (libpq: PGUSER, then PGPASSWORD) are never split ----------
# pairs N: N times, reads APP_USER, 5 ms later APP_PASS (one burst), then
# pauses 15 ms; prints the two. A refresh between the two reads of a burst
# would pair one version's user with another's password.
cat >"$T/pairs.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	for (int i = 0; i < atoi(argv[1]); i++) {
		char u[128];
		const char *p;
		snprintf(u, sizeof u, "%s", getenv("APP_USER") ? getenv("APP_USER") : "-");
		usleep(5000);
		p = getenv("APP_PASS");
		printf("%s %s\n", u, p ? p : "-");
		usleep(15000);
	}
	return (void)argc, 0;
}
C
cc -O1 -o "$T/pairs" "$T/pairs.c"
put "u-0" "p-0"
( for k in $(seq 1 16); do sleep 0.5; put "u-$k" "p-$k"; done ) &
w=$!
run "$REFRESH" -- "$T/pairs" 400 >"$T/pairs.out" 2>"$T/pairs.err"
wait $w
mixed=$(awk '{ if (substr($1, 3) != substr($2, 3)) n++ } END { print n + 0 }' "$T/pairs.out")
versions=$(cut -d' ' -f1 "$T/pairs.out" | sort -u | wc -l)
check "a refresh never falls between two reads of one burst (user and password of one version)" \
	$([ "$mixed" = 0 ] && [ "$versions" -ge 5 ]; echo $?) "$mixed mixed pairs; $versions versions seen" "$(cat "$T/pairs.err")"

# --- a Vault that hangs: the program is not held at every period -------------
# tl N: N reads, 100 ms apart, each line the seconds since start after the read
cat >"$T/tl.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < atoi(argv[1]); i++) {
		getenv("APP_USER");
		clock_gettime(CLOCK_MONOTONIC, &t);
		printf("%.2f\n", (double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9);
		fflush(stdout);
		usleep(100000);
	}
	return (void)argc, 0;
}
C
cc -O1 -o "$T/tl" "$T/tl.c"
put "$U1" "$P1"
C_VAULT="timeout = 1s" HANG=$(conf hang "refresh = 1s")
(sleep 1.5; kill -STOP "$_server_pid"; sleep 9; kill -CONT "$_server_pid") &
w=$!
run "$HANG" -- "$T/tl" 110 >"$T/hang.out" 2>"$T/hang.err"
wait $w
# each attempt waits out the 1 s timeout; one every period would hold the
# program about half of the 9 s; with the backoff (5 times what a failed
# attempt cost) two attempts at most fall in it
held=$(awk 'NR > 1 && $1 - p > 0.6 && p > 1.4 && p < 10.5 { n++ } { p = $1 } END { print n + 0 }' "$T/hang.out")
check "Vault hangs: getenv is held by a refresh at most twice in 9 s (backoff), not at every period" \
	$([ "$held" -le 2 ] && [ "$(wc -l <"$T/hang.out")" = 110 ]; echo $?) "$held reads held" "$(cat "$T/hang.err")"
grep -q "next try in [0-9]* s" "$T/hang.err"
check "the failure line says when the next try is" $? "$(cat "$T/hang.err")"

# --- a tree: one refresh per period, not one per process ------------------------
put "$U1" "$P1"
control DELETE counters
t0=$(date +%s.%N)
run "$REFRESH" -- "$T/tree" 6 20 "$T/loop" >"$T/tree.out" 2>"$T/tree.err"
t1=$(date +%s.%N)
reads=$(requests_for "GET secret/data/app/db")
secs=$($PY -c "print(int($t1 - $t0 + 0.999))")
procs=$(cut -d' ' -f1 "$T/tree.out" | sort -u | wc -l)
# six processes over ~4 s: one read per process per period would be 24+;
# the tree makes at most one per period, and one at start
check "a tree of 6 processes reads Vault about once per period, not once per process" \
	$([ "$procs" = 6 ] && [ "$reads" -ge 2 ] && [ "$reads" -le $((secs + 2)) ]; echo $?) \
	"$reads reads of the secret in ${secs}s by $procs processes" "$(cat "$T/tree.err")"

# --- a dynamic engine's path is read once, not at every refresh ---------------
control DELETE counters
C_ENV='APP_USER = database/creds/app#username
APP_PASS = database/creds/app#password'
DYN=$(conf dyn "refresh = 1s")
C_ENV='APP_USER = secret/app/db#user
APP_PASS = secret/app/db#pass'
run "$DYN" -- "$T/loop" 15 >"$T/dyn.out" 2>"$T/dyn.err"
creds=$(requests_for "GET database/creds/app")
distinct=$(cut -d' ' -f2,3 "$T/dyn.out" | sort -u | wc -l)
check "refresh never mints a credential: database/creds read once in 3 s, the same one served" \
	$([ "$creds" = 1 ] && [ "$distinct" = 1 ] && [ ! -s "$T/dyn.err" ]; echo $?) \
	"creds reads: $creds; distinct pairs: $distinct" "$(cat "$T/dyn.err")"

# --- a value served before a refresh is still kept out of a child's environment -
put "$U1" "$P1"
(sleep 0.5; put "$U2" "$P2") &
w=$!
run "$REFRESH" -- "$T/oldenv" /bin/cat >"$T/old.out" 2>"$T/old.err"
wait $w
grep -q "^now $P2\$" "$T/old.out"
check "oldenv: the program saw the refresh (it then starts its child)" $? "$(head -1 "$T/old.out" | cut -c1-20)"
! grep -aq "$P1" "$T/old.out"
check "an old served value in an environment the program built stays out of the child's /proc/PID/environ" $?

# --- watch without refresh: the tree of a running program takes the change ---
# on_change = SIGHUP: the supervisor marks the tree's values stale in its
# hand-off, then signals; the program and its child (which ignores SIGHUP)
# read the new value at their next getenv, with no restart and no refresh
for oc in SIGHUP none; do
	put "$U1" "$P1"
	W=$(conf "watch-$oc" "watch = 1s" "on_change = $oc")
	(sleep 2; put "$U2" "$P2") &
	w=$!
	run "$W" -- "$T/hup" 30 "$T/loop" >"$T/w-$oc.out" 2>"$T/w-$oc.err"
	wait $w
	pids=$(grep -v HUP "$T/w-$oc.out" | cut -d' ' -f1 | sort -u | wc -l)
	# the program's lines: "PID PASS"; its child's: "PID USER PASS"
	last_prog=$(grep -Ev '^HUP|^[0-9]+ [^ ]+ [^ ]+$' "$T/w-$oc.out" | tail -1 | cut -d' ' -f2)
	last_child=$(grep -E '^[0-9]+ [^ ]+ [^ ]+$' "$T/w-$oc.out" | tail -1 | cut -d' ' -f3)
	first=$(grep -Ev '^HUP' "$T/w-$oc.out" | head -1 | awk '{print $NF}')
	hups=$(grep -c '^HUP$' "$T/w-$oc.out")
	want_hups=$([ "$oc" = SIGHUP ] && echo 1 || echo 0)
	[ "$pids" = 2 ] && [ "$first" = "$P1" ] && [ "$last_prog" = "$P2" ] && [ "$last_child" = "$P2" ] && [ "$hups" = "$want_hups" ]
	check "watch, on_change = $oc, no refresh: the program and its child serve the new value at their next getenv (no restart, $want_hups SIGHUP)" $? \
		"processes: $pids; first is P1: $([ "$first" = "$P1" ] && echo yes || echo no); program ends on P2: $([ "$last_prog" = "$P2" ] && echo yes || echo no); child ends on P2: $([ "$last_child" = "$P2" ] && echo yes || echo no); HUPs: $hups" "$(cat "$T/w-$oc.err")"
done

# --- no value or token in any output --------------------------------------------
leak=0
for f in "$T"/*.err; do
	for s in "$P1" "$P2" "$ROOT_TOKEN"; do grep -q -- "$s" "$f" && { leak=1; echo "# in $f"; }; done
done
check "no value or token on any stderr" $leak
