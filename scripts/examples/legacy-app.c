/* A legacy program that knows nothing of Vault: it reads its configuration
 * with getenv, as programs have for decades. The demo runs it unchanged
 * under libvaultshim.so. It prints secrets masked: first 4 bytes, then the
 * length. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void show(const char *name)
{
	const char *v = getenv(name);

	if (!v)
		printf("  %-14s (not set)\n", name);
	else
		printf("  %-14s %.4s… (%zu bytes)\n", name, v, strlen(v));
}

int main(void)
{
	printf("legacy-app: reading its settings with getenv()\n");
	show("SECRET_KEY");
	show("DB_PASSWORD");
	show("MAIL_PASSWORD");
	printf("  %-14s %s\n", "MAIL_SERVER", getenv("MAIL_SERVER") ? getenv("MAIL_SERVER") : "(not set)");
	return 0;
}
