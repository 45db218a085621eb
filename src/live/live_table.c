/* live_table.c: the live index's two hash tables: ids by a pair of ids (list entries, grants)
 * and media ids by the first 64 bits of a digest (open addressing, linear probing, grown at
 * half load). */
#include <stdlib.h>
#include <string.h>

#include "live/live_int.h"

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

static size_t pslot(const ad_ptab *t, int64_t a, int64_t b)
{
    return (size_t)(mix((uint64_t)a * 0x9e3779b97f4a7c15ull ^ (uint64_t)b) & (t->cap - 1));
}

static int ptab_grow(ad_ptab *t)
{
    size_t cap = t->cap ? t->cap * 2 : 64;
    struct ad_pslot *s = calloc(cap, sizeof *s), *old = t->s;
    if (!s)
        return -1;
    size_t oc = t->cap;
    t->s = s;
    t->cap = cap;
    for (size_t i = 0; i < oc; i++) {
        if (!old[i].a)
            continue;
        size_t k = pslot(t, old[i].a, old[i].b);
        while (s[k].a)
            k = (k + 1) & (cap - 1);
        s[k] = old[i];
    }
    free(old);
    return 0;
}

int64_t *ad_ptab_find(const ad_ptab *t, int64_t a, int64_t b)
{
    if (!t->cap)
        return NULL;
    for (size_t k = pslot(t, a, b);; k = (k + 1) & (t->cap - 1)) {
        if (!t->s[k].a)
            return NULL;
        if (t->s[k].a == a && t->s[k].b == b)
            return &t->s[k].v;
    }
}

int ad_ptab_put(ad_ptab *t, int64_t a, int64_t b, int64_t v)
{
    int64_t *p = ad_ptab_find(t, a, b);
    if (p) {
        *p = v;
        return 0;
    }
    if ((t->n + 1) * 2 > t->cap && ptab_grow(t))
        return -1;
    size_t k = pslot(t, a, b);
    while (t->s[k].a)
        k = (k + 1) & (t->cap - 1);
    t->s[k].a = a;
    t->s[k].b = b;
    t->s[k].v = v;
    t->n++;
    return 0;
}

void ad_ptab_free(ad_ptab *t)
{
    free(t->s);
    memset(t, 0, sizeof *t);
}

uint64_t ad_dmap_key(const uint8_t *d)
{
    uint64_t k = 0;
    for (int i = 0; i < 8; i++)
        k = k << 8 | d[i];
    return k;
}

static int dmap_grow(ad_dmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 1024;
    struct ad_dslot *s = calloc(cap, sizeof *s), *old = m->s;
    if (!s)
        return -1;
    size_t oc = m->cap;
    m->s = s;
    m->cap = cap;
    for (size_t i = 0; i < oc; i++) {
        if (!old[i].id)
            continue;
        size_t k = (size_t)(mix(old[i].key) & (cap - 1));
        while (s[k].id)
            k = (k + 1) & (cap - 1);
        s[k] = old[i];
    }
    free(old);
    return 0;
}

int ad_dmap_add(ad_dmap *m, uint64_t key, int64_t id)
{
    if (m->cap) {
        for (size_t k = (size_t)(mix(key) & (m->cap - 1)); m->s[k].id; k = (k + 1) & (m->cap - 1))
            if (m->s[k].key == key && m->s[k].id == id)
                return 0;
    }
    if ((m->n + 1) * 2 > m->cap && dmap_grow(m))
        return -1;
    size_t k = (size_t)(mix(key) & (m->cap - 1));
    while (m->s[k].id)
        k = (k + 1) & (m->cap - 1);
    m->s[k].key = key;
    m->s[k].id = id;
    m->n++;
    return 0;
}

size_t ad_dmap_get(const ad_dmap *m, uint64_t key, int64_t *ids, size_t max)
{
    size_t n = 0;
    if (!m->cap)
        return 0;
    for (size_t k = (size_t)(mix(key) & (m->cap - 1)); m->s[k].id; k = (k + 1) & (m->cap - 1))
        if (m->s[k].key == key) {
            if (n < max)
                ids[n] = m->s[k].id;
            n++;
        }
    return n < max ? n : max;
}

void ad_dmap_free(ad_dmap *m)
{
    free(m->s);
    memset(m, 0, sizeof *m);
}
