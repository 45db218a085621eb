/* fstore.c: local features in the store (media_feature, schema 10, docs/store.md): written in
 * batches (a media keeps the first features written for it: the same bytes give the same
 * ones), read one media at a time for the check, and all of them into an index. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "features/fstore.h"
#include "features/keyframes.h"
#include "store/store_int.h"
#include "util/idset.h"

typedef struct {
    const ad_feat_row *r;
    int64_t now;
} put_ctx;

static void bind_row(void *p, ad_stmt *s, size_t i)
{
    put_ctx *c = p;
    ad_bind_int(s, 1, c->r[i].media_id);
    ad_bind_int(s, 2, AD_FEAT_VERSION);
    ad_bind_int(s, 3, (int64_t)(c->r[i].len >= 8 ? (c->r[i].len - 8) / 10 : 0));
    ad_bind_blob(s, 4, c->r[i].data, c->r[i].len);
    ad_bind_int(s, 5, c->now);
}

ad_code ad_feat_store_put(ad_store *st, const ad_feat_row *rows, size_t n, ad_err *err)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].media_id <= 0 || rows[i].len < 8 || rows[i].len > AD_FEAT_BLOB_MAX)
            return ad_err_set(err, AD_ERR_ARG, "features need their media and 8 to %d bytes",
                              AD_FEAT_BLOB_MAX);
    if (!n)
        return AD_OK;
    ad_code rc = n > 1 ? ad_store_begin_batch(st, err) : ad_store_begin(st, err);
    if (rc != AD_OK)
        return rc;
    put_ctx c = {rows, ad_store_time()};
    rc = ad_db_many(st->db,
                    "INSERT INTO media_feature (media_id, version, points, data, created)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (media_id) DO NOTHING",
                    n, bind_row, NULL, &c, err);
    return ad_store_finish(st, rc, err);
}

ad_code ad_feat_store_get(ad_store *st, int64_t media_id, ad_features *out, ad_err *err)
{
    memset(out, 0, sizeof *out);
    if (media_id < 0) /* a video's keyframe (keyframes.h) */
        return ad_kf_store_get(st, media_id, out, err);
    ad_stmt *s = ad_db_stmt(st->db, "SELECT data FROM media_feature WHERE media_id = ?", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, media_id);
    int r = ad_step(s, err);
    ad_code rc;
    if (r < 0) {
        rc = (ad_code)-r;
    } else if (r == 0) {
        rc = ad_err_set(err, AD_ERR_NOT_FOUND, "media %lld has no features",
                        (long long)media_id);
    } else {
        size_t len = 0;
        const uint8_t *b = ad_col_blob(s, 0, &len);
        rc = ad_features_decode(b, len, out, err);
    }
    ad_db_done(s);
    return rc;
}

int ad_feat_store_has(ad_store *st, int64_t media_id)
{
    return ad_feat_store_any(st, "SELECT 1 FROM media_feature WHERE media_id = ?", media_id);
}

int ad_feat_store_any(ad_store *st, const char *sql, int64_t media_id)
{
    ad_stmt *s = ad_db_stmt(st->db, sql, NULL);
    if (!s)
        return 0;
    ad_bind_int(s, 1, media_id);
    int r = ad_step(s, NULL);
    ad_db_done(s);
    return r > 0;
}

typedef struct {
    ad_feat_index *ix;
    size_t n, bad;
    ad_code rc;
    ad_err *err;
} load_ctx;

static int load_row(void *p, ad_stmt *s)
{
    load_ctx *c = p;
    size_t len = 0;
    const uint8_t *b = ad_col_blob(s, 1, &len);
    ad_features f;
    if (ad_features_decode(b, len, &f, NULL)) { /* a damaged row is left out, and counted */
        c->bad++;
        return 0;
    }
    c->rc = ad_feat_index_add(c->ix, ad_col_int(s, 0), &f, c->err);
    ad_features_free(&f);
    if (c->rc)
        return 1;
    c->n++;
    return 0;
}

ad_code ad_feat_store_load(ad_store *st, ad_feat_index *ix, size_t *loaded, size_t *damaged,
                           ad_err *err)
{
    load_ctx c = {ix, 0, 0, AD_OK, err};
    ad_code rc = ad_store_rows(st, "SELECT f.media_id, f.data FROM media_feature f"
                               " JOIN media m ON m.id = f.media_id ORDER BY f.media_id", 0,
                               load_row, &c, err);
    if (rc == AD_OK)
        rc = c.rc;
    if (rc == AD_OK) /* videos' keyframes, under their keys (keyframes.h) */
        rc = ad_store_rows(st, ad_kf_load_sql, 0, load_row, &c, err);
    if (rc == AD_OK)
        rc = c.rc;
    if (rc == AD_OK)
        rc = ad_feat_index_seal(ix, err);
    if (loaded)
        *loaded = c.n;
    if (damaged)
        *damaged = c.bad;
    return rc;
}

/* ---- the index kept in a file between runs (docs/features.md "The index file") ---- */

typedef struct {
    const ad_idset *cached;
    size_t still;        /* cached media still in the store */
    int64_t *add;        /* media with features not in the file */
    size_t nadd, capadd;
    int oom;
} delta_ctx;

static int delta_row(void *p, ad_stmt *s)
{
    delta_ctx *c = p;
    int64_t id = ad_col_int(s, 0);
    if (ad_idset_has(c->cached, id)) {
        c->still++;
        return 0;
    }
    if (c->nadd == c->capadd) {
        size_t cap = c->capadd ? c->capadd * 2 : 256;
        int64_t *v = realloc(c->add, cap * sizeof *v);
        if (!v)
            return c->oom = 1;
        c->add = v;
        c->capadd = cap;
    }
    c->add[c->nadd++] = id;
    return 0;
}

/* The media of the store with features that ix lacks, added to it; -1 in *added when ix holds
 * a media that has no features in the store any more (then it must be built again). */
static ad_code update(ad_store *st, ad_feat_index *ix, size_t *added, size_t *damaged,
                      ad_err *err)
{
    ad_idset cached = {0};
    delta_ctx c = {&cached, 0, NULL, 0, 0, 0};
    ad_code rc = AD_OK;
    for (size_t i = 0; i < ad_feat_index_size(ix) && !rc; i++)
        if (ad_idset_add(&cached, ad_feat_index_id(ix, i)))
            rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = ad_store_rows(st, "SELECT f.media_id FROM media_feature f"
                           " JOIN media m ON m.id = f.media_id ORDER BY f.media_id", 0,
                           delta_row, &c, err);
    if (!rc) /* videos' keyframes (keyframes.h) */
        rc = ad_store_rows(st, ad_kf_keys_sql, 0, delta_row, &c, err);
    if (!rc && c.oom)
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (!rc && c.still != ad_feat_index_size(ix))
        *added = (size_t)-1;
    for (size_t i = 0; !rc && *added != (size_t)-1 && i < c.nadd; i++) {
        ad_features f;
        ad_err e;
        ad_code g = ad_feat_store_get(st, c.add[i], &f, &e);
        if (g == AD_ERR_CORRUPT || g == AD_ERR_VERSION || g == AD_ERR_TRUNCATED) {
            (*damaged)++;
            continue;
        }
        if (g) {
            rc = g;
            if (err)
                *err = e;
            break;
        }
        rc = ad_feat_index_add(ix, c.add[i], &f, err);
        ad_features_free(&f);
        (*added)++;
    }
    ad_idset_free(&cached);
    free(c.add);
    return rc;
}

ad_code ad_feat_store_load_file(ad_store *st, const char *path, ad_feat_index **out,
                                ad_feat_load *how, ad_err *err)
{
    *out = NULL;
    memset(how, 0, sizeof *how);
    char uuid[AD_UUID_LEN + 1];
    ad_code rc = ad_store_instance_uuid(st, uuid, err);
    if (rc)
        return rc;
    ad_feat_index *ix = NULL;
    ad_err why;
    if (path && ad_feat_index_open(path, uuid, &ix, &why) == AD_OK) {
        how->from_file = ad_feat_index_size(ix);
        rc = update(st, ix, &how->added, &how->damaged, err);
        if (rc || how->added == (size_t)-1) {
            ad_feat_index_free(ix);
            ix = NULL;
            how->from_file = how->added = how->damaged = 0;
            snprintf(how->why, sizeof how->why, "features were removed from the store");
        }
        if (rc)
            return rc;
    } else if (path) {
        snprintf(how->why, sizeof how->why, "%s", why.msg);
    }
    if (!ix) {
        how->rebuilt = 1;
        rc = ad_feat_index_new(&ix, err);
        if (!rc)
            rc = ad_feat_store_load(st, ix, &how->added, &how->damaged, err);
    }
    if (!rc)
        rc = ad_feat_index_seal(ix, err);
    if (rc) {
        ad_feat_index_free(ix);
        return rc;
    }
    if (path && (how->rebuilt || how->added)) { /* a file that cannot be written: built next time */
        ad_err e;
        how->saved = ad_feat_index_save(ix, path, uuid, &e) == AD_OK;
    }
    *out = ix;
    return AD_OK;
}

ad_code ad_feat_store_match(ad_store *st, const char *job_id, int64_t media_id,
                            int64_t known_media_id, const char *kind, const char *how,
                            int inliers, int matches, const char *region_known,
                            const char *region_query, ad_err *err)
{
    ad_stmt *s;
    ad_code rc = ad_store_op(st,
                             "INSERT INTO feature_match (job_id, media_id, known_media_id, kind,"
                             " how, inliers, matches, region_known, region_query, created)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             &s, err);
    if (rc)
        return rc;
    ad_bind_text(s, 1, job_id);
    ad_bind_int(s, 2, media_id);
    ad_bind_int(s, 3, known_media_id);
    ad_bind_text(s, 4, kind);
    ad_bind_text(s, 5, how);
    ad_bind_int(s, 6, inliers);
    ad_bind_int(s, 7, matches);
    ad_bind_text(s, 8, region_known);
    ad_bind_text(s, 9, region_query);
    ad_bind_int(s, 10, ad_store_time());
    rc = ad_db_run(s, err);
    return ad_store_finish(st, rc, err);
}
