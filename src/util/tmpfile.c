/* tmpfile.c: private temporary files that never outlive their FILE: a received body spooled
 * to disk (the server's POST /v1/fed/changes), a pushed or pulled bundle (src/fed/sync.c). The
 * file is made in $TMPDIR (else /tmp) with O_TMPFILE, so it never has a name: closing it, or
 * the process ending on any path, frees it. Where the file system has no O_TMPFILE it is made
 * with mkstemp (0600) and unlinked at once, before anything is written to it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ariadne/util.h"

FILE *ad_tmpfile(ad_err *err)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    int fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
        char path[4096];
        if ((size_t)snprintf(path, sizeof path, "%s/ariadne-XXXXXX", dir) >= sizeof path) {
            ad_err_set(err, AD_ERR_IO, "TMPDIR is too long");
            return NULL;
        }
        fd = mkostemp(path, O_CLOEXEC);
        if (fd >= 0)
            unlink(path);
    }
    if (fd < 0) {
        ad_err_set(err, AD_ERR_IO, "cannot make a temporary file in %s: %s", dir, strerror(errno));
        return NULL;
    }
    FILE *f = fdopen(fd, "w+b");
    if (!f) {
        close(fd);
        ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    return f;
}
