/* idset.c: open-addressing set of int64 values. */
#include <stdlib.h>
#include <string.h>

#include "util/idset.h"

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

static int map_grow(ad_idmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 1024;
    int64_t *k = calloc(cap, sizeof *k), *v = calloc(cap, sizeof *v);
    if (!k || !v) {
        free(k);
        free(v);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++)
        if (m->k[i]) {
            size_t j = slot(m->k[i], cap);
            while (k[j])
                j = (j + 1) & (cap - 1);
            k[j] = m->k[i];
            v[j] = m->v[i];
        }
    free(m->k);
    free(m->v);
    m->k = k;
    m->v = v;
    m->cap = cap;
    return 0;
}

static int64_t *map_slot(ad_idmap *m, int64_t key, int create)
{
    if (!key || (!m->cap && !create))
        return NULL;
    if (create && (m->n + 1) * 2 > m->cap && map_grow(m))
        return NULL;
    size_t j = slot(key, m->cap);
    while (m->k[j]) {
        if (m->k[j] == key)
            return &m->v[j];
        j = (j + 1) & (m->cap - 1);
    }
    if (!create)
        return NULL;
    m->k[j] = key;
    m->v[j] = 0;
    m->n++;
    return &m->v[j];
}

int ad_idmap_put(ad_idmap *m, int64_t key, int64_t val)
{
    int64_t *p = map_slot(m, key, 1);
    if (!p)
        return -1;
    *p = val;
    return 0;
}

int64_t ad_idmap_get(const ad_idmap *m, int64_t key)
{
    int64_t *p = map_slot((ad_idmap *)m, key, 0);
    return p ? *p : 0;
}

int ad_idmap_add(ad_idmap *m, int64_t key, int64_t delta)
{
    int64_t *p = map_slot(m, key, 1);
    if (!p)
        return -1;
    *p += delta;
    return 0;
}

void ad_idmap_free(ad_idmap *m)
{
    free(m->k);
    free(m->v);
    memset(m, 0, sizeof *m);
}
