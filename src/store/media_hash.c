/* media_hash.c: the PDQ hashes kept beside the plain ones (media_hash, schema 9): trimmed and
 * area PDQs of pictures and video frames (ariadne/media_hash.h, docs/store.md "Extra hashes"). */
#include <stdlib.h>
#include <string.h>

#include "ariadne/media_hash.h"
#include "store_int.h"

const char *ad_mhash_kind_name(ad_mhash_kind k)
{
    return k == AD_MHASH_TRIM ? "trim" : k == AD_MHASH_AREA ? "area" : NULL;
}

static void bind_hash(void *p, ad_stmt *s, size_t i)
{
    const ad_media_hash *h = (const ad_media_hash *)p + i;
    ad_bind_int(s, 1, h->media_id);
    ad_bind_int(s, 2, h->frame);
    ad_bind_text(s, 3, ad_mhash_kind_name(h->kind));
    ad_bind_blob(s, 4, h->pdq.b, 32);
    ad_bind_int(s, 5, h->quality);
    if (h->kind == AD_MHASH_TRIM) {
        ad_bind_int(s, 6, h->content.x);
        ad_bind_int(s, 7, h->content.y);
        ad_bind_int(s, 8, h->content.w);
        ad_bind_int(s, 9, h->content.h);
    } else {
        for (int c = 6; c <= 9; c++)
            ad_bind_null(s, c);
    }
}

ad_code ad_store_media_hash_add(ad_store *st, const ad_media_hash *h, size_t n, ad_err *err)
{
    for (size_t i = 0; i < n; i++)
        if (h[i].media_id <= 0 || !ad_mhash_kind_name(h[i].kind) || h[i].frame < -1)
            return ad_err_set(err, AD_ERR_ARG, "an extra hash needs its media and a kind");
    if (!n)
        return AD_OK;
    ad_code rc = n > 1 ? ad_store_begin_batch(st, err) : ad_store_begin(st, err);
    if (rc != AD_OK)
        return rc;
    rc = ad_db_many(st->db,
                    "INSERT INTO media_hash (media_id, frame, kind, pdq, quality, cx, cy, cw, ch)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (media_id, frame, kind) DO NOTHING",
                    n, bind_hash, NULL, (void *)h, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_set(err, rc, "extra hashes refer to a missing media");
    rc = ad_store_auditf(st, rc, "media.hash", "media", h[0].media_id, err, "n=%zu", n);
    return ad_store_finish(st, rc, err);
}

#define PAGE 8192

typedef struct {
    ad_h256 pdq;
    int64_t id, media_id;
    int is_frame;
} item;

ad_code ad_store_media_hash_load(ad_store *st, int64_t media_id, ad_pdq_fn fn, void *ctx,
                                 ad_err *err)
{
    /* paged by the entry id (media id, then frame row id); an id has up to two kinds */
    item *page = malloc(PAGE * sizeof *page);
    if (!page)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    static const char *const sql[2] = {
        /* the media's own, then its frames' (joined to their frame rows) */
        "SELECT h.media_id, h.media_id, h.pdq, 0 FROM media_hash h WHERE h.frame = -1"
        " AND h.media_id > ? AND (? = 0 OR h.media_id = ?) ORDER BY h.media_id, h.kind LIMIT 8192",
        "SELECT f.id, h.media_id, h.pdq, 1 FROM media_hash h JOIN media_frame f"
        " ON f.media_id = h.media_id AND f.frame = h.frame WHERE h.frame >= 0"
        " AND f.id > ? AND (? = 0 OR h.media_id = ?) ORDER BY f.id, h.kind LIMIT 8192"};
    ad_code rc = AD_OK;
    for (int q = 0; q < 2 && !rc; q++) {
        int64_t after = 0;
        for (;;) {
            ad_stmt *s = ad_db_stmt(st->db, sql[q], err);
            if (!s) {
                rc = AD_ECODE(err);
                break;
            }
            ad_bind_int(s, 1, after);
            ad_bind_int(s, 2, media_id);
            ad_bind_int(s, 3, media_id);
            int n = 0, k;
            while ((k = ad_step(s, err)) > 0) {
                size_t len;
                const uint8_t *p = ad_col_blob(s, 2, &len);
                if (!p || len != 32)
                    continue;
                page[n].id = ad_col_int(s, 0);
                page[n].media_id = ad_col_int(s, 1);
                page[n].is_frame = q;
                memcpy(page[n].pdq.b, p, 32);
                n++;
            }
            int more = n == PAGE;
            ad_db_done(s);
            if (k < 0) {
                rc = (ad_code)-k;
                break;
            }
            /* on a full page the last key may be cut: keep it for the next page */
            int upto = n;
            if (more) {
                while (upto > 0 && page[upto - 1].id == page[n - 1].id)
                    upto--;
                if (upto == 0) /* cannot happen: an id has at most two rows */
                    upto = n;
            }
            for (int i = 0; i < upto; i++)
                if (fn(ctx, &page[i].pdq, page[i].id, page[i].media_id, page[i].is_frame)) {
                    free(page);
                    return AD_OK;
                }
            if (!more)
                break;
            after = page[upto - 1].id;
        }
    }
    free(page);
    return rc;
}
