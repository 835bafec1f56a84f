#!/usr/bin/env bash
# Hostile hosts against the log line and the audit trail (issue 15 review):
# what a program, its operator or its neighbours put where the preload logs
# and records must neither hang the program nor break the one-line, valid
# formats (README "Logs and the audit trail"; docs/design.md "Log lines",
# "Audit records"). One check per finding, each failing on the code before
# its fix. Programs: tests/programs/hostile/ops_*, compiled here into $T;
# they print verdicts ("set", "unset"), never a value.
. "$(dirname "$0")/lib.sh"

H=$ROOT/tests/programs/hostile
[ -f "$SO" ] && [ -x "$VAULTSHIM" ] || { echo "Bail out! build first: make"; exit 1; }
for p in ops_comm ops_small_stack; do
	gcc -std=gnu11 -O1 -Wall -Wextra -pthread -o "$T/$p" "$H/$p.c" >"$T/cc.log" 2>&1 ||
		{ echo "Bail out! cannot build $p"; cat "$T/cc.log"; exit 1; }
done

start_server
PW=pw-$(rand)
KEY=key-$(rand)
api POST /v1/secret/data/app/db "{\"data\":{\"password\":\"$PW\"}}" >/dev/null
api POST /v1/secret/data/app/api "{\"data\":{\"key\":\"$KEY\"}}" >/dev/null
cp "$(command -v dash)" "$T/vs-probe"
# an eager shell that reads DB_PASSWORD (never printing it)
probe() { "$T/vs-probe" -c '[ -n "$DB_PASSWORD" ] && echo read'; }
mkdir -p "$T/trail"
# every line of FILE parses as JSON (python's exit status)
all_json() { python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1], "rb").read().decode().splitlines()]' "$1" 2>/dev/null; }

# --- A1: a FIFO at the audit path ---------------------------------------------------
# open(O_WRONLY) of a FIFO nobody reads blocks until a reader comes: the
# program, inside its getenv, with its signals blocked, would wait forever.
mkfifo -m 600 "$T/trail/fifo.log"
conf fifo 'mode = eager' "audit = $T/trail/fifo.log" >/dev/null
timeout -s KILL 20 env VAULTSHIM_CONFIG="$T/fifo.conf" LD_PRELOAD="$SO" "$T/vs-probe" -c '[ -n "$DB_PASSWORD" ] && echo read' \
	>"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 0 ] && [ "$(cat "$T/out")" = read ] && grep -qE "^${LOG_ERR}$T/fifo.conf:[0-9]+: audit $T/trail/fifo.log: " "$T/err"
check "A1: a FIFO as the audit FILE: the program is served at once, with one error line (rc=$rc)" $? "$(cat "$T/err")"
timeout -s KILL 20 "$VAULTSHIM" check -c "$T/fifo.conf" >/dev/null 2>"$T/err"
rc=$?
[ "$rc" != 137 ] && [ "$rc" != 0 ] && grep -qF "audit $T/trail/fifo.log: " "$T/err"
check "A1: check fails on a FIFO as the audit FILE, without waiting for a reader (rc=$rc)" $? "$(cat "$T/err")"

# --- A2: /dev/log whose queue is full -------------------------------------------------
# A syslog daemon that stopped reading (hung, stopped, swamped) leaves its
# datagram queue full; a blocking send would hang the program in getenv.
if unshare -m true 2>/dev/null; then
	own_dev
	python3 - "$T/dev/log" "$T/full" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
c.setblocking(False)
try:
    while True:
        c.sendto(b"<14>filler: x", sys.argv[1])
except BlockingIOError:
    pass
open(sys.argv[2], "w").close()
time.sleep(60)  # never reads
EOF
	lpid=$!
	wait_for 100 test -e "$T/full"
	conf sysl 'mode = eager' 'audit = syslog' >/dev/null
	in_own_dev timeout -s KILL 20 env VAULTSHIM_CONFIG="$T/sysl.conf" LD_PRELOAD="$SO" \
		"$T/vs-probe" -c '[ -n "$DB_PASSWORD" ] && echo read' >"$T/out" 2>"$T/err"
	rc=$?
	reap "$lpid"
	[ "$rc" = 0 ] && [ "$(cat "$T/out")" = read ] && grep -qE "^${LOG_ERR}$T/sysl.conf:[0-9]+: audit syslog: cannot send to /dev/log" "$T/err"
	check "A2: /dev/log not reading: the program is served without waiting, with one error line (rc=$rc)" $? "$(cat "$T/err")"
else
	skip "unshare -m not permitted here: a full /dev/log is not tested"
fi

# --- A3: the record on a small thread stack ---------------------------------------------
# A lazy read on a thread with PTHREAD_STACK_MIN (16 KiB) of stack: the
# resolution fits there, and its audit record must too (its formatting
# held 12 KiB of path buffers on the stack).
# (Under tests/sanitize/asan the instrumented preload's frames carry ASan's
# red zones, several times their size: the resolution alone overflows
# 16 KiB there, audit or not, so that run gives the thread 64 KiB.)
case $SO in *libasan*) kib=64 ;; *) kib=16 ;; esac
conf small 'mode = lazy' "audit = $T/trail/small.log" >/dev/null
VAULTSHIM_CONFIG=$T/small.conf LD_PRELOAD=$SO "$T/ops_small_stack" $kib DB_PASSWORD >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 0 ] && [ "$(cat "$T/out")" = set ] && [ ! -s "$T/err" ] && all_json "$T/trail/small.log" &&
	[ "$(wc -l <"$T/trail/small.log")" = 1 ]
check "A3: a first read on a $kib KiB thread stack, audit = FILE: served and recorded (rc=$rc)" $? "$(cat "$T/err")"

# --- L1: a newline in a message, text format ------------------------------------------
# a line is one line: a byte of the message must not start a forged one
VAULTSHIM_CONFIG="$T/$(printf 'nothere\nvaultshim[1] forged: error: x')" LD_PRELOAD=$SO /bin/true 2>"$T/err"
rc=$?
[ "$rc" = 78 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -qE "^${LOG_ERR}config: " "$T/err"
check "L1: a control byte in a text line's message does not split it (rc=$rc)" $? "$(cat -A "$T/err")"

# --- L2: the helper's --for PROG ----------------------------------------------------------
# the helper's name comes from its argument: kept to one printable word, as
# /proc/self/comm's is
conf fb 'mode = eager' >/dev/null
VAULTSHIM_LOG=debug "$VAULTSHIM" resolve -c "$T/fb.conf" --for "1:$(printf 'a b\nvaultshim[1] forged: error: x')" >/dev/null 2>"$T/err"
# (PROG may hold a colon, as a comm may: never a space, so its first ": " ends it)
[ -s "$T/err" ] && ! grep -vqE "^vaultshim\[1\] [^ ]+: (debug|info|warn|error): " "$T/err"
check "L2: resolve --for PID:PROG with a newline and spaces keeps every line one line" $? "$(cat -A "$T/err" | head -5)"

# --- L3: comm with quotes, backslashes, newlines, control bytes -------------------------------
conf lz 'mode = lazy' >/dev/null
odd=$(printf 'a"b\\c\nd\te\001')
VAULTSHIM_LOG=debug VAULTSHIM_CONFIG=$T/lz.conf LD_PRELOAD=$SO "$T/ops_comm" "$odd" DB_PASSWORD >"$T/out" 2>"$T/err"
[ "$(cat "$T/out")" = set ] && [ -s "$T/err" ] && ! grep -vqE "^${LOG_HEAD}" "$T/err"
check "L3: a comm of quotes, newline and control bytes: text lines stay one line each" $? "$(cat -A "$T/err" | head -5)"
VAULTSHIM_LOG=debug VAULTSHIM_LOG_FORMAT=json VAULTSHIM_CONFIG=$T/lz.conf LD_PRELOAD=$SO "$T/ops_comm" "$odd" DB_PASSWORD \
	>"$T/out" 2>"$T/err"
[ "$(cat "$T/out")" = set ] && [ -s "$T/err" ] && all_json "$T/err"
check "L3: the same comm: every JSON line parses" $? "$(head -5 "$T/err")"

# --- J1: a record field cut at its limit stays valid JSON --------------------------------------
# A config path of ~2200 quotes escapes to more than a field's room: the
# cut must fall between escapes, never inside one ("\" then the closing
# quote would escape it). Two depths: one of them puts the cut mid-escape.
ok_both=0
for extra in a ab; do
	d="$T/$extra"
	for _ in $(seq 11); do d="$d/$(printf '"%.0s' $(seq 200))"; done
	mkdir -p "$d"
	C_ENV='API_KEY = secret/app/api#key' conf j "audit = $T/trail/j-$extra.log" >/dev/null
	mv "$T/j.conf" "$d/j.conf"
	"$VAULTSHIM" run -c "$d/j.conf" -- true 2>"$T/err" || ok_both=1
	[ -s "$T/trail/j-$extra.log" ] && all_json "$T/trail/j-$extra.log" || ok_both=1
done
check "J1: audit records with a config path longer than a field escaped: valid JSON at both cut parities" $ok_both \
	"$(cat "$T/err"; tail -c 80 "$T/trail"/j-*.log 2>/dev/null)"

! grep -rqF -e "$PW" -e "$KEY" -e "$ROOT_TOKEN" "$T/trail" "$T/err" "$T/out"
check "no value and no token in any record or line of this file" $?

echo "1..$_n"
