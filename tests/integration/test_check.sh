#!/bin/bash
# The pre-flight an operator trusts: check --strict, check --json on every
# exit, the no-token exit code across check/get/run/exec, the hint for
# on_error = fail with default=, and a relative VAULTSHIM_CONFIG across chdir.
. "$(dirname "$0")/lib.sh"

start_server
SO=$ROOT/${VAULTSHIM_TEST_BUILD:-build}/libvaultshim.so
PW=$(rand)
api POST /v1/secret/data/app/db "{\"data\":{\"password\":\"$PW\"}}" >/dev/null

# json_ok FILE: exactly one JSON object (json.load refuses anything after it)
json_ok() { python3 -c 'import json,sys; d=json.load(sys.stdin); assert isinstance(d, dict)' <"$1"; }

# --- check --strict: every source that is not Vault -------------------------------
printf 'DOT_NAME=from-dotenv\n' >"$T/app.env"
write_conf "$T/mixed.conf" <<CONF
[vault]
address = $VAULT_ADDR
token_file = $T/root-token

[options]
dotenv = $T/app.env

[env]
DB_PASSWORD = secret/app/db#password
ENV_NAME    = secret/app/nothere#x
DOT_NAME    = secret/app/nothere#y
DEF_NAME    = secret/app/nothere#z  default=d
MISS_NAME   = secret/app/nothere#w
CONF
ENV_NAME=from-env "$VAULTSHIM" check -c "$T/mixed.conf" >"$T/out" 2>"$T/err"; rc=$?
check "check without --strict: fallbacks are fine (0), as before" $rc "rc=$rc $(cat "$T/err")"
ENV_NAME=from-env "$VAULTSHIM" check --strict -c "$T/mixed.conf" >"$T/out" 2>"$T/err"; rc=$?
check "check --strict: a name not from Vault -> 65" $(( rc != 65 )) "rc=$rc $(cat "$T/err")"
ok_lines=0
for s in "ENV_NAME env" "DOT_NAME dotenv" "DEF_NAME default" "MISS_NAME missing"; do
	set -- $s
	grep -q "^vaultshim: check: --strict: $1 (secret/app/nothere#[a-z]): from $2, not Vault: .*not found" "$T/err" &&
		ok_lines=$((ok_lines + 1))
done
check "check --strict: one line per name, with its source and Vault's reason (env, dotenv, default, missing)" \
	$(( ok_lines != 4 )) "$(cat "$T/err")"
! grep -q -- "--strict: DB_PASSWORD" "$T/err" && grep -q "4 of 5 names would not come from Vault" "$T/err" &&
	grep -q "leave --strict off" "$T/err"
check "check --strict: the Vault name is not listed; the summary counts and names the fix" $? "$(cat "$T/err")"
! grep -qE "$PW|from-env|from-dotenv" "$T/out" "$T/err"
check "check --strict: no value in its output" $?

ENV_NAME=from-env "$VAULTSHIM" check --strict --json -c "$T/mixed.conf" >"$T/json" 2>"$T/err"; rc=$?
python3 - "$T/json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == 65, d
assert sorted(d["strict"]) == ["DEF_NAME", "DOT_NAME", "ENV_NAME", "MISS_NAME"], d["strict"]
assert "would not come from Vault" in d["error"], d
src = {n["name"]: n["source"] for n in d["names"]}
assert src == {"DB_PASSWORD": "vault", "ENV_NAME": "env", "DOT_NAME": "dotenv", "DEF_NAME": "default",
               "MISS_NAME": "missing"}, src
PY
check "check --strict --json: status 65, the failing names in \"strict\", exit 65" $(( rc != 65 || $? )) "rc=$rc"

C_ENV='DB_PASSWORD = secret/app/db#password' conf vaultonly >/dev/null
"$VAULTSHIM" check --strict --json -c "$T/vaultonly.conf" >"$T/json" 2>"$T/err"; rc=$?
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["status"] == 0 and d["strict"] == [] and "error" not in d, d' <"$T/json"
check "check --strict: every name from Vault -> 0, \"strict\": []" $(( rc || $? )) "rc=$rc $(cat "$T/err")"

# the policy's own refusal is kept: it says more than 65
C_ENV='DB_PASSWORD = secret/app/db#password
OTHER = secret/app/nothere#x' conf failpol 'on_error = fail' >/dev/null
control POST faults '{"path":"secret/data/app/db","status":403}'
"$VAULTSHIM" check --strict -c "$T/failpol.conf" >/dev/null 2>"$T/err"; rc=$?
control DELETE faults
check "check --strict under on_error = fail and a 403: exits 77, not 65" $(( rc != 77 )) "rc=$rc $(cat "$T/err")"

# --- check --json: one object on every exit -----------------------------------------
printf '[env]\nX = \n' | write_conf "$T/broken.conf"
"$VAULTSHIM" check --json -c "$T/broken.conf" >"$T/json" 2>"$T/err"; rc=$?
python3 - "$T/json" "$T/broken.conf" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == 78 and d["names"] == [], d
assert d["error"].startswith(sys.argv[2] + ":2: "), d
assert d["config"] == sys.argv[2], d
PY
check "check --json, config error: {config, status 78, error FILE:LINE: reason, names []}, exit 78" \
	$(( rc != 78 || $? )) "rc=$rc $(cat "$T/json" "$T/err")"
grep -q "^vaultshim: config: $T/broken.conf:2: " "$T/err"
check "... and the one line on stderr as before" $? "$(cat "$T/err")"

"$VAULTSHIM" check --json -c "$T/absent.conf" >"$T/json" 2>/dev/null; rc=$?
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["status"] == 78 and "not found" in d["error"] and d["config"] is None, d' <"$T/json"
check "check --json, config file not found: one object, status 78" $(( rc != 78 || $? )) "rc=$rc $(cat "$T/json")"

"$VAULTSHIM" check --json --bogus >"$T/json" 2>/dev/null; rc=$?
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["status"] == 64 and "--bogus" in d["error"], d' <"$T/json"
check "check --json, usage error: one object, status 64" $(( rc != 64 || $? )) "rc=$rc $(cat "$T/json")"
"$VAULTSHIM" check -c "$T/vaultonly.conf" extra --json >"$T/json" 2>/dev/null; rc=$?
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["status"] == 64 and "unexpected argument" in d["error"], d' <"$T/json"
check "check --json, an extra argument: one object, status 64" $(( rc != 64 || $? )) "rc=$rc $(cat "$T/json")"

C_TOKEN=$T/no-such-token conf notoken-fail 'on_error = fail' >/dev/null
env -u VAULT_TOKEN "$VAULTSHIM" check --json -c "$T/notoken-fail.conf" >"$T/json" 2>/dev/null; rc=$?
python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["status"] == 77 and "token file" in d["error"], d' <"$T/json"
check "check --json, no token under on_error = fail: one object, status 77" $(( rc != 77 || $? )) "rc=$rc $(cat "$T/json")"

printf '[options]\non_error = fail\n[env]\nDB_PASSWORD = secret/app/db#password\n' | write_conf "$T/addr.conf"
VAULT_ADDR=ftp://127.0.0.1:1 "$VAULTSHIM" check --json -c "$T/addr.conf" >"$T/json" 2>/dev/null; rc=$?
json_ok "$T/json" && python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["status"] == 78 and "VAULT_ADDR" in d["error"], d' <"$T/json"
check "check --json, a bad VAULT_ADDR under on_error = fail: one object, status 78" $(( rc != 78 || $? )) "rc=$rc $(cat "$T/json")"

# --- no token: the same code from check, get, run, exec and the preload ---------------
# on_error = fail: 77 (README: permission denied, no token); fallback: the
# names fall back, and only a required one left without a value fails (65)
printf '[vault]\naddress = %s\n[options]\non_error = fail\n[env]\nDB_PASSWORD = secret/app/db#password\n' \
	"$VAULT_ADDR" | write_conf "$T/nt-fail.conf"
printf '[vault]\naddress = %s\n[env]\nDB_PASSWORD = secret/app/db#password required\n' \
	"$VAULT_ADDR" | write_conf "$T/nt-req.conf"
# token_file naming a file that is not there: no token as well
printf '[vault]\naddress = %s\ntoken_file = %s\n[options]\non_error = fail\n[env]\nDB_PASSWORD = secret/app/db#password\n' \
	"$VAULT_ADDR" "$T/no-such-token" | write_conf "$T/nt-file.conf"
nt() { env -u VAULT_TOKEN HOME="$T/nohome" "$@"; }
for c in nt-fail:77 nt-req:65 nt-file:77; do
	f=$T/${c%%:*}.conf want=${c##*:}
	codes=""
	nt "$VAULTSHIM" check -c "$f" >/dev/null 2>"$T/err"; codes+=" check=$?"
	nt "$VAULTSHIM" get -c "$f" DB_PASSWORD >/dev/null 2>>"$T/err"; codes+=" get=$?"
	nt "$VAULTSHIM" run -c "$f" -- true 2>>"$T/err"; codes+=" run=$?"
	nt "$VAULTSHIM" exec -c "$f" -- sh -c 'echo "$DB_PASSWORD"' >/dev/null 2>>"$T/err"; codes+=" exec=$?"
	nt env VAULTSHIM_CONFIG="$f" LD_PRELOAD="$SO" sh -c 'echo "$DB_PASSWORD"' >/dev/null 2>>"$T/err"; codes+=" preload=$?"
	[ "$codes" = " check=$want get=$want run=$want exec=$want preload=$want" ]
	check "no token (${c%%:*}): check, get, run, exec and the preload all exit $want" $? "$codes; $(head -3 "$T/err")"
done
grep -q "set token_file in \[vault\], VAULT_TOKEN, or write ~/.vault-token" "$T/err" ||
	grep -q "point token_file in \[vault\]" "$T/err"
check "no token: the line names the fix" $? "$(head -2 "$T/err")"

# a token file that cannot be used, under fallback: check says what the program gets
printf '[vault]\naddress = %s\ntoken_file = %s\n[env]\nDB_PASSWORD = secret/app/db#password default=dflt\n' \
	"$VAULT_ADDR" "$T/no-such-token" | write_conf "$T/nt-fb.conf"
"$VAULTSHIM" check -c "$T/nt-fb.conf" >"$T/out" 2>/dev/null; rc=$?
out=$("$VAULTSHIM" exec -c "$T/nt-fb.conf" -- sh -c 'echo "$DB_PASSWORD"' 2>/dev/null)
grep -Eq '^DB_PASSWORD +default ' "$T/out" && [ "$out" = dflt ]
check "unusable token file under fallback: check exits 0 showing 'default', as the program runs with it" \
	$(( rc || $? )) "rc=$rc out=$out $(cat "$T/out")"
"$VAULTSHIM" check --strict -c "$T/nt-fb.conf" >/dev/null 2>"$T/err"; rc=$?
grep -q -- "--strict: DB_PASSWORD (secret/app/db#password): from default, not Vault: .*token file" "$T/err"
check "... and check --strict refuses it (65), naming the token file" $(( rc != 65 || $? )) "rc=$rc $(cat "$T/err")"

# --- on_error = fail with default=: the line says why the default is not used -----------
printf '[vault]\naddress = %s\ntoken_file = %s\n[options]\non_error = fail\n[env]\nDB_PASSWORD = secret/app/gone#password default=dflt\n' \
	"$VAULT_ADDR" "$T/root-token" | write_conf "$T/def-fail.conf"
"$VAULTSHIM" check -c "$T/def-fail.conf" >/dev/null 2>"$T/err"; rc=$?
grep -q "DB_PASSWORD (secret/app/gone#password): .*its default= is not used under on_error = fail: .*set on_error = fallback in \[options\]" "$T/err"
check "on_error = fail, default=: check names the entry, says the default is not used and the fix" \
	$(( rc != 65 || $? )) "rc=$rc $(cat "$T/err")"
"$VAULTSHIM" exec -c "$T/def-fail.conf" -- sh -c 'echo "$DB_PASSWORD"' >"$T/out" 2>"$T/err"; rc=$?
[ ! -s "$T/out" ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "its default= is not used under on_error = fail" "$T/err"
check "... and so does the preload, in its one line, before the program runs" $(( rc != 65 || $? )) \
	"rc=$rc $(cat "$T/out" "$T/err")"

# --- a relative VAULTSHIM_CONFIG, a program that chdirs, a child that reads ---------------
cat >"$T/chdirspawn.c" <<'EOF'
/* a daemon's start: chdir, close every descriptor above 2 (the hand-off
 * too, so the child must find the config itself), then start a child */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	int st;
	pid_t p;
	if (argc < 3 || chdir(argv[1]))
		return 2;
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	if (!(p = fork())) {
		execl("/bin/sh", "sh", "-c", argv[2], (char *)0);
		_exit(127);
	}
	waitpid(p, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
EOF
cc -o "$T/chdirspawn" "$T/chdirspawn.c"
# a directory deeper than 2048 bytes: the preload's buffer for the current
# directory was that, and a longer one left the config's path relative
deep=$T/d
for _ in $(seq 12); do deep=$deep/$(printf 'x%.0s' $(seq 200)); done
mkdir -p "$deep"
C_ENV='DB_PASSWORD = secret/app/db#password' conf rel >/dev/null
cp "$T/rel.conf" "$deep/vaultshim.conf"
child='printf "%s|%s\n" "$DB_PASSWORD" "$VAULTSHIM_CONFIG"'
(cd "$deep" && VAULTSHIM_CONFIG=vaultshim.conf LD_PRELOAD=$SO "$T/chdirspawn" / "$child") >"$T/out" 2>"$T/err"; rc=$?
[ "$(cat "$T/out")" = "$PW|$deep/vaultshim.conf" ]
check "relative VAULTSHIM_CONFIG in a ${#deep}-byte directory, chdir /, closed fds: the child is served and inherits the absolute path" \
	$(( rc || $? )) "rc=$rc $(cut -c1-80 "$T/err" | head -2)"
(cd "$deep" && VAULTSHIM_CONFIG=vaultshim.conf "$VAULTSHIM" exec -- "$T/chdirspawn" / "$child") >"$T/out" 2>"$T/err"; rc=$?
[ "$(cat "$T/out")" = "$PW|$deep/vaultshim.conf" ]
check "... the same through vaultshim exec" $(( rc || $? )) "rc=$rc $(cut -c1-80 "$T/err" | head -2)"
mkdir -p "$T/app" && cp "$T/rel.conf" "$T/app/vaultshim.conf"
(cd "$T/app" && VAULTSHIM_CONFIG=vaultshim.conf "$VAULTSHIM" run -- "$T/chdirspawn" / "$child") >"$T/out" 2>"$T/err"; rc=$?
[ "$(cat "$T/out")" = "$PW|$T/app/vaultshim.conf" ]
check "... and through vaultshim run (environment mode)" $(( rc || $? )) "rc=$rc $(head -2 "$T/err")"
(cd "$T/app" && VAULTSHIM_CONFIG=vaultshim.conf LD_PRELOAD=$SO python3 -c '
import os, subprocess, sys
os.chdir("/")
subprocess.run(["sh", "-c", sys.argv[1]], close_fds=True)' "$child") >"$T/out" 2>"$T/err"; rc=$?
[ "$(cat "$T/out")" = "$PW|$T/app/vaultshim.conf" ]
check "... and an eager parent (python3 os.chdir, then subprocess)" $(( rc || $? )) "rc=$rc $(head -2 "$T/err")"
# deeper than any path buffer (PATH_MAX): the path cannot be made absolute,
# and the program is refused before main with one line in the log format
(
	cd "$T" && mkdir -p d2 && cd d2 || exit 1
	for _ in $(seq 22); do mkdir -p "$(printf 'y%.0s' $(seq 200))" && cd "$(printf 'y%.0s' $(seq 200))" || exit 1; done
	VAULTSHIM_CONFIG=vaultshim.conf LD_PRELOAD=$SO "$T/chdirspawn" / "$child"
) >"$T/out" 2>"$T/err"; rc=$?
[ "$rc" = 78 ] && [ ! -s "$T/out" ] && [ "$(wc -l < "$T/err")" = 1 ] &&
	grep -qE "^${LOG_HEAD}VAULTSHIM_CONFIG 'vaultshim.conf' is relative and cannot be made absolute .*: set VAULTSHIM_CONFIG to an absolute path\$" "$T/err"
check "relative VAULTSHIM_CONFIG in a directory deeper than PATH_MAX: refused before main (78), one log line naming the fix" \
	$? "rc=$rc $(head -2 "$T/err")"

! grep -rqF "$ROOT_TOKEN" "$T"/*.json "$T/err" "$T/out" 2>/dev/null
check "no token in any output" $?
