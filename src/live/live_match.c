/* live_match.c: platform matching in the live index (ad_live_match): the media a hash finds
 * (digests exactly, PDQ within a radius over 1 or 8 forms, vPDQ by the share of query frames
 * that find a frame of a video), then the entries of those media in the lists granted to the
 * caller's agency, held-back entries left out; each hit counts towards its entry's rate, and
 * the hold rule (live.h) may hold the entry back at once. */
#include <stdlib.h>
#include <string.h>

#include "live/live_int.h"

void ad_live_hits_free(ad_live_hits *h)
{
    free(h->v);
    memset(h, 0, sizeof *h);
}

static int hits_push(ad_live_hits *h, const ad_live_hit *x)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        ad_live_hit *v = realloc(h->v, cap * sizeof *v);
        if (!v)
            return -1;
        h->v = v;
        h->cap = cap;
    }
    h->v[h->n++] = *x;
    return 0;
}

/* The media found, one candidate each (the best distance kept). */
typedef struct cand {
    int64_t media;
    int distance, variant, frames, used;
} cand;

typedef struct cands {
    cand *v;
    size_t n, cap;
    ad_idmap at; /* media -> index + 1, once there are more than CANDS_LINEAR */
} cands;

/* A match finds a few media: looked up in v itself (the map's first table is 16 KiB, cleared
 * for every request); a map only past this many. */
#define CANDS_LINEAR 16

static cand *cand_get(cands *c, int64_t media, int *fresh)
{
    *fresh = 0;
    if (c->n <= CANDS_LINEAR) {
        for (size_t i = 0; i < c->n; i++)
            if (c->v[i].media == media)
                return &c->v[i];
    } else {
        int64_t i = ad_idmap_get(&c->at, media);
        if (i)
            return &c->v[i - 1];
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        cand *v = realloc(c->v, cap * sizeof *v);
        if (!v)
            return NULL;
        c->v = v;
        c->cap = cap;
    }
    if (c->n == CANDS_LINEAR) /* the map from now on: the ones so far into it */
        for (size_t i = 0; i < c->n; i++)
            if (ad_idmap_put(&c->at, c->v[i].media, (int64_t)i + 1))
                return NULL;
    if (c->n >= CANDS_LINEAR && ad_idmap_put(&c->at, media, (int64_t)c->n + 1))
        return NULL;
    *fresh = 1;
    cand *x = &c->v[c->n++];
    memset(x, 0, sizeof *x);
    x->media = media;
    x->distance = 1 << 20;
    x->variant = -1;
    return x;
}

static ad_code oom(ad_err *err)
{
    return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
}

static ad_code find_digest(ad_live *lv, const ad_match_hash *h, cands *c, ad_err *err)
{
    ad_hash_kind k = h->type == AD_MATCH_MD5    ? AD_HASH_MD5
                     : h->type == AD_MATCH_SHA1 ? AD_HASH_SHA1
                                                : AD_HASH_SHA256;
    int64_t ids[16];
    size_t n = ad_dmap_get(&lv->dig[k], ad_dmap_key(h->digest), ids, 16);
    for (size_t i = 0; i < n; i++) {
        int fresh;
        cand *x = cand_get(c, ids[i], &fresh);
        if (!x)
            return oom(err);
        x->distance = 0;
    }
    return AD_OK;
}

/* pre: the hits of h's search when the batch has made it already (ad_live_match_batch), else
 * NULL: searched here. */
static ad_code find_pdq(ad_live *lv, const ad_match_hash *h, const ad_index_hits *pre, cands *c,
                        ad_err *err)
{
    ad_index_hits own = {0};
    const ad_index *ix = ad_lookup_index_get(lv->lx);
    ad_code rc = AD_OK;
    if (!pre) {
        rc = h->npdq == 8 ? ad_index_search_dihedral(ix, h->pdq, h->radius, &own, err)
                          : ad_index_search(ix, &h->pdq[0], h->radius, &own, err);
        pre = &own;
    }
    for (size_t i = 0; i < pre->n && rc == AD_OK; i++) {
        if (pre->v[i].id & AD_LOOKUP_FRAME_BIT)
            continue; /* a still matches stills: video frames are vPDQ's */
        int fresh;
        cand *x = cand_get(c, (int64_t)pre->v[i].id, &fresh);
        if (!x) {
            rc = oom(err);
        } else if (pre->v[i].dist < x->distance) {
            x->distance = pre->v[i].dist;
            x->variant = h->npdq == 8 ? pre->v[i].variant : 0;
        }
    }
    ad_index_hits_free(&own);
    return rc;
}

static ad_code find_vpdq(ad_live *lv, const ad_match_hash *h, cands *c, ad_err *err)
{
    ad_index_hits hits = {0};
    const ad_index *ix = ad_lookup_index_get(lv->lx);
    ad_code rc = AD_OK;
    int used = 0;
    cands all = {0}; /* every video some frame found, before the share is checked */
    for (size_t f = 0; f < h->nframes && rc == AD_OK; f++) {
        if (h->quality && h->quality[f] < 50)
            continue;
        used++;
        rc = ad_index_search(ix, &h->frames[f], h->radius, &hits, err);
        for (size_t i = 0; i < hits.n && rc == AD_OK; i++) {
            if (!(hits.v[i].id & AD_LOOKUP_FRAME_BIT))
                continue;
            int64_t video = ad_lookup_index_media(lv->lx, hits.v[i].id);
            int fresh;
            cand *x = video ? cand_get(&all, video, &fresh) : NULL;
            if (!video)
                continue;
            if (!x) {
                rc = oom(err);
                break;
            }
            if (x->used != used) { /* this query frame counts once per video */
                x->used = used;
                x->frames++;
            }
            if (hits.v[i].dist < x->distance)
                x->distance = hits.v[i].dist;
        }
    }
    for (size_t i = 0; i < all.n && rc == AD_OK; i++) {
        if (used == 0 || all.v[i].frames * 100 < h->min_pct * used)
            continue;
        int fresh;
        cand *x = cand_get(c, all.v[i].media, &fresh);
        if (!x) {
            rc = oom(err);
            break;
        }
        x->distance = all.v[i].distance;
        x->frames = all.v[i].frames;
        x->used = used;
    }
    free(all.v);
    ad_idmap_free(&all.at);
    ad_index_hits_free(&hits);
    return rc;
}

static int by_list_media(const void *a, const void *b)
{
    const ad_live_hit *x = a, *y = b;
    if (x->list_id != y->list_id)
        return x->list_id < y->list_id ? -1 : 1;
    return (x->media_id > y->media_id) - (x->media_id < y->media_id);
}

/* Counts a hit towards its entry's rate: 1 when the rule now holds it back. rate_mu held. */
static int count_hit(ad_live *lv, ad_lentry *e, int64_t window)
{
    if (e->window != window) {
        int64_t gone = window - e->window;
        if (gone > 0) {
            e->baseline = e->baseline * 0.8 + (double)e->count * 0.2;
            for (int64_t i = 1; i < gone && i < 64; i++)
                e->baseline *= 0.8; /* the empty windows between */
        }
        e->window = window;
        e->count = 0;
    }
    e->count++;
    return e->count > lv->o.hold_min && (double)e->count > lv->o.hold_factor * e->baseline;
}

static ad_code check_hash(const ad_match_hash *h, ad_err *err)
{
    if (h->type == AD_MATCH_PDQ && h->npdq != 1 && h->npdq != 8)
        return ad_err_set(err, AD_ERR_ARG, "a PDQ query has 1 or 8 forms");
    if (h->radius < 0 || h->radius > AD_MATCH_RADIUS_MAX)
        return ad_err_field(err, AD_ERR_ARG, "radius", "the radius is 0 to %d",
                            AD_MATCH_RADIUS_MAX);
    return AD_OK;
}

/* One hash's match, the read lock held (pre: its PDQ search already made, or NULL). */
static ad_code match_locked(ad_live *lv, int64_t agency_id, const ad_match_hash *h,
                            const ad_index_hits *pre, ad_live_hits *out, ad_live_hits *newly_held,
                            ad_err *err)
{
    out->n = 0;
    cands c = {0};
    ad_code rc;
    switch (h->type) {
    case AD_MATCH_PDQ:
        rc = find_pdq(lv, h, pre, &c, err);
        break;
    case AD_MATCH_VPDQ:
        rc = find_vpdq(lv, h, &c, err);
        break;
    default:
        rc = find_digest(lv, h, &c, err);
        break;
    }
    /* the granted, present entries of the media found */
    size_t first = out->n;
    for (size_t i = 0; i < c.n && rc == AD_OK && agency_id > 0; i++) {
        for (size_t e = (size_t)ad_idmap_get(&lv->media_first, c.v[i].media); e;
             e = lv->ent[e - 1].next) {
            ad_lentry *en = &lv->ent[e - 1];
            int64_t *g = ad_ptab_find(&lv->grants, en->list, agency_id);
            if (!en->present || !g || !*g || __atomic_load_n(&en->held, __ATOMIC_SEQ_CST))
                continue;
            ad_live_hit x = {en->list,       c.v[i].media,  c.v[i].distance,
                             c.v[i].variant, c.v[i].frames, c.v[i].used};
            if (hits_push(out, &x)) {
                rc = oom(err);
                break;
            }
        }
    }
    if (rc == AD_OK && out->n > first) {
        qsort(out->v + first, out->n - first, sizeof *out->v, by_list_media);
        /* the hold rule: each hit counts towards its entry's rate */
        int64_t window = ad_live_clock(lv) / lv->o.hold_window_s;
        size_t keep = first;
        pthread_mutex_lock(&lv->rate_mu);
        for (size_t i = first; i < out->n; i++) {
            int64_t *ix = ad_ptab_find(&lv->ent_ix, out->v[i].list_id, out->v[i].media_id);
            ad_lentry *en = &lv->ent[*ix - 1];
            if (count_hit(lv, en, window)) {
                if (!__atomic_exchange_n(&en->held, 1, __ATOMIC_SEQ_CST)) {
                    __atomic_add_fetch(&lv->nheld, 1, __ATOMIC_SEQ_CST);
                    if (newly_held && hits_push(newly_held, &out->v[i]))
                        rc = oom(err);
                }
                continue; /* held back from now on (by this call or another) */
            }
            out->v[keep++] = out->v[i];
        }
        pthread_mutex_unlock(&lv->rate_mu);
        out->n = keep;
    }
    free(c.v);
    ad_idmap_free(&c.at);
    return rc;
}

ad_code ad_live_match(ad_live *lv, int64_t agency_id, const ad_match_hash *h, ad_live_hits *out,
                      ad_live_hits *newly_held, ad_err *err)
{
    out->n = 0;
    ad_code rc = check_hash(h, err);
    if (rc != AD_OK)
        return rc;
    ad_live_read_lock(lv);
    rc = match_locked(lv, agency_id, h, NULL, out, newly_held, err);
    ad_live_read_unlock(lv);
    return rc;
}

ad_code ad_live_match_batch(ad_live *lv, int64_t agency_id, const ad_match_hash *v, size_t n,
                            ad_live_hits *outs, ad_live_hits *newly_held, ad_err *err)
{
    for (size_t i = 0; i < n; i++) {
        outs[i].n = 0;
        ad_code rc = check_hash(&v[i], err);
        if (rc != AD_OK)
            return rc;
    }
    /* the PDQ queries of one form count and radius searched together (the index's batch
     * search walks its tables once for all of them) */
    ad_index_hits *pre = calloc(n ? n : 1, sizeof *pre);
    size_t *which = malloc((n ? n : 1) * sizeof *which);
    ad_h256 *q = malloc((n ? n : 1) * 8 * sizeof *q);
    ad_index_hits *got = calloc(n ? n : 1, sizeof *got);
    int *done = calloc(n ? n : 1, sizeof *done);
    ad_code rc = pre && which && q && got && done ? AD_OK : oom(err);
    ad_live_read_lock(lv);
    const ad_index *ix = ad_lookup_index_get(lv->lx);
    for (size_t i = 0; i < n && rc == AD_OK; i++) {
        if (v[i].type != AD_MATCH_PDQ || done[i])
            continue;
        size_t nq = 0;
        int forms = v[i].npdq, radius = v[i].radius;
        for (size_t k = i; k < n; k++)
            if (v[k].type == AD_MATCH_PDQ && !done[k] && v[k].npdq == forms &&
                v[k].radius == radius) {
                memcpy(&q[nq * (size_t)forms], v[k].pdq, (size_t)forms * sizeof *q);
                which[nq++] = k;
                done[k] = 1;
            }
        if (nq < 4) { /* too few to gain: each searched on its own below */
            for (size_t k = 0; k < nq; k++)
                done[which[k]] = 2;
            continue;
        }
        rc = ad_index_search_batch(ix, q, nq, forms == 8, radius, 1, got, err);
        for (size_t k = 0; k < nq; k++) {
            pre[which[k]] = got[k];
            memset(&got[k], 0, sizeof got[k]);
        }
    }
    for (size_t i = 0; i < n && rc == AD_OK; i++)
        rc = match_locked(lv, agency_id, &v[i], done[i] == 1 ? &pre[i] : NULL, &outs[i], newly_held,
                          err);
    ad_live_read_unlock(lv);
    for (size_t i = 0; pre && i < n; i++)
        ad_index_hits_free(&pre[i]);
    for (size_t i = 0; got && i < n; i++)
        ad_index_hits_free(&got[i]);
    free(pre);
    free(which);
    free(q);
    free(got);
    free(done);
    return rc;
}
