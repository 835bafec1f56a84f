/*
 * vs_safefile.h — writing the files a command changes for the user (the
 * .env `migrate --strip` rewrites, the config it writes, the backup) so
 * that a failure never loses one and a rewrite changes nothing but the
 * bytes: atomic (temp file in the same directory, fsync, rename, fsync of
 * the directory), through symlinks, owner, group and mode kept.
 */
#ifndef VS_SAFEFILE_H
#define VS_SAFEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "vs_common.h"

/*
 * Replaces the file `path` names with len bytes of data. A symlink is
 * written through: the link stays, its target is replaced, with the temp
 * file in the target's directory (a rename over the link would turn it into
 * a regular file). An existing file keeps its owner, group and mode; a new
 * one gets new_mode and the caller's owner. On failure nothing is changed
 * and err says what failed ("PATH: reason"); 0 or VS_EX_IOERR / VS_EX_NOPERM.
 * A dangling symlink is refused.
 */
int vs_replace_file(const char *path, const char *data, size_t len, mode_t new_mode, vs_error *err);

/*
 * A directory for private files (backups of plaintext secrets): created with
 * its missing parents, mode 0700; an existing one must be a directory of the
 * caller's own that group and others cannot open (vs_check_trusted's rule,
 * and stricter: root's directory is not the caller's here). 0 or an error
 * code with err "DIR: refusing …; chmod 700 it".
 */
int vs_private_dir(const char *dir, const char *what, vs_error *err);

/*
 * Creates dir/name (name gets ".1", ".2" … when taken: never an earlier
 * file replaced) holding len bytes of data, mode 0600, atomically: it
 * appears whole or not at all. *out (malloc'd, the caller's) is the path
 * written. 0 or an error code with err set.
 */
int vs_create_private(const char *dir, const char *name, const char *data, size_t len, char **out,
		      vs_error *err);

#endif
