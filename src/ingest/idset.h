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

#endif
