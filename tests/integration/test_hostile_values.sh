#!/bin/bash
# The preload in hostile hosts, values and environment: what a program does
# to its own environment, files, descriptors and sandbox after start (or
# before the preload's constructor) must neither kill it for a name it did
# not ask for nor change the value a mapped name is served. One check per
# finding (item ids of the issue), each failing on the code before its fix.
# Programs: tests/programs/hostile/values_*, compiled here into $T; they
# print verdicts (labels such as "vault", "env", "null"), never a value.
. "$(dirname "$0")/lib.sh"

H=$ROOT/tests/programs/hostile
[ -f "$SO" ] && [ -x "$VAULTSHIM" ] || { echo "Bail out! build first: make"; exit 1; }
# a process killed by SIGSYS would leave a core file in the current directory
ulimit -c 0

# --- programs ---------------------------------------------------------------
CF=(-std=gnu11 -O1 -g -Wall -Wextra)
build() { # build OUTPUT CC-ARGS...: a compile error or warning bails out
	local o=$1
	shift
	"$@" -o "$o" >"$T/cc.log" 2>&1 && ! grep -q 'warning:' "$T/cc.log" ||
		{ echo "Bail out! cannot build ${o##*/}"; cat "$T/cc.log"; exit 1; }
}
build "$T/values_env" gcc "${CF[@]}" "$H/values_env.c" "$H/values_seccomp.c"
# one constructor library per step, each with a main linked against it
for s in set unset read; do
	mkdir -p "$T/ctor-$s"
	build "$T/ctor-$s/libvaluesctor.so" gcc "${CF[@]}" -fPIC -shared "-DVALUES_CTOR_${s^^}" "$H/values_ctorlib.c"
	build "$T/ctor-$s/main" gcc "${CF[@]}" "$H/values_ctor_main.c" -L"$T/ctor-$s" -lvaluesctor \
		-Wl,-rpath,"$T/ctor-$s"
done
build "$T/libvaluescxx.so" g++ -O1 -g -Wall -Wextra -fPIC -shared "$H/values_cxxlib.cc"
build "$T/cxx_main" g++ -O1 -g -Wall -Wextra "$H/values_cxx_main.cc" -L"$T" -lvaluescxx -Wl,-rpath,"$T"

# --- server and secrets -----------------------------------------------------
start_server
api POST /v1/secret/data/app/db '{"data":{"password":"values-db"}}' >/dev/null
api POST /v1/secret/data/app/api '{"data":{"key":"values-api"}}' >/dev/null
api POST /v1/secret/data/prod/db '{"data":{"password":"prod-only"}}' >/dev/null
api POST /v1/secret/data/production/db '{"data":{"password":"prod-db"}}' >/dev/null
api POST /v1/secret/data/development/db '{"data":{"password":"dev-db"}}' >/dev/null
HOME_V=$T/home
P=$T/values_env
# the labels values_env reports values by
L=(is:home="$HOME_V" is:vault=values-db is:api=values-api is:env=from-env is:dflt=dflt
	is:prod=prod-db is:dev=dev-db is:trunc=val)

# pre CONF [NAME=VALUE...] PROG [ARGS...]: PROG under the preload with CONF, in
# the caller's environment without the names the tests set, bounded. Sets
# rc; stdout in $T/out, stderr in $T/err. (The subshell keeps bash's "Bad
# system call" notice out of the TAP stream.)
pre() {
	local c=$1
	shift
	(timeout -s KILL 20 env -u DB_PASSWORD -u API_KEY -u APP_ENV -u MISSING_X -u VAULTSHIM_HANDOFF \
		-u VAULTSHIM_MODE -u VAULTSHIM_LOG HOME="$HOME_V" VAULTSHIM_CONFIG="$c" LD_PRELOAD="$SO" "$@" \
		>"$T/out" 2>"$T/err"
	echo $? >"$T/rc") 2>/dev/null
	rc=$(cat "$T/rc")
}
out() { cat "$T/out"; }
diag() { echo "rc=$rc out=[$(out)] err=[$(head -3 "$T/err" | tr '\n' '|')]"; }

# === C2: nothing after start makes a non-mapped getenv kill the program ========
# Today the config is loaded at the first getenv of ANY name and a failure
# _exits; it must be read (and checked) at start instead.
CONF=$(conf c2a)
pre "$CONF" "$P" "${L[@]}" move:"$CONF" get:HOME get:DB_PASSWORD
[ "$rc" -eq 0 ] && [ "$(out)" = "HOME=home DB_PASSWORD=vault " ]
check "C2a: config renamed after start: getenv(HOME) answers, DB_PASSWORD still served" $? "$(diag)"

CONF=$(conf c2b 'on_error = fallback')
pre "$CONF" DB_PASSWORD=from-env "$P" "${L[@]}" emfile get:HOME get:DB_PASSWORD
[ "$rc" -eq 0 ] && [ "$(out)" = "HOME=home DB_PASSWORD=env " ]
check "C2b: descriptors exhausted: getenv(HOME) answers; fallback gives DB_PASSWORD the environment's" $? "$(diag)"
# default policy, nothing in the environment: the mapped read may fail, but
# as the policy says (a status and one line), never a signal, never at HOME
CONF=$(conf c2b2)
pre "$CONF" "$P" "${L[@]}" emfile get:HOME get:DB_PASSWORD
[ "$rc" -lt 128 ] && [[ $(out) == "HOME=home "* ]] &&
	{ [ "$rc" -eq 0 ] || grep -qiE 'DB_PASSWORD|helper|descriptor|open files' "$T/err"; }
check "C2b: descriptors exhausted, default policy: HOME answers, DB_PASSWORD fails cleanly if at all" $? "$(diag)"

CONF=$(conf c2c)
pre "$CONF" "$P" "${L[@]}" chmod:"$CONF" get:HOME get:DB_PASSWORD
[ "$rc" -eq 0 ] && [ "$(out)" = "HOME=home DB_PASSWORD=vault " ]
check "C2c: config made group-writable after start: getenv(HOME) answers, DB_PASSWORD served" $? "$(diag)"

# shellcheck disable=SC2016 # ${APP_ENV} is the config's, not the shell's
CONF=$(C_ENV='DB_PASSWORD = secret/${APP_ENV}/db#password' conf c2d)
pre "$CONF" APP_ENV=prod "$P" "${L[@]}" clearenv get:HOME
[ "$rc" -eq 0 ] && [ "$(out)" = "HOME=null " ]
check "C2d: \${APP_ENV} in a path, clearenv() first: getenv(HOME) is NULL, no exit" $? "$(diag)"

# === W1: ${VAR:-default} expands from the environment at start ================
# shellcheck disable=SC2016
CONF=$(C_ENV='DB_PASSWORD = secret/${APP_ENV:-development}/db#password' conf w1)
pre "$CONF" APP_ENV=production "$P" "${L[@]}" unset:APP_ENV get:DB_PASSWORD
[ "$rc" -eq 0 ] && [ "$(out)" = "DB_PASSWORD=prod " ]
check "W1: unsetenv(APP_ENV) before the first getenv: still the production path" $? "$(diag)"
pre "$CONF" APP_ENV=production "$P" "${L[@]}" set1:APP_ENV=development get:DB_PASSWORD
[ "$rc" -eq 0 ] && [ "$(out)" = "setrc=0 DB_PASSWORD=prod " ]
check "W1: setenv(APP_ENV, development) before the first getenv: still the production path" $? "$(diag)"

# === W2: setenv(..., 0) does not overwrite a served name ======================
CONF=$(conf w2)
pre "$CONF" "$P" "${L[@]}" set0:DB_PASSWORD=dflt get:DB_PASSWORD
[ "$rc" -eq 0 ] && [ "$(out)" = "setrc=0 DB_PASSWORD=vault " ]
check "W2: setenv(DB_PASSWORD, dflt, 0) keeps Vault's value" $? "$(diag)"
# (the other side, which holds today: with no value anywhere the write wins)
CONF=$(C_ENV='MISSING_X = secret/app/nothing#x' conf w2m 'on_error = fallback')
pre "$CONF" "$P" "${L[@]}" set0:MISSING_X=dflt get:MISSING_X
[ "$rc" -eq 0 ] && [ "$(out)" = "setrc=0 MISSING_X=dflt " ]
check "W2: setenv(MISSING_X, dflt, 0) on a name with no value anywhere sets it" $? "$(diag)"

# === W3: library constructors that run before the preload's ==================
CONF=$(conf w3)
# ("vault": the program's write was forgotten and Vault's value served)
pre "$CONF" "$T/ctor-set/main" DB_PASSWORD from-ctor values-db
[ "$rc" -eq 0 ] && [ "$(out)" = "ctor=0 DB_PASSWORD=match" ]
check "W3a: a constructor's setenv(DB_PASSWORD) before the preload's is the program's value" $? "$(diag)"
pre "$CONF" "$T/ctor-unset/main" API_KEY - values-api
[ "$rc" -eq 0 ] && [ "$(out)" = "ctor=0 API_KEY=null" ]
check "W3b: a constructor's unsetenv(API_KEY) before the preload's leaves it unset" $? "$(diag)"
pre "$CONF" "$T/ctor-read/main" copy values-db
[ "$rc" -eq 0 ] && [ "$(out)" = "ctor=1 copy=match" ]
check "W3c: a constructor's getenv(DB_PASSWORD) before the preload's is served" $? "$(diag)"
pre "$CONF" "$T/cxx_main" values-db
[ "$rc" -eq 0 ] && [ "$(out)" = "cxx_static=match" ]
check "W3d: a C++ library's static std::string from getenv(DB_PASSWORD) is served" $? "$(diag)"
# ... but a getenv before the constructor from inside a library's own
# start-up must not start the preload there: jemalloc asks for MALLOC_CONF
# from its first malloc, holding its init lock (a start that allocates would
# wait on it forever). Debian's libjemalloc2, first in LD_PRELOAD and after.
JE=$(ls /usr/lib/*/libjemalloc.so.2 2>/dev/null | head -1)
if [ -z "$JE" ] || [[ $SO == *libasan* ]]; then
	if [ -z "$JE" ]; then why="libjemalloc2 not installed"; else why="jemalloc cannot stand beside ASan's allocator"; fi
	skip "W3: jemalloc asking for MALLOC_CONF before the preload's constructor ($why)"
else
	pre "$CONF" LD_PRELOAD="$JE:$SO" "$P" "${L[@]}" get:DB_PASSWORD
	[ "$rc" -eq 0 ] && [ "$(out)" = "DB_PASSWORD=vault " ]
	r1=$?
	d1=$(diag)
	pre "$CONF" LD_PRELOAD="$SO:$JE" "$P" "${L[@]}" get:DB_PASSWORD
	[ "$r1" -eq 0 ] && [ "$rc" -eq 0 ] && [ "$(out)" = "DB_PASSWORD=vault " ]
	check "W3: jemalloc (before or after the preload) asking for MALLOC_CONF at its first malloc: no hang, served" $? \
		"jemalloc first: $d1; after: $(diag)"
fi

# === C3: a seccomp filter that kills on process creation ======================
# The program sandboxes itself after start; the helper must then not be
# started (auto), the failure policy applies, and one line says why.
seccomp_said() { grep -qi seccomp "$T/err"; }
# control (holds today): without the preload the filter lets the program
# read its environment, and it does kill on exec
SO="" pre /nonexistent DB_PASSWORD=from-env "$P" "${L[@]}" seccomp:prctl get:DB_PASSWORD
c1="rc=$rc out=[$(out)]"
[ "$rc" -eq 0 ] && [ "$(out)" = "DB_PASSWORD=env " ]
r1=$?
SO="" pre /nonexistent "$P" seccomp:syscall exec:/bin/true
check "C3 control: the filter alone (no preload) lets getenv run and kills exec (159)" $((r1 || rc != 159)) \
	"$c1; exec under the filter: rc=$rc"
CONF=$(conf c3a 'on_error = fallback')
pre "$CONF" DB_PASSWORD=from-env "$P" "${L[@]}" seccomp:prctl get:DB_PASSWORD
[ "$rc" -eq 0 ] && [ "$(out)" = "DB_PASSWORD=env " ] && seccomp_said
check "C3a: filter via prctl, fallback: the environment's value and a seccomp line (no SIGSYS)" $? "$(diag)"
pre "$CONF" DB_PASSWORD=from-env "$P" "${L[@]}" seccomp:syscall get:DB_PASSWORD
[ "$rc" -eq 0 ] && [ "$(out)" = "DB_PASSWORD=env " ] && seccomp_said
check "C3b: filter via syscall(SYS_seccomp), fallback: the environment's value and a seccomp line" $? "$(diag)"
CONF=$(conf c3c 'on_error = fail')
pre "$CONF" "$P" "${L[@]}" seccomp:prctl get:DB_PASSWORD
[ "$rc" -eq 69 ] && [ -z "$(out)" ] && seccomp_said
check "C3c: filter via prctl, on_error = fail: exit 69 with a seccomp line" $? "$(diag)"
# seccomp = spawn: the helper is started anyway, as documented: SIGSYS (128+31)
CONF=$(conf c3d 'seccomp = spawn')
pre "$CONF" "$P" "${L[@]}" seccomp:prctl get:DB_PASSWORD
[ "$rc" -eq 159 ]
check "C3d: seccomp = spawn: the helper is started and the filter kills the program (159)" $? "$(diag)"
# an inherited filter (a launcher's, without the preload) that lets processes
# be created: auto starts the helper anyway; no-spawn does not
ENVP=$(command -v env)
CONF=$(conf c3e)
SO_SAVED=$SO
SO="" pre "$CONF" "$P" seccomp:mild exec:"$ENVP" LD_PRELOAD="$SO_SAVED" "$P" "${L[@]}" status get:DB_PASSWORD
[ "$rc" -eq 0 ] && [ "$(out)" = "seccomp=2 DB_PASSWORD=vault " ]
check "C3e: an inherited filter that allows clone/exec: default config serves Vault's value" $? "$(diag)"
CONF=$(conf c3f 'seccomp = no-spawn' 'on_error = fallback')
SO="" pre "$CONF" DB_PASSWORD=from-env "$P" seccomp:mild exec:"$ENVP" LD_PRELOAD="$SO_SAVED" "$P" "${L[@]}" \
	status get:DB_PASSWORD
[ "$rc" -eq 0 ] && [ "$(out)" = "seccomp=2 DB_PASSWORD=env " ] && seccomp_said
check "C3f: the same inherited filter with seccomp = no-spawn: the environment's value and a seccomp line" \
	$? "$(diag)"

# === S1 (sibling): a relative LD_PRELOAD is handed on absolute ===============
# The program moves to a directory holding a decoy at the same relative path,
# then execs a child: the child must load the preload the launch named.
REL=${VAULTSHIM_TEST_BUILD:-build}/libvaultshim.so
mkdir -p "$T/elsewhere/${REL%/*}"
build "$T/elsewhere/$REL" gcc "${CF[@]}" -fPIC -shared -DVALUES_DECOY_MARKER="\"$T/decoy-ran\"" \
	"$H/values_decoy.c"
# (an LD_PRELOAD list, as the ASan run's, keeps its other entries)
PRE_REL=$REL
case $SO in *:*) PRE_REL="${SO%:*}:$REL" ;; esac
CONF=$(conf s1)
(cd "$ROOT" && SO=$PRE_REL pre "$CONF" "$P" chdir:"$T/elsewhere" exec:"$P" "${L[@]}" get:DB_PASSWORD)
rc=$(cat "$T/rc")
[ "$rc" -eq 0 ] && [ "$(out)" = "DB_PASSWORD=vault " ] && [ ! -e "$T/decoy-ran" ]
check "S1: relative LD_PRELOAD, chdir, exec: the child is served by the launch's preload, not a decoy" $? \
	"$(diag) decoy loaded: $([ -e "$T/decoy-ran" ] && echo yes || echo no)"

# === R6: a child's seccomp refusal is its own, not the tree's answer =========
# A lazy program forks before reading anything mapped; the child sandboxes
# itself (a filter that refuses nothing, so only the preload's refusal to
# start its helper there is at stake), reads DB_PASSWORD and exits. Its
# refusal must not be handed up the tree: the parent resolves afterwards.
CONF=$(conf r6 'on_error = fallback')
pre "$CONF" DB_PASSWORD=from-env "$P" "${L[@]}" fork seccomp:allow get:DB_PASSWORD wait get:DB_PASSWORD
[ "$rc" -eq 0 ] && [ "$(out)" = "DB_PASSWORD=env child=0 DB_PASSWORD=vault " ] &&
	[ "$(grep -ci seccomp "$T/err")" -eq 1 ]
check "R6: a forked child under its own filter gets the environment's value (one seccomp line); the parent then Vault's" \
	$? "$(diag)"

# === R7: the config's text travels down the tree ==============================
# A lazy parent that has read nothing mapped renames (or chmods) its config,
# then forks and execs a child under the preload: the child is served from
# the text read at the launch's start, under on_error = fail too.
CONF=$(conf r7a 'on_error = fail')
# (two lines: the child's, then the parent's child=N)
pre "$CONF" "$P" move:"$CONF" fork exec:"$P" "${L[@]}" get:DB_PASSWORD
[ "$rc" -eq 0 ] && [ "$(out)" = $'DB_PASSWORD=vault \nchild=0 ' ]
check "R7a: on_error = fail, config renamed, then fork+exec: the child is served Vault's value, exit 0" $? "$(diag | tr '\n' '|')"
CONF=$(conf r7b 'on_error = fail')
pre "$CONF" "$P" chmod:"$CONF" fork exec:"$P" "${L[@]}" get:DB_PASSWORD
[ "$rc" -eq 0 ] && [ "$(out)" = $'DB_PASSWORD=vault \nchild=0 ' ]
check "R7b: on_error = fail, config made 0660, then fork+exec: the child is served Vault's value, exit 0" $? "$(diag | tr '\n' '|')"

# === R8: a forked worker that drops its privileges without exec ================
# As root: the worker (setuid 65534 after fork) cannot read the config (its
# directory, $T, and the file are root's alone): it answers from the
# environment with one line, under on_error = fail too; the parent, still
# root, is served afterwards.
if [ "$(id -u)" -ne 0 ]; then
	skip "R8: a worker dropping privileges after fork (needs root)"
else
	CONF=$(conf r8 'on_error = fail')
	# nobody really cannot read it
	perms="dir=$(stat -c %u:%a "$T") conf=$(stat -c %u:%a "$CONF")"
	[ "$perms" = "dir=0:700 conf=0:600" ]
	r1=$?
	pre "$CONF" DB_PASSWORD=from-env "$P" "${L[@]}" fork drop:65534 get:DB_PASSWORD wait get:DB_PASSWORD
	[ "$r1" -eq 0 ] && [ "$rc" -eq 0 ] && [ "$(out)" = "DB_PASSWORD=env child=0 DB_PASSWORD=vault " ] &&
		[ "$(grep -c 'cannot read the config' "$T/err")" -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ]
	check "R8: on_error = fail, a worker setuid(65534) after fork: the environment's value, one 'cannot read the config' line; the parent then Vault's" \
		$? "$perms $(diag)"
fi

# === R9: a ${VAR} the config expands, over 4 KiB ===============================
# BIG (5000 bytes) is recorded at start for the tree: the program unsets it
# before its first read, and the helper still expands it.
BIG=$(seq 10000 10999 | tr -d '\n')
# shellcheck disable=SC2016 # ${BIG} is the config's
CONF=$(C_ENV='DB_PASSWORD = secret/app/db#password
BIG_COPY = secret/app/none#x default="${BIG}"' conf r9)
pre "$CONF" BIG="$BIG" "$P" "${L[@]}" is:big="$BIG" unset:BIG get:BIG get:DB_PASSWORD get:BIG_COPY
[ "${#BIG}" -eq 5000 ] && [ "$rc" -eq 0 ] && [ "$(out)" = "BIG=null DB_PASSWORD=vault BIG_COPY=big " ]
check "R9: a 5000-byte \${BIG} in a default, unsetenv(BIG) first: DB_PASSWORD served, the default whole" $? "$(diag)"

# === R10b: /proc/self/status past 4 KiB ========================================
# ~800 supplementary groups push the Seccomp: line past the first 4 KiB:
# seccomp = no-spawn under an inherited filter must still see it.
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
	skip "R10b: the Seccomp: line past 4 KiB (needs root and setpriv)"
else
	CONF=$(conf r10b 'seccomp = no-spawn' 'on_error = fallback')
	SO="" pre "$CONF" DB_PASSWORD=from-env "$(command -v setpriv)" --groups="$(seq -s, 100000 100800)" \
		"$P" seccomp:mild exec:"$ENVP" LD_PRELOAD="$SO_SAVED" "$P" "${L[@]}" far status get:DB_PASSWORD
	[ "$rc" -eq 0 ] && [ "$(out)" = "far=yes seccomp=2 DB_PASSWORD=env " ] && seccomp_said
	check "R10b: seccomp = no-spawn, inherited filter, 801 groups (Seccomp: past 4 KiB): no helper, the environment's value" \
		$? "$(diag)"
fi

# === R10g: vaultshim resolve --config-fd takes a number, and only one ==========
# (descriptor 3 open on the config: a ' 3' taken for 3 would resolve)
CONF=$(conf r10g)
# shellcheck disable=SC2094 # descriptor 3 reads the config, out and err are other files
cfd() {
	timeout -s KILL 20 "$VAULTSHIM" resolve -c "$CONF" "$@" </dev/null >"$T/out" 2>"$T/err" 3<"$CONF"
	rc=$?
	r=$([ "$rc" -eq 64 ] && [ ! -s "$T/out" ] && grep -q -e '--config-fd' "$T/err" &&
		! grep -qi 'unknown option' "$T/err" && echo ok || echo bad)
	echo "[$*]: $r rc=$rc err=[$(head -2 "$T/err" | tr '\n' '|')]"
}
d1=$(cfd --config-fd ' 3')
d2=$(cfd --config-fd)
d3=$(cfd --config-fd 2)
# control: --config-fd 3 resolves
# shellcheck disable=SC2094
timeout -s KILL 20 "$VAULTSHIM" resolve -c "$CONF" --config-fd 3 </dev/null >"$T/out" 2>"$T/err" 3<"$CONF"
rc=$?
d4="[--config-fd 3]: rc=$rc"
[[ "$d1 $d2 $d3" != *": bad "* ]] && [ "$rc" -eq 0 ] && grep -q '^end$' "$T/out"
check "R10g: resolve --config-fd ' 3', without a number, or 2: exit 64, a usage line naming --config-fd (3 resolves)" $? \
	"$d1" "$d2" "$d3" "$d4"

# === W5: a NUL byte inside a Vault value (last: it spoils app/db) =============
# Refused, naming the variable, never the value or a part of it.
api POST /v1/secret/data/app/db '{"data":{"password":"val\u0000ues"}}' >/dev/null
# no piece of the value: "val" as a word (the truncated value), nor escaped
no_piece() { ! grep -qaw -e val -e ues "$@" && ! grep -qaF -e 'val\' -e '\u0000ues' "$@"; }
masked() { sed 's/val/v*l/g' "$@" | head -3 | tr '\n' '|'; }
CONF=$(conf w5a 'on_error = fail')
pre "$CONF" "$P" "${L[@]}" get:DB_PASSWORD
[ "$rc" -eq 65 ] && [ -z "$(out)" ] && grep -q DB_PASSWORD "$T/err" && grep -qi nul "$T/err" && no_piece "$T/err"
check "W5a: on_error = fail: exit 65, one line naming DB_PASSWORD and the NUL, no piece of the value" $? \
	"rc=$rc out=[$(masked "$T/out")] err=[$(masked "$T/err")]"
CONF=$(conf w5b 'on_error = fallback')
pre "$CONF" DB_PASSWORD=from-env "$P" "${L[@]}" get:DB_PASSWORD
[ "$rc" -eq 0 ] && [ "$(out)" = "DB_PASSWORD=env " ]
check "W5b: on_error = fallback: the environment's value, never the truncated one" $? \
	"rc=$rc out=[$(masked "$T/out")] err=[$(masked "$T/err")]"
CONF=$(conf w5c)
timeout -s KILL 20 "$VAULTSHIM" get -c "$CONF" DB_PASSWORD >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" -ne 0 ] && no_piece "$T/out" "$T/err"
check "W5c: vaultshim get refuses the value (non-zero, no piece of it printed)" $? \
	"rc=$rc out=[$(masked "$T/out")] err=[$(masked "$T/err")]"
timeout -s KILL 20 "$VAULTSHIM" check -c "$CONF" >"$T/out" 2>"$T/err"
rc=$?
# the table's row: NAME SOURCE PATH#FIELD ...
src=$(awk '$1 == "DB_PASSWORD" { print $2 }' "$T/out")
[ -n "$src" ] && [ "$src" != vault ] && no_piece "$T/out" "$T/err"
check "W5c: vaultshim check does not report DB_PASSWORD as served from vault" $? \
	"rc=$rc source=[$src] row=[$(grep DB_PASSWORD "$T/out" | masked)]"
api POST /v1/secret/data/app/db '{"data":{"password":"values-db"}}' >/dev/null

echo "1..$_n"
