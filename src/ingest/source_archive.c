/* source_archive.c: the walker inside archives (libarchive): members streamed into memory one
 * at a time, never to disk; limits on member size, expanded bytes, expansion ratio, entries
 * and nesting, counted on every chunk so that a bomb stops early with bounded memory. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest/source_internal.h"

typedef unsigned long long ull;

static void stop(src_frame *f, ad_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void stop(src_frame *f, ad_code code, const char *fmt, ...)
{
    char msg[sizeof f->stop.msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    f->stopped = 1;
    ad_err_set(&f->stop, code, "%s", msg);
}

/* What libarchive's last message means, as a code. */
static ad_code ar_code(struct archive *a)
{
    const char *m = archive_error_string(a);
    if (!m)
        return AD_ERR_CORRUPT;
    if (strcasestr(m, "encrypt") || strcasestr(m, "passphrase") || strcasestr(m, "password"))
        return AD_ERR_UNSUPPORTED;
    if (strcasestr(m, "truncat") || strcasestr(m, "premature") || strcasestr(m, "unexpected end"))
        return AD_ERR_TRUNCATED;
    return AD_ERR_CORRUPT;
}

static const char *ar_msg(struct archive *a)
{
    const char *m = archive_error_string(a);
    return m ? m : "unreadable";
}

void src_archive_close(src_frame *f)
{
    if (f->ar)
        archive_read_free(f->ar);
    f->ar = NULL;
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    free(f->owned);
    f->owned = NULL;
}

static int open_plain(src_frame *f, const char *fs_path)
{
    int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
    f->fd = open(fs_path, flags | O_NOATIME);
    if (f->fd < 0 && errno == EPERM)
        f->fd = open(fs_path, flags);
    struct stat st;
    if (f->fd < 0 || fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        stop(f, AD_ERR_IO, "cannot open the archive: %s",
             f->fd < 0 ? strerror(errno) : "not a regular file");
        return -1;
    }
    return archive_read_open_fd(f->ar, f->fd, 64 * 1024);
}

/* Opens the archive reader of frame f, from its file or its bytes. raw_only: the content is one
 * raw member (after decompression), whatever it looks like. -1 out of memory. */
static int ar_start(src_frame *f, int raw_only)
{
    f->ar = archive_read_new();
    if (!f->ar)
        return -1;
    archive_read_support_filter_all(f->ar);
    if (raw_only) {
        archive_read_support_format_raw(f->ar);
    } else {
        archive_read_support_format_all(f->ar);
        if (f->compressed)
            archive_read_support_format_raw(f->ar);
    }
    int r = f->fs_path.len ? open_plain(f, f->fs_path.p)
                           : archive_read_open_memory(f->ar, f->owned, f->packed);
    if (r != ARCHIVE_OK && !f->stopped)
        stop(f, ar_code(f->ar), "cannot open the archive: %s", ar_msg(f->ar));
    return 0;
}

int src_archive_open(ad_source *s)
{
    src_row *c = &s->cur;
    src_frame *f = src_push(s, SRC_ARCHIVE);
    if (!f || src_str_set(&f->logical, c->path.p, c->path.len) != 0) {
        if (f)
            src_pop(s);
        return -1;
    }
    memcpy(f->key, c->row.key, 32);
    f->depth = c->row.depth;
    char mime[sizeof c->row.mime];
    memcpy(mime, c->row.mime, sizeof mime);
    int plain = c->fs_path.len > 0;
    if (plain) {
        if (src_str_set(&f->fs_path, c->fs_path.p, c->fs_path.len) != 0)
            return -1;
        f->packed = c->row.size;
    } else {
        f->owned = c->data; /* the member's bytes now belong to the archive frame */
        f->packed = c->row.len;
        c->data = NULL;
        c->data_cap = 0;
    }
    src_row_reset(s);
    if ((unsigned)f->depth >= s->opts.max_depth) {
        stop(f, AD_ERR_LIMIT, "archive nested deeper than %u archives: not opened",
             s->opts.max_depth);
        return 0;
    }
    f->compressed = src_mime_is_compressed(mime);
    return ar_start(f, 0) < 0 ? -1 : 0;
}

/* Limits of one archive; sets its stop reason. */
static int over_limits(const ad_source_opts *o, src_frame *f)
{
    if (f->expanded > o->max_archive_bytes) {
        stop(f, AD_ERR_LIMIT, "expands to more than %llu bytes: not read further",
             (ull)o->max_archive_bytes);
        return 1;
    }
    uint64_t packed = f->packed ? f->packed : 1;
    if (o->max_ratio && f->expanded > o->ratio_floor && f->expanded / packed > o->max_ratio) {
        stop(f, AD_ERR_LIMIT, "expands more than %llu times its size: not read further",
             (ull)o->max_ratio);
        return 1;
    }
    return 0;
}

/* Counts n expanded bytes against every open archive; stops the outermost one over its limits
 * and the archives inside it. 1 when the archive being read was stopped. */
static int count(ad_source *s, uint64_t n)
{
    size_t first = s->depth;
    for (size_t i = 0; i < s->depth; i++) {
        src_frame *f = &s->stack[i];
        if (f->kind != SRC_ARCHIVE)
            continue;
        f->expanded += n;
        if (first == s->depth && over_limits(&s->opts, f))
            first = i;
    }
    for (size_t i = first + 1; i < s->depth; i++)
        if (s->stack[i].kind == SRC_ARCHIVE)
            stop(&s->stack[i], AD_ERR_LIMIT,
                 "not read to the end: an enclosing archive reached a limit");
    return first < s->depth;
}

/* The most a member may hold: max_member_bytes, and what the archives held in memory leave of
 * max_held_bytes. */
static uint64_t member_limit(const ad_source *s)
{
    uint64_t limit = s->opts.max_member_bytes, held = 0;
    if (!s->opts.max_held_bytes)
        return limit;
    for (size_t i = 0; i < s->depth; i++)
        if (s->stack[i].kind == SRC_ARCHIVE && s->stack[i].owned)
            held += s->stack[i].packed;
    uint64_t room = held < s->opts.max_held_bytes ? s->opts.max_held_bytes - held : 0;
    return room < limit ? room : limit;
}

/* Reads (keep) or drains (!keep) the current member, counting. 1 on success, 0 when the row
 * became an error, -1 out of memory. */
static int read_member(ad_source *s, src_frame *f, int keep, uint64_t declared)
{
    src_row *c = &s->cur;
    uint64_t limit = member_limit(s);
    size_t len = 0;
    int over = !keep;
    for (;;) {
        uint8_t *dst = s->scratch;
        size_t room = SRC_CHUNK;
        if (!over && len == c->data_cap && len < limit) {
            uint64_t want = c->data_cap ? (uint64_t)c->data_cap * 2 : 64 * 1024;
            if (!c->data_cap && declared > want)
                want = declared < (16u << 20) ? declared + 1 : (16u << 20);
            if (want > limit)
                want = limit;
            uint8_t *p = realloc(c->data, (size_t)want);
            if (!p)
                return -1;
            c->data = p;
            c->data_cap = (size_t)want;
        }
        if (!over && len < c->data_cap) {
            dst = c->data + len;
            room = c->data_cap - len < SRC_CHUNK ? c->data_cap - len : SRC_CHUNK;
        }
        la_ssize_t n = archive_read_data(f->ar, dst, room);
        if (n == 0)
            break;
        if (n < 0) {
            src_row_error(s, ar_code(f->ar), "cannot read the member: %s", ar_msg(f->ar));
            return 0;
        }
        if (dst == s->scratch)
            over = 1;
        else
            len += (size_t)n;
        if (count(s, (uint64_t)n)) {
            src_row_error(s, AD_ERR_LIMIT, "not read to the end: %s", f->stop.msg);
            return 0;
        }
    }
    if (over) {
        src_row_error(s, AD_ERR_LIMIT, "member larger than the limit of %llu bytes: not read",
                      (ull)limit);
        return 0;
    }
    c->row.data = c->data ? c->data : (const uint8_t *)"";
    c->row.len = len;
    c->row.size = len;
    c->row.size_known = 1;
    return 1;
}

static ad_row_time entry_time(int set, time_t sec, long nsec)
{
    ad_row_time t = {0, 0, 0};
    if (set) {
        t.sec = sec;
        t.nsec = (int32_t)nsec;
        t.set = 1;
    }
    return t;
}

/* Custody fields of an entry. */
static void fill_entry(ad_row *r, struct archive_entry *e)
{
    r->mtime = entry_time(archive_entry_mtime_is_set(e), archive_entry_mtime(e),
                          archive_entry_mtime_nsec(e));
    r->atime = entry_time(archive_entry_atime_is_set(e), archive_entry_atime(e),
                          archive_entry_atime_nsec(e));
    r->ctime = entry_time(archive_entry_ctime_is_set(e), archive_entry_ctime(e),
                          archive_entry_ctime_nsec(e));
    r->btime = entry_time(archive_entry_birthtime_is_set(e), archive_entry_birthtime(e),
                          archive_entry_birthtime_nsec(e));
    r->mode = archive_entry_mode(e);
    r->uid = archive_entry_uid(e);
    r->gid = archive_entry_gid(e);
    if (archive_entry_size_is_set(e) && archive_entry_size(e) >= 0) {
        r->size = (uint64_t)archive_entry_size(e);
        r->size_known = 1;
    }
}

/* Is the member of a format whose skipping costs no decompression? */
static int cheap_skip(struct archive *a)
{
    int fmt = archive_format(a) & ARCHIVE_FORMAT_BASE_MASK;
    return archive_filter_count(a) <= 1 &&
           (fmt == ARCHIVE_FORMAT_TAR || fmt == ARCHIVE_FORMAT_CPIO || fmt == ARCHIVE_FORMAT_AR ||
            fmt == ARCHIVE_FORMAT_ISO9660);
}

/* A member that is not a regular file: the reason it is not read, or NULL. */
static const char *not_regular(struct archive_entry *e)
{
    if (archive_entry_hardlink(e))
        return "hard link inside the archive: not followed";
    switch (archive_entry_filetype(e)) {
    case 0:
    case AE_IFREG:
        return NULL;
    case AE_IFLNK:
        return "symbolic link inside the archive: not followed";
    case AE_IFIFO:
        return "FIFO entry: not read";
    case AE_IFCHR:
    case AE_IFBLK:
        return "device entry: not read";
    case AE_IFSOCK:
        return "socket entry: not read";
    default:
        return "entry of an unknown type: not read";
    }
}

/* Builds the row of a member: path, key, chain, custody; then reads it. */
static int member_row(ad_source *s, src_frame *f, struct archive_entry *e, const char *name,
                      uint64_t index)
{
    src_row *c = &s->cur;
    ad_row *r = &c->row;
    size_t nlen = strlen(name);
    r->kind = AD_ROW_FILE;
    r->root = s->next_root - 1;
    if (src_str_set(&c->path, f->logical.p, f->logical.len) != 0 ||
        src_str_add(&c->path, "!/", 2) != 0 || src_str_add_escaped(&c->path, name, nlen) != 0 ||
        src_str_set(&c->inner, "", 0) != 0 || src_str_add_escaped(&c->inner, name, nlen) != 0 ||
        src_row_chain(s) != 0)
        return -1;
    src_key_member(f->key, index, name, nlen, r->key);
    r->parent_format = f->format;
    fill_entry(r, e);
    const char *why = not_regular(e);
    if (why) {
        /* the target of a link is custody data too: escaped like a name */
        const char *to =
            archive_entry_hardlink(e) ? archive_entry_hardlink(e) : archive_entry_symlink(e);
        char target[200];
        if (to)
            ad_path_escape(to, strlen(to), target, sizeof target);
        src_row_error(s, AD_ERR_UNSUPPORTED, "%s%s%s%s", why, to ? " (to " : "", to ? target : "",
                      to ? ")" : "");
        return 1;
    }
    if (archive_entry_is_encrypted(e)) {
        src_row_error(s, AD_ERR_UNSUPPORTED, "encrypted member: not read");
        return 1;
    }
    uint64_t declared = r->size_known ? r->size : 0;
    if (r->size_known && declared > member_limit(s)) {
        /* drained through the counters unless skipping it is free */
        if (!cheap_skip(f->ar) && read_member(s, f, 0, declared) < 0)
            return -1;
        src_row_error(s, AD_ERR_LIMIT, "member of %llu bytes over the limit of %llu: not read",
                      (ull)declared, (ull)member_limit(s));
        return 1;
    }
    int rc = read_member(s, f, 1, declared);
    if (rc <= 0)
        return rc < 0 ? -1 : 1;
    r->is_archive = src_detect_archive(s, r->data, r->len, r->mime, sizeof r->mime);
    return 1;
}

int src_archive_next(ad_source *s, src_frame *f)
{
    src_row_reset(s);
    if (f->entries >= s->opts.max_members) {
        stop(f, AD_ERR_LIMIT, "more than %llu entries: not read further", (ull)s->opts.max_members);
        return 0;
    }
    struct archive_entry *e;
    int r = archive_read_next_header(f->ar, &e);
    if (r == ARCHIVE_EOF && f->entries == 0 && f->compressed && !f->raw_only &&
        archive_format(f->ar) != ARCHIVE_FORMAT_RAW) {
        /* A compressed file whose content a format took for an empty archive (a tar reader
         * takes 512 zero bytes for the end of a tar): its content would vanish without a
         * row. It is read again as one raw member. */
        archive_read_free(f->ar);
        f->ar = NULL;
        if (f->fd >= 0)
            close(f->fd);
        f->fd = -1;
        f->raw_only = 1;
        f->format[0] = 0;
        if (ar_start(f, 1) < 0)
            return -1;
        return f->stopped ? 0 : src_archive_next(s, f);
    }
    if (r == ARCHIVE_EOF) {
        src_pop(s);
        return 0;
    }
    if (r < ARCHIVE_WARN) {
        stop(f, ar_code(f->ar), "%s", ar_msg(f->ar));
        return 0;
    }
    uint64_t index = f->entries++;
    if (!f->format[0])
        snprintf(f->format, sizeof f->format, "%s", archive_format_name(f->ar));
    if (archive_entry_filetype(e) == AE_IFDIR)
        return 0;
    const char *name = archive_entry_pathname(e);
    char unnamed[64];
    if (!name) {
        snprintf(unnamed, sizeof unnamed, "(entry %llu without a readable name)", (ull)index);
        name = unnamed;
    }
    return member_row(s, f, e, name, index);
}
