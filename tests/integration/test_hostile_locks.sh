#!/bin/bash
# The preload and the locks of its host (issue "no crash, no hang, no leak,
# no wrong value"): getenv in signal handlers (C1), the fork handlers (H2),
# cancelled or siglongjmp'ed resolutions (H3), the dynamic loader's lock
# (H1), a cancelled system() (H3), and what the review of that work found
# (R2-R10: forks holding the helper's pipe, other ways into the handler
# table, handlers left by an exception or setcontext, SIGABRT and Ctrl-C
# during a resolution, a vfork child's handlers, SA_RESETHAND). Each case is
# a program of tests/programs/hostile/ run under timeout -s KILL: a deadlock
# is a "not ok", never a hung suite.
#
# The cases run in parallel (a deadlock costs its timeout once, not once per
# case). Faults are global to the dev server, so each case maps DB_PASSWORD
# to a secret path of its own: one case's delay is never taken by another's
# request, and the request counters tell the cases apart.
. "$(dirname "$0")/lib.sh"

P=$ROOT/tests/programs/hostile
HANG=10    # cases that deadlock on a broken preload
BOUND=20   # every other case

start_server
api POST /v1/secret/data/app/api '{"data":{"key":"locks-api"}}' >/dev/null

# case_conf ID [DELAY_MS]: the secret secret/app/ID (password "locks-db"),
# a config mapping DB_PASSWORD to it, and (given a delay) a one-shot delay
# of Vault's answer; prints the config's path
case_conf() {
	api POST "/v1/secret/data/app/$1" '{"data":{"password":"locks-db"}}' >/dev/null
	[ -n "${2:-}" ] &&
		control POST faults "{\"path\":\"secret/data/app/$1\",\"delay_ms\":$2,\"count\":1}"
	C_ENV="DB_PASSWORD = secret/app/$1#password
API_KEY     = secret/app/api#key" conf "$1"
}

# the programs, warnings as errors (-Wall -Wextra: they must build cleanly),
# built in parallel: build NAME COMMAND... runs one compiler in the
# background, its messages in $T/NAME.cc.log, NAME in $T/cc.failed if it fails
: >"$T/cc.failed"
builds=()
build() {
	local n=$1
	shift
	{ "$@" >"$T/$n.cc.log" 2>&1 || echo "$n" >>"$T/cc.failed"; } &
	builds+=($!)
}
for p in sig_getenv sig_view sig_longjmp fork_resolving fork_malloc_lock sigchld_fork \
	cancel_resolve alarm_jmp_resolve cancel_system dlopen_ctor \
	fork_holds_pipe sigset_return ctx_handler abrt_jmp_resolve vfork_signal resethand_view sigint_resolve; do
	build "$p" cc -O1 -pthread -Wall -Wextra -Werror -o "$T/$p" "$P/$p.c" -ldl
done
# R3: strict C11, where <signal.h> binds signal() to __sysv_signal
build sig_entry cc -std=c11 -O1 -Wall -Wextra -Werror -o "$T/sig_entry" "$P/sig_entry.c"
# R4: a handler that throws (a throw from a faulting instruction needs
# -fnon-call-exceptions)
build exc_handler g++ -O1 -fnon-call-exceptions -Wall -Wextra -Werror -o "$T/exc_handler" "$P/exc_handler.cc"
# the plugins: which name the constructor reads, and how long it lets its
# thread go first
plugin() {
	build "$1" cc -O1 -pthread -Wall -Wextra -Werror -shared -fPIC -DGETENV_NAME="\"$2\"" -DLEAD_MS="$3" \
		-o "$T/$1.so" "$P/dlopen_ctor_plugin.c"
}
plugin plugin_path PATH 500
plugin plugin_db DB_PASSWORD 500
plugin plugin_db_late DB_PASSWORD 300
for b in "${builds[@]}"; do wait "$b"; done
if [ -s "$T/cc.failed" ]; then
	echo "Bail out! $(tr '\n' ' ' <"$T/cc.failed")did not build"
	cat "$T"/*.cc.log
	exit 1
fi
# (sig_entry proves nothing unless it imports __sysv_signal, and no signal)
imports=$(nm -D --undefined-only "$T/sig_entry" | awk '{print $2}' | sed 's/@.*//')
grep -qx __sysv_signal <<<"$imports" && ! grep -qx signal <<<"$imports" ||
	{ echo "Bail out! sig_entry (-std=c11) does not call __sysv_signal for signal()"; exit 1; }

# Under ASan (tests/sanitize/asan puts its runtime in LD_PRELOAD) a program
# that defines malloc itself frees ASan's blocks with glibc's free as soon as
# the preload allocates in earnest: the two cases where it does cannot run
# there (the others make no heap call, which is what they check).
asan=""
[[ $SO == *libasan* ]] && asan=1

mkdir -p "$T/home"
pids=()
declare -A limit
# run ID TIMEOUT CONF [NAME=VALUE...] -- PROGRAM [ARGS...]: in the
# background, under the preload, KILLed after TIMEOUT s (timeout kills its
# process group: the helper too); $T/ID.out, .err and .rc. Nothing of the
# test shell's environment decides a value: DB_PASSWORD and the preload's
# own variables start unset.
run() {
	local id=$1 to=$2 cf=$3
	local -a vars=()
	shift 3
	while [ "$1" != -- ]; do vars+=("$1"); shift; done
	shift
	limit[$id]=$to
	(
		timeout -s KILL "$to" env -u DB_PASSWORD -u API_KEY -u VAULTSHIM_HANDOFF -u VAULTSHIM_MODE \
			-u VAULTSHIM_UNREADABLE HOME="$T/home" ${vars[@]+"${vars[@]}"} \
			VAULTSHIM_CONFIG="$cf" LD_PRELOAD="$SO" "$@" >"$T/$id.out" 2>"$T/$id.err"
		echo $? >"$T/$id.rc"
	) 2>/dev/null &
	pids+=($!)
}

# result ID EXPECTED: status 0 when the program exited 0 printing EXPECTED;
# the diagnostic in $diag
result() {
	local id=$1 want=$2 rc
	rc=$(cat "$T/$id.rc" 2>/dev/null || echo none)
	if [ "$rc" = 137 ] || [ "$rc" = 124 ]; then
		diag="timed out after ${limit[$id]} s: deadlock; last progress: $(tail -1 "$T/$id.err" 2>/dev/null)"
		return 1
	fi
	diag="exit $rc, printed: $(head -1 "$T/$id.out" 2>/dev/null); stderr: $(head -3 "$T/$id.err" 2>/dev/null | tr '\n' ' ')"
	[ "$rc" = 0 ] && [ "$(cat "$T/$id.out")" = "$want" ]
}

# app_gets ID: the GET requests Vault saw about secret/app/ID (the helper's
# mount lookup and read; the test's own write is a POST)
app_gets() {
	counters | python3 -c 'import json, sys
d = json.load(sys.stdin)["requests"]
print(sum(n for k, n in d.items() if k.startswith("GET ") and k.split("?")[0].endswith("/app/" + sys.argv[1])))' "$1"
}

# --- C1: getenv in a signal handler ----------------------------------------
# "first": the handler's getenv is the process's first (the config is not
# loaded); "loaded": main read HOME first; "after": main was served first
run c1_home_sa $BOUND "$(case_conf c1h)" -- "$T/sig_getenv" first sigaction HOME environ
run c1_home_sig $BOUND "$(case_conf c1hs)" -- "$T/sig_getenv" first signal HOME environ
run c1_db_first $BOUND "$(case_conf c1f)" -- "$T/sig_getenv" first sigaction DB_PASSWORD unset
run c1_db_loaded $BOUND "$(case_conf c1u)" -- "$T/sig_getenv" loaded sigaction DB_PASSWORD unset
run c1_db_sig $BOUND "$(case_conf c1s)" -- "$T/sig_getenv" loaded signal DB_PASSWORD unset
run c1_db_sigset $BOUND "$(case_conf c1ss)" -- "$T/sig_getenv" loaded sigset DB_PASSWORD unset
run c1_db_env $BOUND "$(case_conf c1e)" DB_PASSWORD=from-env -- "$T/sig_getenv" loaded sigaction DB_PASSWORD environ
[ -z "$asan" ] && run c1_after $BOUND "$(case_conf c1a)" -- "$T/sig_getenv" after sigaction DB_PASSWORD served
run c1_view $BOUND "$(case_conf c1v)" -- "$T/sig_view"
run c1_jmp $BOUND "$(case_conf c1j)" -- "$T/sig_longjmp"

# --- H2: the fork handlers -------------------------------------------------
run h2a $BOUND "$(case_conf h2a 3000)" -- "$T/fork_resolving"
[ -z "$asan" ] && run h2b $HANG "$(case_conf h2b 1500)" -- "$T/fork_malloc_lock"
run h2c $HANG "$(case_conf h2c 1000)" -- "$T/sigchld_fork"

# --- H3: a resolution cancelled or left by siglongjmp -----------------------
run h3a $HANG "$(case_conf h3a 2000)" -- "$T/cancel_resolve"
run h3b $HANG "$(case_conf h3b 1500)" -- "$T/alarm_jmp_resolve"
run h3c $BOUND "$(case_conf h3c)" -- "$T/cancel_system"

# --- H1: getenv in a thread started by a constructor during dlopen ---------
run h1a_path $HANG "$(case_conf h1p)" -- "$T/dlopen_ctor" "$T/plugin_path.so" PATH
run h1a_db $HANG "$(case_conf h1d)" -- "$T/dlopen_ctor" "$T/plugin_db.so" DB_PASSWORD
run h1b $HANG "$(case_conf h1b 1000)" -- "$T/dlopen_ctor" "$T/plugin_db_late.so" DB_PASSWORD loaded

# --- R2: a child forked during a resolution holds the helper's pipe ---------
# (the children live on, without exec, until the program kills them)
run r2_one $BOUND "$(case_conf r2o 800)" -- "$T/fork_holds_pipe" one
run r2_many $BOUND "$(case_conf r2m 800)" -- "$T/fork_holds_pipe" many

# --- R3: other ways into the handler table --------------------------------
# each entry point twice: HOME, then the mapped name, as the handler's (and
# the process's) first getenv, and the mapped name first
for e in sysv ssignal __sigaction; do
	run "r3_${e}_home" $BOUND "$(case_conf "r3${e}h")" -- "$T/sig_entry" "$e" HOME DB_PASSWORD
	run "r3_${e}_db" $BOUND "$(case_conf "r3${e}d")" -- "$T/sig_entry" "$e" DB_PASSWORD HOME
done
run r3_sigset $BOUND "$(case_conf r3s)" -- "$T/sigset_return"

# --- R4: handlers left by an exception or by setcontext ---------------------
run r4_exc_raise $BOUND "$(case_conf r4er)" -- "$T/exc_handler" raise
run r4_exc_segv $BOUND "$(case_conf r4es)" -- "$T/exc_handler" segv
run r4_ctx $BOUND "$(case_conf r4c)" DB_PASSWORD=from-env -- "$T/ctx_handler"

# --- R5: SIGABRT to the resolving thread, its handler jumps to main ---------
run r5 $HANG "$(case_conf r5 1500)" -- "$T/abrt_jmp_resolve"

# --- R10: a vfork child's handler, SA_RESETHAND, Ctrl-C ----------------------
run r10d $BOUND "$(case_conf r10d)" -- "$T/vfork_signal"
run r10e $BOUND "$(case_conf r10e)" -- "$T/resethand_view"
# Ctrl-C: SIGINT to the program's whole process group (setsid makes it a
# group of its own: the program and its helper), ~400 ms into its getenv
run r10f $BOUND "$(case_conf r10f 1500)" -- setsid -w "$T/sigint_resolve" "$T/r10f.pid"
(
	for _ in $(seq 500); do
		[ -s "$T/r10f.pid" ] && break
		sleep 0.02
	done
	sleep 0.4
	kill -INT -- -"$(cat "$T/r10f.pid")"
) 2>/dev/null &
pids+=($!)

for p in "${pids[@]}"; do wait "$p"; done

result c1_home_sa "heap=0 value=environ"
check "C1: first getenv of the process (HOME) in a sigaction handler: no heap call, environ's value" $? "$diag"
result c1_home_sig "heap=0 value=environ"
check "C1: the same in a signal() handler" $? "$diag"
result c1_db_first "heap=0 value=unset"
check "C1: a mapped name (unset) as the first getenv, in a handler: no heap call, environ's answer (NULL)" $? "$diag"
result c1_db_loaded "heap=0 value=unset"
check "C1: a mapped name (unset) in a handler before main read it: no heap call, environ's answer (NULL)" $? "$diag"
n=$(app_gets c1u)
[ "$n" = 0 ]
check "C1: ... and no resolution (Vault never asked)" $? "requests for its secret: $n"
result c1_db_sig "heap=0 value=unset"
check "C1: the same in a signal() handler" $? "$diag"
result c1_db_sigset "heap=0 value=unset"
check "C1: the same in a handler installed by System V's sigset()" $? "$diag"
result c1_db_env "heap=0 value=environ"
check "C1: a mapped name set to from-env, in a handler before main read it: environ's value, no heap call" $? "$diag"
n=$(app_gets c1e)
[ "$n" = 0 ]
check "C1: ... and no resolution (Vault never asked)" $? "requests for its secret: $n"
if [ -n "$asan" ]; then
	skip "C1: after main was served, a handler's getenv is served with no heap call (its own malloc beside ASan's)"
else
	result c1_after "heap=0 value=served"
	check "C1: after main was served, a handler's getenv is served with no heap call" $? "$diag"
fi
result c1_view "view unchanged"
check "C1: sigaction and signal() give the program back its own handlers and flags" $? "$diag"
result c1_jmp "served"
check "C1: after siglongjmp out of handlers, main's getenv of a mapped name is served" $? "$diag"

result h2a "fork did not wait, served"
check "H2(a): fork() while another thread resolves returns before that getenv does; the thread is then served" $? "$diag"
if [ -n "$asan" ]; then
	skip "H2(b): an allocator's fork handler and a resolution under way (its own malloc beside ASan's)"
else
	result h2b "no deadlock, served"
	check "H2(b): an allocator's fork handler (lock L around malloc) and a resolution under way: no deadlock, served" $? "$diag"
fi
result h2c "handler forked, served"
check "H2(c): a SIGCHLD handler that forks during the resolution (the helper's exit): no deadlock, served" $? "$diag"

result h3a "served, fork returned"
check "H3(a): a thread cancelled inside its resolution leaves no lock: main is served, fork returns" $? "$diag"
result h3b "served, fork returned"
check "H3(b): a resolution left by siglongjmp (SIGALRM) leaves no lock: the same thread is served, fork returns" $? "$diag"
result h3c "signals restored, child reaped"
check "H3(c): a thread cancelled inside system() in a tree: SIGINT/SIGQUIT restored, its shell reaped" $? "$diag"

result h1a_path "both served"
check "H1(a): plugin constructor and its thread call getenv(PATH) as the process's first getenv during dlopen: no deadlock" $? "$diag"
result h1a_db "both served"
check "H1(a): the same with getenv(DB_PASSWORD): no deadlock, both served" $? "$diag"
result h1b "both served"
check "H1(b): config loaded, the plugin's thread resolves while its constructor reads the name: no deadlock, both served" $? "$diag"

result r2_one "served, forks returned"
check "R2: a child forked (no exec, it lives on) while the helper's pipe is open: the resolving thread's getenv is served" $? "$diag"
result r2_many "served, forks returned"
check "R2: 8 threads forking (children live on) throughout a resolution: every fork returns, the getenv is served" $? "$diag"

for e in sysv ssignal __sigaction; do
	how=$e
	[ "$e" = sysv ] && how="signal() bound to __sysv_signal (-std=c11)"
	result "r3_${e}_home" "heap=0 environ's answers"
	r1=$?
	d1=$diag
	result "r3_${e}_db" "heap=0 environ's answers"
	check "R3: a handler installed by $how: the first getenv (HOME, or a mapped name) in it makes no heap call, gets environ's answer" \
		$(($? || r1)) "HOME first: $d1" "DB_PASSWORD first: $diag"
done
result r3_sigset "sigset returns the replaced handler"
check "R3: after signal(SIGUSR1, h), sigset(SIGUSR1, SIG_DFL) returns h (then sigset's own handlers)" $? "$diag"

result r4_exc_raise "caught, served"
check "R4: after a SIGUSR1 handler left by a C++ exception, main's first getenv of a mapped name is served" $? "$diag"
result r4_exc_segv "caught, served"
check "R4: the same for a SIGSEGV handler (a fault) that throws" $? "$diag"
result r4_ctx "left by setcontext, served"
check "R4: after a handler left by setcontext, main's getenv of a mapped name is served (not environ's from-env)" $? "$diag"

result r5 "jumped, served, thread served, fork returned"
check "R5: SIGABRT during the resolution, its handler siglongjmps: the jump waits for the resolution; then served, another thread served, fork returns" $? "$diag"

result r10d "the parent's handler ran"
check "R10d: a vfork child's signal() leaves its parent's handler in place" $? "$diag"
result r10e "reset, no SA_SIGINFO"
check "R10e: after an SA_RESETHAND handler's delivery, sigaction gives back SIG_DFL and no SA_SIGINFO" $? "$diag"
result r10f "served, handler ran once after the resolution"
check "R10f: Ctrl-C (SIGINT to the process group) during the first resolution: served, the program's handler runs once, after it" $? "$diag"

echo "1..$_n"
