/* idset.c: open-addressing set of int64 values. */
#include <stdlib.h>

#include "idset.h"

static size_t slot(int64_t x, size_t cap)
{
    uint64_t h = (uint64_t)x * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 17) & (cap - 1);
}

static int grow(ad_idset *s)
{
    size_t cap = s->cap ? s->cap * 2 : 1024;
    int64_t *v = calloc(cap, sizeof *v);
    if (!v)
        return -1;
    for (size_t i = 0; i < s->cap; i++)
        if (s->v[i]) {
            size_t j = slot(s->v[i], cap);
            while (v[j])
                j = (j + 1) & (cap - 1);
            v[j] = s->v[i];
        }
    free(s->v);
    s->v = v;
    s->cap = cap;
    return 0;
}

int ad_idset_add(ad_idset *s, int64_t x)
{
    if (!x) {
        s->has_zero = 1;
        return 0;
    }
    if ((s->n + 1) * 2 > s->cap && grow(s))
        return -1;
    size_t j = slot(x, s->cap);
    while (s->v[j]) {
        if (s->v[j] == x)
            return 0;
        j = (j + 1) & (s->cap - 1);
    }
    s->v[j] = x;
    s->n++;
    return 0;
}

int ad_idset_has(const ad_idset *s, int64_t x)
{
    if (!x)
        return s->has_zero;
    if (!s->cap)
        return 0;
    size_t j = slot(x, s->cap);
    while (s->v[j]) {
        if (s->v[j] == x)
            return 1;
        j = (j + 1) & (s->cap - 1);
    }
    return 0;
}

void ad_idset_free(ad_idset *s)
{
    free(s->v);
    s->v = NULL;
    s->cap = s->n = 0;
    s->has_zero = 0;
}
