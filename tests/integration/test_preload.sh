#!/bin/bash
# libvaultshim.so (the getenv interposer) under real programs against the dev
# server: every runtime of README "The preload"'s table of modes, lazy vs eager,
# threads, fork during a resolution, constructors before ours, re-entrant
# malloc, program writes, secure_getenv/setuid, failure behaviour with
# on_error = fallback|fail, broken parts, inheritance, exports, no I/O for
# unmapped names, no secret in logs, dotenv, eager_programs.
# Small test programs live in tests/programs/ and are compiled here into $T.
# Every process under test is bounded with `timeout 20`. No value or token is
# ever printed: programs compare inside and print OK/BAD, the shell compares
# and prints lengths or "differs".
. "$(dirname "$0")/lib.sh"

# VAULTSHIM_TEST_SO: run the battery against another build of the preload
# (e.g. a deliberately broken copy, to see that each pitfall test bites:
# docs/design.md, "Pitfalls", names the sections below that hold each rule);
# the helper must sit beside it as for build/.
SO=${VAULTSHIM_TEST_SO:-$ROOT/build/libvaultshim.so}
PROGS=$ROOT/tests/programs
# unique per run: two suites at once must not remove each other's copy
SECURE_SO=/usr/lib/x86_64-linux-gnu/libvaultshim-secure-test-$$.so
SECURE_DIR=""

cleanup_preload() {
	rm -f "$SECURE_SO"
	[ -n "$SECURE_DIR" ] && rm -rf "$SECURE_DIR"
	cleanup
}
trap cleanup_preload EXIT


[ -f "$SO" ] && [ -x "$VAULTSHIM" ] || { echo "Bail out! build first: make"; exit 1; }

# --- test programs ------------------------------------------------------------
CFLAGS_T=(-std=gnu11 -O1 -g -Wall -Wextra)
cc_prog() { # cc_prog NAME [extra gcc args...]
	local n=$1
	shift
	gcc "${CFLAGS_T[@]}" -o "$T/$n" "$PROGS/$n.c" "$@" 2>"$T/cc-$n.log" ||
		{ echo "Bail out! cannot compile tests/programs/$n.c"; cat "$T/cc-$n.log"; exit 1; }
}
for p in getenv_basic envprobe marker writes execsh children; do cc_prog $p; done
cc_prog threads -pthread
cc_prog forkres -pthread
cc_prog secure -ldl
gcc "${CFLAGS_T[@]}" -fPIC -shared -o "$T/libctorlib.so" "$PROGS/ctorlib.c" &&
	gcc "${CFLAGS_T[@]}" -o "$T/ctor_main" "$PROGS/ctor_main.c" -L"$T" -lctorlib -Wl,-rpath,"$T" ||
	{ echo "Bail out! cannot build the constructor library test"; exit 1; }
gcc "${CFLAGS_T[@]}" -fPIC -shared -DHOOK_NAME='"DB_PASSWORD"' -o "$T/libmallochook.so" "$PROGS/mallochook.c" -ldl &&
	gcc "${CFLAGS_T[@]}" -fPIC -shared -o "$T/libharmless.so" "$PROGS/harmless.c" ||
	{ echo "Bail out! cannot build the helper libraries"; exit 1; }

# --- server, secrets, configs -------------------------------------------------
start_server
S_DB='vs-Sekr3t db/9QxZ'     # has a space and a slash on purpose
S_API='vs-Sekr3t-api-K2m8'
api POST /v1/secret/data/app/db "{\"data\":{\"password\":\"$S_DB\",\"user\":\"appuser\"}}" >/dev/null
api POST /v1/secret/data/app/api "{\"data\":{\"key\":\"$S_API\"}}" >/dev/null
HOME_V=/home/vs-test-home

# a token whose policy can read secret/data/other/* only: 403 on secret/app/*
api PUT /v1/sys/policies/acl/limited '{"policy":"path \"secret/data/other/*\" { capabilities = [\"read\"] }"}' >/dev/null
/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["auth"]["client_token"])' \
	< <(api POST /v1/auth/token/create '{"policies":["limited"],"ttl":"1h"}') > "$T/limited-token"
chmod 600 "$T/limited-token"
LIMITED_TOKEN=$(cat "$T/limited-token")
[ -n "$LIMITED_TOKEN" ] || { echo "Bail out! could not create a limited token"; exit 1; }

CLOSED_PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')


# pre CONF CMD...: CMD under the preload (PRE_LD overrides LD_PRELOAD), bounded.
# The real environment is kept except DB_PASSWORD/API_KEY, which callers set
# explicitly when they want a fallback value.
pre() {
	local c=$1
	shift
	timeout 20 env -u DB_PASSWORD -u API_KEY -u VAULTSHIM_MODE -u VAULTSHIM_LOG HOME="$HOME_V" VAULTSHIM_CONFIG="$c" \
		LD_PRELOAD="${PRE_LD:-$SO}" "$@"
}

# count KEY: the dev server's counter for "METHOD path" (or "total")
count() {
	counters | /usr/bin/python3 -c 'import json,sys
d=json.load(sys.stdin); k=sys.argv[1]
print(d["total"] if k=="total" else d["requests"].get(k,0))' "$1"
}
# no_secret FILE...: none of the values or tokens appears in the files
no_secret() {
	! grep -qF -e "$S_DB" -e "$S_API" -e "$ROOT_TOKEN" -e "$LIMITED_TOKEN" "$@"
}
lines() { wc -l < "$1" | tr -d ' '; }
# errs [N]: the first N (3) lines of $T/err for a diagnostic, values and
# tokens masked in case a bug ever logs one
errs() {
	local l
	head -"${1:-3}" "$T/err" | while IFS= read -r l; do
		l=${l//"$S_DB"/<value>}
		l=${l//"$S_API"/<value>}
		l=${l//"$ROOT_TOKEN"/<token>}
		l=${l//"$LIMITED_TOKEN"/<token>}
		printf '%s\n' "$l"
	done
}

LAZY=$(conf lazy 'mode = lazy')
AUTO=$(conf auto)
EAGER=$(conf eager 'mode = eager')

# === 1. real programs read a mapped secret (docs/design.md, pitfall 1) ========
out=$(pre "$AUTO" "$T/getenv_basic" DB_PASSWORD "$S_DB" HOME "$HOME_V" 2>"$T/err"); rc=$?
check "C getenv: the mapped name has the Vault value" $([ $rc -eq 0 ] && [[ $out == *mapped=OK* ]]; echo $?) "rc=$rc $out" "$(errs)"
check "C getenv: an unmapped name (HOME) passes through unchanged" $([[ $out == *unmapped=OK* ]]; echo $?) "$out"
check "C getenv: two calls return the same pointer" $([[ $out == *same_pointer=yes* ]]; echo $?) "$out"
out=$("$T/getenv_basic" DB_PASSWORD "$S_DB" HOME "$HOME" 2>&1)
check "C getenv without the preload: the mapped name is unset (control)" $([[ $out == *mapped=NULL* ]]; echo $?) "$out"

if [ -x /usr/bin/python3 ]; then
	out=$(pre "$AUTO" /usr/bin/python3 -c 'import os, sys
n, w = sys.argv[1], sys.argv[2]
print("environ=" + ("OK" if os.environ.get(n) == w else "BAD"), "getenv=" + ("OK" if os.getenv(n) == w else "BAD"))' \
		DB_PASSWORD "$S_DB" 2>"$T/err"); rc=$?
	check "python3 os.environ[...] sees the value (auto -> eager)" $([ $rc -eq 0 ] && [[ $out == *environ=OK* ]]; echo $?) "rc=$rc $out" "$(errs)"
	check "python3 os.getenv sees the value" $([[ $out == *getenv=OK* ]]; echo $?) "$out"
else
	skip "python3 os.environ: no /usr/bin/python3"
fi
if command -v perl >/dev/null; then
	out=$(pre "$AUTO" perl -e 'print((($ENV{$ARGV[0]} // "") eq $ARGV[1]) ? "OK\n" : "BAD\n")' DB_PASSWORD "$S_DB" 2>"$T/err"); rc=$?
	check "perl \$ENV{...} sees the value" $([ $rc -eq 0 ] && [ "$out" = OK ]; echo $?) "rc=$rc $out" "$(errs)"
else
	skip "perl %ENV: no perl"
fi

out=$(pre "$AUTO" bash -c 'x=$(echo $DB_PASSWORD); [ "$x" = "$(echo $1)" ] && echo OK || echo BAD' bash "$S_DB" 2>"$T/err"); rc=$?
check "bash -c 'echo \$X' sees the value" $([ $rc -eq 0 ] && [ "$out" = OK ]; echo $?) "rc=$rc $out" "$(errs)"
out=$(pre "$AUTO" sh -c '[ "$DB_PASSWORD" = "$1" ] && echo OK || echo BAD' sh "$S_DB" 2>"$T/err"); rc=$?
check "sh -c sees the value" $([ $rc -eq 0 ] && [ "$out" = OK ]; echo $?) "rc=$rc $out" "$(errs)"

if command -v node >/dev/null; then
	out=$(pre "$AUTO" node -e 'const v = process.env[process.argv[1]];
console.log(v === undefined ? "NULL" : v === process.argv[2] ? "OK" : "BAD")' DB_PASSWORD "$S_DB" 2>"$T/err"); rc=$?
	check "node process.env.X sees the value (lazy: getenv)" $([ $rc -eq 0 ] && [ "$out" = OK ]; echo $?) "rc=$rc $out" "$(errs)"
else
	skip "node process.env: no node binary"
fi

if command -v java >/dev/null && command -v javac >/dev/null; then
	if javac -d "$T" "$PROGS/GetEnv.java" 2>"$T/javac.log"; then
		out=$(pre "$AUTO" java -cp "$T" GetEnv DB_PASSWORD "$S_DB" 2>"$T/err"); rc=$?
		check "java System.getenv sees the value (auto -> eager)" $([ $rc -eq 0 ] && [ "$out" = java=OK ]; echo $?) "rc=$rc $out" "$(errs)"
	else
		check "javac compiles GetEnv.java" 1 "$(head -5 "$T/javac.log")"
	fi
else
	skip "java System.getenv: no java/javac"
fi

# === 2. lazy: not in /proc/PID/environ; eager: in environ (docs/design.md, pitfalls 1, 9) ===
rm -f "$T/probe.out"
pre "$LAZY" "$T/envprobe" DB_PASSWORD "$S_DB" sleep >"$T/probe.out" 2>"$T/err" &
bg=$!
for _ in $(seq 100); do grep -q '^ready' "$T/probe.out" 2>/dev/null && break; sleep 0.1; done
pid=$(sed -n 's/^ready pid=\([0-9]*\)$/\1/p' "$T/probe.out")
if [ -n "$pid" ] && [ -r "/proc/$pid/environ" ]; then
	tr '\0' '\n' < "/proc/$pid/environ" > "$T/environ.txt"
	kill "$pid" 2>/dev/null
	wait "$bg" 2>/dev/null
	grep -q '^getenv=OK' "$T/probe.out"
	check "lazy: the running C program has read the secret" $? "$(head -1 "$T/probe.out")"
	grep -q "^VAULTSHIM_CONFIG=$LAZY\$" "$T/environ.txt" && no_secret "$T/environ.txt"
	check "lazy: /proc/PID/environ does not contain the value" $? "lines=$(lines "$T/environ.txt")"
	grep -q 'in_environ=no' "$T/probe.out"
	check "lazy: the value is not in the process's own environ" $? "$(head -1 "$T/probe.out")"
else
	kill "$bg" 2>/dev/null
	wait "$bg" 2>/dev/null
	check "lazy: the running C program has read the secret" 1 "no ready line: $(cat "$T/probe.out") $(errs)"
fi
out=$(pre "$EAGER" "$T/envprobe" DB_PASSWORD "$S_DB" 2>"$T/err"); rc=$?
check "eager (mode = eager): the value IS in the C program's environ" $([ $rc -eq 0 ] && [ "$out" = "getenv=OK in_environ=yes" ]; echo $?) "rc=$rc $out" "$(errs)"
out=$(pre "$AUTO" /usr/bin/python3 -c 'import ctypes, sys
env = ctypes.POINTER(ctypes.c_char_p).in_dll(ctypes.CDLL(None), "environ")
want = ("%s=%s" % (sys.argv[1], sys.argv[2])).encode(); i = 0; found = False
while env[i]:
    found = found or env[i] == want; i += 1
print("in_environ=" + ("yes" if found else "no"))' DB_PASSWORD "$S_DB" 2>"$T/err"); rc=$?
check "eager (python in auto): the value IS in the C-level environ" $([ $rc -eq 0 ] && [ "$out" = in_environ=yes ]; echo $?) "rc=$rc $out" "$(errs)"

# === 3. threads: 64 at once, one resolution (docs/design.md, pitfalls 4, 5) ===
control DELETE faults
control POST faults '{"path":"secret/data/app/db","delay_ms":800,"count":1}'
control DELETE counters
out=$(pre "$LAZY" "$T/threads" DB_PASSWORD "$S_DB" DB_HOST 2>"$T/err"); rc=$?
control DELETE faults
check "threads: 64 concurrent first reads get the same pointer and the right value" \
	$([ $rc -eq 0 ] && [[ $out == *"same_pointer=yes value=OK"* ]]; echo $?) "rc=$rc $out" "$(errs)"
c_mount=$(counters | /usr/bin/python3 -c 'import json,sys
r=json.load(sys.stdin)["requests"]; print(sum(v for k,v in r.items() if k.startswith("GET sys/internal/ui/mounts/")))')
c_db=$(count "GET secret/data/app/db"); c_api=$(count "GET secret/data/app/api"); c_tot=$(count total)
check "threads: exactly one resolution (1 mount lookup, 1 read per path, nothing else)" \
	$([ "$c_mount" = 1 ] && [ "$c_db" = 1 ] && [ "$c_api" = 1 ] && [ "$c_tot" = 3 ]; echo $?) \
	"mount=$c_mount db=$c_db api=$c_api total=$c_tot"
ms=$(sed -n 's/.*unmapped_ms=\([0-9]*\).*/\1/p' <<<"$out")
check "threads: unmapped names don't wait for a resolution in flight" \
	$([[ $out == *unmapped_during_resolution=yes* ]] && [ -n "$ms" ] && [ "$ms" -lt 300 ]; echo $?) "$out"

# === 4. fork while another thread resolves (docs/design.md, pitfall 6) ========
control POST faults '{"path":"secret/data/app/db","delay_ms":1500}'
out=$(pre "$LAZY" "$T/forkres" DB_PASSWORD "$S_DB" "$HOME_V" 2>"$T/err"); rc=$?
control DELETE faults
check "fork during a resolution: no deadlock (finishes within the timeout)" $([ $rc -eq 0 ]; echo $?) "rc=$rc (124 = timed out)" "$out" "$(errs)"
check "fork during a resolution: the child reads the value and HOME" $([[ $out == *"child=OK child_home=OK"* ]]; echo $?) "$out"
check "fork during a resolution: the parent thread gets the value, child exits 0" $([[ $out == *"parent=OK child_status=0"* ]]; echo $?) "$out"

# === 5. a library constructor calls getenv before the preload's constructor (docs/design.md, pitfalls 3, 13) ===
out=$(pre "$LAZY" VS_CTOR_PLAIN=plain-ctor-value VAULTSHIM_LOG=debug "$T/ctor_main" plain-ctor-value DB_PASSWORD "$S_DB" 2>"$T/err"); rc=$?
check "constructor getenv before the preload's: no crash" $([ $rc -eq 0 ] && [[ $out == ctor_ran=1* ]]; echo $?) "rc=$rc $out" "$(errs)"
check "constructor getenv: the real environment's value for an unmapped name" $([[ $out == *ctor_unmapped=OK* ]]; echo $?) "$out"
check "constructor getenv: the program's later getenv still gets the Vault value" $([[ $out == *mapped=OK* ]]; echo $?) "$out"
# the library's constructor runs before the preload's: its first getenv is
# what starts the preload (it prints its line after its getenv calls)
l_ctor=$(grep -n 'ctorlib: constructor ran' "$T/err" | head -1 | cut -d: -f1)
l_pre=$(grep -nE "^${LOG_HEAD}started before the constructor" "$T/err" | head -1 | cut -d: -f1)
check "constructor getenv: the library's constructor ran first, and its getenv started the preload" \
	$([ -n "$l_ctor" ] && [ -n "$l_pre" ] && [ "$l_pre" -lt "$l_ctor" ]; echo $?) "ctor line=$l_ctor preload line=$l_pre" "$(errs 5)"

# a config larger than 64 KiB (the early scan's old buffer), its [env] past
# that: the library's getenv of a mapped name still starts the preload early
pad=$(for i in $(seq 1200); do printf '# padding line %04d ......................................\n' "$i"; done)
LAZY_BIG=$(conf lazy-big 'mode = lazy' "$pad")
out=$(pre "$LAZY_BIG" VS_CTOR_PLAIN=plain-ctor-value VAULTSHIM_LOG=debug "$T/ctor_main" plain-ctor-value DB_PASSWORD "$S_DB" 2>"$T/err"); rc=$?
l_ctor=$(grep -n 'ctorlib: constructor ran' "$T/err" | head -1 | cut -d: -f1)
l_pre=$(grep -nE "^${LOG_HEAD}started before the constructor" "$T/err" | head -1 | cut -d: -f1)
check "constructor getenv, config over 64 KiB ($(wc -c <"$LAZY_BIG") bytes): the library's getenv started the preload" \
	$([ $rc -eq 0 ] && [[ $out == *mapped=OK* ]] && [ -n "$l_ctor" ] && [ -n "$l_pre" ] && [ "$l_pre" -lt "$l_ctor" ]; echo $?) \
	"rc=$rc ctor line=$l_ctor preload line=$l_pre $out" "$(errs 5)"

# === 6. re-entrancy: a malloc hook that calls getenv(mapped) (docs/design.md, pitfall 2) ===
out=$(PRE_LD="$T/libmallochook.so" pre "$LAZY" "$T/getenv_basic" DB_PASSWORD "$S_DB" HOME "$HOME_V" 2>"$T/err"); rc=$?
check "re-entrancy control: the malloc hook alone works" $([ $rc -eq 0 ] && [[ $out == *mapped=NULL* ]]; echo $?) "rc=$rc $out" "$(errs)"
out=$(PRE_LD="$T/libmallochook.so:$SO" pre "$LAZY" "$T/getenv_basic" DB_PASSWORD "$S_DB" HOME "$HOME_V" 2>"$T/err"); rc=$?
check "re-entrancy: getenv(mapped) from inside malloc during the resolution does not deadlock" $([ $rc -eq 0 ]; echo $?) "rc=$rc (124 = deadlock/timeout)" "$(errs)"
check "re-entrancy: the program still gets the value" $([[ $out == *mapped=OK* ]]; echo $?) "$out"

# === 7. the program's own writes win (docs/design.md, pitfall 5) ==============
out=$(pre "$LAZY" "$T/writes" DB_PASSWORD API_KEY "$S_API" 2>"$T/err"); rc=$?
check "writes: setenv(mapped,\"mine\") then getenv -> mine" $([ $rc -eq 0 ] && [[ $out == *setenv=OK* ]]; echo $?) "rc=$rc $out" "$(errs)"
check "writes: unsetenv(mapped) then getenv -> NULL" $([[ $out == *unsetenv=OK* ]]; echo $?) "$out"
check "writes: putenv(\"X=p\") then getenv -> p" $([[ $out == *putenv=OK* ]]; echo $?) "$out"
check "writes: setenv after the first getenv resolved -> the program's value" $([[ $out == *"resolved=OK setenv_after=OK"* ]]; echo $?) "$out"
check "writes: clearenv -> mapped names read NULL" $([[ $out == *clearenv=OK* ]]; echo $?) "$out"
check "pointer lifetime: a pointer getenv returned stays valid after the program's writes" $([[ $out == *old_pointer=OK* ]]; echo $?) "$out"

# === 8. secure_getenv and secure-execution processes (docs/design.md, pitfall 8) ===
out=$(pre "$LAZY" "$T/secure" DB_PASSWORD "$S_DB" 2>"$T/err"); rc=$?
check "secure_getenv in a normal process returns the value" \
	$([ $rc -eq 0 ] && [ "$out" = "at_secure=0 preload=yes secure_getenv=SECRET getenv=SECRET" ]; echo $?) "rc=$rc $out" "$(errs)"
if [ "$(id -u)" -ne 0 ]; then
	skip "setuid process is never served secrets: needs root"
elif [ ! -d "$(dirname "$SECURE_SO")" ]; then
	skip "setuid process is never served secrets: no $(dirname "$SECURE_SO") (not x86_64 Debian)"
elif ! id nobody >/dev/null 2>&1; then
	skip "setuid process is never served secrets: no user nobody"
else
	# everything the process would need to be served (config, token, helper)
	# is readable by nobody, so only AT_SECURE stands between it and the secret
	SECURE_DIR=$(mktemp -d /tmp/vaultshim-secure.XXXXXX)
	chmod 755 "$SECURE_DIR"
	# (a token file is read by its owner alone: root's copy for the control,
	# nobody's for the setuid run)
	install -m 600 "$T/root-token" "$SECURE_DIR/token"
	install -m 600 -o nobody "$T/root-token" "$SECURE_DIR/token-nobody"
	for who in "" -nobody; do
		printf '[vault]\naddress = %s\ntoken_file = %s\n[options]\nmode = lazy\nhelper = %s\n[env]\n%s\n' \
			"$VAULT_ADDR" "$SECURE_DIR/token$who" "$VAULTSHIM" "$ENV_STD" > "$SECURE_DIR/app$who.conf"
		chmod 644 "$SECURE_DIR/app$who.conf"
	done
	install -m 4755 "$SO" "$SECURE_SO"
	install -m 755 "$T/secure" "$SECURE_DIR/secure"
	# control: the same bare-name preload and config, not setuid -> served
	out=$(timeout 20 env -u DB_PASSWORD VAULTSHIM_CONFIG="$SECURE_DIR/app.conf" LD_PRELOAD="${SECURE_SO##*/}" \
		"$SECURE_DIR/secure" DB_PASSWORD "$S_DB" 2>"$T/err"); rc=$?
	check "setuid control: same preload by bare name, not setuid -> served" \
		$([ $rc -eq 0 ] && [ "$out" = "at_secure=0 preload=yes secure_getenv=SECRET getenv=SECRET" ]; echo $?) "rc=$rc $out" "$(errs)"
	chown nobody "$SECURE_DIR/secure" && chmod 4755 "$SECURE_DIR/secure"
	out=$(timeout 20 env -u DB_PASSWORD VAULTSHIM_CONFIG="$SECURE_DIR/app-nobody.conf" LD_PRELOAD="${SECURE_SO##*/}" \
		"$SECURE_DIR/secure" DB_PASSWORD "$S_DB" 2>"$T/err"); rc=$?
	check "setuid: AT_SECURE=1 and the preload is loaded in that process" $([ $rc -eq 0 ] && [[ $out == "at_secure=1 preload=yes "* ]]; echo $?) "rc=$rc $out" "$(errs)"
	check "setuid: secure_getenv(mapped) returns NULL" $([[ $out == *"secure_getenv=NULL "* ]]; echo $?) "$out"
	check "setuid: getenv(mapped) does not serve the secret" $([[ $out == *"getenv=NULL" ]]; echo $?) "$out"
	rm -f "$SECURE_SO"
fi

# === 9. failure behaviour (docs/design.md, pitfall 7) =========================
ENV_ONE='DB_PASSWORD = secret/app/db#password'
ENV_404='DB_PASSWORD = secret/app/missing#password'
# fail_case LABEL EXPECTED_RC PATH_IN_MESSAGE MAX_SECONDS: uses $FB_CONF/$FAIL_CONF
fail_case() {
	local label=$1 want=$2 path=$3 max=$4 t0 t1 rc out
	rm -f "$T/marker.flag"
	t0=$(date +%s%N)
	out=$(pre "$FB_CONF" DB_PASSWORD=from-env "$T/marker" DB_PASSWORD from-env "$T/marker.flag" 2>"$T/err"); rc=$?
	t1=$(date +%s%N)
	check "$label, fallback: the real environment's value, the program runs" \
		$([ $rc -eq 0 ] && [ "$out" = value=OK ] && [ -e "$T/marker.flag" ]; echo $?) "rc=$rc $out" "$(errs)"
	check "$label, fallback: ends within ${max}s" $(( (t1 - t0) / 1000000 > max * 1000 )) "took $(( (t1 - t0) / 1000000 )) ms"
	rm -f "$T/marker.flag"
	t0=$(date +%s%N)
	out=$(pre "$FAIL_CONF" DB_PASSWORD=from-env "$T/marker" DB_PASSWORD from-env "$T/marker.flag" 2>"$T/err"); rc=$?
	t1=$(date +%s%N)
	check "$label, on_error = fail: exit $want" $([ $rc -eq "$want" ]; echo $?) "rc=$rc" "$(errs)"
	check "$label, on_error = fail: the program does not run on (no marker)" $([ ! -e "$T/marker.flag" ] && [ -z "$out" ]; echo $?) "out=$out"
	[ "$(lines "$T/err")" = 1 ] && grep -qE "^$LOG_ERR" "$T/err" && grep -q 'DB_PASSWORD' "$T/err" && grep -qF "$path" "$T/err"
	check "$label, on_error = fail: one 'vaultshim[PID] PROG: error: ' line naming the variable and $path" $? "$(errs)"
	check "$label, on_error = fail: ends within ${max}s" $(( (t1 - t0) / 1000000 > max * 1000 )) "took $(( (t1 - t0) / 1000000 )) ms"
	no_secret "$T/err"
	check "$label: no value or token on stderr" $?
}

FB_CONF=$(C_ENV=$ENV_ONE C_ADDR=http://127.0.0.1:$CLOSED_PORT conf down-fb 'mode = lazy' 'on_error = fallback')
FAIL_CONF=$(C_ENV=$ENV_ONE C_ADDR=http://127.0.0.1:$CLOSED_PORT conf down-fail 'mode = lazy' 'on_error = fail')
fail_case "Vault stopped (closed port)" 69 secret/app/db 10

FB_CONF=$(C_ENV=$ENV_ONE conf up-fb 'mode = lazy' 'on_error = fallback')
FAIL_CONF=$(C_ENV=$ENV_ONE conf up-fail 'mode = lazy' 'on_error = fail')
control POST seal
fail_case "Vault sealed" 69 secret/app/db 10
control POST unseal

control POST faults '{"path":"secret/data/app/db","delay_ms":8000}'
FB_CONF=$(C_ENV=$ENV_ONE C_VAULT='timeout = 1s' conf slow-fb 'mode = lazy' 'on_error = fallback')
FAIL_CONF=$(C_ENV=$ENV_ONE C_VAULT='timeout = 1s' conf slow-fail 'mode = lazy' 'on_error = fail')
fail_case "Vault slow (8 s delay, timeout = 1s)" 69 secret/app/db 5
control DELETE faults

FB_CONF=$(C_ENV=$ENV_ONE C_TOKEN=$T/limited-token conf 403-fb 'mode = lazy' 'on_error = fallback')
FAIL_CONF=$(C_ENV=$ENV_ONE C_TOKEN=$T/limited-token conf 403-fail 'mode = lazy' 'on_error = fail')
fail_case "403 (token without the path)" 77 secret/app/db 10

FB_CONF=$(C_ENV=$ENV_404 conf 404-fb 'mode = lazy' 'on_error = fallback')
FAIL_CONF=$(C_ENV=$ENV_404 conf 404-fail 'mode = lazy' 'on_error = fail')
fail_case "404 (missing path)" 65 secret/app/missing 10

control POST faults '{"path":"secret/data/app/db","malformed":true}'
FB_CONF=$T/up-fb.conf FAIL_CONF=$T/up-fail.conf
fail_case "malformed JSON" 69 secret/app/db 10
control DELETE faults

REQ_CONF=$(C_ENV="$ENV_404 required" conf 404-req 'mode = lazy' 'on_error = fallback')
rm -f "$T/marker.flag"
out=$(pre "$REQ_CONF" "$T/marker" DB_PASSWORD x "$T/marker.flag" 2>"$T/err"); rc=$?
check "required + 404 + fallback + nothing in the environment: exit 65, program stopped" \
	$([ $rc -eq 65 ] && [ ! -e "$T/marker.flag" ]; echo $?) "rc=$rc out=$out" "$(errs)"
[ "$(lines "$T/err")" = 1 ] && grep -qE "^$LOG_ERR.*DB_PASSWORD.*secret/app/missing" "$T/err"
check "required + 404: one line naming the variable and the path" $? "$(errs)"
out=$(pre "$REQ_CONF" DB_PASSWORD=from-env "$T/marker" DB_PASSWORD from-env "$T/marker.flag" 2>"$T/err"); rc=$?
check "required + 404 + the name in the environment: the environment answers" $([ $rc -eq 0 ] && [ "$out" = value=OK ]; echo $?) "rc=$rc $out" "$(errs)"

# === 10. broken parts (docs/design.md, pitfalls 7, 13) ========================
HB_FB=$(C_ENV=$ENV_ONE conf nohelper-fb 'mode = lazy' 'on_error = fallback' 'helper = /nonexistent/vaultshim')
HB_FAIL=$(C_ENV=$ENV_ONE conf nohelper-fail 'mode = lazy' 'on_error = fail' 'helper = /nonexistent/vaultshim')
rm -f "$T/marker.flag"
out=$(pre "$HB_FB" DB_PASSWORD=from-env "$T/marker" DB_PASSWORD from-env "$T/marker.flag" 2>"$T/err"); rc=$?
check "missing helper, fallback: the environment's value" $([ $rc -eq 0 ] && [ "$out" = value=OK ] && [ -e "$T/marker.flag" ]; echo $?) "rc=$rc $out" "$(errs)"
rm -f "$T/marker.flag"
out=$(pre "$HB_FAIL" DB_PASSWORD=from-env "$T/marker" DB_PASSWORD from-env "$T/marker.flag" 2>"$T/err"); rc=$?
check "missing helper, fail: exit 69, program stopped" $([ $rc -eq 69 ] && [ ! -e "$T/marker.flag" ]; echo $?) "rc=$rc out=$out" "$(errs)"
[ "$(lines "$T/err")" = 1 ] && grep -qE "^$LOG_ERR.*/nonexistent/vaultshim" "$T/err"
check "missing helper, fail: one clear line naming the helper" $? "$(errs)"

printf '[vault]\naddress = %s\ntoken_file = %s\n\n[bogus]\nx = 1\n[env]\n%s\n' "$VAULT_ADDR" "$T/root-token" "$ENV_ONE" | write_conf "$T/bad.conf"
rm -f "$T/marker.flag"
out=$(pre "$T/bad.conf" "$T/marker" DB_PASSWORD x "$T/marker.flag" 2>"$T/err"); rc=$?
check "config error: exit 78, program not run" $([ $rc -eq 78 ] && [ ! -e "$T/marker.flag" ]; echo $?) "rc=$rc" "$(errs)"
[ "$(lines "$T/err")" = 1 ] && grep -qF "$T/bad.conf:5:" "$T/err"
check "config error: one line with FILE:LINE:" $? "$(errs)"

out=$(pre "$T/does-not-exist.conf" "$T/marker" DB_PASSWORD x "$T/marker.flag" 2>"$T/err"); rc=$?
check "missing VAULTSHIM_CONFIG file: non-zero exit, no abort/segv" $([ $rc -ne 0 ] && [ $rc -ne 134 ] && [ $rc -ne 139 ] && [ $rc -ne 124 ]; echo $?) "rc=$rc"
[ "$(lines "$T/err")" = 1 ] && grep -qF "$T/does-not-exist.conf" "$T/err"
check "missing VAULTSHIM_CONFIG file: one line naming it" $? "$(errs)"

# === 11. children (docs/design.md, pitfall 10) ================================
out=$(pre "$LAZY" "$T/execsh" 2>"$T/err")
check "inherit (default): an exec'd child gets LD_PRELOAD and VAULTSHIM_CONFIG" $([ "$out" = "$SO|$LAZY" ]; echo $?) "got: $out"
NOINH=$(conf noinherit 'mode = lazy' 'inherit = no')
out=$(PRE_LD="$T/libharmless.so:$SO" pre "$NOINH" "$T/execsh" 2>"$T/err")
check "inherit = no: the child gets neither; other LD_PRELOAD entries stay" $([ "$out" = "$T/libharmless.so|" ]; echo $?) "got: $out" "$(errs)"
out=$(PRE_LD="$T/libharmless.so:$SO" pre "$LAZY" "$T/execsh" 2>"$T/err")
check "inherit (default) with two preloads: the list is kept whole" $([ "$out" = "$T/libharmless.so:$SO|$LAZY" ]; echo $?) "got: $out"

# === 11b. eager values stay out of exec'd children (docs/design.md, pitfalls 10, 15) ===
# A C program in eager mode has the values in its environ; each way of starting
# a child must leave them out of the child's initial environment (its
# /proc/PID/environ). The child has the preload too, so it still gets the
# secret, served through the hand-off. A value the program set itself is
# passed on.
sha_db=$(printf '%s' "$S_DB" | sha256sum | cut -c1-64)
sha_own=$(printf '%s' program-own-value | sha256sum | cut -c1-64)
for m in execve execv execvp execvpe execl execlp execle fexecve posix_spawn posix_spawnp system popen; do
	out=$(pre "$EAGER" "$T/children" $m 2>"$T/err" | tr '\n' ' '); rc=$?
	check "eager, $m: no secret in the child's environ, which is still served it" \
		$([ "$out" = "0 $sha_db " ]; echo $?) "rc=$rc got: ${out//$sha_db/<sha of the value>}" "$(errs)"
done
# (the tree's own writes win across exec: the child sees the program's value)
for m in execve system popen posix_spawn; do
	out=$(pre "$EAGER" "$T/children" $m own 2>"$T/err" | tr '\n' ' ')
	check "eager, $m: the program's own DB_PASSWORD is passed in the child's environ and wins there" \
		$([ "$out" = "1 $sha_own " ]; echo $?) "got: ${out//$sha_db/<sha of the value>}" "$(errs)"
done
# without the preload in the child (inherit = no) the child gets no secret at
# all, and a value the program set itself arrives as it was set
NOINH=$(conf noinherit 'mode = eager' 'inherit = no')
out=$(pre "$NOINH" "$T/children" system 2>"$T/err" | tr '\n' ' ')
sha_empty=$(printf '' | sha256sum | cut -c1-64)
check "eager + inherit = no: the child has neither the value nor the preload" \
	$([ "$out" = "0 $sha_empty " ]; echo $?) "got: $out" "$(errs)"
out=$(pre "$NOINH" "$T/children" execve own 2>"$T/err" | tr '\n' ' ')
check "eager + inherit = no: the program's own value reaches the child as set" \
	$([ "$out" = "1 $sha_own " ]; echo $?) "got: $out" "$(errs)"
# system() keeps its contract: exit status, 127 for a missing shell command
printf '#include <stdlib.h>\n#include <sys/wait.h>\nint main(void){int a=system("exit 7"),b=system("no-such-cmd-vs 2>/dev/null"),c=system(0);return !(WEXITSTATUS(a)==7&&WEXITSTATUS(b)==127&&c!=0);}\n' > "$T/sysst.c"
gcc -o "$T/sysst" "$T/sysst.c" 2>/dev/null
pre "$EAGER" "$T/sysst" 2>"$T/err"
check "eager, system(): exit status, 127 for a missing command, system(NULL) != 0" $? "$(errs)"

# two threads in system() at once: the caller's SIGINT handler is back
# afterwards (each call saving and restoring on its own would leave SIG_IGN)
out=$(pre "$AUTO" /usr/bin/python3 -c '
import os, signal, threading
assert os.environ.get("DB_PASSWORD")
t = [threading.Thread(target=os.system, args=("sleep 0.3",)) for _ in range(2)]
for x in t: x.start()
for x in t: x.join()
print("kept" if signal.getsignal(signal.SIGINT) is signal.default_int_handler else "lost")' 2>"$T/err")
check "eager, two concurrent system(): the SIGINT handler is restored" $([ "$out" = kept ]; echo $?) "got: $out" "$(errs)"
# another preload after ours keeps its execve hook (LD_PRELOAD is a list)
printf '#define _GNU_SOURCE\n#include <dlfcn.h>\n#include <stdio.h>\nint execve(const char *p, char *const a[], char *const e[]){fprintf(stderr,"second-hook %%s\\n",p);int(*f)(const char*,char*const*,char*const*)=dlsym(RTLD_NEXT,"execve");return f(p,a,e);}\n' > "$T/hook2.c"
gcc -shared -fPIC -o "$T/libhook2.so" "$T/hook2.c" -ldl 2>/dev/null
PRE_LD="$SO:$T/libhook2.so" pre "$EAGER" "$T/children" execve >/dev/null 2>"$T/err"
grep -qx 'second-hook /bin/sh' "$T/err"
check "execve reaches the next preload's hook (eager mode)" $? "$(errs)"
# and with no config at all (no VAULTSHIM_CONFIG, no /etc/vaultshim.conf)
if [ ! -e /etc/vaultshim.conf ]; then
	timeout 20 env -u VAULTSHIM_CONFIG LD_PRELOAD="$SO:$T/libhook2.so" "$T/children" execve own >/dev/null 2>"$T/err"
	grep -qx 'second-hook /bin/sh' "$T/err"
	check "execve reaches the next preload's hook (no config)" $? "$(errs)"
else
	skip "execve chaining without a config: /etc/vaultshim.conf exists on this machine"
fi
# a config beginning with a UTF-8 BOM: [options] still read before main
# (the probe reads environ without any getenv, as a runtime that copies it does)
printf '\xef\xbb\xbf' > "$T/bom.conf"; cat "$EAGER" >> "$T/bom.conf"; chmod 600 "$T/bom.conf"
printf '#include <stdio.h>\n#include <string.h>\nextern char **environ;\nint main(void){for(char**e=environ;*e;e++)if(!strncmp(*e,"DB_PASSWORD=",12)){puts("in environ");return 0;}puts("absent");return 0;}\n' > "$T/snap.c"
gcc -o "$T/snap" "$T/snap.c"
out=$(pre "$T/bom.conf" "$T/snap" 2>"$T/err")
check "a config with a BOM: mode = eager still applies before main" $([ "$out" = "in environ" ]; echo $?) "got: $out" "$(errs)"

# === 12. exports and link dependencies (docs/design.md, "Layout") =============
syms=$(nm -D --defined-only "$SO" | awk '$2 ~ /^[TtWwiDdBb]$/ {print $3}' | sed 's/@.*//' | sort | tr '\n' ' ')
check "exports: exactly the getenv family, the exec family, the signal and seccomp functions" \
	$([ "$syms" = "__longjmp_chk __sigaction __sysv_signal _longjmp bsd_signal clearenv execl execle execlp execv execve execveat execvp execvpe fexecve getenv longjmp pclose popen posix_spawn posix_spawnp prctl putenv secure_getenv setenv sigaction siglongjmp signal sigset ssignal syscall system sysv_signal unsetenv wordexp " ]; echo $?) "got: $syms"
! ldd "$SO" | grep -Eq 'libcurl|libssl|libcrypto|libcjson'
check "ldd: no libcurl, libssl, libcrypto or libcjson" $? "$(ldd "$SO" | tr '\n' ' ')"

# === 13. no mapped read -> no helper, no Vault request =========================
control DELETE counters
pre "$LAZY" /bin/true; rc1=$?
out=$(pre "$LAZY" "$T/envprobe" HOME "$HOME_V" 2>"$T/err"); rc2=$?
pre "$AUTO" "$T/envprobe" HOME "$HOME_V" >/dev/null 2>&1; rc3=$?
n=$(count total)
check "no mapped read: /bin/true and a HOME-only C program run fine" $([ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ $rc3 -eq 0 ] && [ "$out" = "getenv=OK in_environ=yes" ]; echo $?) "rc=$rc1/$rc2/$rc3 $out"
check "no mapped read: the dev server saw no request at all" $([ "$n" = 0 ]; echo $?) "requests=$n"

# === 14. no secret in stderr or logs, even at debug (docs/design.md, pitfall 9) ===
pre "$LAZY" VAULTSHIM_LOG=debug "$T/getenv_basic" DB_PASSWORD "$S_DB" HOME "$HOME_V" >"$T/out" 2>"$T/err14a"
grep -q 'mapped=OK' "$T/out" && [ -s "$T/err14a" ] && no_secret "$T/err14a"
check "VAULTSHIM_LOG=debug, success: stderr has log lines but no value or token" $? "stderr lines=$(lines "$T/err14a")"
pre "$EAGER" VAULTSHIM_LOG=debug "$T/envprobe" DB_PASSWORD "$S_DB" >/dev/null 2>"$T/err14b"
no_secret "$T/err14b"
check "VAULTSHIM_LOG=debug, eager: no value or token on stderr" $? "stderr lines=$(lines "$T/err14b")"
pre "$(C_TOKEN=$T/limited-token conf dbg-403 'mode = lazy' 'on_error = fail')" VAULTSHIM_LOG=debug \
	"$T/marker" DB_PASSWORD x "$T/marker.flag" >/dev/null 2>"$T/err14c"; rc=$?
[ $rc -eq 77 ] && no_secret "$T/err14c"
check "VAULTSHIM_LOG=debug, failure (403): exit 77, no value or token on stderr" $? "rc=$rc stderr lines=$(lines "$T/err14c")"
no_secret "$T/server.log"
check "the dev server's log has no value or token" $?

# === 15. dotenv fallback ======================================================
printf '# app settings\nDB_PASSWORD=from-dotenv\nOTHER=1\n' > "$T/.env"
chmod 600 "$T/.env"
DOT=$(C_ENV=$ENV_ONE C_ADDR=http://127.0.0.1:$CLOSED_PORT conf dotenv 'mode = lazy' 'on_error = fallback' "dotenv = $T/.env")
out=$(pre "$DOT" "$T/marker" DB_PASSWORD from-dotenv "$T/marker.flag" 2>"$T/err"); rc=$?
check "dotenv: Vault stopped, fallback -> the .env file's value" $([ $rc -eq 0 ] && [ "$out" = value=OK ]; echo $?) "rc=$rc $out" "$(errs)"
out=$(pre "$DOT" DB_PASSWORD=from-env "$T/marker" DB_PASSWORD from-env "$T/marker.flag" 2>"$T/err"); rc=$?
check "dotenv: the real environment still comes before the .env file" $([ $rc -eq 0 ] && [ "$out" = value=OK ]; echo $?) "rc=$rc $out"

# === 16. auto mode and eager_programs (docs/design.md, pitfall 1) =============
EP=$(conf eager-programs 'mode = auto' 'eager_programs = envprobe')
out=$(pre "$EP" "$T/envprobe" DB_PASSWORD "$S_DB" 2>"$T/err"); rc=$?
check "auto + eager_programs = envprobe: the value is in the program's environ" $([ $rc -eq 0 ] && [ "$out" = "getenv=OK in_environ=yes" ]; echo $?) "rc=$rc $out" "$(errs)"
EP=$(conf eager-programs-glob 'mode = auto' 'eager_programs = other-prog, envpro*')
out=$(pre "$EP" "$T/envprobe" DB_PASSWORD "$S_DB" 2>"$T/err"); rc=$?
check "auto + eager_programs = other-prog, envpro*: a list with a glob matches too" $([ $rc -eq 0 ] && [ "$out" = "getenv=OK in_environ=yes" ]; echo $?) "rc=$rc $out" "$(errs)"
out=$(pre "$AUTO" "$T/envprobe" DB_PASSWORD "$S_DB" 2>"$T/err"); rc=$?
check "auto without eager_programs: the same program is lazy (not in environ)" $([ $rc -eq 0 ] && [ "$out" = "getenv=OK in_environ=no" ]; echo $?) "rc=$rc $out" "$(errs)"

exit 0
