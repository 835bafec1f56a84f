#!/bin/bash
# Go programs (README "Process trees"; preload/runtime.c, src/cli/exec.c):
# Go copies the environment block on its stack at start and never calls
# getenv, so the values go into entries of that block: `vaultshim exec`
# leaves empty VAULTSHIM_SLOT= entries for them, and a Go program started
# without slots (by a shell of the tree, or by a plain LD_PRELOAD launch) is
# run again by its preload with slots. A Go program's own children are
# started by Go's system calls with Go's copy of the environment (the values
# in it, no exec hook): the Go process marks its environment
# (VAULTSHIM_FROM_GO=…), and a preloaded child of it wipes the served values
# from its own environment block, takes another value as the Go program's
# os.Setenv and a missing name as its os.Unsetenv.
#
# The programs (tests/programs/go/: a cgo Go program, a C program and a
# library that delays its start; a shell and a Python probe written here) report, for each name, only a label: the
# test secret whose sha256 the value has (db, api), unset, empty, an
# "other..." value as it is, or ?LENGTH; then "leak=K" (entries of their own
# /proc/PID/environ holding a test secret), "slots=S" (their VAULTSHIM_SLOT=
# entries) and their pid. While the processes of a launch sleep, every
# /proc/PID/environ on the machine is scanned (grep -F) for the secrets; a
# control process holding one must be found by each scan. The dev server's
# request counters show how many resolutions a launch made. No value is ever
# printed. Every launch is bounded with `timeout 20`.
. "$(dirname "$0")/lib.sh"

SRC=$ROOT/tests/programs/go
GO=$(command -v go)

if [ -z "$GO" ] || ! command -v gcc >/dev/null; then
	skip "Go programs: ${GO:+gcc}${GO:-go} not installed"
	exit 0
fi
[ -f "$SO" ] && [ -x "$VAULTSHIM" ] || { echo "Bail out! build first: make"; exit 1; }

CTL_PID=""
cleanup_go() {
	if [ -n "$CTL_PID" ]; then
		kill "$CTL_PID" 2>/dev/null
		wait "$CTL_PID" 2>/dev/null
	fi
	kill $(jobs -p) 2>/dev/null
	cleanup
}
trap cleanup_go EXIT

# --- builds (in the background while the server starts) -----------------------------
# the Go cache of the runtime matrix (tests/programs/runtimes/runtimes.sh):
# a rerun links in a second; no network
GOCACHE_DIR=${VAULTSHIM_RT_GOCACHE:-$ROOT/build/rt-gocache}
mkdir -p "$GOCACHE_DIR" "$T/gopath"
(
	cd "$SRC/govs" && env GOCACHE="$GOCACHE_DIR" GOPATH="$T/gopath" GOENV=off GOPROXY=off GOFLAGS= \
		GO111MODULE=off CGO_ENABLED=1 "$GO" build -o "$T/govs" main.go
) >"$T/go.build.log" 2>&1 &
GO_BUILD=$!
gcc -std=gnu11 -O1 -Wall -Wextra -o "$T/probe" "$SRC/probe.c" 2>"$T/cc.log" ||
	{ echo "Bail out! cannot compile probe.c"; cat "$T/cc.log"; exit 1; }
# the same probe linked against liblate.so (late.c): its constructor, run
# before the preload's, waits until `govs start` (its parent) is gone
{ gcc -std=gnu11 -O1 -Wall -Wextra -shared -fPIC -o "$T/liblate.so" "$SRC/late.c" &&
	gcc -std=gnu11 -O1 -Wall -Wextra -o "$T/probe-late" "$SRC/probe.c" -L"$T" -Wl,--no-as-needed -llate \
		-Wl,-rpath,"$T"; } 2>"$T/cc.log" ||
	{ echo "Bail out! cannot compile late.c or probe-late"; cat "$T/cc.log"; exit 1; }

# --- server and secrets ---------------------------------------------------------------
start_server
RUN=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
S_DB="vs-Go db/7Kq-$RUN" # a space and a slash on purpose
S_API="vs-Go-api-M3n-$RUN"
S_CONTROL="vs-go-scan-control-$RUN"
api POST /v1/secret/data/app/db "{\"data\":{\"password\":\"$S_DB\"}}" >/dev/null
api POST /v1/secret/data/app/api "{\"data\":{\"key\":\"$S_API\"}}" >/dev/null
printf '%s\n' "$S_DB" "$S_API" "$ROOT_TOKEN" "$S_CONTROL" > "$T/secrets"
chmod 600 "$T/secrets"
printf '%s db\n%s api\n' "$(sha "$S_DB")" "$(sha "$S_API")" > "$T/labels"
# (read by every probe; names of files, no value)
export GOVS_LABELS=$T/labels GOVS_SECRETS=$T/secrets
CONF=$(conf go)

if ! wait "$GO_BUILD"; then
	echo "Bail out! go build failed: $(tail -n 5 "$T/go.build.log" | tr '\n' ' ')"
	exit 1
fi
GOVS=$T/govs
PROBE=$T/probe

# the shell probe (sourced: `. shprobe.lib; probe NAME...`) and the Python one
cat > "$T/shprobe.lib" <<'SH'
probe() {
	for _n; do
		eval "_s=\${$_n+x} _v=\${$_n-}"
		if [ -z "$_s" ]; then _l=unset
		elif [ -z "$_v" ]; then _l=empty
		else
			case $_v in
			other*) _l=$_v ;;
			*)
				_h=$(printf %s "$_v" | sha256sum)
				_h=${_h%% *}
				_l="?${#_v}"
				while read -r _k _lab; do [ "$_k" = "$_h" ] && _l=$_lab; done < "$GOVS_LABELS"
			esac
		fi
		echo "sh $_n v=$_l"
	done
	echo "sh leak=$(grep -zcF -f "$GOVS_SECRETS" /proc/$$/environ) slots=$(grep -zcx 'VAULTSHIM_SLOT=' /proc/$$/environ) pid=$$"
}
SH
cat > "$T/probe.py" <<'PY'
import hashlib, os, sys, time
lab = dict(l.split(" ", 1) for l in open(os.environ["GOVS_LABELS"]).read().splitlines())
sec = [l for l in open(os.environ["GOVS_SECRETS"], "rb").read().split(b"\n") if l]
for n in sys.argv[2:]:
    v = os.environ.get(n)
    if v is None:
        l = "unset"
    elif v == "":
        l = "empty"
    elif v.startswith("other"):
        l = v
    else:
        l = lab.get(hashlib.sha256(v.encode()).hexdigest(), "?%d" % len(v))
    print("py %s v=%s" % (n, l))
env = open("/proc/self/environ", "rb").read().split(b"\0")
print("py leak=%d slots=%d pid=%d" % (sum(any(s in e for s in sec) for e in env),
                                      env.count(b"VAULTSHIM_SLOT="), os.getpid()), flush=True)
time.sleep(float(sys.argv[1]))
PY
SHPROBE=(sh -c '. "$1"; shift; probe "$@"; sleep 0.5' sh "$T/shprobe.lib")
PYPROBE=($PY "$T/probe.py" 0.5)

# the scan's control: a process holding a listed string in its environment
env VS_GO_CONTROL="$S_CONTROL" sleep 120 &
CTL_PID=$!

# --- helpers -----------------------------------------------------------------------------
# a launch's environment: no mapped name, no outer launch
CLEAN=(env -u DB_PASSWORD -u API_KEY -u LD_PRELOAD -u VAULTSHIM_CONFIG -u VAULTSHIM_HANDOFF -u VAULTSHIM_MODE
	-u VAULTSHIM_LOG -u VAULTSHIM_UNREADABLE -u VAULTSHIM_FROM_GO -u VAULTSHIM_SLOT -u VAULT_TOKEN)
EXEC=("$VAULTSHIM" exec -c "$CONF" --)
PLAIN=(LD_PRELOAD="$SO" VAULTSHIM_CONFIG="$CONF")

# usage: the dev server's requests since the last reset
usage() {
	counters | $PY -c 'import json, sys
d = json.load(sys.stdin); r = d["requests"]
m = sum(v for k, v in r.items() if k.startswith("GET sys/internal/ui/mounts/"))
print("mounts=%d db=%d api=%d total=%d" % (m, r.get("GET secret/data/app/db", 0), r.get("GET secret/data/app/api", 0),
      d["total"]))'
}
ONE="mounts=1 db=1 api=1 total=3"

# launch READY CMD...: runs CMD in the clean environment (stdout $T/out,
# stderr $T/err) after resetting the counters; once READY "leak=" lines are
# out (every process under test has reported and sleeps), scans every
# /proc/PID/environ for a secret. Sets RC, USAGE, SCANNED (1 when the scan
# ran while every reporting process was alive, before and after),
# SCAN_HITS ("pid:comm" of every hit but the control) and SCAN_CTL (1 when
# the control was among the hits).
launch() {
	local ready=$1 pid i f p alive
	shift
	control DELETE counters
	: > "$T/out"
	SCANNED=0 SCAN_HITS="" SCAN_CTL=0
	timeout 20 "${CLEAN[@]}" "$@" >"$T/out" 2>"$T/err" </dev/null &
	pid=$!
	for ((i = 0; ready > 0 && i < 750; i++)); do
		if [ "$(grep -c ' leak=' "$T/out")" -ge "$ready" ]; then
			alive=1
			for p in $(sed -n 's/.* pid=\([0-9]*\)$/\1/p' "$T/out"); do kill -0 "$p" 2>/dev/null || alive=0; done
			for f in $(grep -laF -f "$T/secrets" /proc/[0-9]*/environ 2>/dev/null); do
				p=${f#/proc/}
				p=${p%%/*}
				if [ "$p" = "$CTL_PID" ]; then
					SCAN_CTL=1
				else
					SCAN_HITS+="$p:$(cat "/proc/$p/comm" 2>/dev/null || echo gone) "
				fi
			done
			for p in $(sed -n 's/.* pid=\([0-9]*\)$/\1/p' "$T/out"); do kill -0 "$p" 2>/dev/null || alive=0; done
			SCANNED=$alive
			break
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.02
	done
	wait "$pid"
	RC=$?
	USAGE=$(usage)
}

# want WHO NAME=LABEL...: the lines a probe prints for those names
want() {
	local who=$1 a
	shift
	for a; do printf '%s %s v=%s\n' "$who" "${a%%=*}" "${a#*=}"; done
}
# errs: the first lines of the last stderr, any value masked
errs() { redacted "$T/err" "$S_DB" "$S_API" "$ROOT_TOKEN"; }
shown() { tr '\n' ' ' < "$T/out"; }

# judge NAME WANT [scan] [one] [slots]: the last launch against WANT (the
# probes' name lines, in order); every "leak=" is 0, exit 0, no value on
# stderr; "scan": the scan ran while the processes slept and found nothing
# but the control; "one": the dev server saw one resolution; "slots": the
# first reporting process has VAULTSHIM_SLOT= entries in its environ (it
# was given slots, or run again with them)
judge() {
	local name=$1 want=$2 got leaks why=()
	shift 2
	got=$(grep -v ' leak=' "$T/out")
	leaks=$(sed -n 's/.* leak=\([-0-9]*\) .*/\1/p' "$T/out" | sort -u | tr '\n' ' ')
	[ $RC -eq 0 ] || why+=("exit status $RC")
	[ "$got" = "$want" ] || why+=("want: $(tr '\n' ' ' <<<"$want")")
	if [ -z "$leaks" ]; then
		why+=("no probe reported (no leak= line)")
	elif [ "$leaks" != "0 " ]; then
		why+=("leak= values (entries of its own environ holding a secret): $leaks")
	fi
	grep -qaF -f "$T/secrets" "$T/err" && why+=("a value on stderr")
	for a; do
		case $a in
		scan)
			if [ "$SCANNED" != 1 ]; then
				why+=("no scan while the processes were alive")
			else
				[ "$SCAN_CTL" = 1 ] || why+=("scan: the control process was not found (the scan proves nothing)")
				[ -z "$SCAN_HITS" ] || why+=("a secret in /proc/PID/environ of (pid:comm): $SCAN_HITS")
			fi ;;
		one) [ "$USAGE" = "$ONE" ] || why+=("requests: $USAGE (one resolution: $ONE)") ;;
		orphan)
			grep -q "^late: re-parented before the preload's constructor" "$T/err" ||
				why+=("the child was not re-parented before its preload's constructor ran (liblate.so)") ;;
		slots)
			[ "$(sed -n '/ leak=/{s/.* slots=\([0-9]*\) .*/\1/p;q}' "$T/out")" -gt 0 ] 2>/dev/null ||
				why+=("no VAULTSHIM_SLOT= entry in the Go program's environ (not given slots, not run again)") ;;
		esac
	done
	if [ ${#why[@]} -eq 0 ]; then
		ok "$name"
	else
		not_ok "$name" "${why[@]}" "got:  $(shown)" "stderr: $(errs)"
	fi
}

# === premises and controls ===================================================================
# the Go program is dynamically linked (cgo): the preload reaches it
readelf -lW "$GOVS" 2>/dev/null | grep -q '^ *INTERP '
check "premise: the cgo Go program has PT_INTERP (dynamically linked)" $? "readelf -l $GOVS shows no INTERP"

# Go reads its environment block, never getenv: under a getenv interposer of
# our own (answering DB_PASSWORD=other-getenv) the C probe sees its answer,
# the Go program does not. So every "v=db" of a Go program below comes from
# its block (the slots), not from an interposed getenv.
cat > "$T/fakegetenv.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
char *getenv(const char *name)
{
	static char *(*next)(const char *);
	if (!strcmp(name, "DB_PASSWORD"))
		return (char *)"other-getenv";
	if (!next)
		next = (char *(*)(const char *))dlsym(RTLD_NEXT, "getenv");
	return next ? next(name) : NULL;
}
C
gcc -shared -fPIC -O1 -o "$T/fakegetenv.so" "$T/fakegetenv.c" -ldl 2>"$T/cc.log" ||
	{ echo "Bail out! cannot compile fakegetenv.c"; cat "$T/cc.log"; exit 1; }
launch 0 env LD_PRELOAD="$T/fakegetenv.so" "$PROBE" DB_PASSWORD
c_got=$(grep -v ' leak=' "$T/out")
launch 0 env LD_PRELOAD="$T/fakegetenv.so" "$GOVS" read DB_PASSWORD
got=$(grep -v ' leak=' "$T/out")
check "premise: a Go program's os.Getenv does not call getenv (an interposed getenv answers C, not Go)" \
	$([ "$c_got" = "$(want c DB_PASSWORD=other-getenv)" ] && [ "$got" = "$(want go DB_PASSWORD=unset)" ]; echo $?) \
	"C probe: $(tr '\n' ' ' <<<"$c_got") Go: rc=$RC $(shown)" "stderr: $(errs)"

# the probes' own leak check can fail: given the value in its environment
# (no preload), each reports it there (the value read from a 0600 file, so
# that it is in no command line)
printf '%s\n' "$S_DB" > "$T/db.value"
chmod 600 "$T/db.value"
for p in go c sh py; do
	case $p in
	go) cmd=("$GOVS" read DB_PASSWORD) ;;
	c) cmd=("$PROBE" DB_PASSWORD) ;;
	sh) cmd=(sh -c '. "$1"; probe DB_PASSWORD' sh "$T/shprobe.lib") ;;
	py) cmd=($PY "$T/probe.py" 0 DB_PASSWORD) ;;
	esac
	launch 0 sh -c 'IFS= read -r DB_PASSWORD < "$0"; export DB_PASSWORD; exec "$@"' "$T/db.value" "${cmd[@]}"
	check "control: the $p probe given the value in its real environment reports it (v=db, leak=1)" \
		$([ "$(cat "$T/out" | sed 's/ slots=.*//')" = "$(want "$p" DB_PASSWORD=db)"$'\n'"$p leak=1" ]; echo $?) \
		"rc=$RC got: $(shown)"
done

# === 1. vaultshim exec -- GO ===============================================================
# Guards the slots: the launcher's empty entries are pointed at the values
# before Go copies the block, so os.Getenv sees them (it never calls getenv:
# the premise above), while /proc/PID/environ keeps showing
# the empty slots (exporting the values, environment mode, would put them
# there: the probe's leak=1 control above).
launch 1 "${EXEC[@]}" "$GOVS" read -s 0.5 DB_PASSWORD API_KEY
judge "vaultshim exec -- go: os.Getenv reads both Vault values, none in its /proc/PID/environ (nor any other)" \
	"$(want go DB_PASSWORD=db API_KEY=api)" scan one slots
# === 8. the launcher's warning (from the same launch) ========================================
# Guards the one line: a multi-line or repeated warning, or one that does
# not say which program, fails this.
lines=$(wc -l < "$T/err")
check "vaultshim exec -- go: its warning on stderr is one line, naming the program" \
	$([ "$lines" = 1 ] && grep -qE "^$LOG_WARN.*$GOVS" "$T/err" && grep -qi 'Go program' "$T/err"; echo $?) \
	"lines=$lines stderr: $(errs)"

# === 2. a shell of the tree starts the Go program (no slots) ======================================
# Guards the re-exec: the shell (eager) gives the Go program the hand-off
# but no slot and no value; its preload runs it again with slots (slots>0 in
# its environ shows it did: the shell has none to pass), through the exec
# hook, so the hand-off goes with it and nothing resolves twice (a re-exec
# that resolved again, or a Go program resolving itself, counts 6 requests).
launch 1 "${EXEC[@]}" sh -c '"$1" read -s 0.5 DB_PASSWORD API_KEY; :' sh "$GOVS"
judge "vaultshim exec -- sh -c GO: the Go program (run again with slots) reads both values, environ clean" \
	"$(want go DB_PASSWORD=db API_KEY=api)" scan slots
check "vaultshim exec -- sh -c GO: one resolution for the whole launch" \
	$([ "$USAGE" = "$ONE" ]; echo $?) "requests: $USAGE (one resolution: $ONE)"
no_warn=$(grep -c vaultshim "$T/err")
check "vaultshim exec -- sh -c GO: no vaultshim line on stderr (the shell is not a Go target)" \
	$([ "$no_warn" = 0 ]; echo $?) "stderr: $(errs)"

# === 3. a plain LD_PRELOAD launch, no launcher ====================================================
# Guards the re-exec for the first process of a tree: no slot anywhere, the
# Go program resolves, then runs itself again with slots (it has no other
# way to see a value: the getenv premise above).
launch 1 env "${PLAIN[@]}" "$GOVS" read -s 0.5 DB_PASSWORD API_KEY
judge "LD_PRELOAD=… VAULTSHIM_CONFIG=… go (no launcher): reads both values, run again with slots, environ clean" \
	"$(want go DB_PASSWORD=db API_KEY=api)" scan one slots

# === 4. a Go program's children ===================================================================
# Go starts its children with its own copy of the environment, the values in
# it: each child's preload must wipe them from its block (else its
# /proc/PID/environ holds them: see the control at the end of this section)
# and serve them from the tree's hand-off, without resolving again.
# Checked by hand: a child whose Go parent drops the mark
# (os.Unsetenv("VAULTSHIM_FROM_GO")) is served but keeps both values in its
# environ (leak=2, the scan names it: C, sh and python3 alike); one whose
# parent drops the hand-off resolves again (mounts=2 db=2 api=2 total=6).
launch 1 "${EXEC[@]}" "$GOVS" run -- "${SHPROBE[@]}" DB_PASSWORD API_KEY
judge "go -> sh -c (os/exec): \$DB_PASSWORD/\$API_KEY are the values, none in the child's environ, one resolution" \
	"$(want sh DB_PASSWORD=db API_KEY=api)" scan one
# bash, unlike dash, writes into the strings of the environment block main
# is given (initialize_shell_variables cuts each at its '=' and puts it
# back): whatever the preload leaves in that block must be writable
launch 1 "${EXEC[@]}" "$GOVS" run -- bash -c '. "$1"; shift; probe "$@"; sleep 0.5' bash "$T/shprobe.lib" \
	DB_PASSWORD API_KEY
judge "go -> bash -c (os/exec): \$DB_PASSWORD/\$API_KEY are the values, none in the child's environ, one resolution" \
	"$(want sh DB_PASSWORD=db API_KEY=api)" scan one
launch 1 "${EXEC[@]}" "$GOVS" run -- "$PROBE" -s 0.5 DB_PASSWORD API_KEY
judge "go -> C program (getenv): both values, none in the child's environ, one resolution" \
	"$(want c DB_PASSWORD=db API_KEY=api)" scan one
launch 1 "${EXEC[@]}" "$GOVS" run -- "${PYPROBE[@]}" DB_PASSWORD API_KEY
judge "go -> python3 (os.environ): both values, none in the child's environ, one resolution" \
	"$(want py DB_PASSWORD=db API_KEY=api)" scan one
# control: the same child with the preload taken away by the Go program
# (os.Unsetenv("LD_PRELOAD")): nothing wipes what Go passed, and the scan
# finds the values in its environ. Shows why the wipe is needed and that
# the scan sees such a child.
launch 1 "${EXEC[@]}" "$GOVS" run -unset LD_PRELOAD -- "$PROBE" -s 0.5 DB_PASSWORD API_KEY
hit_ok=$([ "$SCANNED" = 1 ] && [[ $SCAN_HITS == *:probe* ]] && grep -q '^c leak=2 ' "$T/out"; echo $?)
check "control: go -> C program without the preload holds Go's values in its environ (leak=2, scan finds it)" \
	"$hit_ok" "scanned=$SCANNED hits: $SCAN_HITS got: $(shown)"

# === 5. what the Go program changed reaches its child ================================================
# Guards the tree rule through Go: the child takes a value other than the
# served one as the Go program's os.Setenv, and a mapped name missing from
# what Go passed as its os.Unsetenv; a name left alone is served. A child
# that served the tree's value regardless shows v=db; one that took the
# missing name as untouched shows v=db for the unset case (checked by hand:
# without the mark, the C and sh children show v=db in both).
for c in c sh; do
	if [ $c = c ]; then child=("$PROBE"); else child=(sh -c '. "$1"; shift; probe "$@"' sh "$T/shprobe.lib"); fi
	launch 0 "${EXEC[@]}" "$GOVS" run -set DB_PASSWORD=other-set -- "${child[@]}" DB_PASSWORD API_KEY
	judge "go os.Setenv(DB_PASSWORD, other) -> $c: sees other, API_KEY (left alone) still served" \
		"$(want $c DB_PASSWORD=other-set API_KEY=api)"
	launch 0 "${EXEC[@]}" "$GOVS" run -set DB_PASSWORD= -- "${child[@]}" DB_PASSWORD API_KEY
	judge "go os.Setenv(DB_PASSWORD, \"\") -> $c: sees it empty, API_KEY still served" \
		"$(want $c DB_PASSWORD=empty API_KEY=api)"
	launch 0 "${EXEC[@]}" "$GOVS" run -unset DB_PASSWORD -- "${child[@]}" DB_PASSWORD API_KEY
	judge "go os.Unsetenv(DB_PASSWORD) -> $c: sees it unset, API_KEY still served" \
		"$(want $c DB_PASSWORD=unset API_KEY=api)"
done

# === 6. a grandchild: go -> sh -> C ===================================================================
# Guards the mark's reach: VAULTSHIM_FROM_GO=… is for the Go program's own
# children. The shell between holds its values in environ and its exec hook
# leaves them out of the grandchild's envp; a grandchild that took the mark
# as its own would take those missing names as removals (unset). Checked by
# hand: a process that has the mark and an envp without the names (a C child
# of Go exec'ing the probe with a raw execve system call, past the hook)
# sees both names unset; the shell's hook drops the mark even when the
# script sets it (VAULTSHIM_FROM_GO=1 prog: served). And what the Go
# program changed reaches the grandchild through the shell.
launch 1 "${EXEC[@]}" "$GOVS" run -- sh -c '"$1" -s 0.5 DB_PASSWORD API_KEY; :' sh "$PROBE"
judge "go -> sh -> C program: the grandchild is served both values, none in any environ, one resolution" \
	"$(want c DB_PASSWORD=db API_KEY=api)" scan one
launch 0 "${EXEC[@]}" "$GOVS" run -set DB_PASSWORD=other-go -unset API_KEY -- \
	sh -c '"$1" DB_PASSWORD API_KEY; :' sh "$PROBE"
judge "go (Setenv DB_PASSWORD, Unsetenv API_KEY) -> sh -> C program: the grandchild sees other and unset" \
	"$(want c DB_PASSWORD=other-go API_KEY=unset)"

# === 7. Go -> Go ========================================================================================
# The inner Go program is a child of a Go program: it wipes what the outer
# passed and takes its values into its own block (no launcher in between).
# Checked by hand: without the mark the inner one reads the values but keeps
# them in its environ (leak=2, the scan names it).
launch 1 "${EXEC[@]}" "$GOVS" run -- "$GOVS" read -s 0.5 DB_PASSWORD API_KEY
judge "go -> go (os/exec): the inner Go program reads both values, none in any environ, one resolution" \
	"$(want go DB_PASSWORD=db API_KEY=api)" scan one
launch 0 "${EXEC[@]}" "$GOVS" run -set DB_PASSWORD=other-outer -unset API_KEY -- "$GOVS" read DB_PASSWORD API_KEY
judge "go (Setenv DB_PASSWORD, Unsetenv API_KEY) -> go: the inner one sees other and unset" \
	"$(want go DB_PASSWORD=other-outer API_KEY=unset)"
# a shell between: the entries the shell's preload emptied in its block are
# VAULTSHIM_SLOT= entries of its environ, which the shell exports once (one
# variable), so the innermost Go program may start with fewer slots than it
# has names: it must still read every value, in one resolution
launch 1 "${EXEC[@]}" "$GOVS" run -- sh -c '"$1" read -s 0.5 DB_PASSWORD API_KEY; :' sh "$GOVS"
judge "go -> sh -> go: the innermost Go program reads both values, none in any environ, one resolution" \
	"$(want go DB_PASSWORD=db API_KEY=api)" scan one

# === 9. marks the Go program could not pass, or that named no parent =====================================
# Each case below leaked before the fix (the child read its values but kept
# them in its environ: leak=2, the scan named it): a child wipes a value
# equal to the served one whatever process the mark names, and a Go program
# always keeps room for its own mark and the hand-off.
# syscall.Exec: the program the Go process became has its pid, so the mark
# names the process itself, not its parent.
launch 1 "${EXEC[@]}" "$GOVS" exec -- "$PROBE" -s 0.5 DB_PASSWORD API_KEY
judge "go syscall.Exec -> C program (same pid): both values, none in its environ, one resolution" \
	"$(want c DB_PASSWORD=db API_KEY=api)" scan one
# Go -> Go -> C: the inner Go program was given the outer one's mark in the
# slots it would have put its own in; the C grandchild got a mark naming its
# grandparent.
launch 1 "${EXEC[@]}" "$GOVS" run -- "$GOVS" run -- "$PROBE" -s 0.5 DB_PASSWORD API_KEY
judge "go -> go -> C program: the grandchild is served both values, none in any environ, one resolution" \
	"$(want c DB_PASSWORD=db API_KEY=api)" scan one
# cmd.Start() and exit: the child is re-parented before its preload's
# constructor runs (made certain by liblate.so, which waits for it and says
# so: "orphan"), so the mark names no parent of it. Its stdout is a pipe to
# cat, which ends when the orphan does.
launch 1 sh -c '"$@" | cat' sh "${EXEC[@]}" "$GOVS" start -- "$T/probe-late" -s 0.5 DB_PASSWORD API_KEY
judge "go cmd.Start() then exits -> C program re-parented before its start: both values, none in its environ" \
	"$(want c DB_PASSWORD=db API_KEY=api)" scan one orphan
# a plain LD_PRELOAD launch of a Go program whose environment already holds
# every mapped name (placeholders: Vault's values win): it needs no slot for
# a value, but its children need the mark and the hand-off.
launch 1 env "${PLAIN[@]}" DB_PASSWORD=placeholder API_KEY=placeholder \
	"$GOVS" run -- "$PROBE" -s 0.5 DB_PASSWORD API_KEY
judge "LD_PRELOAD=… go (every name set to a placeholder) -> C program: served, none in any environ, one resolution" \
	"$(want c DB_PASSWORD=db API_KEY=api)" scan one

exit 0
