/*
 * config_errors.h — the config texts the parser must refuse, each with the
 * line and the words of its message ("t.conf:LINE: reason"): one table for
 * the unit suite (tests/unit/test_config.c parses every row and checks its
 * message) and for the fuzz seeds (tests/fuzz/config_seeds.c writes every
 * row as a seed of fuzz_config, and so of fuzz_scan, which shares its
 * seeds). A refusal found anywhere is added here, once. Plain C data, libc
 * only: the fuzz build has no Check.
 *
 * The environment of a row (tl_getenv's "NAME=value" strings) is the unit
 * suite's base one, HOME=/home/alice, EMPTY= and TEAM=payments, unless the
 * row names another; the fuzz targets' own fixed environments differ, which
 * only makes a seed take another path.
 */
#ifndef VS_TEST_CONFIG_ERRORS_H
#define VS_TEST_CONFIG_ERRORS_H

#include <stddef.h>

struct config_error {
	const char *name;       /* the row; its seed is NAME.conf */
	const char *text;
	size_t len;             /* the text may hold a NUL */
	int line;
	const char *has[2];     /* words the reason holds (NULL: none) */
	const char *hides[2];   /* words it must not hold: a default is a secret */
	const char *const *env; /* NULL: the base environment */
};

/* A row: text is a string literal (sizeof counts a NUL inside it). CE_HIDES
 * adds two words the reason must not hold; CE_ENV another environment. */
#define CE(name, text, line, w1, w2) {name, text, sizeof(text) - 1, line, {w1, w2}, {NULL, NULL}, NULL}
#define CE_HIDES(name, text, line, w1, h1, h2) {name, text, sizeof(text) - 1, line, {w1, NULL}, {h1, h2}, NULL}
#define CE_ENV(name, text, line, w1, w2, env) {name, text, sizeof(text) - 1, line, {w1, w2}, {NULL, NULL}, env}

/* Lines 1-3 of most inputs: the faulty line is line 4. */
#define ENV_HDR "; mappings\n[env]\nOK = secret/ok#field\n"
#define VAULT_HDR "; server\n[vault]\nnamespace = team\n"
#define OPTIONS_HDR "; options\n[options]\ninherit = yes\n"

static const char *const config_errors_no_home[] = {"USER=alice", NULL};

static const struct config_error config_errors[] = {
	/* ---- structure ---- */
	/* a BOM is not a line: the line numbers stay the file's */
	CE("bom-keeps-line-numbers-1", "\xEF\xBB\xBF[bogus]\n", 1, "unknown section", "[bogus]"),
	CE("bom-keeps-line-numbers-2", "\xEF\xBB\xBF; c\n[vault]\nnope = 1\n", 3, "unknown key", "nope"),
	CE("unknown-section", "[vault]\naddress = https://v:8200\n\n[secrets]\n", 4, "unknown section", "[secrets]"),
	CE("key-outside-section-1", "; top\n\naddress = https://v:8200\n[vault]\n", 3, "outside", NULL),
	CE("key-outside-section-2", "DB = secret/a#f\n", 1, "outside", NULL),
	CE("unknown-key-vault-1", VAULT_HDR "colour = red\n", 4, "unknown key 'colour'", "[vault]"),
	/* an [options] key is unknown in [vault] */
	CE("unknown-key-vault-2", VAULT_HDR "mode = lazy\n", 4, "unknown key 'mode'", "[vault]"),
	CE("unknown-key-options", OPTIONS_HDR "address = https://v:8200\n", 4, "unknown key 'address'", "[options]"),
	CE("duplicate-key-1", "[vault]\naddress = https://a:8200\ntimeout = 5s\naddress = https://b:8200\n", 4, "duplicate key 'address'", "line 2"),
	CE("duplicate-key-2", "[options]\nmode = lazy\n[vault]\n[options]\nmode = eager\n", 5, "duplicate key 'mode'", "line 2"),
	CE("section-without-bracket", "; x\n[vault\naddress = https://v:8200\n", 2, "without ']'", NULL),
	CE("text-after-section", "; x\n\n[vault] address = https://v:8200\n", 3, "after section header", NULL),
	CE("line-without-equals-1", VAULT_HDR "address https://v:8200\n", 4, "expected 'key = value'", NULL),
	CE("line-without-equals-2", ENV_HDR "JUST_A_NAME\n", 4, "expected NAME = path#field", NULL),
	/* a NUL ends no line: the line that holds it is named */
	CE("nul-byte", "[env]\nA = secret/a#f\nB = secret/b\0#f\n", 3, "NUL", NULL),
	/* the first of several faults is the one reported */
	CE("stops-at-first-error", "[env]\nA = secret/a#f\nB = nofield\nmode = x\n[bogus]\n", 3, "no #field", NULL),

	/* ---- [env] entries ---- */
	CE("duplicate-name", ENV_HDR "OTHER = secret/b#f\nOK = secret/c#f\n", 5, "duplicate name 'OK'", "line 3"),
	CE("invalid-name-digit", ENV_HDR "1ABC = secret/a#f\n", 4, "'1ABC'", "not a valid environment variable name"),
	CE("invalid-name-dash", ENV_HDR "A-B = secret/a#f\n", 4, "'A-B'", "not a valid environment variable name"),
	CE("reserved-vault-token", ENV_HDR "VAULT_TOKEN = secret/a#f\n", 4, "'VAULT_TOKEN'", "reserved"),
	CE("reserved-vaultshim", ENV_HDR "VAULTSHIM_X = secret/a#f\n", 4, "'VAULTSHIM_X'", "reserved"),
	CE("reserved-ld-preload", ENV_HDR "LD_PRELOAD = secret/a#f\n", 4, "'LD_PRELOAD'", "reserved"),
	CE("reference-without-field-1", ENV_HDR "A = secret/app/db\n", 4, "no #field", "secret/app/db"),
	/* a '#' after whitespace starts a comment, so there is no field either */
	CE("reference-without-field-2", ENV_HDR "A = secret/app/db #password\n", 4, "no #field", NULL),
	CE("empty-field-1", ENV_HDR "A = secret/app/db#\n", 4, "empty field", "'A'"),
	CE("empty-field-2", ENV_HDR "A = secret/app/db# required\n", 4, "empty field", NULL),
	CE("missing-reference-1", ENV_HDR "A =\n", 4, "no Vault reference", "'A'"),
	CE("missing-reference-2", ENV_HDR "A =   ; nothing here\n", 4, "no Vault reference", NULL),
	CE("missing-reference-3", ENV_HDR "A = \"\"\n", 4, "no Vault reference", NULL),
	CE("unterminated-quote-default", ENV_HDR "A = secret/a#f default=\"dev-only\n", 4, "unterminated quote", NULL),
	CE("unterminated-quote-vault", VAULT_HDR "address = \"https://v:8200\n", 4, "unterminated quote", NULL),
	CE("unterminated-quote-reference", ENV_HDR "A = \"secret/my app#key\n", 4, "unterminated quote", NULL),
	/* a closing quote escaped by a final backslash leaves the quote open */
	CE("unterminated-quote-trailing-backslash-default", ENV_HDR "A = secret/a#f default=\"dev\\\n", 4, "unterminated quote", NULL),
	CE("unterminated-quote-trailing-backslash-vault", VAULT_HDR "role = \"web\\\n", 4, "unterminated quote", NULL),
	CE("unknown-escape-1", ENV_HDR "A = secret/a#f default=\"a\\qb\"\n", 4, "unknown escape", "\\q"),
	CE("unknown-escape-2", VAULT_HDR "role = \"a\\xb\"\n", 4, "unknown escape", "\\x"),
	CE("text-after-quoted-1", ENV_HDR "A = secret/a#f default=\"x\"y\n", 4, "after quoted default", NULL),
	CE("text-after-quoted-2", VAULT_HDR "role = \"web\" extra\n", 4, "after quoted value", NULL),
	CE("unknown-option-1", ENV_HDR "A = secret/a#f optional\n", 4, "unknown option after the reference of 'A'", NULL),
	CE("unknown-option-2", ENV_HDR "A = secret/a#f required=yes\n", 4, "unknown option", "quote a default"),
	CE("option-twice-1", ENV_HDR "A = secret/a#f required required\n", 4, "'required' given twice", NULL),
	CE("option-twice-2", ENV_HDR "A = secret/a#f default=x default=y\n", 4, "'default' given twice", NULL),
	CE("version-zero", ENV_HDR "A = secret/a#f version=0\n", 4, "version", "positive number"),
	CE("version-abc-1", ENV_HDR "A = secret/a#f version=abc\n", 4, "version", "positive number"),
	CE("version-abc-2", ENV_HDR "A = secret/a#f version=-2\n", 4, "version", "positive number"),
	CE("version-abc-3", ENV_HDR "A = secret/a#f version=\n", 4, "version", "number"),
	CE("version-twice-1", ENV_HDR "A = secret/a#f version=2 version=3\n", 4, "'version' given twice", NULL),
	CE("version-twice-2", ENV_HDR "A = secret/a#f kv_version=2 kv_version=2\n", 4, "'kv_version' given twice", NULL),
	CE("version-with-kv1-1", ENV_HDR "A = secret/a#f version=3 kv_version=1\n", 4, "kv_version=1", "KV v2"),
	CE("version-with-kv1-2", ENV_HDR "A = secret/a#f kv_version=1 version=3\n", 4, "kv_version=1", "KV v2"),
	CE("entry-kv-version-1", ENV_HDR "A = secret/a#f kv_version=3\n", 4, "kv_version", "1 or 2"),
	CE("entry-kv-version-2", ENV_HDR "A = secret/a#f kv_version=auto\n", 4, "kv_version", "1 or 2"),
	/* "default=two words": the second word is part of the default, i.e. of
	 * a possible secret, and must not reach the message */
	CE_HIDES("unquoted-default-not-echoed", ENV_HDR "A = secret/a#f default=hunter2 correct-horse\n", 4,
		 "unknown option", "hunter2", "correct-horse"),

	/* ---- values ---- */
	CE("bad-mode", OPTIONS_HDR "mode = fast\n", 4, "mode 'fast'", "lazy"),
	CE("bad-on-error", OPTIONS_HDR "on_error = panic\n", 4, "on_error 'panic'", "fallback"),
	CE("bad-inherit", "; options\n[options]\nmode = lazy\ninherit = perhaps\n", 4, "inherit 'perhaps'", "boolean"),
	CE("bad-seccomp", OPTIONS_HDR "seccomp = nospawn\n", 4, "seccomp 'nospawn'", "auto, spawn, no-spawn"),
	CE("bad-refresh-1", OPTIONS_HDR "refresh = 999ms\n", 4, "refresh '999ms' is below the minimum of 1s", "refresh = 1s"),
	CE("bad-refresh-2", OPTIONS_HDR "refresh = 0\n", 4, "below the minimum of 1s", NULL),
	CE("bad-refresh-3", OPTIONS_HDR "refresh = hourly\n", 4, "refresh 'hourly' is not a duration", "5m"),
	CE("bad-watch-1", OPTIONS_HDR "watch = 500ms\n", 4, "watch '500ms' is below the minimum of 1s", "watch = 1s"),
	CE("bad-watch-2", OPTIONS_HDR "watch = 0\n", 4, "below the minimum of 1s", NULL),
	CE("bad-watch-3", OPTIONS_HDR "watch = often\n", 4, "watch 'often' is not a duration", "30s"),
	CE("bad-watch-4", OPTIONS_HDR "watch = -5s\n", 4, "not a duration", NULL),
	CE("bad-on-change-1", OPTIONS_HDR "on_change = reload\n", 4, "on_change 'reload'", "restart, none, or a signal name"),
	CE("bad-on-change-2", OPTIONS_HDR "on_change = SIGFOO\n", 4, "on_change 'SIGFOO'", "SIGHUP"),
	CE("bad-stop-signal-1", OPTIONS_HDR "stop_signal = TERMINATE\n", 4, "stop_signal 'TERMINATE'", "SIGTERM"),
	CE("bad-stop-signal-2", OPTIONS_HDR "stop_signal = 15\n", 4, "stop_signal '15' is not a signal name", NULL),
	CE("bad-restart-grace", OPTIONS_HDR "restart_grace = soon\n", 4, "restart_grace 'soon' is not a duration", "10s"),
	CE("bad-auth-1", VAULT_HDR "auth = ldap\n", 4, "auth 'ldap'", "approle"),
	CE("bad-auth-2", VAULT_HDR "auth = AppRole\n", 4, "auth 'AppRole'", NULL),
	CE("bad-timeout-1", VAULT_HDR "timeout = soon\n", 4, "timeout 'soon'", "duration"),
	CE("bad-timeout-2", VAULT_HDR "timeout = 0\n", 4, "timeout '0'", "positive"),
	CE("bad-timeout-3", VAULT_HDR "timeout = -1s\n", 4, "timeout '-1s'", NULL),
	CE("bad-timeout-4", VAULT_HDR "timeout = 5 s\n", 4, "timeout '5 s'", NULL),
	CE("bad-skip-verify", VAULT_HDR "skip_verify = maybe\n", 4, "skip_verify 'maybe'", "boolean"),
	CE("bad-max-retries-1", VAULT_HDR "max_retries = -1\n", 4, "max_retries '-1'", "0 to 100"),
	CE("bad-max-retries-2", VAULT_HDR "max_retries = 101\n", 4, "max_retries '101'", NULL),
	CE("bad-max-retries-3", VAULT_HDR "max_retries = three\n", 4, "max_retries 'three'", NULL),
	CE("bad-vault-kv-version", VAULT_HDR "kv_version = 3\n", 4, "kv_version '3'", NULL),
	CE("bad-address-scheme-1", VAULT_HDR "address = ftp://vault:8200\n", 4, "address 'ftp://vault:8200'", "https://"),
	CE("bad-address-scheme-2", VAULT_HDR "address = vault.internal:8200\n", 4, "address", "http://"),
	CE("empty-value-1", VAULT_HDR "address =\n", 4, "empty value", "address"),
	CE("empty-value-2", OPTIONS_HDR "dotenv = ; none\n", 4, "empty value", "dotenv"),
	/* "~/" needs HOME */
	CE_ENV("tilde-without-home", VAULT_HDR "token_file = ~/.vault-token\n", 4, "HOME", "~/", config_errors_no_home),

	/* ---- expansion and paths ---- */
	CE("unset-variable-1", ENV_HDR "A = secret/${UNSET}/db#f\n", 4, "${UNSET}", "not set"),
	CE("unset-variable-2", ENV_HDR "A = secret/a#f default=\"${UNSET}\"\n", 4, "${UNSET}", "not set"),
	CE("unterminated-expansion-1", ENV_HDR "A = secret/${TEAM/db#f\n", 4, "unterminated ${", NULL),
	CE("unterminated-expansion-2", ENV_HDR "A = secret/a#f default=\"x${TEAM\"\n", 4, "unterminated ${", NULL),
	CE("bad-variable-name-1", ENV_HDR "A = secret/${1BAD}/db#f\n", 4, "invalid variable name", "1BAD"),
	CE("bad-variable-name-2", ENV_HDR "A = secret/${}/db#f\n", 4, "invalid variable name", NULL),
	CE("empty-segment-1", ENV_HDR "A = secret/${EMPTY}/x#f\n", 4, "empty segment", "secret//x"),
	CE("empty-segment-2", ENV_HDR "A = secret//x#f\n", 4, "empty segment", NULL),
	CE("dot-segments-1", ENV_HDR "A = secret/../sys/x#f\n", 4, "'..'", "segment"),
	CE("dot-segments-2", ENV_HDR "A = secret/./x#f\n", 4, "'.'", "segment"),
	CE("dot-segments-3", ENV_HDR "A = secret/${NOPE:-..}#f\n", 4, "'..'", "segment"),
	CE("empty-path-1", ENV_HDR "A = /#f\n", 4, "empty Vault path", NULL),
	CE("empty-path-2", ENV_HDR "A = ${EMPTY}#f\n", 4, "empty Vault path", NULL),

	/* ---- the smallest input for each message, with all of its reason (the
	 * fuzz corpus's first seeds) ---- */
	CE("bare-no-section", "address = http://x\n", 1, "key outside of a section (start with [vault], [options] or [env])", NULL),
	CE("bare-unknown-section", "[valut]\naddress = http://x\n", 1, "unknown section '[valut]' (expected [vault], [options] or [env])", NULL),
	CE("bare-header-no-bracket", "[vault\n", 1, "section header without ']'", NULL),
	CE("bare-header-trailing", "[vault] x\n", 1, "unexpected text after section header", NULL),
	CE("bare-unknown-key", "[vault]\nadress = http://x\n", 2, "unknown key 'adress' in [vault]", NULL),
	CE("bare-duplicate-key", "[vault]\nauth = token\nauth = jwt\n", 3, "duplicate key 'auth' (first set on line 2)", NULL),
	CE("bare-no-equals", "[options]\nmode lazy\n", 2, "expected 'key = value'", NULL),
	CE("bare-empty-value", "[vault]\naddress =\n", 2, "empty value for 'address'", NULL),
	CE("bare-bad-address", "[vault]\naddress = ftp://vault\n", 2, "address 'ftp://vault' must start with http://, https:// or unix://", NULL),
	CE("bare-bad-auth", "[vault]\nauth = ldap\n", 2, "auth 'ldap' is not one of token, approle, kubernetes, jwt", NULL),
	CE("bare-bad-bool", "[vault]\nskip_verify = maybe\n", 2, "skip_verify 'maybe' is not a boolean (true or false)", NULL),
	CE("bare-bad-timeout", "[vault]\ntimeout = 0s\n", 2, "timeout '0s' is not a positive duration (e.g. 5s, 500ms)", NULL),
	CE("bare-bad-timeout-unit", "[vault]\ntimeout = 5 days\n", 2, "timeout '5 days' is not a positive duration (e.g. 5s, 500ms)", NULL),
	CE("bare-bad-retries", "[vault]\nmax_retries = 101\n", 2, "max_retries '101' is not a number from 0 to 100", NULL),
	CE("bare-bad-kv", "[vault]\nkv_version = 3\n", 2, "kv_version '3' is not one of auto, 1, 2", NULL),
	CE("bare-bad-mode", "[options]\nmode = eagerly\n", 2, "mode 'eagerly' is not one of lazy, eager, auto", NULL),
	CE("bare-bad-on-error", "[options]\non_error = ignore\n", 2, "on_error 'ignore' is not one of fallback, fail", NULL),
	CE("bare-bad-eager", "[options]\neager_programs = /bin/sh\n", 2, "eager_programs: '/' is not allowed in a program pattern (comma-separated names, or globs with * and ?, such as ruby*, my-tool)", NULL),
	CE("bare-quoted-trailing", "[vault]\naddress = \"http://x\" y\n", 2, "unexpected text after quoted value", NULL),
	CE("bare-unterminated-quote", "[vault]\naddress = \"http://x\n", 2, "unterminated quote", NULL),
	CE("bare-unknown-escape", "[env]\nA = \"secret/a#b\" default=\"\\q\"\n", 2, "unknown escape '\\q' in quoted value (use \\\\ \\\" \\n \\t \\r \\$)", NULL),
	CE("bare-backslash-end", "[env]\nA = \"secret/a#b\\", 2, "unterminated quote", NULL),
	CE("bare-bad-name", "[env]\n1A = secret/a#b\n", 2, "'1A' is not a valid environment variable name", NULL),
	CE("bare-reserved-name", "[env]\nVAULT_TOKEN = secret/a#b\n", 2, "'VAULT_TOKEN' is reserved (names starting with VAULT_, VAULTSHIM_ or LD_ configure vaultshim itself)", NULL),
	CE("bare-reserved-ld", "[env]\nLD_PRELOAD = secret/a#b\n", 2, "'LD_PRELOAD' is reserved (names starting with VAULT_, VAULTSHIM_ or LD_ configure vaultshim itself)", NULL),
	CE("bare-duplicate-name", "[env]\nA = secret/a#b\nA = secret/c#d\n", 3, "duplicate name 'A' (first mapped on line 2)", NULL),
	CE("bare-no-reference", "[env]\nA =\n", 2, "'A' has no Vault reference (expected path#field)", NULL),
	CE("bare-no-field", "[env]\nA = secret/a\n", 2, "reference 'secret/a' for 'A' has no #field (expected path#field)", NULL),
	CE("bare-empty-field", "[env]\nA = secret/a#\n", 2, "reference for 'A' has an empty field after '#'", NULL),
	CE("bare-unterminated-brace", "[env]\nA = secret/${APP_ENV#b\n", 2, "unterminated ${ in the path", NULL),
	CE("bare-unset-var", "[env]\nA = secret/${NOPE}/x#b\n", 2, "${NOPE} is not set and has no default (write ${NOPE:-value}) in the path", NULL),
	CE("bare-bad-var-name", "[env]\nA = secret/${A-B}/x#b\n", 2, "invalid variable name '${A-B}' in the path", NULL),
	CE("bare-nested-default", "[env]\nA = secret/${X:-${Y}}/x#b\n", 2, "nested ${...} in a default is not supported in the path", NULL),
	CE("bare-empty-path", "[env]\nA = ${EMPTY}#b\n", 2, "empty Vault path", NULL),
	CE("bare-dotdot", "[env]\nA = secret/../sys#b\n", 2, "Vault path 'secret/../sys' has a '.' or '..' segment", NULL),
	CE("bare-dot", "[env]\nA = secret/./a#b\n", 2, "Vault path 'secret/./a' has a '.' or '..' segment", NULL),
	CE("bare-empty-segment", "[env]\nA = secret//a#b\n", 2, "Vault path 'secret//a' has an empty segment", NULL),
	CE("bare-unknown-option", "[env]\nA = secret/a#b optional\n", 2, "unknown option after the reference of 'A' (expected required, default=, version=, kv_version=; quote a default that holds spaces)", NULL),
	CE("bare-required-twice", "[env]\nA = secret/a#b required required\n", 2, "'required' given twice for 'A'", NULL),
	CE("bare-default-twice", "[env]\nA = secret/a#b default=1 default=2\n", 2, "'default' given twice for 'A'", NULL),
	CE("bare-default-trailing", "[env]\nA = secret/a#b default=\"1\"x\n", 2, "unexpected text after quoted default for 'A'", NULL),
	CE("bare-version-twice", "[env]\nA = secret/a#b version=1 version=2\n", 2, "'version' given twice for 'A'", NULL),
	CE("bare-version-zero", "[env]\nA = secret/a#b version=0\n", 2, "version for 'A' must be a positive number", NULL),
	CE("bare-version-empty", "[env]\nA = secret/a#b version=\n", 2, "version for 'A' needs a number", NULL),
	CE("bare-version-huge", "[env]\nA = secret/a#b version=99999999999999999\n", 2, "version for 'A' needs a number", NULL),
	CE("bare-kv-bad", "[env]\nA = secret/a#b kv_version=3\n", 2, "kv_version for 'A' must be 1 or 2", NULL),
	CE("bare-kv-twice", "[env]\nA = secret/a#b kv_version=2 kv_version=2\n", 2, "'kv_version' given twice for 'A'", NULL),
	CE("bare-version-kv1", "[env]\nA = secret/a#b version=2 kv_version=1\n", 2, "version=2 for 'A' needs KV v2, but kv_version=1", NULL),
	CE("bare-no-name-equals", "[env]\nA secret/a#b\n", 2, "expected NAME = path#field", NULL),
	CE("bare-nul-byte", "[env]\nA = secret/a#b\000\n", 2, "NUL byte in config file", NULL),
	CE("bare-marker-byte", "[env]\nA = \"secret/\001#b\"\n", 2, "control character in quoted value", NULL),
};

#endif
