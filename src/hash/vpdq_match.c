/* vpdq_match.c: matching two vPDQ frame lists by brute force: which frames of each side have a
 * frame of the other within the distance, the shares of matched frames under the
 * python-threatexchange rule (<= D, identical hashes counted once) or the C++ reference rule
 * (< D, every frame counted), the best dihedral variant of the query, and matched time ranges. */
#include <stdlib.h>
#include <string.h>

#include "ariadne/vpdq.h"

void ad_vpdq_match_opts_default(ad_vpdq_match_opts *o)
{
    memset(o, 0, sizeof *o);
    o->distance = 31;
    o->quality = 50;
    o->query_pct = 80.0;
    o->compared_pct = 0.0;
    o->rule = AD_VPDQ_RULE_PYTX;
}

void ad_vpdq_match_result_free(ad_vpdq_match_result *r)
{
    if (!r)
        return;
    free(r->query_ranges);
    free(r->compared_ranges);
    memset(r, 0, sizeof *r);
}

/* One side of a match: its hashes (for one variant), which count, which matched. */
struct side {
    const ad_vpdq_video *v;
    ad_h256 *hash;    /* n hashes used for matching */
    uint8_t *counted; /* quality ok and (pytx) first of its hash */
    uint8_t *matched;
};

static int cmp_by_hash(const void *a, const void *b, void *ctx)
{
    const ad_h256 *h = ctx;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int c = memcmp(h[i].b, h[j].b, 32);
    return c ? c : (i > j) - (i < j);
}

/* counted[i] = quality >= F, and with dedupe only the first frame of each distinct hash. */
static ad_code mark_counted(struct side *s, int quality, int dedupe, ad_err *err)
{
    size_t n = s->v->n;
    for (size_t i = 0; i < n; i++)
        s->counted[i] = s->v->frames[i].quality >= quality;
    if (!dedupe || n < 2)
        return AD_OK;
    size_t *idx = malloc(n * sizeof *idx);
    if (!idx)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory (match)");
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    qsort_r(idx, n, sizeof *idx, cmp_by_hash, s->hash);
    for (size_t k = 1; k < n; k++)
        if (ad_h256_equal(&s->hash[idx[k]], &s->hash[idx[k - 1]]))
            s->counted[idx[k]] = 0; /* python dedupes before the quality filter: same hash,
                                       same quality, so the first of a run decides */
    free(idx);
    return AD_OK;
}

/* Brute force over all pairs of frames that pass the quality filter. This is the part an
 * index replaces. */
static void pair_flags(struct side *q, struct side *c, const ad_vpdq_match_opts *o)
{
    int limit = o->rule == AD_VPDQ_RULE_CPP ? o->distance - 1 : o->distance;
    memset(q->matched, 0, q->v->n);
    memset(c->matched, 0, c->v->n);
    for (size_t i = 0; i < q->v->n; i++) {
        if (q->v->frames[i].quality < o->quality)
            continue;
        for (size_t j = 0; j < c->v->n; j++) {
            if (c->v->frames[j].quality < o->quality)
                continue;
            if (ad_h256_distance(&q->hash[i], &c->hash[j]) <= limit) {
                q->matched[i] = 1;
                c->matched[j] = 1;
            }
        }
    }
}

static void shares(const struct side *s, size_t *frames, size_t *matched, double *pct)
{
    *frames = *matched = 0;
    for (size_t i = 0; i < s->v->n; i++)
        if (s->counted[i]) {
            (*frames)++;
            *matched += s->matched[i];
        }
    *pct = *frames ? (double)*matched * 100.0 / (double)*frames : 0.0;
}

/* Runs of matched frames; frames below the quality neither break nor extend a run. */
static ad_code ranges_of(const struct side *s, int quality, ad_vpdq_range **out, size_t *nout,
                         ad_err *err)
{
    *out = NULL;
    *nout = 0;
    size_t cap = 0;
    int open = 0;
    for (size_t i = 0; i < s->v->n; i++) {
        const ad_vpdq_frame *f = &s->v->frames[i];
        if (f->quality < quality)
            continue;
        if (!s->matched[i]) {
            open = 0;
            continue;
        }
        if (!open) {
            if (*nout == cap) {
                cap = cap ? cap * 2 : 8;
                ad_vpdq_range *nr = realloc(*out, cap * sizeof *nr);
                if (!nr)
                    return ad_err_set(err, AD_ERR_NOMEM, "out of memory (match)");
                *out = nr;
            }
            (*out)[(*nout)++] =
                (ad_vpdq_range){f->frame_number, f->frame_number, f->timestamp, f->timestamp, 0};
            open = 1;
        }
        ad_vpdq_range *r = &(*out)[*nout - 1];
        r->last_frame = f->frame_number;
        r->end = f->timestamp;
        r->frames++;
    }
    return AD_OK;
}

static void variant_hashes(const ad_vpdq_video *v, int variant, ad_h256 *out)
{
    for (size_t i = 0; i < v->n; i++)
        out[i] = variant == AD_PDQ_ORIG ? v->frames[i].hash
                                        : v->dihedral[i * AD_PDQ_NVARIANTS + variant];
}

size_t ad_vpdq_frames_near(const ad_vpdq_video *v, const ad_h256 *hash, int distance, int quality,
                           size_t *idx, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < v->n; i++)
        if (v->frames[i].quality >= quality &&
            ad_h256_distance(&v->frames[i].hash, hash) <= distance) {
            if (n < max)
                idx[n] = i;
            n++;
        }
    return n;
}

static int better(const ad_vpdq_match_result *a, const ad_vpdq_match_result *b)
{
    return a->query_pct > b->query_pct ||
           (a->query_pct == b->query_pct && a->compared_pct > b->compared_pct);
}

ad_code ad_vpdq_match(const ad_vpdq_video *query, const ad_vpdq_video *compared,
                      const ad_vpdq_match_opts *opts, ad_vpdq_match_result *out, ad_err *err)
{
    memset(out, 0, sizeof *out);
    ad_vpdq_match_opts defaults;
    if (!opts) {
        ad_vpdq_match_opts_default(&defaults);
        opts = &defaults;
    }
    if (opts->dihedral && query->n > 0 && !query->dihedral)
        return ad_err_set(err, AD_ERR_ARG, "the query was hashed without dihedral variants");
    size_t nq = query->n, nc = compared->n;
    struct side q = {query, NULL, NULL, NULL}, c = {compared, NULL, NULL, NULL};
    q.hash = malloc((nq + 1) * sizeof *q.hash);
    c.hash = malloc((nc + 1) * sizeof *c.hash);
    q.counted = malloc(nq + 1);
    q.matched = malloc(nq + 1);
    c.counted = malloc(nc + 1);
    c.matched = malloc(nc + 1);
    uint8_t *best_q = malloc(nq + 1), *best_c = malloc(nc + 1);
    ad_code rc = AD_OK;
    if (!q.hash || !c.hash || !q.counted || !q.matched || !c.counted || !c.matched || !best_q ||
        !best_c) {
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory (match)");
        goto done;
    }
    int dedupe = opts->rule == AD_VPDQ_RULE_PYTX;
    variant_hashes(compared, AD_PDQ_ORIG, c.hash);
    if ((rc = mark_counted(&c, opts->quality, dedupe, err)) != AD_OK)
        goto done;
    int variants = opts->dihedral ? AD_PDQ_NVARIANTS : 1;
    for (int k = 0; k < variants; k++) {
        variant_hashes(query, k, q.hash);
        if ((rc = mark_counted(&q, opts->quality, dedupe, err)) != AD_OK)
            goto done;
        pair_flags(&q, &c, opts);
        ad_vpdq_match_result r = {.variant = k};
        shares(&q, &r.query_frames, &r.query_matched, &r.query_pct);
        shares(&c, &r.compared_frames, &r.compared_matched, &r.compared_pct);
        if (k == 0 || better(&r, out)) {
            *out = r;
            memcpy(best_q, q.matched, nq);
            memcpy(best_c, c.matched, nc);
        }
    }
    out->match = out->query_frames > 0 && out->compared_frames > 0 &&
                 out->query_pct >= opts->query_pct && out->compared_pct >= opts->compared_pct;
    memcpy(q.matched, best_q, nq);
    memcpy(c.matched, best_c, nc);
    rc = ranges_of(&q, opts->quality, &out->query_ranges, &out->n_query_ranges, err);
    if (rc == AD_OK)
        rc = ranges_of(&c, opts->quality, &out->compared_ranges, &out->n_compared_ranges, err);
    if (rc != AD_OK)
        ad_vpdq_match_result_free(out);
done:
    free(q.hash);
    free(c.hash);
    free(q.counted);
    free(q.matched);
    free(c.counted);
    free(c.matched);
    free(best_q);
    free(best_c);
    return rc;
}
