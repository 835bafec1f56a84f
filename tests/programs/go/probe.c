/* probe [-s SECONDS] NAME...: a C program (lazy mode: getenv through the
 * preload) reporting what getenv gives for each NAME, as govs does (see
 * README): "c NAME v=LABEL n=N", then "c leak=K slots=S pid=P". */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_hex(const char *msg, char out[65])
{
	uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	size_t len = strlen(msg), total = (len + 9 + 63) / 64 * 64;
	unsigned char *b = calloc(total, 1);
	uint64_t bits = (uint64_t)len * 8;

	if (!b)
		exit(9);
	memcpy(b, msg, len);
	b[len] = 0x80;
	for (int i = 0; i < 8; i++)
		b[total - 1 - i] = (unsigned char)(bits >> (8 * i));
	for (size_t off = 0; off < total; off += 64) {
		uint32_t w[64], v[8];
		for (int i = 0; i < 16; i++)
			w[i] = (uint32_t)b[off + 4 * i] << 24 | (uint32_t)b[off + 4 * i + 1] << 16 |
			       (uint32_t)b[off + 4 * i + 2] << 8 | b[off + 4 * i + 3];
		for (int i = 16; i < 64; i++)
			w[i] = w[i - 16] + (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) + w[i - 7] +
			       (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10));
		memcpy(v, h, sizeof v);
		for (int i = 0; i < 64; i++) {
			uint32_t t1 = v[7] + (ROR(v[4], 6) ^ ROR(v[4], 11) ^ ROR(v[4], 25)) +
				      ((v[4] & v[5]) ^ (~v[4] & v[6])) + K[i] + w[i];
			uint32_t t2 = (ROR(v[0], 2) ^ ROR(v[0], 13) ^ ROR(v[0], 22)) +
				      ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
			memmove(v + 1, v, 7 * sizeof *v);
			v[4] += t1;
			v[0] = t1 + t2;
		}
		for (int i = 0; i < 8; i++)
			h[i] += v[i];
	}
	for (int i = 0; i < 8; i++)
		sprintf(out + 8 * i, "%08x", h[i]);
	free(b);
}

/* a whole file, NUL-terminated; *len its size */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = path ? fopen(path, "r") : NULL;
	size_t cap = 1 << 16, n = 0, r;
	char *buf;

	*len = 0;
	if (!f)
		return NULL;
	if (!(buf = malloc(cap + 1)))
		exit(9);
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap && !(buf = realloc(buf, (cap *= 2) + 1)))
			exit(9);
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static const char *label(const char *v, char *tmp, size_t tmpsz)
{
	char want[65], line[256];
	const char *labels = getenv("GOVS_LABELS");
	FILE *f;

	if (!v)
		return "unset";
	if (!*v)
		return "empty";
	if (!strncmp(v, "other", 5))
		return v;
	sha256_hex(v, want);
	snprintf(tmp, tmpsz, "?%zu", strlen(v));
	if (labels && (f = fopen(labels, "r"))) {
		while (fgets(line, sizeof line, f))
			if (!strncmp(line, want, 64) && line[64] == ' ') {
				line[strcspn(line, "\n")] = '\0';
				snprintf(tmp, tmpsz, "%.60s", line + 65);
			}
		fclose(f);
	}
	return tmp;
}

int main(int argc, char **argv)
{
	char tmp[128];
	const char *sp = getenv("GOVS_SECRETS");
	size_t elen, slen;
	char *env, *sec;
	int leak = 0, slots = 0, i = 1;
	double sleep_s = 0;

	if (argc > 2 && !strcmp(argv[1], "-s")) {
		sleep_s = atof(argv[2]);
		i = 3;
	}
	env = slurp("/proc/self/environ", &elen);
	sec = slurp(sp, &slen);
	if (!env)
		return 9;
	if (!sec)
		leak = -1;
	for (; i < argc; i++)
		printf("c %s v=%s\n", argv[i], label(getenv(argv[i]), tmp, sizeof tmp));
	for (char *e = env; e < env + elen; e += strlen(e) + 1) {
		int hit = 0;
		slots += !strcmp(e, "VAULTSHIM_SLOT=");
		for (char *s = sec; sec && s < sec + slen && !hit; s += strcspn(s, "\n") + 1) {
			size_t n = strcspn(s, "\n");
			if (n && memmem(e, strlen(e), s, n))
				hit = 1;
		}
		leak += hit;
	}
	printf("c leak=%d slots=%d pid=%d\n", leak, slots, (int)getpid());
	fflush(stdout);
	if (sleep_s > 0)
		usleep((useconds_t)(sleep_s * 1e6));
	return 0;
}
