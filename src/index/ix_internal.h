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
#include <stdint.h>

#include "ariadne/index.h"

#define AD_IX_MAXT 24    /* most tables per segment */
#define AD_IX_MAXD 26    /* most directory bits */
#define AD_IX_MAXSEG 64  /* most segments */
#define AD_IX_BUF 4096   /* entries in the flat insert buffer before it becomes a segment */
#define AD_IX_MERGE 8    /* a segment is merged into the previous one at 1/8 of its size */
#define AD_IX_CHUNK 2048 /* candidates fetched (prefetched) before they are verified */

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
    uint64_t *cand; /* (table << 32) | entry, AD_IX_CHUNK of them */
    int failed;     /* out of memory */
} ad_ix_scratch;

/* The kernels of one CPU path. */
typedef struct ad_ix_kern {
    /* Appends every live entry of s within r of q (r may exceed 64). */
    void (*scan)(const ad_ix_seg *s, const uint64_t q[4], int r, uint8_t segno, uint8_t variant,
                 ad_ix_hitv *out);
    /* Multi-index lookup with per-table thresholds t (-1 = table not probed). */
    void (*mih)(const ad_ix_seg *s, const uint64_t q[4], int r, const int8_t *t, uint8_t segno,
                uint8_t variant, ad_ix_scratch *sc, ad_ix_hitv *out);
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

/* search over all segments of ix (index.c), appends to out */
int ad_ix_search_into(const ad_index *ix, const uint64_t q[4], int r, uint8_t variant,
                      ad_ix_scratch *sc, ad_ix_hitv *out);
void ad_ix_scratch_free(ad_ix_scratch *sc);

/* snapshot mapping (snapshot.c) */
void ad_ix_unmap(void *map, size_t len);

#endif
