/* known.c: what the store knows, loaded when a job starts: the PDQ index of lookups and triage
 * (ad_lookup_index_load: every media and video frame PDQ, which video each frame belongs to, how
 * many frames each video has), the frames' timestamps (for the known video's time ranges), the
 * complete media (with a PDQ or frames) and a sorted array of 64-bit prefixes of their strongest
 * digest, which the hashing stage asks before decoding a file. A known media the job completes
 * (its PDQ or frames from a copy) is learnt the same way as soon as it is written. */
#include <stdlib.h>
#include <string.h>

#include "ariadne/media_hash.h"
#include "pipeline_internal.h"

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

/* A complete media, and the strongest digest it has (SHA-256, else SHA-1, else MD5): an exact
 * copy has it. Media this job created are left out of the prefixes (their copies are new, and
 * are decoded). */
static int load_digest(void *ctx, int64_t media_id, const uint8_t *sha256, const uint8_t *md5,
                       const uint8_t *sha1)
{
    struct run *r = ctx;
    if (ad_idset_add(&r->complete, media_id))
        return r->known_oom = 1;
    const uint8_t *d = sha256 ? sha256 : sha1 ? sha1 : md5;
    if (!d || ad_idset_has(&r->job_new, media_id))
        return 0;
    ad_prefixes *p = &r->known;
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 65536;
        uint64_t *v = realloc(p->v, cap * sizeof *v);
        if (!v)
            return r->known_oom = 1;
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
    ad_code rc = ad_lookup_index_load(r->st, &r->lx, err);
    if (!rc)
        rc = ad_lookup_cache_new(&r->lcache, err);
    if (rc)
        return rc;
    pthread_mutex_lock(&r->pmu); /* the counting thread may be telling the stats */
    r->stats->index_entries = ad_lookup_index_size(r->lx);
    pthread_mutex_unlock(&r->pmu);
    rc = ad_store_complete_digests(r->st, load_digest, r, err);
    if (!rc && r->known_oom)
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory loading the known media");
    if (!rc && r->complete.n)
        rc = ad_store_frame_times(r->st, load_frame_time, r, err);
    if (!rc && r->known.n)
        qsort(r->known.v, r->known.n, sizeof *r->known.v, cmp_u64);
    return rc;
}

struct learner {
    ad_lookup_index *lx;
    int oom;
};

static int learn_pdq(void *ctx, const ad_h256 *pdq, int64_t id, int64_t media_id, int is_frame)
{
    struct learner *l = ctx;
    if (ad_lookup_index_add(l->lx, pdq, id, media_id, is_frame, NULL) != AD_OK)
        l->oom = 1;
    return l->oom;
}

/* The trimmed and area PDQs of a media learnt: more entries of its media or frames. */
static int learn_more(void *ctx, const ad_h256 *pdq, int64_t id, int64_t media_id, int is_frame)
{
    (void)media_id;
    struct learner *l = ctx;
    if (ad_lookup_index_add_more(l->lx, pdq, id, is_frame, NULL) != AD_OK)
        l->oom = 1;
    return l->oom;
}

ad_code ad_ingest_learn(struct run *r, int64_t media_id, ad_err *err)
{
    struct learner l = {r->lx, 0};
    ad_code rc = ad_store_pdq_load_media(r->st, media_id, learn_pdq, &l, err);
    if (!rc && !l.oom)
        rc = ad_store_media_hash_load(r->st, media_id, learn_more, &l, err);
    if (!rc && l.oom)
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (!rc && ad_lookup_index_video_frames(r->lx, media_id))
        rc = ad_store_frame_times_media(r->st, media_id, load_frame_time, r, err);
    return rc;
}

void ad_ingest_free_known(struct run *r)
{
    ad_lookup_index_free(r->lx);
    r->lx = NULL;
    ad_lookup_cache_free(r->lcache);
    r->lcache = NULL;
    ad_idmap_free(&r->frame_ts);
    ad_idset_free(&r->complete);
    ad_idset_free(&r->completed);
    free(r->known.v);
    memset(&r->known, 0, sizeof r->known);
}
