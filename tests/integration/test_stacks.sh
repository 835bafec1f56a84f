#!/bin/bash
# The web-stack examples (scripts/examples/) run through the real wrapper,
# scripts/vaultshim-exec, against the dev server: Flask under gunicorn with
# two workers, Django's manage.py (shell, check --deploy, runserver with its
# autoreloader), the fallback chain with Vault down, on_error = fail, --check,
# the wrapper's contract, and that no secret reaches /proc/PID/environ or a log.
# Every process is bounded with `timeout`.
. "$(dirname "$0")/lib.sh"

EXEC=$ROOT/scripts/vaultshim-exec
EX=$ROOT/scripts/examples
LIB=${VAULTSHIM_TEST_SO:-$ROOT/build/libvaultshim.so}
# another build under test: the wrapper must use it too
[ -n "${VAULTSHIM_TEST_SO:-}" ] && export VAULTSHIM_LIB=$LIB VAULTSHIM_BIN=$VAULTSHIM
L=$T/logs # everything the processes under test write
mkdir -p "$L"

_groups=() # process groups started here, killed at exit whatever happens
stacks_cleanup() {
	for g in "${_groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
	cleanup
}
trap stacks_cleanup EXIT

# count failures too, so the file's exit status says whether all passed
_failed=0
eval "_lib_$(declare -f not_ok)"
not_ok() { _failed=$((_failed + 1)); _lib_not_ok "$@"; }
rand() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | cut -c1-"$1"; }
listening() { $PY -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1)' "$1" 2>/dev/null; }
# wait_gone PID [tenths]: bounded wait for a process to disappear
wait_gone() {
	local i
	for ((i = 0; i < ${2:-100}; i++)); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	return 1
}
# digests OUT NAME=VALUE...: a JSON object NAME -> sha256(VALUE), values never written
digests() {
	local out=$1 kv first=1
	shift
	{
		printf '{'
		for kv in "$@"; do
			[ $first = 1 ] || printf ','
			first=0
			printf '"%s":"%s"' "${kv%%=*}" "$(sha "${kv#*=}")"
		done
		printf '}\n'
	} > "$out"
}
# proof_cmp EXPECTED PROOF: every expected digest is in the proof, and set
cat > "$T/proof_cmp.py" <<'PY'
import json, sys
exp = json.load(open(sys.argv[1]))
got = json.load(open(sys.argv[2]))
bad = [k for k in exp if got["sha256"].get(k) != exp[k] or not got["set"].get(k)]
for k in bad:
    print("%s: digest %s, expected %s" % (k, got["sha256"].get(k), exp[k]))
sys.exit(1 if bad else 0)
PY
proof_cmp() { $PY "$T/proof_cmp.py" "$1" "$2"; }

have_mod() { $PY -c "import $1" 2>/dev/null; }
have_flask=0 have_gunicorn=0 have_django=0
have_mod flask && have_flask=1
have_mod gunicorn && have_gunicorn=1
have_mod django && have_django=1
if [ -x /usr/bin/gunicorn ]; then GUNICORN=(/usr/bin/gunicorn); else GUNICORN=("$PY" -m gunicorn); fi

[ -f "$LIB" ] || { echo "Bail out! $LIB missing: run make"; exit 1; }

# --- secrets in the dev server ----------------------------------------------
start_server
SK=$($PY -c 'import secrets; print("fk-" + secrets.token_urlsafe(48))')
DJ_SK=$($PY -c 'import secrets; print("dj-" + secrets.token_urlsafe(48))')
DBU=u_$(rand 8)
DBP="p@ss w/ \$pec;al#$(rand 10) 'q' \"dq\""
DBH=db-$(rand 6).internal
DBN=shop_$(rand 6)
MS=smtp-$(rand 6).example.net
MU=mailer-$(rand 6)@example.net
MP="mail pw $(rand 12)"
WEAK_SK=short$(rand 4)
# the values stay in this shell: exported, they would be in every process's
# real environment and the /proc/PID/environ checks would prove nothing
kv_put web/prod/flask secret_key="$SK" mail_server="$MS" mail_username="$MU" mail_password="$MP"
kv_put web/prod/database user="$DBU" password="$DBP" host="$DBH" name="$DBN"
kv_put web/prod/django secret_key="$DJ_SK"
kv_put web/prod/django-weak secret_key="$WEAK_SK"
VALUES=("$SK" "$DJ_SK" "$DBU" "$DBP" "$DBH" "$DBN" "$MS" "$MU" "$MP" "$WEAK_SK")
URL="postgresql://$DBU:$DBP@$DBH/$DBN"

vault_block="[vault]
address = $VAULT_ADDR
token_file = $T/root-token
timeout = 5s"
flask_env='SECRET_KEY    = secret/web/prod/flask#secret_key        required
DB_USER       = secret/web/prod/database#user
DB_PASSWORD   = secret/web/prod/database#password      required
DB_HOST       = secret/web/prod/database#host
DB_NAME       = secret/web/prod/database#name
MAIL_SERVER   = secret/web/prod/flask#mail_server
MAIL_USERNAME = secret/web/prod/flask#mail_username
MAIL_PASSWORD = secret/web/prod/flask#mail_password'

write_conf "$T/flask.conf" <<CONF
$vault_block

[options]
on_error = fail

[env]
$flask_env
CONF
digests "$T/flask.expected" SECRET_KEY="$SK" DB_USER="$DBU" DB_PASSWORD="$DBP" DB_HOST="$DBH" \
	DB_NAME="$DBN" MAIL_SERVER="$MS" MAIL_USERNAME="$MU" MAIL_PASSWORD="$MP" SQLALCHEMY_DATABASE_URI="$URL"

# --- gunicorn helpers -------------------------------------------------------
# start_gunicorn NAME CONF [VAR=value...]: the Flask example under gunicorn
# (2 workers) through the wrapper, in a temp copy, in its own process group.
# Sets G_PID (timeout's pid = the group), G_PORT. VAULTSHIM_LOG is $G_LOG.
start_gunicorn() {
	local name=$1 conf=$2
	shift 2
	rm -rf "$T/$name"
	cp -r "$EX/flask" "$T/$name"
	G_PORT=$(free_port)
	(cd "$T/$name" && exec env VAULTSHIM_LOG="$G_LOG" "$@" setsid timeout -k 2 40 "$EXEC" -c "$conf" -- \
		"${GUNICORN[@]}" -w 2 --log-level debug --bind "127.0.0.1:$G_PORT" app:app) \
		>"$L/$name.out" 2>"$L/$name.err" &
	G_PID=$!
	_groups+=("$G_PID")
}
# wait_listening PORT PID: up to 15 s while PID lives
wait_listening() {
	local i
	for ((i = 0; i < 150; i++)); do
		listening "$1" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
# collect_proofs NAME PORT: /proof until both workers answered (100 requests
# or 10 s at most); one file per worker pid, pids in PROOF_PIDS
collect_proofs() {
	local name=$1 port=$2 i f p end=$((SECONDS + 10))
	local -A seen=()
	PROOF_PIDS=()
	for ((i = 0; i < 50 && SECONDS < end && ${#seen[@]} < 2; i++)); do
		# two at once: a busy worker lets the other accept
		curl -s -m 2 "http://127.0.0.1:$port/proof" -o "$T/$name.p1" &
		curl -s -m 2 "http://127.0.0.1:$port/proof" -o "$T/$name.p2"
		wait $!
		for f in "$T/$name.p1" "$T/$name.p2"; do
			p=$(sed -nE 's/.*"pid": ?([0-9]+).*/\1/p' "$f" 2>/dev/null)
			[ -n "$p" ] && [ -z "${seen[$p]:-}" ] && { seen[$p]=1; cp "$f" "$T/$name.proof.$p"; PROOF_PIDS+=("$p"); }
			rm -f "$f"
		done
	done
}
# stop_gunicorn: SIGTERM to the master itself (the wrapper exec'd it), bounded
stop_gunicorn() {
	local master=$1
	kill -TERM "$master" 2>/dev/null
	wait_gone "$G_PID" 100
	local gone=$?
	wait "$G_PID" 2>/dev/null
	G_RC=$?
	return $gone
}

# --- 1. Flask under gunicorn, 2 workers ---------------------------------------
G_LOG=debug # the most talkative level: the log checks (6) cover it too
if [ $have_flask = 0 ] || [ $have_gunicorn = 0 ]; then
	skip "Flask/gunicorn not installed for $PY"
else
	start_gunicorn gunicorn "$T/flask.conf"
	wait_listening "$G_PORT" "$G_PID"
	check "gunicorn: the Flask example starts through vaultshim-exec" $? "$(tail -5 "$L/gunicorn.err")"
	master=$(pgrep -P "$G_PID" | head -1)
	grep -q gunicorn "/proc/$master/cmdline" 2>/dev/null && ! tr '\0' ' ' < "/proc/$master/cmdline" | grep -q vaultshim-exec
	check "gunicorn: the wrapper exec'd gunicorn (no shell in between)" $? \
		"child of timeout: $(tr '\0' ' ' < "/proc/$master/cmdline" 2>/dev/null)"
	# the master listens before it forks the workers: give them up to 10 s
	for ((i = 0; i < 100; i++)); do
		mapfile -t workers < <(pgrep -P "$master")
		[ ${#workers[@]} -ge 2 ] && break
		sleep 0.1
	done
	check "gunicorn: 2 workers forked" $(( ${#workers[@]} != 2 )) "workers: ${workers[*]}"

	collect_proofs gunicorn "$G_PORT"
	check "gunicorn: both workers answered /proof" $(( ${#PROOF_PIDS[@]} != 2 )) "pids: ${PROOF_PIDS[*]:-none}"
	for p in "${PROOF_PIDS[@]}"; do
		out=$(proof_cmp "$T/flask.expected" "$T/gunicorn.proof.$p")
		check "gunicorn worker $p: every setting (8 names + database URL) has Vault's value by digest" $? "$out"
		printf '%s\n' "${workers[@]}" | grep -qx "$p"
		check "gunicorn worker $p: a forked child of the master" $?
	done

	leaked=""
	for pid in "$master" "${workers[@]}"; do
		[ -r "/proc/$pid/environ" ] && tr '\0' '\n' < "/proc/$pid/environ" | grep -q '^VAULTSHIM_CONFIG=' ||
			leaked+=" pid $pid: environ unreadable or without VAULTSHIM_CONFIG;"
		for v in "${VALUES[@]}"; do
			tr '\0' '\n' < "/proc/$pid/environ" | grep -qF -- "$v" && leaked+=" pid $pid: a value (sha ${v:+$(sha "$v" | cut -c1-12)});"
		done
	done
	check "gunicorn: no secret in /proc/PID/environ of the master and the workers" $([ -z "$leaked" ]; echo $?) "$leaked"
	tr '\0' '\n' < "/proc/$master/environ" | grep -qx "LD_PRELOAD=$LIB"
	check "gunicorn: LD_PRELOAD=$LIB in the master's environment" $?

	stop_gunicorn "$master"
	check "gunicorn: SIGTERM to the master stops it (exit 0, within 10 s)" $(( $? || G_RC )) "rc=$G_RC"
	alive=$(for p in "$master" "${workers[@]}"; do kill -0 "$p" 2>/dev/null && echo "$p"; done)
	check "gunicorn: no worker left behind" $([ -z "$alive" ]; echo $?) "alive: $alive"
	grep -q 'Shutting down: Master' "$L/gunicorn.err"
	check "gunicorn: it logged its own orderly shutdown" $?
	hits=$(for v in "${VALUES[@]}" "$URL"; do grep -cF -- "$v" "$L/gunicorn.out" "$L/gunicorn.err"; done | grep -vc ':0$')
	check "gunicorn: no value in its stdout/stderr (debug log level, access log, vaultshim debug)" $(( hits != 0 )) \
		"$hits file/value pairs matched"
fi

# --- 2. Django ------------------------------------------------------------------
write_conf "$T/django.conf" <<CONF
$vault_block

[options]
on_error = fail

[env]
SECRET_KEY  = secret/web/prod/django#secret_key   required
DB_USER     = secret/web/prod/database#user
DB_PASSWORD = secret/web/prod/database#password   required
CONF
sed 's|web/prod/django#|web/prod/django-weak#|' "$T/django.conf" > "$T/django-weak.conf"
chmod 600 "$T/django-weak.conf"
digests "$T/django.expected" SECRET_KEY="$DJ_SK" DB_USER="$DBU" DB_PASSWORD="$DBP"
DJ_PRINT='import json; from proj.views import settings_digests; print("PROOF " + json.dumps(settings_digests()))'

if [ $have_django = 0 ]; then
	skip "Django not installed for $PY"
else
	rm -rf "$T/django"
	cp -r "$EX/django" "$T/django"
	(cd "$T/django" && timeout 30 "$EXEC" -c "$T/django.conf" -- "$PY" manage.py shell -c "$DJ_PRINT") \
		>"$L/dj-shell.out" 2>"$L/dj-shell.err"
	rc=$?
	sed -n 's/^PROOF //p' "$L/dj-shell.out" > "$T/dj-shell.json"
	out=$(proof_cmp "$T/django.expected" "$T/dj-shell.json" 2>&1)
	check "django: manage.py shell -c sees SECRET_KEY and DATABASES password/user from Vault" $(( rc || $? )) \
		"rc=$rc $out" "$(tail -3 "$L/dj-shell.err")"

	(cd "$T/django" && timeout 30 "$EXEC" -c "$T/django.conf" -- "$PY" manage.py check --deploy) \
		>"$L/dj-check.out" 2>"$L/dj-check.err"
	rc=$?
	check "django: manage.py check --deploy exits 0" $rc "$(tail -5 "$L/dj-check.err")"
	! grep -q 'security.W009' "$L/dj-check.out" "$L/dj-check.err"
	check "django: check --deploy raises no security.W009 for Vault's long random key" $? \
		"$(grep W009 "$L/dj-check.out" "$L/dj-check.err")"
	ids=$(grep -ohE '\(([a-z_]+\.[EWC][0-9]+)\)' "$L/dj-check.out" "$L/dj-check.err" | sort -u | tr '\n' ' ')
	! grep -qiE 'SECRET_KEY|\.E[0-9]+\)|\.C[0-9]+\)' "$L/dj-check.out" "$L/dj-check.err"
	check "django: check --deploy: only warnings unrelated to SECRET_KEY (${ids:-none})" $? "$ids"
	# the same check, in the process whose settings we then inspect
	(cd "$T/django" && timeout 30 "$EXEC" -c "$T/django.conf" -- "$PY" manage.py shell -c \
		"from django.core.management import call_command; call_command('check', deploy=True); $DJ_PRINT") \
		>"$L/dj-check2.out" 2>"$L/dj-check2.err"
	rc=$?
	sed -n 's/^PROOF //p' "$L/dj-check2.out" > "$T/dj-check2.json"
	out=$(proof_cmp "$T/django.expected" "$T/dj-check2.json" 2>&1)
	check "django: the deploy checks ran on settings holding Vault's SECRET_KEY (digest)" $(( rc || $? )) "rc=$rc $out"
	! grep -q 'security.W009' "$L/dj-check2.out" "$L/dj-check2.err"
	check "django: ... and found no W009 there" $?
	# control: the check does judge the key from Vault
	(cd "$T/django" && timeout 30 "$EXEC" -c "$T/django-weak.conf" -- "$PY" manage.py check --deploy) \
		>"$L/dj-weak.out" 2>"$L/dj-weak.err"
	grep -q 'security.W009' "$L/dj-weak.out" "$L/dj-weak.err"
	check "django: control: a short key in Vault does raise security.W009" $?

	port=$(free_port)
	(cd "$T/django" && exec setsid timeout -k 2 40 "$EXEC" -c "$T/django.conf" -- \
		"$PY" manage.py runserver "127.0.0.1:$port") >"$L/dj-run.out" 2>"$L/dj-run.err" &
	grp=$!
	_groups+=("$grp")
	wait_listening "$port" "$grp"
	check "django: runserver (with the autoreloader) listens" $? "$(tail -5 "$L/dj-run.err")"
	curl -s -m 5 "http://127.0.0.1:$port/proof" -o "$T/dj-run.json"
	out=$(proof_cmp "$T/django.expected" "$T/dj-run.json" 2>&1)
	check "django: runserver /proof digests match Vault's values" $? "$out"
	parent=$(pgrep -P "$grp" | head -1)
	served=$(sed -nE 's/.*"pid": ?([0-9]+).*/\1/p' "$T/dj-run.json")
	[ -n "$served" ] && [ "$(ps -o ppid= -p "$served" | tr -d ' ')" = "$parent" ]
	check "django: /proof was served by the reloader's re-executed child" $? "parent=$parent served=$served"
	# The autoreloader re-executes python with os.environ, values included:
	# the preload filters the values it placed out of that exec, and the
	# re-executed child (which has the preload too) resolves for itself.
	leaked=""
	for pid in $parent $served; do
		[ -r "/proc/$pid/environ" ] && tr '\0' '\n' < "/proc/$pid/environ" | grep -q '^VAULTSHIM_CONFIG=' ||
			leaked+=" pid $pid: environ unreadable or without VAULTSHIM_CONFIG;"
		for v in "${VALUES[@]}"; do
			tr '\0' '\n' < "/proc/$pid/environ" | grep -qF -- "$v" && leaked+=" pid $pid: a value;"
		done
	done
	check "django: no secret in /proc/PID/environ of the reloader or its re-executed child" \
		$([ -n "$parent" ] && [ -n "$served" ] && [ -z "$leaked" ]; echo $?) "parent=$parent served=$served$leaked"
	kill -TERM -- "-$grp" 2>/dev/null
	for ((i = 0; i < 100; i++)); do pgrep -g "$grp" >/dev/null || break; sleep 0.1; done
	left=$(pgrep -g "$grp" | tr '\n' ' ')
	check "django: SIGTERM to the process group leaves no child behind" $([ -z "$left" ]; echo $?) "left: $left"
	wait "$grp" 2>/dev/null
fi

# --- 4. --check refuses to start with a required secret missing ------------------
write_conf "$T/missing.conf" <<CONF
$vault_block

[env]
SECRET_KEY    = secret/web/prod/flask#secret_key    required
PAYMENT_TOKEN = secret/web/prod/payments#token      required
CONF
RUN_MARK='import sys; open(sys.argv[1], "w").close()'
timeout 20 "$EXEC" -c "$T/missing.conf" --check -- "$PY" -c "$RUN_MARK" "$T/ran-check" \
	>"$L/check-missing.out" 2>"$L/check-missing.err"
rc=$?
check "--check, required secret missing: exit 65" $(( rc != 65 )) "rc=$rc $(cat "$L/check-missing.err")"
check "--check: the app never ran" $([ ! -e "$T/ran-check" ]; echo $?)
grep -q 'PAYMENT_TOKEN' "$L/check-missing.err" && grep -q 'not starting' "$L/check-missing.err"
check "--check: stderr names the missing variable and says it is not starting" $? "$(cat "$L/check-missing.err")"
# without --check the preload itself stops before main
timeout 20 "$EXEC" -c "$T/missing.conf" -- "$PY" -c "$RUN_MARK" "$T/ran-nocheck" \
	>"$L/nocheck-missing.out" 2>"$L/nocheck-missing.err"
rc=$?
check "no --check: the preload exits 65 before the app's code runs" $(( rc != 65 )) "rc=$rc $(cat "$L/nocheck-missing.err")"
check "no --check: the app never ran" $([ ! -e "$T/ran-nocheck" ]; echo $?)

# --- 5. the wrapper's contract ------------------------------------------------------
if ! command -v cc >/dev/null; then
	skip "no C compiler for the other preload"
elif [ $have_flask = 0 ]; then
	skip "Flask not installed for $PY"
else
	cat > "$T/other.c" <<'C'
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
/* marks that it was loaded into the process */
__attribute__((constructor)) static void other_init(void)
{
	const char *p = getenv("OTHER_SO_MARK");
	if (p) {
		int fd = open(p, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) { write(fd, "x\n", 2); close(fd); }
	}
}
C
	cc -shared -fPIC -o "$T/other.so" "$T/other.c"
	rm -rf "$T/flask-lp"
	cp -r "$EX/flask" "$T/flask-lp"
	(cd "$T/flask-lp" && LD_PRELOAD=$T/other.so OTHER_SO_MARK=$T/other.mark timeout 20 "$EXEC" -c "$T/flask.conf" -- \
		"$PY" -c 'import json, os
from app import app
proof = app.test_client().get("/proof").get_json()
print("LD_PRELOAD=" + os.environ["LD_PRELOAD"])
print("PROOF " + json.dumps(proof))') >"$L/lp.out" 2>"$L/lp.err"
	rc=$?
	lp=$(sed -n 's/^LD_PRELOAD=//p' "$L/lp.out")
	case $lp in "$LIB:"*"$T/other.so"*) r=0 ;; *) r=1 ;; esac
	check "LD_PRELOAD: ours first, the existing entry kept (seen from inside the app)" $(( rc || r )) "rc=$rc LD_PRELOAD=$lp"
	check "LD_PRELOAD: the other library was loaded into the app" $([ -s "$T/other.mark" ]; echo $?)
	sed -n 's/^PROOF //p' "$L/lp.out" > "$T/lp.json"
	out=$(proof_cmp "$T/flask.expected" "$T/lp.json" 2>&1)
	check "LD_PRELOAD: the app still gets Vault's values" $? "$out"
fi

mkdir -p "$T/empty"
(cd "$T/empty" && env -u VAULTSHIM_CONFIG timeout 10 "$EXEC" -c "$T/nope.conf" -- true) >"$L/noconf.out" 2>"$L/noconf.err"
rc=$?
grep -q "config file $T/nope.conf not found" "$L/noconf.err"
check "wrapper: missing config -> 78, naming the file" $(( rc != 78 || $? )) "rc=$rc $(cat "$L/noconf.err")"
if [ -e /etc/vaultshim.conf ]; then
	skip "/etc/vaultshim.conf exists: cannot test the no-config default"
else
	(cd "$T/empty" && env -u VAULTSHIM_CONFIG timeout 10 "$EXEC" -- true) >"$L/noconf2.out" 2>"$L/noconf2.err"
	rc=$?
	grep -q 'not found (give -c FILE, set VAULTSHIM_CONFIG, or create ./vaultshim.conf)' "$L/noconf2.err"
	check "wrapper: no config anywhere -> 78, saying how to give one" $(( rc != 78 || $? )) "rc=$rc $(cat "$L/noconf2.err")"
fi
timeout 10 "$EXEC" -c "$T/flask.conf" -- no-such-command-$$ >"$L/nocmd.out" 2>"$L/nocmd.err"
rc=$?
grep -q "no-such-command-$$: command not found" "$L/nocmd.err"
check "wrapper: missing command -> 127 with a message" $(( rc != 127 || $? )) "rc=$rc $(cat "$L/nocmd.err")"
timeout 10 "$EXEC" --help >"$L/help.out" 2>"$L/help.err"
rc=$?
grep -q '^usage: vaultshim exec' "$L/help.out" && grep -q '^ *vaultshim-exec \[same options\]' "$L/help.out"
check "wrapper: --help exits 0 with the usage of vaultshim exec, which it fronts" $(( rc || $? )) "rc=$rc"
timeout 10 "$EXEC" -c "$T/flask.conf" -- sh -c 'exit 7' >"$L/status.out" 2>"$L/status.err"
rc=$?
check "wrapper: the command's own exit status" $(( rc != 7 )) "rc=$rc"
# installed as a symlink (e.g. /usr/local/bin/vaultshim-exec -> the real script),
# it still finds the library and the tool beside the real script
mkdir -p "$T/linkbin" && ln -sf "$EXEC" "$T/linkbin/vaultshim-exec"
timeout 10 "$T/linkbin/vaultshim-exec" -c "$T/flask.conf" -- sh -c 'case "$LD_PRELOAD" in */libvaultshim.so*) exit 0;; esac; exit 9' \
	>"$L/link.out" 2>"$L/link.err"
rc=$?
check "wrapper: run through a symlink, finds the library" $rc "rc=$rc $(cat "$L/link.err")"

# --- docs examples: systemd drop-in, container entrypoint ---------------------------
sh -n "$EX/container/entrypoint.sh"
check "container: entrypoint.sh is valid POSIX sh" $?
grep -qE '^exec vaultshim-exec -- "\$@"$' "$EX/container/entrypoint.sh" && head -1 "$EX/container/entrypoint.sh" | grep -qx '#!/bin/sh'
check "container: entrypoint.sh is #!/bin/sh and ends in exec vaultshim-exec -- \"\$@\"" $?
if command -v dash >/dev/null; then
	out=$(PATH=$ROOT/scripts:$PATH VAULTSHIM_CONFIG=$T/flask.conf timeout 20 dash "$EX/container/entrypoint.sh" \
		"$PY" -c 'import hashlib, os; print(hashlib.sha256(os.environ["SECRET_KEY"].encode()).hexdigest())' 2>"$L/entry.err")
	check "container: entrypoint.sh (under dash) runs the command with Vault's values" $([ "$out" = "$(sha "$SK")" ]; echo $?) \
		"$(cat "$L/entry.err")"
else
	skip "dash not installed"
fi
D=$EX/systemd/vaultshim.conf
awk '/^\[Service\]/{s=1} s && /^ExecStart=$/{r=NR} s && /^ExecStart=.+/{if (r && !x) x=NR} END{exit !(r && x > r)}' "$D"
check "systemd: drop-in resets ExecStart= before the new ExecStart=" $?
grep -qE '^ExecStart=/[^ ]*vaultshim-exec -- /' "$D" && grep -qE '^Environment=VAULTSHIM_CONFIG=/' "$D"
check "systemd: ExecStart= runs vaultshim-exec -- /abs/cmd, Environment=VAULTSHIM_CONFIG=/abs" $?
if command -v systemd-analyze >/dev/null && [ -d /run/systemd/system ]; then
	mkdir -p "$T/units/myapp.service.d"
	printf '[Service]\nExecStart=/bin/true\n' > "$T/units/myapp.service"
	cp "$D" "$T/units/myapp.service.d/"
	systemd-analyze verify "$T/units/myapp.service" >/dev/null 2>&1
	check "systemd: systemd-analyze verify accepts the unit with the drop-in" $?
fi

# --- 3. Vault down: fallback chain, then on_error = fail ------------------------------
FB_SK="env-sk-$(rand 12)" FB_DBU="env-user-$(rand 6)"
FB_DBP="dotenv-pw-$(rand 12)" FB_DBH="dotenv-host-$(rand 6)" FB_MP="dotenv-mail-$(rand 12)"
FB_DBN="default-db-$(rand 6)" FB_MS="default-smtp-$(rand 6)" FB_MU="default-user-$(rand 6)"
printf 'DB_PASSWORD="%s"\nDB_HOST=%s\n# a comment\nMAIL_PASSWORD='\''%s'\''\n' "$FB_DBP" "$FB_DBH" "$FB_MP" > "$T/app.env"
chmod 600 "$T/app.env"
fb_conf() { # ON_ERROR
	cat <<CONF
$vault_block

[options]
on_error = $1
dotenv = $T/app.env

[env]
SECRET_KEY    = secret/web/prod/flask#secret_key        required
DB_USER       = secret/web/prod/database#user
DB_PASSWORD   = secret/web/prod/database#password      required
DB_HOST       = secret/web/prod/database#host
DB_NAME       = secret/web/prod/database#name           default="$FB_DBN"
MAIL_SERVER   = secret/web/prod/flask#mail_server       default="$FB_MS"
MAIL_USERNAME = secret/web/prod/flask#mail_username     default="$FB_MU"
MAIL_PASSWORD = secret/web/prod/flask#mail_password
CONF
}
fb_conf fallback | write_conf "$T/fallback.conf"
fb_conf fail | write_conf "$T/fail.conf"
digests "$T/fallback.expected" SECRET_KEY="$FB_SK" DB_USER="$FB_DBU" DB_PASSWORD="$FB_DBP" DB_HOST="$FB_DBH" \
	MAIL_PASSWORD="$FB_MP" DB_NAME="$FB_DBN" MAIL_SERVER="$FB_MS" MAIL_USERNAME="$FB_MU" \
	SQLALCHEMY_DATABASE_URI="postgresql://$FB_DBU:$FB_DBP@$FB_DBH/$FB_DBN"
stop_server

if [ $have_flask = 0 ] || [ $have_gunicorn = 0 ]; then
	skip "Flask/gunicorn not installed for $PY"
else
	start_gunicorn fallback "$T/fallback.conf" SECRET_KEY="$FB_SK" DB_USER="$FB_DBU"
	wait_listening "$G_PORT" "$G_PID"
	check "Vault down, on_error = fallback: gunicorn still starts" $? "$(tail -5 "$L/fallback.err")"
	collect_proofs fallback "$G_PORT"
	check "fallback: both workers answered" $(( ${#PROOF_PIDS[@]} != 2 )) "pids: ${PROOF_PIDS[*]:-none}"
	for p in "${PROOF_PIDS[@]}"; do
		out=$(proof_cmp "$T/fallback.expected" "$T/fallback.proof.$p")
		check "fallback worker $p: env, .env and default values by digest (incl. database URL)" $? "$out"
	done
	grep -qE "^$LOG_WARN.*not from Vault.*fallback" "$L/fallback.err"
	check "fallback: one warning says fallback sources were used" $? "$(grep 'vaultshim\[' "$L/fallback.err")"
	master=$(pgrep -P "$G_PID" | head -1)
	# control for check 9: a name given in the real environment is in
	# /proc/PID/environ (so the grep works); values placed from .env are not
	tr '\0' '\n' < "/proc/$master/environ" | grep -qxF -- "SECRET_KEY=$FB_SK"
	r1=$?
	tr '\0' '\n' < "/proc/$master/environ" | grep -qF -e "$FB_DBP" -e "$FB_MP" -e "$FB_MU"
	r2=$?
	check "fallback: /proc/PID/environ shows the real environment's value, not the .env/default ones" $(( r1 || !r2 )) \
		"real env found: $(( !r1 )), placed values found: $(( !r2 ))"
	stop_gunicorn "$master"
	check "fallback: gunicorn stops on SIGTERM" $(( $? || G_RC )) "rc=$G_RC"

	start=$SECONDS
	G_LOG=warn # the default: what an operator sees
	start_gunicorn fail "$T/fail.conf" SECRET_KEY="$FB_SK" DB_USER="$FB_DBU"
	wait_gone "$G_PID" 150
	gone=$?
	wait "$G_PID" 2>/dev/null
	rc=$? took=$((SECONDS - start))
	check "Vault down, on_error = fail: exits 69 quickly (${took} s)" $(( gone || rc != 69 || took > 10 )) \
		"rc=$rc gone=$gone $(cat "$L/fail.err")"
	n=$(grep -c '^vaultshim\[' "$L/fail.err")
	grep -qE '^'"$LOG_ERR"'(SECRET_KEY|DB_USER|DB_PASSWORD|DB_HOST|DB_NAME|MAIL_SERVER|MAIL_USERNAME|MAIL_PASSWORD)\b.*cannot reach Vault' "$L/fail.err"
	check "on_error = fail: one vaultshim error line naming a variable and saying Vault is unreachable" $(( $? || n != 1 )) \
		"lines=$n: $(cat "$L/fail.err")"
	! grep -q 'Starting gunicorn' "$L/fail.err" "$L/fail.out" && ! listening "$G_PORT"
	check "on_error = fail: gunicorn never started, nothing listens on the port" $?
fi

# --- 6. no secret in any log ------------------------------------------------------------
found=""
for v in "${VALUES[@]}" "$FB_DBP" "$FB_MP" "$ROOT_TOKEN"; do
	f=$(grep -rlF -- "$v" "$L" "$T/server.log" 2>/dev/null | tr '\n' ' ')
	[ -n "$f" ] && found+=" sha ${v:+$(sha "$v" | cut -c1-12)} in: $f;"
done
nlogs=$(find "$L" -type f | wc -l)
check "no Vault value, .env value or root token in any of the $nlogs logs" $([ -z "$found" ]; echo $?) "$found"
exit $(( _failed != 0 ))
