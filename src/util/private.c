/* private.c: files and folders Ariadne writes hold custody data (paths, digests of seized
 * files, pictures with --thumbnails): they are created private to the user that runs it, files
 * 0600 and folders 0700, whatever the umask. One place, so that no writer forgets. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ariadne/util.h"

ad_code ad_file_create_private(const char *path, FILE **out, ad_err *err)
{
    *out = NULL;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0)
        return ad_err_set(err, errno == EACCES ? AD_ERR_PERM : AD_ERR_IO, "cannot create %s: %s",
                          path, strerror(errno));
    /* a regular file of ours that existed keeps no wider mode; a device or FIFO is left as is */
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
        (st.st_mode & 077))
        fchmod(fd, st.st_mode & 0700);
    *out = fdopen(fd, "wb");
    if (!*out) {
        close(fd);
        return ad_err_set(err, AD_ERR_NOMEM, "cannot open %s: %s", path, strerror(errno));
    }
    return AD_OK;
}

ad_code ad_dir_create_private(const char *path, ad_err *err)
{
    if (mkdir(path, 0700) == 0)
        return AD_OK;
    if (errno != EEXIST)
        return ad_err_set(err, errno == EACCES ? AD_ERR_PERM : AD_ERR_IO, "cannot create %s: %s",
                          path, strerror(errno));
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return ad_err_set(err, AD_ERR_IO, "cannot create folder %s: a file of that name exists",
                          path);
    if (st.st_uid == geteuid() && (st.st_mode & 077))
        chmod(path, st.st_mode & 0700);
    return AD_OK;
}

ad_code ad_file_touch_private(const char *path, ad_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd >= 0) {
        close(fd);
        return AD_OK;
    }
    if (errno == EEXIST)
        return AD_OK;
    return ad_err_set(err, errno == EACCES ? AD_ERR_PERM : AD_ERR_IO, "cannot create %s: %s",
                      path, strerror(errno));
}
