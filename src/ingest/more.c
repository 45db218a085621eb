/* more.c: what ingest keeps beside a decoded picture's plain PDQ (ariadne/media_hash.h): its
 * trimmed PDQ when a border was found and its area PDQ, and a video's frames' trimmed PDQs when
 * it has bars, written with the batch, so that a later copy without the border, or truly
 * turned, finds it. A media keeps the first ones written. */
#include <stdlib.h>

#include "ariadne/media_hash.h"
#include "pipeline_internal.h"

static size_t of_task(const struct task *t, int64_t mid, ad_media_hash *out)
{
    size_t n = 0;
    if (!t->fh.has_more)
        return 0;
    const ad_pdq_more *m = &t->fh.more;
    if (m->has_trim)
        out[n++] = (ad_media_hash){mid, -1, AD_MHASH_TRIM, m->trim.hash, m->trim.quality,
                                   m->content};
    if (m->has_area)
        out[n++] = (ad_media_hash){mid, -1, AD_MHASH_AREA, m->area.hash, m->area.quality,
                                   (ad_rect){0, 0, 0, 0}};
    return n;
}

/* A video with bars: the trimmed PDQ of each hashed frame. */
static size_t of_frames(const struct task *t, int64_t mid, ad_media_hash *out)
{
    const ad_vpdq_video *v = &t->vid;
    if (!t->has_video || !v->has_trim)
        return 0;
    for (size_t f = 0; f < v->n; f++)
        out[f] = (ad_media_hash){mid, v->frames[f].frame_number, AD_MHASH_TRIM, v->trim[f * 8],
                                 v->trim_quality[f], v->content};
    return v->n;
}

ad_code ad_ingest_write_more(struct run *r, const int64_t *mids, const size_t *of, size_t nm,
                             ad_err *err)
{
    size_t cap = 2 * nm + 1;
    for (size_t k = 0; k < nm; k++) {
        const struct task *t = &r->write->t[of[k]];
        if (t->has_video && t->vid.has_trim)
            cap += t->vid.n;
    }
    ad_media_hash *h = calloc(cap, sizeof *h);
    if (!h)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    size_t n = 0;
    for (size_t k = 0; k < nm; k++) {
        n += of_task(&r->write->t[of[k]], mids[k], h + n);
        n += of_frames(&r->write->t[of[k]], mids[k], h + n);
    }
    ad_code rc = ad_store_media_hash_add(r->st, h, n, err);
    free(h);
    return rc;
}
