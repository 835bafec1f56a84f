# Shared by tests/integration/*.sh: a dev server per test file and TAP-style
# "ok N - name" / "not ok N - name" lines (tests/run counts them).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Another build under test (tests/sanitize/asan), default build/:
# VAULTSHIM_TEST_BUILD its directory, relative to the root; VAULTSHIM_TEST_SO
# the preload as an LD_PRELOAD value (SO below, which a suite that needs a
# file may set otherwise); VAULTSHIM_TEST_SO_FILE one file that works alone
# in a cleared environment (copy_programs copies it).
VAULTSHIM=$ROOT/${VAULTSHIM_TEST_BUILD:-build}/vaultshim
SO=${VAULTSHIM_TEST_SO:-$ROOT/build/libvaultshim.so}
# Debian's python3, not whichever PATH finds first: the modules the tests
# import (yaml, hcl, flask, django, gunicorn ...) are Debian's packages
PY=/usr/bin/python3
T=$(mktemp -d /tmp/vaultshim-it.XXXXXX)
chmod 700 "$T"
_n=0
_server_pid=""

# reap PID: TERM, then KILL after 5 s, then wait: a test file never hangs
# on a process that would not stop
reap() {
	kill "$1" 2>/dev/null || return 0
	for _ in $(seq 50); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

cleanup() {
	[ -n "$_server_pid" ] && reap "$_server_pid"
	rm -rf "$T"
}
trap cleanup EXIT

# rand: 32 hex digits from /dev/urandom (a test's dummy secret or name)
rand() { head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
# sha VALUE: its sha256 in hex (compare a secret without printing it)
sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
# free_port: a loopback TCP port free a moment ago
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# copy_programs DIR: the command, its client library and the preload (the
# plain one under tests/sanitize/asan) side by side in DIR, where the
# preload finds its helper; a concurrent `make` cannot swap them mid-run
copy_programs() {
	mkdir -p "$1"
	cp "$VAULTSHIM" "${VAULTSHIM%/*}/vaultshim-client.so" "${VAULTSHIM_TEST_SO_FILE:-$ROOT/build/libvaultshim.so}" "$1/"
}
# wait_for TENTHS CMD...: until CMD succeeds, bounded
wait_for() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do "$@" && return 0; sleep 0.1; done
	return 1
}

# redacted FILE SECRET...: FILE's first 4 lines on one line (" // " after
# each), every SECRET in them shown as <value>: a diagnostic that shows no
# value
redacted() {
	local f=$1 l s
	shift
	head -4 "$f" 2>/dev/null | while IFS= read -r l; do
		for s in "$@"; do l=${l//"$s"/<value>}; done
		printf '%s // ' "$l"
	done
}

ok() { _n=$((_n + 1)); echo "ok $_n - $1"; }
not_ok() { _n=$((_n + 1)); echo "not ok $_n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }

# check NAME COND_EXIT_STATUS [diagnostic lines...]
check() {
	local name=$1 rc=$2
	shift 2
	if [ "$rc" -eq 0 ]; then ok "$name"; else not_ok "$name" "$@"; fi
}

# _dev_server LISTEN [extra args...]: the dev server with its control API
# and the root token of $T/root-token, on LISTEN; waits (10 s at most) for
# its address in $T/addr
_dev_server() {
	local listen=$1
	shift
	rm -f "$T/addr"
	python3 "$ROOT/scripts/vault-dev-server" --listen "$listen" --control \
		--root-token-file "$T/root-token" --addr-file "$T/addr" "$@" >/dev/null 2>>"$T/server.log" &
	_server_pid=$!
	wait_for 100 test -s "$T/addr"
}

# start_server [extra dev-server args...]: sets VAULT_ADDR and ROOT_TOKEN
start_server() {
	head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' | sed 's/^/hvs.it/' > "$T/root-token"
	chmod 600 "$T/root-token"
	ROOT_TOKEN=$(cat "$T/root-token")
	: >"$T/server.log"
	_dev_server 127.0.0.1:0 "$@" || { echo "Bail out! dev server did not start"; cat "$T/server.log"; exit 1; }
	VAULT_ADDR=$(cat "$T/addr")
	export VAULT_ADDR
}

# restart_server [extra dev-server args...]: after stop_server, the dev
# server again at the same address with the same root token, its data empty;
# returns non-zero when it did not come up
restart_server() {
	_dev_server "127.0.0.1:${VAULT_ADDR##*:}" "$@"
}

stop_server() {
	reap "$_server_pid"
	_server_pid=""
}

# api METHOD PATH [JSON]: the dev server's API with the root token; prints the body
api() {
	curl -sS -X "$1" -H "X-Vault-Token: $ROOT_TOKEN" ${3:+-H 'Content-Type: application/json' -d "$3"} \
		"$VAULT_ADDR$2"
}

control() {
	curl -sS -X "$1" ${3:+-H 'Content-Type: application/json' -d "$3"} "$VAULT_ADDR/_control/$2" >/dev/null
}

# write_conf FILE <<EOF ... : a config file with safe permissions
write_conf() {
	cat > "$1"
	chmod 600 "$1"
}

skip() { echo "skip - $1"; }

# The head of a log line (ERE, without the ^): vaultshim[PID] PROG: LEVEL:
# (docs/design.md, "Log lines"). LOG_ERR and LOG_WARN: of that level.
LOG_HEAD='vaultshim\[[0-9]+\] [^ :]+: (debug|info|warn|error): '
LOG_ERR='vaultshim\[[0-9]+\] [^ :]+: error: '
LOG_WARN='vaultshim\[[0-9]+\] [^ :]+: warn: '

# The two secrets most configs map (their values are set by each test file).
ENV_STD='DB_PASSWORD = secret/app/db#password
API_KEY     = secret/app/api#key'

# conf NAME [options lines...] -> prints the path of $T/NAME.conf (0600).
# Overrides: C_ADDR, C_TOKEN, C_VAULT (extra [vault] lines), C_ENV ([env] lines).
conf() {
	local f="$T/$1.conf"
	shift
	{
		printf '[vault]\naddress = %s\ntoken_file = %s\n' "${C_ADDR:-$VAULT_ADDR}" "${C_TOKEN:-$T/root-token}"
		[ -n "${C_VAULT:-}" ] && printf '%s\n' "$C_VAULT"
		printf '\n[options]\n'
		for l in "$@"; do printf '%s\n' "$l"; done
		printf '\n[env]\n%s\n' "${C_ENV:-$ENV_STD}"
	} | write_conf "$f"
	echo "$f"
}

# the dev server's request counters (start_server --control), as JSON;
# requests_for "METHOD path": how many it counted since the last reset;
# requests_total: all of them
counters() { curl -s --max-time 10 "$VAULT_ADDR/_control/counters"; }
requests_for() { counters | $PY -c 'import json,sys; print(json.load(sys.stdin)["requests"].get(sys.argv[1], 0))' "$1"; }
requests_total() { counters | $PY -c 'import json,sys; print(json.load(sys.stdin)["total"])'; }
# leases_left: the leases of database/creds/app the dev server still holds
leases_left() { api LIST /v1/sys/leases/lookup/database/creds/app/ | $PY -c '
import json, sys
print(len((json.load(sys.stdin).get("data") or {}).get("keys") or []))'; }

# new_token JSON: a token made with the root token (auth/token/create with
# this body), printed
new_token() { api POST /v1/auth/token/create "$1" | $PY -c 'import json,sys; print(json.load(sys.stdin)["auth"]["client_token"])'; }

# kv_put PATH KEY=VALUE...: a KV v2 write under secret/ with the root token;
# a value may hold quotes, backslashes, tabs and newlines (JSON-escaped here,
# in the shell: no interpreter start in a test that times a change)
kv_put() {
	local path=$1 kv v json=
	shift
	for kv in "$@"; do
		v=${kv#*=}
		v=${v//\\/\\\\} v=${v//\"/\\\"} v=${v//$'\n'/\\n} v=${v//$'\t'/\\t} v=${v//$'\r'/\\r}
		json+=${json:+,}\"${kv%%=*}\":\"$v\"
	done
	api POST "/v1/secret/data/$path" "{\"data\":{$json}}" >/dev/null
}

# own_dev: $T/dev, a /dev of the test's own, whose log socket a test binds
# itself (a syslog daemon it controls); in_own_dev CMD...: runs CMD in a
# private mount namespace where it is /dev (null, zero, urandom and random
# bound in from the real one). Needs `unshare -m`.
own_dev() {
	mkdir -p "$T/dev"
	for d in null zero urandom random; do : >"$T/dev/$d"; done
}
in_own_dev() {
	unshare -m bash -c '
		for d in null zero urandom random; do mount --bind "/dev/$d" "$0/dev/$d"; done
		mount --bind "$0/dev" /dev
		exec "$@"' "$T" "$@"
}
