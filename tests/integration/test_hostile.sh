#!/bin/bash
# The preload in hostile hosts (issue "no crash, no hang, no leak, no wrong
# value"): one named test per finding fixed so far, each failing on the code
# before its fix.
. "$(dirname "$0")/lib.sh"

SO=${VAULTSHIM_TEST_SO:-$ROOT/build/libvaultshim.so}
PY=/usr/bin/python3

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

echo "1..$_n"
