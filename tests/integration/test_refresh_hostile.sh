#!/bin/bash
# [options] refresh under a hostile host (from a review of the refresh
# feature). Each check names what a user saw before the fix it guards:
#   RB  a failed refresh rolls the tree's hand-off back to older values
#   ST  a process that cannot refresh (no token) starves the whole tree
#   FE  an old Vault value reaches a child's /proc/PID/environ once the name
#       falls back to the environment
#   TK  a refresh reads Vault with the program's *current* environment
#       (VAULT_TOKEN unset by the program after start)
#   BH  Vault blackholed: other processes of the tree block on the hand-off
#       lock for the whole Vault timeout, every period, and SIGTERM waits
#   TN  a child in a time namespace behind its parent never refreshes
#   PR  a child that dropped privileges pays two system calls per getenv
#       forever after a refresh is due (traced with strace)
# Every process is bounded with `timeout`. Dummy values only.
. "$(dirname "$0")/lib.sh"

CC="cc -O1 -o"

# step OP...: g NAME (print PID NAME=value), s SECS (sleep), u NAME
# (unsetenv), x PROG ARGS... ; (fork+execv, wait)
cat >"$T/step.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "g")) {
			const char *v = getenv(argv[++i]);
			printf("%s=%s\n", argv[i], v ? v : "(null)");
		} else if (!strcmp(argv[i], "s")) {
			usleep((useconds_t)(atof(argv[++i]) * 1e6));
		} else if (!strcmp(argv[i], "u")) {
			unsetenv(argv[++i]);
		} else if (!strcmp(argv[i], "x")) {
			int j = i + 1;
			while (j < argc && strcmp(argv[j], ";"))
				j++;
			char **a = calloc((size_t)(j - i), sizeof *a);
			for (int k = i + 1; k < j; k++)
				a[k - i - 1] = argv[k];
			fflush(stdout);
			pid_t p = fork();
			if (!p) {
				execv(a[0], a);
				_exit(127);
			}
			waitpid(p, NULL, 0);
			i = j;
		}
		fflush(stdout);
	}
	return 0;
}
C
# par SECS CHILD...: starts CHILD, reads APP_PASS every 300 ms for SECS,
# prints "last VALUE"
cat >"$T/par.c" <<'C'
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv)
{
	double secs = atof(argv[1]), t0 = now();
	const char *v = getenv("APP_PASS");
	pid_t p = fork();
	if (!p) {
		execv(argv[2], argv + 2);
		_exit(127);
	}
	while (now() - t0 < secs) {
		v = getenv("APP_PASS");
		usleep(300000);
	}
	printf("last %s\n", v ? v : "(null)");
	kill(p, SIGTERM);
	waitpid(p, NULL, 0);
	return 0;
}
C
# lat SECS: getenv(APP_PASS) every 50 ms for SECS; prints "worst MS"
cat >"$T/lat.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }
int main(int argc, char **argv)
{
	double secs = atof(argv[1]), t0 = now(), worst = 0;
	while (now() - t0 < secs * 1e3) {
		double a = now();
		getenv("APP_PASS");
		if (now() - a > worst)
			worst = now() - a;
		usleep(50000);
	}
	printf("worst %.0f\n", worst);
	return 0;
}
C
# drop: reads APP_PASS, forks; the child becomes uid 65534 (no exec), waits
# past a refresh, then makes 20000 getenv calls between "begin" and "end"
cat >"$T/drop.c" <<'C'
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
int main(void)
{
	getenv("APP_PASS");
	pid_t p = fork();
	if (!p) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		sleep(2);
		getenv("APP_PASS");
		/* the markers delimit the loop in the system-call trace */
		(void)!write(1, "begin\n", 6);
		for (int i = 0; i < 20000; i++)
			getenv("APP_PASS");
		(void)!write(1, "end\n", 4);
		_exit(0);
	}
	waitpid(p, NULL, 0);
	return 0;
}
C
for p in step par lat drop; do
	$CC "$T/$p" "$T/$p.c" || { echo "Bail out! cannot build $p"; exit 1; }
done
$CC "$T/oldenv" "$ROOT/tests/programs/oldenv.c" || { echo "Bail out! cannot build oldenv"; exit 1; }
chmod 755 "$T" # (the uid 65534 child only runs code already loaded)

start_server
put() { kv_put app/db user="$1" pass="$2"; } # USER PASS: secret/app/db
put user-v1 pass-v1
C_ENV='APP_USER = secret/app/db#user
APP_PASS = secret/app/db#pass'
S=$T/step
run() { timeout 60 "$VAULTSHIM" exec -c "$@"; }

# --- RB: a failed refresh must not roll the tree back --------------------------
# root reads v1; Vault gets v2; child C refreshes (v2, written to the hand-off);
# Vault stops; root's refresh fails; D, started then, must get v2 (the newest
# values the tree had), not the root's v1.
C_VAULT='timeout = 1s'
CONF=$(conf rb "refresh = 1s")
C_VAULT=''
( sleep 0.5; put user-v2 pass-v2; sleep 2; stop_server ) &
w=$!
run "$CONF" -- "$S" g APP_PASS s 1.5 x "$S" g APP_PASS \; s 1.7 g APP_PASS x "$S" g APP_PASS \; \
	>"$T/rb.out" 2>"$T/rb.err"
wait $w
[ "$(sed -n 2p "$T/rb.out")" = "APP_PASS=pass-v2" ] && [ "$(sed -n 4p "$T/rb.out")" = "APP_PASS=pass-v2" ]
check "RB: after a failed refresh, a child started later gets the tree's newest values (before the fix: the rotated-away v1)" $? \
	"$(tr '\n' ' ' <"$T/rb.out")"
start_server
put user-v1 pass-v1

# --- ST: one process without credentials must not starve the tree --------------
# the parent has VAULT_TOKEN; its child runs with it removed (as a program
# that scrubs its children's environment does) and reads often: the parent
# must still see v2 (written at 0.5 s) within 5 s.
f=$T/st.conf
printf '[vault]\naddress = %s\n[options]\nrefresh = 1s\n\n[env]\n%s\n' "$VAULT_ADDR" "$C_ENV" | write_conf "$f"
( sleep 0.5; put user-v2 pass-v2 ) &
w=$!
VAULT_TOKEN=$ROOT_TOKEN run "$f" -- "$T/par" 5 /usr/bin/env -u VAULT_TOKEN "$T/lat" 10 >"$T/st.out" 2>"$T/st.err"
wait $w
grep -q "^last pass-v2$" "$T/st.out"
check "ST: a child without a token does not stop its parent's refreshes (before the fix: the parent serves v1 for good)" $? \
	"$(grep last "$T/st.out")"
put user-v1 pass-v1

# --- FE: an old Vault value stays out of a child's environ after a fallback -----
# the secret is deleted, so APP_PASS falls back to the launch environment's
# value; the program then passes the Vault value it was served to a child.
CONF=$(conf fe "refresh = 1s")
( sleep 0.7; api DELETE /v1/secret/metadata/app/db >/dev/null ) &
w=$!
APP_PASS=env-fallback-dummy run "$CONF" -- "$T/oldenv" /bin/cat >"$T/fe.out" 2>"$T/fe.err"
wait $w
grep -q "^now env-fallback-dummy" "$T/fe.out"
r1=$?
! tr '\0' '\n' <"$T/fe.out" | grep -q "pass-v1"
check "FE: a Vault value served before the fallback stays out of a child's /proc/PID/environ (before the fix: it is there)" \
	$((r1 || $?)) "refresh seen: $([ $r1 = 0 ] && echo yes || echo no)"
put user-v1 pass-v1

# --- TK: a refresh uses the launch's credentials, not the program's environ -----
# a program that unsets VAULT_TOKEN after start (so its children never see it)
f=$T/tk.conf
printf '[vault]\naddress = %s\n[options]\nrefresh = 1s\n\n[env]\n%s\n' "$VAULT_ADDR" "$C_ENV" | write_conf "$f"
( sleep 0.5; put user-v2 pass-v2 ) &
w=$!
VAULT_TOKEN=$ROOT_TOKEN run "$f" -- "$S" g APP_PASS u VAULT_TOKEN s 1.5 g APP_PASS s 1.2 g APP_PASS \
	>"$T/tk.out" 2>"$T/tk.err"
wait $w
[ "$(tail -1 "$T/tk.out")" = "APP_PASS=pass-v2" ] && ! grep -q "refresh failed" "$T/tk.err"
check "TK: unsetenv(VAULT_TOKEN) by the program does not break refreshes (before the fix: 'no Vault token', v1 for good)" $? \
	"$(tr '\n' ' ' <"$T/tk.out")" "$(head -1 "$T/tk.err")"
put user-v1 pass-v1

# --- BH: Vault blackholed (accepts, never answers) ------------------------------
bh_start() { # PORT: a listener that accepts and never answers, for 40 s
	$PY -c "
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(100)
c = []
t = time.time()
while time.time() - t < 40:
    c.append(s.accept()[0])
" "$1" &
	bh=$!
}
C_VAULT='timeout = 3s'
CONF=$(conf bh "refresh = 1s")
C_VAULT=''
addr=$VAULT_ADDR
# four processes of one tree reading every 50 ms: while one refreshes, the
# others should serve their values, not wait for it on the hand-off lock
cat >"$T/tree.c" <<'C'
#include <sys/wait.h>
#include <unistd.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
	int n = atoi(argv[1]);
	for (int i = 0; i < n; i++)
		if (fork() == 0) {
			execv(argv[2], argv + 2);
			_exit(127);
		}
	while (wait(NULL) > 0)
		;
	return 0;
}
C
$CC "$T/tree" "$T/tree.c"
run "$CONF" -- "$T/tree" 4 "$T/lat" 9 >"$T/bh.out" 2>"$T/bh.err" &
prog=$!
sleep 1.5
stop_server
bh_start "${addr##*:}"
wait $prog
slow=$(awk '$1 == "worst" && $2 > 1500' "$T/bh.out" | wc -l)
check "BH1: Vault blackholed: at most one process of a tree waits for a refresh (before the fix: all of them, ~3 s per period)" \
	$([ "$slow" -le 1 ]; echo $?) "$(tr '\n' ' ' <"$T/bh.out")"
kill "$bh" 2>/dev/null
wait "$bh" 2>/dev/null
# SIGTERM to a program whose getenv is refreshing against the blackhole
start_server
put user-v1 pass-v1
CONF=$(conf bh2 "refresh = 1s")
addr=$VAULT_ADDR
"$VAULTSHIM" exec -c "$CONF" -- "$T/lat" 30 >/dev/null 2>"$T/bh2.err" &
prog=$!
sleep 1.5
stop_server
bh_start "${addr##*:}"
sleep 2.5
t0=$(date +%s%N)
kill -TERM "$prog"
for _ in $(seq 150); do kill -0 "$prog" 2>/dev/null || break; sleep 0.1; done
kill -9 "$prog" 2>/dev/null
wait "$prog" 2>/dev/null
ms=$((($(date +%s%N) - t0) / 1000000))
check "BH2: SIGTERM reaches a program refreshing against an unanswering Vault within 1 s (before the fix: after the Vault timeout)" \
	$([ "$ms" -le 1000 ]; echo $?) "SIGTERM took ${ms} ms"
kill "$bh" 2>/dev/null
wait "$bh" 2>/dev/null
start_server
put user-v1 pass-v1

# --- TN: a child whose monotonic clock is behind its parent's --------------------
if unshare -T --monotonic -5 true 2>/dev/null; then
	CONF=$(conf tn "refresh = 1s")
	( sleep 1; put user-v2 pass-v2 ) &
	w=$!
	run "$CONF" -- "$S" g APP_PASS x /usr/bin/unshare -T --monotonic -30000 "$S" g APP_PASS s 2.5 g APP_PASS \; \
		>"$T/tn.out" 2>"$T/tn.err"
	wait $w
	[ "$(tail -1 "$T/tn.out")" = "APP_PASS=pass-v2" ]
	check "TN: a child in a time namespace 30000 s behind still refreshes (before the fix: not for 30000 s)" $? \
		"$(tr '\n' ' ' <"$T/tn.out")"
	put user-v1 pass-v1
else
	skip "TN: no time namespaces here"
fi

# --- PR: a child that dropped its privileges after fork -------------------------
if [ "$(id -u)" = 0 ]; then
	CONF=$(conf pr "refresh = 1s")
	chmod 755 "$T"
	# the system calls of the loop, traced (not timed): a due refresh that
	# cannot be made must not cost calls at every getenv
	# (under tests/sanitize/asan: LeakSanitizer cannot run under ptrace)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -e trace=rt_sigprocmask,write -o "$T/pr.trace" "$VAULTSHIM" exec -c "$CONF" -- "$T/drop" \
		>"$T/pr.out" 2>"$T/pr.err"
	calls=$(awk '/write\(1, "begin/ { on = 1; next } /write\(1, "end/ { on = 0 } on && /rt_sigprocmask/ { n++ } END { print n + 0 }' "$T/pr.trace")
	grep -q '^begin$' "$T/pr.out" && grep -q '^end$' "$T/pr.out" && [ "$calls" -le 10 ]
	check "PR: 20000 getenv in a uid-65534 child past a refresh make no system call each (before the fix: 2 per getenv)" \
		$? "signal-mask calls in the loop: $calls" "$(head -1 "$T/pr.err")"
else
	skip "PR: needs root to drop privileges"
fi
