/* ix_internal.h: the match index's private data structures, shared by its files.
 *
 * A segment holds n entries: hashes as 4 little-endian 64-bit words (h[4i..4i+3]), ids, a
 * bitmap of removed entries and, for indexed segments, m multi-index-hashing tables. Table j
 * covers bits [start, start+width) of the hash (the substrings partition the 256 bits); its
 * directory is keyed by the first dbits of that substring (dbits <= width): dir[key]..dir[key+1]
 * is the range of its entries, pos[] the entry numbers in key order. Table 0's order is the
 * segment's own order (entries are stored sorted by table 0's key), so it has no pos[]. A flat
 * segment (m = 0) is scanned directly. */
#ifndef AD_IX_INTERNAL_H
#define AD_IX_INTERNAL_H

#include <stddef.h>
#include <string.h>
#include <stdint.h>

#include "ariadne/index.h"

#define AD_IX_MAXT 24     /* most tables per segment */
#define AD_IX_MAXD 26     /* most directory bits */
#define AD_IX_MAXSEG 64   /* most segments */
#define AD_IX_BUF 4096    /* entries in the flat insert buffer before it becomes a segment */
#define AD_IX_MERGE 8     /* a segment is merged into the previous one at 1/8 of its size */
#define AD_IX_CHUNK 256   /* a single search's chunk of candidates (two are in flight) */
#define AD_IX_GROUP 65536 /* directory probes per group of units in a batch */

typedef struct ad_ix_table {
    uint16_t start;
    uint8_t width;
    uint8_t dbits;
    uint32_t *dir; /* (1 << dbits) + 1 offsets */
    uint32_t *pos; /* n entry numbers, NULL for table 0 */
} ad_ix_table;

typedef struct ad_ix_seg {
    size_t n, cap, ndead;
    uint64_t *h;    /* 4 * cap words */
    uint64_t *ids;  /* cap */
    uint64_t *dead; /* (cap + 63) / 64 words */
    int m;
    ad_ix_table t[AD_IX_MAXT];
    int mapped;      /* arrays point into a snapshot mapping (not freed one by one) */
    uint64_t *idmap; /* (id fingerprint << 32 | entry) sorted, for finding ids in O(log n),
                        built after a few small removals; always owned */
    unsigned scans;  /* small removals served by scanning the ids so far */
} ad_ix_seg;

/* A match inside the index: segment number, entry number, distance. */
typedef struct ad_ix_hit {
    uint32_t pos;
    uint16_t dist;
    uint8_t seg;
    uint8_t variant;
} ad_ix_hit;

typedef struct ad_ix_hitv {
    ad_ix_hit *v;
    size_t n, cap;
    int failed; /* a push ran out of memory */
} ad_ix_hitv;

/* A non-empty directory bucket to expand: entries [a, a + len) of table `table`. */
typedef struct ad_ix_range {
    uint32_t a, len, table;
} ad_ix_range;

/* Per-search working memory for the staged multi-index lookup. */
typedef struct ad_ix_scratch {
    uint64_t *probe; /* (table << 32) | directory key */
    size_t nprobe, capprobe;
    ad_ix_range *range;
    size_t nrange, caprange;
    uint64_t *cand; /* (table << 32) | entry, two chunks of AD_IX_CHUNK */
    int failed;     /* out of memory */
} ad_ix_scratch;

/* One table of one segment searched for a block of query variants ("units") at once
 * (batch.c fills it, the kernel's `table` runs it). */
typedef struct ad_ix_block {
    const uint64_t *qw; /* 4 words per unit */
    size_t nu;          /* units */
    int nvar;           /* variants per query: unit u is query u / nvar, variant u % nvar */
    int r;
    const int8_t *t; /* thresholds of the segment's tables */
    uint8_t segno;
    const uint32_t *mask; /* the directory keys to probe are key ^ mask[i] */
    size_t nmask;
    size_t *total;      /* per unit: bucket sizes so far in this segment */
    size_t limit;       /* beyond it a unit gives up (is scanned instead) */
    uint8_t *gaveup;    /* per unit */
    size_t *mark;       /* per unit: its query's hit count when the segment began */
    ad_ix_hitv *hv;     /* per query */
    ad_ix_range *range; /* a group's non-empty buckets (`table` = the unit) */
    size_t caprange;
    uint64_t *cand; /* the batch kernel's chunk of candidates (unit << 32 | entry) */
    size_t capcand;
    int failed;
} ad_ix_block;

/* The kernels of one CPU path. */
typedef struct ad_ix_kern {
    /* Appends every live entry of s within r of q (r may exceed 64). */
    void (*scan)(const ad_ix_seg *s, const uint64_t q[4], int r, uint8_t segno, uint8_t variant,
                 ad_ix_hitv *out);
    /* Multi-index lookup with per-table thresholds t (-1 = table not probed). If the buckets
     * to visit hold more than `limit` entries (degenerate data: a scan is cheaper), returns 0
     * before reporting anything. */
    int (*lookup)(const ad_ix_seg *s, const uint64_t q[4], int r, const int8_t *t, uint8_t segno,
                  uint8_t variant, ad_ix_scratch *sc, size_t limit, ad_ix_hitv *out);
    /* Table j of segment s for every unit of block b (see ad_ix_block). */
    void (*table)(const ad_ix_seg *s, int j, ad_ix_block *b);
} ad_ix_kern;

extern const ad_ix_kern ad_ix_kern_scalar, ad_ix_kern_avx2, ad_ix_kern_avx512;

struct ad_index {
    ad_ix_seg *seg[AD_IX_MAXSEG]; /* indexed segments, oldest (largest) first */
    int nseg;
    ad_ix_seg *buf; /* flat insert buffer, searched by scan */
    ad_index_cpu cpu;
    const ad_ix_kern *k;
    void *map; /* snapshot mapping, if loaded from one */
    size_t maplen;
};

/* hit vectors: grows v (sets v->failed when out of memory) */
void ad_ix_hitv_grow(ad_ix_hitv *v);
static inline void ad_ix_hitv_push(ad_ix_hitv *v, uint32_t pos, int dist, uint8_t seg,
                                   uint8_t variant)
{
    if (v->n == v->cap) {
        ad_ix_hitv_grow(v);
        if (v->n == v->cap)
            return;
    }
    v->v[v->n++] = (ad_ix_hit){pos, (uint16_t)dist, seg, variant};
}
/* Drops the hits of one variant in segment segno pushed since `mark` (its lookup gave up). */
static inline void ad_ix_drop_hits(ad_ix_hitv *hv, size_t mark, uint8_t segno, uint8_t variant)
{
    size_t k = mark;
    for (size_t i = mark; i < hv->n; i++)
        if (hv->v[i].seg != segno || hv->v[i].variant != variant)
            hv->v[k++] = hv->v[i];
    hv->n = k;
}
/* scratch arrays: make room for `more` items; 0 when out of memory */
int ad_ix_reserve(void **arr, size_t *cap, size_t n, size_t more, size_t size);

/* Bits [start, start+w) of a hash, w <= 32. */
static inline uint32_t ad_ix_bits(const uint64_t *h, unsigned start, unsigned w)
{
    unsigned i = start >> 6, o = start & 63;
    uint64_t v = h[i] >> o;
    if (o + w > 64)
        v |= h[i + 1] << (64 - o);
    return (uint32_t)(v & ((1ull << w) - 1));
}

static inline int ad_ix_is_dead(const ad_ix_seg *s, size_t i)
{
    return (int)((s->dead[i >> 6] >> (i & 63)) & 1);
}

/* segments (segment.c) */
ad_ix_seg *ad_ix_seg_new_flat(size_t cap);
void ad_ix_seg_free(ad_ix_seg *s);
/* Builds an indexed segment from n hashes (4 words each) and ids; threads for the tables. */
ad_code ad_ix_seg_build(ad_ix_seg **out, const uint64_t *h, const uint64_t *ids, size_t n,
                        ad_err *err);
/* Chooses thresholds for radius r; returns the estimated cost of the lookup (in memory
 * misses), to compare with a scan's cost. */
double ad_ix_plan(const ad_ix_seg *s, int r, int8_t *t);
size_t ad_ix_seg_memory(const ad_ix_seg *s);
size_t ad_ix_seg_live(const ad_ix_seg *s);
/* Large zeroed/uninitialised arrays, on transparent huge pages when large. */
void *ad_ix_alloc(size_t bytes);
void ad_ix_release(void *p);

#define AD_IX_BUFSEG 255 /* segment number of the insert buffer in hits */

/* Whether a search of segment s at radius r goes through the tables (fills t) or scans. */
static inline int ad_ix_use_lookup(const ad_ix_seg *s, int r, int8_t *t)
{
    return ad_ix_plan(s, r, t) * 16 <= (double)s->n;
}
/* Bucket sizes beyond which a lookup gives way to a scan (a query inside a huge cluster). */
static inline size_t ad_ix_scan_limit(const ad_ix_seg *s)
{
    return s->n / 4 + 4096;
}

/* search over all segments of ix (index.c), appends to out */
int ad_ix_search_into(const ad_index *ix, const uint64_t q[4], int r, uint8_t variant,
                      ad_ix_scratch *sc, ad_ix_hitv *out);
void ad_ix_scratch_free(ad_ix_scratch *sc);
/* AD_ERR_ARG unless 0 <= radius <= 64 */
ad_code ad_ix_check_radius(int radius, ad_err *err);
/* A query's collected hits (all its variants) to the public list: best distance per entry
 * (lowest variant among ties) when nvar > 1, ids looked up. */
ad_code ad_ix_finish(const ad_index *ix, ad_ix_hitv *hits, int nvar, ad_index_hits *out,
                     ad_err *err);

/* snapshot mapping (snapshot.c) */
void ad_ix_unmap(void *map, size_t len);

#endif
