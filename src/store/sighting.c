/* sighting.c: every place a media was found (chain of custody): never merged or collapsed. */
#include <stdio.h>

#include "store_int.h"

typedef struct {
    const ad_sighting *x;
    int64_t agency, now, last;
    int64_t *ids; /* optional: the id of every row */
} add_ctx;

static void bind_sighting(void *p, ad_stmt *s, size_t i)
{
    add_ctx *c = p;
    const ad_sighting *x = &c->x[i];
    ad_bind_int(s, 1, x->media_id);
    ad_bind_id_opt(s, 2, x->agency_id ? x->agency_id : c->agency);
    ad_bind_id_opt(s, 3, x->case_id);
    ad_bind_text_opt(s, 4, x->exhibit);
    ad_bind_text_opt(s, 5, x->path);
    ad_bind_id_opt(s, 6, x->mtime);
    ad_bind_id_opt(s, 7, x->ctime);
    ad_bind_id_opt(s, 8, x->atime);
    ad_bind_id_opt(s, 9, x->btime);
    ad_bind_text_opt(s, 10, x->parent_path);
    ad_bind_text_opt(s, 11, x->inner_path);
    if (x->size >= 0)
        ad_bind_int(s, 12, x->size);
    else
        ad_bind_null(s, 12);
    ad_bind_int(s, 13, x->ingested ? x->ingested : c->now);
    ad_bind_id_opt(s, 14, x->user_id);
    ad_bind_text_opt(s, 15, x->job_id);
}

static int on_id(void *p, ad_stmt *s, size_t i)
{
    add_ctx *c = p;
    c->last = ad_col_int(s, 0);
    if (c->ids)
        c->ids[i] = c->last;
    return 0;
}

static ad_code add_batch(ad_store *st, const ad_sighting *x, size_t n, int64_t *last,
                         int64_t *ids, ad_err *err)
{
    ad_code rc = n > 1 ? ad_store_begin_batch(st, err) : ad_store_begin(st, err);
    if (rc != AD_OK)
        return rc;
    add_ctx c = {x, st->agency_id, ad_store_time(), 0, ids};
    rc = ad_db_many(st->db,
                    "INSERT INTO sighting (media_id, agency_id, case_id, exhibit, path, mtime,"
                    " ctime, atime, btime, parent_path, inner_path, size, ingested, user_id,"
                    " job_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    n, bind_sighting, on_id, &c, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_set(err, rc, "sighting refers to a missing media, agency, case or user");
    if (n)
        rc = ad_store_auditf(st, rc, "sighting.add", "media", x[0].media_id, err,
                             "n=%zu last=%lld path=%s", n, (long long)c.last,
                             x[0].path ? x[0].path : "");
    if (last)
        *last = c.last;
    return ad_store_finish(st, rc, err);
}

ad_code ad_store_sighting_add_batch(ad_store *st, const ad_sighting *x, size_t n, ad_err *err)
{
    return add_batch(st, x, n, NULL, NULL, err);
}

ad_code ad_store_sighting_add_batch_ids(ad_store *st, const ad_sighting *x, size_t n, int64_t *ids,
                                        ad_err *err)
{
    return add_batch(st, x, n, NULL, ids, err);
}

ad_code ad_store_sighting_add(ad_store *st, const ad_sighting *x, int64_t *id, ad_err *err)
{
    return add_batch(st, x, 1, id, NULL, err);
}

static int sighting_row(void *p, ad_stmt *s)
{
    void **c = p;
    ad_sighting x = {
        .id = ad_col_int(s, 0),
        .media_id = ad_col_int(s, 1),
        .agency_id = ad_col_int(s, 2),
        .case_id = ad_col_int(s, 3),
        .exhibit = ad_col_text(s, 4),
        .path = ad_col_text(s, 5),
        .mtime = ad_col_int(s, 6),
        .ctime = ad_col_int(s, 7),
        .atime = ad_col_int(s, 8),
        .btime = ad_col_int(s, 9),
        .parent_path = ad_col_text(s, 10),
        .inner_path = ad_col_text(s, 11),
        .size = ad_col_null(s, 12) ? -1 : ad_col_int(s, 12),
        .ingested = ad_col_int(s, 13),
        .user_id = ad_col_int(s, 14),
        .job_id = ad_col_text(s, 15),
    };
    return ((ad_sighting_fn)c[0])(c[1], &x);
}

ad_code ad_store_sighting_list(ad_store *st, int64_t media_id, ad_sighting_fn fn, void *ctx,
                               ad_err *err)
{
    void *c[2] = {(void *)fn, ctx};
    return ad_store_rows(st,
                         "SELECT id, media_id, agency_id, case_id, exhibit, path, mtime, ctime,"
                         " atime, btime, parent_path, inner_path, size, ingested, user_id, job_id"
                         " FROM sighting WHERE media_id = ? ORDER BY id",
                         media_id, sighting_row, c, err);
}
