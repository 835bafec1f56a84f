#!/bin/bash
# The preload in hostile hosts (issue "no crash, no hang, no leak, no wrong
# value"): one named test per finding fixed so far, each failing on the code
# before its fix.
. "$(dirname "$0")/lib.sh"

start_server
api POST /v1/secret/data/app/db '{"data":{"password":"hostile-db"}}' >/dev/null
api POST /v1/secret/data/app/api '{"data":{"key":"hostile-api"}}' >/dev/null
CONF=$(conf hostile)

# host: holds a non-close-on-exec descriptor of a marker file and a listening
# socket, as a daemon does, then reads a mapped name
cat >"$T/host.c" <<'EOF'
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
int main(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	const char *v;
	/* "-": open nothing (a host with fd 2 closed would reuse it) */
	if (strcmp(argv[1], "-")) {
		int fd = open(argv[1], O_RDONLY), s = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0 || s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 1))
			return 2;
	}
	v = getenv("DB_PASSWORD");
	printf("%s\n", v && !strcmp(v, "hostile-db") ? "served" : "not served");
	return 0;
}
EOF
cc -o "$T/host" "$T/host.c"
: >"$T/marker"

# helper_watch OUT HOST_PID: while Vault answers slowly, the helper's
# descriptors (readlink of each), the host's ("host fd …") and the helper's
# core-size limit, written to OUT
helper_watch() {
	local out=$1 hpid=$2 pid=""
	: >"$out"
	for _ in $(seq 100); do
		pid=$(pgrep -f -n "vaultshim resolve -c $CONF") && break
		sleep 0.02
	done
	[ -n "$pid" ] || { echo "no helper seen" >"$out"; return; }
	sleep 0.2
	for f in /proc/"$pid"/fd/*; do echo "fd ${f##*/} $(readlink "$f")"; done >>"$out" 2>/dev/null
	for f in /proc/"$hpid"/fd/*; do echo "host fd ${f##*/} $(readlink "$f")"; done >>"$out" 2>/dev/null
	grep 'Max core file size' "/proc/$pid/limits" >>"$out" 2>/dev/null
}

control POST faults '{"path":"secret/data/app/db","delay_ms":1500,"count":1}'
VAULTSHIM_CONFIG=$CONF LD_PRELOAD=$SO "$T/host" "$T/marker" >"$T/out" 2>"$T/err" &
host=$!
helper_watch "$T/fds" "$host"
wait "$host"
grep -qx served "$T/out" && ! grep -q 'no helper seen' "$T/fds"
check "S6: the value is served while the helper is watched" $? "$(cat "$T/out" "$T/err" "$T/fds")"
! grep -v '^host ' "$T/fds" | grep -q "$T/marker"
check "S6: the helper holds none of the host's descriptors (a file it kept open)" $? "$(cat "$T/fds")"
# the host's listening socket, by inode, is not among the helper's
hsock=$(sed -n 's/^host fd [0-9]* \(socket:.*\)$/\1/p' "$T/fds")
[ -n "$hsock" ] && ! grep -qF "fd" <(grep -F " $hsock" "$T/fds" | grep -v '^host ')
check "S6: nor its listening socket" $? "host socket: ${hsock:-none seen}; $(grep socket "$T/fds" | tr '\n' ' ')"
grep -qE 'Max core file size +0 +0' "$T/fds"
check "S3: the helper cannot dump core (RLIMIT_CORE 0)" $? "$(grep 'core' "$T/fds")"

# fd 2 closed in the host: the helper's 2 is /dev/null, not one of libcurl's sockets
control POST faults '{"path":"secret/data/app/db","delay_ms":1500,"count":1}'
(VAULTSHIM_CONFIG=$CONF LD_PRELOAD=$SO exec "$T/host" - >"$T/out" 2>&-) &
host=$!
helper_watch "$T/fds2" "$host"
wait "$host"
grep -qx served "$T/out" && grep -qx 'fd 2 /dev/null' "$T/fds2"
check "S6: with the host's fd 2 closed, the helper's fd 2 is /dev/null" $? "$(cat "$T/out" "$T/fds2")"

# --- S1: relative paths, made absolute before the program can chdir ---------------
# a private install (the helper beside the library), used by relative paths
# from its directory; the program then moves to a directory holding a
# planted helper and a planted config of the same relative names
mkdir -p "$T/evil/lib"
copy_programs "$T/inst/lib"
cp "$CONF" "$T/inst/app.conf"
printf '#!/bin/sh\n: > %s/planted-helper-ran\nexit 1\n' "$T" >"$T/evil/lib/vaultshim"
chmod 755 "$T/evil/lib/vaultshim"
printf '[vault]\naddress = http://127.0.0.1:1\n[env]\nDB_PASSWORD = secret/app/db#password default="planted"\n' |
	write_conf "$T/evil/app.conf"
cat >"$T/mover.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	const char *v;
	if (argc < 2 || chdir(argv[1]))
		return 2;
	v = getenv("DB_PASSWORD");
	printf("%s\n", !v ? "unset" : !strcmp(v, "hostile-db") ? "served" : !strcmp(v, "planted") ? "planted" : "other");
	fflush(stdout);
	execlp("sh", "sh", "-c", "echo \"child config: $VAULTSHIM_CONFIG\"", (char *)NULL);
	return 3;
}
EOF
cc -o "$T/mover" "$T/mover.c"
(cd "$T/inst" && VAULTSHIM_CONFIG=app.conf LD_PRELOAD=lib/libvaultshim.so "$T/mover" "$T/evil") >"$T/out" 2>"$T/err"
grep -qx served "$T/out" && [ ! -e "$T/planted-helper-ran" ]
check "S1: relative LD_PRELOAD and VAULTSHIM_CONFIG, then chdir: the value is Vault's, no planted helper ran" $? \
	"$(head -1 "$T/out"); planted helper ran: $([ -e "$T/planted-helper-ran" ] && echo yes || echo no); $(head -2 "$T/err")"
grep -qx "child config: $T/inst/app.conf" "$T/out"
check "S1: the child is handed the config's absolute path" $? "$(tail -1 "$T/out")"

# --- S5: files libcurl or exec open by path are checked like the config -------------
printf 'not a real CA\n' >"$T/ca.pem" && chmod 666 "$T/ca.pem"
# (on_error = fail: under fallback a refused file, like any failure of the
# connection, lets the names fall back, and check exits as the program would)
CONF_CA=$(C_VAULT="ca_cert = $T/ca.pem" conf ca 'on_error = fail')
CONF_FAIL=$(conf hostile-fail 'on_error = fail')
"$VAULTSHIM" check -c "$CONF_CA" >/dev/null 2>"$T/err"
rc=$?
grep -q "ca.pem: refusing CA file" "$T/err"
check "S5: a world-writable ca_cert is refused -> 77" $(( rc != 77 || $? )) "rc=$rc $(cat "$T/err")"
VAULT_CACERT=$T/ca.pem "$VAULTSHIM" check -c "$CONF_FAIL" >/dev/null 2>"$T/err"
rc=$?
grep -q "ca.pem: refusing CA file" "$T/err"
check "S5: so is VAULT_CACERT naming it -> 77" $(( rc != 77 || $? )) "rc=$rc $(cat "$T/err")"
mkdir -p "$T/cadir" && chmod 777 "$T/cadir"
VAULT_CAPATH=$T/cadir "$VAULTSHIM" check -c "$CONF_FAIL" >/dev/null 2>"$T/err"
rc=$?
grep -q "cadir: refusing CA directory" "$T/err"
check "S5: a world-writable CA directory is refused -> 77" $(( rc != 77 || $? )) "rc=$rc $(cat "$T/err")"
printf '#!/bin/sh\n: > %s/unsafe-helper-ran\nexit 1\n' "$T" >"$T/unsafe-helper" && chmod 777 "$T/unsafe-helper"
CONF_H=$(conf helper "helper = $T/unsafe-helper")
VAULTSHIM_CONFIG=$CONF_H LD_PRELOAD=$SO "$T/host" - >"$T/out" 2>"$T/err"
[ ! -e "$T/unsafe-helper-ran" ] && grep -q "unsafe-helper: refusing resolver helper" "$T/err"
check "S5: a world-writable helper = is never run, and said" $? "$(head -2 "$T/err")"

# --- S4: Vault's error text: the token masked, control bytes stripped -------------
# a server (or a proxy) that echoes the request back in its error
printf '{"path":"secret/data/app/db","status":400,"body":{"errors":["bad request from token %s \\u001b[31m\\u0007red"]}}' \
	"$ROOT_TOKEN" >"$T/fault.json"
control POST faults "$(cat "$T/fault.json")"
"$VAULTSHIM" check -c "$CONF" >"$T/out" 2>"$T/err"
control DELETE faults
! grep -qF "$ROOT_TOKEN" "$T/out" "$T/err" && ! grep -q "$(printf '\033')" "$T/out" "$T/err" &&
	! grep -q "$(printf '\007')" "$T/out" "$T/err" && grep -qF 'bad request from token [token]' "$T/out" "$T/err"
check "S4: Vault's echo of the token is masked and escape bytes are stripped from its error text" $? \
	"token shown: $(grep -cF "$ROOT_TOKEN" "$T/out" "$T/err" | tr '\n' ' ') ESC shown: $(grep -c "$(printf '\033')" "$T/out" "$T/err" | tr '\n' ' ')"

echo "1..$_n"
