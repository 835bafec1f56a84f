/*
 * fuzz_scan — the preload's quick scan of the config text
 * (vs_config_text_maps, used before its constructor to decide whether a
 * getenv starts it early) held to the parser (vs_config_parse).
 *
 * On a text that parses, the scan must answer exactly as the parser:
 *   - true for every entry name: a name it missed would not start the
 *     preload early, and a library constructor reading it would be answered
 *     from environ (docs/design.md, pitfall 13);
 *   - false for every name that is not an entry: a false "mapped" starts the
 *     preload, which allocates, from inside another library's start-up that
 *     may hold its allocator's lock (jemalloc's MALLOC_CONF): a deadlock.
 * The names tried that are not entries: each entry name with a suffix, cut
 * short, with a trailing ' ', '\t' or '=' (not valid names, yet a getenv may
 * ask for them); every word of the text ([vault] and [options] keys, values,
 * comments, section names); and the empty name.
 *
 * On a text that does not parse there is no promise: the preload fails at
 * its constructor on such a config anyway, and the scan is no parser.
 *
 * Seeds and dictionary are fuzz_config's (tests/fuzz/run shares them).
 */
#include "fuzz.h"

#include "core/vs_config.h"

#include <stdbool.h>
#include <string.h>

#define CONF_PATH "/etc/vaultshim/fuzz.conf"
/* words tried per input: enough for every seed, bounded for speed */
#define MAX_WORDS 512

static const char *env_fn(const char *name, void *ctx)
{
	(void)ctx;
	if (!strcmp(name, "HOME"))
		return "/home/fuzz";
	if (!strcmp(name, "EMPTY"))
		return "";
	return NULL;
}

static const uint8_t *g_data;
static size_t g_size;

/* name[0..n) against the parsed config: the scan says what the parser says */
static void check_name(const vs_config *cfg, const char *name, size_t n)
{
	char buf[512];
	bool mapped = false;

	if (n >= sizeof buf)
		return;
	memcpy(buf, name, n);
	buf[n] = '\0';
	/* a name with a NUL is not a C string: getenv never asks for one */
	if (strlen(buf) != n)
		return;
	mapped = vs_config_find(cfg, buf) != NULL;
	FUZZ_CHECK(vs_config_text_maps((const char *)g_data, g_size, buf, n) == mapped);
}

static bool word_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vs_config *cfg = NULL;
	vs_error err = {0};
	char buf[512];
	size_t words = 0;

	if (vs_config_parse(CONF_PATH, (const char *)data, size, env_fn, NULL, &cfg, &err))
		return 0;
	g_data = data;
	g_size = size;

	check_name(cfg, "", 0);
	for (size_t i = 0; i < cfg->n_entries; i++) {
		const char *name = cfg->entries[i].name;
		size_t n = strlen(name);
		static const char suffixes[] = "X_0 \t=";

		FUZZ_CHECK(vs_config_text_maps((const char *)data, size, name, n));
		if (n + 2 > sizeof buf)
			continue;
		memcpy(buf, name, n);
		for (const char *x = suffixes; *x; x++) {
			buf[n] = *x;
			check_name(cfg, buf, n + 1);
		}
		check_name(cfg, name, n - 1);
	}
	/* every word of the text, and each followed by the byte after it */
	for (size_t i = 0; i < size && words < MAX_WORDS;) {
		size_t j = i;
		if (!word_char(data[i])) {
			i++;
			continue;
		}
		while (j < size && word_char(data[j]))
			j++;
		check_name(cfg, (const char *)data + i, j - i);
		if (j < size)
			check_name(cfg, (const char *)data + i, j - i + 1);
		words++;
		i = j;
	}
	vs_config_free(cfg);
	return 0;
}
