/* similar.c: the known media that share content with a picture (ariadne similar, and triage
 * after digests and PDQ found nothing): the index's best candidates, each checked against its
 * stored features (verify.c); copies first, then the same scene, by consistent matches. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "features/fstore.h"
#include "features/keyframes.h"

#define MIN_CANDIDATES 32

static int by_strength(const void *a, const void *b)
{
    const ad_feat_found *x = a, *y = b;
    if (x->m.kind != y->m.kind)
        return x->m.kind == AD_FEAT_COPY ? -1 : y->m.kind == AD_FEAT_COPY ? 1 : 0;
    if (x->m.inliers != y->m.inliers)
        return x->m.inliers > y->m.inliers ? -1 : 1;
    return x->media_id < y->media_id ? -1 : x->media_id > y->media_id;
}

ad_code ad_feat_similar(ad_store *st, const ad_feat_index *ix, const ad_features *q,
                        int64_t exclude_id, size_t candidates, ad_feat_found *out, size_t max,
                        size_t *found, ad_err *err)
{
    return ad_feat_similar_dense(st, ix, q, NULL, NULL, exclude_id, candidates, out, max, found,
                                 err);
}

ad_code ad_feat_similar_dense(ad_store *st, const ad_feat_index *ix, const ad_features *q,
                              ad_feat_dense_fn dense, void *ctx, int64_t exclude_id,
                              size_t candidates, ad_feat_found *out, size_t max, size_t *found,
                              ad_err *err)
{
    ad_features d = {0, 0, 0, NULL};
    int dstate = 0; /* 0 not computed, 1 computed, -1 failed */
    *found = 0;
    if (candidates < MIN_CANDIDATES)
        candidates = MIN_CANDIDATES;
    ad_feat_hit *hits = malloc(candidates * sizeof *hits);
    ad_feat_found *all = malloc(candidates * sizeof *all);
    if (!hits || !all) {
        free(hits);
        free(all);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    size_t nh = ad_feat_index_search(ix, q, hits, candidates), n = 0;
    ad_code rc = AD_OK;
    for (size_t i = 0; i < nh && rc == AD_OK; i++) {
        if (ad_kf_media(hits[i].media_id) == exclude_id)
            continue;
        ad_features k;
        rc = ad_feat_store_get(st, hits[i].media_id, &k, err);
        if (rc == AD_ERR_NOT_FOUND) { /* indexed, then gone: not a candidate */
            rc = AD_OK;
            continue;
        }
        if (rc)
            break;
        ad_feat_match m;
        ad_features_verify(q, &k, &m);
        if (ad_features_dense_wanted(&m) && dense && dstate == 0)
            dstate = dense(ctx, &d) == 0 && d.n ? 1 : -1;
        if (ad_features_dense_wanted(&m) && dstate == 1)
            ad_features_verify_dense(q, &d, &k, &m);
        ad_features_free(&k);
        if (m.kind != AD_FEAT_NONE) /* a video's keyframe: the video, once (keyframes.h) */
            all[n++] = (ad_feat_found){ad_kf_media(hits[i].media_id), m,
                                       ad_kf_slot(hits[i].media_id)};
    }
    if (rc == AD_OK) {
        qsort(all, n, sizeof *all, by_strength);
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
            size_t j = 0;
            while (j < o && all[j].media_id != all[i].media_id)
                j++;
            if (j == o)
                all[o++] = all[i];
        }
        n = o;
        *found = n < max ? n : max;
        memcpy(out, all, *found * sizeof *out);
    }
    ad_features_free(&d);
    free(hits);
    free(all);
    return rc;
}

void ad_feat_how(const ad_feat_match *m, char *buf, size_t cap)
{
    const double qw = m->query_size[0], qh = m->query_size[1], kw = m->known_size[0],
                 kh = m->known_size[1];
    buf[0] = 0;
    if (m->kind != AD_FEAT_COPY) {
        snprintf(buf, cap, "%s", m->kind == AD_FEAT_SCENE ? "same-scene" : "");
        return;
    }
    double r = fmod(fabs(m->rotation), 90.0);
    double tilt = r > 45 ? 90 - r : r;
    /* the share of the known picture that the query's frame covers */
    double known_cover = m->scale * m->scale * qw * qh * m->coverage / (kw * kh > 0 ? kw * kh : 1);
    size_t o = 0;
#define ADD(word)                                                                            \
    o += (size_t)snprintf(buf + o, o < cap ? cap - o : 0, "%s%s", o ? "+" : "", word);       \
    if (o >= cap)                                                                            \
    o = cap - 1
    if (known_cover < 0.97) {
        ADD("crop");
    }
    if (tilt >= 1.0) {
        ADD("tilt");
    }
    if (m->coverage < 0.97) {
        ADD("border");
    }
    if (!o) {
        ADD("re-share");
    }
#undef ADD
}
