/* triage.c: the second signal in triage (docs/features.md "In triage"): features of the images
 * ingest decodes; after digests and PDQ found nothing, a part-copy of a known picture (crop,
 * tilt, re-share, border: most of the file maps into the known picture by a near-similarity)
 * is classed as that picture is, with the match and its evidence recorded; a picture that only
 * shares a scene is recorded as a possible link, never classed known. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "features/fstore.h"
#include "features/pdqnear.h"
#include "features/triage.h"
#include "ingest/pipeline_internal.h"

#define LINKS 4 /* possible links kept per file */

struct ad_feat_task {
    ad_features f;
    ad_feat_found found[LINKS];
    size_t nfound;
    int near_bits; /* found[0] is a copy by the PDQ-guided check at this distance; -1: none */
};

struct ad_feat_run {
    ad_feat_index *ix;
    int loaded;
};

void ad_feat_ingest_extract(const struct run *r, struct task *t, const uint8_t *grey, int width,
                            int height)
{
    ad_feat_ingest_free_task(t);
    if (!r->o->features || !grey || !ad_media_is_image(t->fh.type) || !t->fh.has_pdq)
        return;
    struct ad_feat_task *ft = calloc(1, sizeof *ft);
    if (!ft)
        return;
    ft->near_bits = -1;
    if (ad_features_grey(grey, width, height, (size_t)width, AD_FEAT_DETECT, &ft->f, NULL) ||
        !ft->f.n) {
        ad_features_free(&ft->f);
        free(ft);
        return;
    }
    t->feat = ft;
}

void ad_feat_ingest_free_task(struct task *t)
{
    if (!t->feat)
        return;
    ad_features_free(&t->feat->f);
    free(t->feat);
    t->feat = NULL;
}

void ad_feat_ingest_end(struct run *r)
{
    if (!r->feat)
        return;
    ad_feat_index_free(r->feat->ix);
    free(r->feat);
    r->feat = NULL;
}

static ad_code load(struct run *r, ad_err *err)
{
    if (r->feat)
        return AD_OK;
    struct ad_feat_run *fr = calloc(1, sizeof *fr);
    if (!fr)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    ad_code rc = ad_feat_index_new(&fr->ix, err);
    if (rc == AD_OK)
        rc = ad_feat_store_load(r->st, fr->ix, NULL, NULL, err);
    if (rc) {
        ad_feat_index_free(fr->ix);
        free(fr);
        return rc;
    }
    r->feat = fr;
    return AD_OK;
}

ad_code ad_feat_ingest_known(struct run *r, struct task *t, int64_t known_id, ad_err *err)
{
    ad_classification c;
    ad_code rc = ad_lookup_classify(r->st, r->lcache, known_id, &c, err);
    if (rc)
        return rc;
    t->cls = ad_report_class_of(c.cls == AD_CLASS_NEW ? AD_CLASS_KNOWN_UNSERIESED : c.cls);
    t->match_id = known_id;
    snprintf(t->match_kind, sizeof t->match_kind, "feature");
    t->match_dist = 0;
    t->match_var = 0;
    return AD_OK;
}

ad_code ad_feat_ingest_searched(struct run *r, const struct task *t, int has,
                                const ad_feat_index **ix, ad_err *err)
{
    *ix = NULL;
    if (!r->o->features || !has || t->cls != AD_RC_NEW || t->match_id)
        return AD_OK;
    ad_code rc = load(r, err);
    if (rc == AD_OK && ad_feat_index_size(r->feat->ix))
        *ix = r->feat->ix;
    return rc;
}

ad_code ad_feat_ingest_finding(struct run *r, struct task *t, int64_t media_id, int copy,
                               int *keep, ad_err *err)
{
    *keep = 0;
    if (ad_idset_has(&r->job_new, media_id))
        return AD_OK; /* this job's own media are not known */
    if (copy && t->match_id)
        return AD_OK; /* a second copy: the first decided */
    ad_code rc = copy ? ad_feat_ingest_known(r, t, media_id, err) : AD_OK;
    *keep = rc == AD_OK;
    return rc;
}

static int in_job(void *ctx, int64_t media_id)
{
    return ad_idset_has(ctx, media_id);
}

/* The file's bytes again (an archive member's are still held; a file on disk is read again and
 * must still be what was hashed: the same SHA-256), decoded into NEAR_DETECT points. 0 ok. */
static int near_features(const struct task *t, ad_features *f)
{
    const uint8_t *bytes = t->data;
    size_t len = t->len;
    uint8_t *own = NULL;
    if (!bytes && t->fs_path) {
        FILE *fp = fopen(t->fs_path, "rb");
        own = fp && t->fh.size ? malloc(t->fh.size + 1) : NULL;
        len = own ? fread(own, 1, t->fh.size + 1, fp) : 0;
        if (fp)
            fclose(fp);
        ad_digests d;
        if (!own || len != t->fh.size || ad_digest_buffer(own, len, &d, NULL) ||
            memcmp(d.sha256, t->fh.digests.sha256, sizeof d.sha256)) {
            free(own);
            return -1;
        }
        bytes = own;
    }
    int rc = !bytes || ad_features_image(t->fh.type, bytes, len, NULL, NEAR_DETECT, f, NULL);
    free(own);
    return rc ? -1 : 0;
}

/* The file's denser points for the same scene (ad_feat_similar_dense): the PDQ-guided check's
 * 1,000, read as it reads them. */
_Static_assert(NEAR_DETECT == AD_FEAT_DENSE, "the denser points are the PDQ-guided check's");
static int dense_points(void *ctx, ad_features *f)
{
    return near_features(ctx, f);
}

/* The PDQ-guided check (pdqnear.c): known pictures within the wider PDQ radius verified by the
 * file's features at the placement that implies; a copy takes the known picture's class, its
 * evidence first among the file's findings. */
static ad_code near(struct run *r, struct task *t, ad_err *err)
{
    int64_t ids[AD_FEAT_NEAR_CANDIDATES];
    int dist[AD_FEAT_NEAR_CANDIDATES];
    size_t n = ad_feat_near_candidates(r->lx, &t->fh, r->o->min_quality, in_job, &r->job_new,
                                       ids, dist);
    ad_features f;
    if (!n || near_features(t, &f))
        return AD_OK;
    double box[4];
    int w = t->fh.image.out_width ? t->fh.image.out_width : t->fh.image.width;
    int h = t->fh.image.out_height ? t->fh.image.out_height : t->fh.image.height;
    const double *content = t->fh.has_more && ad_feat_near_content(&t->fh.more, w, h, box) ? box
                                                                                         : NULL;
    ad_feat_found found;
    int bits;
    ad_code rc = ad_feat_near_check(r->st, ids, dist, n, &f, content, &found, &bits, err);
    ad_features_free(&f);
    if (rc || bits < 0)
        return rc;
    if ((rc = ad_feat_ingest_known(r, t, found.media_id, err)))
        return rc;
    struct ad_feat_task *ft = t->feat;
    size_t keep = ft->nfound < LINKS ? ft->nfound : LINKS - 1;
    memmove(&ft->found[1], &ft->found[0], keep * sizeof ft->found[0]);
    ft->found[0] = found;
    ft->nfound = keep + 1;
    ft->near_bits = bits;
    return AD_OK;
}

ad_code ad_feat_ingest_triage(struct run *r, ad_err *err)
{
    struct batch *b = r->write;
    ad_code rc = AD_OK;
    for (size_t i = 0; i < b->n && rc == AD_OK; i++) {
        struct task *t = &b->t[i];
        const ad_feat_index *ix;
        if ((rc = ad_feat_ingest_searched(r, t, t->feat != NULL, &ix, err)) || !ix)
            continue;
        ad_feat_found found[LINKS];
        size_t n = 0, keep = 0;
        rc = ad_feat_similar_dense(r->st, ix, &t->feat->f, dense_points, t, 0, 0, found, LINKS,
                                   &n, err);
        for (size_t k = 0; k < n && rc == AD_OK; k++) {
            int kept;
            rc = ad_feat_ingest_finding(r, t, found[k].media_id,
                                        found[k].m.kind == AD_FEAT_COPY, &kept, err);
            if (kept)
                t->feat->found[keep++] = found[k];
        }
        t->feat->nfound = keep;
        if (rc == AD_OK && !t->match_id)
            rc = near(r, t, err);
    }
    return rc;
}

void ad_feat_region_text(const double b[4], char *out, size_t cap)
{
    snprintf(out, cap, "%.4f,%.4f,%.4f,%.4f", b[0], b[1], b[2], b[3]);
}

ad_code ad_feat_ingest_write(struct run *r, const int64_t *mids, const size_t *of, size_t nm,
                             ad_err *err)
{
    if (!r->o->features || !nm)
        return AD_OK;
    ad_feat_row *rows = calloc(nm, sizeof *rows);
    uint8_t *blobs = malloc(nm * AD_FEAT_BLOB_MAX);
    if (!rows || !blobs) {
        free(rows);
        free(blobs);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    size_t n = 0;
    ad_code rc = AD_OK;
    for (size_t k = 0; k < nm && rc == AD_OK; k++) {
        struct task *t = &r->write->t[of[k]];
        if (!t->feat || t->code)
            continue;
        for (size_t j = 0; j < t->feat->nfound && rc == AD_OK; j++) {
            const ad_feat_found *f = &t->feat->found[j];
            char how[64], rk[64], rq[64];
            ad_feat_how(&f->m, how, sizeof how);
            if (j == 0 && t->feat->near_bits >= 0) /* the PDQ-guided check's copy */
                snprintf(how + strlen(how), sizeof how - strlen(how), ", PDQ-guided %d bits",
                         t->feat->near_bits);
            ad_feat_region_text(f->m.box_known, rk, sizeof rk);
            ad_feat_region_text(f->m.box_query, rq, sizeof rq);
            rc = ad_feat_store_match(r->st, r->job, mids[k], f->media_id,
                                     ad_feat_kind_name(f->m.kind), how, f->m.inliers,
                                     f->m.matches, rk, rq, err);
        }
        ad_features keep = t->feat->f;
        keep.p = malloc(keep.n * sizeof *keep.p);
        if (!keep.p) {
            rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
            break;
        }
        memcpy(keep.p, t->feat->f.p, keep.n * sizeof *keep.p);
        ad_features_keep(&keep, AD_FEAT_STORED);
        uint8_t *blob = blobs + n * AD_FEAT_BLOB_MAX;
        size_t len = ad_features_encode(&keep, blob, AD_FEAT_BLOB_MAX);
        ad_features_free(&keep);
        if (len)
            rows[n++] = (ad_feat_row){mids[k], blob, len};
    }
    if (rc == AD_OK)
        rc = ad_feat_store_put(r->st, rows, n, err);
    free(rows);
    free(blobs);
    return rc;
}
