#!/bin/bash
# make install into a temporary DESTDIR, then use the installed layout only:
# the wrapper must find ../lib/libvaultshim.so and the preload its helper at
# ../bin/vaultshim, with nothing from the build tree.
. "$(dirname "$0")/lib.sh"

D=$T/root
make -s -C "$ROOT" install DESTDIR="$D" PREFIX=/opt/vaultshim >"$T/install.log" 2>&1
check "make install DESTDIR= PREFIX= succeeds" $? "$(tail -5 "$T/install.log")"
for f in bin/vaultshim bin/vaultshim-exec lib/libvaultshim.so lib/vaultshim/vaultshim-client.so \
	share/vaultshim/vault-dev-server \
	share/vaultshim/examples/flask/app.py; do
	[ -e "$D/opt/vaultshim/$f" ]
	check "installed: $f" $?
done
[ -x "$D/opt/vaultshim/bin/vaultshim-exec" ] && [ -x "$D/opt/vaultshim/bin/vaultshim" ]
check "installed programs are executable" $?

start_server
api POST /v1/secret/data/inst '{"data":{"k":"from-the-installed-tree"}}' >/dev/null
write_conf "$T/i.conf" <<CONF
[vault]
address = $VAULT_ADDR
token_file = $T/root-token
[env]
INST_SECRET = secret/inst#k required
CONF
printf '#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\nint main(void){const char*v=getenv("INST_SECRET");return !(v&&!strcmp(v,"from-the-installed-tree"));}\n' > "$T/p.c"
cc -o "$T/p" "$T/p.c"
env -u LD_PRELOAD PATH=/usr/bin:/bin timeout 20 "$D/opt/vaultshim/bin/vaultshim-exec" -c "$T/i.conf" -- "$T/p" 2>"$T/err"
check "installed wrapper + preload + helper resolve a secret into a C program" $? "$(cat "$T/err")"
env -u LD_PRELOAD PATH=/usr/bin:/bin timeout 20 "$D/opt/vaultshim/bin/vaultshim-exec" -c "$T/i.conf" -- \
	sh -c 'case "$LD_PRELOAD" in /*/opt/vaultshim/lib/libvaultshim.so) exit 0;; esac; exit 1'
check "the installed wrapper preloads the installed library" $?
# installed, vaultshim-exec is the launcher itself (a link): no shell in front
strace -f -qq -e trace=execve -o "$T/install.strace" env -u LD_PRELOAD "$D/opt/vaultshim/bin/vaultshim-exec" \
	-c "$T/i.conf" -- /bin/true
[ "$(readlink "$D/opt/vaultshim/bin/vaultshim-exec")" = vaultshim ] &&
	[ "$(grep -c 'execve(' "$T/install.strace")" -eq 3 ] && grep -q 'execve("/bin/true"' "$T/install.strace"
check "installed: bin/vaultshim-exec is a link to vaultshim, one exec from it to the program (env, it, /bin/true)" $? \
	"$(grep execve "$T/install.strace" | cut -c1-120)"
# the front loads the Vault commands from ../lib/vaultshim/, not the build tree
out=$(env -u LD_PRELOAD "$D/opt/vaultshim/bin/vaultshim" check -c "$T/i.conf" 2>&1)
check "installed: vaultshim check loads its client library from lib/vaultshim/" $? "$out"
make -s -C "$ROOT" uninstall DESTDIR="$D" PREFIX=/opt/vaultshim >/dev/null 2>&1
[ ! -e "$D/opt/vaultshim/bin/vaultshim" ] && [ ! -e "$D/opt/vaultshim/lib/libvaultshim.so" ] &&
	[ ! -e "$D/opt/vaultshim/lib/vaultshim" ]
check "make uninstall removes what install put there" $?
