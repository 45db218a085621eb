/* source_fs.c: the walker on the file system: folders in byte order of names, links to folders
 * and loops reported (not followed), special files reported without being opened, regular
 * files opened without blocking and without touching their access time to look at their
 * first bytes (is it an archive?). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest/source_internal.h"

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static ad_row_time ts(struct timespec t)
{
    ad_row_time r = {t.tv_sec, (int32_t)t.tv_nsec, 1};
    return r;
}

static void fill_stat(ad_row *r, const struct stat *st)
{
    r->size = (uint64_t)(st->st_size > 0 ? st->st_size : 0);
    r->size_known = S_ISREG(st->st_mode);
    r->mtime = ts(st->st_mtim);
    r->atime = ts(st->st_atim);
    r->ctime = ts(st->st_ctim);
    r->mode = st->st_mode;
    r->uid = st->st_uid;
    r->gid = st->st_gid;
    r->dev = st->st_dev;
    r->ino = st->st_ino;
}

static const char *special_name(mode_t m)
{
    if (S_ISFIFO(m))
        return "FIFO";
    if (S_ISCHR(m))
        return "character device";
    if (S_ISBLK(m))
        return "block device";
    if (S_ISSOCK(m))
        return "socket";
    return "special file";
}

/* Opens a regular file without blocking (a FIFO swapped in after stat cannot hang us) and reads
 * its head to tell whether it is an archive. */
static int read_plain(ad_source *s, const char *fs_path)
{
    ad_row *r = &s->cur.row;
    int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
    int fd = open(fs_path, flags | O_NOATIME);
    if (fd < 0 && errno == EPERM)
        fd = open(fs_path, flags);
    if (fd < 0) {
        src_row_error(s, AD_ERR_IO, "cannot open: %s", strerror(errno));
        return 1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        src_row_error(s, AD_ERR_UNSUPPORTED, "not a regular file when opened: not read");
        return 1;
    }
    size_t got = 0;
    while (got < SRC_HEAD_BYTES) {
        ssize_t n = read(fd, s->head + got, SRC_HEAD_BYTES - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            src_row_error(s, AD_ERR_IO, "cannot read: %s", strerror(e));
            return 1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    r->kind = AD_ROW_FILE;
    r->is_archive = src_detect_archive(s, s->head, got, r->mime, sizeof r->mime);
    return 1;
}

static int push_folder(ad_source *s, const char *fs_path, int folder_depth)
{
    if ((unsigned)folder_depth >= s->opts.max_folder_depth) {
        src_row_error(s, AD_ERR_LIMIT, "folders nested deeper than %u: not read",
                      s->opts.max_folder_depth);
        return 1;
    }
    struct dirent **ents = NULL;
    int n = scandir(fs_path, &ents, NULL, by_name);
    if (n < 0) {
        src_row_error(s, AD_ERR_IO, "cannot list folder: %s", strerror(errno));
        return 1;
    }
    src_frame *f = src_push(s, SRC_DIR);
    if (!f || src_str_set(&f->logical, s->cur.path.p, s->cur.path.len) != 0 ||
        src_str_set(&f->fs_path, fs_path, strlen(fs_path)) != 0) {
        if (f) {
            f->ents = ents;
            f->nents = n;
            src_pop(s);
        } else {
            for (int i = 0; i < n; i++)
                free(ents[i]);
            free(ents);
        }
        return -1;
    }
    f->ents = ents;
    f->nents = n;
    f->folder_depth = folder_depth;
    return 0;
}

int src_fs_visit(ad_source *s, const char *fs_path, const char *logical, size_t logical_len,
                 int folder_depth, int is_root)
{
    src_row *c = &s->cur;
    src_row_reset(s);
    c->row.root = s->next_root - 1;
    size_t plen = strlen(fs_path);
    if (src_str_set(&c->path, logical, logical_len) != 0 ||
        src_str_set(&c->fs_path, fs_path, plen) != 0 || src_row_chain(s) != 0)
        return -1;
    src_key_file(c->row.root, fs_path, plen, c->row.key);
    struct stat st;
    if (lstat(fs_path, &st) != 0) {
        src_row_error(s, AD_ERR_IO, "cannot stat: %s", strerror(errno));
        return 1;
    }
    if (S_ISLNK(st.st_mode)) {
        fill_stat(&c->row, &st);
        struct stat tgt;
        if (stat(fs_path, &tgt) != 0) {
            if (errno == ELOOP)
                src_row_error(s, AD_ERR_UNSUPPORTED, "symbolic link loop: not followed");
            else
                src_row_error(s, AD_ERR_IO, "dangling symbolic link: %s", strerror(errno));
            return 1;
        }
        if (S_ISDIR(tgt.st_mode) && !is_root) {
            src_row_error(s, AD_ERR_UNSUPPORTED, "symbolic link to a folder: not followed");
            return 1;
        }
        st = tgt;
        c->row.via_symlink = 1;
    }
    fill_stat(&c->row, &st);
    if (S_ISDIR(st.st_mode))
        return push_folder(s, fs_path, folder_depth);
    if (S_ISREG(st.st_mode))
        return read_plain(s, fs_path);
    src_row_error(s, AD_ERR_UNSUPPORTED, "%s: not read", special_name(st.st_mode));
    return 1;
}

int src_fs_next(ad_source *s, src_frame *f)
{
    while (f->next < f->nents) {
        const char *name = f->ents[f->next++]->d_name;
        if (!strcmp(name, ".") || !strcmp(name, ".."))
            continue;
        src_str fp = {0}, lp = {0};
        int slash_fs = f->fs_path.len && f->fs_path.p[f->fs_path.len - 1] == '/';
        int slash_lp = f->logical.len && f->logical.p[f->logical.len - 1] == '/';
        int r = -1;
        if (src_str_set(&fp, f->fs_path.p, f->fs_path.len) == 0 &&
            src_str_add(&fp, "/", slash_fs ? 0 : 1) == 0 &&
            src_str_add(&fp, name, strlen(name)) == 0 &&
            src_str_set(&lp, f->logical.p, f->logical.len) == 0 &&
            src_str_add(&lp, "/", slash_lp ? 0 : 1) == 0 &&
            src_str_add_escaped(&lp, name, strlen(name)) == 0)
            r = src_fs_visit(s, fp.p, lp.p, lp.len, f->folder_depth + 1, 0);
        /* f may have moved: src_fs_visit can grow the stack */
        src_str_free(&fp);
        src_str_free(&lp);
        return r;
    }
    src_pop(s);
    return 0;
}
