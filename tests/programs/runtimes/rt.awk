# awk (gawk, mawk): ENVIRON["RT_SECRET"] in a BEGIN block (ENVIRON is
# filled from environ at start). The runtime contract is in README.
BEGIN {
	v = ENVIRON["RT_SECRET"]
	if (v == "") {
		print "rt: RT_SECRET missing" > "/dev/stderr"
		exit 3
	}
	print v
	fflush()
	exit (system("sleep 1") == 0 ? 0 : 4)
}
