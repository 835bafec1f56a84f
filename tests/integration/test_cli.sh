#!/bin/bash
# The vaultshim CLI against the dev server: check, get, run, exit codes,
# config discovery, and that no value or token ever reaches stderr/logs.
. "$(dirname "$0")/lib.sh"

start_server
api POST /v1/secret/data/store/dev/flask '{"data":{"secret_key":"sk-live-9f8e7d","mail_password":"m@il pass"}}' >/dev/null
api POST /v1/secret/data/store/dev/database '{"data":{"password":"db-p4ss w/ spaces","user":"store"}}' >/dev/null

write_conf "$T/app.conf" <<CONF
[vault]
address = $VAULT_ADDR
token_file = $T/root-token

[options]
on_error = fallback

[env]
SECRET_KEY   = secret/store/\${APP_ENV:-dev}/flask#secret_key   required
DB_PASSWORD  = secret/store/\${APP_ENV:-dev}/database#password
DB_USER      = secret/store/dev/database#user
MAIL_USER    = secret/store/dev/flask#mail_user  default="noreply@example.com"
CONF

# --- help and usage -------------------------------------------------------
out=$("$VAULTSHIM" --help); rc=$?
check "--help exits 0 and lists the commands" $(( rc != 0 )) 
echo "$out" | grep -q 'check \[-c FILE\]' && echo "$out" | grep -q 'run \[-c FILE\] -- CMD' &&
	echo "$out" | grep -q '78 config error'
check "--help names commands and exit codes" $?
for c in check get run; do
	"$VAULTSHIM" $c --help | grep -q "usage: vaultshim $c"
	check "$c --help" $?
done
"$VAULTSHIM" frobnicate 2>"$T/err"; rc=$?
check "unknown command exits 64" $(( rc != 64 )) "rc=$rc"
"$VAULTSHIM" get -c "$T/app.conf" 2>"$T/err"; rc=$?
check "get without NAME exits 64" $(( rc != 64 )) "rc=$rc"
"$VAULTSHIM" check --bogus 2>"$T/err"; rc=$?
grep -q "unknown option '--bogus'" "$T/err"
check "unknown option exits 64 and names it" $(( rc != 64 || $? )) "rc=$rc"

# --- check ------------------------------------------------------------------
VAULTSHIM_LOG=debug "$VAULTSHIM" check -c "$T/app.conf" >"$T/out" 2>"$T/err"; rc=$?
check "check exits 0 when everything resolves" $rc "$(cat "$T/err")"
grep -Eq '^SECRET_KEY +vault +[0-9.]+ +secret/store/dev/flask#secret_key$' "$T/out"
check "check row: name, source vault, ms, path#field" $? "$(cat "$T/out")"
grep -Eq '^MAIL_USER +default ' "$T/out"
check "check row: default source when the field is absent" $? "$(cat "$T/out")"
grep -q '4 names: 3 vault, 0 env, 0 dotenv, 1 default, 0 missing' "$T/out"
check "check summary counts sources" $? "$(tail -1 "$T/out")"
! grep -qE 'sk-live|db-p4ss|m@il|store$|noreply' "$T/out" "$T/err"
check "check never prints values, even at debug" $?
! grep -qF "$ROOT_TOKEN" "$T/out" "$T/err"
check "check never prints the token, even at debug" $?
control DELETE counters
"$VAULTSHIM" check -c "$T/app.conf" >/dev/null 2>&1
n=$(requests_total)
check "check: 2 unique paths = 1 mount lookup + 2 reads" $(( n != 3 )) "requests=$n"

"$VAULTSHIM" check -c "$T/app.conf" --json >"$T/json"; rc=$?
python3 - "$T/json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
names = {n["name"]: n for n in d["names"]}
assert d["status"] == 0, d
assert names["SECRET_KEY"]["source"] == "vault" and names["SECRET_KEY"]["required"] is True
assert names["MAIL_USER"]["source"] == "default" and "vault_error" in names["MAIL_USER"]
assert all("value" not in n for n in d["names"])
PY
check "check --json: parseable, sources, no values" $(( rc || $? ))

# --- get ----------------------------------------------------------------------
v=$("$VAULTSHIM" get -c "$T/app.conf" DB_PASSWORD)
check "get prints the value" $([ "$v" = "db-p4ss w/ spaces" ]; echo $?)
APP_ENV=prod "$VAULTSHIM" get -c "$T/app.conf" DB_PASSWORD >/dev/null 2>"$T/err"; rc=$?
check "get: \${APP_ENV} picks another path; not found and not required -> 65" $(( rc != 65 )) "rc=$rc"
APP_ENV=prod DB_PASSWORD=from-env "$VAULTSHIM" get -c "$T/app.conf" DB_PASSWORD >"$T/out" 2>/dev/null
check "get: falls back to the real environment" $(grep -qx from-env "$T/out"; echo $?)
"$VAULTSHIM" get -c "$T/app.conf" NOT_MAPPED 2>"$T/err"; rc=$?
check "get of an unmapped name exits 64" $(( rc != 64 )) "rc=$rc"

# --- run ----------------------------------------------------------------------
out=$("$VAULTSHIM" run -c "$T/app.conf" -- sh -c 'printf "%s|%s|%s" "$SECRET_KEY" "$DB_PASSWORD" "$VAULTSHIM_CONFIG"')
check "run exports values and VAULTSHIM_CONFIG" $([ "$out" = "sk-live-9f8e7d|db-p4ss w/ spaces|$T/app.conf" ]; echo $?) "got a different environment"
"$VAULTSHIM" run -c "$T/app.conf" -- sh -c 'exit 7'; rc=$?
check "run returns the command's status" $(( rc != 7 )) "rc=$rc"
"$VAULTSHIM" run -c "$T/app.conf" -- /nonexistent/cmd 2>"$T/err"; rc=$?
check "run: missing command exits 127" $(( rc != 127 )) "rc=$rc"
printf '#!/bin/sh\n' > "$T/noexec"; chmod 644 "$T/noexec"
"$VAULTSHIM" run -c "$T/app.conf" -- "$T/noexec" 2>"$T/err"; rc=$?
check "run: non-executable command exits 126" $(( rc != 126 )) "rc=$rc"
"$VAULTSHIM" run -c "$T/app.conf" 2>"$T/err"; rc=$?
check "run without a command exits 64" $(( rc != 64 )) "rc=$rc"

# --- required and on_error ----------------------------------------------------
api DELETE /v1/secret/metadata/store/dev/flask >/dev/null
"$VAULTSHIM" run -c "$T/app.conf" -- sh -c 'touch "$0"' "$T/ran" 2>"$T/err"; rc=$?
check "run: required secret missing exits 65" $(( rc != 65 )) "rc=$rc"
check "run: the command is not started" $([ ! -e "$T/ran" ]; echo $?)
[ "$(wc -l < "$T/err")" -eq 1 ] && grep -qE "^${LOG_ERR}run: SECRET_KEY \(secret/store/dev/flask#secret_key\): required but missing: .*not found.*; fix Vault's answer, or give SECRET_KEY a fallback \(the environment, dotenv, default=\)$" "$T/err"
check "run: one line naming the variable, the path, the reason and the fix" $? "$(cat "$T/err")"
SECRET_KEY=from-env "$VAULTSHIM" run -c "$T/app.conf" -- sh -c 'test "$SECRET_KEY" = from-env'
check "run: a required secret may come from the environment" $?

stop_server
sed 's/on_error = fallback/on_error = fail/' "$T/app.conf" > "$T/fail.conf"; chmod 600 "$T/fail.conf"
SECRET_KEY=x DB_PASSWORD=y DB_USER=z "$VAULTSHIM" run -c "$T/fail.conf" -- true 2>"$T/err"; rc=$?
check "on_error = fail, Vault down: exit 69 even with the environment set" $(( rc != 69 )) "rc=$rc $(cat "$T/err")"
grep -q 'cannot reach Vault' "$T/err"
check "on_error = fail: the message says Vault is unreachable" $? "$(cat "$T/err")"
SECRET_KEY=env-sk "$VAULTSHIM" run -c "$T/app.conf" -- sh -c 'test "$SECRET_KEY" = env-sk && test "$MAIL_USER" = noreply@example.com' 2>"$T/err"
check "on_error = fallback, Vault down: environment and defaults answer" $? "$(cat "$T/err")"

# --- config errors and discovery ----------------------------------------------
printf '[vault]\naddress = http://x\n[envv]\n' > "$T/bad.conf"; chmod 600 "$T/bad.conf"
"$VAULTSHIM" check -c "$T/bad.conf" >/dev/null 2>"$T/err"; rc=$?
grep -q "^vaultshim: config: $T/bad.conf:3: unknown section '\[envv\]'" "$T/err"
check "config error: exit 78 with FILE:LINE: reason" $(( rc != 78 || $? )) "rc=$rc $(cat "$T/err")"
chmod 664 "$T/app.conf"
"$VAULTSHIM" check -c "$T/app.conf" >/dev/null 2>"$T/err"; rc=$?
check "group-writable config: exit 77" $(( rc != 77 )) "rc=$rc $(cat "$T/err")"
chmod 600 "$T/app.conf"
"$VAULTSHIM" check -c "$T/nope.conf" >/dev/null 2>"$T/err"; rc=$?
check "missing config: exit 78 naming the file" $(( rc != 78 )) "rc=$rc"

mkdir -p "$T/proj"; cp "$T/app.conf" "$T/proj/vaultshim.conf"; chmod 600 "$T/proj/vaultshim.conf"
out=$(cd "$T/proj" && SECRET_KEY=a DB_PASSWORD=b "$VAULTSHIM" run -- sh -c 'echo "$VAULTSHIM_CONFIG"' 2>/dev/null)
check "./vaultshim.conf is found and passed on as an absolute path" $([ "$out" = "$T/proj/vaultshim.conf" ]; echo $?) "got '$out'"
out=$(cd "$T/proj" && VAULTSHIM_CONFIG="$T/app.conf" SECRET_KEY=a "$VAULTSHIM" run -- sh -c 'echo "$VAULTSHIM_CONFIG"' 2>/dev/null)
check "VAULTSHIM_CONFIG wins over ./vaultshim.conf" $([ "$out" = "$T/app.conf" ]; echo $?) "got '$out'"

# --- dynamic secrets: check mints nothing unless --dynamic, which revokes --------------
start_server
write_conf "$T/lease.conf" <<CONF
[vault]
address = $VAULT_ADDR
token_file = $T/root-token
[env]
DB_USER = database/creds/app#username
DB_PASS = database/creds/app#password
CONF
# the leases Vault holds under database/creds/app/ (a LIST needs sudo: the root token)
control DELETE counters
"$VAULTSHIM" check -c "$T/lease.conf" >"$T/out" 2>"$T/err"; rc=$?
grep -Eq '^DB_USER +dynamic +[0-9.]+ +database/creds/app#username +\(dynamic: not read' "$T/out" &&
	grep -q '2 names: 0 vault, 0 env, 0 dotenv, 0 default, 0 missing, 2 dynamic (not read)' "$T/out"
check "check shows a dynamic secret as dynamic and exits 0" $(( rc || $? )) "$(cat "$T/out" "$T/err")"
n=$(requests_for "GET database/creds/app")
check "check reads no dynamic secret: no credential minted" $(( n != 0 )) "reads=$n"
check "check leaves no lease behind" $(( $(leases_left) != 0 )) "leases=$(leases_left)"
control DELETE counters
"$VAULTSHIM" exec -c "$T/lease.conf" --check -- true >"$T/out" 2>"$T/err"; rc=$?
n=$(requests_for "GET database/creds/app")
check "exec --check before a program that reads nothing mints no credential" $(( rc || n != 0 )) \
	"rc=$rc reads=$n $(cat "$T/err")"

control DELETE counters
"$VAULTSHIM" check -c "$T/lease.conf" --dynamic >"$T/out" 2>"$T/err"; rc=$?
grep -Eq '^DB_USER +vault +[0-9.]+ +database/creds/app#username +lease 3600s, revoked$' "$T/out" &&
	grep -q '1 lease(s) revoked, 0 not' "$T/out"
check "check --dynamic shows the lease and that it is revoked" $(( rc || $? )) "$(cat "$T/out" "$T/err")"
n=$(requests_for "GET database/creds/app")
check "check --dynamic: two fields of one dynamic secret, one read" $(( n != 1 )) "reads=$n"
check "check --dynamic leaves no lease behind" $(( $(leases_left) != 0 )) "leases=$(leases_left)"
"$VAULTSHIM" check -c "$T/lease.conf" --dynamic --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert all(n["lease_duration"] == 3600 and n["lease_revoked"] for n in d["names"]), d
assert d["leases_revoked"] == 1 and d["leases_kept"] == 0, d'
check "check --dynamic --json carries lease_duration, lease_revoked and the counts" $?

# a login's token that may not use sys/leases/revoke (the default policy does
# not grant it) revokes itself, and Vault its leases with it
api PUT /v1/sys/policies/acl/dbread '{"policy":"path \"database/creds/*\" { capabilities = [\"read\"] }"}' >/dev/null
api POST /v1/sys/auth/approle '{"type":"approle"}' >/dev/null
api POST /v1/auth/approle/role/dbapp '{"token_policies":["dbread"]}' >/dev/null
api GET /v1/auth/approle/role/dbapp/role-id | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["role_id"])' >"$T/db-rid"
api POST /v1/auth/approle/role/dbapp/secret-id '{}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["secret_id"])' >"$T/db-sid"
chmod 600 "$T/db-rid" "$T/db-sid"
write_conf "$T/lease-approle.conf" <<CONF
[vault]
address = $VAULT_ADDR
auth = approle
role_id_file = $T/db-rid
secret_id_file = $T/db-sid
[env]
DB_USER = database/creds/app#username
CONF
control DELETE counters
"$VAULTSHIM" check -c "$T/lease-approle.conf" --dynamic >"$T/out" 2>"$T/err"; rc=$?
grep -q '1 lease(s) revoked, 0 not' "$T/out"
check "check --dynamic as AppRole without sys/leases/revoke: the lease revoked all the same" \
	$(( rc || $? )) "$(cat "$T/out" "$T/err")"
n=$(requests_for "POST auth/token/revoke-self")
check "... by the login's token revoking itself" $(( n != 1 )) "revoke-self=$n"
check "... and no lease is left" $(( $(leases_left) != 0 )) "leases=$(leases_left)"

# a token the user gave is never revoked: a lease it may not revoke fails check
new_token '{"policies":["dbread"]}' >"$T/db-token"
chmod 600 "$T/db-token"
DB_TOKEN=$(cat "$T/db-token")
sed "s|token_file = .*|token_file = $T/db-token|" "$T/lease.conf" | write_conf "$T/lease-user.conf"
"$VAULTSHIM" check -c "$T/lease-user.conf" --dynamic >"$T/out" 2>"$T/err"; rc=$?
grep -q 'not revoked' "$T/err" && grep -q 'sys/leases/revoke' "$T/err" && grep -q 'NOT revoked' "$T/out"
check "check --dynamic with a lease it may not revoke exits 77 and says what to grant" \
	$(( rc != 77 || $? )) "rc=$rc $(cat "$T/out" "$T/err")"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Vault-Token: $DB_TOKEN" "$VAULT_ADDR/v1/auth/token/lookup-self")
check "... and the user's own token still works" $(( code != 200 )) "lookup-self=$code"
! grep -qF "$DB_TOKEN" "$T/out" "$T/err"
check "... and neither output shows the token" $?
