/*
 * ops_comm NAME VAR: renames itself (prctl PR_SET_NAME: the kernel's comm,
 * what the log line and the audit record call the program) to NAME, then
 * reads VAR. Prints "set" or "unset", never the value. (test_hostile_ops.sh)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>

int main(int argc, char **argv)
{
	if (argc != 3)
		return 64;
	if (prctl(PR_SET_NAME, argv[1], 0, 0, 0))
		return 71;
	puts(getenv(argv[2]) ? "set" : "unset");
	return 0;
}
