# Sourced by tests/integration/test_runtimes.sh and survey.sh: the runtimes
# of the matrix, how each program is built (once, into a directory) and how
# it is launched. Needs bash; sets nothing outside the rt_*/RT_* names.
#
#   rt_need NAME       0 when the runtime's interpreter/compiler is on this
#                      machine; else prints what is missing, returns 1
#   rt_build NAME OUT  builds what NAME needs into the directory OUT (a no-op
#                      for interpreted programs); the log in OUT/NAME.build.log
#   rt_cmd NAME OUT    sets RT_CMD (the argv to launch, argv[0] as launched),
#                      RT_EXE (the executable the kernel runs, symlinks
#                      resolved) and RT_PATH (a directory to put first in PATH,
#                      or empty)
RT_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RT_ALL=(c cxx python3 python-venv python-shim perl bash dash zsh ksh mksh busybox-sh tclsh gawk mawk make
	ruby php lua node java rust uwsgi go-static go-cgo)
RT_CMD=()
RT_EXE=""
RT_PATH=""

# the Go cache outlives $OUT (a rerun then links in a second); no network
rt_go_env() {
	local cache=${VAULTSHIM_RT_GOCACHE:-$RT_SRC/../../../build/rt-gocache}
	mkdir -p "$cache" "$1/gopath"
	RT_GOENV=(GOCACHE="$cache" GOPATH="$1/gopath" GOENV=off GOPROXY=off GOFLAGS= GO111MODULE=off)
}

rt_need() {
	local t miss=""
	case $1 in
	c) t="/usr/bin/gcc" ;;
	cxx) t="/usr/bin/g++" ;;
	python3 | python-shim) t="/usr/bin/python3" ;;
	python-venv) t="/usr/bin/python3" ;;
	perl) t="/usr/bin/perl" ;;
	bash) t="/bin/bash" ;;
	dash) t="/bin/dash" ;;
	zsh) t="/usr/bin/zsh" ;;
	ksh) t="/usr/bin/ksh" ;;
	mksh) t="/usr/bin/mksh" ;;
	busybox-sh) t="/usr/bin/busybox" ;;
	tclsh) t="/usr/bin/tclsh" ;;
	gawk) t="/usr/bin/gawk" ;;
	mawk) t="/usr/bin/mawk" ;;
	make) t="/usr/bin/make" ;;
	ruby) t="/usr/bin/ruby" ;;
	php) t="/usr/bin/php" ;;
	lua) t="/usr/bin/lua5.4" ;;
	node) t="/usr/bin/node" ;;
	java) t="/usr/bin/java /usr/bin/javac" ;;
	rust) t="/usr/bin/rustc /usr/bin/gcc" ;;   # rustc links with cc
	uwsgi) t="/usr/bin/uwsgi /usr/lib/uwsgi/plugins/python3_plugin.so" ;;
	go-static) t="/usr/bin/go" ;;
	go-cgo) t="/usr/bin/go /usr/bin/gcc" ;;
	*) echo "unknown runtime $1"; return 1 ;;
	esac
	for t in $t; do [ -e "$t" ] || miss+=" $t"; done
	# venv: Debian splits ensurepip/venv support into python3-venv
	if [ "$1" = python-venv ] && [ -z "$miss" ] && ! /usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null; then
		miss=" python3-venv"
	fi
	[ -z "$miss" ] && return 0
	echo "missing:$miss"
	return 1
}

rt_build() {
	local name=$1 out=$2 log="$2/$1.build.log"
	: > "$log"
	case $name in
	c) /usr/bin/gcc -O1 -Wall -o "$out/rt-c" "$RT_SRC/rt.c" >>"$log" 2>&1 ;;
	cxx) /usr/bin/g++ -O1 -Wall -o "$out/rt-cxx" "$RT_SRC/rt.cpp" >>"$log" 2>&1 ;;
	# no pip: the interpreter is what is tested, and ensurepip costs seconds
	python-venv) /usr/bin/python3 -m venv --without-pip "$out/venv" >>"$log" 2>&1 ;;
	python-shim)
		# a pyenv-style shim: a bash script named python3 that execs the real one
		mkdir -p "$out/shim" &&
			printf '#!/bin/bash\n# a pyenv-style shim\nexec /usr/bin/python3 "$@"\n' > "$out/shim/python3" &&
			chmod 755 "$out/shim/python3" ;;
	java) /usr/bin/javac -d "$out/java" "$RT_SRC/RtGetEnv.java" >>"$log" 2>&1 ;;
	rust) /usr/bin/rustc -C opt-level=0 -o "$out/rt-rust" "$RT_SRC/rt.rs" >>"$log" 2>&1 ;;
	go-static)
		rt_go_env "$out"
		(cd "$RT_SRC/go/static" && env "${RT_GOENV[@]}" CGO_ENABLED=0 /usr/bin/go build -o "$out/rt-go-static" main.go) \
			>>"$log" 2>&1 ;;
	go-cgo)
		rt_go_env "$out"
		(cd "$RT_SRC/go/cgo" && env "${RT_GOENV[@]}" CGO_ENABLED=1 /usr/bin/go build -o "$out/rt-go-cgo" main.go) \
			>>"$log" 2>&1 ;;
	*) return 0 ;;
	esac
}

rt_cmd() {
	local name=$1 out=$2
	RT_PATH=""
	case $name in
	c) RT_CMD=("$out/rt-c") ;;
	cxx) RT_CMD=("$out/rt-cxx") ;;
	python3) RT_CMD=(/usr/bin/python3 "$RT_SRC/rt.py") ;;
	python-venv) RT_CMD=("$out/venv/bin/python" "$RT_SRC/rt.py") ;;
	python-shim) RT_CMD=(python3 "$RT_SRC/rt.py"); RT_PATH=$out/shim ;;
	perl) RT_CMD=(perl "$RT_SRC/rt.pl") ;;
	bash | dash | zsh | ksh | mksh) RT_CMD=("$name" "$RT_SRC/rt.sh") ;;
	busybox-sh) RT_CMD=(busybox sh -c "$(cat "$RT_SRC/rt.sh")") ;;
	tclsh) RT_CMD=(tclsh "$RT_SRC/rt.tcl") ;;
	gawk | mawk) RT_CMD=("$name" -f "$RT_SRC/rt.awk") ;;
	# a sub-make would print "Entering directory" on stdout
	make) RT_CMD=(make --no-print-directory -f "$RT_SRC/rt.mk") ;;
	ruby) RT_CMD=(ruby "$RT_SRC/rt.rb") ;;
	php) RT_CMD=(php "$RT_SRC/rt.php") ;;
	lua) RT_CMD=(lua5.4 "$RT_SRC/rt.lua") ;;
	node) RT_CMD=(node "$RT_SRC/rt.js") ;;
	java) RT_CMD=(java -cp "$out/java" RtGetEnv) ;;
	rust) RT_CMD=("$out/rt-rust") ;;
	uwsgi) RT_CMD=(uwsgi --plugin python3 --pyrun "$RT_SRC/rt_uwsgi.py") ;;
	go-static) RT_CMD=("$out/rt-go-static") ;;
	go-cgo) RT_CMD=("$out/rt-go-cgo") ;;
	esac
	case ${RT_CMD[0]} in
	/* | */*) RT_EXE=$(readlink -f "${RT_CMD[0]}") ;;
	*) RT_EXE=$(readlink -f "$(PATH=${RT_PATH:+$RT_PATH:}$PATH command -v "${RT_CMD[0]}")") ;;
	esac
}

# rt_born PID: the process's start time (field 22 of its stat), empty once gone
rt_born() {
	local st
	{ read -r st < "/proc/$1/stat"; } 2>/dev/null || return 0
	st=${st##*) }
	set -- $st
	echo "${20}"
}

# rt_still_held PATTERNS PID...: prints the PIDs that keep a line of PATTERNS
# in their environ for 0.3 s, or end (or exec anew) while holding it. A Go
# program hands its children its own copy of the environment, values
# included (a raw execve no hook of ours sees), and the child's block holds
# them from its exec until the preload's start wipes them (docs/design.md,
# "The process-tree rule"): a scan can land in that window, and a process that
# wipes the value within it is not a hit.
rt_still_held() {
	local pats=$1 p end
	shift
	local -A born=()
	local -a left=("$@")
	for p in "${left[@]}"; do born[$p]=$(rt_born "$p"); done
	end=$((${EPOCHREALTIME/./} + 300000))
	while [ ${#left[@]} -gt 0 ] && [ "${EPOCHREALTIME/./}" -lt "$end" ]; do
		sleep 0.02
		local -a next=()
		for p in "${left[@]}"; do
			if [ -z "${born[$p]}" ] || [ "$(rt_born "$p")" != "${born[$p]}" ]; then
				echo "$p" # ended or replaced while holding it
			elif grep -qF -f "$pats" "/proc/$p/environ" 2>/dev/null; then
				next+=("$p")
			fi
		done
		left=("${next[@]}")
	done
	[ ${#left[@]} -eq 0 ] || printf '%s\n' "${left[@]}"
}

# rt_scan PATTERNS: which processes hold a line of the file PATTERNS in their
# /proc/PID/environ (RT_ENV_HITS; see rt_still_held) or /proc/PID/cmdline
# (RT_ARG_HITS), as "pid:comm" words; one grep over every file (no value
# ever printed)
rt_scan() {
	local f p hits kind pids
	for kind in environ cmdline; do
		hits="" pids=()
		for f in $(grep -lF -f "$1" /proc/[0-9]*/"$kind" 2>/dev/null); do
			p=${f#/proc/}
			pids+=("${p%%/*}")
		done
		[ "$kind" = environ ] && [ ${#pids[@]} -gt 0 ] && mapfile -t pids < <(rt_still_held "$1" "${pids[@]}")
		for p in "${pids[@]}"; do
			hits+="$p:$(cat "/proc/$p/comm" 2>/dev/null || echo gone) "
		done
		if [ "$kind" = environ ]; then RT_ENV_HITS=$hits; else RT_ARG_HITS=$hits; fi
	done
}

# rt_run OUT ERR PATTERNS CMD...: runs CMD (bounded by 30 s; stdout to the
# file OUT, stderr to ERR). As soon as OUT is not empty (the program has read
# and printed its value and is now in its child `sleep 1`), scans with
# rt_scan. Sets RT_RC (CMD's status), RT_LIVE (1 when CMD was running both
# before and after that scan, so that the scan saw it and its child) and
# RT_ENV_HITS / RT_ARG_HITS (empty when the scan did not happen), RT_TIMES
# (when it printed, how long the scan took, how long it ran: diagnostics).
rt_run() {
	local out=$1 err=$2 pats=$3 pid i t0 t1 t2
	shift 3
	: > "$out"
	RT_LIVE=0 RT_ENV_HITS="" RT_ARG_HITS="" RT_TIMES=""
	t0=${EPOCHREALTIME/./}
	timeout 30 "$@" >"$out" 2>"$err" </dev/null &
	pid=$!
	for ((i = 0; i < 1500; i++)); do
		if [ -s "$out" ]; then
			kill -0 "$pid" 2>/dev/null && RT_LIVE=1
			t1=${EPOCHREALTIME/./}
			rt_scan "$pats"
			t2=${EPOCHREALTIME/./}
			kill -0 "$pid" 2>/dev/null || RT_LIVE=0
			RT_TIMES="printed after $(((t1 - t0) / 1000)) ms, scan took $(((t2 - t1) / 1000)) ms"
			break
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.02
	done
	wait "$pid"
	RT_RC=$?
	RT_TIMES+="${RT_TIMES:+, }ran $(((${EPOCHREALTIME/./} - t0) / 1000)) ms"
}
