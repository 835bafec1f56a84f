/* Execs a shell that prints what a child inherits: LD_PRELOAD and
 * VAULTSHIM_CONFIG (inherit = yes keeps both; inherit = no drops them but
 * keeps other LD_PRELOAD entries). Reads HOME first, like any program. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	(void)getenv("HOME");
	execl("/bin/sh", "sh", "-c", "echo \"$LD_PRELOAD|$VAULTSHIM_CONFIG\"", (char *)NULL);
	perror("execl");
	return 127;
}
