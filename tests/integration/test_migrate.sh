#!/bin/bash
# `vaultshim migrate` end to end against the dev server: python-dotenv edge
# cases round-tripped value by value (Vault read-back and real programs under
# the preload), --strip keeping every other byte, the backup, --config-out,
# idempotence, conflicts, --dry-run, unparseable files, failures half-way
# (faults, seal), KV v1, and a Flask-style program through vaultshim-exec.
# Fixtures, beside this file: migrate/make-fixtures.sh (printf, exact bytes);
# expected values and checks: migrate/expect.py. No value is ever printed:
# the checks compare inside and report names, lengths or "differs".
. "$(dirname "$0")/lib.sh"

FX=$ROOT/tests/integration/migrate
EXPECT=(python3 "$FX/expect.py")

[ -x "$VAULTSHIM" ] && [ -f "${VAULTSHIM_TEST_SO_FILE:-$ROOT/build/libvaultshim.so}" ] || { echo "Bail out! build first: make"; exit 1; }
# private copies: a concurrent `make` must not swap the binaries mid-run (the
# preload finds its helper, vaultshim, beside itself)
mkdir -p "$T/log"
copy_programs "$T/bin"
VS=$T/bin/vaultshim
SO=$T/bin/libvaultshim.so
export VAULTSHIM_LIB=$SO VAULTSHIM_BIN=$VS
HAVE_CSHA=1
gcc -std=gnu11 -O1 -Wall -Wextra -o "$T/envsha" "$FX/envsha.c" -lcrypto 2>"$T/cc.log" || HAVE_CSHA=0

# --- helpers --------------------------------------------------------------------
# mig LOG ARGS...: vaultshim migrate, output kept in $T/log/LOG.{out,err}; sets rc
mig() {
	local log=$1
	shift
	timeout 20 "$VS" migrate "$@" >"$T/log/$log.out" 2>"$T/log/$log.err" </dev/null
	rc=$?
}
out() { cat "$T/log/$1.out"; }
err() { cat "$T/log/$1.err"; }
vapi() { # vapi METHOD PATH [JSON] > body
	timeout 10 curl -sS -X "$1" -H "X-Vault-Token: $ROOT_TOKEN" ${3:+-H 'Content-Type: application/json' -d "$3"} \
		"$VAULT_ADDR$2"
}
ctl() { timeout 10 curl -sS -o /dev/null -X "$1" ${3:+-H 'Content-Type: application/json' -d "$3"} "$VAULT_ADDR/_control/$2"; }
# version PATH (under secret/): current_version, 0 when the secret does not exist
version() {
	vapi GET "/v1/secret/metadata/$1" | python3 -c 'import json,sys
d=json.load(sys.stdin).get("data") or {}
print(d.get("current_version", 0))'
}
# writes: Vault requests since the last counter reset that could change a secret
writes() {
	timeout 10 curl -sS "$VAULT_ADDR/_control/counters" | python3 -c 'import json,sys
r=json.load(sys.stdin)["requests"]
print(sum(n for k,n in r.items() if k.split(" ")[0] in ("POST","PUT","PATCH","DELETE") and not k.split(" ",1)[1].startswith("auth/")))'
}
sum() { sha256sum "$@" | awk '{print $1}' | tr '\n' ' '; }
mode_of() { stat -c %a "$1"; }
# --strip backs up into the state directory ($XDG_STATE_HOME/vaultshim, set
# below for the whole file so that no run writes under the real HOME), the
# file named after the .env's absolute path with '/' as '_'
esc() { local p; p=$(realpath "$1"); p=${p#/}; echo "${p//\//_}"; }
backups() { compgen -G "${2:-$BK}/$(esc "$1").backup.*" | sort; }
# nbackups FILE: its backups, in the state directory or (the old place) beside it
nbackups() { local f; f=$( (backups "$1"; compgen -G "$1.backup.*") | grep -c .); echo "$f"; }
# readback LOGNAME FX MODE VAULTPATH [expect.py vault args]: compare Vault's data with the table
readback() {
	local name=$1 fx=$2 mode=$3 p=$4 api_path
	shift 4
	case $p in
	kv/*) api_path=/v1/$p ;;
	*) api_path=/v1/secret/data/${p#secret/} ;;
	esac
	vapi GET "$api_path" >"$T/$name.json"
	"${EXPECT[@]}" vault "$fx" "$mode" "$T/$name.json" "$@" >"$T/$name.diag" 2>&1
	check "$name" $? "$(cat "$T/$name.diag")"
}
PYSHA='import os, sys, hashlib
for n in sys.argv[1:]:
    v = os.environb.get(n.encode())
    print(n, "UNSET" if v is None else hashlib.sha256(v).hexdigest())'
# programs NAME FX MODE CONF: a C program (lazy getenv) and python3 (eager) under
# the preload with CONF and nothing else in the environment; digests compared
programs() {
	local name=$1 fx=$2 mode=$3 conf=$4 names
	names=$("${EXPECT[@]}" names "$fx" "$mode")
	local envv=(env -i PATH=/usr/bin:/bin VAULT_ADDR="$VAULT_ADDR" VAULT_TOKEN="$ROOT_TOKEN"
		VAULTSHIM_CONFIG="$conf" LD_PRELOAD="$SO")
	if [ $HAVE_CSHA = 1 ]; then
		# shellcheck disable=SC2086
		timeout 20 "${envv[@]}" "$T/envsha" $names >"$T/$name.c.txt" 2>"$T/$name.c.err"
		"${EXPECT[@]}" digests "$fx" "$mode" "$T/$name.c.txt" >"$T/$name.c.diag" 2>&1
		check "$name: a C program (lazy getenv) reads every value" $? "$(cat "$T/$name.c.diag")" "$(head -3 "$T/$name.c.err")"
	else
		skip "$name: C program (cannot compile tests/integration/migrate/envsha.c: $(head -1 "$T/cc.log"))"
	fi
	# shellcheck disable=SC2086
	timeout 20 "${envv[@]}" /usr/bin/python3 -c "$PYSHA" $names >"$T/$name.py.txt" 2>"$T/$name.py.err"
	"${EXPECT[@]}" digests "$fx" "$mode" "$T/$name.py.txt" >"$T/$name.py.diag" 2>&1
	check "$name: python3 (eager environ) reads every value" $? "$(cat "$T/$name.py.diag")" "$(head -3 "$T/$name.py.err")"
}
# fresh DIR FIXTURE...: copies of fixtures in a new directory
fresh() {
	local d=$1
	shift
	mkdir -p "$d"
	for f in "$@"; do cp "$FX/$f" "$d/$f"; done
}
# untouched NAME FILE ORIG_SUM: the file has its original bytes and no backup appeared
untouched() {
	local rc base
	base=$(basename "$2")
	[ "$(sum "$2")" = "$3" ]
	rc=$?
	check "$1: $base unchanged" $rc
	[ "$(nbackups "$2")" = 0 ]
	rc=$?
	check "$1: no backup of $base" $rc "$(nbackups "$2") backups"
}

# --- fixtures -------------------------------------------------------------------
mkdir -p "$T/gen"
timeout 10 bash "$FX/make-fixtures.sh" "$T/gen"
for f in nasty crlf flask bad; do
	cmp -s "$T/gen/$f.env" "$FX/$f.env"
	check "fixture $f.env has the bytes make-fixtures.sh writes" $? "$(cmp "$T/gen/$f.env" "$FX/$f.env" 2>&1)"
done
for f in nasty crlf flask; do
	"${EXPECT[@]}" selftest $f "$FX/$f.env" >"$T/self.diag" 2>&1
	check "expectation table covers every statement of $f.env" $? "$(cat "$T/self.diag")"
done
if /usr/bin/python3 -c 'import dotenv' 2>/dev/null; then
	/usr/bin/python3 - "$FX" >"$T/dotenv.diag" 2>&1 <<'PY'
import io, sys, os
sys.path.insert(0, sys.argv[1])
import expect, dotenv
bad = []
for fx in ("nasty", "crlf", "flask"):
    # python-dotenv (0.21 in Debian) reads with plain utf-8: a BOM spoils its
    # first statement, where vaultshim skips the BOM on purpose. Compare the
    # rest of the grammar on the same bytes without the BOM.
    raw = open(os.path.join(sys.argv[1], fx + ".env"), "rb").read()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    got = dotenv.dotenv_values(stream=io.StringIO(raw.decode("utf-8"), newline=None), interpolate=False)
    for e in expect.FIXTURES[fx]:
        if got.get(e["name"], "<absent>") != e["value"]:
            bad.append("%s %s differs from python-dotenv" % (fx, e["name"]))
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
	check "expectation table agrees with python-dotenv's dotenv_values" $? "$(cat "$T/dotenv.diag")"
else
	skip "cross-check with python-dotenv (not importable by /usr/bin/python3)"
fi

start_server --kv-v1 kv
export VAULT_TOKEN=$ROOT_TOKEN
export XDG_STATE_HOME=$T/state
BK=$XDG_STATE_HOME/vaultshim
unset VAULT_AGENT_ADDR VAULT_NAMESPACE VAULTSHIM_CONFIG

# --- 1. round trip, value by value ------------------------------------------------
d=$T/c1
fresh "$d" nasty.env crlf.env
orig=$(sum "$d/nasty.env")
mig c1-all --env-file "$d/nasty.env" --path secret/nasty/all --all --yes --config-out "$d/all.conf"
check "1 --all: exit 0" $rc "rc=$rc" "$(err c1-all)"
for n in $("${EXPECT[@]}" skipped nasty all); do
	out c1-all | grep -Eq "^$n +skip +$d/nasty.env:[0-9]+: "
	check "1 --all: $n shown as skip with FILE:LINE" $? "$(out c1-all | grep "^$n " | cut -c1-60)"
done
readback "1 --all: Vault holds exactly the migrated names with python-dotenv's values" nasty all secret/nasty/all
programs "1 --all" nasty all "$d/all.conf"
mig c1-sec --env-file "$d/nasty.env" --path secret/nasty/secrets --secrets-only --yes --config-out "$d/sec.conf"
check "1 --secrets-only: exit 0" $rc "rc=$rc" "$(err c1-sec)"
readback "1 --secrets-only: Vault holds the secret names only (not DEBUG, PORT, REDIS_URL...)" nasty secrets secret/nasty/secrets
programs "1 --secrets-only" nasty secrets "$d/sec.conf"
! grep -Eq '^(DEBUG|PORT|APP_NAME|GREETING|REDIS_URL) ' "$d/sec.conf"
check "1 --secrets-only: non-secret names are not mapped" $?
[ "$(sum "$d/nasty.env")" = "$orig" ]
check "1: without --strip the .env is unchanged" $?
mig c1-crlf --env-file "$d/crlf.env" --path secret/crlf/all --all --yes --config-out "$d/crlf.conf"
check "1 CRLF+BOM file --all: exit 0" $rc "rc=$rc" "$(err c1-crlf)"
readback "1 CRLF+BOM file: Vault values (CRLF inside quotes reads as LF)" crlf all secret/crlf/all
programs "1 CRLF+BOM file" crlf all "$d/crlf.conf"

# --- 2. --strip ------------------------------------------------------------------
d=$T/c2
fresh "$d" nasty.env crlf.env
chmod 640 "$d/nasty.env"
chmod 604 "$d/crlf.env"
for f in nasty crlf; do
	cp -p "$d/$f.env" "$d/$f.orig"
	"${EXPECT[@]}" strip $f secrets "$d/$f.env" "$d/$f.expected"
	m0=$(mode_of "$d/$f.env")
	mig c2-$f --env-file "$d/$f.env" --path secret/c2/$f --secrets-only --strip --yes
	check "2 $f --strip: exit 0" $rc "rc=$rc" "$(err c2-$f)"
	cmp -s "$d/$f.env" "$d/$f.expected"
	check "2 $f --strip: the file is the original minus exactly the migrated statements" $? \
		"$(cmp "$d/$f.env" "$d/$f.expected" 2>&1) (sizes $(stat -c %s "$d/$f.env") vs $(stat -c %s "$d/$f.expected"))"
	[ "$(mode_of "$d/$f.env")" = "$m0" ]
	check "2 $f --strip: the file keeps its mode $m0" $? "mode $(mode_of "$d/$f.env")"
	b=$(backups "$d/$f.env")
	[ "$(echo "$b" | grep -c .)" = 1 ] && [[ $b =~ \.backup\.[0-9]{8}T[0-9]{6}Z$ ]]
	check "2 $f --strip: one backup named <the .env's path>.backup.<UTC>" $? "$b"
	[ -n "$b" ] && [ "$(mode_of "$b")" = 600 ] && cmp -s "$b" "$d/$f.orig"
	check "2 $f --strip: the backup has mode 0600 and the original bytes" $? "mode $( [ -n "$b" ] && mode_of "$b")"
	n=$("${EXPECT[@]}" names $f secrets | wc -w)
	out c2-$f | grep -q "^migrated $n secrets to secret/c2/$f"
	check "2 $f --strip: reports $n secrets migrated" $? "$(out c2-$f | tail -2)"
	readback "2 $f --strip: Vault values" $f secrets secret/c2/$f
done
cmp -s <(head -c 3 "$d/crlf.env") <(printf '\357\273\277') && ! grep -q 'FLASK_SECRET_KEY' "$d/crlf.env"
check "2 crlf: the BOM stays when the statement right after it is stripped" $?

# --- 3. --config-out ---------------------------------------------------------------
d=$T/c3
fresh "$d" nasty.env crlf.env
printf 'FLASK_SECRET_KEY=another-value-for-flask\nNEW_TOKEN=new-token-value-77\n' >"$d/other.env"
mig c3a --env-file "$d/nasty.env" --path secret/c3/nasty --secrets-only --yes --config-out "$d/app.conf"
check "3 config-out: exit 0" $rc "rc=$rc" "$(err c3a)"
[ "$(mode_of "$d/app.conf")" = 600 ]
check "3 config-out: created with mode 0600" $? "mode $(mode_of "$d/app.conf")"
python3 - "$d/app.conf" secret/c3/nasty $("${EXPECT[@]}" names nasty secrets) >"$T/c3.diag" 2>&1 <<'PY'
import re, sys
text = open(sys.argv[1]).read()
path, names = sys.argv[2], sys.argv[3:]
env = text.split("[env]", 1)[1] if "[env]" in text else ""
lines = [l for l in env.splitlines() if re.match(r"[A-Za-z_][A-Za-z0-9_]* *=", l)]
bad = [n for n in names if sum(1 for l in lines if re.fullmatch(r'%s *= *"?%s#%s"?( required)?' % (n, re.escape(path), n), l)) != 1]
extra = [l.split("=")[0].strip() for l in lines if l.split("=")[0].strip() not in names]
print("not mapped once:", bad, "extra:", extra) if bad or extra else None
sys.exit(1 if bad or extra else 0)
PY
check "3 config-out: one [env] line per migrated name, path#NAME" $? "$(cat "$T/c3.diag")"
timeout 20 "$VS" check -c "$d/app.conf" >"$T/c3.check" 2>&1
check "3 config-out: 'vaultshim check' resolves every name from Vault" $? "$(tail -3 "$T/c3.check")"
cp -p "$d/app.conf" "$d/app.before"
mig c3b --env-file "$d/crlf.env" --path secret/c3/crlf --secrets-only --yes --config-out "$d/app.conf"
check "3 second .env into the same config: exit 0" $rc "rc=$rc" "$(err c3b)"
cmp -s <(head -c "$(stat -c %s "$d/app.before")" "$d/app.conf") "$d/app.before"
check "3 second .env: existing config bytes kept as they were" $?
for n in $("${EXPECT[@]}" names crlf secrets); do
	grep -Eq "^$n = \"secret/c3/crlf#$n\"( required)?$" "$d/app.conf" || { echo "# $n not mapped"; false; }
done >"$T/c3b.diag"
check "3 second .env: its names appended" "$(grep -c . "$T/c3b.diag")" "$(cat "$T/c3b.diag")"
[ "$(mode_of "$d/app.conf")" = 600 ]
check "3 second .env: config still mode 0600" $?
timeout 20 "$VS" check -c "$d/app.conf" >"$T/c3.check" 2>&1
check "3 extended config: 'vaultshim check' exit 0" $? "$(tail -3 "$T/c3.check")"
cp -p "$d/app.conf" "$d/app.before"
line=$(grep -n '^FLASK_SECRET_KEY ' "$d/app.conf" | cut -d: -f1)
ctl DELETE counters
o_sum=$(sum "$d/other.env")
mig c3c --env-file "$d/other.env" --path secret/c3/other --secrets-only --yes --config-out "$d/app.conf"
check "3 name mapped to another path: exit 78" $(( rc != 78 )) "rc=$rc" "$(err c3c)"
grep -q "$d/app.conf:$line: .*FLASK_SECRET_KEY" "$T/log/c3c.err"
check "3 name mapped to another path: FILE:LINE of that mapping ($line)" $? "$(err c3c)"
w=$(writes)
[ "$w" = 0 ] && [ "$(version c3/other)" = 0 ]
check "3 name mapped to another path: nothing written to Vault" $? "writes=$w"
cmp -s "$d/app.conf" "$d/app.before" && [ "$(sum "$d/other.env")" = "$o_sum" ]
check "3 name mapped to another path: config and .env unchanged" $?

# --- 4. idempotence ------------------------------------------------------------------
d=$T/c1
v0=$(version nasty/all)
s0=$(sum "$d/nasty.env" "$d/all.conf")
ctl DELETE counters
mig c4a --env-file "$d/nasty.env" --path secret/nasty/all --all --yes --config-out "$d/all.conf"
check "4 second identical run: exit 0" $rc "rc=$rc" "$(err c4a)"
out c4a | grep -q '^nothing to do'
check "4 second identical run: says 'nothing to do'" $? "$(out c4a | tail -1)"
[ "$(version nasty/all)" = "$v0" ] && [ "$(writes)" = 0 ]
check "4 second identical run: Vault version unchanged ($v0), no write" $?
[ "$(sum "$d/nasty.env" "$d/all.conf")" = "$s0" ]
check "4 second identical run: .env and config unchanged" $?
d=$T/c2
v0=$(version c2/nasty)
s0=$(sum "$d/nasty.env")
ctl DELETE counters
mig c4b --env-file "$d/nasty.env" --path secret/c2/nasty --secrets-only --strip --yes
check "4 --strip again on the stripped file: exit 0" $rc "rc=$rc" "$(err c4b)"
out c4b | grep -q '^nothing to migrate'
check "4 --strip again: says 'nothing to migrate'" $? "$(out c4b | tail -1)"
[ "$(version c2/nasty)" = "$v0" ] && [ "$(writes)" = 0 ] && [ "$(sum "$d/nasty.env")" = "$s0" ] && [ "$(nbackups "$d/nasty.env")" = 1 ]
check "4 --strip again: Vault version, file and backups unchanged" $?
d=$T/c4
fresh "$d" nasty.env
"${EXPECT[@]}" strip nasty secrets "$d/nasty.env" "$d/nasty.expected"
ctl DELETE counters
mig c4c --env-file "$d/nasty.env" --path secret/c2/nasty --secrets-only --strip --yes
check "4 values already in Vault, --strip: exit 0" $rc "rc=$rc" "$(err c4c)"
[ "$(version c2/nasty)" = "$v0" ] && [ "$(writes)" = 0 ]
check "4 values already in Vault, --strip: no Vault write, version unchanged" $?
cmp -s "$d/nasty.env" "$d/nasty.expected"
check "4 values already in Vault, --strip: file stripped all the same" $?
d=$T/c3
s0=$(sum "$d/crlf.env" "$d/app.conf")
mig c4d --env-file "$d/crlf.env" --path secret/c3/crlf --secrets-only --yes --config-out "$d/app.conf"
out c4d | grep -q '^nothing to do' && [ "$(sum "$d/crlf.env" "$d/app.conf")" = "$s0" ]
check "4 rerun into an extended config: exit 0, 'nothing to do', files unchanged" \
	$(( rc != 0 || $? )) "rc=$rc" "$(out c4d | tail -1)"

# --- 5. conflicts --------------------------------------------------------------------
d=$T/c5
fresh "$d" crlf.env
vapi POST /v1/secret/data/c5 '{"data":{"FLASK_SECRET_KEY":"old-different-value","EXTRA_FIELD":"keep-me-extra"}}' >/dev/null
v0=$(version c5)
s0=$(sum "$d/crlf.env")
mig c5a --env-file "$d/crlf.env" --path secret/c5 --secrets-only --strip --yes --config-out "$d/c5.conf"
check "5 different value in Vault: exit 65" $(( rc != 65 )) "rc=$rc"
out c5a | grep -Eq '^FLASK_SECRET_KEY +CONFLICT '
check "5 different value in Vault: the plan shows CONFLICT" $? "$(out c5a | grep FLASK_SECRET_KEY | cut -c1-40)"
[ "$(version c5)" = "$v0" ]
check "5 conflict: nothing written (version $v0)" $?
untouched "5 conflict" "$d/crlf.env" "$s0"
[ ! -e "$d/c5.conf" ]
check "5 conflict: no config written" $?
mig c5b --env-file "$d/crlf.env" --path secret/c5 --secrets-only --strip --yes --config-out "$d/c5.conf" --overwrite
check "5 --overwrite: exit 0" $rc "rc=$rc" "$(err c5b)"
out c5b | grep -Eq '^FLASK_SECRET_KEY +overwrite '
check "5 --overwrite: the plan says overwrite" $? "$(out c5b | grep FLASK_SECRET_KEY | cut -c1-40)"
[ "$(version c5)" = $((v0 + 1)) ]
check "5 --overwrite: one new version" $? "version $(version c5)"
readback "5 --overwrite: the .env values replace Vault's, other fields kept" crlf secrets secret/c5 EXTRA_FIELD=keep-me-extra

# --- 6. --dry-run and confirmation -------------------------------------------------------
d=$T/c6
fresh "$d" nasty.env
s0=$(sum "$d/nasty.env")
ctl DELETE counters
mig c6a --env-file "$d/nasty.env" --path secret/c6 --secrets-only --strip --config-out "$d/c6.conf" --dry-run
check "6 --dry-run (no --yes, stdin not a terminal): exit 0" $rc "rc=$rc" "$(err c6a)"
out c6a | grep -q '^dry run'
check "6 --dry-run: says so" $? "$(out c6a | tail -1)"
[ "$(writes)" = 0 ] && [ "$(version c6)" = 0 ] && [ ! -e "$d/c6.conf" ]
check "6 --dry-run: no Vault write, no config" $?
untouched "6 --dry-run" "$d/nasty.env" "$s0"
mig c6b --env-file "$d/nasty.env" --path secret/c6 --secrets-only --strip --config-out "$d/c6.conf"
check "6 no --yes, stdin not a terminal: exit 64" $(( rc != 64 )) "rc=$rc"
grep -q -- '--yes' "$T/log/c6b.err"
check "6 no --yes: the message names --yes" $? "$(err c6b)"
[ "$(writes)" = 0 ] && [ "$(version c6)" = 0 ] && [ ! -e "$d/c6.conf" ]
check "6 no --yes: no Vault write, no config" $?
untouched "6 no --yes" "$d/nasty.env" "$s0"

# --- 7. unparseable .env --------------------------------------------------------------
d=$T/c7
fresh "$d" bad.env
s0=$(sum "$d/bad.env")
ctl DELETE counters
mig c7 --env-file "$d/bad.env" --path secret/c7 --all --strip --yes --config-out "$d/c7.conf"
check "7 unparseable .env: exit 65" $(( rc != 65 )) "rc=$rc"
for l in 2 3 5 6; do
	grep -Eq "(^|: )$d/bad.env:$l: [^ ]" "$T/log/c7.err"
	check "7 unparseable .env: line $l reported as FILE:LINE: reason" $? "$(err c7)"
done
! grep -Eq "$d/bad.env:(1|4|7):" "$T/log/c7.err"
check "7 unparseable .env: good lines are not reported" $? "$(err c7)"
[ "$(writes)" = 0 ] && [ "$(version c7)" = 0 ] && [ ! -e "$d/c7.conf" ]
check "7 unparseable .env: nothing written" $?
untouched "7 unparseable" "$d/bad.env" "$s0"

# --- 8. failures half-way ----------------------------------------------------------------
# (a) the write fails
d=$T/c8a
fresh "$d" crlf.env
s0=$(sum "$d/crlf.env")
ctl DELETE counters
ctl POST faults '{"path":"secret/data/c8a","method":"POST","status":500,"count":20}'
mig c8a --env-file "$d/crlf.env" --path secret/c8a --secrets-only --strip --yes --config-out "$d/c8.conf"
ctl DELETE faults
check "8a write answers 500: exit 69" $(( rc != 69 )) "rc=$rc" "$(err c8a)"
[ "$(requests_for 'POST secret/data/c8a')" -ge 1 ] && [ "$(version c8a)" = 0 ] && [ ! -e "$d/c8.conf" ]
check "8a write fails: Vault unchanged, no config" $? "posts=$(requests_for 'POST secret/data/c8a')"
untouched "8a write fails" "$d/crlf.env" "$s0"
# (b) the write succeeds, the read-back fails: the first GET (the plan's read)
# passes through a delay-only fault, every later GET answers 500
d=$T/c8b
fresh "$d" crlf.env
s0=$(sum "$d/crlf.env")
"${EXPECT[@]}" strip crlf secrets "$d/crlf.env" "$d/crlf.expected"
ctl DELETE counters
ctl POST faults '{"path":"secret/data/c8b","method":"GET","delay_ms":1,"count":1}'
ctl POST faults '{"path":"secret/data/c8b","method":"GET","status":500,"count":50}'
mig c8b --env-file "$d/crlf.env" --path secret/c8b --secrets-only --strip --yes --config-out "$d/c8.conf"
ctl DELETE faults
check "8b read-back answers 500: non-zero exit" $(( rc == 0 )) "rc=$rc"
[ "$(requests_for 'POST secret/data/c8b')" = 1 ] && [ "$(requests_for 'GET secret/data/c8b')" -ge 2 ]
check "8b the fault hit the read-back after the write" $? "posts=$(requests_for 'POST secret/data/c8b') gets=$(requests_for 'GET secret/data/c8b')"
untouched "8b read-back fails" "$d/crlf.env" "$s0"
[ ! -e "$d/c8.conf" ]
check "8b read-back fails: config not written" $?
mig c8b2 --env-file "$d/crlf.env" --path secret/c8b --secrets-only --strip --yes --config-out "$d/c8.conf"
check "8b rerun after the fault clears: exit 0" $rc "rc=$rc" "$(err c8b2)"
readback "8b rerun: Vault values equal the .env's" crlf secrets secret/c8b
cmp -s "$d/crlf.env" "$d/crlf.expected"
check "8b rerun: .env stripped" $?
[ -e "$d/c8.conf" ] && timeout 20 "$VS" check -c "$d/c8.conf" >/dev/null 2>&1
check "8b rerun: config written and resolving" $?
# (c) sealed
d=$T/c8c
fresh "$d" crlf.env
s0=$(sum "$d/crlf.env")
ctl POST seal
mig c8c --env-file "$d/crlf.env" --path secret/c8c --secrets-only --strip --yes --config-out "$d/c8.conf"
ctl POST unseal
check "8c Vault sealed: exit 69" $(( rc != 69 )) "rc=$rc" "$(err c8c)"
[ "$(version c8c)" = 0 ] && [ ! -e "$d/c8.conf" ]
check "8c sealed: nothing written, no config" $?
untouched "8c sealed" "$d/crlf.env" "$s0"

# (d) Vault fails after the local changes (the check through the written
# config): GETs 1-2 (plan, read-back) pass, later ones answer 500
d=$T/c8d
fresh "$d" crlf.env
chmod 640 "$d/crlf.env"
s0=$(sum "$d/crlf.env")
write_conf "$d/c8.conf" <<CONF
[options]
on_error = fallback
CONF
c0=$(sum "$d/c8.conf")
ctl POST faults '{"path":"secret/data/c8d","method":"GET","delay_ms":1,"count":2}'
ctl POST faults '{"path":"secret/data/c8d","method":"GET","status":500,"count":50}'
mig c8d --env-file "$d/crlf.env" --path secret/c8d --secrets-only --strip --yes --config-out "$d/c8.conf"
ctl DELETE faults
check "8d check through the config fails: non-zero exit" $(( rc == 0 )) "rc=$rc"
[ "$(sum "$d/crlf.env")" = "$s0" ] && [ "$(mode_of "$d/crlf.env")" = 640 ]
check "8d: .env restored byte for byte, mode kept" $? "mode $(mode_of "$d/crlf.env")"
[ "$(sum "$d/c8.conf")" = "$c0" ]
check "8d: config restored to its previous bytes" $?

# --- 9. --keys ------------------------------------------------------------------------------
d=$T/c9
fresh "$d" nasty.env
ctl DELETE counters
mig c9a --env-file "$d/nasty.env" --path secret/c9 --keys DQ_SECRET,NOPE_NOT_THERE --yes
check "9 --keys with a name not in the file: exit 64" $(( rc != 64 )) "rc=$rc"
grep -q "NOPE_NOT_THERE" "$T/log/c9a.err"
check "9 --keys: the message names it" $? "$(err c9a)"
[ "$(writes)" = 0 ]
check "9 --keys unknown name: nothing written" $?
mig c9b --env-file "$d/nasty.env" --path secret/c9 --keys INTERP_SECRET,DQ_SECRET --yes
check "9 --keys naming a \${...} value: exit 0" $rc "rc=$rc" "$(err c9b)"
readback "9 --keys: exactly those names, \${...} kept literally" nasty keys=INTERP_SECRET,DQ_SECRET secret/c9

# --- 10. KV v1 ----------------------------------------------------------------------------
d=$T/c10
fresh "$d" crlf.env
mig c10 --env-file "$d/crlf.env" --path kv/app --all --yes --config-out "$d/c10.conf"
check "10 KV v1 destination kv/app: exit 0" $rc "rc=$rc" "$(err c10)"
readback "10 KV v1: values read back" crlf all kv/app --kv1
programs "10 KV v1" crlf all "$d/c10.conf"
mig c10b --env-file "$d/crlf.env" --path kv/app --all --yes --config-out "$d/c10.conf"
out c10b | grep -q '^nothing to do'
check "10 KV v1: second run says nothing to do" $(( rc != 0 || $? )) "rc=$rc" "$(out c10b | tail -1)"

# --- 11. a Flask-style program through vaultshim-exec ---------------------------------------
d=$T/c11
fresh "$d" flask.env
mv "$d/flask.env" "$d/.env"
"${EXPECT[@]}" strip flask secrets "$d/.env" "$d/env.expected"
write_conf "$d/vaultshim.conf" <<CONF
[vault]
address = $VAULT_ADDR
token_file = $T/root-token
CONF
mig c11 --env-file "$d/.env" --path secret/flask/production --secrets-only --strip --yes --config-out "$d/vaultshim.conf"
check "11 flask: migrate --strip --config-out exit 0" $rc "rc=$rc" "$(err c11)"
cmp -s "$d/.env" "$d/env.expected"
check "11 flask: the .env keeps its non-secret settings only" $?
"${EXPECT[@]}" leaks flask "$d/.env" >"$T/c11.diag" 2>&1
check "11 flask: no secret value left in the .env" $? "$(cat "$T/c11.diag")"
# the app: load_dotenv-style (without override) from the stripped .env, then
# read its settings from os.environ; print digests
APP='import os, sys, hashlib
for line in open(".env", encoding="utf-8"):
    line = line.strip()
    if line and not line.startswith("#") and "=" in line:
        k, v = line.split("=", 1)
        os.environ.setdefault(k.strip(), v.strip())
for n in sys.argv[1:]:
    v = os.environb.get(n.encode())
    print(n, "UNSET" if v is None else hashlib.sha256(v).hexdigest())'
# shellcheck disable=SC2046
(cd "$d" && timeout 20 env -i PATH=/usr/bin:/bin HOME="$d" VAULTSHIM_LIB="$SO" VAULTSHIM_BIN="$VS" \
	"$ROOT/scripts/vaultshim-exec" -c "$d/vaultshim.conf" -- /usr/bin/python3 -c "$APP" \
	$("${EXPECT[@]}" names flask all)) >"$T/c11.txt" 2>"$T/c11.err"
"${EXPECT[@]}" digests flask all "$T/c11.txt" >"$T/c11.diag" 2>&1
check "11 flask: through vaultshim-exec the app sees every setting with its original value" $? \
	"$(cat "$T/c11.diag")" "$(head -3 "$T/c11.err")"

# --- 12. more edges ---------------------------------------------------------------------------
# two --strip runs on one file within the same second (a script migrating two
# key sets): the second backup must not collide with the first
d=$T/c12
mkdir -p "$d"
printf 'A_TOKEN=first-key-set-value\nB_TOKEN=second-key-set-value\nPORT=1\n' >"$d/two.env"
cp "$d/two.env" "$d/two.orig"
sleep "$(python3 -c 'import time; print(round(1.02 - time.time() % 1, 3))')"
mig c12a --env-file "$d/two.env" --path secret/c12 --keys A_TOKEN --strip --yes
rc1=$rc
mig c12b --env-file "$d/two.env" --path secret/c12 --keys B_TOKEN --strip --yes
check "12 two --strip runs in the same second: both exit 0" $(( rc1 != 0 || rc != 0 )) "rc=$rc1,$rc" "$(err c12b)"
[ "$(cat "$d/two.env")" = PORT=1 ] && [ "$(nbackups "$d/two.env")" = 2 ]
check "12 two --strip runs in the same second: both stripped, two backups" $? \
	"$(grep -c TOKEN "$d/two.env") TOKEN lines left, $(nbackups "$d/two.env") backups"
cmp -s "$(backups "$d/two.env" | head -1)" "$d/two.orig"
check "12 two --strip runs: the first backup still holds the original" $?
# the destination's latest version was deleted (vault kv delete): Vault keeps
# its metadata, so a write needs cas = current_version, not 0
vapi POST /v1/secret/data/c12/deleted '{"data":{"OLD_FIELD":"old-deleted-value"}}' >/dev/null
vapi DELETE /v1/secret/data/c12/deleted >/dev/null
printf 'DEL_TOKEN=after-delete-value-9\n' >"$d/del.env"
mig c12c --env-file "$d/del.env" --path secret/c12/deleted --all --yes
check "12 destination whose latest version is deleted: exit 0" $rc "rc=$rc" "$(err c12c)"
vapi GET /v1/secret/data/c12/deleted | python3 -c 'import json,sys
d=(json.load(sys.stdin).get("data") or {}).get("data") or {}
sys.exit(0 if d.get("DEL_TOKEN") == "after-delete-value-9" else 1)'
check "12 destination whose latest version is deleted: the value reads back" $?
# a symlinked .env (.env -> real/.env.production): --strip must strip the real
# file and keep the link, or refuse; never replace the link and leave every
# secret in the target
mkdir -p "$d/real"
printf 'LINK_TOKEN=linked-secret-value-7\nPORT=1\n' >"$d/real/.env.production"
ln -s real/.env.production "$d/link.env"
t0=$(sum "$d/real/.env.production")
mig c12d --env-file "$d/link.env" --path secret/c12/link --all --strip --yes
if [ $rc = 0 ]; then
	[ -L "$d/link.env" ] && ! grep -q linked-secret-value "$d/real/.env.production"
else
	[ -L "$d/link.env" ] && [ "$(sum "$d/real/.env.production")" = "$t0" ]
fi
check "12 --strip of a symlinked .env strips its target (or refuses)" $? "rc=$rc" \
	"link.env is $( [ -L "$d/link.env" ] && echo a symlink || echo "no longer a symlink")" \
	"target still holds the value: $(grep -c linked-secret-value "$d/real/.env.production")"

# --- 13. review findings: the path is checked first; other fields keep their types ------------
d=$T/c13; mkdir -p "$d"
printf 'C13_TOKEN=c13-value-for-types\n' > "$d/t.env"
ctl DELETE counters
mig c13-badpath --env-file "$d/t.env" --path 'secret/c13//x' --all --yes
n=$(requests_total)
grep -q "^vaultshim: migrate: --path 'secret/c13//x': .*empty segment" "$T/log/c13-badpath.err"
check "13 a --path the config cannot map is refused (64) before any request" $(( rc != 64 || n != 0 || $? )) \
	"rc=$rc requests=$n $(err c13-badpath)"
vapi POST /v1/secret/data/c13/typed '{"data":{"port":5432,"nested":{"a":1},"flag":true,"ratio":0.5}}' >/dev/null
mig c13-types --env-file "$d/t.env" --path secret/c13/typed --all --yes
vapi GET /v1/secret/data/c13/typed | python3 -c '
import json, sys
d = json.load(sys.stdin)["data"]["data"]
assert d["port"] == 5432 and d["nested"] == {"a": 1} and d["flag"] is True and d["ratio"] == 0.5, d
assert d["C13_TOKEN"] == "c13-value-for-types"'
check "13 fields already in the secret keep their JSON types (number, object, bool)" $(( rc || $? )) "rc=$rc $(err c13-types)"

# --- 14. a KV v2 --path written with the API's data/ -----------------------------------------
d=$T/c14; mkdir -p "$d"
printf 'C14_TOKEN=c14-value\n' > "$d/t.env"
mig c14-data --env-file "$d/t.env" --path secret/data/c14 --all --yes --config-out "$d/c14.conf"
grep -q "secret/data/c14: on the KV v2 mount secret/ this writes the secret data/c14 .*: secret/c14" "$T/log/c14-data.err"
check "14 migrate --path secret/data/x on KV v2 says which secret it writes and the path vault kv takes" \
	$(( rc || $? )) "rc=$rc $(err c14-data)"

# --- 15. ready for operators: a config that runs on its own, the backup kept
# out of the working tree, files rewritten as they were ---------------------------
# appvals: the names and random values of an app's .env (no value is printed:
# the checks compare sha256 digests)
declare -A V15
v15_env() { # v15_env FILE NAME...: a .env holding those names (fresh values) and PORT
	local f=$1 n
	shift
	: >"$f"
	for n in "$@"; do
		V15[$n]=op-$(rand)
		printf '%s=%s\n' "$n" "${V15[$n]}" >>"$f"
	done
	printf 'PORT=8080\n' >>"$f"
}
# served LOG CONF NAME... [-- ENV...]: a python3 program (eager) under the
# launcher with a bare environment (PATH and the given ENV only); 0 when it
# prints every name's digest as in V15
PYD='import os, sys, hashlib
for n in sys.argv[1:]:
    v = os.environb.get(n.encode())
    print(n, "UNSET" if v is None else hashlib.sha256(v).hexdigest())'
served() {
	local log=$1 conf=$2 names=() extra=() n
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do names+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	extra=("$@")
	timeout 20 env -i PATH=/usr/bin:/bin "${extra[@]}" "$VS" exec -c "$conf" -- /usr/bin/python3 -c "$PYD" \
		"${names[@]}" >"$T/log/$log.out" 2>"$T/log/$log.err"
	rc=$?
	[ $rc = 0 ] || return 1
	for n in "${names[@]}"; do
		grep -qx "$n $(printf '%s' "${V15[$n]}" | sha256sum | cut -d' ' -f1)" "$T/log/$log.out" || return 1
	done
}
# a [vault] key's value in a config, unquoted
vkey() { sed -n "/^\[vault\]/,/^\[/s/^$2 = \"\\{0,1\\}\([^\"]*\)\"\\{0,1\\}\$/\1/p" "$1" | head -1; }
# required_all CONF NAME...: each name mapped with 'required'
required_all() {
	local c=$1 n
	shift
	for n in "$@"; do grep -Eq "^$n = \"[^\"]*#$n\" required$" "$c" || return 1; done
}
d=$T/c15
mkdir -p "$d"

# (a) token from a token_file (-c a config holding the connection): the new
# config carries address and token_file, never the token
v15_env "$d/a.env" A_TOKEN A_PASSWORD
write_conf "$d/conn.conf" <<CONF
[vault]
address = $VAULT_ADDR
token_file = $T/root-token
CONF
(unset VAULT_TOKEN VAULT_ADDR; mig c15a -c "$d/conn.conf" --env-file "$d/a.env" --path secret/c15/a --all --strip --yes \
	--config-out "$d/a.conf"; exit $rc)
rc=$?
check "15a token_file: exit 0" $rc "rc=$rc" "$(err c15a)"
[ "$(vkey "$d/a.conf" address)" = "$VAULT_ADDR" ] && [ "$(vkey "$d/a.conf" token_file)" = "$T/root-token" ]
check "15a the written config's [vault] has the address and token_file the migration used" $? "$(sed -n '/^\[vault\]/,/^\[env\]/p' "$d/a.conf")"
required_all "$d/a.conf" A_TOKEN A_PASSWORD
check "15a the moved names are marked required" $? "$(grep -E '^[A-Z_]+ =' "$d/a.conf")"
served c15a-run "$d/a.conf" A_TOKEN A_PASSWORD
check "15a a program run with only the written config (env -i PATH) gets the values" $? "rc=$rc" "$(head -3 "$T/log/c15a-run.err")"

# (b) token from VAULT_TOKEN: the config cannot carry it and says so; the
# address is carried (the run below has no VAULT_ADDR)
v15_env "$d/b.env" B_SECRET
mig c15b --env-file "$d/b.env" --path secret/c15/b --all --yes --config-out "$d/b.conf"
check "15b VAULT_TOKEN: exit 0" $rc "rc=$rc" "$(err c15b)"
grep -q "^vaultshim: migrate: $d/b.conf: the config reads the token from VAULT_TOKEN, .*; set VAULT_TOKEN .* or token_file" "$T/log/c15b.err"
check "15b the message says the config reads the token from VAULT_TOKEN: set VAULT_TOKEN or token_file" $? "$(err c15b)"
[ "$(vkey "$d/b.conf" address)" = "$VAULT_ADDR" ] && [ -z "$(vkey "$d/b.conf" token_file)" ]
check "15b [vault] has the address, no token_file" $? "$(sed -n '/^\[vault\]/,/^\[env\]/p' "$d/b.conf")"
served c15b-run "$d/b.conf" B_SECRET -- VAULT_TOKEN="$ROOT_TOKEN"
check "15b a program with the written config and VAULT_TOKEN alone (no VAULT_ADDR) gets the value" $? "rc=$rc" "$(head -3 "$T/log/c15b-run.err")"
served c15b-none "$d/b.conf" B_SECRET
check "15b without any token the program is not started (required: 65)" $(( rc != 65 )) "rc=$rc" "$(head -3 "$T/log/c15b-none.err")"

# (c) token from ~/.vault-token: its path is written (a bare environment has no HOME)
mkdir -p "$d/home"
cp "$T/root-token" "$d/home/.vault-token"
chmod 600 "$d/home/.vault-token"
v15_env "$d/c.env" C_KEY
(unset VAULT_TOKEN; HOME=$d/home mig c15c --env-file "$d/c.env" --path secret/c15/c --all --yes --config-out "$d/c.conf"; exit $rc)
rc=$?
check "15c ~/.vault-token: exit 0" $rc "rc=$rc" "$(err c15c)"
[ "$(vkey "$d/c.conf" token_file)" = "$d/home/.vault-token" ]
check "15c token_file names the ~/.vault-token the migration read" $? "$(sed -n '/^\[vault\]/,/^\[env\]/p' "$d/c.conf")"
served c15c-run "$d/c.conf" C_KEY
check "15c a program with only the written config gets the value" $? "rc=$rc" "$(head -3 "$T/log/c15c-run.err")"

# (d) AppRole: auth, auth_mount, role_id_file and secret_id_file carried; no
# role_id or secret_id value anywhere in the config
vapi PUT /v1/sys/policies/acl/c15 '{"policy":"path \"secret/*\" { capabilities = [\"create\",\"read\",\"update\"] }"}' >/dev/null
vapi POST /v1/sys/auth/ops-approle '{"type":"approle"}' >/dev/null
vapi POST /v1/auth/ops-approle/role/c15 '{"token_policies":["c15"]}' >/dev/null
vapi GET /v1/auth/ops-approle/role/c15/role-id | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["role_id"])' >"$d/rid"
vapi POST /v1/auth/ops-approle/role/c15/secret-id '{}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["secret_id"])' >"$d/sid"
chmod 600 "$d/rid" "$d/sid"
write_conf "$d/ar.conf" <<CONF
[vault]
address = $VAULT_ADDR
auth = approle
auth_mount = ops-approle
role_id_file = $d/rid
secret_id_file = $d/sid
CONF
v15_env "$d/d.env" D_TOKEN
(unset VAULT_TOKEN; mig c15d -c "$d/ar.conf" --env-file "$d/d.env" --path secret/c15/d --all --yes --config-out "$d/d.conf"; exit $rc)
rc=$?
check "15d AppRole: exit 0" $rc "rc=$rc" "$(err c15d)"
[ "$(vkey "$d/d.conf" auth)" = approle ] && [ "$(vkey "$d/d.conf" auth_mount)" = ops-approle ] &&
	[ "$(vkey "$d/d.conf" role_id_file)" = "$d/rid" ] && [ "$(vkey "$d/d.conf" secret_id_file)" = "$d/sid" ]
check "15d [vault] has auth, auth_mount, role_id_file, secret_id_file" $? "$(sed -n '/^\[vault\]/,/^\[env\]/p' "$d/d.conf")"
! grep -qF -e "$(cat "$d/rid")" -e "$(cat "$d/sid")" "$d/d.conf"
check "15d neither the role_id nor the secret_id is in the config" $?
served c15d-run "$d/d.conf" D_TOKEN
check "15d a program with only the written config logs in and gets the value" $? "rc=$rc" "$(head -3 "$T/log/c15d-run.err")"
for c in a b c d; do grep -qF "$ROOT_TOKEN" "$d/$c.conf" && echo "$c.conf"; done >"$T/c15tok"
grep -rlF "$ROOT_TOKEN" "$BK" >>"$T/c15tok" 2>/dev/null
check "15 no token in any written config or in the backup directory" "$(grep -c . "$T/c15tok")" "$(cat "$T/c15tok")"

# (e) the backup: in \$XDG_STATE_HOME/vaultshim (0700), 0600, named after the
# .env and the time, the message says where; nothing beside the .env
b=$(backups "$d/a.env")
[ "$(echo "$b" | grep -c .)" = 1 ] && [[ ${b##*/} =~ ^${d#/}/a\.env\.backup\.[0-9]{8}T[0-9]{6}Z$ || ${b##*/} =~ ^$(esc "$d/a.env")\.backup\.[0-9]{8}T[0-9]{6}Z$ ]]
check "15e backup in \$XDG_STATE_HOME/vaultshim, named <the .env's path>.backup.<UTC>" $? "$b" "$(ls -a "$BK" | head -5)"
[ -n "$b" ] && [ "$(mode_of "$BK")" = 700 ] && [ "$(mode_of "$b")" = 600 ]
check "15e the directory is 0700, the backup 0600" $? "dir $(mode_of "$BK") file $( [ -n "$b" ] && mode_of "$b")"
[ -z "$(compgen -G "$d/a.env.*")" ] && [ -z "$(compgen -G "$d/.a.env*")" ]
check "15e nothing written beside the .env" $? "$(ls -a "$d" | grep a.env)"
out c15a | grep -qF "the original is in $b (mode 0600)"
check "15e the message says where the backup is" $? "$(out c15a | tail -1)"
# XDG_STATE_HOME unset: ~/.local/state/vaultshim, created 0700 with its parents
v15_env "$d/e.env" E_TOKEN
(unset XDG_STATE_HOME; HOME=$d/h2 mig c15e --env-file "$d/e.env" --path secret/c15/e --all --strip --yes; exit $rc)
rc=$?
b=$(backups "$d/e.env" "$d/h2/.local/state/vaultshim")
[ $rc = 0 ] && [ "$(echo "$b" | grep -c .)" = 1 ] && [ "$(mode_of "$d/h2/.local/state/vaultshim")" = 700 ] &&
	[ "$(mode_of "$d/h2/.local/state")" = 700 ] && [ "$(mode_of "$b")" = 600 ]
check "15e without XDG_STATE_HOME: ~/.local/state/vaultshim/ (0700, parents 0700), backup 0600" $? "rc=$rc" "$b" "$(err c15e)"
# --backup-dir
v15_env "$d/f.env" F_TOKEN
mig c15f --env-file "$d/f.env" --path secret/c15/f --all --strip --yes --backup-dir "$d/bk"
b=$(backups "$d/f.env" "$d/bk")
[ $rc = 0 ] && [ "$(echo "$b" | grep -c .)" = 1 ] && [ "$(mode_of "$d/bk")" = 700 ] && out c15f | grep -qF "the original is in $b"
check "15e --backup-dir DIR: the backup there (created 0700), the message names it" $? "rc=$rc" "$b" "$(out c15f | tail -1)" "$(err c15f)"
# an unsafe backup directory is refused before anything is written
for kind in open owned; do
	mkdir -p "$d/bad-$kind"
	if [ $kind = open ]; then chmod 755 "$d/bad-$kind"; else chmod 700 "$d/bad-$kind"; chown 1234:1234 "$d/bad-$kind"; fi
	v15_env "$d/g-$kind.env" G_TOKEN
	s0=$(sum "$d/g-$kind.env")
	mig c15g-$kind --env-file "$d/g-$kind.env" --path secret/c15/g$kind --all --strip --yes --backup-dir "$d/bad-$kind"
	want="open to group or others (mode 0755); chmod 700 it" what="open to others"
	[ $kind = owned ] && want="owned by uid 1234" what="of another user"
	[ $rc = 77 ] && grep -qF "$want" "$T/log/c15g-$kind.err" && [ "$(version c15/g$kind)" = 0 ] &&
		[ "$(sum "$d/g-$kind.env")" = "$s0" ] && [ -z "$(ls -A "$d/bad-$kind")" ]
	check "15e a backup directory $what is refused (77), nothing written" $? \
		"rc=$rc version=$(version c15/g$kind)" "$(err c15g-$kind)"
done

# (f) --config-out a symlink: written through, the link kept; mode kept
mkdir -p "$d/etc"
write_conf "$d/etc/app.conf" <<CONF
[vault]
address = $VAULT_ADDR
token_file = $T/root-token
CONF
chmod 640 "$d/etc/app.conf"
ln -s etc/app.conf "$d/link.conf"
v15_env "$d/h.env" H_TOKEN
mig c15h --env-file "$d/h.env" --path secret/c15/h --all --strip --yes --config-out "$d/link.conf"
check "15f --config-out a symlink: exit 0" $rc "rc=$rc" "$(err c15h)"
[ -L "$d/link.conf" ] && [ "$(readlink "$d/link.conf")" = etc/app.conf ] && grep -q '^H_TOKEN = ' "$d/etc/app.conf"
check "15f the config stays a symlink, its target gets the mapping" $? "$(ls -l "$d/link.conf")"
grep -q '^H_TOKEN = ' "$d/etc/app.conf" && [ "$(mode_of "$d/etc/app.conf")" = 640 ] &&
	[ -z "$(ls -A "$d/etc" | grep -v '^app.conf$')" ]
check "15f the target, rewritten, keeps its mode (0640), no temp file left" $? "mode $(mode_of "$d/etc/app.conf")" "$(ls -A "$d/etc")"
served c15h-run "$d/link.conf" H_TOKEN
check "15f the program reads the value through the link" $? "rc=$rc" "$(head -3 "$T/log/c15h-run.err")"

# (g) run as root on an app's .env (uid 1234, gid 1235, 0640, through a
# symlink): stripped, owner, group and mode kept
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$d/app"
	v15_env "$d/app/.env.production" I_TOKEN
	ln -s .env.production "$d/app/.env"
	chown 1234:1235 "$d/app/.env.production"
	chmod 640 "$d/app/.env.production"
	mig c15i --env-file "$d/app/.env" --path secret/c15/i --all --strip --yes
	[ $rc = 0 ] && [ "$(stat -c '%u:%g %a' "$d/app/.env.production")" = "1234:1235 640" ] && [ -L "$d/app/.env" ] &&
		! grep -q I_TOKEN "$d/app/.env.production"
	check "15g --strip as root on a .env of uid 1234: stripped, owner:group 1234:1235 and mode 0640 kept, link kept" $? \
		"rc=$rc" "$(stat -c '%u:%g %a' "$d/app/.env.production")" "$(err c15i)"
	b=$(backups "$d/app/.env")
	[ -n "$b" ] && [ "$(stat -c '%u %a' "$b")" = "0 600" ]
	check "15g the backup is root's own, 0600" $? "$b $( [ -n "$b" ] && stat -c '%u %a' "$b")"
else
	skip "15g .env of another user (needs root to chown)"
fi

# (h) a failure midway loses nothing: a filesystem that refuses writes (a
# tmpfs remounted read-only: root ignores a directory's mode, not that) under
# the config (written before the strip), then under the .env
if mkdir -p "$d/ro" && mount -t tmpfs -o size=1m,mode=0700 tmpfs "$d/ro" 2>/dev/null; then
	trap 'umount "$d/ro" 2>/dev/null; cleanup' EXIT
	v15_env "$d/j.env" J_TOKEN
	v15_env "$d/ro/k.env" K_TOKEN
	chmod 640 "$d/j.env" "$d/ro/k.env"
	sj=$(sum "$d/j.env")
	sk=$(sum "$d/ro/k.env")
	mount -o remount,ro "$d/ro"
	mig c15j --env-file "$d/j.env" --path secret/c15/j --all --strip --yes --config-out "$d/ro/j.conf"
	[ $rc = 74 ] && [ "$(sum "$d/j.env")" = "$sj" ] && [ "$(mode_of "$d/j.env")" = 640 ] && [ ! -e "$d/ro/j.conf" ]
	check "15h the config cannot be written: exit 74, the .env intact (bytes, mode), no config" $? "rc=$rc" "$(err c15j)"
	grep -q "^vaultshim: migrate: cannot write the config: $d/ro/j.conf: .*Read-only file system; $d/j.env was not changed$" "$T/log/c15j.err"
	check "15h ... and the message says what failed and that the .env was not changed" $? "$(err c15j)"
	mig c15k --env-file "$d/ro/k.env" --path secret/c15/k --all --strip --yes --config-out "$d/k.conf"
	[ $rc = 74 ] && [ "$(sum "$d/ro/k.env")" = "$sk" ] && [ "$(mode_of "$d/ro/k.env")" = 640 ] && [ ! -e "$d/k.conf" ] &&
		[ -z "$(ls -A "$d" | grep -e 'vaultshim-tmp' -e '^\.k\.conf')" ]
	check "15h the .env cannot be rewritten: exit 74, the .env intact, the new config taken back, no temp file" $? "rc=$rc" \
		"$(ls -A "$d" | grep k.conf)" "$(err c15k)"
	grep -q "^vaultshim: migrate: cannot rewrite $d/ro/k.env: .*Read-only file system; it was not changed, and the config is restored$" "$T/log/c15k.err"
	check "15h ... and the message says so" $? "$(err c15k)"
	umount "$d/ro"
	trap cleanup EXIT
else
	skip "15h read-only filesystem (cannot mount a tmpfs here)"
fi

# --- 9. values never printed ------------------------------------------------------------------
for fx in nasty crlf flask; do
	"${EXPECT[@]}" leaks $fx "$T"/log/*.out "$T"/log/*.err >"$T/leak.diag" 2>&1
	rc=$?
	check "9 no $fx secret value in the stdout/stderr of any migrate run ($(ls "$T"/log | wc -l) files)" $rc "$(cat "$T/leak.diag")"
done
! grep -qF "$ROOT_TOKEN" "$T"/log/*
check "9 the token is never printed" $?
