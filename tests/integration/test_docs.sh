#!/bin/bash
# The documentation kept honest: the man pages lint clean, name every command,
# option and config key the programs accept (taken from the --help texts and
# the parser's key table, so a new option without its documentation fails
# here), every program and page says the one version in VERSION, and the
# bash completion offers what --help lists.
. "$(dirname "$0")/lib.sh"

VERSION=$(cat "$ROOT/VERSION")
MAN=$ROOT/${VAULTSHIM_TEST_BUILD:-build}/man
PAGES="vaultshim.1 vaultshim-exec.1 vaultshim.conf.5"

# help_opts TEXT: the long options an --help text defines, from its usage
# lines (up to the first blank line) and the lines that start with an option;
# an option only mentioned in prose ("see 'vaultshim --help'") is not one
help_opts() {
	printf '%s\n' "$1" | awk 'NR == 1 { u = 1 } u && NF { print; next } { u = 0 }
		match($0, /^[ \t]+(-[a-zA-Z], )?--[a-z][a-z-]*/) { print substr($0, RSTART, RLENGTH) }' |
		grep -oE -- '--[a-z][a-z-]*' | sort -u
}
# in_mdoc OPTION: the ERE that finds OPTION as mdoc writes it (Fl \-no\-watch)
in_mdoc() {
	local name=${1#--}
	printf 'Fl \\\\-%s([^a-z\\\\-]|$)' "${name//-/\\\\?-}"
}
# the commands of `vaultshim --help`, from its "commands:" block
help_cmds() {
	"$VAULTSHIM" --help | awk '/^commands:/ { c = 1; next } c && /^$/ { exit }
		c && /^  [a-z]/ { print $1 }'
}
# section PAGE REGEX: the lines of PAGE's .Ss/.Sh block whose header matches
section() {
	H=$2 awk '/^\.S[hs] / { on = ($0 ~ ENVIRON["H"]); if (on) next } on' "$1"
}

# --- the pages are built, versioned and clean
make -s -C "$ROOT" BUILD="${VAULTSHIM_TEST_BUILD:-build}" man >"$T/make.log" 2>&1
check "make man builds the pages" $? "$(tail -3 "$T/make.log")"
for p in $PAGES; do
	out=$(mandoc -T lint -W warning "$MAN/$p" 2>&1)
	[ -z "$out" ]
	check "mandoc -T lint -W warning: $p is clean" $? "$out"
done
# a page with a warning is caught (the lint check can fail)
printf '.Dd December 3, 2026\n.Dt X 1\n.Os\n.Sh NAME\n.Nm x\n.Nd x\n.Sh SEE ALSO\n.Xr x 1\n.Sh EXAMPLES\n' \
	> "$T/bad.1"
[ -n "$(mandoc -T lint -W warning "$T/bad.1" 2>&1)" ]
check "mandoc -T lint reports a page with a warning (the lint check can fail)" $?
# the release date is VERSION's entry in CHANGELOG.md
rel=$(sed -n "s/^## \[$VERSION\] - \([0-9-]*\).*/\1/p" "$ROOT/CHANGELOG.md")
want_dd=$(LC_ALL=C date -d "$rel" '+%B %-d, %Y' 2>/dev/null)
[ -n "$rel" ]
check "CHANGELOG.md has an entry for $VERSION" $?
for p in $PAGES; do
	grep -qx ".Os vaultshim $VERSION" "$MAN/$p" && grep -qx ".Dd $want_dd" "$MAN/$p" &&
		! grep -q '@[A-Z]*@' "$MAN/$p"
	check "$p says version $VERSION and date $want_dd, no placeholder left" $? "$(grep -E '^\.(Os|Dd)' "$MAN/$p")"
	mandoc -T ascii "$MAN/$p" | tail -1 | grep -q "vaultshim $VERSION"
	check "$p shows vaultshim $VERSION in its footer" $?
done
[ -e "$ROOT/LICENSE" ] && grep -q '^Copyright (c) 2026 the vaultshim authors$' "$ROOT/LICENSE" &&
	grep -q 'MIT License' "$ROOT/LICENSE"
check "LICENSE: MIT, 2026 the vaultshim authors" $?

# --- every command and option the programs accept is in vaultshim(1)
cmds=$(help_cmds)
[ "$(echo "$cmds" | wc -w)" -ge 6 ]
rc=$?
check "vaultshim --help lists its commands ($(echo $cmds))" $rc "$cmds"
for c in $cmds; do
	grep -qx "\.Ss vaultshim $c" "$MAN/vaultshim.1"
	check "vaultshim(1) has a subsection for '$c'" $?
done
# each option in its own command's subsection, as mdoc writes it (Fl \-opt)
total=0 missing=""
for c in $cmds; do
	text=$("$VAULTSHIM" "$c" --help 2>&1)
	[ "$c" = version ] && continue
	block=$(section "$MAN/vaultshim.1" "^\\.Ss vaultshim $c\$")
	for o in $(help_opts "$text"); do
		total=$((total + 1))
		printf '%s\n' "$block" | grep -qE "$(in_mdoc "$o")" || missing="$missing $c:$o"
	done
done
[ "$total" -ge 20 ] && [ -z "$missing" ]
check "vaultshim(1) documents every long option of every command's --help ($total)" $? "missing:$missing"
missing=""
for o in $(help_opts "$("$VAULTSHIM" exec --help)"); do
	grep -qE "$(in_mdoc "$o")" "$MAN/vaultshim-exec.1" || missing="$missing $o"
done
[ -z "$missing" ]
check "vaultshim-exec(1) documents every long option of exec --help" $? "missing:$missing"
# the extraction sees an option that is missing (the checks above can fail)
o=$(help_opts "$(printf 'usage: x [--not-documented-here]\n\n  -n, --also-new  text (see --help)\n  see --version\n')")
[ "$o" = "$(printf -- '--also-new\n--not-documented-here')" ]
check "the option extraction finds usage and option lines, not prose" $? "$o"

# --- every [vault]/[options] key the parser accepts is in vaultshim.conf(5)
# The key table of src/core/config.c, each key confirmed by the parser itself
# (a key it does not know is refused as "unknown key").
keys=$(sed -nE 's/^[[:space:]]*\[K_[A-Z_]+\] = \{"([a-z_]+)", SEC_(VAULT|OPTIONS),.*/\2 \1/p' "$ROOT/src/core/config.c")
nenum=$(grep -cE '^[[:space:]]*\[K_[A-Z_]+\] = \{' "$ROOT/src/core/config.c")
[ "$(echo "$keys" | wc -l)" -eq "$nenum" ] && [ "$nenum" -ge 30 ]
check "the config parser's key table read from src/core/config.c ($nenum keys)" $? "$keys"
unknown=""
while read -r sec key; do
	sec=$(echo "$sec" | tr A-Z a-z)
	printf '[%s]\n%s = x\n' "$sec" "$key" | write_conf "$T/k.conf"
	"$VAULTSHIM" check -c "$T/k.conf" 2>&1 | grep -q "unknown key" && unknown="$unknown $key"
done <<<"$keys"
printf '[options]\nno_such_key = x\n' | write_conf "$T/k.conf"
"$VAULTSHIM" check -c "$T/k.conf" 2>&1 | grep -q "unknown key 'no_such_key'"
[ $? -eq 0 ] && [ -z "$unknown" ]
check "the parser accepts each key of the table, and refuses an unknown one" $? "refused:$unknown"
missing=""
while read -r sec key; do
	hdr='^\.Sh THE \[vault\] SECTION$'
	[ "$sec" = OPTIONS ] && hdr='^\.Sh THE \[options\] SECTION$'
	section "$MAN/vaultshim.conf.5" "$hdr" | grep -E '^\.It Cm ' | tr ' ,' '\n\n' | grep -qx "$key" ||
		missing="$missing $key"
done <<<"$keys"
[ -z "$missing" ]
check "vaultshim.conf(5) has an entry for every key, in its section" $? "missing:$missing"
for part in required default version kv_version; do
	section "$MAN/vaultshim.conf.5" '^\.Sh ENTRIES$' | grep -qE "^\\.It Cm $part( |\$)"
	check "vaultshim.conf(5) explains the entry option '$part'" $?
done

# --- one version everywhere
ln -s "$VAULTSHIM" "$T/vaultshim-exec"
declare -A said
said[version]=$("$VAULTSHIM" version 2>&1)
said[--version]=$("$VAULTSHIM" --version 2>&1)
said[exec --version]=$("$VAULTSHIM" exec --version 2>&1)
said[vaultshim-exec --version]=$("$T/vaultshim-exec" --version 2>&1)
said[scripts/vaultshim-exec --version]=$(VAULTSHIM_BIN=$VAULTSHIM sh "$ROOT/scripts/vaultshim-exec" --version 2>&1)
for k in "${!said[@]}"; do
	[ "$(echo "${said[$k]}" | awk 'NR == 1 { print $1, $2 }')" = "vaultshim $VERSION" ]
	check "$k prints vaultshim $VERSION" $? "${said[$k]}"
done
# --version is the launcher's only before CMD: after it, CMD's own argument
write_conf "$T/e.conf" <<<'[env]'
out=$(env -u LD_PRELOAD "$VAULTSHIM" exec -c "$T/e.conf" -- sh -c 'echo "[$1]"' sh --version 2>&1)
[ "$out" = "[--version]" ]
check "exec -- CMD --version passes --version to CMD" $? "$out"
# no second copy of the version in the sources
dup=$(grep -rnE 'define VS_VERSION "|^VERSION :?= *[0-9]' "$ROOT/src" "$ROOT/preload" "$ROOT/Makefile" 2>/dev/null)
[ -z "$dup" ]
check "the version is set in VERSION only (no copy in the Makefile or the sources)" $? "$dup"

# debian/changelog's top entry must carry the same upstream version
deb_version() { # FILE: the upstream part of the top entry's version
	sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' "$1" | sed -e 's/^[0-9]*://' -e 's/-[^-]*$//'
}
printf 'vaultshim (0.1.9-1) unstable; urgency=medium\n' > "$T/changelog"
[ "$(deb_version "$T/changelog")" = 0.1.9 ] && [ "$(deb_version "$T/changelog")" != "$VERSION" ]
check "a debian/changelog with another version is told apart (the check below can fail)" $?
if [ -f "$ROOT/debian/changelog" ]; then
	dv=$(deb_version "$ROOT/debian/changelog")
	[ "$dv" = "$VERSION" ]
	check "debian/changelog's top version ($dv) is VERSION ($VERSION)" $? "$(head -1 "$ROOT/debian/changelog")"
else
	skip "debian/changelog's top version is VERSION: no debian/ in this tree"
fi

# --- make install puts the pages and the completion where man and bash look
D=$T/root
make -s -C "$ROOT" BUILD="${VAULTSHIM_TEST_BUILD:-build}" install-man install-completion DESTDIR="$D" PREFIX=/usr >"$T/inst.log" 2>&1
check "make install-man install-completion succeeds" $? "$(tail -3 "$T/inst.log")"
for f in share/man/man1/vaultshim.1 share/man/man1/vaultshim-exec.1 share/man/man5/vaultshim.conf.5 \
	share/bash-completion/completions/vaultshim; do
	[ -f "$D/usr/$f" ]
	check "installed: $f" $?
done
[ "$(readlink "$D/usr/share/bash-completion/completions/vaultshim-exec")" = vaultshim ]
check "installed: completions/vaultshim-exec is a link to vaultshim" $?
if command -v man >/dev/null; then
	MANPATH=$D/usr/share/man man -P cat vaultshim.conf 2>/dev/null | grep -q 'THE \[options\] SECTION'
	check "man vaultshim.conf finds the installed page" $?
else
	skip "man vaultshim.conf finds the installed page: no man program here"
fi
make -s -C "$ROOT" uninstall-man DESTDIR="$D" PREFIX=/usr >/dev/null 2>&1
[ -z "$(find "$D" -type f -o -type l)" ]
check "make uninstall-man removes them" $? "$(find "$D" -type f -o -type l)"

# --- bash completion
# comp MODE WORD...: the completions bash offers for the command line WORDS
# (the last word is the one being completed), one per line; MODE plain is
# bash alone, bc with bash-completion's helpers loaded
BC=/usr/share/bash-completion/bash_completion
comp() {
	local mode=$1
	shift
	bash --norc --noprofile -c '
		mode=$1 file=$2; shift 2
		[ "$mode" = bc ] && . '"$BC"'
		. "$file"
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_vaultshim "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" 2>/dev/null
		printf "%s\n" "${COMPREPLY[@]}"' comp "$mode" "$ROOT/scripts/completion/vaultshim" "$@"
}
# has LIST WORD...: every WORD is a line of LIST
has() {
	local list=$1 w
	shift
	for w; do printf '%s\n' "$list" | grep -qxF -- "$w" || { echo "missing $w"; return 1; }; done
}
printf '[env]\nDB_PASSWORD = secret/app/db#password default="not-a-name"\nAPI_KEY = secret/app/api#key\n' |
	write_conf "$T/names.conf"
modes=plain
if [ -f "$BC" ]; then modes="plain bc"; else skip "completion with bash-completion's helpers: $BC not installed"; fi
for m in $modes; do
	out=$(comp $m vaultshim ch)
	[ "$out" = check ]
	check "[$m] vaultshim ch<TAB> completes to check" $? "$out"
	out=$(comp $m vaultshim "")
	has "$out" $cmds
	check "[$m] vaultshim <TAB> offers every command of --help" $? "$out"
	missing=""
	for c in $cmds; do
		[ "$c" = version ] && continue
		out=$(comp $m vaultshim "$c" --)
		for o in $(help_opts "$("$VAULTSHIM" "$c" --help 2>&1)"); do
			has "$out" "$o" >/dev/null || missing="$missing $c:$o"
		done
	done
	[ -z "$missing" ]
	check "[$m] vaultshim CMD --<TAB> offers every long option of CMD --help" $? "missing:$missing"
	out=$(comp $m vaultshim-exec --)
	has "$out" $(help_opts "$("$VAULTSHIM" exec --help)")
	check "[$m] vaultshim-exec --<TAB> offers exec's options" $? "$out"
	out=$(comp $m vaultshim-exec --mode "")
	[ "$(echo $out)" = "lazy eager auto" ]
	check "[$m] vaultshim-exec --mode <TAB> offers lazy eager auto" $? "$out"
	out=$(comp $m vaultshim check -c "$T/nam")
	[ "$out" = "$T/names.conf" ]
	check "[$m] vaultshim check -c <TAB> completes a file name" $? "$out"
	out=$(comp $m vaultshim get -c "$T/names.conf" "")
	[ "$(echo $out)" = "DB_PASSWORD API_KEY" ]
	check "[$m] vaultshim get -c FILE <TAB> offers the names FILE maps, nothing of their values" $? "$out"
	out=$(comp $m vaultshim exec -c "$T/names.conf" -- ech)
	has "$out" echo
	check "[$m] vaultshim exec -c FILE -- ech<TAB> completes the program" $? "$out"
	out=$(comp $m vaultshim-exec -- env --)
	! has "$out" --config --mode >/dev/null
	check "[$m] after the program, vaultshim's own options are not offered" $? "$out"
done

# --- docs/design.md: its pitfall table names tests that exist, and what cites it names
# a pitfall or a heading it has
# design_check table DESIGN ROOT: the table's rows are 1..N in order, each with a test,
# every test file it names exists and holds each quoted section or check name and
# each id (a check whose name starts with it); design_check cites DESIGN FILE...:
# every pitfall a file cites by number (one, a list, a range) is a row of the table,
# every heading it cites by name after the file's name is one the file has, and the
# file's old name is gone. Each problem is one line on stdout.
cat >"$T/design_check.py" <<'PY'
import os, re, sys

def heads(text):
    names = set()
    for line in text.splitlines():
        m = re.match(r'#+\s+(.*)$', line)
        if not m:
            continue
        n = re.sub(r'\s*\((`[^`]*`(,\s*)?)+\)$', '', m.group(1).strip())
        names.add(n)
        m = re.match(r'\d+\.\s+(.*)$', n)
        if m:
            names.add(m.group(1))
    return names

def table(text):
    rows, on = [], False
    for line in text.splitlines():
        if line.startswith('## '):
            on = line == '## Pitfalls'
        m = re.match(r'\|\s*(\d+)\s*\|(.*)\|(.*)\|\s*$', line) if on else None
        if m:
            rows.append((int(m.group(1)), m.group(2).strip(), m.group(3).strip()))
    return rows

def check_table(design, root):
    text = open(design).read()
    rows, bad = table(text), []
    if [r[0] for r in rows] != list(range(1, len(rows) + 1)) or len(rows) < 10:
        bad.append('rows numbered %s, not 1..N' % [r[0] for r in rows])
    for m in re.finditer(r'^### (\d+)\. ', text, re.M):
        if int(m.group(1)) not in [r[0] for r in rows]:
            bad.append('subsection %s has no row' % m.group(1))
    for n, rule, tests in rows:
        path, body, named = None, '', 0
        for m in re.finditer(r'`([^`]+)`|"([^"]+)"|\b([A-Z]{1,3}[0-9]+[a-z]?)\b', tests):
            if m.group(1):
                f = m.group(1)
                path = os.path.join(root, f if '/' in f else 'tests/integration/' + f)
                named += 1
                try:
                    body = open(path, errors='replace').read()
                except OSError:
                    bad.append('%d: no file %s' % (n, f))
                    body = None
            elif body is None or path is None:
                continue
            elif m.group(2) and m.group(2) not in body:
                bad.append('%d: %s has no "%s"' % (n, os.path.basename(path), m.group(2)))
            elif m.group(3) and not re.search(r'check "' + re.escape(m.group(3)) + r'(?![0-9])', body):
                bad.append('%d: %s has no check %s' % (n, os.path.basename(path), m.group(3)))
        if not rule or not named:
            bad.append('%d: a rule and at least one test' % n)
    return bad

def flat(text):
    return ' '.join(re.sub(r'^\s*(/\*+|\*+|//+|#+)?\s?', '', l) for l in text.splitlines())

def check_cites(design, files):
    text = open(design).read()
    rows, names, bad = {r[0] for r in table(text)}, heads(text), []
    old = 'DESIGN' + '.md'
    for f in files:
        try:
            raw = open(f, 'rb').read()
        except OSError:
            continue
        if b'\0' in raw:
            continue
        t = flat(raw.decode('utf-8', 'replace'))
        if old in t:
            bad.append('%s: names %s' % (f, old))
        for m in re.finditer(r'\bpitfalls?\s+(\d+(?:\s*(?:-|–|,|and)\s*\d+)*)', t, re.I):
            nums = set()
            for a, b in re.findall(r'(\d+)(?:\s*[-–]\s*(\d+))?', m.group(1)):
                nums.update(range(int(a), int(b or a) + 1))
            for x in sorted(nums - rows):
                bad.append('%s: pitfall %d is not a row of the table' % (f, x))
        if os.path.samefile(f, design):
            continue
        for m in re.finditer(r'docs/design\.md\)?,?\s*("[^"]+"(?:\s*(?:,|and)\s*"[^"]+")*)', t):
            for name in re.findall(r'"([^"]+)"', m.group(1)):
                if name not in names:
                    bad.append('%s: "%s" is no heading of docs/design.md' % (f, name))
    return bad

mode, design = sys.argv[1], sys.argv[2]
out = check_table(design, sys.argv[3]) if mode == 'table' else check_cites(design, sys.argv[3:])
print('\n'.join(out))
sys.exit(1 if out else 0)
PY
DESIGN=$ROOT/docs/design.md
out=$(python3 "$T/design_check.py" table "$DESIGN" "$ROOT")
check "docs/design.md: the pitfall table's rows are 1..N, and every test it names exists with the sections, checks and ids it quotes" $? \
	"$(tr '\n' ';' <<<"$out")"
# the files that may cite it: the sources, the tests, the scripts, the docs
mapfile -t cite_files < <(find "$ROOT"/src "$ROOT"/preload "$ROOT"/tests "$ROOT"/scripts "$ROOT"/docs \
	"$ROOT"/man "$ROOT"/debian "$ROOT"/Makefile "$ROOT"/README.md \
	\( -name node_modules -o -name corpus -o -name regressions -o -name __pycache__ \) -prune \
	-o -type f -size -1000k -print 2>/dev/null)
out=$(python3 "$T/design_check.py" cites "$DESIGN" "${cite_files[@]}")
check "every citation of docs/design.md names one of its pitfalls or headings (${#cite_files[@]} files)" $? \
	"$(tr '\n' ';' <<<"$out")"
# both can fail: a damaged copy of the table, a citation of a row and a heading that
# do not exist
# shellcheck disable=SC2016 # the backquotes are markdown's
sed -e 's/^| 11 | \(.*\)C1, /| 11 | \1C9, /' -e 's/"3\. threads: 64/"3. threads: 65/' \
	-e 's/`test_soak\.sh`;/`test_no_such.sh`;/' "$DESIGN" >"$T/design.md"
out=$(python3 "$T/design_check.py" table "$T/design.md" "$ROOT")
[ "$(printf '%s\n' "$out" | grep -c .)" -eq 3 ] && [[ $out == *"check C9"* && $out == *"threads: 65"* && $out == *test_no_such* ]]
check "the table check finds a missing id, a missing section and a missing file (it can fail)" $? "$out"
d=docs/design.md
n=99
printf '/* (%s, pitfall %d; %s, "%s") */\n' "$d" $n "$d" "No such heading" >"$T/cites.c"
printf '# (%s, "%s" and "%s", pitfalls 4-%d)\n' "$d" Layout Pitfalls 7 >"$T/cites.sh"
out=$(python3 "$T/design_check.py" cites "$DESIGN" "$T/cites.c" "$T/cites.sh")
[ "$(printf '%s\n' "$out" | grep -c .)" -eq 2 ] && [[ $out == *"pitfall $n "* && $out == *'"No such heading"'* ]]
check "the citation check finds a pitfall and a heading that do not exist, and takes real ones (it can fail)" $? "$out"
