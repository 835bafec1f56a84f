#!/bin/bash
# survey.sh: which runtimes a plain LD_PRELOAD of build/libvaultshim.so
# serves, in lazy and in eager mode (VAULTSHIM_MODE), and in auto mode as it
# is today. Prints a markdown table: per runtime, the executable the kernel
# runs, argv[0] as launched, and for each mode "yes" (the program printed
# the Vault value, exit 0) or "no (rc=N)", plus "LEAK" when the value was in
# some /proc/PID/environ (or cmdline) while it ran. Never prints a value.
# usage: tests/programs/runtimes/survey.sh [RUNTIME...]
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../integration/lib.sh"
. "$here/runtimes.sh"
SO=${VAULTSHIM_TEST_SO:-$ROOT/build/libvaultshim.so}
[ -f "$SO" ] || { echo "build first: make" >&2; exit 1; }
[ $# -gt 0 ] || set -- "${RT_ALL[@]}"

start_server
RUN=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
mkdir -p "$T/rt"
printf '| runtime | executable (readlink -f) | argv[0] as launched | lazy | eager | auto | notes |\n'
printf '|---|---|---|---|---|---|---|\n'
for rt in "$@"; do
	if ! miss=$(rt_need "$rt"); then
		printf '| %s | - | - | - | - | - | %s |\n' "$rt" "$miss"
		continue
	fi
	if ! rt_build "$rt" "$T/rt"; then
		printf '| %s | - | - | - | - | - | build failed: %s |\n' "$rt" "$(tail -2 "$T/rt/$rt.build.log" | tr '\n|' ' /')"
		continue
	fi
	rt_cmd "$rt" "$T/rt"
	value="vs-rt $rt/Zq$RUN" unused="vs-rt-unused-$rt-$RUN"
	api POST "/v1/secret/data/rt/$rt" "{\"data\":{\"value\":\"$value\",\"unused\":\"$unused\"}}" >/dev/null
	printf '%s\n%s\n' "$value" "$unused" > "$T/pats"
	want=$(printf '%s\n' "$value" | sha256sum)
	write_conf "$T/$rt.conf" <<CONF
[vault]
address = $VAULT_ADDR

[env]
RT_SECRET = secret/rt/$rt#value
RT_UNUSED = secret/rt/$rt#unused
CONF
	cols=()
	for m in lazy eager auto; do
		rt_run "$T/out" "$T/err" "$T/pats" env -u RT_SECRET -u RT_UNUSED -u VAULTSHIM_HANDOFF -u MAKEFLAGS \
			-u MAKELEVEL -u MFLAGS VAULT_TOKEN="$ROOT_TOKEN" VAULTSHIM_CONFIG="$T/$rt.conf" VAULTSHIM_MODE=$m \
			LD_PRELOAD="$SO" ${RT_PATH:+PATH="$RT_PATH:$PATH"} "${RT_CMD[@]}"
		got=$(sha256sum < "$T/out")
		if [ "$RT_RC" = 0 ] && [ "$got" = "$want" ]; then c=yes; else c="no (rc=$RT_RC)"; fi
		[ -n "$RT_ENV_HITS$RT_ARG_HITS" ] && c+=" LEAK environ:[${RT_ENV_HITS% }] cmdline:[${RT_ARG_HITS% }]"
		grep -qF -f "$T/pats" "$T/err" && c+=" VALUE-ON-STDERR"
		cols+=("$c")
	done
	exe=${RT_EXE/#"$T"/\$T} a0=${RT_CMD[0]/#"$T"/\$T} a0=${a0/#"$RT_SRC"/tests/programs/runtimes}
	printf '| %s | %s | %s | %s | %s | %s | |\n' "$rt" "$exe" "$a0" "${cols[@]}"
done
