/* batch.c: the batch search (ad_index_search_batch). Queries are searched in blocks, and a
 * block goes through each segment table by table (the kernels' `table`): every query of the
 * block looks up table 0, then table 1, and so on, in phases that each read one of the table's
 * arrays, so that the memory system serves one array at a time instead of all of them for each
 * query (docs/index.md, "Batches"). Workers take whole blocks. */
#include <stdlib.h>
#include <string.h>

#include "ariadne/util.h"
#include "ix_internal.h"

/* Query variants per block: large enough that a table's arrays are read by many queries in a
 * row, small enough that the block's working memory stays small (a few MB). */
#define BLOCK_UNITS 8192

/* One worker's memory for a block. */
struct worker {
    ad_ix_hitv *hv;  /* per query */
    uint64_t *qw;    /* per unit (query variant): 4 words */
    size_t *total;   /* per unit: bucket sizes so far in the current segment */
    size_t *mark;    /* per unit: its query's hit count when the segment began */
    uint8_t *gaveup; /* per unit: lookup gave way to a scan in the current segment */
    uint32_t *mask;  /* the current table's probe masks */
    size_t nmask, capmask;
    ad_ix_block blk;
};

struct batch {
    const ad_index *ix;
    const ad_h256 *q;
    size_t nq, per_block;
    int nvar, radius;
    ad_index_hits *out;
    struct worker *w;
    int failed;
};

/* The XOR masks of weight 0..t over d bits (the directory keys a lookup visits), weight by
 * weight; 0 when out of memory. */
static int make_masks(struct worker *w, unsigned d, int t)
{
    w->nmask = 0;
    const uint64_t lim = 1ull << d;
    for (int wt = 0; wt <= t && wt <= (int)d; wt++) {
        uint64_t c = (1ull << wt) - 1;
        for (;;) {
            if (w->nmask == w->capmask &&
                !ad_ix_reserve((void **)&w->mask, &w->capmask, w->nmask, 1024, sizeof *w->mask))
                return 0;
            w->mask[w->nmask++] = (uint32_t)c;
            if (c == 0)
                break;
            const uint64_t lo = c & -c, v = c + lo; /* next mask with wt bits (Gosper) */
            c = v + (((v ^ c) >> __builtin_ctzll(lo)) >> 2);
            if (c >= lim)
                break;
        }
    }
    return 1;
}

/* Units 0..nu-1 against segment i of the index. */
static void block_segment(const ad_index *ix, int i, struct worker *w, size_t nu, int nvar, int r)
{
    const ad_ix_seg *s = ix->seg[i];
    int8_t t[AD_IX_MAXT];
    if (s->ndead == s->n)
        return;
    if (!ad_ix_use_lookup(s, r, t)) {
        for (size_t u = 0; u < nu; u++)
            ix->k->scan(s, w->qw + 4 * u, r, (uint8_t)i, (uint8_t)(u % (size_t)nvar),
                        &w->hv[u / (size_t)nvar]);
        return;
    }
    ad_ix_block *b = &w->blk;
    b->qw = w->qw;
    b->nu = nu;
    b->nvar = nvar;
    b->r = r;
    b->t = t;
    b->segno = (uint8_t)i;
    b->total = w->total;
    b->limit = ad_ix_scan_limit(s);
    b->gaveup = w->gaveup;
    b->mark = w->mark;
    b->hv = w->hv;
    for (size_t u = 0; u < nu; u++) {
        w->total[u] = 0;
        w->mark[u] = w->hv[u / (size_t)nvar].n;
        w->gaveup[u] = 0;
    }
    for (int j = 0; j < s->m && !b->failed; j++) {
        if (t[j] < 0)
            continue;
        if (!make_masks(w, s->t[j].dbits, t[j])) {
            b->failed = 1;
            break;
        }
        b->mask = w->mask;
        b->nmask = w->nmask;
        ix->k->table(s, j, b);
    }
    for (size_t u = 0; u < nu; u++)
        if (w->gaveup[u])
            ix->k->scan(s, w->qw + 4 * u, r, (uint8_t)i, (uint8_t)(u % (size_t)nvar),
                        &w->hv[u / (size_t)nvar]);
}

static int worker_alloc(struct worker *w, size_t per_block, int nvar)
{
    if (w->hv)
        return 1;
    const size_t nu = per_block * (size_t)nvar;
    w->hv = calloc(per_block, sizeof *w->hv);
    w->qw = malloc(nu * 32);
    w->total = malloc(nu * sizeof *w->total);
    w->mark = malloc(nu * sizeof *w->mark);
    w->gaveup = malloc(nu);
    return w->hv && w->qw && w->total && w->mark && w->gaveup;
}

static void worker_free(struct worker *w, size_t per_block)
{
    for (size_t i = 0; w->hv && i < per_block; i++)
        free(w->hv[i].v);
    free(w->hv);
    free(w->qw);
    free(w->total);
    free(w->mark);
    free(w->gaveup);
    free(w->mask);
    free(w->blk.range);
    free(w->blk.cand);
}

static void run_block(void *vctx, size_t b, int worker)
{
    struct batch *B = vctx;
    struct worker *w = &B->w[worker];
    if (B->failed || !worker_alloc(w, B->per_block, B->nvar)) {
        B->failed = 1;
        return;
    }
    const size_t q0 = b * B->per_block;
    const size_t nqb = B->nq - q0 < B->per_block ? B->nq - q0 : B->per_block;
    const size_t nu = nqb * (size_t)B->nvar;
    memcpy(w->qw, B->q + q0 * (size_t)B->nvar, nu * 32);
    for (size_t i = 0; i < nqb; i++)
        w->hv[i].n = 0;
    for (int i = 0; i < B->ix->nseg; i++)
        block_segment(B->ix, i, w, nu, B->nvar, B->radius);
    for (size_t u = 0; u < nu; u++)
        B->ix->k->scan(B->ix->buf, w->qw + 4 * u, B->radius, AD_IX_BUFSEG,
                       (uint8_t)(u % (size_t)B->nvar), &w->hv[u / (size_t)B->nvar]);
    if (w->blk.failed) {
        B->failed = 1;
        return;
    }
    for (size_t i = 0; i < nqb; i++)
        if (ad_ix_finish(B->ix, &w->hv[i], B->nvar, &B->out[q0 + i], NULL) != AD_OK)
            B->failed = 1;
}

ad_code ad_index_search_batch(const ad_index *ix, const ad_h256 *q, size_t nq, int dihedral,
                              int radius, int threads, ad_index_hits *out, ad_err *err)
{
    ad_code rc = ad_ix_check_radius(radius, err);
    if (rc != AD_OK)
        return rc;
    if (nq == 0)
        return AD_OK;
    if (!q || !out)
        return ad_err_set(err, AD_ERR_ARG, "NULL queries or result lists");
    if (threads <= 0)
        threads = ad_cpu_count();
    struct batch B = {ix, q, nq, 0, dihedral ? 8 : 1, radius, out, NULL, 0};
    B.per_block = BLOCK_UNITS / (size_t)B.nvar;
    const char *env = getenv("AD_IX_BLOCK"); /* tuning experiments only */
    if (env && atoi(env) > 0)
        B.per_block = (size_t)atoi(env);
    /* spread small batches over the workers rather than one block on one core */
    size_t even = (nq + (size_t)threads - 1) / (size_t)threads;
    if (even < B.per_block)
        B.per_block = even;
    const size_t nblocks = (nq + B.per_block - 1) / B.per_block;
    B.w = calloc((size_t)threads, sizeof *B.w);
    if (!B.w)
        return ad_err_set(err, AD_ERR_NOMEM, "cannot allocate %d search workers", threads);
    rc = ad_parallel_for(nblocks, threads, run_block, &B, err);
    if (rc == AD_OK && B.failed)
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory during a batch search");
    for (int t = 0; t < threads; t++)
        worker_free(&B.w[t], B.per_block);
    free(B.w);
    return rc;
}
