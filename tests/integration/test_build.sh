#!/bin/bash
# The Makefile's flags: a user's CFLAGS/CPPFLAGS/LDFLAGS add to what the build
# needs (C11, PIC, the version and path defines, the hardening) and never
# drop it, the preload keeps its lazy binding, and each object is rebuilt
# when a header it includes changes (and only then). Builds in scratch
# directories under $T, never in build/.
. "$(dirname "$0")/lib.sh"

B=$T/b
M=(make -s -C "$ROOT" -j2 BUILD="$B")
PROGS=("$B/vaultshim" "$B/vaultshim-client.so" "$B/libvaultshim.so")

"${M[@]}" CFLAGS=-O0 "${PROGS[@]}" >"$T/build.log" 2>&1
check "make CFLAGS=-O0 builds the command, its client library and the preload (-z defs)" $? "$(tail -5 "$T/build.log")"
! grep -q 'warning' "$T/build.log"
check "make CFLAGS=-O0: no warning (no _FORTIFY_SOURCE without optimisation)" $? "$(grep -m3 warning "$T/build.log")"

# the flags each object was compiled with (-g records them in DW_AT_producer)
producer() { readelf --debug-dump=info "$1" 2>/dev/null | grep -m1 DW_AT_producer; }
for o in obj/core/common.o obj/cli/vaultshim.o obj/preload/exec.o; do
	p=$(producer "$B/$o")
	last_o=$(grep -oE ' -O[0-9gsz]?' <<<"$p" | tail -1)
	[[ $p == *" -std=c11"* && $p == *" -fPIC"* && $p == *" -fstack-protector-strong"* && $last_o == " -O0" ]]
	check "$o: compiled with -std=c11 -fPIC -fstack-protector-strong, the user's -O0 last" $? "$p"
done

out=$("$B/vaultshim" version 2>&1)
[ "${out%% (*}" = "vaultshim $(cat "$ROOT/VERSION")" ]
check "vaultshim version prints the version in VERSION (-DVS_VERSION)" $? "$out"

for f in "${PROGS[@]}"; do
	readelf -lW "$f" | grep -q GNU_RELRO
	check "${f##*/}: RELRO" $? "$(readelf -lW "$f" | grep -E 'LOAD|RELRO')"
done
for f in "$B/vaultshim" "$B/vaultshim-client.so"; do
	readelf -dW "$f" | grep -qE '\(FLAGS\).*BIND_NOW'
	check "${f##*/}: BIND_NOW (-z now)" $? "$(readelf -dW "$f" | grep FLAGS)"
done
[ -f "$B/libvaultshim.so" ] && ! readelf -dW "$B/libvaultshim.so" | grep -qE 'BIND_NOW|Flags:.* NOW' && ! readelf -dW "$B/libvaultshim.so" | grep -q TEXTREL
check "libvaultshim.so: lazy binding, no text relocations" $? "$(readelf -dW "$B/libvaultshim.so" | grep -E 'FLAGS|TEXTREL')"
nm -D --undefined-only "$B/vaultshim" | grep -qw '__stack_chk_fail'
check "vaultshim references __stack_chk_fail (-fstack-protector-strong)" $?

# Debian's LDFLAGS carry -z now: the preload takes them and stays lazy
rm -f "$B/libvaultshim.so"
"${M[@]}" CFLAGS=-O0 LDFLAGS='-Wl,-z,relro -Wl,-z,now' "$B/libvaultshim.so" >"$T/build-pre.log" 2>&1 &&
	[ -f "$B/libvaultshim.so" ] && ! readelf -dW "$B/libvaultshim.so" | grep -qE 'BIND_NOW|Flags:.* NOW' && readelf -lW "$B/libvaultshim.so" | grep -q GNU_RELRO
check "LDFLAGS='-Wl,-z,now': the preload still binds lazily, with RELRO" $? \
	"$(cat "$T/build-pre.log") $(readelf -dW "$B/libvaultshim.so" 2>&1 | grep FLAGS)"

# _FORTIFY_SOURCE in an optimised build, whatever CFLAGS says; with the
# user's own -D_FORTIFY_SOURCE (dpkg-buildflags' CPPFLAGS) no redefinition
F=$T/f
make -s -C "$ROOT" BUILD="$F" CFLAGS=-O1 "$F/obj/core/common.o" >"$T/build-f.log" 2>&1 &&
	nm --undefined-only "$F/obj/core/common.o" | grep -qE '__[a-z_]+_chk$'
check "make CFLAGS=-O1: _FORTIFY_SOURCE (common.o calls __*_chk)" $? "$(cat "$T/build-f.log")"
rm -rf "$F"
make -s -C "$ROOT" BUILD="$F" WERROR=1 CPPFLAGS=-D_FORTIFY_SOURCE=2 CFLAGS='-O2 -g' "$F/obj/core/common.o" >"$T/build-d.log" 2>&1 &&
	nm --undefined-only "$F/obj/core/common.o" | grep -qE '__[a-z_]+_chk$'
check "make CPPFLAGS=-D_FORTIFY_SOURCE=2 WERROR=1: builds, fortified" $? "$(cat "$T/build-d.log")"

# headers: -W pretends one was touched (nothing in the tree changes)
"${M[@]}" -q CFLAGS=-O0 "${PROGS[@]}"
check "a finished build is up to date (make -q)" $?
rebuilt() { "${M[@]}" -n -W "$1" CFLAGS=-O0 "${PROGS[@]}" | grep -oE -- '-o [^ ]*\.o' | sed "s|-o $B/obj/||" | sort | tr '\n' ' '; }
got=$(rebuilt src/core/vs_safefile.h)
[ "$got" = "cli/migrate.o core/safefile.o " ]
check "touching src/core/vs_safefile.h rebuilds the objects that include it, only those" $? "rebuilt: $got"
got=$(rebuilt preload/preload.h)
want=$(cd "$ROOT" && grep -l '"preload.h"' preload/*.c | sed 's|\.c$|.o|' | sort | tr '\n' ' ')
[ -n "$want" ] && [ "$got" = "$want" ]
check "touching preload/preload.h rebuilds the preload's objects, none of the core" $? "rebuilt: $got" "want: $want"
got=$(rebuilt src/core/vs_common.h)
[[ " $got" == *" core/common.o "* && " $got" == *" preload/exec.o "* && " $got" == *" cli/vaultshim.o "* ]]
check "touching src/core/vs_common.h rebuilds the core, the preload and the command" $? "rebuilt: $got"

# The layout's boundary (docs/design.md, "Layout"), proved by the build: the
# core links into a shared object with -z defs and nothing but libc, and a
# core file or a preload file that reaches outside src/core/ does not compile.
cc -shared -Wl,-z,defs "$B"/obj/core/*.o -pthread -o "$T/core.so" 2>"$T/core.log"
check "src/core/ links with libc alone (-z defs, no libcurl, no cJSON)" $? "$(head -5 "$T/core.log")"
! grep -nE '^#include (<(curl|cjson)/|"[^"]*/)' "$ROOT"/src/core/*.[ch] "$ROOT"/preload/*.[ch] >"$T/inc.log"
check "src/core/ and preload/ include no libcurl, no cJSON and no header outside src/core/" $? "$(cat "$T/inc.log")"
S=$T/tree
mkdir -p "$S" && cp -R "$ROOT"/Makefile "$ROOT"/VERSION "$ROOT"/CHANGELOG.md "$ROOT"/src "$ROOT"/preload "$S"/
for f in src/core/secret.c preload/tree.c; do
	cp "$ROOT/$f" "$S/$f"
	echo '#include "vault/vs_vault.h"' >>"$S/$f"
	o=obj/${f#src/}
	make -s -C "$S" BUILD="$T/sb" "$T/sb/${o%.c}.o" >"$T/leak.log" 2>&1
	[ $? -ne 0 ] && grep -q 'vault/vs_vault.h' "$T/leak.log"
	check "$f including the Vault client's header does not build" $? "$(head -3 "$T/leak.log")"
	cp "$ROOT/$f" "$S/$f"
done
got=$(rebuilt VERSION)
want=$(cd "$ROOT" && grep -l VS_VERSION src/*/*.c | sed 's|^src/||; s|\.c$|.o|' | sort | tr '\n' ' ')
[[ -n "$want" && " $got" == *" vault/http.o "* && "$got" == "$want" ]]
check "a new VERSION rebuilds every object that uses it (the User-Agent's too), only those" $? "rebuilt: $got" "want: $want"
