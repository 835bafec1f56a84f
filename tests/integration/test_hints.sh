#!/bin/bash
# Hints where users get stuck (issue 15, item 10): each message that reports
# a problem the user can act on names the fix — the config key, variable,
# command or file mode to change. One case a row: trigger the message, check
# its exit code and that the line carries the fix, and that no value or
# token is in it.
. "$(dirname "$0")/lib.sh"

start_server
SO=$ROOT/${VAULTSHIM_TEST_BUILD:-build}/libvaultshim.so
PW=$(rand)
api POST /v1/secret/data/app/db "{\"data\":{\"password\":\"$PW\"}}" >/dev/null
api POST /v1/secret/data/app/gone '{"data":{"k":"v"}}' >/dev/null
api DELETE /v1/secret/data/app/gone >/dev/null

# hint NAME RC FIX CMD...: CMD exits RC and its stderr holds FIX (a fixed
# string) on the line that reports the problem; no value, no token
hint() {
	local name=$1 want=$2 fix=$3 rc
	shift 3
	"$@" >"$T/out" 2>"$T/err" </dev/null; rc=$?
	[ "$rc" -eq "$want" ] && grep -qF -- "$fix" "$T/err" && ! grep -qF -e "$PW" -e "$ROOT_TOKEN" "$T/err"
	check "$name: exit $want, the line names the fix" $? "rc=$rc" "$(cat "$T/err")"
}

# --- names and fields ----------------------------------------------------------------
C=$(C_ENV='DB_PASSWORD = secret/app/db#password
NO_FIELD    = secret/app/db#nofield
NO_PATH     = secret/app/nothere#x
GONE        = secret/app/gone#k
REQ         = secret/app/nothere#y  required' conf names)
hint "get NAME not mapped" 64 "add a line 'NOPE = path#field' to its [env]" "$VAULTSHIM" get -c "$C" NOPE
hint "get: no value anywhere" 65 "fix Vault's answer, or give it a fallback (set NO_PATH in the environment, or default= on its line in [env])" \
	"$VAULTSHIM" get -c "$C" NO_PATH
hint "get: no such field" 65 "no field 'nofield'; name one of its keys after the # in [env] ('vault kv get' lists them)" \
	"$VAULTSHIM" get -c "$C" NO_FIELD
hint "get: a 404" 65 "not found (404); write the secret there, or fix its path in [env] (as 'vault kv get' takes it)" \
	"$VAULTSHIM" get -c "$C" NO_PATH
hint "get: the latest version deleted" 65 "is deleted; undelete it (vault kv undelete), or write it again" \
	"$VAULTSHIM" get -c "$C" GONE
hint "run: required but missing" 65 "give REQ a fallback (the environment, dotenv, default=)" \
	"$VAULTSHIM" run -c "$C" -- /bin/true

# --- a KV v2 API path written where the CLI's belongs keeps its own hint ----------
C=$(C_ENV='DB_PASSWORD = secret/data/app/db#password' conf datapath)
"$VAULTSHIM" get -c "$C" DB_PASSWORD >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 65 ] && grep -qF "name the secret without data/: secret/app/db" "$T/err" &&
	! grep -qF "write the secret there" "$T/err"
check "get: secret/data/... on KV v2: the data/ hint, not the generic 404 one" $? "rc=$rc" "$(cat "$T/err")"

# --- tokens --------------------------------------------------------------------------
printf 'hvs.not-a-token\n' >"$T/bad-token"
chmod 600 "$T/bad-token"
C=$(C_TOKEN=$T/bad-token conf badtoken)
hint "a token Vault refuses" 65 "is invalid, expired or revoked; give a valid one there" \
	"$VAULTSHIM" get -c "$C" DB_PASSWORD
DEFAULT_ONLY=$(new_token '{"policies":["default"],"no_default_policy":false}')
printf '%s\n' "$DEFAULT_ONLY" >"$T/weak-token"
chmod 600 "$T/weak-token"
C=$(C_TOKEN=$T/weak-token conf weak)
"$VAULTSHIM" get -c "$C" DB_PASSWORD >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 65 ] && grep -qF "permission denied (403" "$T/err" &&
	grep -qF "the token's policies do not grant read on this path: add it to one of them (on KV v2, as mount/data/name)" "$T/err" &&
	! grep -qF -e "$DEFAULT_ONLY" -e "$PW" "$T/err"
check "a valid token its policies refuse: exit 65, the line names the policy fix" $? "rc=$rc" "$(cat "$T/err")"
: >"$T/empty-token"
chmod 600 "$T/empty-token"
C=$(C_TOKEN=$T/empty-token conf emptytoken "on_error = fail")
hint "an empty token file" 77 "token file is empty; write the credential into it, or point the config at the file that holds it" \
	"$VAULTSHIM" check -c "$C"
C=$(C_TOKEN=/nonexistent conf notoken "on_error = fail")
sed -i '/^token_file/d' "$C"
hint "VAULT_TOKEN with a blank" 77 "holds spaces or control characters; give the token alone, with nothing around it" \
	env VAULT_TOKEN="a b" HOME="$T" "$VAULTSHIM" check -c "$C"

# --- connection settings -------------------------------------------------------------
C=$(C_ADDR=http://127.0.0.1:9 conf unreachable)
hint "Vault not reachable" 65 "check address in [vault] (or VAULT_ADDR) and that Vault runs there" \
	"$VAULTSHIM" get -c "$C" DB_PASSWORD
C=$(C_ADDR=unix:// conf nosocket "on_error = fail")
hint "unix:// with no socket path" 78 "write unix:// and the socket's absolute path" "$VAULTSHIM" check -c "$C"
C=$(conf plain "on_error = fail")
hint "VAULT_SKIP_VERIFY not a boolean" 78 "set it to true or false, or unset it" \
	env VAULT_SKIP_VERIFY=maybe "$VAULTSHIM" check -c "$C"
control POST seal
hint "a sealed Vault (on_error = fail)" 69 "is sealed (503); unseal it (vault operator unseal)" "$VAULTSHIM" get -c "$C" DB_PASSWORD
control POST unseal
control POST faults '{"path":"secret/data/app/db","delay_ms":3000}'
C=$(C_VAULT='timeout = 1s
max_retries = 0' conf slow)
hint "Vault slower than timeout" 65 "raise timeout in [vault] (or VAULT_CLIENT_TIMEOUT) if it is slow, else check it is up" \
	"$VAULTSHIM" get -c "$C" DB_PASSWORD
control DELETE faults

# --- dotenv --------------------------------------------------------------------------
printf 'DB_PASSWORD=${OTHER}\n' >"$T/interp.env"
C=$(C_ADDR=http://127.0.0.1:9 conf dotenv "dotenv = $T/interp.env")
hint "a \${...} in the dotenv file" 0 'is kept literally, not expanded; write the value itself there' \
	"$VAULTSHIM" get -c "$C" DB_PASSWORD
C=$(C_ADDR=http://127.0.0.1:9 C_ENV='API_KEY = secret/app/api#key  default=d' conf nodotenv "dotenv = $T/nothere.env")
hint "a dotenv file that is not there" 0 "; fix dotenv in [options] of $C, or the file" \
	env VAULTSHIM_LOG=warn "$VAULTSHIM" get -c "$C" API_KEY

# --- files and their owners ----------------------------------------------------------
C=$(conf owned)
cp "$C" "$T/other.conf"
chown 65534 "$T/other.conf" 2>/dev/null
if [ "$(id -u)" = 0 ] && [ "$(stat -c %u "$T/other.conf")" = 65534 ]; then
	hint "a config owned by someone else" 77 "(expected uid 0 or root); chown it to one of them" \
		"$VAULTSHIM" check -c "$T/other.conf"
	hint "a config in a directory the user cannot search" 77 "give uid 65534 search permission on its directories (chmod o+x), or name another file with -c" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$VAULTSHIM" check -c "$C"
else
	skip "not root: a config owned by another uid, an unsearchable directory"
	skip "not root: an unsearchable directory"
fi

# --- the preload ---------------------------------------------------------------------
C=$(conf preload)
hint "VAULTSHIM_MODE not understood" 64 "is not one of lazy, eager, auto; set it to one of them, or unset it (auto)" \
	env VAULTSHIM_CONFIG="$C" VAULTSHIM_MODE=sometimes LD_PRELOAD="$SO" /bin/sh -c 'echo "$DB_PASSWORD"'
C=$(conf nohelper "on_error = fail" "helper = $T/no-such-helper")
hint "the resolver helper missing" 69 "install vaultshim beside the library (../bin/vaultshim), or set helper in [options] to its path" \
	env VAULTSHIM_CONFIG="$C" LD_PRELOAD="$SO" /bin/sh -c 'echo "$DB_PASSWORD"'
C=$(C_ADDR=http://127.0.0.1:9 C_ENV='DB_PASSWORD = secret/app/db#password  default=d' conf fallback)
hint "the preload's fallback summary" 0 "fallback sources used; 'vaultshim check -c $C' names each and why" \
	env VAULTSHIM_CONFIG="$C" LD_PRELOAD="$SO" /bin/sh -c 'echo "$DB_PASSWORD"'
if [ "$(id -u)" = 0 ]; then
	C=$(conf unreadable)
	hint "a user who cannot read the config" 0 "cannot read the config; mapped names answer from the environment; make it readable by that user (chmod a+r it" \
		setpriv --reuid=65534 --regid=65534 --clear-groups env VAULTSHIM_CONFIG="$C" LD_PRELOAD="$SO" \
		/bin/sh -c 'echo "${DB_PASSWORD-unset}"'
else
	skip "not root: a user who cannot read the config"
fi

# --- the launcher --------------------------------------------------------------------
C=$(conf launcher)
hint "VAULTSHIM_LIB not there" 69 "point VAULTSHIM_LIB at libvaultshim.so, or unset it" \
	env VAULTSHIM_LIB=/nonexistent/libvaultshim.so "$VAULTSHIM" exec -c "$C" -- /bin/true
C=$(C_ENV='REQ = secret/app/nothere#y  required' conf checkfails)
hint "exec --check refused" 65 "not starting /bin/true; fix what check reported above" \
	"$VAULTSHIM" exec --check -c "$C" -- /bin/true

echo "1..$_n"
