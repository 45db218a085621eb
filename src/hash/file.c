/* file.c: hashing one file: a single read pass feeds the digests and (for images) the decode
 * buffer; the type comes from the content; images are decoded straight into the PDQ sink. The
 * two steps can be taken apart (digests and type first, then PDQ), so that a caller who knows
 * the digests already can skip the decoding. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ariadne/hash.h"
#include "pdq_sink.h"

#define PROBE_BYTES (64 * 1024)
#define CHUNK (1024 * 1024)

struct ad_hasher {
    ad_hash_opts opts;
    ad_magic *magic;
    ad_digester *dig;
    uint8_t *buf;
    size_t cap;
    size_t kept; /* bytes of the last image read whole into buf, 0 if none */
    uint8_t *grey; /* opts.grey: the last decoded image's reduced luma, gw x gh (0: none) */
    size_t grey_cap;
    int gw, gh;
};

const uint8_t *ad_hasher_grey(const ad_hasher *h, int *width, int *height)
{
    *width = h->gw;
    *height = h->gh;
    return h->gw ? h->grey : NULL;
}

/* The reduced luma of the image just decoded, kept for ad_hasher_grey (without it on failure:
 * the PDQ does not depend on it). */
static void keep_grey(ad_hasher *h, ad_pdq_more_acc *more)
{
    int w, hh;
    ad_pdq_more_grey(more, NULL, &w, &hh);
    size_t need = (size_t)w * (size_t)hh;
    if (need > h->grey_cap) {
        uint8_t *g = realloc(h->grey, need);
        if (!g)
            return;
        h->grey = g;
        h->grey_cap = need;
    }
    ad_pdq_more_grey(more, h->grey, &w, &hh);
    h->gw = w;
    h->gh = hh;
}

const uint8_t *ad_hasher_data(const ad_hasher *h, size_t *len)
{
    *len = h->kept;
    return h->kept ? h->buf : NULL;
}

void ad_hash_opts_default(ad_hash_opts *o)
{
    memset(o, 0, sizeof *o);
    ad_limits_default(&o->limits);
    o->fast_min_side = 384;
}

ad_code ad_hasher_new(ad_hasher **out, const ad_hash_opts *opts, ad_err *err)
{
    *out = NULL;
    ad_hasher *h = calloc(1, sizeof *h);
    if (!h)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (opts)
        h->opts = *opts;
    else
        ad_hash_opts_default(&h->opts);
    ad_code rc = ad_magic_open(&h->magic, err);
    if (!rc)
        rc = ad_digester_new(&h->dig, err);
    if (rc) {
        ad_hasher_free(h);
        return rc;
    }
    *out = h;
    return AD_OK;
}

void ad_hasher_free(ad_hasher *h)
{
    if (!h)
        return;
    ad_magic_close(h->magic);
    ad_digester_free(h->dig);
    free(h->buf);
    free(h->grey);
    free(h);
}

static ad_code reserve(ad_hasher *h, size_t need, ad_err *err)
{
    if (need <= h->cap)
        return AD_OK;
    size_t cap = h->cap ? h->cap : PROBE_BYTES;
    while (cap < need)
        cap *= 2;
    uint8_t *b = realloc(h->buf, cap);
    if (!b)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory for a %zu-byte file", need);
    h->buf = b;
    h->cap = cap;
    return AD_OK;
}

/* The PDQ sink, and a caller's sink beside it (ad_hasher_pdq_also). */
struct tee {
    ad_pdq_sink *pdq;
    const ad_image_sink *also;
    void *also_ctx;
    int also_on;
};

static ad_code tee_begin(void *ctx, int w, int h, int channels, ad_err *err)
{
    struct tee *t = ctx;
    ad_code rc = ad_pdq_sink_fns.begin(t->pdq, w, h, channels, err);
    if (!rc)
        t->also_on = t->also->begin(t->also_ctx, w, h, channels, NULL) == AD_OK;
    return rc;
}

static void tee_row(void *ctx, const uint8_t *px)
{
    struct tee *t = ctx;
    ad_pdq_sink_fns.row(t->pdq, px);
    if (t->also_on)
        t->also->row(t->also_ctx, px);
}

static const ad_image_sink tee_fns = {tee_begin, tee_row};

/* Decodes an image already in memory into PDQ (and into `also`, when not NULL). */
static ad_code hash_image(ad_hasher *h, const uint8_t *data, size_t len, ad_file_hash *out,
                          const ad_image_sink *also, void *also_ctx, ad_err *err)
{
    ad_decode_opts dopts = {.limits = h->opts.limits};
    if (h->opts.fast) {
        dopts.min_side = h->opts.fast_min_side > 0 ? h->opts.fast_min_side : 384;
        dopts.luma_only = 1;
    }
    ad_pdq_sink sink;
    ad_pdq_sink_init(&sink, h->opts.dihedral, h->opts.compat);
    sink.want_more = h->opts.more || h->opts.grey;
    h->gw = h->gh = 0;
    struct tee tee = {&sink, also, also_ctx, 0};
    ad_code rc =
        also ? ad_image_decode(out->type, data, len, &dopts, &tee_fns, &tee, &out->image, err)
             : ad_image_decode(out->type, data, len, &dopts, &ad_pdq_sink_fns, &sink, &out->image,
                               err);
    if (rc == AD_ERR_UNSUPPORTED && sink.too_small) {
        out->pdq_skip = AD_ERR_UNSUPPORTED;
        snprintf(out->pdq_skip_msg, sizeof out->pdq_skip_msg, "%s", err ? err->msg : "too small");
        ad_err_clear(err);
        rc = AD_OK;
    } else if (!rc) {
        rc = ad_pdq_sink_finish(&sink, &out->pdq, err);
        out->has_pdq = rc == AD_OK;
        if (!rc && sink.more && h->opts.more)
            out->has_more = ad_pdq_sink_more(&sink, &out->more, NULL) == AD_OK;
        if (!rc && sink.more && h->opts.grey)
            keep_grey(h, sink.more);
    }
    ad_pdq_sink_free(&sink);
    return rc;
}

static void set_skip(ad_file_hash *out)
{
    if (out->type == AD_MEDIA_EMPTY) {
        out->pdq_skip = AD_ERR_EMPTY;
        snprintf(out->pdq_skip_msg, sizeof out->pdq_skip_msg, "empty file");
    } else if (out->type == AD_MEDIA_VIDEO) {
        out->pdq_skip = AD_ERR_UNSUPPORTED;
        snprintf(out->pdq_skip_msg, sizeof out->pdq_skip_msg, "video (%s)", out->mime);
    } else {
        out->pdq_skip = AD_ERR_UNSUPPORTED;
        snprintf(out->pdq_skip_msg, sizeof out->pdq_skip_msg, "not an image (%s)", out->mime);
    }
}

ad_code ad_hasher_buffer_digests(ad_hasher *h, const uint8_t *data, size_t len, ad_file_hash *out,
                                 ad_err *err)
{
    (void)err;
    memset(out, 0, sizeof *out);
    h->kept = 0;
    h->gw = h->gh = 0;
    out->size = len;
    ad_digester_reset(h->dig);
    ad_digester_update(h->dig, data, len);
    ad_digester_final(h->dig, &out->digests);
    out->has_digests = 1;
    out->type = ad_media_probe(h->magic, data, len < PROBE_BYTES ? len : PROBE_BYTES, out->mime,
                               sizeof out->mime);
    if (!ad_media_is_image(out->type))
        set_skip(out);
    return AD_OK;
}

ad_code ad_hasher_pdq_also(ad_hasher *h, const uint8_t *data, size_t len, ad_file_hash *out,
                           const ad_image_sink *also, void *also_ctx, ad_err *err)
{
    if (!ad_media_is_image(out->type))
        return AD_OK;
    if (len > h->opts.limits.max_file_bytes)
        return ad_err_set(err, AD_ERR_LIMIT, "image file of %zu bytes is over the limit of %llu",
                          len, (unsigned long long)h->opts.limits.max_file_bytes);
    return hash_image(h, data, len, out, also, also_ctx, err);
}

ad_code ad_hasher_pdq(ad_hasher *h, const uint8_t *data, size_t len, ad_file_hash *out, ad_err *err)
{
    return ad_hasher_pdq_also(h, data, len, out, NULL, NULL, err);
}

ad_code ad_hasher_buffer(ad_hasher *h, const uint8_t *data, size_t len, ad_file_hash *out,
                         ad_err *err)
{
    ad_code rc = ad_hasher_buffer_digests(h, data, len, out, err);
    return rc ? rc : ad_hasher_pdq(h, data, len, out, err);
}

static ad_code read_some(int fd, uint8_t *dst, size_t want, size_t *got, ad_err *err)
{
    *got = 0;
    while (*got < want) {
        ssize_t n = read(fd, dst + *got, want - *got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return ad_err_set(err, AD_ERR_IO, "read failed: %s", strerror(errno));
        }
        if (n == 0)
            break;
        *got += (size_t)n;
    }
    return AD_OK;
}

ad_code ad_hasher_file_digests(ad_hasher *h, const char *path, ad_file_hash *out, ad_err *err)
{
    memset(out, 0, sizeof *out);
    h->kept = 0;
    h->gw = h->gh = 0;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; regular files ignore it. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return ad_err_set(err, AD_ERR_IO, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return ad_err_set(err, AD_ERR_IO, "cannot stat: %s", strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return ad_err_set(err, AD_ERR_UNSUPPORTED, "not a regular file (%s)",
                          S_ISDIR(st.st_mode)    ? "directory"
                          : S_ISFIFO(st.st_mode) ? "FIFO"
                          : S_ISCHR(st.st_mode)  ? "character device"
                          : S_ISBLK(st.st_mode)  ? "block device"
                          : S_ISSOCK(st.st_mode) ? "socket"
                                                 : "special file");
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

    ad_code rc = reserve(h, PROBE_BYTES, err);
    size_t len = 0, got = 0;
    if (!rc)
        rc = read_some(fd, h->buf, PROBE_BYTES, &got, err);
    if (rc) {
        close(fd);
        return rc;
    }
    len = got;
    uint64_t total = got;
    ad_digester_reset(h->dig);
    ad_digester_update(h->dig, h->buf, len);
    out->type = ad_media_probe(h->magic, h->buf, len, out->mime, sizeof out->mime);
    const int keep = ad_media_is_image(out->type);
    if (keep) {
        /* the whole image is read into memory: check the limit before growing the buffer */
        if ((uint64_t)st.st_size > h->opts.limits.max_file_bytes) {
            close(fd);
            return ad_err_set(err, AD_ERR_LIMIT,
                              "image file of %lld bytes is over the limit of %llu bytes",
                              (long long)st.st_size,
                              (unsigned long long)h->opts.limits.max_file_bytes);
        }
        rc = reserve(h, (size_t)st.st_size + 1, err);
    }
    /* the rest of the file: appended when it is an image, otherwise read in chunks */
    while (!rc && got > 0) {
        size_t room;
        uint8_t *dst;
        if (keep) {
            if (len >= h->opts.limits.max_file_bytes) {
                rc = ad_err_set(err, AD_ERR_LIMIT, "image file grew over the limit while read");
                break;
            }
            rc = reserve(h, len + CHUNK, err);
            if (rc)
                break;
            dst = h->buf + len;
            room = CHUNK;
        } else {
            rc = reserve(h, CHUNK, err);
            if (rc)
                break;
            dst = h->buf;
            room = CHUNK;
        }
        rc = read_some(fd, dst, room, &got, err);
        if (rc)
            break;
        ad_digester_update(h->dig, dst, got);
        if (keep)
            len += got;
        total += got;
    }
    close(fd);
    if (rc)
        return rc;
    out->size = total;
    ad_digester_final(h->dig, &out->digests);
    out->has_digests = 1;
    if (!keep)
        set_skip(out);
    else
        h->kept = len;
    return AD_OK;
}

ad_code ad_hasher_file(ad_hasher *h, const char *path, ad_file_hash *out, ad_err *err)
{
    ad_code rc = ad_hasher_file_digests(h, path, out, err);
    return rc || !h->kept ? rc : hash_image(h, h->buf, h->kept, out, NULL, NULL, err);
}
