#!/bin/bash
# Bounded fault soak of the preload (docs/design.md, pitfalls 4-7): for ~30 s a
# chaos driver (tests/soak/chaos.py) restarts the dev server on the same port,
# freezes it, seals it and injects delay faults, 500s and dropped connections
# on the secret paths, while 200 short processes (tests/soak/reader.c, half
# on_error = fallback, half on_error = fail; batches of 10 in parallel) and one
# long-running 16-thread process (tests/soak/longrun.c) read mapped names
# through libvaultshim.so. Every process outcome must be one of:
#   vault        exit 0, both Vault values whole, nothing on stderr
#   fallback     (fallback only) exit 0, each name its Vault value or the
#                distinct value of the real environment, at least one the
#                latter, and exactly the one "fallback sources used" line
#   fail-closed  (fail only) nothing on stdout, exactly one "vaultshim[PID] PROG: error: NAME
#                (path#field): reason" line, exit 69; or exit 65 when the
#                process overlapped the moment after a restart before the
#                driver re-wrote the secrets (the in-memory dev server then
#                honestly answers 404 = not found = 65). 77 cannot happen
#                legitimately: the token is the root token, the same file on
#                every restart, so there is never a 403.
# Anything else (another exit code, a signal, a hang at `timeout 15`, a half
# or garbled value, a second stderr line) is a failure. Each process must also
# end within 5 s: timeout = 1s plus the preload's 3 s helper grace, plus slack.
# Values are never printed: programs print lengths and FNV-1a digests.
# VAULTSHIM_SOAK_SEED replays a chaos schedule (the seed is printed).
. "$(dirname "$0")/lib.sh"

# VAULTSHIM_TEST_SO: another preload, as an LD_PRELOAD value (see lib.sh)
SO=${VAULTSHIM_TEST_SO:-$ROOT/${VAULTSHIM_TEST_BUILD:-build}/libvaultshim.so}
SOAK=$ROOT/tests/soak
[ -x "$PY" ] || PY=python3
SEED=${VAULTSHIM_SOAK_SEED:-$(( (RANDOM << 15) | RANDOM ))}
DURATION=30         # seconds of chaos
N_SHORT=200
BATCH=10
MAX_MS=5000         # per short process: 1 s timeout + 3 s helper grace + 1 s slack
us_now() { local t=$EPOCHREALTIME; echo $(( 10#${t%.*}${t#*.} )); }
T_BEGIN=$(us_now)

mkdir -p "$T/pg" "$T/p"
# Every process started here runs under `timeout`, which makes itself the
# leader of a new process group; "$T/pg/NAME" holds that group's id while it
# runs, so cleanup can end exactly those groups (the process, the helper it
# spawned, the dev server under the driver) and nothing else.
soak_cleanup() {
	local f pg left=0
	touch "$T/stop" 2>/dev/null
	for f in "$T"/pg/*; do
		[ -e "$f" ] || continue
		pg=$(<"$f")
		[ -n "$pg" ] || continue
		kill -CONT -- "-$pg" 2>/dev/null
		kill -TERM -- "-$pg" 2>/dev/null && left=1
	done
	if [ $left = 1 ]; then
		sleep 1
		for f in "$T"/pg/*; do
			[ -e "$f" ] && pg=$(<"$f") && [ -n "$pg" ] && kill -KILL -- "-$pg" 2>/dev/null
		done
	fi
	# the server should be in the driver's group; be sure anyway
	[ -s "$T/chaos/server.pid" ] && kill -KILL "$(<"$T/chaos/server.pid")" 2>/dev/null
	wait 2>/dev/null
	cleanup
}
trap soak_cleanup EXIT
trap 'exit 130' INT TERM

{ [[ $SO == *[:\ ]* ]] || [ -f "$SO" ]; } && [ -x "$VAULTSHIM" ] || { echo "Bail out! build first: make"; exit 1; }

# --- programs, secrets, configs ---------------------------------------------------
gcc -std=gnu11 -O1 -Wall -Wextra -o "$T/reader" "$SOAK/reader.c" 2>"$T/cc.log" &&
	gcc -std=gnu11 -O1 -Wall -Wextra -pthread -o "$T/longrun" "$SOAK/longrun.c" 2>>"$T/cc.log" ||
	{ echo "Bail out! cannot compile tests/soak/*.c"; cat "$T/cc.log"; exit 1; }

head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' | sed 's/^/hvs.soak/' > "$T/root-token"
chmod 600 "$T/root-token"
ROOT_TOKEN=$(<"$T/root-token")
# quotes, backslash, '=', '/', spaces and UTF-8 in one; the other is 6000
# bytes, so the helper's answer spans several pipe reads
S_DB='vs-soak db/p4ss=w0rd "q" \b ü'
S_API=soak-api-$(head -c 4500 /dev/urandom | base64 -w0)
F_DB='fallback-db-from-the-environment'
F_API=fallback-api-$(head -c 4500 /dev/urandom | base64 -w0)
S_DB=$S_DB S_API=$S_API $PY -c 'import json, os
print(json.dumps({"soak/db": {"password": os.environ["S_DB"]}, "soak/api": {"key": os.environ["S_API"]}}))' \
	| write_conf "$T/secrets.json"
PORT=$(free_port)
VAULT_ADDR=http://127.0.0.1:$PORT
for pol in fallback fail; do
	write_conf "$T/$pol.conf" <<EOF
[vault]
address = $VAULT_ADDR
token_file = $T/root-token
timeout = 1s
max_retries = 1

[options]
mode = lazy
on_error = $pol

[env]
DB_PASSWORD = secret/soak/db#password
API_KEY     = secret/soak/api#key
EOF
done

# digests (the reader without the preload) of the Vault and the fallback values
VD=$(env -i DB_PASSWORD="$S_DB" API_KEY="$S_API" "$T/reader")
FD=$(env -i DB_PASSWORD="$F_DB" API_KEY="$F_API" "$T/reader")
[[ $VD =~ ^DB_PASSWORD=([0-9]+:[0-9a-f]+)$'\n'API_KEY=([0-9]+:[0-9a-f]+)$'\n'OK$ ]] ||
	{ echo "Bail out! reader self-test: $VD"; exit 1; }
VD_DB=${BASH_REMATCH[1]} VD_API=${BASH_REMATCH[2]}
[[ $FD =~ ^DB_PASSWORD=([0-9]+:[0-9a-f]+)$'\n'API_KEY=([0-9]+:[0-9a-f]+)$'\n'OK$ ]] ||
	{ echo "Bail out! reader self-test: $FD"; exit 1; }
FD_DB=${BASH_REMATCH[1]} FD_API=${BASH_REMATCH[2]}

# --- chaos driver -----------------------------------------------------------------
echo "# seed $SEED, port $PORT, ${DURATION}s of chaos, $N_SHORT short processes in batches of $BATCH"
mkdir -p "$T/chaos"
timeout -k 2 $((DURATION + 40)) "$PY" "$SOAK/chaos.py" --port "$PORT" --token-file "$T/root-token" \
	--secrets "$T/secrets.json" --server "$ROOT/scripts/vault-dev-server" --python "$PY" \
	--dir "$T/chaos" --duration "$DURATION" --linger 20 --stop-file "$T/stop" --seed "$SEED" \
	>"$T/chaos/driver.out" 2>&1 &
CHAOS_PID=$!
echo $CHAOS_PID > "$T/pg/chaos"
for _ in $(seq 100); do
	[ -e "$T/chaos/ready" ] && break
	kill -0 $CHAOS_PID 2>/dev/null || break
	sleep 0.1
done
[ -e "$T/chaos/ready" ] || { echo "Bail out! the chaos driver did not start the dev server"; cat "$T/chaos/driver.out" "$T/chaos/server.log"; exit 1; }
T0=$(us_now)

# --- the long-running 16-thread process (fallback: it must live to the end) ------
timeout -k 1 $((DURATION + 30)) env -u VAULTSHIM_MODE -u VAULTSHIM_LOG VAULTSHIM_CONFIG="$T/fallback.conf" \
	LD_PRELOAD="$SO" DB_PASSWORD="$F_DB" API_KEY="$F_API" \
	"$T/longrun" "$T/stop" $((DURATION + 20)) >"$T/long.out" 2>"$T/long.err" &
LONG_PID=$!
echo $LONG_PID > "$T/pg/long"

# --- 200 short processes, batches of 10, spread over the chaos --------------------
run_short() { # IDX POLICY
	local i=$1 pol=$2 s e rc tp
	s=$(us_now)
	timeout -k 1 15 env -u VAULTSHIM_MODE -u VAULTSHIM_LOG VAULTSHIM_CONFIG="$T/$pol.conf" \
		LD_PRELOAD="$SO" DB_PASSWORD="$F_DB" API_KEY="$F_API" \
		"$T/reader" >"$T/p/$i.out" 2>"$T/p/$i.err" &
	tp=$!
	echo $tp > "$T/pg/s$i"
	wait $tp
	rc=$?
	e=$(us_now)
	rm -f "$T/pg/s$i"
	echo "$pol $rc $s $e" > "$T/p/$i.res"
}
STEP_US=$(( (DURATION - 2) * 1000000 / (N_SHORT / BATCH) ))
i=0
for ((b = 0; b < N_SHORT / BATCH; b++)); do
	wait_us=$(( T0 + 500000 + b * STEP_US - $(us_now) ))
	[ $wait_us -gt 0 ] && sleep "$(printf '%d.%06d' $((wait_us / 1000000)) $((wait_us % 1000000)))"
	pids=()
	for ((k = 0; k < BATCH; k++)); do
		pol=fallback
		[ $((i % 2)) = 1 ] && pol=fail
		run_short $i $pol &
		pids+=($!)
		i=$((i + 1))
	done
	wait "${pids[@]}"
done
T_SHORT_END=$(us_now)

# --- end of the soak: stop the long process, then the chaos ------------------------
# give the chaos its full duration, then ask both to stop
while [ $(( $(us_now) - T0 )) -lt $(( (DURATION + 1) * 1000000 )) ] && kill -0 $CHAOS_PID 2>/dev/null &&
	! grep -q ' calm ' "$T/chaos/chaos.log" 2>/dev/null; do
	sleep 0.2
done
touch "$T/stop"
wait $LONG_PID
LONG_RC=$?
rm -f "$T/pg/long"
wait $CHAOS_PID
CHAOS_RC=$?
rm -f "$T/pg/chaos"

# --- classification ----------------------------------------------------------------
declare -A n=([vault]=0 [fallback]=0 [fail]=0 [other]=0 [crash]=0 [hang]=0)
declare -A by=()
declare -A sample=()   # one fail-closed stderr line per exit code
mixed=0 fail65=0 max_ms=0 slow=0 leaked=0
other_notes=()
# 404 windows after each (re)start: "spawn ready" in seconds (µs precision)
win_s=() win_e=()
while read -r ws we; do
	win_s+=($(( 10#${ws%.*}${ws#*.} ))) win_e+=($(( 10#${we%.*}${we#*.} )))
done < "$T/chaos/windows"
in_window() { # START_US END_US
	local j
	for j in "${!win_s[@]}"; do
		[ "$1" -le "${win_e[$j]}" ] && [ "$2" -ge "${win_s[$j]}" ] && return 0
	done
	return 1
}
RE_FAIL='^'"$LOG_ERR"'(DB_PASSWORD \(secret/soak/db#password\)|API_KEY \(secret/soak/api#key\)): .+$'
RE_WARN='^'"$LOG_WARN"'[12] of 2 names not from Vault \(first: (DB_PASSWORD|API_KEY): .+\); fallback sources used; .vaultshim check -c [^ ]+. names each and why$'
RE_OUT='^DB_PASSWORD=([^'$'\n'']*)'$'\n''API_KEY=([^'$'\n'']*)'$'\n''OK$'
for ((i = 0; i < N_SHORT; i++)); do
	cls=other note=""
	if [ ! -s "$T/p/$i.res" ]; then
		note="no result"
		n[other]=$((n[other] + 1)); other_notes+=("#$i: $note"); continue
	fi
	read -r pol rc s e < "$T/p/$i.res"
	out=$(<"$T/p/$i.out")
	err=$(<"$T/p/$i.err")
	mapfile -t errl < "$T/p/$i.err"
	ms=$(( (e - s) / 1000 ))
	[ $ms -gt $max_ms ] && max_ms=$ms
	[ $ms -gt $MAX_MS ] && slow=$((slow + 1))
	if [[ $err == *"$S_DB"* || $err == *"$S_API"* || $err == *"$ROOT_TOKEN"* ]]; then
		leaked=$((leaked + 1))
	fi
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		cls=hang note="timeout 15 hit (rc $rc)"
	elif [ "$rc" -ge 128 ]; then
		cls=crash note="signal $((rc - 128))"
	elif [ "$rc" = 0 ] && [[ $out =~ $RE_OUT ]]; then
		db=${BASH_REMATCH[1]} api=${BASH_REMATCH[2]}
		if [ "$db" = "$VD_DB" ] && [ "$api" = "$VD_API" ]; then
			if [ ${#errl[@]} = 0 ]; then cls=vault; else note="vault values but stderr: ${errl[0]}"; fi
		elif [ $pol = fallback ] && [[ $db == "$VD_DB" || $db == "$FD_DB" ]] && [[ $api == "$VD_API" || $api == "$FD_API" ]]; then
			if [ ${#errl[@]} = 1 ] && [[ ${errl[0]} =~ $RE_WARN ]]; then
				cls=fallback
				[[ $db == "$VD_DB" || $api == "$VD_API" ]] && mixed=$((mixed + 1))
			else
				note="fallback values but ${#errl[@]} stderr line(s): ${errl[0]:-}"
			fi
		elif [ $pol = fail ] && [[ $db == "$FD_DB" || $api == "$FD_API" ]]; then
			note="on_error = fail served the environment's value: DB_PASSWORD=$db API_KEY=$api"
		else
			note="$pol: wrong, half or garbled value: DB_PASSWORD=$db API_KEY=$api (vault $VD_DB/$VD_API, env $FD_DB/$FD_API)"
		fi
	elif [ $pol = fail ] && { [ "$rc" = 69 ] || [ "$rc" = 65 ]; }; then
		if [ -n "$out" ]; then
			note="exit $rc but the program ran on: $out"
		elif [ ${#errl[@]} != 1 ] || ! [[ ${errl[0]} =~ $RE_FAIL ]]; then
			note="exit $rc with ${#errl[@]} stderr line(s): ${errl[0]:-} | ${errl[1]:-}"
		elif [ "$rc" = 65 ] && ! in_window "$s" "$e"; then
			note="exit 65 outside any restart window: ${errl[0]}"
		else
			cls=fail
			[ "$rc" = 65 ] && fail65=$((fail65 + 1))
			sample[$rc]=${errl[0]}
		fi
	else
		note="$pol: exit $rc, stdout '${out//$'\n'/ }', ${#errl[@]} stderr line(s): ${errl[0]:-}"
	fi
	n[$cls]=$((n[$cls] + 1))
	by[$pol.$cls]=$(( ${by[$pol.$cls]:-0} + 1 ))
	[ $cls = other ] || [ $cls = crash ] || [ $cls = hang ] && other_notes+=("#$i ($pol, ${ms} ms): $note")
done
bad=$((n[other] + n[crash] + n[hang]))

# --- report ------------------------------------------------------------------------
summary=$($PY -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join("%s=%d" % kv for kv in d["counts"].items()), "errors=%d" % len(d["errors"]))
for e in d["errors"][:5]: print("driver error:", e)' "$T/chaos/summary.json" 2>&1)
kinds_ok=$($PY -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(int(all(v > 0 for v in d["counts"].values()) and not d["errors"]))' "$T/chaos/summary.json" 2>/dev/null)
restarts=$(grep -c ' up ' "$T/chaos/chaos.log")
check "chaos driver: every kind of disturbance happened, the server came back on port $PORT after each restart, exit 0" \
	$([ "$CHAOS_RC" = 0 ] && [ "${kinds_ok:-0}" = 1 ]; echo $?) "rc=$CHAOS_RC ${summary//$'\n'/; }" "$(tail -3 "$T/chaos/driver.out")"
echo "# chaos: ${summary%%$'\n'*}, $((restarts - 1)) restarts"
echo "# fallback policy: ${by[fallback.vault]:-0} vault, ${by[fallback.fallback]:-0} fallback ($mixed mixed), ${by[fallback.other]:-0} other"
echo "# fail policy: ${by[fail.vault]:-0} vault, ${by[fail.fail]:-0} fail-closed ($fail65 of them 65 in a restart window), ${by[fail.other]:-0} other"
for rc in "${!sample[@]}"; do
	# no value can be in it: checked below ("no value or token on stderr")
	[ $leaked = 0 ] && echo "# e.g. exit $rc: ${sample[$rc]}"
done
check "$N_SHORT short processes: ${n[vault]} vault, ${n[fallback]} fallback, ${n[fail]} fail-closed, $bad other" \
	$([ $((n[vault] + n[fallback] + n[fail])) = $N_SHORT ]; echo $?) "${other_notes[@]:0:8}"
check "short processes: no crash (signal)" $([ ${n[crash]} = 0 ]; echo $?) "${n[crash]} crashed"
check "short processes: no hang (timeout 15)" $([ ${n[hang]} = 0 ]; echo $?) "${n[hang]} hung"
check "short processes: no unexpected outcome" $([ ${n[other]} = 0 ]; echo $?) "${n[other]} unexpected"
check "short processes: each ended within $((MAX_MS / 1000)) s (slowest $max_ms ms)" $([ $slow = 0 ]; echo $?) "$slow slower than $MAX_MS ms"
check "short processes: no value or token on stderr" $([ $leaked = 0 ]; echo $?) "$leaked leaked"
check "the chaos bit: every outcome class occurred (vault ${n[vault]}, fallback ${n[fallback]}, fail-closed ${n[fail]})" \
	$([ ${n[vault]} -gt 0 ] && [ ${n[fallback]} -gt 0 ] && [ ${n[fail]} -gt 0 ]; echo $?)

long=$(<"$T/long.out")
long_src=other
[[ $long == *" DB_PASSWORD=$VD_DB API_KEY=$VD_API" ]] && long_src=vault
[[ $long == *" DB_PASSWORD=$FD_DB API_KEY=$FD_API" ]] && long_src=fallback
[[ $long == *" DB_PASSWORD=$VD_DB API_KEY=$FD_API" || $long == *" DB_PASSWORD=$FD_DB API_KEY=$VD_API" ]] && long_src=mixed
reads=$(sed -n 's/.* reads=\([0-9]*\).*/\1/p' <<<"$long")
mapfile -t errl < "$T/long.err"
# stderr: nothing with Vault's values, else the one "fallback sources used" line
long_err_ok=1
if [ $long_src = vault ]; then
	[ ${#errl[@]} = 0 ] || long_err_ok=0
elif [ ${#errl[@]} != 1 ] || ! [[ ${errl[0]} =~ $RE_WARN ]]; then
	long_err_ok=0
fi
check "long-running process: 16 threads, ${reads:-?} reads, one stable pointer and value per name in all threads ($long_src values), exit 0" \
	$([ "$LONG_RC" = 0 ] && [ "$long_src" != other ] && [ $long_err_ok = 1 ] &&
		[[ $long == *"pointer_changes=0 value_changes=0 nulls=0 same_across_threads=yes"* ]]; echo $?) \
	"rc=$LONG_RC ${long%% DB_PASSWORD=*}" "stderr (${#errl[@]} lines): ${errl[0]:-}"

t_end=$(us_now)
echo "# short processes took $(( (T_SHORT_END - T0) / 1000 )) ms; soak $(( (t_end - T_BEGIN) / 1000 )) ms in all"
# a bound on the whole, against a soak that hangs somewhere: 60 s (about 30
# here); under ASan (its runtime first in LD_PRELOAD) every process starts
# and runs about twice as slowly, and the same soak takes about 50 s on a
# quiet machine: 90 s there
LIMIT_S=60
[[ $SO == *libasan* ]] && LIMIT_S=90
check "the soak ended within $LIMIT_S s" $([ $(( t_end - T_BEGIN )) -lt $((LIMIT_S * 1000000)) ]; echo $?) \
	"took $(( (t_end - T_BEGIN) / 1000 )) ms"
