/* index.h: the match index: exact Hamming-radius search over 256-bit (PDQ) hashes.
 *
 * An in-memory index of (hash, 64-bit id) entries. Every search is exact: it returns every
 * live entry within the radius, with its true distance (no approximation, no missed match).
 * Entries are added and removed at once, without rebuilding the whole index: new entries go
 * to a small buffer that is scanned directly and is folded into multi-index-hashing segments
 * of geometrically growing size; removals mark entries dead. Searches are safe to run from
 * many threads at once; add/remove/compact/set_cpu need exclusive access.
 * The design is in docs/index.md. */
#ifndef ARIADNE_INDEX_H
#define ARIADNE_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ariadne/error.h"
#include "ariadne/h256.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AD_INDEX_RADIUS_DEFAULT 31
#define AD_INDEX_RADIUS_MAX 64

typedef struct ad_index ad_index;

/* One match: the entry's id, its Hamming distance to the query and, for dihedral searches,
 * which of the 8 query variants (0..7) gave that (best) distance; 0 otherwise. */
typedef struct ad_index_hit {
    uint64_t id;
    uint16_t dist;
    uint8_t variant;
} ad_index_hit;

/* A growable list of hits. Zero-initialise; searches replace its content. */
typedef struct ad_index_hits {
    ad_index_hit *v;
    size_t n, cap;
} ad_index_hits;

void ad_index_hits_free(ad_index_hits *h);

/* Which code path computes distances. AUTO picks the best the CPU has (or AD_CPU=scalar|avx2|
 * avx512 from the environment when the index is created). */
typedef enum ad_index_cpu {
    AD_INDEX_CPU_AUTO = 0,
    AD_INDEX_CPU_SCALAR,
    AD_INDEX_CPU_AVX2,   /* AVX2 + POPCNT */
    AD_INDEX_CPU_AVX512, /* AVX-512 F/VL/BW + VPOPCNTDQ */
} ad_index_cpu;

/* The best path this CPU supports. */
ad_index_cpu ad_index_cpu_best(void);
/* "scalar", "avx2", "avx512" ("auto" for AUTO). */
const char *ad_index_cpu_name(ad_index_cpu cpu);
/* Parses a name as above; AD_ERR_ARG for anything else. */
ad_code ad_index_cpu_parse(const char *name, ad_index_cpu *out, ad_err *err);

ad_code ad_index_new(ad_index **out, ad_err *err);
void ad_index_free(ad_index *ix);

/* Forces a code path for this index (AUTO = best). AD_ERR_UNSUPPORTED if the CPU lacks it. */
ad_code ad_index_set_cpu(ad_index *ix, ad_index_cpu cpu, ad_err *err);
ad_index_cpu ad_index_get_cpu(const ad_index *ix);

/* Adds n entries. Ids are the caller's; duplicates are allowed (each entry is its own match).
 * Visible to the next search. A large batch is indexed at once (one segment build), which is
 * the fast way to load a database. */
ad_code ad_index_add(ad_index *ix, const ad_h256 *hashes, const uint64_t *ids, size_t n,
                     ad_err *err);
/* Removes every entry whose id is in ids[0..n); returns how many entries were removed.
 * Immediate; space is reclaimed when the segment holding them is next merged or compacted. */
size_t ad_index_remove(ad_index *ix, const uint64_t *ids, size_t n);
/* Merges everything into one segment and drops removed entries (the fastest layout to search). */
ad_code ad_index_compact(ad_index *ix, ad_err *err);

/* Live entries. */
size_t ad_index_size(const ad_index *ix);
/* Bytes of memory held by the index (hashes, ids and tables). */
size_t ad_index_memory(const ad_index *ix);

/* All entries within distance <= radius (0..64) of q, in no particular order. */
ad_code ad_index_search(const ad_index *ix, const ad_h256 *q, int radius, ad_index_hits *out,
                        ad_err *err);
/* The k nearest entries, by ascending distance then ascending id. Fewer if the index is smaller. */
ad_code ad_index_knn(const ad_index *ix, const ad_h256 *q, size_t k, ad_index_hits *out,
                     ad_err *err);
/* Searches the 8 dihedral variants q[0..8) of one image (as PDQ computes them: original,
 * rotations, flips) and reports each entry once with its best distance and the variant (lowest
 * index among ties) that gave it. */
ad_code ad_index_search_dihedral(const ad_index *ix, const ad_h256 q[8], int radius,
                                 ad_index_hits *out, ad_err *err);

/* Searches nq queries on `threads` threads (0 = all cores); out[i] gets query i's hits.
 * With `dihedral` set, q holds 8 hashes per query (nq * 8) as ad_index_search_dihedral. */
ad_code ad_index_search_batch(const ad_index *ix, const ad_h256 *q, size_t nq, int dihedral,
                              int radius, int threads, ad_index_hits *out, ad_err *err);

/* Snapshot: a single file with a versioned header and a checksum of the whole content.
 * Loading maps the file into memory (no rebuild). A file that is not a snapshot, or of another
 * version, gives AD_ERR_VERSION; a damaged one AD_ERR_CHECKSUM (or AD_ERR_CORRUPT for a
 * well-formed checksum over inconsistent content): the caller then rebuilds from its records. */
ad_code ad_index_save(const ad_index *ix, const char *path, ad_err *err);
ad_code ad_index_load(ad_index **out, const char *path, ad_err *err);
/* The same bytes inside a larger file: ad_index_write writes them at f's current position (a
 * page-aligned offset if they are to be mapped; *len gets their length, head (may be NULL)
 * their first 64 bytes, which hold their size and checksum; f is left after them);
 * ad_index_map maps len bytes of fd at offset (page-aligned) and checks them as ad_index_load
 * does (name is the file's name for messages). */
ad_code ad_index_write(const ad_index *ix, FILE *f, uint64_t *len, uint8_t head[64],
                       ad_err *err);
ad_code ad_index_map(int fd, uint64_t offset, uint64_t len, const char *name, ad_index **out,
                     ad_err *err);

#ifdef __cplusplus
}
#endif
#endif
