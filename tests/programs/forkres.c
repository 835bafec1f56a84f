/* fork while another thread is resolving: thread A reads a mapped name (the
 * test makes the Vault read slow), the main thread forks 200 ms later; the
 * child reads the mapped name and HOME and exits; the parent joins.
 * usage: forkres MAPPED EXPECTED HOME_EXPECTED
 * prints: child=OK|BAD… then parent=OK|BAD… and child_status=N */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *name, *want;
static char *got_a;

static void *thread_a(void *arg)
{
	(void)arg;
	got_a = getenv(name);
	return NULL;
}

static const char *verdict(const char *v, const char *w)
{
	return !v ? "NULL" : strcmp(v, w) ? "BAD" : "OK";
}

int main(int argc, char **argv)
{
	pthread_t a;
	pid_t pid;
	int status = -1;

	if (argc != 4) {
		fprintf(stderr, "usage: %s MAPPED EXPECTED HOME_EXPECTED\n", argv[0]);
		return 2;
	}
	name = argv[1];
	want = argv[2];
	setvbuf(stdout, NULL, _IONBF, 0);
	if (pthread_create(&a, NULL, thread_a, NULL))
		return 3;
	usleep(200 * 1000);
	pid = fork();
	if (pid < 0)
		return 4;
	if (pid == 0) {
		const char *v = getenv(name), *h = getenv("HOME");
		printf("child=%s child_home=%s\n", verdict(v, want), verdict(h, argv[3]));
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		;
	pthread_join(a, NULL);
	printf("parent=%s child_status=%d\n", verdict(got_a, want),
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}
