/* lookup_cache.c: the classifications one run makes (a triage job, a report): each media is
 * classified by the store once, however many files find it as a neighbour. Media in no series
 * take 16 bytes (their class); those in a series keep their whole classification (series,
 * owner, contact). */
#include <stdlib.h>
#include <string.h>

#include "ariadne/lookup.h"
#include "util/idset.h"

struct ad_lookup_cache {
    ad_idmap plain;       /* media id -> class + 1 (no series) */
    ad_idmap full;        /* media id -> index + 1 into v */
    ad_classification *v; /* classifications that name a series */
    size_t n, cap;
};

ad_code ad_lookup_cache_new(ad_lookup_cache **out, ad_err *err)
{
    *out = calloc(1, sizeof **out);
    return *out ? AD_OK : ad_err_set(err, AD_ERR_NOMEM, "out of memory");
}

void ad_lookup_cache_free(ad_lookup_cache *c)
{
    if (!c)
        return;
    ad_idmap_free(&c->plain);
    ad_idmap_free(&c->full);
    free(c->v);
    free(c);
}

static int keep(ad_lookup_cache *c, int64_t id, const ad_classification *x)
{
    if (!x->series_id)
        return ad_idmap_put(&c->plain, id, (int64_t)x->cls + 1);
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        ad_classification *v = realloc(c->v, cap * sizeof *v);
        if (!v)
            return -1;
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n] = *x;
    return ad_idmap_put(&c->full, id, (int64_t)++c->n);
}

ad_code ad_lookup_classify(ad_store *st, ad_lookup_cache *c, int64_t media_id,
                           ad_classification *out, ad_err *err)
{
    if (c && media_id > 0) {
        int64_t at = ad_idmap_get(&c->full, media_id), cls = ad_idmap_get(&c->plain, media_id);
        if (at) {
            *out = c->v[at - 1];
            return AD_OK;
        }
        if (cls) {
            memset(out, 0, sizeof *out);
            out->cls = (ad_class)(cls - 1);
            out->media_id = out->cls == AD_CLASS_NEW ? 0 : media_id;
            return AD_OK;
        }
    }
    ad_code rc = ad_store_classify(st, media_id, out, err);
    if (!rc && c && media_id > 0 && keep(c, media_id, out))
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    return rc;
}
