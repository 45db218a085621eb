/* xmap.c: a small string -> int64 map (open addressing, FNV-1a), and growing arrays: what the
 * importer and exporter keep per distinct series, agency or record while they stream. */
#include <stdlib.h>
#include <string.h>

#include "xinternal.h"

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static size_t slot(const ad_xmap *m, const char *key)
{
    size_t i = (size_t)hash(key) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key))
        i = (i + 1) & (m->cap - 1);
    return i;
}

int ad_xmap_get(const ad_xmap *m, const char *key, int64_t *val)
{
    if (!m->cap)
        return 0;
    size_t i = slot(m, key);
    if (!m->keys[i])
        return 0;
    *val = m->vals[i];
    return 1;
}

int ad_xmap_put(ad_xmap *m, const char *key, int64_t val)
{
    if (2 * (m->n + 1) > m->cap) {
        ad_xmap g = {calloc(m->cap ? 2 * m->cap : 64, sizeof(char *)),
                     calloc(m->cap ? 2 * m->cap : 64, sizeof(int64_t)), m->cap ? 2 * m->cap : 64,
                     0};
        if (!g.keys || !g.vals) {
            free(g.keys);
            free(g.vals);
            return 0;
        }
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i]) {
                size_t j = slot(&g, m->keys[i]);
                g.keys[j] = m->keys[i];
                g.vals[j] = m->vals[i];
                g.n++;
            }
        free(m->keys);
        free(m->vals);
        *m = g;
    }
    size_t i = slot(m, key);
    if (!m->keys[i]) {
        if (!(m->keys[i] = strdup(key)))
            return 0;
        m->n++;
    }
    m->vals[i] = val;
    return 1;
}

void ad_xmap_free(ad_xmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

int ad_x_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 1;
    size_t n = *cap ? 2 * *cap : 16;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * elem);
    if (!q)
        return 0;
    *p = q;
    *cap = n;
    return 1;
}
