#!/bin/bash
# The runtime matrix: one small program per runtime (tests/programs/runtimes/,
# contract in its README) launched through `vaultshim exec -c CONF -- CMD` in
# the default (auto) mode, with VAULT_TOKEN set and the mapped name absent
# from the environment. One TAP test per runtime checks that
#   (a) what the program printed is the Vault value (sha256 of its stdout);
#   (b) while it runs (it prints, then waits on a child `sleep 1`) no
#       /proc/PID/environ on the machine holds the value, nor the value of a
#       second mapped name nobody reads, and no /proc/PID/cmdline either;
#       a scanner reading every environ ~20 times a second for the whole
#       file must not see them at any moment of the run either;
#   (c) the launch exits 0; and, run without the launcher, the same program
#       exits non-zero and prints nothing (so an empty value can never pass).
# Go built with CGO_ENABLED=0 ignores LD_PRELOAD: the launcher warns and
# runs it in environment mode, so for it (b) is replaced by "the warning is
# on stderr". A runtime missing from the machine is a skip, never a pass.
# No value is ever printed: diagnostics show digests, lengths, pids and names.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/programs/runtimes/runtimes.sh"

[ -x "$VAULTSHIM" ] || { echo "Bail out! build first: make"; exit 1; }
# Under tests/sanitize/asan the preload beside this build's programs is the
# sanitized one, which cannot go first into every program: a copy of the
# programs beside the plain preload, which finds its helper beside itself.
if [ -n "${VAULTSHIM_TEST_SO_FILE:-}" ]; then
	copy_programs "$T/bin"
	VAULTSHIM=$T/bin/vaultshim
fi
"$VAULTSHIM" exec --help >/dev/null 2>&1 || { echo "Bail out! $VAULTSHIM has no exec subcommand"; exit 1; }

SCAN_PID=""
cleanup_rt() {
	if [ -n "$SCAN_PID" ]; then
		kill "$SCAN_PID" 2>/dev/null
		wait "$SCAN_PID" 2>/dev/null
	fi
	# build jobs still running when the file stops early
	kill $(jobs -p) 2>/dev/null
	cleanup
}
trap cleanup_rt EXIT

OUT=$T/rt
mkdir -p "$OUT"

# --- builds: compiled runtimes build in the background, in two chains (two
# cores), while the interpreted ones run; each leaves OUT/NAME.build.rc --------
build_chain() {
	local rt rc
	for rt; do
		if rt_need "$rt" >/dev/null; then
			rt_build "$rt" "$OUT"
			rc=$?
		else
			rc=0 # reported as a skip by the test itself
		fi
		echo "$rc" > "$OUT/$rt.build.rc"
	done
}
build_chain c cxx python-venv python-shim java rust &
build_chain go-static go-cgo &
# wait_build NAME: the build's status (124 when it never finished)
wait_build() {
	local i
	for ((i = 0; i < 1200; i++)); do
		[ -s "$OUT/$1.build.rc" ] && { cat "$OUT/$1.build.rc"; return; }
		case $1 in c | cxx | python-venv | python-shim | java | rust | go-static | go-cgo) ;; *) echo 0; return ;; esac
		sleep 0.05
	done
	echo 124
}

# --- server and secrets: one value per runtime, so that any hit names its runtime
start_server
RUN=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
declare -A VAL UNUSED
: > "$T/scan.pats"
chmod 600 "$T/scan.pats"
for rt in "${RT_ALL[@]}"; do
	VAL[$rt]="vs-rt $rt/Zq$RUN"      # a space and a slash on purpose
	UNUSED[$rt]="vs-rt-unused-$rt-$RUN"
	api POST "/v1/secret/data/rt/$rt" "{\"data\":{\"value\":\"${VAL[$rt]}\",\"unused\":\"${UNUSED[$rt]}\"}}" >/dev/null
	printf '%s\t%s\n%s\t%s\n' "$rt" "${VAL[$rt]}" "$rt" "${UNUSED[$rt]}" >> "$T/scan.pats"
done
# the scanner's control: a process with a listed string in its environment
printf 'control\tvs-rt-control-%s\n' "$RUN" >> "$T/scan.pats"

# --- the scanner: one long-lived process reading every /proc/PID/environ and
# cmdline until $T/scan.stop appears; a hit is "LABEL KIND pid comm<parent...",
# the label being the runtime whose value it is (never the value); the number
# of finished passes is kept in $T/scan.n ------------------------------------------
cat > "$T/scan.py" <<'PY'
import os, sys, time
t = sys.argv[1]
pats = [l.split("\t", 1) for l in open(t + "/scan.pats").read().split("\n") if l]
pats = [(lab, s.encode()) for lab, s in pats]
seen, n = set(), 0
me = str(os.getpid())

# A Go program passes its children its own copy of the environment, values
# included (its exec is a raw system call: no hook of ours sees it), so the
# child's block holds them from its exec until the preload's start wipes
# them (docs/design.md, "The process-tree rule"). A hit in that window, on
# a process that then wipes the value while it lives, is that window; a
# value still there after WINDOW seconds, or in a process that ended holding
# it, is a hit.
WINDOW = 0.3
def start_time(pid):
    try:
        st = open("/proc/%s/stat" % pid).read()
    except OSError:
        return None
    return st[st.rindex(")") + 2:].split()[19]
def wiped_soon(pid, s):
    born = start_time(pid)
    end = time.monotonic() + WINDOW
    while time.monotonic() < end:
        time.sleep(0.01)
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                data = f.read()
        except OSError:
            return False
        if start_time(pid) != born:
            return False
        if s not in data:
            return True
    return False
while not os.path.exists(t + "/scan.stop"):
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or pid == me:
            continue
        for kind in ("environ", "cmdline"):
            try:
                with open("/proc/%s/%s" % (pid, kind), "rb") as f:
                    data = f.read()
            except OSError:
                continue
            for lab, s in pats:
                if s in data and (lab, kind, pid) not in seen:
                    if kind == "environ" and wiped_soon(pid, s):
                        with open(t + "/scan.transient", "a") as f:
                            f.write("%s %s\n" % (lab, pid))
                        continue
                    seen.add((lab, kind, pid))
                    chain, p = [], pid
                    for _ in range(5):
                        try:
                            st = open("/proc/%s/stat" % p).read()
                        except OSError:
                            break
                        chain.append(st[st.index("(") + 1:st.rindex(")")])
                        p = st[st.rindex(")") + 2:].split()[1]
                        if p in ("0", "1"):
                            break
                    with open(t + "/scan.hits", "a") as f:
                        f.write("%s %s %s %s\n" % (lab, kind, pid, "<".join(chain) or "?"))
    n += 1
    with open(t + "/scan.n.tmp", "w") as f:
        f.write("%d\n" % n)
    os.replace(t + "/scan.n.tmp", t + "/scan.n")
    time.sleep(0.03)
PY
: > "$T/scan.hits"
/usr/bin/python3 "$T/scan.py" "$T" &
SCAN_PID=$!
env VS_RT_CONTROL="vs-rt-control-$RUN" sleep 1 &
CONTROL_PID=$!

scans() { cat "$T/scan.n" 2>/dev/null || echo 0; }
# scan_settle: waits for two more full passes of the scanner (so that a run
# just finished has been looked at until its end)
scan_settle() {
	local n0 i
	n0=$(scans)
	for ((i = 0; i < 200; i++)); do
		[ "$(scans)" -ge $((n0 + 2)) ] && return 0
		sleep 0.02
	done
	return 1
}

# --- helpers ---------------------------------------------------------------------------
# digest FILE: "sha256[:16] len=N" of a file (for diagnostics)
digest() { printf '%s len=%s' "$(sha256sum < "$1" | cut -c1-16)" "$(wc -c < "$1")"; }
# errs RT FILE: the last lines of a stderr capture, the runtime's values masked
errs() {
	local l
	tail -n 6 "$2" 2>/dev/null | while IFS= read -r l; do
		l=${l//"${VAL[$1]}"/<value>}
		printf '%s // ' "${l//"${UNUSED[$1]}"/<unused>}"
	done
}
# base environment of a launch: the mapped names, an outer launch and a
# calling make removed (a sub-make would print "Entering directory")
CLEAN=(env -u RT_SECRET -u RT_UNUSED -u LD_PRELOAD -u VAULTSHIM_CONFIG -u VAULTSHIM_HANDOFF -u VAULTSHIM_MODE
	-u VAULTSHIM_LOG -u VAULTSHIM_UNREADABLE -u MAKEFLAGS -u MAKELEVEL -u MFLAGS)

# has_interp FILE: 0 when the ELF file has a PT_INTERP program header
has_interp() { readelf -lW "$1" 2>/dev/null | grep -q '^ *INTERP '; }

# run_runtime NAME: one TAP test
run_runtime() {
	local rt=$1 miss brc conf want crc ccount why=() d=() name scan_hits
	name="$rt: vaultshim exec (auto) serves RT_SECRET"
	if ! miss=$(rt_need "$rt"); then
		skip "$name ($miss)"
		return
	fi
	brc=$(wait_build "$rt")
	if [ "$brc" != 0 ]; then
		not_ok "$name" "build failed (rc=$brc): $(tail -n 3 "$OUT/$rt.build.log" 2>/dev/null | tr '\n' ' ')"
		return
	fi
	rt_cmd "$rt" "$OUT"
	case $rt in
	go-static) has_interp "${RT_CMD[0]}" && why+=("premise: the CGO_ENABLED=0 build has PT_INTERP") ;;
	go-cgo) has_interp "${RT_CMD[0]}" || why+=("premise: the cgo build has no PT_INTERP") ;;
	esac

	conf="$T/$rt.conf"
	write_conf "$conf" <<CONF
[vault]
address = $VAULT_ADDR

[env]
RT_SECRET = secret/rt/$rt#value
RT_UNUSED = secret/rt/$rt#unused
CONF
	printf '%s\n%s\n' "${VAL[$rt]}" "${UNUSED[$rt]}" > "$T/pats"
	want=$(printf '%s\n' "${VAL[$rt]}" | sha256sum)

	# control: the same program without the launcher must fail and print nothing
	timeout 30 "${CLEAN[@]}" ${RT_PATH:+PATH="$RT_PATH:$PATH"} "${RT_CMD[@]}" >"$T/out" 2>"$T/err" </dev/null
	crc=$?
	ccount=$(wc -c < "$T/out")
	[ "$crc" -ne 0 ] && [ "$ccount" = 0 ] ||
		why+=("control: without the launcher it exited $crc and printed $ccount bytes (must fail, print nothing)")

	# the launch
	rt_run "$T/out" "$T/err" "$T/pats" "${CLEAN[@]}" VAULT_TOKEN="$ROOT_TOKEN" ${RT_PATH:+PATH="$RT_PATH:$PATH"} \
		"$VAULTSHIM" exec -c "$conf" -- "${RT_CMD[@]}"
	scan_settle || why+=("the scanner stopped")
	[ "$RT_RC" = 0 ] || why+=("(c) exit status $RT_RC, not 0")
	[ "$(sha256sum < "$T/out")" = "$want" ] ||
		why+=("(a) stdout is not the value: got $(digest "$T/out"), want ${want:0:16} len=$((${#VAL[$rt]} + 1))")
	[ "$RT_LIVE" = 1 ] || why+=("(b) could not scan while the program ran (it ended before printing, or right after)")
	[ -z "$RT_ARG_HITS" ] || why+=("a value in /proc/PID/cmdline of: $RT_ARG_HITS")
	grep -qF -f "$T/pats" "$T/err" && why+=("a value on stderr")
	scan_hits=$(awk -v r="$rt" '$1 == r {print $2, $3, $4}' "$T/scan.hits" | tr '\n' ';')
	if [ "$rt" = go-static ]; then
		# environment mode: the value is in its environ by design; the warning says so
		grep -qi 'environment mode' "$T/err" || why+=("no 'environment mode' warning on stderr")
		[[ $scan_hits == *"cmdline"* ]] && why+=("scanner: a value in a cmdline: $scan_hits")
		[ -z "$RT_ENV_HITS" ] && why+=("premise: environment mode, yet the value was in no environ (scan: live=$RT_LIVE)")
	else
		[ -z "$RT_ENV_HITS" ] || why+=("(b) the value in /proc/PID/environ of (pid:comm): $RT_ENV_HITS")
		[ -z "$scan_hits" ] || why+=("(b) scanner hits (kind pid comm<parents): $scan_hits")
	fi
	if [ ${#why[@]} -eq 0 ]; then
		ok "$name (${RT_CMD[0]##*/} -> ${RT_EXE##*/})"
	else
		d=("${why[@]}" "rc=$RT_RC stdout: $(digest "$T/out"); $RT_TIMES" "stderr: $(errs "$rt" "$T/err")")
		not_ok "$name (${RT_CMD[0]##*/} -> ${RT_EXE##*/})" "${d[@]}"
	fi
	rm -f "$T/out"
}

# VAULTSHIM_RT_ONLY="ksh go-cgo": only those (when looking into one failure)
for rt in ${VAULTSHIM_RT_ONLY:-${RT_ALL[@]}}; do
	run_runtime "$rt"
done

# --- the scanner ------------------------------------------------------------------------
wait "$CONTROL_PID" 2>/dev/null
touch "$T/scan.stop"
wait "$SCAN_PID" 2>/dev/null
SCAN_PID=""
check "scanner control: a process holding a listed string in its environment is reported ($(scans) scans)" \
	$(grep -q "^control environ $CONTROL_PID " "$T/scan.hits"; echo $?) "control pid=$CONTROL_PID not among the hits"
exit 0
