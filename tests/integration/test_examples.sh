#!/bin/bash
# scripts/examples/kubernetes and scripts/examples/vault-agent: no Kubernetes,
# no Vault Agent and no systemd run here, so their YAML, HCL and unit are
# parsed and checked for the structure that makes them work together
# (tests/integration/examples_check.py); the vaultshim side is run for real:
# the installed layout the init container copies, the example's vaultshim.conf
# as the ConfigMap mounts it, and a preloaded program that gets its secrets
# through the dev server playing the agent on a unix socket (--agent-of: a
# request without a token gets the agent's), with no token of its own.
. "$(dirname "$0")/lib.sh"

EX=$ROOT/scripts/examples
CHECK=$ROOT/tests/integration/examples_check.py
# SO (lib.sh): the preload of the build under test (tests/sanitize/asan sets
# its own); the pod's files are `make install`'s, from build/, as
# test_install.sh's

for m in yaml hcl; do
	"$PY" -c "import $m" 2>/dev/null || { echo "Bail out! $PY cannot import $m (scripts/install-deps installs python3-yaml python3-pyhcl)"; exit 1; }
done

# structure NAME COUNT: examples_check.py's lines for one example as TAP; COUNT
# lines must come (a crash of the checker is a failure, not fewer checks)
structure() {
	local n=0 st name why
	mkdir -p "$T/$1"
	"$PY" "$CHECK" "$1" "$EX/$1" "$T/$1" >"$T/$1.checks" 2>"$T/$1.checks.err"
	while IFS=$'\t' read -r st name why; do
		n=$((n + 1))
		if [ "$st" = ok ]; then ok "$name"; else not_ok "$name" "$why"; fi
	done <"$T/$1.checks"
	[ "$n" -eq "$2" ]
	check "$1: the checker ran all $2 checks" $? "ran $n" "$(tail -3 "$T/$1.checks.err")"
}

# --- the files: parsed, their structure ---------------------------------------
structure kubernetes 9
structure vault-agent 3

# the unit as systemd reads it: unknown keys and bad values are warnings on
# stderr; the vault binary is not here, so its path alone is replaced
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$T/units"
	sed 's,^ExecStart=/usr/bin/vault ,ExecStart=/bin/true ,' "$EX/vault-agent/vault-agent.service" \
		>"$T/units/vault-agent.service"
	grep -q '^ExecStart=/bin/true agent ' "$T/units/vault-agent.service" &&
		systemd-analyze verify "$T/units/vault-agent.service" >"$T/verify.out" 2>&1 && ! [ -s "$T/verify.out" ]
	check "vault-agent: systemd-analyze verify finds nothing in vault-agent.service" $? "$(head -5 "$T/verify.out")"
	# and it would: a misspelt key is reported
	printf '[Service]\nExecStart=/bin/true\nRuntimeDirectoryMod=0711\n' >"$T/units/typo.service"
	systemd-analyze verify "$T/units/typo.service" 2>&1 | grep -q "Unknown key"
	check "vault-agent: (control) systemd-analyze verify reports a misspelt key" $?
else
	skip "vault-agent: systemd-analyze not installed (systemd), the unit is not verified"
fi

# --- the pod's files, laid out as in the pod ----------------------------------
# The image of the init container: `make install PREFIX=/opt/vaultshim`. Its
# command, run with the two roots moved under $T: /opt/vaultshim (the image)
# and the emptyDir's mount in the init container.
make -s -C "$ROOT" install DESTDIR="$T/image" PREFIX=/opt/vaultshim >"$T/install.log" 2>&1
check "kubernetes: make install PREFIX=/opt/vaultshim (the init container's image)" $? "$(tail -3 "$T/install.log")"
PREFIX_IN_POD=$(cat "$T/kubernetes/prefix" 2>/dev/null)
read -r -a INIT <"$T/kubernetes/init.cmd"
dest=${INIT[${#INIT[@]} - 1]}
mkdir -p "$T/pod$PREFIX_IN_POD"
cmd=()
for a in "${INIT[@]}"; do
	case $a in
	/opt/vaultshim/*) cmd+=("$T/image$a") ;;
	"$dest") cmd+=("$T/pod$PREFIX_IN_POD/") ;;
	*) cmd+=("$a") ;;
	esac
done
"${cmd[@]}" 2>"$T/cp.err"
for f in bin/vaultshim bin/vaultshim-exec lib/libvaultshim.so lib/vaultshim/vaultshim-client.so; do
	[ -e "$T/pod$PREFIX_IN_POD/$f" ]
	check "kubernetes: the init container's command leaves $f in the shared volume" $? "$(cat "$T/cp.err")"
done
P=$T/pod$PREFIX_IN_POD

# the ConfigMap volume as the kubelet lays it out: a timestamped directory,
# ..data a link to it, each key a link through ..data; files mode 0444, root's
CM=$T/pod/etc/vaultshim
mkdir -p "$CM/..2026_01_01_00_00_00.000000001"
cp "$T/kubernetes/vaultshim.conf" "$CM/..2026_01_01_00_00_00.000000001/vaultshim.conf"
chmod 0444 "$CM/..2026_01_01_00_00_00.000000001/vaultshim.conf"
ln -s ..2026_01_01_00_00_00.000000001 "$CM/..data"
ln -s ..data/vaultshim.conf "$CM/vaultshim.conf"

# --- Vault, and the agent in front of it on a unix socket ---------------------
start_server
SOCK=$T/run/vault/agent.sock
mkdir -p "$T/run/vault"
printf '%s' "$ROOT_TOKEN" >"$T/agent-token"
chmod 600 "$T/agent-token"
python3 "$ROOT/scripts/vault-dev-server" --agent-of "$VAULT_ADDR" --agent-token-file "$T/agent-token" \
	--listen "unix:$SOCK" --addr-file "$T/agent.addr" >/dev/null 2>"$T/agent.log" &
agent_pid=$!
wait_for 100 test -s "$T/agent.addr" || { echo "Bail out! the agent did not start"; cat "$T/agent.log"; exit 1; }
trap 'reap $agent_pid; cleanup' EXIT

# the secrets the example maps, random values (never printed)
DBP=$(rand) DBU=user-$(rand) AK=$(rand)
api POST /v1/secret/data/myapp/production/database "{\"data\":{\"password\":\"$DBP\",\"user\":\"$DBU\"}}" >/dev/null
api POST /v1/secret/data/myapp/production/api "{\"data\":{\"key\":\"$AK\"}}" >/dev/null
printf 'DB_PASSWORD=%s\nDB_USER=%s\nAPI_KEY=%s\n' "$DBP" "$DBU" "$AK" >"$T/expect"
chmod 600 "$T/expect"

# a C program that compares what getenv gives it (lazy: read at the first
# getenv) with the expected values, and prints names only
cat >"$T/app.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv)
{
	char line[512];
	int bad = 0, n = 0;
	FILE *f = fopen(argv[1], "r");
	if (!f || argc != 2)
		return 2;
	while (fgets(line, sizeof line, f)) {
		char *eq = strchr(line, '='), *v;
		if (!eq)
			continue;
		*eq = 0;
		eq[strcspn(eq + 1, "\n") + 1] = 0;
		v = getenv(line);
		n++;
		if (!v || strcmp(v, eq + 1)) {
			printf("%s: %s\n", line, v ? "another value" : "unset");
			bad = 1;
		}
	}
	return bad || n != 3;
}
C
cc -o "$T/app" "$T/app.c" || { echo "Bail out! cannot compile the test program"; exit 1; }

# The pod's environment: what the Deployment sets, and nothing else (no
# VAULT_TOKEN, no HOME with a ~/.vault-token): env -i.
POD_ENV=(PATH=/usr/bin:/bin VAULTSHIM_CONFIG="$CM/vaultshim.conf" VAULT_AGENT_ADDR="unix://$SOCK")
# Under tests/sanitize/asan, the sanitizers' settings pass env -i (without
# them, ASan's defaults judge the host program's leaks and print to stderr);
# empty otherwise.
SAN_ENV=()
for v in ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS; do
	[ -n "${!v:-}" ] && SAN_ENV+=("$v=${!v}")
done

control DELETE requests
env -i "${SAN_ENV[@]}" "${POD_ENV[@]}" "$P/bin/vaultshim" check -c "$CM/vaultshim.conf" >"$T/check.out" 2>"$T/check.err"
rc=$?
check "kubernetes: vaultshim check -c (the ConfigMap's vaultshim.conf, unchanged, through its ..data link) exits 0 through the agent" \
	$rc "rc=$rc" "$(cat "$T/check.err")"
grep -q '3 names: 3 vault, 0 env, 0 dotenv, 0 default, 0 missing' "$T/check.out"
check "kubernetes: check: the 3 names come from Vault" $? "$(tail -2 "$T/check.out")"

env -i "${SAN_ENV[@]}" "${POD_ENV[@]}" timeout 20 "$P/bin/vaultshim-exec" -- "$T/app" "$T/expect" >"$T/app.out" 2>"$T/app.err"
rc=$?
check "kubernetes: the app's command (bin/vaultshim-exec -- app) from the shared volume gets the 3 values, with no token of its own" \
	$rc "rc=$rc" "$(cat "$T/app.out" "$T/app.err")"
# what Vault saw: every request with the agent's token, and the reads there
curl -s "$VAULT_ADDR/_control/requests" >"$T/requests.json"
"$PY" - "$T/requests.json" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
paths = {e["path"] for e in log}
assert log and all(e["has_token"] for e in log), log
assert any("myapp/production/database" in p for p in paths), paths
PY
check "kubernetes: Vault saw every request of check and of the app with a token, added by the agent" $?
# control: the same pod without the agent (the address is Vault's own):
# no token is sent, and the launch is refused, so the values above came
# through the agent's token
env -i "${SAN_ENV[@]}" PATH=/usr/bin:/bin VAULTSHIM_CONFIG="$CM/vaultshim.conf" VAULT_AGENT_ADDR="$VAULT_ADDR" \
	timeout 20 "$P/bin/vaultshim-exec" -- "$T/app" "$T/expect" >"$T/noagent.out" 2>"$T/noagent.err"
rc=$?
grep -q 'no token' "$T/noagent.err"
check "kubernetes: (control) without the agent's token the app does not start (77, says no token was sent)" \
	$(( rc != 77 || $? )) "rc=$rc" "$(cat "$T/noagent.err")"

# --- the host example: its vaultshim.conf, the socket path moved under $T -----
HSOCK=$(cat "$T/vault-agent/socket" 2>/dev/null)
sed "s,unix://$HSOCK,unix://$SOCK," "$EX/vault-agent/vaultshim.conf" | write_conf "$T/host.conf"
# only that line differs
diff "$EX/vault-agent/vaultshim.conf" "$T/host.conf" | grep -c '^[<>]' | grep -qx 2 &&
	grep -q "^address = unix://$SOCK\$" "$T/host.conf"
check "vault-agent: the example's vaultshim.conf with only its socket path changed" $?
env -i "${SAN_ENV[@]}" PATH=/usr/bin:/bin "$VAULTSHIM" check -c "$T/host.conf" >"$T/hcheck.out" 2>"$T/hcheck.err"
rc=$?
grep -q '3 names: 3 vault' "$T/hcheck.out"
check "vault-agent: vaultshim check -c through the agent's socket: 3 names from Vault" $(( rc || $? )) \
	"rc=$rc" "$(cat "$T/hcheck.err")"
env -i "${SAN_ENV[@]}" PATH=/usr/bin:/bin VAULTSHIM_CONFIG="$T/host.conf" LD_PRELOAD="$SO" \
	timeout 20 "$T/app" "$T/expect" >"$T/happ.out" 2>"$T/happ.err"
rc=$?
check "vault-agent: a program under LD_PRELOAD with that config gets the 3 values, with no token of its own" \
	$rc "rc=$rc" "$(cat "$T/happ.out" "$T/happ.err")"
# the agent stopped: on_error = fail, the program does not start (69)
reap "$agent_pid"
env -i "${SAN_ENV[@]}" PATH=/usr/bin:/bin VAULTSHIM_CONFIG="$T/host.conf" LD_PRELOAD="$SO" \
	timeout 20 "$T/app" "$T/expect" >"$T/hdown.out" 2>"$T/hdown.err"
rc=$?
check "vault-agent: the agent stopped: the program does not start (on_error = fail, 69)" $(( rc != 69 )) \
	"rc=$rc" "$(cat "$T/hdown.err")"

# --- nothing secret in any output ---------------------------------------------
! grep -rqF -e "$DBP" -e "$AK" -e "$ROOT_TOKEN" "$T"/*.out "$T"/*.err "$T/agent.log"
check "no value and no token in any output" $?
