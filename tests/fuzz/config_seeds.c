/*
 * config_seeds — writes every row of tests/unit/config_errors.h (the config
 * texts the parser must refuse, the table the unit suite checks) as a seed
 * file DIR/NAME.conf, byte for byte. tests/fuzz/run builds it as a plain
 * program (libc only, no fuzzing flags, no Check) and gives the files to
 * fuzz_config and fuzz_scan with the seeds of tests/fuzz/corpus/fuzz_config/.
 *
 *   config_seeds DIR      exits 0 when every file was written
 */
#include "../unit/config_errors.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	char path[4096];

	if (argc != 2) {
		fprintf(stderr, "usage: config_seeds DIR\n");
		return 64;
	}
	for (size_t i = 0; i < sizeof config_errors / sizeof config_errors[0]; i++) {
		const struct config_error *c = &config_errors[i];
		FILE *f;

		snprintf(path, sizeof path, "%s/%s.conf", argv[1], c->name);
		f = fopen(path, "wbx");
		if (!f || fwrite(c->text, 1, c->len, f) != c->len || fclose(f) != 0) {
			perror(path);
			return 1;
		}
	}
	return 0;
}
