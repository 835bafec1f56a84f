# POSIX shells (bash, dash, zsh, ksh, mksh, busybox sh): $RT_SECRET.
# The runtime contract is in README. The value is written through a here-doc
# to cat, never as an argument (mksh has no printf builtin: an external
# printf would carry the value in its /proc/PID/cmdline).
if [ -z "${RT_SECRET-}" ]; then
	echo "rt: RT_SECRET missing" >&2
	exit 3
fi
cat <<RT_EOF
$RT_SECRET
RT_EOF
sleep 1 || exit 4
