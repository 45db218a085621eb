/* frame.c: video frame hashes (media_frame), loading every PDQ hash for the index, and the
 * digests of the media that have a PDQ or frame hashes (what ingest need not decode again). */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

static void bind_frame(void *p, ad_stmt *s, size_t i)
{
    const ad_frame *f = (const ad_frame *)p + i;
    ad_bind_int(s, 1, f->media_id);
    ad_bind_int(s, 2, f->frame);
    ad_bind_int(s, 3, f->timestamp_ms);
    ad_bind_int(s, 4, f->quality);
    ad_bind_blob(s, 5, f->pdq.b, 32);
}

ad_code ad_store_frame_add_batch(ad_store *st, const ad_frame *f, size_t n, ad_err *err)
{
    ad_code rc = n > 1 ? ad_store_begin_batch(st, err) : ad_store_begin(st, err);
    if (rc != AD_OK)
        return rc;
    rc = ad_db_many(st->db,
                    "INSERT INTO media_frame (media_id, frame, ts_ms, quality, pdq)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (media_id, frame) DO UPDATE"
                    " SET ts_ms = excluded.ts_ms, quality = excluded.quality, pdq = excluded.pdq",
                    n, bind_frame, NULL, (void *)f, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_set(err, rc, "frames refer to a missing media");
    if (n)
        rc = ad_store_auditf(st, rc, "frame.add", NULL, 0, err, "n=%zu media=%lld", n,
                             (long long)f[0].media_id);
    return ad_store_finish(st, rc, err);
}

typedef struct {
    ad_h256 pdq;
    int64_t id, media_id;
} pdq_item;

#define PDQ_PAGE 8192

/* Pages through one table; columns: id, media id, pdq; parameters: the last id seen, and the
 * media (when the SQL has a second one). */
static ad_code load_table(ad_store *st, const char *sql, int is_frame, int64_t media_id,
                          pdq_item *page, ad_pdq_fn fn, void *ctx, int64_t *count, ad_err *err)
{
    int64_t after = 0;
    for (;;) {
        ad_stmt *s = ad_db_stmt(st->db, sql, err);
        if (!s)
            return AD_ECODE(err);
        ad_bind_int(s, 1, after);
        if (media_id)
            ad_bind_int(s, 2, media_id);
        int n = 0, k;
        while ((k = ad_step(s, err)) > 0) {
            size_t len;
            const uint8_t *p = ad_col_blob(s, 2, &len);
            after = ad_col_int(s, 0);
            if (!p || len != 32)
                continue;
            page[n].id = after;
            page[n].media_id = ad_col_int(s, 1);
            memcpy(page[n].pdq.b, p, 32);
            n++;
        }
        ad_db_done(s);
        if (k < 0)
            return (ad_code)-k;
        for (int i = 0; i < n; i++)
            if (fn(ctx, &page[i].pdq, page[i].id, page[i].media_id, is_frame))
                return AD_OK;
        *count += n;
        if (n == 0)
            return AD_OK;
    }
}

/* Every PDQ of the media and the frames, or (media_id > 0) of one media and its frames. */
static ad_code pdq_load(ad_store *st, int64_t media_id, ad_pdq_fn fn, void *ctx, int64_t *count,
                        ad_err *err)
{
    pdq_item *page = malloc(PDQ_PAGE * sizeof *page);
    if (!page)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    ad_code rc = load_table(st,
                            media_id ? "SELECT id, id, pdq FROM media WHERE pdq IS NOT NULL"
                                       " AND id > ? AND id = ? ORDER BY id LIMIT 8192"
                                     : "SELECT id, id, pdq FROM media WHERE pdq IS NOT NULL"
                                       " AND id > ? ORDER BY id LIMIT 8192",
                            0, media_id, page, fn, ctx, count, err);
    if (rc == AD_OK)
        rc = load_table(st,
                        media_id ? "SELECT id, media_id, pdq FROM media_frame WHERE id > ?"
                                   " AND media_id = ? ORDER BY id LIMIT 8192"
                                 : "SELECT id, media_id, pdq FROM media_frame WHERE id > ?"
                                   " ORDER BY id LIMIT 8192",
                        1, media_id, page, fn, ctx, count, err);
    free(page);
    return rc;
}

ad_code ad_store_pdq_load(ad_store *st, ad_pdq_fn fn, void *ctx, ad_err *err)
{
    int64_t count = 0;
    ad_code rc = pdq_load(st, 0, fn, ctx, &count, err);
    return ad_store_auditr(st, rc, "index.load", NULL, 0, err, "pdq=%lld", (long long)count);
}

ad_code ad_store_pdq_load_media(ad_store *st, int64_t media_id, ad_pdq_fn fn, void *ctx,
                                ad_err *err)
{
    int64_t count = 0;
    return media_id > 0 ? pdq_load(st, media_id, fn, ctx, &count, err) : AD_OK;
}

static ad_code frame_times(ad_store *st, int64_t media_id, ad_frame_time_fn fn, void *ctx,
                           ad_err *err)
{
    int64_t after = 0;
    for (;;) { /* in pages, so that fn may call the store */
        struct {
            int64_t id, media, ts;
        } page[4096];
        int n = 0, k;
        ad_stmt *s =
            ad_db_stmt(st->db,
                       media_id ? "SELECT id, media_id, ts_ms FROM media_frame WHERE id > ?"
                                  " AND media_id = ? ORDER BY id LIMIT 4096"
                                : "SELECT id, media_id, ts_ms FROM media_frame WHERE id > ?"
                                  " ORDER BY id LIMIT 4096",
                       err);
        if (!s)
            return AD_ECODE(err);
        ad_bind_int(s, 1, after);
        if (media_id)
            ad_bind_int(s, 2, media_id);
        while ((k = ad_step(s, err)) > 0) {
            page[n].id = after = ad_col_int(s, 0);
            page[n].media = ad_col_int(s, 1);
            page[n++].ts = ad_col_null(s, 2) ? -1 : ad_col_int(s, 2);
        }
        ad_db_done(s);
        if (k < 0)
            return (ad_code)-k;
        for (int i = 0; i < n; i++)
            if (fn(ctx, page[i].id, page[i].media, page[i].ts))
                return AD_OK;
        if (n < 4096)
            return AD_OK;
    }
}

ad_code ad_store_frame_times(ad_store *st, ad_frame_time_fn fn, void *ctx, ad_err *err)
{
    return frame_times(st, 0, fn, ctx, err);
}

ad_code ad_store_frame_times_media(ad_store *st, int64_t media_id, ad_frame_time_fn fn, void *ctx,
                                   ad_err *err)
{
    return frame_times(st, media_id, fn, ctx, err);
}

ad_code ad_store_complete_digests(ad_store *st, ad_digests_fn fn, void *ctx, ad_err *err)
{
    int64_t after = 0, count = 0;
    struct {
        int64_t id;
        uint8_t d[3][32];
        int has[3];
    } *page = malloc(4096 * sizeof *page);
    if (!page)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    static const size_t len[3] = {32, 16, 20};
    for (;;) { /* in pages, so that fn may call the store */
        ad_stmt *s = ad_db_stmt(st->db,
                                "SELECT id, sha256, md5, sha1 FROM media WHERE id > ? AND"
                                " (pdq IS NOT NULL OR id IN (SELECT media_id FROM media_frame))"
                                " ORDER BY id LIMIT 4096",
                                err);
        if (!s) {
            free(page);
            return AD_ECODE(err);
        }
        ad_bind_int(s, 1, after);
        int n = 0, k;
        while ((k = ad_step(s, err)) > 0) {
            page[n].id = after = ad_col_int(s, 0);
            for (int c = 0; c < 3; c++) {
                size_t got;
                const uint8_t *p = ad_col_blob(s, 1 + c, &got);
                page[n].has[c] = p && got == len[c];
                if (page[n].has[c])
                    memcpy(page[n].d[c], p, len[c]);
            }
            n++;
        }
        ad_db_done(s);
        int stop = k < 0;
        for (int i = 0; i < n && !stop; i++)
            stop = fn(ctx, page[i].id, page[i].has[0] ? page[i].d[0] : NULL,
                      page[i].has[1] ? page[i].d[1] : NULL, page[i].has[2] ? page[i].d[2] : NULL);
        count += n;
        if (k < 0) {
            free(page);
            return (ad_code)-k;
        }
        if (stop || n == 0)
            break;
    }
    free(page);
    return ad_store_auditr(st, AD_OK, "index.digests", NULL, 0, err, "media=%lld",
                           (long long)count);
}
