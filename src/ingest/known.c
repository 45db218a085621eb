/* known.c: what the store knows, loaded when a job starts: every PDQ hash (media, and video
 * frames with their frame ids) into the match index, which video each frame belongs to, how many
 * frames each known video has and the frames' timestamps (for the known video's time ranges). */
#include <stdlib.h>

#include "pipeline_internal.h"

struct loader {
    ad_h256 *h;
    uint64_t *ids;
    size_t n, cap;
    struct run *r;
};

static int load_pdq(void *ctx, const ad_h256 *pdq, int64_t id, int64_t media_id, int is_frame)
{
    struct loader *a = ctx;
    if (is_frame && (ad_idmap_put(&a->r->frame_media, id, media_id) ||
                     ad_idmap_add(&a->r->video_frames, media_id, 1)))
        return 1;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 65536;
        ad_h256 *h = realloc(a->h, cap * sizeof *h);
        uint64_t *ids = h ? realloc(a->ids, cap * sizeof *ids) : NULL;
        if (!h || !ids) {
            if (h)
                a->h = h;
            return 1;
        }
        a->h = h;
        a->ids = ids;
        a->cap = cap;
    }
    a->h[a->n] = *pdq;
    a->ids[a->n++] = is_frame ? AD_INGEST_FRAME_BIT | (uint64_t)id : (uint64_t)media_id;
    return 0;
}

static int load_frame_time(void *ctx, int64_t frame_id, int64_t media_id, int64_t ts_ms)
{
    (void)media_id;
    struct run *r = ctx;
    return ts_ms >= 0 && ad_idmap_put(&r->frame_ts, frame_id, ts_ms + 1) != 0;
}

ad_code ad_ingest_load_known(struct run *r, ad_err *err)
{
    struct loader a = {.r = r};
    ad_code rc = ad_index_new(&r->ix, err);
    if (!rc)
        rc = ad_store_pdq_load(r->st, load_pdq, &a, err);
    if (!rc && a.n)
        rc = ad_index_add(r->ix, a.h, a.ids, a.n, err);
    r->stats->index_entries = a.n;
    free(a.h);
    free(a.ids);
    if (!rc && r->video_frames.n)
        rc = ad_store_frame_times(r->st, load_frame_time, r, err);
    return rc;
}

void ad_ingest_free_known(struct run *r)
{
    ad_index_free(r->ix);
    r->ix = NULL;
    ad_idmap_free(&r->frame_media);
    ad_idmap_free(&r->video_frames);
    ad_idmap_free(&r->frame_ts);
}
