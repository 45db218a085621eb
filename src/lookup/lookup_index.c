/* lookup_index.c: the PDQ match index of a store for lookups and triage: every media PDQ and
 * video frame PDQ in one ad_index, with the video of each frame and each video's frame count. */
#include <stdlib.h>

#include "ariadne/lookup.h"
#include "ariadne/media_hash.h"
#include "util/idset.h"

struct ad_lookup_index {
    ad_index *ix;
    ad_idmap frame_media;  /* frame id -> its video's media id */
    ad_idmap video_frames; /* video media id -> number of frame hashes */
    size_t nmore;          /* entries that are trimmed or area PDQs (media_hash) */
};

ad_code ad_lookup_index_new(ad_lookup_index **out, ad_err *err)
{
    *out = NULL;
    ad_lookup_index *lx = calloc(1, sizeof *lx);
    if (!lx)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    ad_code rc = ad_index_new(&lx->ix, err);
    if (rc) {
        free(lx);
        return rc;
    }
    *out = lx;
    return AD_OK;
}

void ad_lookup_index_free(ad_lookup_index *lx)
{
    if (!lx)
        return;
    ad_index_free(lx->ix);
    ad_idmap_free(&lx->frame_media);
    ad_idmap_free(&lx->video_frames);
    free(lx);
}

static int note_frame(ad_lookup_index *lx, int64_t id, int64_t media_id)
{
    return ad_idmap_put(&lx->frame_media, id, media_id) ||
           ad_idmap_add(&lx->video_frames, media_id, 1);
}

ad_code ad_lookup_index_adopt(ad_index *ix, const int64_t *frame_ids, const int64_t *frame_media,
                              size_t nframes, size_t nmore, ad_lookup_index **out, ad_err *err)
{
    *out = NULL;
    ad_lookup_index *lx = calloc(1, sizeof *lx);
    if (!lx) {
        ad_index_free(ix);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    lx->ix = ix;
    lx->nmore = nmore;
    for (size_t i = 0; i < nframes; i++)
        if (frame_ids[i] <= 0 || frame_media[i] <= 0 ||
            note_frame(lx, frame_ids[i], frame_media[i])) {
            ad_lookup_index_free(lx);
            return frame_ids[i] <= 0 || frame_media[i] <= 0
                       ? ad_err_set(err, AD_ERR_CORRUPT, "a frame without an id or video")
                       : ad_err_set(err, AD_ERR_NOMEM, "out of memory");
        }
    *out = lx;
    return AD_OK;
}

ad_code ad_lookup_index_add(ad_lookup_index *lx, const ad_h256 *pdq, int64_t id, int64_t media_id,
                            int is_frame, ad_err *err)
{
    if (id <= 0 || (is_frame && media_id <= 0))
        return ad_err_set(err, AD_ERR_ARG, "an index entry needs a media id");
    if (is_frame && note_frame(lx, id, media_id))
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    uint64_t e = is_frame ? AD_LOOKUP_FRAME_BIT | (uint64_t)id : (uint64_t)id;
    return ad_index_add(lx->ix, pdq, &e, 1, err);
}

ad_code ad_lookup_index_add_more(ad_lookup_index *lx, const ad_h256 *pdq, int64_t id,
                                 int is_frame, ad_err *err)
{
    if (id <= 0)
        return ad_err_set(err, AD_ERR_ARG, "an index entry needs a media id");
    uint64_t e = is_frame ? AD_LOOKUP_FRAME_BIT | (uint64_t)id : (uint64_t)id;
    ad_code rc = ad_index_add(lx->ix, pdq, &e, 1, err);
    lx->nmore += rc == AD_OK;
    return rc;
}

/* Loading: the PDQs are gathered in arrays and added in one call (one indexed segment). */
struct loader {
    ad_lookup_index *lx;
    ad_pdq_fn tap;
    void *tap_ctx;
    ad_h256 *h;
    uint64_t *ids;
    size_t n, cap;
    int oom; /* a stop from the callback is no error for the store: noted here */
};

static int push(struct loader *a, const ad_h256 *pdq, int64_t id, int64_t media_id, int is_frame)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 65536;
        ad_h256 *h = realloc(a->h, cap * sizeof *h);
        if (!h)
            return a->oom = 1;
        a->h = h;
        uint64_t *ids = realloc(a->ids, cap * sizeof *ids);
        if (!ids)
            return a->oom = 1;
        a->ids = ids;
        a->cap = cap;
    }
    a->h[a->n] = *pdq;
    a->ids[a->n++] = is_frame ? AD_LOOKUP_FRAME_BIT | (uint64_t)id : (uint64_t)media_id;
    return 0;
}

static int load_one(void *ctx, const ad_h256 *pdq, int64_t id, int64_t media_id, int is_frame)
{
    struct loader *a = ctx;
    if (a->tap && a->tap(a->tap_ctx, pdq, id, media_id, is_frame))
        return a->oom = 1;
    if (is_frame && note_frame(a->lx, id, media_id))
        return a->oom = 1;
    return push(a, pdq, id, media_id, is_frame);
}

/* A trimmed or area PDQ: one more entry of a media or frame (not another frame). */
static int load_more(void *ctx, const ad_h256 *pdq, int64_t id, int64_t media_id, int is_frame)
{
    struct loader *a = ctx;
    a->lx->nmore++;
    return push(a, pdq, id, media_id, is_frame);
}

ad_code ad_lookup_index_load(ad_store *st, ad_lookup_index **out, ad_err *err)
{
    return ad_lookup_index_load_tap(st, NULL, NULL, out, err);
}

ad_code ad_lookup_index_load_tap(ad_store *st, ad_pdq_fn tap, void *ctx, ad_lookup_index **out,
                                 ad_err *err)
{
    ad_code rc = ad_lookup_index_new(out, err);
    if (rc)
        return rc;
    struct loader a = {.lx = *out, .tap = tap, .tap_ctx = ctx};
    rc = ad_store_pdq_load(st, load_one, &a, err);
    if (!rc && !a.oom)
        rc = ad_store_media_hash_load(st, 0, load_more, &a, err);
    if (!rc && a.oom)
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory loading the PDQ index");
    if (!rc && a.n)
        rc = ad_index_add((*out)->ix, a.h, a.ids, a.n, err);
    free(a.h);
    free(a.ids);
    if (rc) {
        ad_lookup_index_free(*out);
        *out = NULL;
    }
    return rc;
}

const ad_index *ad_lookup_index_get(const ad_lookup_index *lx)
{
    return lx->ix;
}

int64_t ad_lookup_index_media(const ad_lookup_index *lx, uint64_t entry)
{
    return (entry & AD_LOOKUP_FRAME_BIT)
               ? ad_idmap_get(&lx->frame_media, (int64_t)(entry & ~AD_LOOKUP_FRAME_BIT))
               : (int64_t)entry;
}

int64_t ad_lookup_index_video_frames(const ad_lookup_index *lx, int64_t media_id)
{
    return ad_idmap_get(&lx->video_frames, media_id);
}

size_t ad_lookup_index_size(const ad_lookup_index *lx)
{
    return ad_index_size(lx->ix) - lx->nmore;
}

size_t ad_lookup_index_more(const ad_lookup_index *lx)
{
    return lx->nmore;
}
