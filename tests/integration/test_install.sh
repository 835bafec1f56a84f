#!/bin/bash
# make install into a temporary DESTDIR, then use the installed layout only:
# the wrapper must find ../lib/libvaultshim.so and the preload its helper at
# ../bin/vaultshim, with nothing from the build tree.
. "$(dirname "$0")/lib.sh"

D=$T/root
# in a copy of the normal build/ (under tests/sanitize/asan too; built there
# when missing): another PREFIX rebuilds the files that compile its paths in,
# which must not change build/ under the other suites
mkdir -p "$T/build"
[ -d "$ROOT/build" ] && cp -a "$ROOT/build/." "$T/build/"
make -s -C "$ROOT" install BUILD="$T/build" DESTDIR="$D" PREFIX=/opt/vaultshim >"$T/install.log" 2>&1
check "make install DESTDIR= PREFIX= succeeds" $? "$(tail -5 "$T/install.log")"
for f in bin/vaultshim bin/vaultshim-exec lib/libvaultshim.so lib/vaultshim/vaultshim-client.so \
	share/vaultshim/vault-dev-server \
	share/doc/vaultshim/examples/flask/app.py; do
	[ -e "$D/opt/vaultshim/$f" ]
	check "installed: $f" $?
done
[ -x "$D/opt/vaultshim/bin/vaultshim-exec" ] && [ -x "$D/opt/vaultshim/bin/vaultshim" ]
check "installed programs are executable" $?
# the preload is loaded, never run: not executable (lintian, Debian policy)
[ "$(stat -c %a "$D/opt/vaultshim/lib/libvaultshim.so")" = 644 ] &&
	[ "$(stat -c %a "$D/opt/vaultshim/lib/vaultshim/vaultshim-client.so")" = 644 ]
check "installed libraries are mode 0644" $? "$(stat -c '%a %n' "$D"/opt/vaultshim/lib/*.so "$D"/opt/vaultshim/lib/*/*.so)"

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
make -s -C "$ROOT" uninstall BUILD="$T/build" DESTDIR="$D" PREFIX=/opt/vaultshim >/dev/null 2>&1
[ ! -e "$D/opt/vaultshim/bin/vaultshim" ] && [ ! -e "$D/opt/vaultshim/lib/libvaultshim.so" ] &&
	[ ! -e "$D/opt/vaultshim/lib/vaultshim" ] && [ ! -e "$D/opt/vaultshim/share/doc/vaultshim" ]
check "make uninstall removes what install put there" $?

# A multiarch LIBDIR (Debian's package: PREFIX=/usr
# LIBDIR=/usr/lib/x86_64-linux-gnu): lib/ is no longer beside bin/, so the
# programs find each other through the paths compiled in. Installed for real
# (no DESTDIR) so those paths exist.
MA=$(cc -print-multiarch 2>/dev/null)
MA=${MA:-multiarch}
P=$T/usr
make -s -C "$ROOT" install BUILD="$T/build" PREFIX="$P" LIBDIR="$P/lib/$MA" >"$T/install2.log" 2>&1
check "make install PREFIX= LIBDIR=PREFIX/lib/$MA succeeds" $? "$(tail -5 "$T/install2.log")"
[ -f "$P/lib/$MA/libvaultshim.so" ] && [ "$(stat -c %a "$P/lib/$MA/libvaultshim.so")" = 644 ] &&
	[ -f "$P/lib/$MA/vaultshim/vaultshim-client.so" ] && [ ! -e "$P/lib/libvaultshim.so" ]
check "LIBDIR layout: the preload (0644) and the client module under lib/$MA/" $? "$(find "$P/lib" -ls)"
env -u LD_PRELOAD PATH=/usr/bin:/bin timeout 20 "$P/bin/vaultshim-exec" -c "$T/i.conf" -- \
	sh -c 'test "$LD_PRELOAD" = "$1/libvaultshim.so" && exec "$2"' sh "$P/lib/$MA" "$T/p" 2>"$T/err"
check "LIBDIR layout: vaultshim-exec preloads LIBDIR/libvaultshim.so and the program gets its secret" $? \
	"$(cat "$T/err")"
# the preload alone, given by its installed path, runs the installed helper
# (BINDIR/vaultshim: LIBDIR/../bin does not exist), none from elsewhere
strace -f -qq -e trace=execve -o "$T/helper.strace" env LD_PRELOAD="$P/lib/$MA/libvaultshim.so" \
	VAULTSHIM_CONFIG="$T/i.conf" PATH=/usr/bin:/bin timeout 20 "$T/p" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] && grep -q "execve(\"$P/bin/vaultshim\"" "$T/helper.strace" &&
	! grep -v "execve(\"$P/bin/vaultshim\"" "$T/helper.strace" | grep -q 'execve("[^"]*vaultshim"'
check "LIBDIR layout: LD_PRELOAD=LIBDIR/libvaultshim.so runs BINDIR/vaultshim as its helper" $? \
	"exit $rc: $(cat "$T/err")" "$(grep -o 'execve("[^"]*"' "$T/helper.strace" | sort -u | tr '\n' ' ')"
out=$(env -u LD_PRELOAD "$P/bin/vaultshim" check -c "$T/i.conf" 2>&1)
check "LIBDIR layout: vaultshim check loads LIBDIR/vaultshim/vaultshim-client.so" $? "$out"
