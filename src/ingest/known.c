/* known.c: what the store knows, loaded when a job starts: every PDQ hash (media, and video
 * frames with their frame ids) into the match index, which video each frame belongs to, how many
 * frames each known video has and the frames' timestamps (for the known video's time ranges);
 * the complete media (with a PDQ or frames) and a sorted array of 64-bit prefixes of their
 * strongest digest, which the hashing stage asks before decoding a file. A known media the job
 * completes (its PDQ or frames from a copy) is learnt the same way as soon as it is written. */
#include <stdlib.h>
#include <string.h>

#include "pipeline_internal.h"

struct loader {
    ad_h256 *h;
    uint64_t *ids;
    size_t n, cap;
    struct run *r;
    int oom;
};

static int load_pdq(void *ctx, const ad_h256 *pdq, int64_t id, int64_t media_id, int is_frame)
{
    struct loader *a = ctx;
    if (is_frame && (ad_idmap_put(&a->r->frame_media, id, media_id) ||
                     ad_idmap_add(&a->r->video_frames, media_id, 1)))
        return a->oom = 1;
    if (ad_idset_add(&a->r->complete, media_id))
        return a->oom = 1;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 65536;
        ad_h256 *h = realloc(a->h, cap * sizeof *h);
        uint64_t *ids = h ? realloc(a->ids, cap * sizeof *ids) : NULL;
        if (!h || !ids) {
            if (h)
                a->h = h;
            return a->oom = 1;
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

static uint64_t prefix(const uint8_t *d)
{
    uint64_t v;
    memcpy(&v, d, 8);
    return v;
}

/* The strongest digest of a complete media (SHA-256, else SHA-1, else MD5): an exact copy has
 * it. Media this job created are left out (their copies are new, and are decoded). */
static int load_digest(void *ctx, int64_t media_id, const uint8_t *sha256, const uint8_t *md5,
                       const uint8_t *sha1)
{
    struct loader *a = ctx;
    struct run *r = a->r;
    const uint8_t *d = sha256 ? sha256 : sha1 ? sha1 : md5;
    if (!d || ad_idset_has(&r->job_new, media_id))
        return 0;
    ad_prefixes *p = &r->known;
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 65536;
        uint64_t *v = realloc(p->v, cap * sizeof *v);
        if (!v)
            return a->oom = 1;
        p->v = v;
        p->cap = cap;
    }
    p->v[p->n++] = prefix(d);
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int has_prefix(const ad_prefixes *p, const uint8_t *d)
{
    uint64_t x = prefix(d);
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->n && p->v[lo] == x;
}

int ad_ingest_digest_known(const struct run *r, const ad_digests *d)
{
    return r->known.n && (has_prefix(&r->known, d->sha256) || has_prefix(&r->known, d->sha1) ||
                          has_prefix(&r->known, d->md5));
}

ad_code ad_ingest_load_known(struct run *r, ad_err *err)
{
    struct loader a = {.r = r};
    ad_code rc = ad_index_new(&r->ix, err);
    if (!rc)
        rc = ad_store_pdq_load(r->st, load_pdq, &a, err);
    if (!rc && a.n)
        rc = ad_index_add(r->ix, a.h, a.ids, a.n, err);
    pthread_mutex_lock(&r->pmu); /* the counting thread reads the stats under it */
    r->stats->index_entries = a.n;
    pthread_mutex_unlock(&r->pmu);
    free(a.h);
    free(a.ids);
    if (!rc && r->video_frames.n)
        rc = ad_store_frame_times(r->st, load_frame_time, r, err);
    if (!rc && r->complete.n)
        rc = ad_store_complete_digests(r->st, load_digest, &a, err);
    if (!rc && a.oom)
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory loading the index");
    if (!rc && r->known.n)
        qsort(r->known.v, r->known.n, sizeof *r->known.v, cmp_u64);
    return rc;
}

ad_code ad_ingest_learn(struct run *r, int64_t media_id, ad_err *err)
{
    struct loader a = {.r = r};
    ad_code rc = ad_store_pdq_load_media(r->st, media_id, load_pdq, &a, err);
    if (!rc && a.n)
        rc = ad_index_add(r->ix, a.h, a.ids, a.n, err);
    free(a.h);
    free(a.ids);
    if (!rc && a.oom)
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (!rc && ad_idmap_get(&r->video_frames, media_id))
        rc = ad_store_frame_times_media(r->st, media_id, load_frame_time, r, err);
    return rc;
}

void ad_ingest_free_known(struct run *r)
{
    ad_index_free(r->ix);
    r->ix = NULL;
    ad_idmap_free(&r->frame_media);
    ad_idmap_free(&r->video_frames);
    ad_idmap_free(&r->frame_ts);
    ad_idset_free(&r->complete);
    ad_idset_free(&r->completed);
    free(r->known.v);
    memset(&r->known, 0, sizeof r->known);
}
