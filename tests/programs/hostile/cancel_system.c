/* H3(c): a thread cancelled inside system() (a cancellation point, as in
 * glibc). In a tree the preload runs system() itself; cancelled, it must
 * leave the process as glibc's does: SIGINT and SIGQUIT no longer ignored,
 * the shell it started killed and reaped. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void *runner(void *arg)
{
	(void)arg;
	system("sleep 30");
	return NULL;
}

int main(void)
{
	struct sigaction si, sq;
	const char *v = getenv("DB_PASSWORD"); /* resolved: this process is a tree */
	pthread_t t;
	int reaped;

	if (!v || strcmp(v, "locks-db")) {
		puts("not served");
		return 1;
	}
	pthread_create(&t, NULL, runner, NULL);
	usleep(300 * 1000); /* inside system(), waiting */
	pthread_cancel(t);
	pthread_join(t, NULL);
	sigaction(SIGINT, NULL, &si);
	sigaction(SIGQUIT, NULL, &sq);
	/* no child left: the shell was reaped by the cancelled call */
	reaped = waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
	printf("%s, %s\n", si.sa_handler == SIG_DFL && sq.sa_handler == SIG_DFL ? "signals restored" : "SIGINT/SIGQUIT left ignored",
	       reaped ? "child reaped" : "child left");
	return 0;
}
