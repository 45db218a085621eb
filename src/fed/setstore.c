/* setstore.c: how change sets are kept in the store (docs/federation.md "Stored form"): a set's
 * canonical bytes (what is signed, hashed into its id and sent) go into change_set.bytes
 * compressed as one zstd frame with its content size and checksum (codec 'zstd', len the
 * canonical length); a set read back is decompressed and checked (the frame's checksum, the
 * length), so a damaged stored set is an error naming it, never bytes sent on. Rows stored
 * raw (codec NULL: before schema 22) are read as they are. The functions the cut (cut.c), the
 * import's keeping of received sets (bundle_in.c) and the bundle's writer (bundle_out.c) share:
 * a set stored (compressed on a thread meanwhile: ad_fed_zjob), a set read back. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getFrameHeader */
#include <zstd.h>

#include "ariadne/util.h"
#include "fed_int.h"

/* zstd level 1: about a quarter of the bytes (media changes are mostly hex digests) at a few
 * hundred MB/s; docs/benchmarks.md weighs it against faster levels. */
#define ZLEVEL 1

/* bytes[0..len) as one zstd frame into *out (malloc'd, *n bytes). */
static ad_code compress(const uint8_t *bytes, size_t len, uint8_t **out, size_t *n, ad_err *err)
{
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    size_t cap = ZSTD_compressBound(len);
    uint8_t *o = cc ? malloc(cap) : NULL;
    if (!o) {
        ZSTD_freeCCtx(cc);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    size_t r = ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, ZLEVEL);
    if (!ZSTD_isError(r))
        r = ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
    if (!ZSTD_isError(r))
        r = ZSTD_compress2(cc, o, cap, bytes, len);
    ZSTD_freeCCtx(cc);
    if (ZSTD_isError(r)) {
        free(o);
        return ad_err_set(err, AD_ERR_INTERNAL, "cannot compress a change set: %s",
                          ZSTD_getErrorName(r));
    }
    *out = o;
    *n = r;
    return AD_OK;
}

/* The compressed form z[0..zn) of a set of len canonical bytes into change_set. */
static ad_code put_z(ad_store *st, const char *id, const char *origin, int64_t first, int64_t last,
                     const uint8_t *z, size_t zn, size_t len, const char *kinds, int replay,
                     ad_err *err)
{
    static const char sql[2][200] = {
        "INSERT INTO change_set (id, origin, first_seq, last_seq, bytes, received, kinds, len,"
        " codec) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'zstd')",
        "INSERT INTO change_set (id, origin, first_seq, last_seq, bytes, received, kinds, len,"
        " codec) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'zstd') ON CONFLICT DO NOTHING"};
    ad_stmt *s = ad_db_stmt(st->db, sql[replay != 0], err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, id);
    ad_bind_text(s, 2, origin);
    ad_bind_int(s, 3, first);
    ad_bind_int(s, 4, last);
    ad_bind_blob(s, 5, z, zn);
    ad_bind_int(s, 6, ad_store_time());
    ad_bind_text_opt(s, 7, kinds);
    ad_bind_int(s, 8, (int64_t)len);
    return ad_db_run(s, err);
}

/* A set compressed on a thread of its own while the caller goes on (the cut makes the next
 * set meanwhile, the import applies it), stored when the caller is ready. */
struct ad_fed_zjob {
    pthread_t th;
    int threaded;
    const uint8_t *bytes;
    size_t len, zn;
    uint8_t *z;
    ad_code rc;
    ad_err err;
};

static void *zjob_run(void *arg)
{
    ad_fed_zjob *j = arg;
    j->rc = compress(j->bytes, j->len, &j->z, &j->zn, &j->err);
    return NULL;
}

ad_code ad_fed_zjob_start(const uint8_t *bytes, size_t len, ad_fed_zjob **out, ad_err *err)
{
    ad_fed_zjob *j = calloc(1, sizeof *j);
    *out = j;
    if (!j)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    j->bytes = bytes;
    j->len = len;
    j->threaded = pthread_create(&j->th, NULL, zjob_run, j) == 0;
    if (!j->threaded) /* no thread to be had: here and now */
        zjob_run(j);
    return AD_OK;
}

static void zjob_wait(ad_fed_zjob *j)
{
    if (j->threaded)
        pthread_join(j->th, NULL);
    j->threaded = 0;
}

ad_code ad_fed_zjob_put(ad_fed_zjob *j, ad_store *st, const char *id, const char *origin,
                        int64_t first, int64_t last, const char *kinds, int replay, ad_err *err)
{
    zjob_wait(j);
    ad_code rc = j->rc;
    if (rc != AD_OK)
        ad_err_set(err, rc, "%s", j->err.msg);
    else
        rc = put_z(st, id, origin, first, last, j->z, j->zn, j->len, kinds, replay, err);
    ad_fed_zjob_free(j);
    return rc;
}

void ad_fed_zjob_free(ad_fed_zjob *j)
{
    if (!j)
        return;
    zjob_wait(j);
    free(j->z);
    free(j);
}

ad_code ad_fed_set_get(ad_store *st, const char *id, uint8_t **buf, size_t *cap, size_t *len,
                       ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, "SELECT bytes, codec, len FROM change_set WHERE id = ?", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, id);
    int k = ad_step(s, err);
    ad_code rc = k < 0 ? (ad_code)-k : AD_OK;
    size_t n = 0;
    const uint8_t *b = k > 0 ? ad_col_blob(s, 0, &n) : NULL;
    const char *codec = k > 0 && !ad_col_null(s, 1) ? ad_col_text(s, 1) : NULL;
    int64_t want = k > 0 && !ad_col_null(s, 2) ? ad_col_int(s, 2) : (int64_t)n;
    if (rc == AD_OK && k == 0)
        rc = ad_err_set(err, AD_ERR_NOT_FOUND, "no change set %s is held here", id);
    else if (rc == AD_OK && (!b || n == 0 || want <= 0))
        rc = ad_err_set(err, AD_ERR_CHECKSUM, "change set %s as stored is empty (damaged)", id);
    else if (rc == AD_OK && codec && strcmp(codec, "zstd"))
        rc = ad_err_set(err, AD_ERR_VERSION, "change set %s is stored as '%s', unknown here", id,
                        codec);
    if (rc == AD_OK && (size_t)want > *cap) {
        uint8_t *q = realloc(*buf, (size_t)want);
        if (!q)
            rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
        else
            *buf = q, *cap = (size_t)want;
    }
    if (rc == AD_OK && !codec) { /* raw: before schema 22 */
        memcpy(*buf, b, n);
        *len = n;
    } else if (rc == AD_OK) {
        /* the frame must say its size and carry its checksum (a flipped flag is damage too) */
        ZSTD_frameHeader h;
        unsigned long long size = ZSTD_getFrameHeader(&h, b, n) == 0 && h.checksumFlag &&
                                          h.frameType == ZSTD_frame
                                      ? h.frameContentSize
                                      : ZSTD_CONTENTSIZE_ERROR;
        size_t r = size == (unsigned long long)want
                       ? ZSTD_decompress(*buf, (size_t)want, b, n)
                       : (size_t)-1;
        if (ZSTD_isError(r) || r != (size_t)want)
            rc = ad_err_set(err, AD_ERR_CHECKSUM,
                            "change set %s as stored is damaged (it does not decompress to its "
                            "%lld bytes: %s)",
                            id, (long long)want,
                            size != (unsigned long long)want ? "its frame header is wrong"
                                                             : ZSTD_getErrorName(r));
        else
            *len = r;
    }
    ad_db_done(s);
    return rc;
}
