/* index.c: the match index: segments and the insert buffer, add/remove/compact, and the searches
 * (radius, k-nearest, dihedral, batch) over all of them. */
#include <stdlib.h>
#include <string.h>

#include "ariadne/util.h"
#include "ix_internal.h"

ad_code ad_index_new(ad_index **out, ad_err *err)
{
    ad_index *ix = calloc(1, sizeof *ix);
    if (ix)
        ix->buf = ad_ix_seg_new_flat(AD_IX_BUF);
    if (!ix || !ix->buf) {
        free(ix);
        *out = NULL;
        return ad_err_set(err, AD_ERR_NOMEM, "cannot allocate an index");
    }
    ad_index_set_cpu(ix, AD_INDEX_CPU_AUTO, NULL);
    *out = ix;
    return AD_OK;
}

void ad_index_free(ad_index *ix)
{
    if (!ix)
        return;
    for (int i = 0; i < ix->nseg; i++)
        ad_ix_seg_free(ix->seg[i]);
    ad_ix_seg_free(ix->buf);
    if (ix->map)
        ad_ix_unmap(ix->map, ix->maplen);
    free(ix);
}

void ad_index_hits_free(ad_index_hits *h)
{
    if (!h)
        return;
    free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}

size_t ad_index_size(const ad_index *ix)
{
    size_t n = ad_ix_seg_live(ix->buf);
    for (int i = 0; i < ix->nseg; i++)
        n += ad_ix_seg_live(ix->seg[i]);
    return n;
}

size_t ad_index_memory(const ad_index *ix)
{
    size_t b = sizeof *ix + ad_ix_seg_memory(ix->buf);
    for (int i = 0; i < ix->nseg; i++)
        b += ad_ix_seg_memory(ix->seg[i]);
    return b;
}

/* ---- building and merging segments ---- */

/* Live entries of segs[0..nsegs) followed by extra (hashes as bytes) into one new segment. */
static ad_code build_from(ad_ix_seg **out, ad_ix_seg *const *segs, int nsegs, const ad_h256 *extra,
                          const uint64_t *extra_ids, size_t nextra, ad_err *err)
{
    size_t n = nextra;
    for (int i = 0; i < nsegs; i++)
        n += ad_ix_seg_live(segs[i]);
    *out = NULL;
    if (n == 0)
        return AD_OK;
    uint64_t *h = ad_ix_alloc(n * 32), *ids = ad_ix_alloc(n * 8);
    if (!h || !ids) {
        ad_ix_release(h);
        ad_ix_release(ids);
        return ad_err_set(err, AD_ERR_NOMEM, "cannot allocate %zu hashes for an index build", n);
    }
    size_t k = 0;
    for (int i = 0; i < nsegs; i++) {
        const ad_ix_seg *s = segs[i];
        for (size_t e = 0; e < s->n; e++) {
            if (ad_ix_is_dead(s, e))
                continue;
            memcpy(h + 4 * k, s->h + 4 * e, 32);
            ids[k++] = s->ids[e];
        }
    }
    if (nextra) {
        memcpy(h + 4 * k, extra, nextra * 32);
        memcpy(ids + k, extra_ids, nextra * 8);
    }
    ad_code rc = ad_ix_seg_build(out, h, ids, n, err);
    ad_ix_release(h);
    ad_ix_release(ids);
    return rc;
}

/* Replaces segments [first, nseg) and, if with_buf, the buffer by one segment holding their
 * live entries plus extra. */
static ad_code replace_tail(ad_index *ix, int first, int with_buf, const ad_h256 *extra,
                            const uint64_t *extra_ids, size_t nextra, ad_err *err)
{
    ad_ix_seg *in[AD_IX_MAXSEG + 1];
    int nin = 0;
    for (int i = first; i < ix->nseg; i++)
        in[nin++] = ix->seg[i];
    if (with_buf)
        in[nin++] = ix->buf;
    ad_ix_seg *s;
    ad_code rc = build_from(&s, in, nin, extra, extra_ids, nextra, err);
    if (rc != AD_OK)
        return rc;
    for (int i = first; i < ix->nseg; i++)
        ad_ix_seg_free(ix->seg[i]);
    ix->nseg = first;
    if (s)
        ix->seg[ix->nseg++] = s;
    if (with_buf) {
        ix->buf->n = 0;
        ix->buf->ndead = 0;
        memset(ix->buf->dead, 0, (ix->buf->cap + 63) / 64 * 8);
    }
    return AD_OK;
}

/* Keeps segment sizes geometric (each at least AD_IX_MERGE times the next), so a search visits
 * few segments (each costs about as many probes as the largest) and an entry is rebuilt
 * O(log n) times over its life. */
static ad_code rebalance(ad_index *ix, ad_err *err)
{
    while (ix->nseg >= 2) {
        size_t last = ad_ix_seg_live(ix->seg[ix->nseg - 1]);
        size_t prev = ad_ix_seg_live(ix->seg[ix->nseg - 2]);
        if (last * AD_IX_MERGE < prev && ix->nseg < AD_IX_MAXSEG - 1)
            break;
        ad_code rc = replace_tail(ix, ix->nseg - 2, 0, NULL, NULL, 0, err);
        if (rc != AD_OK)
            return rc;
    }
    return AD_OK;
}

ad_code ad_index_add(ad_index *ix, const ad_h256 *hashes, const uint64_t *ids, size_t n,
                     ad_err *err)
{
    if (n == 0)
        return AD_OK;
    if (!hashes || !ids)
        return ad_err_set(err, AD_ERR_ARG, "ad_index_add: NULL hashes or ids");
    if (n > UINT32_MAX - 1 - AD_IX_BUF)
        return ad_err_set(err, AD_ERR_LIMIT, "%zu hashes in one call: at most %u", n,
                          UINT32_MAX - 1 - AD_IX_BUF);
    ad_ix_seg *b = ix->buf;
    if (b->n + n <= b->cap) {
        memcpy(b->h + 4 * b->n, hashes, n * 32);
        memcpy(b->ids + b->n, ids, n * 8);
        b->n += n;
        if (b->n < b->cap)
            return AD_OK;
        n = 0; /* buffer full: becomes a segment below */
    }
    ad_code rc = replace_tail(ix, ix->nseg, 1, hashes, ids, n, err);
    if (rc != AD_OK)
        return rc;
    return rebalance(ix, err);
}

ad_code ad_index_compact(ad_index *ix, ad_err *err)
{
    if (ix->nseg == 1 && ix->seg[0]->ndead == 0 && ix->buf->n == 0)
        return AD_OK;
    return replace_tail(ix, 0, 1, NULL, NULL, 0, err);
}

/* A set of ids for removal: open addressing, power-of-two size. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

static void mark_dead(ad_ix_seg *s, size_t e)
{
    s->dead[e >> 6] |= 1ull << (e & 63);
    s->ndead++;
}

/* Removal by one pass over the segment's ids, looking each up in the set. */
static size_t remove_scan(ad_ix_seg *s, const uint64_t *set, size_t mask, const uint8_t *used)
{
    size_t removed = 0;
    for (size_t e = 0; e < s->n; e++) {
        if (ad_ix_is_dead(s, e))
            continue;
        uint64_t id = s->ids[e];
        for (size_t k = mix64(id) & mask; used[k]; k = (k + 1) & mask)
            if (set[k] == id) {
                mark_dead(s, e);
                removed++;
                break;
            }
    }
    return removed;
}

/* The segment's id map: (fingerprint << 32 | entry) sorted by fingerprint (two 16-bit radix
 * passes). 0 when out of memory. */
static int build_idmap(ad_ix_seg *s)
{
    uint64_t *a = ad_ix_alloc(s->n * 8 + 8), *b = ad_ix_alloc(s->n * 8 + 8);
    size_t *count = calloc(65536, sizeof *count);
    if (!a || !b || !count) {
        ad_ix_release(a);
        ad_ix_release(b);
        free(count);
        return 0;
    }
    for (size_t e = 0; e < s->n; e++)
        a[e] = (mix64(s->ids[e]) & 0xffffffff00000000ULL) | e;
    for (int shift = 32; shift < 64; shift += 16) {
        memset(count, 0, 65536 * sizeof *count);
        for (size_t e = 0; e < s->n; e++)
            count[(a[e] >> shift) & 0xffff]++;
        size_t sum = 0;
        for (size_t k = 0; k < 65536; k++) {
            size_t c = count[k];
            count[k] = sum;
            sum += c;
        }
        for (size_t e = 0; e < s->n; e++)
            b[count[(a[e] >> shift) & 0xffff]++] = a[e];
        uint64_t *t = a;
        a = b;
        b = t;
    }
    ad_ix_release(b);
    free(count);
    s->idmap = a;
    return 1;
}

/* Removal by looking each id up in the id map. */
static size_t remove_mapped(ad_ix_seg *s, const uint64_t *ids, size_t n)
{
    size_t removed = 0;
    for (size_t i = 0; i < n; i++) {
        const uint64_t key = mix64(ids[i]) & 0xffffffff00000000ULL;
        size_t lo = 0, hi = s->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if ((s->idmap[mid] & 0xffffffff00000000ULL) < key)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (; lo < s->n && (s->idmap[lo] & 0xffffffff00000000ULL) == key; lo++) {
            size_t e = (uint32_t)s->idmap[lo];
            if (s->ids[e] == ids[i] && !ad_ix_is_dead(s, e)) {
                mark_dead(s, e);
                removed++;
            }
        }
    }
    return removed;
}

/* Few ids against a large segment: through the id map, built once a few such removals have
 * each paid a scan (building it costs about four scans); otherwise one scan. */
static size_t remove_in(ad_ix_seg *s, const uint64_t *ids, size_t n, const uint64_t *set,
                        size_t mask, const uint8_t *used)
{
    int small = s->n >= 65536 && n < s->n / 64;
    if (s->idmap || (small && s->scans >= 8 && build_idmap(s)))
        return remove_mapped(s, ids, n);
    if (small)
        s->scans++;
    return remove_scan(s, set, mask, used);
}

size_t ad_index_remove(ad_index *ix, const uint64_t *ids, size_t n)
{
    if (n == 0 || !ids)
        return 0;
    size_t size = 16;
    while (size < 2 * n)
        size *= 2;
    uint64_t *set = calloc(size, 8);
    uint8_t *used = calloc(size, 1);
    if (!set || !used) {
        free(set);
        free(used);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        size_t k = mix64(ids[i]) & (size - 1);
        while (used[k] && set[k] != ids[i])
            k = (k + 1) & (size - 1);
        set[k] = ids[i];
        used[k] = 1;
    }
    /* the unique ids (a duplicate in ids must not count twice through the id map) */
    size_t nu = 0;
    uint64_t *uniq = malloc(n * sizeof *uniq);
    if (!uniq) {
        free(set);
        free(used);
        return 0;
    }
    for (size_t k = 0; k < size; k++)
        if (used[k])
            uniq[nu++] = set[k];
    size_t removed = remove_scan(ix->buf, set, size - 1, used);
    for (int i = 0; i < ix->nseg; i++)
        removed += remove_in(ix->seg[i], uniq, nu, set, size - 1, used);
    free(uniq);
    free(set);
    free(used);
    /* a segment that is mostly dead is rebuilt on its own (with the ones after it) */
    for (int i = 0; i < ix->nseg; i++)
        if (ix->seg[i]->ndead * 2 > ix->seg[i]->n) {
            if (replace_tail(ix, i, 0, NULL, NULL, 0, NULL) == AD_OK)
                rebalance(ix, NULL);
            break;
        }
    return removed;
}

/* ---- searching ---- */

int ad_ix_search_into(const ad_index *ix, const uint64_t q[4], int r, uint8_t variant,
                      ad_ix_scratch *sc, ad_ix_hitv *out)
{
    int8_t t[AD_IX_MAXT];
    if (!sc->cand) {
        sc->cand = malloc(2 * AD_IX_CHUNK * sizeof *sc->cand);
        if (!sc->cand)
            return 0;
    }
    for (int i = 0; i < ix->nseg; i++) {
        const ad_ix_seg *s = ix->seg[i];
        if (s->ndead == s->n)
            continue;
        if (!ad_ix_use_lookup(s, r, t) ||
            !ix->k->lookup(s, q, r, t, (uint8_t)i, variant, sc, ad_ix_scan_limit(s), out))
            ix->k->scan(s, q, r, (uint8_t)i, variant, out);
    }
    ix->k->scan(ix->buf, q, r, AD_IX_BUFSEG, variant, out);
    return !sc->failed && !out->failed;
}

void ad_ix_scratch_free(ad_ix_scratch *sc)
{
    free(sc->probe);
    free(sc->range);
    free(sc->cand);
    memset(sc, 0, sizeof *sc);
}

static const ad_ix_seg *seg_of(const ad_index *ix, uint8_t segno)
{
    return segno == AD_IX_BUFSEG ? ix->buf : ix->seg[segno];
}

static ad_code to_public(const ad_index *ix, const ad_ix_hitv *in, ad_index_hits *out, ad_err *err)
{
    out->n = 0;
    if (!ad_ix_reserve((void **)&out->v, &out->cap, 0, in->n, sizeof *out->v))
        return ad_err_set(err, AD_ERR_NOMEM, "cannot allocate %zu hits", in->n);
    for (size_t i = 0; i < in->n; i++) {
        const ad_ix_hit *h = &in->v[i];
        out->v[i] = (ad_index_hit){seg_of(ix, h->seg)->ids[h->pos], h->dist, h->variant};
    }
    out->n = in->n;
    return AD_OK;
}

static void load_query(uint64_t q[4], const ad_h256 *h)
{
    memcpy(q, h->b, 32);
}

static int cmp_entry(const void *a, const void *b)
{
    const ad_ix_hit *x = a, *y = b;
    if (x->seg != y->seg)
        return x->seg < y->seg ? -1 : 1;
    if (x->pos != y->pos)
        return x->pos < y->pos ? -1 : 1;
    if (x->dist != y->dist)
        return x->dist < y->dist ? -1 : 1;
    return (x->variant > y->variant) - (x->variant < y->variant);
}

ad_code ad_ix_finish(const ad_index *ix, ad_ix_hitv *hits, int nvar, ad_index_hits *out,
                     ad_err *err)
{
    if (hits->failed)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory during a search");
    if (nvar > 1 && hits->n > 1) {
        /* best distance per entry, lowest variant among ties */
        qsort(hits->v, hits->n, sizeof *hits->v, cmp_entry);
        size_t k = 0;
        for (size_t i = 0; i < hits->n; i++)
            if (k == 0 || hits->v[k - 1].seg != hits->v[i].seg ||
                hits->v[k - 1].pos != hits->v[i].pos)
                hits->v[k++] = hits->v[i];
        hits->n = k;
    }
    return to_public(ix, hits, out, err);
}

/* One query (or the 8 variants of one) into `hits`; failures are out of memory. */
static ad_code query_one(const ad_index *ix, const ad_h256 *q, int nvar, int r, ad_ix_scratch *sc,
                         ad_ix_hitv *hits, ad_index_hits *out, ad_err *err)
{
    hits->n = 0;
    for (int v = 0; v < nvar; v++) {
        uint64_t qw[4];
        load_query(qw, &q[v]);
        if (!ad_ix_search_into(ix, qw, r, (uint8_t)v, sc, hits))
            return ad_err_set(err, AD_ERR_NOMEM, "out of memory during a search");
    }
    return ad_ix_finish(ix, hits, nvar, out, err);
}

ad_code ad_ix_check_radius(int radius, ad_err *err)
{
    if (radius < 0 || radius > AD_INDEX_RADIUS_MAX)
        return ad_err_set(err, AD_ERR_ARG, "radius %d outside 0..%d", radius, AD_INDEX_RADIUS_MAX);
    return AD_OK;
}

static ad_code search_n(const ad_index *ix, const ad_h256 *q, int nvar, int radius,
                        ad_index_hits *out, ad_err *err)
{
    ad_code rc = ad_ix_check_radius(radius, err);
    if (rc != AD_OK)
        return rc;
    if (!q || !out)
        return ad_err_set(err, AD_ERR_ARG, "NULL query or result list");
    ad_ix_scratch sc = {0};
    ad_ix_hitv hits = {0};
    rc = query_one(ix, q, nvar, radius, &sc, &hits, out, err);
    ad_ix_scratch_free(&sc);
    free(hits.v);
    return rc;
}

ad_code ad_index_search(const ad_index *ix, const ad_h256 *q, int radius, ad_index_hits *out,
                        ad_err *err)
{
    return search_n(ix, q, 1, radius, out, err);
}

ad_code ad_index_search_dihedral(const ad_index *ix, const ad_h256 q[8], int radius,
                                 ad_index_hits *out, ad_err *err)
{
    return search_n(ix, q, 8, radius, out, err);
}

static int cmp_near(const void *a, const void *b)
{
    const ad_index_hit *x = a, *y = b;
    if (x->dist != y->dist)
        return x->dist < y->dist ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* Distances of q to every live entry, as a histogram (the k-nearest fallback). */
static void histogram(const ad_ix_seg *s, const uint64_t q[4], size_t hist[257])
{
    for (size_t e = 0; e < s->n; e++)
        if (!ad_ix_is_dead(s, e)) {
            const uint64_t *x = s->h + 4 * e;
            hist[__builtin_popcountll(q[0] ^ x[0]) + __builtin_popcountll(q[1] ^ x[1]) +
                 __builtin_popcountll(q[2] ^ x[2]) + __builtin_popcountll(q[3] ^ x[3])]++;
        }
}

ad_code ad_index_knn(const ad_index *ix, const ad_h256 *q, size_t k, ad_index_hits *out,
                     ad_err *err)
{
    if (!q || !out)
        return ad_err_set(err, AD_ERR_ARG, "NULL query or result list");
    out->n = 0;
    if (k == 0)
        return AD_OK;
    size_t live = ad_index_size(ix);
    if (k > live)
        k = live;
    ad_ix_scratch sc = {0};
    ad_ix_hitv hits = {0};
    ad_code rc = AD_OK;
    /* widen the radius until k entries are inside: every entry outside is then farther */
    static const int radii[] = {8, 16, 24, 32, 40, 48, 64, -1};
    for (int i = 0;; i++) {
        int r = radii[i];
        if (r < 0) {
            /* the radius that holds k entries, from the histogram of all distances */
            size_t hist[257] = {0}, cum = 0;
            uint64_t qw[4];
            load_query(qw, q);
            histogram(ix->buf, qw, hist);
            for (int s = 0; s < ix->nseg; s++)
                histogram(ix->seg[s], qw, hist);
            for (r = 0; r < 256 && cum + hist[r] < k; r++)
                cum += hist[r];
        }
        rc = query_one(ix, q, 1, r, &sc, &hits, out, err);
        if (rc != AD_OK || out->n >= k || radii[i] < 0)
            break;
    }
    ad_ix_scratch_free(&sc);
    free(hits.v);
    if (rc == AD_OK) {
        if (out->n > 1)
            qsort(out->v, out->n, sizeof *out->v, cmp_near);
        if (out->n > k)
            out->n = k;
    }
    return rc;
}
