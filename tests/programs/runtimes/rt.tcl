# Tcl: $env(RT_SECRET) (the env array is filled from environ at start).
# The runtime contract is in README.
if {![info exists env(RT_SECRET)] || $env(RT_SECRET) eq ""} {
	puts stderr "rt: RT_SECRET missing"
	exit 3
}
puts $env(RT_SECRET)
flush stdout
if {[catch {exec sleep 1}]} { exit 4 }
exit 0
