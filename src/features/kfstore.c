/* kfstore.c: a video's keyframes in the store (media_keyframe, schema 21, docs/store.md) and in
 * the features index beside the pictures (under negative keys, ad_kf_key), and the search of a
 * video by its keyframes (each searched as a picture is, ad_feat_similar; findings gathered per
 * known media). */
#include <stdlib.h>
#include <string.h>

#include "features/fstore.h"
#include "features/keyframes.h"
#include "store/store_int.h"

typedef struct {
    int64_t media_id;
    const ad_keyframes *kf;
    uint8_t (*blob)[AD_FEAT_BLOB_MAX];
    size_t *len;
    int64_t now;
} put_ctx;

static void bind_row(void *p, ad_stmt *s, size_t i)
{
    put_ctx *c = p;
    const ad_keyframe *k = &c->kf->k[i];
    ad_bind_int(s, 1, c->media_id);
    ad_bind_int(s, 2, (int64_t)i);
    ad_bind_int(s, 3, k->frame);
    ad_bind_int(s, 4, (int64_t)(k->timestamp * 1000 + 0.5));
    ad_bind_int(s, 5, AD_FEAT_VERSION);
    ad_bind_int(s, 6, (int64_t)(c->len[i] >= 8 ? (c->len[i] - 8) / 10 : 0));
    ad_bind_blob(s, 7, c->blob[i], c->len[i]);
    ad_bind_int(s, 8, c->now);
}

ad_code ad_kf_store_put(ad_store *st, int64_t media_id, const ad_keyframes *kf, ad_err *err)
{
    if (media_id <= 0)
        return ad_err_set(err, AD_ERR_ARG, "keyframes need their media");
    size_t n = kf->n < AD_KF_MAX ? kf->n : AD_KF_MAX;
    if (!n)
        return AD_OK;
    uint8_t(*blob)[AD_FEAT_BLOB_MAX] = malloc(n * sizeof *blob);
    size_t *len = calloc(n, sizeof *len);
    ad_code rc = blob && len ? AD_OK : ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n && rc == AD_OK; i++) {
        ad_features keep = kf->k[i].f;
        if (!(keep.p = malloc((keep.n ? keep.n : 1) * sizeof *keep.p))) {
            rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
            break;
        }
        memcpy(keep.p, kf->k[i].f.p, keep.n * sizeof *keep.p);
        ad_features_keep(&keep, AD_FEAT_STORED);
        len[i] = ad_features_encode(&keep, blob[i], AD_FEAT_BLOB_MAX);
        ad_features_free(&keep);
        if (len[i] < 8)
            rc = ad_err_set(err, AD_ERR_INTERNAL, "a keyframe's features could not be encoded");
    }
    if (rc == AD_OK)
        rc = ad_store_begin_batch(st, err);
    if (rc == AD_OK) {
        put_ctx c = {media_id, kf, blob, len, ad_store_time()};
        rc = ad_db_many(st->db,
                        "INSERT INTO media_keyframe (media_id, k, frame, timestamp_ms, version,"
                        " points, data, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                        " ON CONFLICT (media_id, k) DO NOTHING",
                        n, bind_row, NULL, &c, err);
        rc = ad_store_finish(st, rc, err);
    }
    free(blob);
    free(len);
    return rc;
}

/* The row of a key, stepped (*r: ad_step's answer): sql selects its columns (a literal: the
 * statements are cached by their text's address). */
static ad_stmt *row_of(ad_store *st, int64_t key, const char *sql, ad_err *err, int *r)
{
    ad_stmt *s = ad_db_stmt(st->db, sql, err);
    if (!s) {
        *r = -(int)AD_ECODE(err);
        return NULL;
    }
    ad_bind_int(s, 1, ad_kf_media(key));
    ad_bind_int(s, 2, ad_kf_slot(key));
    *r = ad_step(s, err);
    return s;
}

static ad_code missing(int r, int64_t key, ad_err *err)
{
    if (r < 0)
        return (ad_code)-r;
    return ad_err_set(err, AD_ERR_NOT_FOUND, "media %lld has no keyframe %d",
                      (long long)ad_kf_media(key), ad_kf_slot(key));
}

ad_code ad_kf_store_get(ad_store *st, int64_t key, ad_features *out, ad_err *err)
{
    memset(out, 0, sizeof *out);
    if (key >= 0)
        return ad_err_set(err, AD_ERR_ARG, "not a keyframe's key");
    int r;
    ad_stmt *s =
        row_of(st, key, "SELECT data FROM media_keyframe WHERE media_id = ? AND k = ?", err, &r);
    ad_code rc;
    if (r <= 0) {
        rc = missing(r, key, err);
    } else {
        size_t len = 0;
        const uint8_t *b = ad_col_blob(s, 0, &len);
        rc = ad_features_decode(b, len, out, err);
    }
    if (s)
        ad_db_done(s);
    return rc;
}

ad_code ad_kf_store_frame(ad_store *st, int64_t key, int64_t *frame, int64_t *ms, ad_err *err)
{
    *frame = *ms = 0;
    int r;
    ad_stmt *s = row_of(st, key,
                        "SELECT frame, timestamp_ms FROM media_keyframe"
                        " WHERE media_id = ? AND k = ?",
                        err, &r);
    ad_code rc = AD_OK;
    if (r <= 0) {
        rc = missing(r, key, err);
    } else {
        *frame = ad_col_int(s, 0);
        *ms = ad_col_int(s, 1);
    }
    if (s)
        ad_db_done(s);
    return rc;
}

typedef struct {
    ad_keyframes *kf;
    ad_code rc;
    ad_err *err;
} read_ctx;

static int read_row(void *p, ad_stmt *s)
{
    read_ctx *c = p;
    if (c->kf->n >= AD_KF_MAX)
        return 1;
    ad_keyframe *k = &c->kf->k[c->kf->n];
    memset(k, 0, sizeof *k);
    size_t len = 0;
    const uint8_t *b = ad_col_blob(s, 2, &len);
    if ((c->rc = ad_features_decode(b, len, &k->f, c->err)))
        return 1;
    k->frame = ad_col_int(s, 0);
    k->timestamp = (double)ad_col_int(s, 1) / 1000.0;
    c->kf->n++;
    return 0;
}

ad_code ad_kf_store_read(ad_store *st, int64_t media_id, ad_keyframes *out, ad_err *err)
{
    memset(out, 0, sizeof *out);
    if (!(out->k = calloc(AD_KF_CAND, sizeof *out->k)))
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    read_ctx c = {out, AD_OK, err};
    ad_code rc = ad_store_rows(st,
                               "SELECT frame, timestamp_ms, data FROM media_keyframe"
                               " WHERE media_id = ? ORDER BY k",
                               media_id, read_row, &c, err);
    if (rc == AD_OK)
        rc = c.rc;
    if (rc == AD_OK && !out->n)
        rc = ad_err_set(err, AD_ERR_NOT_FOUND, "media %lld has no keyframes", (long long)media_id);
    if (rc)
        ad_keyframes_free(out);
    return rc;
}

int ad_kf_store_has(ad_store *st, int64_t media_id)
{
    return ad_feat_store_any(st, "SELECT 1 FROM media_keyframe WHERE media_id = ?", media_id);
}

/* the keys as SQL computes them: the same as ad_kf_key */
#define KEY_SQL "-(k.media_id * 16 + k.k) - 1"
_Static_assert(AD_KF_SLOTS == 16, "KEY_SQL's slots");

const char ad_kf_keys_sql[] = "SELECT " KEY_SQL " FROM media_keyframe k"
                              " JOIN media m ON m.id = k.media_id";

const char ad_kf_load_sql[] = "SELECT " KEY_SQL ", k.data FROM media_keyframe k"
                              " JOIN media m ON m.id = k.media_id ORDER BY k.media_id, k.k";

/* ---- a video searched by its keyframes ---- */

/* One keyframe's copy alone decides when its evidence is strong: 30 consistent matches, over
 * twice what a picture's copy needs (the unrelated photos of the test corpus share at most 4) */
#define STRONG 30

ad_feat_kind ad_kf_kind(const ad_kf_found *f)
{
    if (f->copies >= 2 || (f->copies == 1 && (f->of < 2 || f->best.m.inliers >= STRONG)))
        return AD_FEAT_COPY;
    return AD_FEAT_SCENE;
}

static int by_finding(const void *a, const void *b)
{
    const ad_kf_found *x = a, *y = b;
    ad_feat_kind kx = ad_kf_kind(x), ky = ad_kf_kind(y);
    if (kx != ky)
        return kx == AD_FEAT_COPY ? -1 : 1;
    if (x->copies != y->copies)
        return x->copies > y->copies ? -1 : 1;
    if (x->hits != y->hits)
        return x->hits > y->hits ? -1 : 1;
    if (x->best.m.inliers != y->best.m.inliers)
        return x->best.m.inliers > y->best.m.inliers ? -1 : 1;
    return x->best.media_id < y->best.media_id ? -1 : x->best.media_id > y->best.media_id;
}

#define PER_KEYFRAME 8 /* findings kept per query keyframe */

ad_code ad_kf_similar(ad_store *st, const ad_feat_index *ix, const ad_keyframes *q,
                      int64_t exclude_id, size_t candidates, ad_kf_found *out, size_t max,
                      size_t *found, ad_err *err)
{
    *found = 0;
    size_t cap = q->n * PER_KEYFRAME, n = 0;
    ad_kf_found *all = calloc(cap ? cap : 1, sizeof *all);
    if (!all)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    ad_code rc = AD_OK;
    for (size_t i = 0; i < q->n && rc == AD_OK; i++) {
        ad_feat_found f[PER_KEYFRAME];
        size_t nf = 0;
        rc = ad_feat_similar(st, ix, &q->k[i].f, exclude_id, candidates, f, PER_KEYFRAME, &nf, err);
        for (size_t j = 0; j < nf && rc == AD_OK; j++) {
            size_t at = 0;
            while (at < n && all[at].best.media_id != f[j].media_id)
                at++;
            if (at == n)
                all[n++] =
                    (ad_kf_found){.best = f[j], .of = (int)q->n, .query_time = q->k[i].timestamp};
            ad_kf_found *a = &all[at];
            a->hits++;
            a->copies += f[j].m.kind == AD_FEAT_COPY;
            int better = f[j].m.kind != a->best.m.kind ? f[j].m.kind == AD_FEAT_COPY
                                                       : f[j].m.inliers > a->best.m.inliers;
            if (better) {
                a->best = f[j];
                a->query_time = q->k[i].timestamp;
            }
        }
    }
    if (rc == AD_OK) {
        qsort(all, n, sizeof *all, by_finding);
        *found = n < max ? n : max;
        memcpy(out, all, *found * sizeof *out);
    }
    free(all);
    return rc;
}
