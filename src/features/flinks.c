/* flinks.c: the possible links of a file, for the case report (issue 13): the feature matches
 * of kind 'scene' that its ingest job recorded (feature_match), each with the known picture's
 * SHA-256 and first series. */
#include <stdio.h>
#include <stdlib.h>

#include "ariadne/util.h"
#include "features/fstore.h"
#include "store/store_int.h"

typedef struct {
    ad_report_link *v;
    size_t n, cap;
    int oom;
} links;

static int on_row(void *p, ad_stmt *s)
{
    links *l = p;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        ad_report_link *v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            l->oom = 1;
            return 1;
        }
        l->v = v;
        l->cap = cap;
    }
    ad_report_link *k = &l->v[l->n++];
    memset(k, 0, sizeof *k);
    k->media_id = ad_col_int(s, 0);
    k->inliers = (int)ad_col_int(s, 1);
    k->matches = (int)ad_col_int(s, 2);
    ad_col_copy(s, 3, k->region_known, sizeof k->region_known);
    ad_col_copy(s, 4, k->region_query, sizeof k->region_query);
    size_t n = 0;
    const uint8_t *sha = ad_col_null(s, 5) ? NULL : ad_col_blob(s, 5, &n);
    if (sha && n == 32)
        ad_hex_encode(sha, 32, k->sha256);
    return 0;
}

static int first_series(void *ctx, const ad_series *s)
{
    ad_report_link *k = ctx;
    if (!k->series_id) {
        k->series_id = s->id;
        snprintf(k->series_name, sizeof k->series_name, "%s", s->name ? s->name : "");
    }
    return 1;
}

ad_code ad_feat_report_links(ad_store *st, const char *job_id, int64_t media_id,
                             ad_report_link **out, size_t *n, ad_err *err)
{
    *out = NULL;
    *n = 0;
    links l = {0};
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT f.known_media_id, f.inliers, f.matches, f.region_known,"
                            " f.region_query, m.sha256 FROM feature_match f"
                            " JOIN media m ON m.id = f.known_media_id"
                            " WHERE f.job_id = ? AND f.media_id = ? AND f.kind = 'scene'"
                            " ORDER BY f.inliers DESC, f.known_media_id",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, job_id);
    ad_bind_int(s, 2, media_id);
    int r;
    while ((r = ad_step(s, err)) > 0)
        if (on_row(&l, s))
            break;
    ad_db_done(s);
    if (r < 0 || l.oom) {
        free(l.v);
        return r < 0 ? (ad_code)-r : ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < l.n; i++) {
        ad_code rc = ad_store_media_series(st, l.v[i].media_id, first_series, &l.v[i], err);
        if (rc) {
            free(l.v);
            return rc;
        }
    }
    *out = l.v;
    *n = l.n;
    return AD_OK;
}
