/*
 * vs_wire.h — the protocol between the preload and its resolver helper
 * (`vaultshim resolve -c CONFIG`), which does the Vault reads in a separate
 * process so that libcurl, OpenSSL, their threads and SIGPIPE never enter the
 * host program.
 *
 * The helper writes to stdout, for the config's [env] entries in order:
 *
 *   VSR1 <n> <requests>\n
 *   v <name> <ms> <lease_duration> <len> <kv_version>\n<len bytes>\n   the field's value
 *   n <name> <ms>\n                                     secret read, no such field
 *   e <name> <code> <ms> <len>\n<len bytes>\n            this read failed
 *   ...
 *   end\n
 *
 * or, when no read could be made at all (no token, login refused):
 *
 *   VSR1 <n> <requests>\n
 *   E <code> <len>\n<len bytes>\n
 *   end\n
 *
 * requests: the HTTP requests the reads took; kv_version: the KV v2
 * version read (0: none). Both were added after the first protocol and are
 * optional to the reader (0 when absent), so a helper and a preload of two
 * builds still understand each other.
 *
 * Lengths make values with newlines or NULs-free binary text safe. The
 * reader (vs_helper_parse) turns this back into vs_secret results, so the
 * preload applies the same resolver and policy as the CLI.
 */
#ifndef VS_HELPER_H
#define VS_HELPER_H

#include "vs_config.h"
#include "vs_secret.h"

/* Writes the helper protocol for cfg's entries from n = cfg->n_entries
 * results (batch_code != 0: batch failure with batch_msg), and the count of
 * HTTP requests made. Returns a malloc'd buffer (secret: clear and free it)
 * and its length, or NULL. */
char *vs_helper_format(const vs_config *cfg, const vs_secret *secs, int batch_code,
		       const char *batch_msg, int requests, size_t *len);
/* The request count of an answer's header (0 when it has none). */
int vs_helper_requests(const char *buf, size_t len);

/*
 * Parses helper output for cfg into out[0..cfg->n_entries) (zeroed by the
 * caller). Returns 0 on success with *batch_code set (0, or a batch failure
 * whose message is in err); or -1 with err describing the protocol error.
 */
int vs_helper_parse(const vs_config *cfg, const char *buf, size_t len, vs_secret *out,
		    int *batch_code, vs_error *err);

#endif
