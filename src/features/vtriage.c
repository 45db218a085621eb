/* vtriage.c: videos' keyframes in triage (docs/features.md "Videos"): picked during the vPDQ
 * decode, searched when digests, PDQ and vPDQ found nothing (a cropped, tilted or re-timed copy
 * of a known video, or a video of a known picture, is classed as the known media is, with the
 * evidence recorded; what only shares a scene is a possible link), stored with new videos. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "features/keyframes.h"
#include "features/triage.h"
#include "features/vtriage.h"
#include "ingest/pipeline_internal.h"

#define LINKS 4 /* findings kept per video */

struct ad_kf_task {
    ad_keyframes kf;
    ad_kf_found found[LINKS];
    size_t nfound;
};

void ad_kf_ingest_opts(const struct run *r, struct task *t, ad_vpdq_opts *vo)
{
    ad_kf_ingest_free_task(t);
    if (!r->o->features || !(t->kf = calloc(1, sizeof *t->kf)))
        return;
    ad_keyframes_hook(&t->kf->kf, vo);
}

void ad_kf_ingest_done(struct task *t)
{
    if (!t->kf)
        return;
    if (!t->has_video || !t->kf->kf.n) {
        ad_kf_ingest_free_task(t);
        return;
    }
    ad_keyframes_finish(&t->kf->kf);
}

void ad_kf_ingest_free_task(struct task *t)
{
    if (!t->kf)
        return;
    ad_keyframes_free(&t->kf->kf);
    free(t->kf);
    t->kf = NULL;
}

ad_code ad_kf_ingest_triage(struct run *r, ad_err *err)
{
    struct batch *b = r->write;
    ad_code rc = AD_OK;
    for (size_t i = 0; i < b->n && rc == AD_OK; i++) {
        struct task *t = &b->t[i];
        const ad_feat_index *ix;
        if ((rc = ad_feat_ingest_searched(r, t, t->kf != NULL, &ix, err)) || !ix)
            continue;
        ad_kf_found found[LINKS * 2];
        size_t n = 0, keep = 0;
        rc = ad_kf_similar(r->st, ix, &t->kf->kf, 0, 0, found, LINKS * 2, &n, err);
        for (size_t k = 0; k < n && rc == AD_OK && keep < LINKS; k++) {
            int kept;
            rc = ad_feat_ingest_finding(r, t, found[k].best.media_id,
                                        ad_kf_kind(&found[k]) == AD_FEAT_COPY, &kept, err);
            if (kept)
                t->kf->found[keep++] = found[k];
        }
        t->kf->nfound = keep;
    }
    return rc;
}

ad_code ad_kf_ingest_write(struct run *r, const int64_t *mids, const size_t *of, size_t nm,
                           ad_err *err)
{
    if (!r->o->features)
        return AD_OK;
    ad_code rc = AD_OK;
    for (size_t k = 0; k < nm && rc == AD_OK; k++) {
        struct task *t = &r->write->t[of[k]];
        if (!t->kf || t->code)
            continue;
        for (size_t j = 0; j < t->kf->nfound && rc == AD_OK; j++) {
            const ad_kf_found *f = &t->kf->found[j];
            ad_feat_kind kind = ad_kf_kind(f);
            ad_feat_match m = f->best.m;
            m.kind = kind;
            char how[64], text[128], rk[64], rq[64];
            ad_feat_how(&m, how, sizeof how);
            /* the evidence: how many of the video's keyframes found the known media */
            snprintf(text, sizeof text, "%s, %d/%d keyframes", how,
                     kind == AD_FEAT_COPY ? f->copies : f->hits, f->of);
            ad_feat_region_text(m.box_known, rk, sizeof rk);
            ad_feat_region_text(m.box_query, rq, sizeof rq);
            rc = ad_feat_store_match(r->st, r->job, mids[k], f->best.media_id,
                                     ad_feat_kind_name(kind), text, m.inliers, m.matches, rk, rq,
                                     err);
        }
        if (rc == AD_OK && !ad_kf_store_has(r->st, mids[k]))
            rc = ad_kf_store_put(r->st, mids[k], &t->kf->kf, err);
    }
    return rc;
}
