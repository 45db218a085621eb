/* replace.c: files written whole or not at all (exports, report files). The bytes go to a private
 * temporary file beside the target (NAME.partial-XXXXXX, 0600); only once all of them are written
 * and on disk is it renamed over the target, so a killed or failed writer (kill -9, a full disk)
 * never leaves a truncated file under the name of a complete one: the target is its old self or
 * complete, and at worst a *.partial-* file is left, named as what it is. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ariadne/util.h"

/* The file a path names: itself, or the regular file a symbolic link points to (written through
 * the link, as opening it would). NULL: out of memory. */
static char *target_of(const char *path)
{
    struct stat ls;
    if (lstat(path, &ls) == 0 && S_ISLNK(ls.st_mode)) {
        char *real = realpath(path, NULL);
        if (real)
            return real;
    }
    return strdup(path);
}

ad_code ad_file_replace_open(ad_file_replace *r, const char *path, ad_err *err)
{
    memset(r, 0, sizeof *r);
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* a FIFO, a terminal, /dev/stdout: written in place (renaming over one would replace
         * the device's name, not write to it) */
        if (S_ISDIR(st.st_mode))
            return ad_err_set(err, AD_ERR_ARG, "cannot write %s: it is a folder", path);
        if (!(r->path = strdup(path)))
            return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
        ad_code rc = ad_file_create_private(path, &r->f, err);
        if (rc)
            ad_file_replace_abort(r);
        return rc;
    }
    if (!(r->path = target_of(path)))
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    size_t n = strlen(r->path) + sizeof ".partial-XXXXXX";
    if (!(r->tmp = malloc(n))) {
        ad_file_replace_abort(r);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    snprintf(r->tmp, n, "%s.partial-XXXXXX", r->path);
    int fd = mkostemp(r->tmp, O_CLOEXEC); /* 0600 */
    if (fd < 0) {
        ad_code code = errno == EACCES ? AD_ERR_PERM : AD_ERR_IO;
        ad_err_set(err, code, "cannot create %s: %s", path, strerror(errno));
        free(r->tmp), r->tmp = NULL;
        ad_file_replace_abort(r);
        return code;
    }
    if (!(r->f = fdopen(fd, "wb"))) {
        close(fd);
        ad_file_replace_abort(r);
        return ad_err_set(err, AD_ERR_NOMEM, "cannot open %s: %s", path, strerror(errno));
    }
    errno = 0; /* so that a write error's errno is the one ad_file_replace_end reports */
    return AD_OK;
}

/* The folder of path made durable after a rename in it (best effort: some file systems refuse
 * fsync on a folder). */
static void sync_folder(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

ad_code ad_file_replace_commit(ad_file_replace *r, ad_err *err)
{
    if (!r->f)
        return ad_err_set(err, AD_ERR_ARG, "no file open");
    const char *shown = r->path;
    int saved = errno;
    int bad = ferror(r->f) || fflush(r->f) != 0;
    if (!bad && r->tmp && fsync(fileno(r->f)) != 0)
        bad = 1;
    if (bad)
        saved = errno ? errno : saved;
    if (fclose(r->f) != 0 && !bad)
        bad = 1, saved = errno;
    r->f = NULL;
    if (!bad && r->tmp && rename(r->tmp, r->path) != 0)
        bad = 1, saved = errno;
    if (bad) {
        ad_err_set(err, AD_ERR_IO, "cannot write %s: %s", shown,
                   saved ? strerror(saved) : "write error");
        ad_file_replace_abort(r);
        return AD_ERR_IO;
    }
    if (r->tmp)
        sync_folder(r->path);
    free(r->tmp), r->tmp = NULL;
    free(r->path), r->path = NULL;
    return AD_OK;
}

ad_code ad_file_replace_end(ad_file_replace *r, ad_code rc, ad_err *err)
{
    if (rc == AD_OK)
        return ad_file_replace_commit(r, err);
    if (rc == AD_ERR_IO && r->f && ferror(r->f) && errno)
        ad_err_set(err, rc, "cannot write %s: %s", r->path, strerror(errno));
    ad_file_replace_abort(r);
    return rc;
}

void ad_file_replace_abort(ad_file_replace *r)
{
    if (r->f)
        fclose(r->f);
    if (r->tmp)
        unlink(r->tmp);
    free(r->tmp);
    free(r->path);
    memset(r, 0, sizeof *r);
}
