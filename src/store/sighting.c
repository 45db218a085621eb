/* sighting.c: every place a media was found (chain of custody): never merged or collapsed. */
#include <stdio.h>

#include "store_int.h"

static ad_code insert_one(ad_store *st, const ad_sighting *x, int64_t *id, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "INSERT INTO sighting (media_id, agency_id, case_id, exhibit, path,"
                            " mtime, ctime, atime, btime, parent_path, inner_path, size, ingested,"
                            " user_id, job_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                            " RETURNING id",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, x->media_id);
    ad_bind_id_opt(s, 2, x->agency_id ? x->agency_id : st->agency_id);
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
    ad_bind_int(s, 13, x->ingested ? x->ingested : ad_store_time());
    ad_bind_id_opt(s, 14, x->user_id);
    ad_bind_text_opt(s, 15, x->job_id);
    ad_code rc = ad_db_int(s, id, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_set(err, rc, "sighting refers to a missing media, agency, case or user");
    return rc;
}

static ad_code add_batch(ad_store *st, const ad_sighting *x, size_t n, int64_t *last, ad_err *err)
{
    ad_code rc = n > 1 ? ad_store_begin_batch(st, err) : ad_store_begin(st, err);
    if (rc != AD_OK)
        return rc;
    int64_t id = 0;
    for (size_t i = 0; i < n && rc == AD_OK; i++)
        rc = insert_one(st, &x[i], &id, err);
    if (n)
        rc = ad_store_auditf(st, rc, "sighting.add", "media", x[0].media_id, err,
                             "n=%zu last=%lld path=%s", n, (long long)id,
                             x[0].path ? x[0].path : "");
    if (last)
        *last = id;
    return ad_store_finish(st, rc, err);
}

ad_code ad_store_sighting_add_batch(ad_store *st, const ad_sighting *x, size_t n, ad_err *err)
{
    return add_batch(st, x, n, NULL, err);
}

ad_code ad_store_sighting_add(ad_store *st, const ad_sighting *x, int64_t *id, ad_err *err)
{
    return add_batch(st, x, 1, id, err);
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
