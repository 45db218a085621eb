/* idset.h: a set of int64 values (open addressing), for ids and key prefixes (internal). */
#ifndef AD_INGEST_IDSET_H
#define AD_INGEST_IDSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct ad_idset {
    int64_t *v; /* 0 marks an empty slot; the value 0 itself is kept in has_zero */
    size_t cap, n;
    int has_zero;
} ad_idset;

/* Returns 0, or -1 when out of memory. */
int ad_idset_add(ad_idset *s, int64_t x);
int ad_idset_has(const ad_idset *s, int64_t x);
void ad_idset_free(ad_idset *s);

/* A map int64 -> int64 (keys != 0), open addressing. */
typedef struct ad_idmap {
    int64_t *k, *v;
    size_t cap, n;
} ad_idmap;

int ad_idmap_put(ad_idmap *m, int64_t key, int64_t val);
/* The value for key, or 0. */
int64_t ad_idmap_get(const ad_idmap *m, int64_t key);
/* Adds delta to the value for key (0 when absent). */
int ad_idmap_add(ad_idmap *m, int64_t key, int64_t delta);
void ad_idmap_free(ad_idmap *m);

#endif
