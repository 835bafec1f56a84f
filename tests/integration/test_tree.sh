#!/bin/bash
# Process trees (README "Process trees"; docs/design.md, "The process-tree
# rule" and pitfall 15): one resolution per launch, handed down to every
# process the launch starts, with real programs — sh and bash loops, a lazy
# C parent and its children, env/unset overrides from sh, bash and Python,
# Python and a C program passing values explicitly, Java's ProcessBuilder
# and Runtime.exec, git running its hooks, su/setpriv/Python user= privilege
# drops, a database/creds path read once, wordexp, execveat and a huge
# environment.
#
# What each leaf sees is printed without any value: the leaf (a shell script,
# or the C program cleaf) prints for each name "NAME n=<entries of NAME in its
# own /proc/PID/environ> v=<label>", the label being the test secret's name
# (db, api, gname, gmail: matched by sha256 in $PUB/labels), unset, empty, or
# a non-secret value as it is (every override value starts with "other-"),
# then "leak=<entries of its /proc/PID/environ holding any test secret>" ("?"
# when it runs as a user that cannot read the secret list). A scanner reads
# every /proc/*/environ while the file runs and must never find a secret.
# Every process under test is bounded with `timeout 20`.
. "$(dirname "$0")/lib.sh"

# VAULTSHIM_TEST_SO: run the battery against another build of the preload
# (an LD_PRELOAD value, lib.sh's SO; the helper must sit beside it, as in
# build/).

[ -f "$SO" ] && [ -x "$VAULTSHIM" ] || { echo "Bail out! build first: make"; exit 1; }

# $PUB: what a child running as nobody must execute or read (the leaf, the
# sha256 labels); $T stays 0700 with the configs, the token and the secrets.
PUB=$(mktemp -d /tmp/vaultshim-tree-pub.XXXXXX)
chmod 755 "$PUB"
SCAN_PID=""
cleanup_tree() {
	if [ -n "$SCAN_PID" ]; then
		kill "$SCAN_PID" 2>/dev/null
		wait "$SCAN_PID" 2>/dev/null
	fi
	rm -rf "$PUB"
	cleanup
}
trap cleanup_tree EXIT


# --- server and secrets ---------------------------------------------------------
start_server
# unique per run, so that the scanner never sees another run's processes
RUN=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
S_DB="vs-Tree db/7KqW-$RUN"        # a space and a slash on purpose
S_API="vs-Tree-api-M3n9-$RUN"
S_GNAME="Vault Author Xq$RUN"
S_GMAIL="vault-author-$RUN@example.invalid"
S_PROD="vs-Tree-prod-$RUN"            # secret/app/${APP_ENV}/db, section 9
S_STAGE="vs-Tree-staging-$RUN"
ROLE=tree$RUN                       # database/creds/$ROLE: usernames v-token-$ROLE-...
api POST /v1/secret/data/app/db "{\"data\":{\"password\":\"$S_DB\"}}" >/dev/null
api POST /v1/secret/data/app/api "{\"data\":{\"key\":\"$S_API\"}}" >/dev/null
api POST /v1/secret/data/app/git "{\"data\":{\"name\":\"$S_GNAME\",\"email\":\"$S_GMAIL\"}}" >/dev/null
api POST /v1/secret/data/app/prod/db "{\"data\":{\"password\":\"$S_PROD\"}}" >/dev/null
api POST /v1/secret/data/app/staging/db "{\"data\":{\"password\":\"$S_STAGE\"}}" >/dev/null
HOME_V=/home/vs-test-home
# the scanner's and the leaves' list (root only): every secret, the token and
# the prefix of the database/creds usernames the dev server makes for $ROLE
# (and the scanner's control string, which only its control process holds)
S_CONTROL="vs-scan-control-$RUN"
printf '%s\n' "$S_DB" "$S_API" "$S_GNAME" "$S_GMAIL" "$S_PROD" "$S_STAGE" "$ROOT_TOKEN" "v-token-$ROLE-" \
	"$S_CONTROL" > "$T/secrets"
chmod 600 "$T/secrets"
# the labels (world-readable: digests only)
{
	printf '%s db\n' "$(sha "$S_DB")"
	printf '%s api\n' "$(sha "$S_API")"
	printf '%s gname\n' "$(sha "$S_GNAME")"
	printf '%s gmail\n' "$(sha "$S_GMAIL")"
	printf '%s prod\n' "$(sha "$S_PROD")"
	printf '%s stage\n' "$(sha "$S_STAGE")"
} > "$PUB/labels"
chmod 644 "$PUB/labels"

# --- the scanner ------------------------------------------------------------------
# One long-lived process (a fork per scan costs ~10 ms here) that reads every
# /proc/PID/environ it can, about 30 times a second, until $T/scan.stop
# appears; a hit is recorded as "pid comm<parent's comm<... vars=NAMES" (the
# names of the variables holding a secret, never a value), and the number of
# scans is written at the end.
cat > "$T/scan.py" <<'PY'
import os, sys, time
t = sys.argv[1]
secrets = [l.encode() for l in open(t + "/secrets").read().split("\n") if l]
hits, n = {}, 0
while not os.path.exists(t + "/scan.stop"):
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or pid == str(os.getpid()):
            continue
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                env = f.read()
        except OSError:
            continue
        if any(s in env for s in secrets) and pid not in hits:
            # which variables held a secret (names only) and who ran it
            names = sorted({e.split(b"=", 1)[0].decode(errors="replace") for e in env.split(b"\0")
                            if any(s in e for s in secrets)})
            chain, p = [], pid
            for _ in range(6):
                try:
                    st = open("/proc/%s/stat" % p).read()
                except OSError:
                    break
                chain.append(st[st.index("(") + 1:st.rindex(")")])
                p = st[st.rindex(")") + 2:].split()[1]
                if p in ("0", "1"):
                    break
            hits[pid] = 1
            with open(t + "/scan.hits", "a") as f:
                f.write("%s %s vars=%s\n" % (pid, "<".join(chain) or "?", ",".join(names)))
    n += 1
    time.sleep(0.03)
with open(t + "/scan.count", "w") as f:
    f.write("%d\n" % n)
PY
: > "$T/scan.hits"
$PY "$T/scan.py" "$T" &
SCAN_PID=$!
# the control: a process holding a listed string in its environment, which
# the scanner must report (else a clean scan proves nothing)
env VS_SCAN_CONTROL="$S_CONTROL" sleep 1 &
CONTROL_PID=$!

# --- the leaves -------------------------------------------------------------------
cat > "$PUB/leaf.lib" <<LIB
# leafcheck NAME...: what this shell (\$\$) sees for each NAME, no value printed
leafcheck() {
	_names=\$(grep -zo '^[A-Za-z_][A-Za-z0-9_]*=' /proc/\$\$/environ | tr '\\0' ' ')
	for _n; do
		_c=0
		for _e in \$_names; do [ "\$_e" = "\$_n=" ] && _c=\$((_c + 1)); done
		eval "_s=\\\${\$_n+x} _v=\\\${\$_n-}"
		if [ -z "\$_s" ]; then _l=unset
		elif [ -z "\$_v" ]; then _l=empty
		else
			case \$_v in
			other-*) _l=\$_v ;;
			*)
				_h=\$(printf %s "\$_v" | sha256sum)
				_h=\${_h%% *}
				_l="?\${#_v}"
				while read -r _k _lab; do [ "\$_k" = "\$_h" ] && _l=\$_lab; done < "$PUB/labels"
			esac
		fi
		echo "\$_n n=\$_c v=\$_l"
	done
	if [ -r "$T/secrets" ]; then
		echo "leak=\$(grep -zcF -f "$T/secrets" /proc/\$\$/environ)"
	else
		echo "leak=?"
	fi
}
LIB
cat > "$PUB/leaf" <<LEAF
#!/bin/sh
# leaf [-s SECONDS] [NAME...] (default DB_PASSWORD API_KEY): leafcheck, then
# stays SECONDS so that the scanner sees it and its ancestors
. "$PUB/leaf.lib"
_sl=0
if [ "\${1:-}" = -s ]; then _sl=\$2; shift 2; fi
[ \$# -gt 0 ] || set -- DB_PASSWORD API_KEY
leafcheck "\$@"
[ "\$_sl" = 0 ] || sleep "\$_sl"
LEAF
chmod 644 "$PUB/leaf.lib"
chmod 755 "$PUB/leaf"
LEAF=$PUB/leaf

# ex NAME=LABEL... [leak=X]: the lines a leaf prints when each NAME shows LABEL
ex() {
	local a n l c out="" leak=0
	for a; do
		n=${a%%=*} l=${a#*=}
		[ "$n" = leak ] && { leak=$l; continue; }
		case $l in unset | db | api | gname | gmail | prod | stage) c=0 ;; *) c=1 ;; esac
		out+="$n n=$c v=$l"$'\n'
	done
	printf '%sleak=%s' "$out" "$leak"
}
# sect LABEL FILE: the lines after "@LABEL" up to the next "@..." line
sect() { awk -v s="@$1" '$0 == s {on = 1; next} /^@/ {on = 0} on' "$2"; }
# shown TEXT: a leaf's output on one line, for a diagnostic (holds no value)
shown() { tr '\n' ' ' <<<"$1"; }
# errs [FILE]: the first lines of a stderr capture, any value masked
errs() { redacted "${1:-$T/err}" "$S_DB" "$S_API" "$S_GNAME" "$S_GMAIL" "$S_PROD" "$S_STAGE" "$ROOT_TOKEN"; }
no_secret() { ! grep -aqF -f "$T/secrets" "$@"; }

# --- C programs -----------------------------------------------------------------------
CC=(gcc -std=gnu11 -O1 -Wall -Wextra)
cat > "$T/cleaf.c" <<'C'
/* cleaf [-s SECONDS] [-H] NAME...: a lazy C program reading each NAME with
 * getenv; prints what the shell leaf prints ("NAME n=N v=LABEL", "leak=N").
 * -H: prints "c <sha256 of the first NAME's value>" instead. */
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

/* the whole of /proc/self/environ */
static char *initial_env(size_t *len)
{
	FILE *f = fopen("/proc/self/environ", "r");
	size_t cap = 1 << 16, n = 0, r;
	char *buf = malloc(cap + 1);

	if (!f || !buf)
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
	char want[65], line[200];
	FILE *f;

	if (!v)
		return "unset";
	if (!*v)
		return "empty";
	if (!strncmp(v, "other-", 6))
		return v;
	sha256_hex(v, want);
	snprintf(tmp, tmpsz, "?%zu", strlen(v));
	if ((f = fopen(LABELS, "r"))) {
		while (fgets(line, sizeof line, f))
			if (!strncmp(line, want, 64) && line[64] == ' ') {
				line[strcspn(line, "\n")] = '\0';
				snprintf(tmp, tmpsz, "%s", line + 65);
			}
		fclose(f);
	}
	return tmp;
}

int main(int argc, char **argv)
{
	char out[4096], tmp[128], sh[65];
	size_t o = 0, elen;
	double sl = 0;
	int hash = 0, i = 1;
	char *env;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-s") && i + 1 < argc)
			sl = atof(argv[++i]);
		else if (!strcmp(argv[i], "-H"))
			hash = 1;
	}
	if (hash) {
		const char *v = getenv(argv[i]);
		sha256_hex(v ? v : "", sh);
		printf("c %s\n", v ? sh : "unset");
		return 0;
	}
	env = initial_env(&elen);
	for (; i < argc; i++) {
		size_t nl = strlen(argv[i]);
		int n = 0;
		for (size_t p = 0; p < elen; p += strlen(env + p) + 1)
			if (!strncmp(env + p, argv[i], nl) && env[p + nl] == '=')
				n++;
		o += (size_t)snprintf(out + o, sizeof out - o, "%s n=%d v=%s\n", argv[i], n,
				      label(getenv(argv[i]), tmp, sizeof tmp));
	}
	{
		FILE *f = fopen(SECRETS, "r");
		char line[512];
		int leak = 0;
		if (f) {
			for (size_t p = 0; p < elen; p += strlen(env + p) + 1) {
				int hit = 0;
				rewind(f);
				while (fgets(line, sizeof line, f)) {
					line[strcspn(line, "\n")] = '\0';
					if (*line && strstr(env + p, line))
						hit = 1;
				}
				leak += hit;
			}
			fclose(f);
			o += (size_t)snprintf(out + o, sizeof out - o, "leak=%d\n", leak);
		} else {
			o += (size_t)snprintf(out + o, sizeof out - o, "leak=?\n");
		}
	}
	/* one write: concurrent siblings on one pipe do not interleave */
	if (write(1, out, o) != (ssize_t)o)
		return 9;
	if (sl > 0)
		usleep((useconds_t)(sl * 1e6));
	return 0;
}
C
cat > "$T/spawner.c" <<'C'
/* spawner fork N PROG [ARG...]: a lazy parent that reads only HOME, then
 *   starts N children at once (fork + execv PROG) and waits for them all;
 *   exit status: how many failed.
 * spawner explicit PROG [ARG...]: reads DB_PASSWORD (lazy: served, not in
 *   its environ), then fork + execve PROG with an environment of its own,
 *   PATH and DB_PASSWORD=<that value> (and any *SAN_OPTIONS), no
 *   LD_PRELOAD; exit: the child's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	int failed = 0, st;

	if (argc < 3)
		return 2;
	if (!strcmp(argv[1], "fork")) {
		int n = atoi(argv[2]);
		(void)getenv("HOME");
		fflush(stdout);
		for (int i = 0; i < n; i++) {
			pid_t p = fork();
			if (p == 0) {
				execv(argv[3], argv + 3);
				_exit(127);
			}
			if (p < 0)
				failed++;
		}
		while (wait(&st) > 0)
			failed += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
		return failed;
	}
	if (!strcmp(argv[1], "explicit")) {
		const char *v = getenv("DB_PASSWORD");
		char *envp[8], *pv;
		size_t k = 0;
		pid_t p;
		if (!v)
			return 3;
		if (asprintf(&pv, "DB_PASSWORD=%s", v) < 0)
			return 4;
		envp[k++] = "PATH=/usr/local/bin:/usr/bin:/bin";
		envp[k++] = pv;
		/* under tests/sanitize/asan the runtime needs its options */
		for (char **e = environ; *e && k < 7; e++)
			if (strstr(*e, "SAN_OPTIONS=") && strchr(*e, '=') == strstr(*e, "SAN_OPTIONS=") + 11)
				envp[k++] = *e;
		envp[k] = NULL;
		p = fork();
		if (p == 0) {
			execve(argv[2], argv + 2, envp);
			_exit(127);
		}
		if (p < 0 || waitpid(p, &st, 0) < 0)
			return 5;
		return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	return 2;
}
C
cat > "$T/vs-eager.c" <<'C'
/* vs-eager MODE LEAFLIB: run in eager mode (eager_programs = vs-eager*), so
 * the values are in its environ. Prints "parent in_environ=yes|no" (the
 * premise), then starts a shell that runs ". LEAFLIB; leafcheck DB_PASSWORD
 * API_KEY" (that shell is the child checked):
 *   wordexp      through wordexp("$(...)"), the words printed one per line
 *   execveat     fork + execveat(AT_FDCWD, "/bin/sh", ..., environ, 0)
 *   execveat-fd  fork + execveat(fd of /bin/sh, "", ..., AT_EMPTY_PATH)
 *   big          setenv of 17000 dummy names, then fork + execve(/bin/sh)
 *                (also prints "entries=N") */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wordexp.h>

extern char **environ;

static int placed(void)
{
	for (char **e = environ; *e; e++)
		if (!strncmp(*e, "DB_PASSWORD=", 12))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	char script[4096], name[32];
	char *cargv[] = {"sh", "-c", script, NULL};
	const char *m = argc > 2 ? argv[1] : "";
	int st;
	pid_t p;

	if (argc < 3)
		return 2;
	snprintf(script, sizeof script, ". %s; leafcheck DB_PASSWORD API_KEY", argv[2]);
	printf("parent in_environ=%s\n", placed() ? "yes" : "no");
	if (!strcmp(m, "wordexp")) {
		char words[4200];
		wordexp_t we;
		int rc;
		snprintf(words, sizeof words, "$(%s)", script);
		rc = wordexp(words, &we, 0);
		if (rc) {
			printf("wordexp rc=%d\n", rc);
			return 1;
		}
		for (size_t i = 0; i < we.we_wordc; i++)
			printf("%s\n", we.we_wordv[i]);
		wordfree(&we);
		return 0;
	}
	if (!strcmp(m, "big")) {
		size_t n = 0;
		for (int i = 0; i < 17000; i++) {
			snprintf(name, sizeof name, "VS_DUMMY_%05d", i);
			setenv(name, "x", 1);
		}
		for (char **e = environ; *e; e++)
			n++;
		printf("entries=%zu\n", n);
	}
	fflush(stdout);
	p = fork();
	if (p == 0) {
		if (!strcmp(m, "execveat"))
			execveat(AT_FDCWD, "/bin/sh", cargv, environ, 0);
		else if (!strcmp(m, "execveat-fd"))
			execveat(open("/bin/sh", O_RDONLY | O_CLOEXEC), "", cargv, environ, AT_EMPTY_PATH);
		else
			execve("/bin/sh", cargv, environ);
		_exit(127);
	}
	if (p < 0 || waitpid(p, &st, 0) < 0)
		return 5;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
C
"${CC[@]}" -DLABELS="\"$PUB/labels\"" -DSECRETS="\"$T/secrets\"" -o "$T/cleaf" "$T/cleaf.c" 2>"$T/cc.log" &&
	"${CC[@]}" -o "$T/spawner" "$T/spawner.c" 2>>"$T/cc.log" &&
	"${CC[@]}" -o "$T/vs-eager" "$T/vs-eager.c" 2>>"$T/cc.log" ||
	{ echo "Bail out! cannot compile the test programs"; cat "$T/cc.log"; exit 1; }
# the C leaf's digest agrees with sha256sum (else every C result is noise)
[ "$(VS_X='a b/c' "$T/cleaf" -H VS_X)" = "c $(sha 'a b/c')" ] ||
	{ echo "Bail out! cleaf's sha256 disagrees with sha256sum"; exit 1; }

# --- configs ------------------------------------------------------------------------
# conf (lib.sh): NAME [options lines...] -> the path of a 0600 config; C_ENV: its [env] lines.
AUTO=$(conf auto)
EAGERC=$(conf eager-c 'eager_programs = vs-eager*')
GITCONF=$(C_ENV='GIT_AUTHOR_NAME  = secret/app/git#name
GIT_AUTHOR_EMAIL = secret/app/git#email' conf git)
DBCONF=$(C_ENV="DB_USER = database/creds/$ROLE#username
DB_PASS = database/creds/$ROLE#password" conf dbcreds)

# pre CONF [NAME=VALUE...] CMD...: CMD under the preload, one launch, bounded;
# the mapped names, an outer hand-off and log/mode settings are removed first
pre() {
	local c=$1
	shift
	timeout 20 env -u DB_PASSWORD -u API_KEY -u GIT_AUTHOR_NAME -u GIT_AUTHOR_EMAIL -u DB_USER -u DB_PASS \
		-u VAULTSHIM_HANDOFF -u VAULTSHIM_MODE -u VAULTSHIM_LOG HOME="$HOME_V" VAULTSHIM_CONFIG="$c" \
		LD_PRELOAD="$SO" "$@"
}
# usage: the dev server's requests since the last reset, as
# "mounts=N secret/app/db=N secret/app/api=N creds=N total=N"
usage() {
	counters | $PY -c 'import json, sys
d = json.load(sys.stdin); r = d["requests"]
m = sum(v for k, v in r.items() if k.startswith("GET sys/internal/ui/mounts/"))
print("mounts=%d secret/app/db=%d secret/app/api=%d creds=%d total=%d" % (m, r.get("GET secret/data/app/db", 0),
      r.get("GET secret/data/app/api", 0), r.get("GET database/creds/" + sys.argv[1], 0), d["total"]))' "$ROLE"
}
ONE_STD="mounts=1 secret/app/db=1 secret/app/api=1 creds=0 total=3"
reset() { control DELETE counters; }
# nlines LINE TEXT: how many lines of TEXT are exactly LINE
nlines() { grep -cxF -- "$1" <<<"$2"; }

# === 1. one resolution per launch ======================================================
# 20 × sh -c under one sh: every iteration is served, none has the value in
# its environ, and the dev server saw one resolution
reset
out=$(pre "$AUTO" sh -c 'for i in $(seq 20); do sh -c "$1"; done' sh "$LEAF" 2>"$T/err"); rc=$?
u=$(usage)
n_db=$(nlines "DB_PASSWORD n=0 v=db" "$out"); n_api=$(nlines "API_KEY n=0 v=api" "$out"); n_l=$(nlines "leak=0" "$out")
check "sh loop: 20 × sh -c under one launch each read DB_PASSWORD and API_KEY, none in its environ" \
	$([ $rc -eq 0 ] && [ "$n_db" = 20 ] && [ "$n_api" = 20 ] && [ "$n_l" = 20 ]; echo $?) \
	"rc=$rc served db=$n_db api=$n_api clean environ=$n_l (of 20)" "$(errs)"
check "sh loop: the dev server counted one resolution (1 mount lookup, 1 read per path)" \
	$([ "$u" = "$ONE_STD" ]; echo $?) "got: $u"

reset
out=$(pre "$AUTO" bash -c 'for ((i = 0; i < 20; i++)); do bash "$1"; done' bash "$LEAF" 2>"$T/err"); rc=$?
u=$(usage)
n_db=$(nlines "DB_PASSWORD n=0 v=db" "$out"); n_api=$(nlines "API_KEY n=0 v=api" "$out"); n_l=$(nlines "leak=0" "$out")
check "bash loop: 20 × bash (running the leaf script) under one launch each read both names, none in its environ" \
	$([ $rc -eq 0 ] && [ "$n_db" = 20 ] && [ "$n_api" = 20 ] && [ "$n_l" = 20 ]; echo $?) \
	"rc=$rc served db=$n_db api=$n_api clean environ=$n_l (of 20)" "$(errs)"
check "bash loop: the dev server counted one resolution" $([ "$u" = "$ONE_STD" ]; echo $?) "got: $u"

# a lazy C parent that reads only HOME starts 10 C children at once, each
# reading the names with getenv: the siblings share one resolution
reset
out=$(pre "$AUTO" "$T/spawner" fork 10 "$T/cleaf" -s 0.3 DB_PASSWORD API_KEY 2>"$T/err"); rc=$?
u=$(usage)
n_db=$(nlines "DB_PASSWORD n=0 v=db" "$out"); n_api=$(nlines "API_KEY n=0 v=api" "$out"); n_l=$(nlines "leak=0" "$out")
check "lazy C parent (reads only HOME), 10 concurrent C children: each getenv gets both values, none in its environ" \
	$([ $rc -eq 0 ] && [ "$n_db" = 10 ] && [ "$n_api" = 10 ] && [ "$n_l" = 10 ]; echo $?) \
	"rc=$rc served db=$n_db api=$n_api clean environ=$n_l (of 10)" "$(errs)"
check "lazy C parent, 10 concurrent C children: the dev server counted one resolution" \
	$([ "$u" = "$ONE_STD" ]; echo $?) "got: $u"

# === 2. what an ancestor chose reaches descendants ========================================
cat > "$T/over.sh" <<'SH'
L=$1
echo @env-set;      env DB_PASSWORD=other-env "$L"
echo @assign;       DB_PASSWORD=other-assign "$L"
echo @export;       (export DB_PASSWORD=other-export; "$L")
echo @export-empty; (export DB_PASSWORD=; "$L")
echo @env-u;        env -u DB_PASSWORD "$L"
echo @unset;        (unset DB_PASSWORD; "$L")
echo @deep-set;     env DB_PASSWORD=other-deep sh -c 'sh -c "$0 -s 0.3"' "$L"
echo @deep-unset;   (unset DB_PASSWORD; sh -c 'sh -c "$0 -s 0.3"' "$L")
echo @sibling;      "$L" -s 0.3
SH
# over_cases SHELL OUTFILE: one TAP line per case of over.sh
over_cases() {
	local sh=$1 f=$2 c want got
	for c in "env-set|env DB_PASSWORD=other-env prog|DB_PASSWORD=other-env" \
		"assign|DB_PASSWORD=other-assign prog|DB_PASSWORD=other-assign" \
		"export|export DB_PASSWORD=other-export; prog|DB_PASSWORD=other-export" \
		"export-empty|export DB_PASSWORD=; prog|DB_PASSWORD=empty" \
		"env-u|env -u DB_PASSWORD prog|DB_PASSWORD=unset" \
		"unset|unset DB_PASSWORD; prog|DB_PASSWORD=unset" \
		"deep-set|env DB_PASSWORD=other-deep sh -c 'sh -c prog': the grandchild|DB_PASSWORD=other-deep" \
		"deep-unset|unset DB_PASSWORD; sh -c 'sh -c prog': the grandchild|DB_PASSWORD=unset" \
		"sibling|an untouched sibling after those|DB_PASSWORD=db"; do
		IFS='|' read -r lab what w <<<"$c"
		want=$(ex "$w" API_KEY=api)
		got=$(sect "$lab" "$f")
		check "$sh: $what -> ${w#*=} (API_KEY still served)" $([ "$got" = "$want" ]; echo $?) \
			"want: $(shown "$want")" "got:  $(shown "$got")"
	done
}
for shell in sh bash; do
	pre "$AUTO" "$shell" "$T/over.sh" "$LEAF" >"$T/over-$shell.out" 2>"$T/err"; rc=$?
	check "$shell override battery: runs (exit 0, no vaultshim line on stderr)" \
		$([ $rc -eq 0 ] && ! grep -q vaultshim "$T/err"; echo $?) "rc=$rc" "$(errs)"
	over_cases "$shell" "$T/over-$shell.out"
done

cat > "$T/over.py" <<'PY'
import os, subprocess, sys
L = sys.argv[1]
def run(label, argv, **kw):
    print("@" + label, flush=True)
    subprocess.run(argv, **kw)
run("env-set", [L], env={**os.environ, "DB_PASSWORD": "other-py"})
e = dict(os.environ)
e.pop("DB_PASSWORD", None)
run("env-del", [L], env=e)
deep = ["sh", "-c", 'sh -c "$0 -s 0.3"', L]
run("deep-set", deep, env={**os.environ, "DB_PASSWORD": "other-py-deep"})
run("deep-del", deep, env=e)
run("sibling", [L, "-s", "0.3"])
os.environ["DB_PASSWORD"] = "other-py-environ"
run("environ-set", [L])
del os.environ["DB_PASSWORD"]
run("environ-del", [L])
PY
pre "$AUTO" $PY "$T/over.py" "$LEAF" >"$T/over-py.out" 2>"$T/err"; rc=$?
check "python override battery: runs (exit 0, no vaultshim line on stderr)" \
	$([ $rc -eq 0 ] && ! grep -q vaultshim "$T/err"; echo $?) "rc=$rc" "$(errs)"
for c in 'env-set|subprocess.run(env={**os.environ, "DB_PASSWORD": "other-py"})|DB_PASSWORD=other-py' \
	'env-del|subprocess.run(env=os.environ without DB_PASSWORD)|DB_PASSWORD=unset' \
	'deep-set|env with DB_PASSWORD=other-py-deep: the grandchild (sh -c "sh -c prog")|DB_PASSWORD=other-py-deep' \
	'deep-del|env without DB_PASSWORD: the grandchild|DB_PASSWORD=unset' \
	'sibling|an untouched sibling (default env)|DB_PASSWORD=db' \
	'environ-set|os.environ["DB_PASSWORD"] = "other-py-environ", then a child|DB_PASSWORD=other-py-environ' \
	'environ-del|del os.environ["DB_PASSWORD"], then a child|DB_PASSWORD=unset'; do
	IFS='|' read -r lab what w <<<"$c"
	want=$(ex "$w" API_KEY=api)
	got=$(sect "$lab" "$T/over-py.out")
	check "python: $what -> ${w#*=} (API_KEY still served)" $([ "$got" = "$want" ]; echo $?) \
		"want: $(shown "$want")" "got:  $(shown "$got")"
done

# === 3. a value passed explicitly is served, not passed ====================================
cat > "$T/explicit.py" <<'PY'
import os, subprocess, sys
env = {"PATH": os.environ["PATH"], "DB_PASSWORD": os.environ["DB_PASSWORD"]}
# under tests/sanitize/asan the instrumented runtime needs its options (the
# environment still leaves out LD_PRELOAD)
env.update({k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")})
r = subprocess.run([sys.argv[1], "-s", "0.3"], env=env)
sys.exit(r.returncode)
PY
out=$(pre "$AUTO" $PY "$T/explicit.py" "$LEAF" 2>"$T/err"); rc=$?
want=$(ex DB_PASSWORD=db API_KEY=unset)
check "python env={PATH, DB_PASSWORD: os.environ[...]}: the child is served DB_PASSWORD, API_KEY stays removed, no value in its environ" \
	$([ $rc -eq 0 ] && [ "$out" = "$want" ]; echo $?) "rc=$rc" "want: $(shown "$want")" "got:  $(shown "$out")" "$(errs)"
# a lazy C parent does the same with execve and no LD_PRELOAD in the
# environment; it never had API_KEY in its environ, so its absence is no
# removal: API_KEY is served as well
out=$(pre "$AUTO" "$T/spawner" explicit "$LEAF" -s 0.3 2>"$T/err"); rc=$?
want=$(ex DB_PASSWORD=db API_KEY=api)
check "lazy C parent, execve with env {PATH, DB_PASSWORD=<served value>} and no LD_PRELOAD: served, not in the child's environ" \
	$([ $rc -eq 0 ] && [ "$out" = "$want" ]; echo $?) "rc=$rc" "want: $(shown "$want")" "got:  $(shown "$out")" "$(errs)"

# === 4. Java ===============================================================================
cat > "$T/Tree.java" <<'JAVA'
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

public class Tree {
    static void run(String label, Process p) throws Exception {
        System.out.println("@" + label);
        System.out.flush();
        try (InputStream in = p.getInputStream()) {
            in.transferTo(System.out);
        }
        p.waitFor();
        System.out.flush();
    }

    public static void main(String[] a) throws Exception {
        String leaf = a[0];
        ProcessBuilder pb = new ProcessBuilder(leaf, "-s", "0.3");
        pb.environment().put("VS_UNRELATED", "other-java");
        pb.environment().remove("API_KEY");
        run("pb", pb.start());
        run("pb-default", new ProcessBuilder(leaf).start());
        List<String> env = new ArrayList<>();
        for (Map.Entry<String, String> e : System.getenv().entrySet())
            if (!e.getKey().equals("API_KEY"))
                env.add(e.getKey() + "=" + e.getValue());
        run("rt", Runtime.getRuntime().exec(new String[] {leaf, "-s", "0.3"}, env.toArray(new String[0])));
        List<String> explicit = new ArrayList<>(List.of("PATH=" + System.getenv("PATH"),
            "DB_PASSWORD=" + System.getenv("DB_PASSWORD")));
        // under tests/sanitize/asan the instrumented runtime needs its options
        for (Map.Entry<String, String> e : System.getenv().entrySet())
            if (e.getKey().endsWith("SAN_OPTIONS"))
                explicit.add(e.getKey() + "=" + e.getValue());
        run("rt-explicit", Runtime.getRuntime().exec(new String[] {leaf}, explicit.toArray(new String[0])));
    }
}
JAVA
if ! command -v java >/dev/null || ! command -v javac >/dev/null; then
	# install-deps installs a JDK: missing here is a failure, not a skip
	check "java: java and javac are installed (scripts/install-deps)" 1 "no java/javac on PATH"
elif ! javac -d "$T" "$T/Tree.java" 2>"$T/javac.log"; then
	check "java: javac compiles Tree.java" 1 "$(head -5 "$T/javac.log")"
else
	pre "$AUTO" java -cp "$T" Tree "$LEAF" >"$T/java.out" 2>"$T/err"; rc=$?
	check "java: runs under the preload (exit 0)" $([ $rc -eq 0 ]; echo $?) "rc=$rc" "$(errs)"
	for c in 'pb|ProcessBuilder, environment().put(VS_UNRELATED) and .remove("API_KEY")|DB_PASSWORD=db|API_KEY=unset' \
		'pb-default|ProcessBuilder, environment untouched|DB_PASSWORD=db|API_KEY=api' \
		'rt|Runtime.exec(cmd, envp = System.getenv() without API_KEY)|DB_PASSWORD=db|API_KEY=unset' \
		'rt-explicit|Runtime.exec(cmd, envp = {PATH, DB_PASSWORD=System.getenv(...)})|DB_PASSWORD=db|API_KEY=unset'; do
		IFS='|' read -r lab what w1 w2 <<<"$c"
		want=$(ex "$w1" "$w2")
		got=$(sect "$lab" "$T/java.out")
		check "java $what: DB_PASSWORD served, API_KEY ${w2#*=}, no value in the child's environ" \
			$([ "$got" = "$want" ]; echo $?) "want: $(shown "$want")" "got:  $(shown "$got")"
	done
fi

# === 5. git and its hooks ==================================================================
git init -q "$T/repo" 2>"$T/err" || { echo "Bail out! git init failed"; errs; exit 1; }
for h in pre-commit post-commit; do
	cat > "$T/repo/.git/hooks/$h" <<HOOK
#!/bin/sh
# the hook itself (git re-exported GIT_AUTHOR_* for it), then a child of it
. "$PUB/leaf.lib"
{
	echo @$h
	leafcheck GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL
	echo @$h-child
	"$LEAF" -s 0.3 GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL
} >> "$T/hook.out" 2>&1
exit 0
HOOK
	chmod 755 "$T/repo/.git/hooks/$h"
done
: > "$T/hook.out"
pre "$GITCONF" GIT_CONFIG_NOSYSTEM=1 GIT_COMMITTER_NAME=vs-committer GIT_COMMITTER_EMAIL=committer@example.invalid \
	git -C "$T/repo" commit -q --allow-empty -m "tree test" >"$T/out" 2>"$T/err"; rc=$?
author=$(git -C "$T/repo" log -1 --format='%an|%ae' 2>/dev/null)
check "git commit under the preload: the commit's author is the Vault value (name and email)" \
	$([ $rc -eq 0 ] && [ "$author" = "$S_GNAME|$S_GMAIL" ]; echo $?) \
	"rc=$rc author $([ "$author" = "$S_GNAME|$S_GMAIL" ] && echo OK || echo BAD)" "$(errs)"
want=$(ex GIT_AUTHOR_NAME=gname GIT_AUTHOR_EMAIL=gmail)
for h in pre-commit post-commit; do
	got=$(sect "$h" "$T/hook.out")
	check "git $h hook: \$GIT_AUTHOR_NAME/EMAIL are the Vault values, neither in the hook's /proc/\$\$/environ" \
		$([ "$got" = "$want" ]; echo $?) "want: $(shown "$want")" "got:  $(shown "$got")"
	got=$(sect "$h-child" "$T/hook.out")
	check "git $h hook's child: served the same, no value in its environ" \
		$([ "$got" = "$want" ]; echo $?) "want: $(shown "$want")" "got:  $(shown "$got")"
done

# === 6. privilege drops ====================================================================
if [ "$(id -u)" -ne 0 ]; then
	skip "privilege drops (su, setpriv, python user=): need root"
elif ! id nobody >/dev/null 2>&1; then
	skip "privilege drops: no user nobody"
elif ! setpriv --reuid=65534 --regid=65534 --clear-groups sh -c \
	'IFS=:; for f in $1; do [ -r "$f" ] || exit 1; done; [ -x "$2" ]' sh "$SO" "$LEAF" 2>/dev/null; then
	skip "privilege drops: nobody cannot read the preload ($SO) from here"
else
	cat > "$T/drop.sh" <<'SH'
L=$1
echo @su;      su nobody -s /bin/sh -c "$L -s 0.3"; echo "rc=$?"
echo @setpriv; setpriv --reuid=65534 --regid=65534 --clear-groups "$L" -s 0.3; echo "rc=$?"
echo @true;    su nobody -s /bin/sh -c /bin/true; echo "rc=$?"
SH
	pre "$AUTO" sh "$T/drop.sh" "$LEAF" >"$T/drop.out" 2>"$T/err"; rc=$?
	want="$(ex DB_PASSWORD=db API_KEY=api leak=?)"$'\n'"rc=0"
	got=$(sect su "$T/drop.out")
	check "root sh (resolved) -> su nobody -c prog: exit 0, served both values through the hand-off, none in its environ" \
		$([ "$got" = "$want" ]; echo $?) "want: $(shown "$want")" "got:  $(shown "$got")" "$(errs)"
	got=$(sect setpriv "$T/drop.out")
	check "root sh (resolved) -> setpriv --reuid=65534 prog: exit 0, served both values, none in its environ" \
		$([ "$got" = "$want" ]; echo $?) "want: $(shown "$want")" "got:  $(shown "$got")" "$(errs)"
	got=$(sect true "$T/drop.out")
	check "root sh -> su nobody -s /bin/sh -c /bin/true: exit 0" $([ "$got" = rc=0 ]; echo $?) "got: $got" "$(errs)"
	check "su/setpriv children of a resolved tree: no vaultshim line on stderr" \
		$([ $rc -eq 0 ] && ! grep -q vaultshim "$T/err"; echo $?) "rc=$rc" "$(errs)"

	# a tree that has not resolved: the nobody child must resolve and cannot
	# read the 0600 config: one warning, the environment answers, not killed
	out=$(pre "$AUTO" "$T/spawner" fork 1 /usr/bin/su nobody -s /bin/sh -c \
		'echo "DB_PASSWORD=${DB_PASSWORD-unset}"; exit 0' 2>"$T/err"); rc=$?
	nw=$(grep -c 'cannot read the config' "$T/err")
	check "lazy root parent that resolved nothing -> su nobody -c 'echo \$DB_PASSWORD': exit 0 (not 77), unset" \
		$([ $rc -eq 0 ] && [ "$out" = DB_PASSWORD=unset ]; echo $?) "rc=$rc got: $out" "$(errs)"
	check "lazy root parent -> su nobody: exactly one 'cannot read the config' warning, nothing else" \
		$([ "$nw" = 1 ] && [ "$(wc -l < "$T/err")" = 1 ]; echo $?) "warnings=$nw lines=$(wc -l < "$T/err")" "$(errs)"

	# Python: user= switches user after closing the descriptors, so the
	# child cannot reopen the hand-off; the tree had resolved
	cat > "$T/user.py" <<'PY'
import os, subprocess, sys
assert os.environ.get("DB_PASSWORD")  # resolved (eager)
r = subprocess.run(["/bin/sh", "-c", sys.argv[1]], user=65534)
print("child_rc=%d" % r.returncode)
PY
	# (the child is one process: builtins only, its uid read from /proc/$$/status)
	out=$(pre "$AUTO" $PY "$T/user.py" 'while read -r k u _; do [ "$k" = Uid: ] && echo "ran uid=$u DB_PASSWORD=${DB_PASSWORD-unset}"; done < /proc/$$/status; exit 3' 2>"$T/err"); rc=$?
	nw=$(grep -c 'cannot read the config' "$T/err")
	check "python subprocess.run(user=65534): the child runs, its own exit code (3) comes back, python exits 0" \
		$([ $rc -eq 0 ] && [ "$(tail -1 <<<"$out")" = child_rc=3 ] && [[ $out == "ran uid=65534 "* ]]; echo $?) \
		"rc=$rc got: $(shown "$out")" "$(errs)"
	check "python subprocess.run(user=65534): the child's DB_PASSWORD answers from its environment (unset)" \
		$([[ $out == *"DB_PASSWORD=unset"* ]]; echo $?) "got: $(shown "$out")"
	check "python subprocess.run(user=65534): exactly one 'cannot read the config' warning line, nothing else" \
		$([ "$nw" = 1 ] && [ "$(wc -l < "$T/err")" = 1 ]; echo $?) "warnings=$nw lines=$(wc -l < "$T/err")" "$(errs)"
	no_secret "$T/err"
	check "python subprocess.run(user=65534): no value on stderr" $?
	# the same child as a script that runs a few commands (the leaf: grep,
	# tr, sha256sum): still one warning for that child's tree
	out=$(pre "$AUTO" $PY "$T/user.py" "$LEAF" 2>"$T/err"); rc=$?
	nw=$(grep -c 'cannot read the config' "$T/err")
	check "python subprocess.run(user=65534) of a script running commands: exactly one warning for its whole tree" \
		$([ $rc -eq 0 ] && [ "$nw" = 1 ]; echo $?) "rc=$rc warnings=$nw" "$(errs)"
	want="$(ex DB_PASSWORD=unset API_KEY=unset leak=?)"$'\n'"child_rc=0"
	check "python subprocess.run(user=65534) of a script: it runs, its names answer from its environment (unset)" \
		$([ "$out" = "$want" ]; echo $?) "want: $(shown "$want")" "got:  $(shown "$out")"
fi

# === 7. database/creds: one credential per launch ==========================================
cat > "$T/start.sh" <<SH
#!/bin/sh
$PY -c 'import hashlib, os; v = os.environ["DB_USER"]; print("py", hashlib.sha256(v.encode()).hexdigest(), "prefix=" + ("OK" if v.startswith("v-token-$ROLE-") else "BAD"))'
"$T/cleaf" -H DB_USER
sh -c 'printf "sh %s\n" "\$(printf %s "\$DB_USER" | sha256sum | cut -c1-64)"'
SH
chmod 700 "$T/start.sh"
reset
out=$(pre "$DBCONF" "$T/start.sh" 2>"$T/err"); rc=$?
u=$(usage)
h_py=$(awk '$1 == "py" {print $2}' <<<"$out"); h_c=$(awk '$1 == "c" {print $2}' <<<"$out")
h_sh=$(awk '$1 == "sh" {print $2}' <<<"$out")
check "database/creds: a 4-line start.sh running python, a C program and sh, each reading DB_USER: one creds read" \
	$([ $rc -eq 0 ] && [ "$u" = "mounts=1 secret/app/db=0 secret/app/api=0 creds=1 total=2" ]; echo $?) "rc=$rc got: $u" "$(errs)"
check "database/creds: the three programs saw the same username (v-token-<role>-...)" \
	$([ ${#h_py} = 64 ] && [ "$h_py" = "$h_c" ] && [ "$h_py" = "$h_sh" ] && [[ $out == *prefix=OK* ]]; echo $?) \
	"same c=$([ "$h_py" = "$h_c" ] && echo yes || echo no) sh=$([ "$h_py" = "$h_sh" ] && echo yes || echo no) $(grep -o 'prefix=[A-Z]*' <<<"$out")"

# === 8. wordexp, execveat and a huge environment from an eager C program =====================
want=$(ex DB_PASSWORD=db API_KEY=api)
out=$(pre "$EAGERC" "$T/vs-eager" wordexp "$PUB/leaf.lib" 2>"$T/err"); rc=$?
check "eager C program, wordexp(\"\$(...)\"): the shell it runs is served both values, none in its /proc/\$\$/environ" \
	$([ $rc -eq 0 ] && [ "$out" = "parent in_environ=yes"$'\n'"$(tr ' ' '\n' <<<"$want")" ]; echo $?) \
	"rc=$rc want: parent in_environ=yes $(shown "$want")" "got:  $(shown "$out")" "$(errs)"
for m in execveat execveat-fd; do
	out=$(pre "$EAGERC" "$T/vs-eager" $m "$PUB/leaf.lib" 2>"$T/err"); rc=$?
	check "eager C program, $m: the child shell is served both values, none in its /proc/\$\$/environ" \
		$([ $rc -eq 0 ] && [ "$out" = "parent in_environ=yes"$'\n'"$want" ]; echo $?) \
		"rc=$rc want: parent in_environ=yes $(shown "$want")" "got:  $(shown "$out")" "$(errs)"
done
out=$(pre "$EAGERC" "$T/vs-eager" big "$PUB/leaf.lib" 2>"$T/err"); rc=$?
entries=$(sed -n 's/^entries=//p' <<<"$out")
check "eager C program with 17,000 more variables, execve: the value is still filtered and served" \
	$([ $rc -eq 0 ] && [ "${entries:-0}" -gt 16384 ] && [ "$(sed 1,2d <<<"$out")" = "$want" ]; echo $?) \
	"rc=$rc entries=$entries" "want: $(shown "$want")" "got:  $(shown "$(sed 1,2d <<<"$out")")" "$(errs)"

# === 9. shapes found by review: parents that read nothing, launch inputs, handlers ===========
cat > "$T/shapes.c" <<'C'
/* shapes MODE LEAF: a lazy C parent that reads no variable before starting
 * its children (the hand-off is made at its first fork).
 *   override: child 1 gets an explicit environment with DB_PASSWORD=override,
 *             child 2 environ as it is;
 *   appenv:   reads HOME (loads the config as the launch), then child 1 with
 *             APP_ENV=staging added, child 2 as it is, one after the other;
 *   signal:   execs child 1 (override) from its SIGCHLD handler while the main
 *             program allocates;
 *   environ:  reads HOME and DB_PASSWORD, prints whether environ moved. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
extern char **environ;
static char *leaf, *child_env[512];
static void with(const char *add)
{
	int n = 0;
	size_t k = strcspn(add, "=") + 1;
	for (char **e = environ; *e && n < 500; e++)
		if (strncmp(*e, add, k)) /* replaced, not shadowed */
			child_env[n++] = *e;
	child_env[n++] = (char *)add;
	child_env[n] = NULL;
}
static void run(char **env)
{
	char *argv[] = {leaf, "DB_PASSWORD", "API_KEY", NULL};
	pid_t p = fork();
	if (p == 0) {
		execve(leaf, argv, env);
		_exit(127);
	}
	waitpid(p, NULL, 0);
}
static void on_chld(int sig)
{
	char *argv[] = {leaf, "DB_PASSWORD", "API_KEY", NULL};
	(void)sig;
	execve(leaf, argv, child_env);
	_exit(126);
}
int main(int argc, char **argv)
{
	const char *m = argc > 2 ? argv[1] : "";
	leaf = argv[2];
	if (!strcmp(m, "override")) {
		with("DB_PASSWORD=override");
		run(child_env);
		run(environ);
	} else if (!strcmp(m, "appenv")) {
		(void)getenv("HOME");
		with("APP_ENV=staging");
		run(child_env);
		run(environ);
	} else if (!strcmp(m, "signal")) {
		with("DB_PASSWORD=override");
		signal(SIGCHLD, on_chld);
		if (fork() == 0)
			_exit(0);
		for (;;) {
			void *p[64];
			for (int i = 0; i < 64; i++)
				p[i] = malloc((size_t)(i * 37 + 1));
			for (int i = 0; i < 64; i++)
				free(p[i]);
		}
	} else if (!strcmp(m, "environ")) {
		char **e0 = environ;
		(void)getenv("HOME");
		(void)getenv("DB_PASSWORD");
		printf("environ %s\n", environ == e0 ? "kept" : "moved");
	}
	return 0;
}
C
"${CC[@]}" -o "$T/shapes" "$T/shapes.c" 2>"$T/cc.log" || { echo "Bail out! cannot compile shapes.c"; cat "$T/cc.log"; exit 1; }

# a launcher that read nothing (xargs, a lazy shell, a C loop): the override it
# gives a child is that child's, the name it left alone is served; one resolution
reset
out=$(pre "$AUTO" "$T/shapes" override "$T/cleaf" 2>"$T/err"); rc=$?
u=$(usage)
# (a leaf shows a value it has no label for as ?LENGTH: "override" is ?8)
want="$(ex DB_PASSWORD=?8 API_KEY=api)"$'\n'"$(ex DB_PASSWORD=db API_KEY=api)"
check "parent that read nothing: its explicit DB_PASSWORD=override reaches child 1, the untouched child 2 is served" \
	$([ $rc -eq 0 ] && [ "$out" = "$want" ]; echo $?) "rc=$rc want: $(shown "$want")" "got:  $(shown "$out")" "$(errs)"
check "parent that read nothing: one resolution for its children" \
	$([ "$u" = "$ONE_STD" ]; echo $?) "got: $u"

# the launch's values whichever process resolves: child 1 runs with another
# APP_ENV and resolves first; both are served the launch's (prod) secret
APPCONF=$(C_ENV='DB_PASSWORD = secret/app/${APP_ENV:-prod}/db#password
API_KEY     = secret/app/api#key' conf appenv)
out=$(pre "$APPCONF" APP_ENV=prod "$T/shapes" appenv "$T/cleaf" 2>"$T/err"); rc=$?
want="$(ex DB_PASSWORD=prod API_KEY=api)"$'\n'"$(ex DB_PASSWORD=prod API_KEY=api)"
check "config with \${APP_ENV}: a child with another APP_ENV resolving first is served the launch's value, as its sibling" \
	$([ $rc -eq 0 ] && [ "$out" = "$want" ]; echo $?) "rc=$rc want: $(shown "$want")" "got:  $(shown "$out")" "$(errs)"

# exec from a signal handler of a parent that read nothing: no allocation on
# the way (a handler may have interrupted malloc); the child gets the override
bad=0 got=""
for i in $(seq 15); do
	out=$(pre "$AUTO" "$T/shapes" signal "$T/cleaf" 2>"$T/err"); rc=$?
	if [ $rc -ne 0 ] || [ "$out" != "$(ex DB_PASSWORD=?8 API_KEY=api)" ]; then
		bad=$((bad + 1)); got="rc=$rc $(shown "$out") $(errs)"
	fi
done
check "exec from a SIGCHLD handler while the program allocates: 15 runs, no crash, the override arrives" \
	$([ $bad = 0 ]; echo $?) "$bad of 15 wrong; last: $got"

# getenv never moves environ (a program may hold on to its array, as strace does)
out=$(pre "$AUTO" "$T/shapes" environ "$T/cleaf" 2>"$T/err"); rc=$?
check "getenv of an unmapped and a mapped name leaves environ where it was" \
	$([ $rc -eq 0 ] && [ "$out" = "environ kept" ]; echo $?) "rc=$rc got: $out" "$(errs)"

# === 10. the scanner ========================================================================
wait "$CONTROL_PID" 2>/dev/null
touch "$T/scan.stop"
wait "$SCAN_PID" 2>/dev/null
SCAN_PID=""
scans=$(cat "$T/scan.count" 2>/dev/null || echo 0)
check "scanner control: a process given a listed string in its environment is reported" \
	$(grep -q "^$CONTROL_PID " "$T/scan.hits"; echo $?) "scans=$scans control pid=$CONTROL_PID not among the hits"
hits=$(grep -v "^$CONTROL_PID " "$T/scan.hits")
check "scanner: no test secret in any /proc/PID/environ during the whole file ($scans scans)" \
	$([ -z "$hits" ] && [ "$scans" -ge 20 ]; echo $?) \
	"scans=$scans hits (pid comm<ancestors vars=names): $(head -10 <<<"$hits" | tr '\n' ';')"

exit 0
