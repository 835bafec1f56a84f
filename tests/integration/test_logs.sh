#!/usr/bin/env bash
# Log lines, the journal, JSON logs, the User-Agent and the audit trail
# (README "Logs and the audit trail"; docs/design.md "Log lines" and
# "Audit records"): what an operator reads, checked as an operator would.
. "$(dirname "$0")/lib.sh"

start_server
PW=pw-$(rand)
KEY=key-$(rand)
api POST /v1/secret/data/app/db "{\"data\":{\"password\":\"old-$PW\"}}" >/dev/null
api POST /v1/secret/data/app/db "{\"data\":{\"password\":\"$PW\"}}" >/dev/null
api POST /v1/secret/data/app/api "{\"data\":{\"key\":\"$KEY\"}}" >/dev/null
VERSION=$("$VAULTSHIM" version | awk '{print $2}')

# a shell under its own name: the program a line must name (eager, so that
# the shell's copy of its environment holds the values)
cp "$(command -v dash)" "$T/vs-probe"
# prints its pid, then reads DB_PASSWORD (never printing it)
probe() { "$T/vs-probe" -c 'echo $$ > "$0"; [ -n "$DB_PASSWORD" ] && echo read' "$T/pid"; }
# a lazy C program that reads a mapped name twice, SLEEP seconds apart
cat > "$T/twice.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	const char *a = getenv("DB_PASSWORD");
	sleep((unsigned)atoi(argv[1]));
	const char *b = getenv("DB_PASSWORD");
	printf("%s %s\n", a ? "set" : "unset", b ? "set" : "unset");
	return 0;
}
EOF
cc -O1 -o "$T/twice" "$T/twice.c" || { echo "Bail out! cannot build twice"; exit 1; }

# --- the text line -------------------------------------------------------------
# Vault unreachable for one name: the resolver's fallback warning
C_ENV="DB_PASSWORD = secret/app/db#password
API_KEY = secret/app/nothere#key default=\"d\"" \
	conf fb 'mode = eager' >/dev/null
VAULTSHIM_CONFIG=$T/fb.conf LD_PRELOAD=$SO probe >"$T/out" 2>"$T/err"
pid=$(cat "$T/pid")
grep -qE "^vaultshim\[$pid\] vs-probe: warn: 1 of 2 names not from Vault" "$T/err" && [ "$(wc -l <"$T/err")" = 1 ]
check "text: one line 'vaultshim[PID] PROG: warn: …' with the program's pid and name" $? "pid=$pid $(cat "$T/err")"

for lv in WARN Warn warn; do
	VAULTSHIM_LOG=$lv VAULTSHIM_CONFIG=$T/fb.conf LD_PRELOAD=$SO probe >/dev/null 2>"$T/err"
	grep -qE "^${LOG_WARN}1 of 2 names" "$T/err" && ! grep -q 'VAULTSHIM_LOG' "$T/err"
	check "VAULTSHIM_LOG=$lv: taken as warn (any case), no complaint" $? "$(cat "$T/err")"
done
VAULTSHIM_LOG=ERROR VAULTSHIM_CONFIG=$T/fb.conf LD_PRELOAD=$SO probe >/dev/null 2>"$T/err"
check "VAULTSHIM_LOG=ERROR: the warning is not printed" $([ ! -s "$T/err" ]; echo $?) "$(cat "$T/err")"
VAULTSHIM_LOG=Debug VAULTSHIM_CONFIG=$T/fb.conf LD_PRELOAD=$SO probe >/dev/null 2>"$T/err"
pid=$(cat "$T/pid")
grep -qE "^vaultshim\[$pid\] vs-probe: debug: GET secret/data/app/db -> 200" "$T/err" &&
	grep -qE "^vaultshim\[$pid\] vs-probe: debug: eager mode" "$T/err" &&
	! grep -vqE "^vaultshim\[$pid\] vs-probe: (debug|info|warn): " "$T/err"
check "VAULTSHIM_LOG=Debug: every line, the helper's too, names the program and its pid" $? "pid=$pid $(cat "$T/err")"
! grep -qF "$PW" "$T/err"
check "debug lines hold no value" $?

VAULTSHIM_LOG=loud VAULTSHIM_CONFIG=$T/fb.conf LD_PRELOAD=$SO probe >/dev/null 2>"$T/err"
[ "$(grep -c "VAULTSHIM_LOG 'loud' is not debug, info, warn, error or off; using warn" "$T/err")" = 1 ] &&
	grep -qE "^${LOG_WARN}1 of 2 names" "$T/err"
check "VAULTSHIM_LOG=loud: one warning, then warn level" $? "$(cat "$T/err")"

# --- one write per line ------------------------------------------------------------
if command -v strace >/dev/null; then
	# (-E: the preload in the traced program, not in strace; under
	# tests/sanitize/asan, LeakSanitizer cannot run under ptrace: off here)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -qq -s 4096 -e trace=write -o "$T/trace" -E VAULTSHIM_CONFIG="$T/fb.conf" -E LD_PRELOAD="$SO" \
		"$T/vs-probe" -c ': "$DB_PASSWORD"' 2>/dev/null
	grep -E 'write\(2, "vaultshim\[' "$T/trace" >"$T/writes"
	[ "$(wc -l <"$T/writes")" = 1 ] && grep -qE 'write\(2, "vaultshim\[[0-9]+\] vs-probe: warn: 1 of 2 names not from Vault.*fallback sources used; .vaultshim check -c [^ ]+. names each and why\\n", [0-9]+\) = [0-9]+$' "$T/writes"
	check "a line is one write(2), newline included" $? "$(cat "$T/writes")"
else
	skip "strace not installed: one write per line not checked"
fi

# --- format ------------------------------------------------------------------------
VAULTSHIM_LOG_FORMAT=yaml VAULTSHIM_CONFIG=$T/fb.conf LD_PRELOAD=$SO probe >/dev/null 2>"$T/err"
[ "$(grep -c "VAULTSHIM_LOG_FORMAT 'yaml' is not text or json; using text" "$T/err")" = 1 ] &&
	grep -qE "^${LOG_WARN}1 of 2 names" "$T/err" && [ "$(wc -l <"$T/err")" = 2 ]
check "VAULTSHIM_LOG_FORMAT=yaml: one warning line, then text lines" $? "$(cat "$T/err")"
VAULTSHIM_LOG_FORMAT=yaml "$VAULTSHIM" check -c "$T/fb.conf" >/dev/null 2>"$T/err"
[ "$(grep -c "VAULTSHIM_LOG_FORMAT 'yaml' is not text or json" "$T/err")" = 1 ]
check "vaultshim check with VAULTSHIM_LOG_FORMAT=yaml: the warning once" $? "$(cat "$T/err")"
conf ok 'mode = eager' >/dev/null
VAULTSHIM_LOG_FORMAT=yaml LD_PRELOAD=$SO VAULTSHIM_CONFIG=$T/ok.conf "$T/vs-probe" -c 'true' 2>"$T/err"
check "a preloaded program with nothing to say says nothing of the bad format" \
	$([ ! -s "$T/err" ]; echo $?) "$(cat "$T/err")"

# JSON, with a config path that needs escaping (a quote, a tab, a backslash, UTF-8)
D="$T/we\"ird	dir\\é"
mkdir -p "$D"
printf '[vault]\naddress = %s\n[env]\nBAD NAME = secret/x#y\n' "$VAULT_ADDR" | write_conf "$D/bad.conf"
VAULTSHIM_LOG_FORMAT=Json VAULTSHIM_CONFIG=$D/bad.conf LD_PRELOAD=$SO "$T/vs-probe" -c 'echo $$ >"$0"' "$T/pid" \
	2>"$T/err"
rc=$?
python3 - "$T/err" "$D/bad.conf" <<'EOF' >"$T/py" 2>&1
import json, sys, re
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert len(lines) == 1, lines
o = json.loads(lines[0])
assert sorted(o) == ["level", "msg", "pid", "prog", "time"], o
assert o["level"] == "error" and o["prog"] == "vs-probe", o
assert isinstance(o["pid"], int) and o["pid"] > 0, o
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", o["time"]), o
assert o["msg"].startswith("config: " + sys.argv[2] + ":4: "), o
print("ok")
EOF
check "VAULTSHIM_LOG_FORMAT=Json: one JSON object per line, the path escaped and read back exactly (rc $rc)" \
	$([ "$(cat "$T/py")" = ok ] && [ "$rc" = 78 ]; echo $?) "$(cat "$T/py") $(cat "$T/err")"
VAULTSHIM_LOG_FORMAT=json VAULTSHIM_LOG=debug VAULTSHIM_CONFIG=$T/fb.conf LD_PRELOAD=$SO probe >/dev/null 2>"$T/err"
pid=$(cat "$T/pid")
python3 -c '
import json, sys
n = 0
for l in open(sys.argv[1]):
    o = json.loads(l)
    assert o["pid"] == int(sys.argv[2]) and o["prog"] == "vs-probe", o
    n += 1
assert n >= 3, n
' "$T/err" "$pid" 2>"$T/py"
check "JSON at debug: every line (the helper's too) parses, with the program's pid and name" $? "$(cat "$T/py") $(head -3 "$T/err")"

# --- the journal -------------------------------------------------------------------
: >"$T/jerr"
js=$(stat -c '%d:%i' "$T/jerr")
JOURNAL_STREAM=$js VAULTSHIM_CONFIG=$T/fb.conf LD_PRELOAD=$SO probe >/dev/null 2>>"$T/jerr"
pid=$(cat "$T/pid")
grep -qxE "<4>vaultshim\[$pid\] vs-probe: 1 of 2 names not from Vault .*" "$T/jerr" && [ "$(wc -l <"$T/jerr")" = 1 ]
check "stderr is the journal (JOURNAL_STREAM = its dev:ino): '<4>' and no level word" $? "$js: $(cat "$T/jerr")"
JOURNAL_STREAM=$js VAULTSHIM_CONFIG=$D/bad.conf LD_PRELOAD=$SO "$T/vs-probe" -c true 2>>"$T/jerr"
grep -qE "^<3>vaultshim\[[0-9]+\] vs-probe: config: " "$T/jerr"
check "journal: an error is '<3>'" $? "$(cat "$T/jerr")"
JOURNAL_STREAM=$js VAULTSHIM_LOG=debug VAULTSHIM_CONFIG=$T/fb.conf LD_PRELOAD=$SO probe >/dev/null 2>>"$T/jerr"
grep -qE "^<7>vaultshim\[[0-9]+\] vs-probe: GET " "$T/jerr"
check "journal: debug is '<7>'" $? "$(tail -3 "$T/jerr")"
JOURNAL_STREAM=$js VAULTSHIM_CONFIG=$T/fb.conf LD_PRELOAD=$SO probe >/dev/null 2>"$T/err"
grep -qE "^${LOG_WARN}1 of 2" "$T/err" && ! grep -q '^<' "$T/err"
check "JOURNAL_STREAM inherited but stderr elsewhere: plain lines" $? "$(cat "$T/err")"

# --- the launcher and the CLI ------------------------------------------------------
"$VAULTSHIM" exec -c "$D/bad.conf" -- true 2>"$T/err"
grep -qE "^vaultshim\[[0-9]+\] vaultshim: error: exec: config: .*bad.conf:4: " "$T/err"
check "vaultshim exec: its lines go through the format, as 'vaultshim'" $? "$(cat "$T/err")"
"$VAULTSHIM" check -c "$D/bad.conf" >/dev/null 2>"$T/err"
grep -qE "^vaultshim: config: .*bad.conf:4: " "$T/err"
check "vaultshim check: a message to the person who typed it, 'vaultshim: …' as a Unix tool" $? "$(cat "$T/err")"

# --- the User-Agent ----------------------------------------------------------------
ua_of() { curl -s "$VAULT_ADDR/_control/requests" | python3 -c '
import json, sys
print("\n".join(sorted(set(r.get("user_agent") or "-" for r in json.load(sys.stdin)))))'; }
curl -s -X DELETE "$VAULT_ADDR/_control/requests" >/dev/null
VAULTSHIM_CONFIG=$T/ok.conf LD_PRELOAD=$SO probe >/dev/null 2>&1
ua=$(ua_of)
check "User-Agent of the preload's helper: vaultshim/$VERSION (vs-probe)" $([ "$ua" = "vaultshim/$VERSION (vs-probe)" ]; echo $?) "$ua"
curl -s -X DELETE "$VAULT_ADDR/_control/requests" >/dev/null
"$VAULTSHIM" check -c "$T/ok.conf" >/dev/null 2>&1
ua=$(ua_of)
check "User-Agent of vaultshim check: vaultshim/$VERSION (check)" $([ "$ua" = "vaultshim/$VERSION (check)" ]; echo $?) "$ua"

# --- the audit trail: a file -------------------------------------------------------
A=$T/trail/audit.log
mkdir -p "$T/trail"
conf au 'mode = eager' "audit = $A" >/dev/null
lines() { [ -f "$A" ] && wc -l <"$A" || echo 0; }
VAULTSHIM_CONFIG=$T/au.conf LD_PRELOAD=$SO "$T/vs-probe" -c 'echo $$ >"$0"; [ -n "$DB_PASSWORD" ] && sh -c "[ -n \"\$API_KEY\" ]" && echo read' "$T/pid" >"$T/out" 2>"$T/err"
pid=$(cat "$T/pid")
check "audit: the program is served ($(cat "$T/out"))" $([ "$(cat "$T/out")" = read ] && [ ! -s "$T/err" ]; echo $?) "$(cat "$T/err")"
check "audit: one record for a tree's one resolution (the child takes the hand-off)" $([ "$(lines)" = 1 ]; echo $?) "$(cat "$A")"
check "audit: the file is created 0600" $([ "$(stat -c %a "$A")" = 600 ]; echo $?) "$(stat -c %a "$A")"
python3 - "$A" "$pid" "$T/au.conf" "$(id -u)" "$(readlink -f "$T/vs-probe")" <<'EOF' >"$T/py" 2>&1
import json, sys
path, pid, conf, uid, exe = sys.argv[1:]
r = json.loads(open(path).read().splitlines()[-1])
assert r["event"] == "resolve" and r["pid"] == int(pid) and r["uid"] == int(uid), r
assert r["prog"] == "vs-probe" and r["exe"] == exe and r["config"] == conf, r
assert r["status"] == 0 and r["requests"] >= 3 and r["ms"] > 0 and r["time"].endswith("Z"), r
assert r["names"] == [{"name": "DB_PASSWORD", "source": "vault", "vault": "secret/app/db@2"},
                      {"name": "API_KEY", "source": "vault", "vault": "secret/app/api@1"}], r["names"]
print("ok")
EOF
check "audit: time, event, pid, uid, prog, exe, config, names with source and path@version, requests, ms" \
	$([ "$(cat "$T/py")" = ok ]; echo $?) "$(cat "$T/py")"
"$VAULTSHIM" run -c "$T/au.conf" -- true --an-arg
"$VAULTSHIM" get -c "$T/au.conf" API_KEY >/dev/null
"$VAULTSHIM" check -c "$T/au.conf" >/dev/null
check "audit: run (naming its command) and get add one record each, check none" \
	$([ "$(lines)" = 3 ] && [ "$(sed -n 2p "$A" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["event"], r["cmd"])')" = "run true" ] &&
		[ "$(sed -n 3p "$A" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["event"], len(r["names"]))')" = "get 1" ]; echo $?) \
	"$(cat "$A")"
# a refresh serves values: its own record
conf ref 'mode = lazy' 'refresh = 1s' "audit = $T/trail/refresh.log" >/dev/null
VAULTSHIM_CONFIG=$T/ref.conf LD_PRELOAD=$SO "$T/twice" 2 >"$T/out" 2>"$T/err"
check "audit: a refresh is recorded (resolve, then refresh)" \
	$([ "$(python3 -c 'import json,sys; print(" ".join(json.loads(l)["event"] for l in open(sys.argv[1])))' "$T/trail/refresh.log")" = "resolve refresh" ]; echo $?) \
	"$(cat "$T/trail/refresh.log" "$T/err")"
[ -s "$A" ] && [ -s "$T/trail/refresh.log" ] && ! grep -rqF -e "$PW" -e "$KEY" -e "$ROOT_TOKEN" "$T/trail"
check "audit: no value and no token in any record" $?

# unsafe trails: refused, with the config's FILE:LINE
line=$(grep -n '^audit' "$T/au.conf" | cut -d: -f1)
chmod 0620 "$A"
"$VAULTSHIM" check -c "$T/au.conf" >/dev/null 2>"$T/err"
rc=$?
grep -qF "vaultshim: check: $T/au.conf:$line: audit $A: refusing audit file writable by group or others (mode 0620)" "$T/err"
check "audit: a group-writable trail fails check (77) with CONFIG:LINE" $(( $? || rc != 77 )) "rc=$rc $(cat "$T/err")"
n=$(lines)
VAULTSHIM_CONFIG=$T/au.conf LD_PRELOAD=$SO probe >"$T/out" 2>"$T/err"
grep -qE "^${LOG_ERR}$T/au.conf:$line: audit $A: refusing audit file writable by group or others" "$T/err" &&
	[ "$(cat "$T/out")" = read ] && [ "$(lines)" = "$n" ]
check "audit: the preload says so in one error line, writes nothing there, and serves the program" $? "$(cat "$T/err")"
chmod 0600 "$A"
ln -s "$A" "$T/trail/link.log"
conf aul 'mode = eager' "audit = $T/trail/link.log" >/dev/null
"$VAULTSHIM" check -c "$T/aul.conf" >/dev/null 2>"$T/err"
rc=$?
grep -qF "$T/aul.conf:$line: audit $T/trail/link.log: is a symbolic link" "$T/err"
check "audit: a symbolic link is refused (O_NOFOLLOW)" $(( $? || rc == 0 )) "rc=$rc $(cat "$T/err")"
if id nobody >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	: >"$T/trail/other.log"
	chown nobody "$T/trail/other.log"
	chmod 600 "$T/trail/other.log"
	conf auo 'mode = eager' "audit = $T/trail/other.log" >/dev/null
	"$VAULTSHIM" check -c "$T/auo.conf" >/dev/null 2>"$T/err"
	rc=$?
	grep -qF "$T/auo.conf:$line: audit $T/trail/other.log: refusing audit file owned by uid" "$T/err"
	check "audit: a trail another user owns is refused" $(( $? || rc != 77 )) "rc=$rc $(cat "$T/err")"
else
	skip "not root: a trail owned by another user not checked"
fi
# a relative trail is the config's directory's
conf aur 'mode = eager' "audit = trail/rel.log" >/dev/null
"$VAULTSHIM" run -c "$T/aur.conf" -- true
check "audit: a relative FILE is taken from the config's directory" $([ -s "$T/trail/rel.log" ]; echo $?)

# --- the audit trail: syslog -------------------------------------------------------
# A private mount namespace whose /dev holds our own listening /dev/log.
if unshare -m true 2>/dev/null; then
	own_dev
	python3 - "$T/dev/log" "$T/syslog.out" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
with open(sys.argv[2], "wb") as out:
    data = s.recv(1 << 20)
    out.write(data)
EOF
	lpid=$!
	wait_for 50 test -S "$T/dev/log"
	conf aus 'mode = eager' 'audit = syslog' >/dev/null
	in_own_dev env VAULTSHIM_CONFIG="$T/aus.conf" LD_PRELOAD="$SO" \
		"$T/vs-probe" -c 'echo $$ >"$0"; [ -n "$DB_PASSWORD" ] && echo read' "$T/pid" >"$T/out" 2>"$T/err"
	wait "$lpid"
	pid=$(cat "$T/pid")
	python3 - "$T/syslog.out" "$pid" <<'EOF' >"$T/py" 2>&1
import json, sys, re
data = open(sys.argv[1], "rb").read().decode()
m = re.fullmatch(r"<86>vaultshim\[(\d+)\]: (\{.*\})", data)
assert m, data
assert int(m.group(1)) == int(sys.argv[2]), data
r = json.loads(m.group(2))
assert r["event"] == "resolve" and r["pid"] == int(sys.argv[2]) and r["prog"] == "vs-probe", r
assert [n["source"] for n in r["names"]] == ["vault", "vault"], r
print("ok")
EOF
	check "audit = syslog: one datagram to /dev/log, authpriv.info (<86>), ident vaultshim[PID], the JSON record" \
		$([ "$(cat "$T/py")" = ok ] && [ "$(cat "$T/out")" = read ]; echo $?) "$(cat "$T/py") $(cat "$T/err")"
	[ -s "$T/syslog.out" ] && ! grep -qF -e "$PW" -e "$KEY" "$T/syslog.out"
	check "audit = syslog: no value in the datagram" $?
else
	skip "unshare -m not permitted here: the syslog route is not tested"
fi

echo "1..$_n"
