/* thumb.c: thumbnails (media_thumb, schema 5): one small JPEG per media and agency, made at
 * ingest from the bytes that were hashed. Pixels are the evidence of the agency that holds the
 * file: every read names the agency and gets that agency's rows only. */
#include <string.h>

#include "store_int.h"

typedef struct {
    const ad_media_thumb *t;
    int64_t now;
    size_t added;
} add_ctx;

static void bind_thumb(void *p, ad_stmt *s, size_t i)
{
    add_ctx *c = p;
    const ad_media_thumb *t = &c->t[i];
    ad_bind_int(s, 1, t->media_id);
    ad_bind_int(s, 2, t->agency_id);
    ad_bind_blob(s, 3, t->jpeg, t->len);
    ad_bind_int(s, 4, t->width);
    ad_bind_int(s, 5, t->height);
    if (t->frame_ms >= 0)
        ad_bind_int(s, 6, t->frame_ms);
    else
        ad_bind_null(s, 6);
    ad_bind_text_opt(s, 7, t->job_id);
    ad_bind_int(s, 8, t->created ? t->created : c->now);
}

static int count_added(void *p, ad_stmt *s, size_t i)
{
    (void)s, (void)i;
    ((add_ctx *)p)->added++;
    return 0;
}

ad_code ad_store_thumb_add_batch(ad_store *st, const ad_media_thumb *t, size_t n, size_t *added,
                                 ad_err *err)
{
    if (added)
        *added = 0;
    for (size_t i = 0; i < n; i++)
        if (t[i].media_id <= 0 || t[i].agency_id <= 0 || !t[i].jpeg || !t[i].len ||
            t[i].width < 1 || t[i].height < 1)
            return ad_err_set(err, AD_ERR_ARG,
                              "a thumbnail needs its media, its agency, JPEG bytes and a size");
    if (!n)
        return AD_OK;
    ad_code rc = n > 1 ? ad_store_begin_batch(st, err) : ad_store_begin(st, err);
    if (rc != AD_OK)
        return rc;
    add_ctx c = {t, ad_store_time(), 0};
    /* a media keeps the first thumbnail its agency made (the same bytes give the same one) */
    rc = ad_db_many(st->db,
                    "INSERT INTO media_thumb (media_id, agency_id, jpeg, width, height, frame_ms,"
                    " job_id, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (media_id, agency_id) DO NOTHING RETURNING media_id",
                    n, bind_thumb, count_added, &c, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_set(err, rc, "thumbnails refer to a missing media or agency");
    rc = ad_store_auditf(st, rc, "thumb.add", "agency", t[0].agency_id, err, "n=%zu new=%zu", n,
                         c.added);
    if (added && rc == AD_OK)
        *added = c.added;
    return ad_store_finish(st, rc, err);
}

typedef struct {
    const int64_t *ids;
    int64_t agency_id;
    ad_media_thumb_fn fn;
    void *ctx;
    size_t found;
    int stop;
} get_ctx;

static void bind_get(void *p, ad_stmt *s, size_t i)
{
    get_ctx *c = p;
    ad_bind_int(s, 1, c->ids[i]);
    ad_bind_int(s, 2, c->agency_id);
}

static int got_thumb(void *p, ad_stmt *s, size_t i)
{
    (void)i;
    get_ctx *c = p;
    if (c->stop)
        return 0;
    ad_media_thumb t;
    memset(&t, 0, sizeof t);
    t.media_id = ad_col_int(s, 0);
    t.agency_id = c->agency_id;
    t.jpeg = ad_col_blob(s, 1, &t.len);
    t.width = (int)ad_col_int(s, 2);
    t.height = (int)ad_col_int(s, 3);
    t.frame_ms = ad_col_null(s, 4) ? -1 : ad_col_int(s, 4);
    t.job_id = ad_col_str(s, 5);
    t.created = ad_col_int(s, 6);
    if (!t.jpeg || !t.len)
        return 0;
    c->found++;
    c->stop = c->fn(c->ctx, &t) != 0;
    return 0;
}

ad_code ad_store_thumb_get_batch(ad_store *st, int64_t agency_id, const int64_t *media_ids,
                                 size_t n, ad_media_thumb_fn fn, void *ctx, ad_err *err)
{
    if (agency_id <= 0)
        return ad_err_set(err, AD_ERR_ARG, "thumbnails are read for an agency");
    if (!n)
        return AD_OK;
    ad_code rc = st->read_sink ? AD_OK : ad_store_begin_batch(st, err);
    if (rc != AD_OK)
        return rc;
    get_ctx c = {media_ids, agency_id, fn, ctx, 0, 0};
    rc = ad_db_many(st->db,
                    "SELECT media_id, jpeg, width, height, frame_ms, job_id, created"
                    " FROM media_thumb WHERE media_id = ? AND agency_id = ?",
                    n, bind_get, got_thumb, &c, err);
    rc = ad_store_auditr(st, rc, "thumb.read", "agency", agency_id, err, "n=%zu found=%zu", n,
                         c.found);
    return ad_store_finish_read(st, rc, err);
}
