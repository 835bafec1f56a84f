#!/bin/bash
# vaultshim exec (the launcher) and scripts/vaultshim-exec (its thin front),
# as a user meets them: what runs, what it is given, how it fails, and what a
# launch costs in processes and Vault requests. The runtimes themselves are
# in test_runtimes.sh.
. "$(dirname "$0")/lib.sh"

# Under tests/sanitize/asan the preload beside this build's programs is the
# sanitized one, which cannot go first into every program: a copy of the
# programs beside the plain preload, which finds its helper beside itself.
if [ -n "${VAULTSHIM_TEST_SO_FILE:-}" ]; then
	copy_programs "$T/bin"
	VAULTSHIM=$T/bin/vaultshim
fi
SO=${VAULTSHIM%/*}/libvaultshim.so
WRAP=$ROOT/scripts/vaultshim-exec
export VAULTSHIM_BIN=$VAULTSHIM

start_server
DB=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
api POST /v1/secret/data/app/db "{\"data\":{\"password\":\"db-$DB\"}}" >/dev/null
api POST /v1/secret/data/app/api '{"data":{"key":"api-value"}}' >/dev/null
CONF=$(conf exec)
unset DB_PASSWORD API_KEY
# has_db FILE: the Vault value is in FILE (never printed)
has_db() { grep -qF "db-$DB" "$1"; }
reset() { control DELETE counters; }

# --- what runs ---------------------------------------------------------------
for c in true echo printf test; do
	"$VAULTSHIM" exec -c "$CONF" -- "$c" x >/dev/null 2>"$T/err"
	rc=$?
	check "exec -- $c x: found as the shell finds it (exit 0, not 127)" $rc "rc=$rc $(cat "$T/err")"
done
"$VAULTSHIM" exec -c "$CONF" --check -- true >"$T/out" 2>"$T/err"
check "exec --check -- true: the README's pre-flight passes" $? "$(cat "$T/err")"
"$VAULTSHIM" exec -c "$CONF" -- cd / 2>"$T/err"
check "exec -- cd /: a builtin with no program runs through sh -c" $? "$(cat "$T/err")"
"$VAULTSHIM" exec -c "$CONF" -- sh -c 'exit 7'
check "the program's own exit status" $(( $? != 7 ))
printf 'echo "no magic: $#"\n' >"$T/nomagic" && chmod +x "$T/nomagic"
out=$("$VAULTSHIM" exec -c "$CONF" -- "$T/nomagic" a b 2>&1)
[ "$out" = "no magic: 2" ]
check "a file with neither #! nor ELF runs with /bin/sh, as execvp does" $? "$out"
(cd "$T" && PATH=/usr/bin:/bin "$VAULTSHIM" exec -c "$CONF" -- nomagic) >/dev/null 2>"$T/err"
rc=$?
grep -q 'nomagic: command not found' "$T/err"
check "a name is not looked up in the current directory unless PATH says so -> 127" $(( rc != 127 || $? )) "rc=$rc $(cat "$T/err")"

# --- what it is given --------------------------------------------------------
cat >"$T/probe.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *v = getenv(argv[i]);
		printf("%s=%s\n", argv[i], v ? v : "(unset)");
	}
	return 0;
}
EOF
cc -o "$T/probe" "$T/probe.c"
reset
"$VAULTSHIM" exec -c "$CONF" -- "$T/probe" DB_PASSWORD >"$T/out" 2>"$T/err"
has_db "$T/out"
check "a C program reads the Vault value through the launcher" $? "$(cat "$T/err")"
env LD_PRELOAD=/nonexistent-other.so "$VAULTSHIM" exec -c "$CONF" -- "$T/probe" LD_PRELOAD VAULTSHIM_CONFIG \
	>"$T/out" 2>/dev/null
grep -qx "LD_PRELOAD=$SO:/nonexistent-other.so" "$T/out" && grep -qx "VAULTSHIM_CONFIG=$CONF" "$T/out"
check "LD_PRELOAD: the preload is prepended, other entries kept; VAULTSHIM_CONFIG absolute" $? "$(cat "$T/out")"
env LD_PRELOAD="$SO" "$VAULTSHIM" exec -c "$CONF" -- "$T/probe" LD_PRELOAD >"$T/out" 2>/dev/null
grep -qx "LD_PRELOAD=$SO" "$T/out"
check "LD_PRELOAD: never twice" $? "$(cat "$T/out")"
(cd "$T" && cp "$CONF" ./vaultshim.conf && env -u VAULTSHIM_CONFIG "$VAULTSHIM" exec -- "$T/probe" VAULTSHIM_CONFIG) \
	>"$T/out" 2>/dev/null
grep -qx "VAULTSHIM_CONFIG=$T/vaultshim.conf" "$T/out"
check "./vaultshim.conf is found and passed on as an absolute path" $? "$(cat "$T/out")"
rm -f "$T/vaultshim.conf"
printf '#!/usr/bin/env python3\nimport os\nprint("DB_PASSWORD=" + os.environ.get("DB_PASSWORD", "(unset)"))\n' >"$T/app.py"
chmod +x "$T/app.py"
PATH=/usr/bin:/bin "$VAULTSHIM" exec -c "$CONF" -- "$T/app.py" >"$T/out" 2>"$T/err"
has_db "$T/out"
check "a #!/usr/bin/env python3 script sees the value in os.environ (auto mode, eager)" $? "$(cat "$T/err")"

# --- what a launch costs -----------------------------------------------------
reset
"$VAULTSHIM" exec -c "$CONF" -- /bin/true
n=$(requests_total)
check "a launch whose program reads no mapped name makes no Vault request" $(( n != 0 )) "requests=$n"
strace -f -qq -e trace=clone,clone3,fork,vfork -o "$T/strace" "$VAULTSHIM" exec -c "$CONF" -- /bin/true
[ ! -s "$T/strace" ]
check "exec forks nothing on the way to the program" $? "$(head -3 "$T/strace")"
strace -f -qq -e trace=clone,clone3,fork,vfork -o "$T/strace" "$WRAP" -c "$CONF" -- /bin/true
[ ! -s "$T/strace" ]
check "scripts/vaultshim-exec forks nothing either" $? "$(head -3 "$T/strace")"
! ldd "$VAULTSHIM" | grep -Eq 'libcurl|libcjson|libssl'
check "the vaultshim program loads no libcurl, cJSON or OpenSSL at start" $? "$(ldd "$VAULTSHIM" | tr '\n' ' ')"
strace -f -qq -e trace=openat -o "$T/strace" "$VAULTSHIM" exec -c "$CONF" -- /bin/true
! grep -E 'libcurl|vaultshim-client' "$T/strace" | grep -v ENOENT | grep -q .
check "exec opens neither libcurl nor the client library" $? "$(grep -E 'libcurl|client' "$T/strace" | head -2)"
"$VAULTSHIM" version | grep -q 'libcurl'
check "the other commands still load libcurl (version names it)" $?

# --- how it fails ------------------------------------------------------------
"$VAULTSHIM" exec -c "$CONF" -- no-such-cmd-$$ 2>"$T/err"
rc=$?
grep -q "no-such-cmd-$$: command not found" "$T/err"
check "missing command -> 127, named" $(( rc != 127 || $? )) "rc=$rc $(cat "$T/err")"
printf 'x\n' >"$T/noexec" && chmod 644 "$T/noexec"
"$VAULTSHIM" exec -c "$CONF" -- "$T/noexec" 2>"$T/err"
check "not executable -> 126" $(( $? != 126 )) "$(cat "$T/err")"
printf '[vault]\naddress = %s\n[env]\nBAD NAME = secret/x#y\n' "$VAULT_ADDR" | write_conf "$T/bad.conf"
"$VAULTSHIM" exec -c "$T/bad.conf" -- "$T/probe" >"$T/out" 2>"$T/err"
rc=$?
grep -qE "^${LOG_ERR}exec: config: $T/bad.conf:4: " "$T/err" && [ ! -s "$T/out" ] && [ "$(wc -l <"$T/err")" -eq 1 ]
check "config error -> 78, one line FILE:LINE, the program never starts" $(( rc != 78 || $? )) "rc=$rc $(cat "$T/err")"
cp "$CONF" "$T/loose.conf" && chmod 666 "$T/loose.conf"
"$VAULTSHIM" exec -c "$T/loose.conf" -- /bin/true 2>"$T/err"
check "a config writable by others -> 77 before anything starts" $(( $? != 77 )) "$(cat "$T/err")"
"$VAULTSHIM" exec -c "$T/none.conf" -- /bin/true 2>"$T/err"
rc=$?
grep -q "config file $T/none.conf not found (give -c FILE" "$T/err"
check "missing config -> 78, saying how to give one" $(( rc != 78 || $? )) "rc=$rc $(cat "$T/err")"
usage_case() { # label args...
	local label=$1 rc
	shift
	"$VAULTSHIM" exec "$@" >/dev/null 2>"$T/err"
	rc=$?
	[ -s "$T/err" ]
	check "usage: $label -> 64 with a message" $(( rc != 64 || $? )) "rc=$rc $(cat "$T/err")"
}
usage_case "--mode fast" -c "$CONF" --mode fast -- true
usage_case "an unknown option" -c "$CONF" --bogus -- true
usage_case "-c without a file" -c
usage_case "no command" -c "$CONF"
"$VAULTSHIM" exec --help | grep -q 'statically linked CMD runs in environment mode'
check "exec --help explains how each kind of program is served" $?
VAULTSHIM_LIB=/nonexistent/libvaultshim.so "$VAULTSHIM" exec -c "$CONF" -- /bin/true 2>"$T/err"
check "VAULTSHIM_LIB pointing nowhere -> 69, named" $(( $? != 69 )) "$(cat "$T/err")"
grep -qF "VAULTSHIM_LIB=/nonexistent/libvaultshim.so: No such file or directory; point VAULTSHIM_LIB at libvaultshim.so, or unset it" "$T/err"
check "VAULTSHIM_LIB pointing nowhere: the line names the fix" $? "$(cat "$T/err")"
"$VAULTSHIM" exec -c "$CONF" --check -- /bin/true >"$T/out" 2>"$T/err"
[ ! -s "$T/out" ] && grep -q DB_PASSWORD "$T/err"
check "--check reports on stderr; stdout stays the program's" $? "out=$(head -2 "$T/out")"
CONF_REQ=$(C_ENV='NEEDED = secret/app/missing#x required' conf req)
"$VAULTSHIM" exec -c "$CONF_REQ" --check -- "$T/probe" >"$T/out" 2>"$T/err"
rc=$?
[ ! -s "$T/out" ] && grep -q 'check failed (exit 65): not starting' "$T/err"
check "--check with a required secret missing -> 65, the program never starts" $(( rc != 65 || $? )) "rc=$rc"
grep -qF "not starting $T/probe; fix what check reported above" "$T/err"
check "--check refused: the line names the fix" $? "$(cat "$T/err")"

# --- programs the preload cannot serve ---------------------------------------
# secure execution: a set-user-ID copy of env, owned by nobody (run as root,
# the exec is secure; as another user, a file of root's is)
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	cp /usr/bin/env "$T/suid-env" && chown nobody "$T/suid-env" && chmod 4755 "$T/suid-env"
	chmod 755 "$T"
	"$VAULTSHIM" exec -c "$CONF" -- "$T/suid-env" >"$T/out" 2>"$T/err"
	rc=$?
	! has_db "$T/out" && ! grep -q 'api-value' "$T/out" && grep -q 'suid-env is setuid' "$T/err"
	check "setuid target: exec gives it no secret and says so" $(( rc || $? )) "rc=$rc $(cat "$T/err")"
	"$VAULTSHIM" run -c "$CONF" -- "$T/suid-env" >"$T/out" 2>"$T/err"
	rc=$?
	! has_db "$T/out" && grep -q 'suid-env is setuid' "$T/err"
	check "setuid target: run exports no secret into it either" $(( rc || $? )) "rc=$rc $(cat "$T/err")"
	"$WRAP" -c "$CONF" -- "$T/suid-env" >"$T/out" 2>/dev/null
	! has_db "$T/out"
	check "setuid target: nor does scripts/vaultshim-exec" $?
	chmod 700 "$T"
else
	skip "setuid target: needs root and a nobody user"
fi
if [ -e /usr/lib/x86_64-linux-gnu/libc.a ] || [ -n "$(cc -print-file-name=libc.a | grep /)" ]; then
	cc -static -o "$T/probe-static" "$T/probe.c" 2>/dev/null
fi
if [ -x "$T/probe-static" ]; then
	"$VAULTSHIM" exec -c "$CONF" -- "$T/probe-static" DB_PASSWORD >"$T/out" 2>"$T/err"
	has_db "$T/out" && grep -q 'probe-static is statically linked' "$T/err" && grep -q 'environment mode' "$T/err"
	check "static target: environment mode, with the warning, and the value" $? "$(cat "$T/err")"
else
	skip "static target: no static libc to link a static program"
fi

# --- review regressions --------------------------------------------------------
# a mark a Go program leaves its own children, stale or forged in the launch
# environment, must not make names look removed
VAULTSHIM_FROM_GO=1 "$VAULTSHIM" exec -c "$CONF" -- "$T/probe" DB_PASSWORD >"$T/out" 2>"$T/err"
has_db "$T/out"
check "a stale VAULTSHIM_FROM_GO in the launch environment changes nothing" $? "$(cat "$T/err")"
VAULTSHIM_FROM_GO=$$ "$VAULTSHIM" exec -c "$CONF" -- "$T/probe" DB_PASSWORD >"$T/out" 2>"$T/err"
has_db "$T/out"
check "nor one naming the launching shell" $? "$(cat "$T/err")"
# a library LD_PRELOAD cannot carry (its list splits at ':' and blanks)
mkdir -p "$T/sp ace"
cp "$VAULTSHIM" "${VAULTSHIM%/*}/vaultshim-client.so" "$SO" "$T/sp ace/"
"$T/sp ace/vaultshim" exec -c "$CONF" -- "$T/probe" DB_PASSWORD >"$T/out" 2>"$T/err"
rc=$?
grep -q "cannot carry a path with ':' or a blank" "$T/err" && [ ! -s "$T/out" ]
check "a library path with a blank -> 69, said, nothing started (not an empty value)" $(( rc != 69 || $? )) \
	"rc=$rc $(cat "$T/err")"
# libraries someone else could have written are never loaded
mkdir -p "$T/w"
cp "$VAULTSHIM" "${VAULTSHIM%/*}/vaultshim-client.so" "$SO" "$T/w/"
chmod g+w "$T/w/vaultshim-client.so"
"$T/w/vaultshim" check -c "$CONF" >/dev/null 2>"$T/err"
rc=$?
grep -q 'vaultshim-client.so: refusing a library' "$T/err"
check "a group-writable vaultshim-client.so is refused -> 77" $(( rc != 77 || $? )) "rc=$rc $(cat "$T/err")"
chmod g-w "$T/w/vaultshim-client.so" && chmod o+w "$T/w/libvaultshim.so"
"$T/w/vaultshim" exec -c "$CONF" -- /bin/true 2>"$T/err"
rc=$?
grep -q 'libvaultshim.so: refusing a library' "$T/err"
check "a world-writable libvaultshim.so is refused -> 77" $(( rc != 77 || $? )) "rc=$rc $(cat "$T/err")"
VAULTSHIM_LIB="$T/sp ace/libvaultshim.so" "$VAULTSHIM" exec -c "$CONF" -- "$T/probe" DB_PASSWORD \
	>"$T/out" 2>"$T/err"
rc=$?
[ ! -s "$T/out" ] && grep -q 'cannot carry a path with a blank' "$T/err"
check "VAULTSHIM_LIB with a blank -> 69, nothing started" $(( rc != 69 || $? )) "rc=$rc $(cat "$T/err")"
# a library in a directory others can write: another file could take its place
mkdir -p "$T/ww" && cp "$VAULTSHIM" "${VAULTSHIM%/*}/vaultshim-client.so" "$SO" "$T/ww/" && chmod 777 "$T/ww"
"$T/ww/vaultshim" exec -c "$CONF" -- /bin/true 2>"$T/err"
rc=$?
grep -q 'refusing a library' "$T/err"
check "a library in a world-writable directory is refused -> 77" $(( rc != 77 || $? )) "rc=$rc $(cat "$T/err")"
chmod 755 "$T/ww"
# the installed link, given `exec` first (the sh front with VAULTSHIM_BIN on it)
ln -sf "$VAULTSHIM" "$T/vaultshim-exec"
VAULTSHIM_BIN=$T/vaultshim-exec "$WRAP" -c "$CONF" -- "$T/probe" DB_PASSWORD >"$T/out" 2>"$T/err"
has_db "$T/out"
check "VAULTSHIM_BIN naming the vaultshim-exec link: the sh front still launches" $? "$(cat "$T/err")"
# the thin front called by a bare name never runs ./vaultshim
mkdir -p "$T/fr"
printf '#!/bin/sh\necho PLANTED\n' >"$T/fr/vaultshim" && chmod +x "$T/fr/vaultshim"
out=$(cd "$T/fr" && PATH="$ROOT/scripts:/usr/bin:/bin" VAULTSHIM_BIN= bash vaultshim-exec -c "$CONF" -- true 2>&1)
! grep -q PLANTED <<<"$out"
check "scripts/vaultshim-exec run by a bare name does not run ./vaultshim" $? "$out"
# without /proc: the programs find each other by the paths they were started by
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
	unshare -m sh -c "umount -l /proc && \"$VAULTSHIM\" exec -c \"$CONF\" -- \"$T/probe\" DB_PASSWORD" \
		>"$T/out" 2>"$T/err"
	has_db "$T/out"
	check "without /proc, exec and the preload's helper still serve the value" $? "$(cat "$T/err")"
else
	skip "without /proc: needs root and unshare"
fi
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	chmod 755 "$T"
	chmod 644 "$CONF"
	cp "$T/probe" "$T/xonly" && chmod 711 "$T/xonly"
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$VAULTSHIM" exec -c "$CONF" -- "$T/xonly" \
		>"$T/out" 2>"$T/err"
	rc=$?
	check "an execute-only program (mode 711, as sudo on some systems) runs, not 126" $(( rc == 126 )) \
		"rc=$rc $(cat "$T/err")"
	grep -q 'xonly cannot be read, only run' "$T/err"
	check "an execute-only program: it is said that it could not be inspected" $? "$(cat "$T/err")"
	cp "$T/probe" "$T/suid-probe" && chown nobody "$T/suid-probe" && chmod 4755 "$T/suid-probe"
	setpriv --no-new-privs "$VAULTSHIM" exec -c "$CONF" -- "$T/suid-probe" DB_PASSWORD >"$T/out" 2>"$T/err"
	has_db "$T/out" && ! grep -q 'is setuid' "$T/err"
	check "no_new_privs: a setuid bit the kernel will ignore is not secure execution" $? "$(cat "$T/err")"
	chmod 600 "$CONF"
	chmod 700 "$T"
else
	skip "execute-only and no_new_privs targets: need root, nobody and setpriv"
fi

# --- the /proc scan: no process of these launches held a served value ---------
"$VAULTSHIM" exec -c "$CONF" -- sh -c "$T/probe DB_PASSWORD >$T/out; sleep 1" &
pid=$!
sleep 0.5
leaks=$(grep -lF "db-$DB" /proc/[0-9]*/environ 2>/dev/null | wc -l)
wait "$pid"
has_db "$T/out"
check "a shell tree under exec: the value is read, no /proc/PID/environ holds it" $(( $? || leaks )) "leaks=$leaks"

echo "1..$_n"
