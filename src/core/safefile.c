/*
 * Files a command writes for the user (see vs_safefile.h). The rule for each:
 * the old bytes stay until the new ones are whole on disk, and the file ends
 * as it was in everything but its bytes (a symlink stays a symlink, an app's
 * .env stays the app's when root rewrites it).
 */
#define _GNU_SOURCE
#include "vs_safefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The directory's entry is what makes a rename last: fsync it too. A
 * filesystem that cannot fsync a directory (EINVAL) has nothing to sync. */
static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -1;
	if (fsync(fd) < 0 && errno != EINVAL)
		rc = -1;
	close(fd);
	return rc;
}

/* "dir" and "base" of path, split at the last '/': "." for a bare name. */
static int split(const char *path, char **dir, const char **base)
{
	const char *slash = strrchr(path, '/');

	*base = slash ? slash + 1 : path;
	*dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	return *dir ? 0 : -1;
}

/* Writes data into a new temp file beside `base` in dir, 0600, synced.
 * Returns its path (malloc'd) and leaves it closed, or NULL with errno. */
static char *write_temp(const char *dir, const char *base, const char *data, size_t len, int *fd_out)
{
	char *tmp = NULL;
	int fd;

	if (asprintf(&tmp, "%s/.%s.vaultshim-tmp.%d", dir, base, (int)getpid()) < 0)
		return NULL;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(tmp);
		return NULL;
	}
	/* 0600 whatever the umask: the bytes are secrets until the final mode
	 * is set, after the owner */
	if (fchmod(fd, 0600) < 0)
		goto bad;
	if (vs_write_all(fd, data, len) < 0 || fsync(fd) < 0)
		goto bad;
	*fd_out = fd;
	return tmp;
bad:
	{
		int e = errno;
		close(fd);
		unlink(tmp);
		free(tmp);
		errno = e;
	}
	return NULL;
}

int vs_replace_file(const char *path, const char *data, size_t len, mode_t new_mode, vs_error *err)
{
	struct stat lst, st;
	char *target = NULL, *dir = NULL, *tmp = NULL;
	const char *base;
	bool exists;
	int fd = -1, rc = 0, e;

	/* write through a symlink (config -> /etc/app/vaultshim.conf): the link is
	 * the operator's layout, its target the file to change */
	if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
		if (!(target = realpath(path, NULL)))
			return vs_fail(err, VS_EX_IOERR, "%s: a symlink whose target cannot be used (%s); "
				       "point it at a file or remove it", path, strerror(errno));
	} else if (!(target = strdup(path))) {
		return vs_fail(err, VS_EX_SOFTWARE, "out of memory");
	}
	exists = stat(target, &st) == 0;
	if (!exists && errno != ENOENT) {
		rc = vs_fail(err, errno == EACCES ? VS_EX_NOPERM : VS_EX_IOERR, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (exists && !S_ISREG(st.st_mode)) {
		rc = vs_fail(err, VS_EX_IOERR, "%s: not a regular file", path);
		goto out;
	}
	if (split(target, &dir, &base) < 0) {
		rc = vs_fail(err, VS_EX_SOFTWARE, "out of memory");
		goto out;
	}
	if (!(tmp = write_temp(dir, base, data, len, &fd))) {
		e = errno;
		rc = vs_fail(err, e == EACCES || e == EPERM ? VS_EX_NOPERM : VS_EX_IOERR,
			     "%s: cannot write a new copy in %s: %s", path, dir, strerror(e));
		goto out;
	}
	if (exists) {
		struct stat now;
		/* root rewriting an app's file must not make it root's: the app
		 * could no longer read it. chown first: it clears set-ID bits,
		 * which the chmod after it puts back */
		if (fstat(fd, &now) == 0 && (now.st_uid != st.st_uid || now.st_gid != st.st_gid) &&
		    fchown(fd, st.st_uid, st.st_gid) < 0) {
			e = errno;
			rc = vs_fail(err, VS_EX_NOPERM, "%s: cannot keep its owner and group (uid %u, gid %u): %s; "
				     "run as its owner or as root", path, (unsigned)st.st_uid, (unsigned)st.st_gid,
				     strerror(e));
			goto bad;
		}
	}
	if (fchmod(fd, exists ? st.st_mode & 07777 : new_mode & 07777) < 0) {
		e = errno;
		rc = vs_fail(err, VS_EX_IOERR, "%s: cannot set the mode of its new copy: %s", path, strerror(e));
		goto bad;
	}
	if (close(fd) < 0) {
		fd = -1;
		e = errno;
		rc = vs_fail(err, VS_EX_IOERR, "%s: cannot write a new copy in %s: %s", path, dir, strerror(e));
		goto bad;
	}
	fd = -1;
	if (rename(tmp, target) < 0) {
		e = errno;
		rc = vs_fail(err, VS_EX_IOERR, "%s: cannot replace it: %s", path, strerror(e));
		goto bad;
	}
	if (sync_dir(dir) < 0)
		rc = vs_fail(err, VS_EX_IOERR, "%s: written, but its directory could not be synced: %s", path,
			     strerror(errno));
	goto out;
bad:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	free(dir);
	free(target);
	return rc;
}

int vs_private_dir(const char *dir, const char *what, vs_error *err)
{
	struct stat st;
	char *p = strdup(dir);
	int rc;

	if (!p)
		return vs_fail(err, VS_EX_SOFTWARE, "out of memory");
	if (!*p) {
		free(p);
		return vs_fail(err, VS_EX_USAGE, "an empty path names no %s", what);
	}
	/* its missing parents too (~/.local/state may not exist yet), each
	 * 0700 as the XDG base directory rules ask of the state directory */
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0700) == 0) {
			if (chmod(p, 0700) < 0) { /* against a umask that drops owner bits */
				rc = vs_fail(err, VS_EX_IOERR, "%s: cannot chmod 700: %s", p, strerror(errno));
				free(p);
				return rc;
			}
		} else if (errno != EEXIST) {
			rc = vs_fail(err, errno == EACCES ? VS_EX_NOPERM : VS_EX_IOERR, "%s: cannot create %s%s: %s",
				     p, c ? "this parent of the " : "the ", what, strerror(errno));
			free(p);
			return rc;
		}
		if (!(*s = c))
			break;
	}
	free(p);
	/* vs_check_trusted's rule, on the one stat the checks below read too */
	if (stat(dir, &st) < 0)
		return vs_fail(err, errno == EACCES ? VS_EX_NOPERM : VS_EX_IOERR, "%s: cannot use %s: %s", dir, what,
			       strerror(errno));
	if ((rc = vs_check_stat(&st, dir, what, true, err)))
		return rc;
	/* stricter than a trusted file: plaintext secrets go in here, so it is
	 * the caller's own and closed to everyone else, as ssh wants ~/.ssh */
	if (st.st_uid != geteuid())
		return vs_fail(err, VS_EX_NOPERM, "%s: refusing %s owned by uid %u, not by you (uid %u); "
			       "give another directory", dir, what, (unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		return vs_fail(err, VS_EX_NOPERM, "%s: refusing %s open to group or others (mode %04o); chmod 700 it",
			       dir, what, (unsigned)(st.st_mode & 07777));
	return 0;
}

int vs_create_private(const char *dir, const char *name, const char *data, size_t len, char **out,
		      vs_error *err)
{
	char *tmp, *final = NULL;
	int fd = -1, e, rc = 0;

	*out = NULL;
	if (!(tmp = write_temp(dir, name, data, len, &fd))) {
		e = errno;
		return vs_fail(err, e == EACCES ? VS_EX_NOPERM : VS_EX_IOERR, "%s: cannot write %s there: %s", dir,
			       name, strerror(e));
	}
	if (close(fd) < 0) {
		e = errno;
		rc = vs_fail(err, VS_EX_IOERR, "%s: cannot write %s there: %s", dir, name, strerror(e));
		goto bad;
	}
	/* never over an earlier file: that may be the only copy of an older
	 * .env (two migrations within a second: name.1, name.2 …) */
	for (int k = 0; k < 100; k++) {
		int r;
		free(final);
		if ((k ? asprintf(&final, "%s/%s.%d", dir, name, k) : asprintf(&final, "%s/%s", dir, name)) < 0) {
			final = NULL;
			rc = vs_fail(err, VS_EX_SOFTWARE, "out of memory");
			goto bad;
		}
		r = renameat2(AT_FDCWD, tmp, AT_FDCWD, final, RENAME_NOREPLACE);
		if (r < 0 && (errno == EINVAL || errno == ENOSYS)) {
			/* a filesystem without RENAME_NOREPLACE: link() never replaces */
			if ((r = link(tmp, final)) == 0)
				unlink(tmp);
		}
		if (r == 0) {
			free(tmp);
			if (sync_dir(dir) < 0) {
				rc = vs_fail(err, VS_EX_IOERR, "%s: written, but %s could not be synced: %s", final, dir,
					     strerror(errno));
				free(final);
				return rc;
			}
			*out = final;
			return 0;
		}
		if (errno != EEXIST) {
			e = errno;
			rc = vs_fail(err, VS_EX_IOERR, "%s: cannot create it: %s", final, strerror(e));
			goto bad;
		}
	}
	rc = vs_fail(err, VS_EX_IOERR, "%s: 100 files of that name exist already; remove old ones", final);
bad:
	unlink(tmp);
	free(tmp);
	free(final);
	return rc;
}
