# Shared by tests/integration/*.sh: a dev server per test file and TAP-style
# "ok N - name" / "not ok N - name" lines (tests/run counts them).
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Another build under test (tests/sanitize/asan), default build/:
# VAULTSHIM_TEST_BUILD its directory, relative to the root; VAULTSHIM_TEST_SO
# the preload as an LD_PRELOAD value (test_preload, test_stacks, test_soak);
# VAULTSHIM_TEST_SO_FILE one file that works alone in a cleared environment
# (test_migrate copies it and runs it with env -i).
VAULTSHIM=$ROOT/${VAULTSHIM_TEST_BUILD:-build}/vaultshim
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
# wait_for TENTHS CMD...: until CMD succeeds, bounded
wait_for() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do "$@" && return 0; sleep 0.1; done
	return 1
}

ok() { _n=$((_n + 1)); echo "ok $_n - $1"; }
not_ok() { _n=$((_n + 1)); echo "not ok $_n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }

# check NAME COND_EXIT_STATUS [diagnostic lines...]
check() {
	local name=$1 rc=$2
	shift 2
	if [ "$rc" -eq 0 ]; then ok "$name"; else not_ok "$name" "$@"; fi
}

# start_server [extra dev-server args...]: sets VAULT_ADDR and ROOT_TOKEN
start_server() {
	head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' | sed 's/^/hvs.it/' > "$T/root-token"
	chmod 600 "$T/root-token"
	ROOT_TOKEN=$(cat "$T/root-token")
	rm -f "$T/addr"
	python3 "$ROOT/scripts/vault-dev-server" --listen 127.0.0.1:0 --control \
		--root-token-file "$T/root-token" --addr-file "$T/addr" "$@" >/dev/null 2>"$T/server.log" &
	_server_pid=$!
	for _ in $(seq 100); do
		[ -s "$T/addr" ] && break
		sleep 0.1
	done
	[ -s "$T/addr" ] || { echo "Bail out! dev server did not start"; cat "$T/server.log"; exit 1; }
	VAULT_ADDR=$(cat "$T/addr")
	export VAULT_ADDR
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

# the dev server's request counters (start_server --control), as JSON
counters() { curl -s "$VAULT_ADDR/_control/counters"; }

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
