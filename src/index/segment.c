/* segment.c: segments of the match index: allocation, the choice of multi-index layout for a
 * given size, the build (counting sorts by substring key), and the per-query threshold plan. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ariadne/util.h"
#include "ix_internal.h"

#define HUGE_PAGE (2u << 20)

void *ad_ix_alloc(size_t bytes)
{
    if (bytes < HUGE_PAGE)
        return malloc(bytes ? bytes : 1);
    size_t round = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    void *p = aligned_alloc(HUGE_PAGE, round);
#ifdef MADV_HUGEPAGE
    if (p)
        madvise(p, round, MADV_HUGEPAGE);
#endif
    return p;
}

void ad_ix_release(void *p)
{
    free(p);
}

int ad_ix_reserve(void **arr, size_t *cap, size_t n, size_t more, size_t size)
{
    if (n + more <= *cap)
        return 1;
    size_t nc = *cap ? *cap : 8;
    while (nc < n + more)
        nc *= 2;
    void *p = realloc(*arr, nc * size);
    if (!p)
        return 0;
    *arr = p;
    *cap = nc;
    return 1;
}

void ad_ix_hitv_grow(ad_ix_hitv *v)
{
    if (!ad_ix_reserve((void **)&v->v, &v->cap, v->n, 1, sizeof *v->v))
        v->failed = 1;
}

static ad_ix_seg *seg_alloc(size_t cap)
{
    ad_ix_seg *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cap = cap;
    s->h = ad_ix_alloc(cap * 32);
    s->ids = ad_ix_alloc(cap * 8);
    s->dead = ad_ix_alloc((cap + 63) / 64 * 8);
    if (!s->h || !s->ids || !s->dead) {
        ad_ix_seg_free(s);
        return NULL;
    }
    memset(s->dead, 0, (cap + 63) / 64 * 8);
    return s;
}

ad_ix_seg *ad_ix_seg_new_flat(size_t cap)
{
    return seg_alloc(cap);
}

void ad_ix_seg_free(ad_ix_seg *s)
{
    if (!s)
        return;
    ad_ix_release(s->idmap);
    if (!s->mapped) {
        ad_ix_release(s->h);
        ad_ix_release(s->ids);
        ad_ix_release(s->dead);
        for (int j = 0; j < s->m; j++) {
            ad_ix_release(s->t[j].dir);
            ad_ix_release(s->t[j].pos);
        }
    }
    free(s);
}

size_t ad_ix_seg_live(const ad_ix_seg *s)
{
    return s->n - s->ndead;
}

size_t ad_ix_seg_memory(const ad_ix_seg *s)
{
    size_t b = sizeof *s + s->cap * 40 + (s->cap + 63) / 64 * 8;
    for (int j = 0; j < s->m; j++)
        b += (((size_t)1 << s->t[j].dbits) + 1) * 4 + (s->t[j].pos ? s->n * 4 : 0);
    if (s->idmap)
        b += s->n * 8;
    return b;
}

/* Table widths: m substrings partitioning 256 bits, the wider ones first. */
static void layout(ad_ix_seg *s, int m, int dmax)
{
    s->m = m;
    unsigned start = 0;
    for (int j = 0; j < m; j++) {
        unsigned w = 256u / (unsigned)m + ((unsigned)j < 256u % (unsigned)m ? 1u : 0u);
        s->t[j].start = (uint16_t)start;
        s->t[j].width = (uint8_t)w;
        s->t[j].dbits = (uint8_t)((int)w < dmax ? (int)w : dmax);
        start += w;
    }
}

static double binom_le(int d, int t)
{
    double sum = 0, c = 1;
    for (int w = 0; w <= t && w <= d; w++) {
        sum += c;
        c = c * (d - w) / (w + 1);
    }
    return sum;
}

double ad_ix_plan(const ad_ix_seg *s, int r, int8_t *t)
{
    /* Generalised pigeonhole: if every table j differs in more than t[j] bits, the distance is
     * at least sum(t[j] + 1). So r + 1 "units" spread over the tables (t[j] = units - 1, -1 =
     * skip the table) guarantee that every match meets at least one table's threshold. */
    const int m = s->m, units = r + 1;
    double cost = 0;
    for (int j = 0; j < m; j++) {
        int u = units / m + (j < units % m ? 1 : 0);
        if (u > 127)
            u = 127;
        t[j] = (int8_t)(u - 1);
        if (t[j] < 0)
            continue;
        int d = s->t[j].dbits;
        double probes = binom_le(d, t[j]);
        cost += probes * (1.0 + 1.5 * (double)s->n / ldexp(1.0, d));
    }
    return cost;
}

/* Picks m (number of tables) and the directory size for n entries by the cost model of
 * ad_ix_plan at radius 31, within a memory budget per entry. */
static void choose_layout(ad_ix_seg *s, size_t n)
{
    int dmax = (int)floor(log2((double)n * 0.85));
    if (dmax < 4)
        dmax = 4;
    if (dmax > AD_IX_MAXD)
        dmax = AD_IX_MAXD;
    const double budget = n >= 1000000 ? 124.0 : 200.0;
    double best = 0;
    int bestm = 0;
    int8_t t[AD_IX_MAXT];
    for (int m = 8; m <= AD_IX_MAXT; m++) {
        layout(s, m, dmax);
        double mem = 40.0 + 4.0 * (m - 1);
        for (int j = 0; j < m; j++)
            mem += 4.0 * ldexp(1.0, s->t[j].dbits) / (double)n;
        if (mem > budget && m > 8)
            continue;
        double c = ad_ix_plan(s, AD_INDEX_RADIUS_DEFAULT, t);
        if (!bestm || c < best) {
            best = c;
            bestm = m;
        }
    }
    const char *force = getenv("AD_IX_TABLES"); /* tuning experiments only */
    if (force && atoi(force) >= 8 && atoi(force) <= AD_IX_MAXT)
        bestm = atoi(force);
    const char *fd = getenv("AD_IX_DBITS");
    if (fd && atoi(fd) >= 4 && atoi(fd) <= AD_IX_MAXD)
        dmax = atoi(fd);
    layout(s, bestm, dmax);
}

/* Counting sort of entries 0..n-1 of hashes h by table tb's key: fills tb->dir (allocated here)
 * and perm with the entry numbers in key order. Keys are extracted once (one pass over the
 * hashes). 0 when out of memory. */
static int key_sort(ad_ix_table *tb, const uint64_t *h, size_t n, uint32_t *perm)
{
    const size_t nkeys = (size_t)1 << tb->dbits;
    uint32_t *key = ad_ix_alloc(n * 4 + 4);
    tb->dir = ad_ix_alloc((nkeys + 1) * 4);
    if (!key || !tb->dir) {
        ad_ix_release(key);
        return 0;
    }
    memset(tb->dir, 0, (nkeys + 1) * 4);
    for (size_t i = 0; i < n; i++) {
        key[i] = ad_ix_bits(h + 4 * i, tb->start, tb->dbits);
        tb->dir[key[i] + 1]++;
    }
    for (size_t k = 0; k < nkeys; k++)
        tb->dir[k + 1] += tb->dir[k];
    /* scatter with dir[key] as the cursor, then shift the directory back */
    for (size_t i = 0; i < n; i++)
        perm[tb->dir[key[i]]++] = (uint32_t)i;
    memmove(tb->dir + 1, tb->dir, nkeys * 4);
    tb->dir[0] = 0;
    ad_ix_release(key);
    return 1;
}

struct build_ctx {
    ad_ix_seg *s;
    int failed;
};

static void build_table(void *vctx, size_t jj, int worker)
{
    (void)worker;
    struct build_ctx *ctx = vctx;
    ad_ix_seg *s = ctx->s;
    ad_ix_table *tb = &s->t[jj + 1];
    tb->pos = ad_ix_alloc(s->n * 4 + 4);
    if (!tb->pos || !key_sort(tb, s->h, s->n, tb->pos))
        ctx->failed = 1;
}

ad_code ad_ix_seg_build(ad_ix_seg **out, const uint64_t *h, const uint64_t *ids, size_t n,
                        ad_err *err)
{
    *out = NULL;
    if (n > UINT32_MAX - 1)
        return ad_err_set(err, AD_ERR_LIMIT, "a segment holds at most %u hashes", UINT32_MAX - 1);
    ad_ix_seg *s = seg_alloc(n);
    if (!s)
        return ad_err_set(err, AD_ERR_NOMEM, "cannot allocate an index segment of %zu hashes", n);
    s->n = n;
    choose_layout(s, n);
    /* table 0: counting sort of the entries themselves */
    uint32_t *perm = ad_ix_alloc(n * 4 + 4);
    if (!perm || !key_sort(&s->t[0], h, n, perm)) {
        ad_ix_release(perm);
        ad_ix_seg_free(s);
        return ad_err_set(err, AD_ERR_NOMEM, "cannot allocate an index directory");
    }
    for (size_t d = 0; d < n; d++) {
        memcpy(s->h + 4 * d, h + 4 * (size_t)perm[d], 32);
        s->ids[d] = ids[perm[d]];
    }
    ad_ix_release(perm);
    /* the other tables, in parallel */
    struct build_ctx ctx = {s, 0};
    ad_code rc = ad_parallel_for((size_t)s->m - 1, 0, build_table, &ctx, err);
    if (rc != AD_OK || ctx.failed) {
        ad_ix_seg_free(s);
        return rc != AD_OK ? rc : ad_err_set(err, AD_ERR_NOMEM, "cannot allocate index tables");
    }
    *out = s;
    return AD_OK;
}
