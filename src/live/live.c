/* live.c: the live index (live.h): loading it from a store, applying the index log's changes
 * (idempotent: a change names a record, whose state as read is applied), the read lock and
 * the readers' small lookups, the statistics. The follower is live_follow.c, platform
 * matching and the hold rule live_match.c. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ariadne/util.h"
#include "live/live_int.h"

void ad_live_opts_default(ad_live_opts *o)
{
    memset(o, 0, sizeof *o);
    o->hold_window_s = 3600;
    o->hold_min = 100;
    o->hold_factor = 10;
}

int64_t ad_live_clock(const ad_live *lv)
{
    return lv->o.clock ? lv->o.clock(lv->o.clock_ctx) : (int64_t)time(NULL);
}

static ad_code oom(ad_err *err)
{
    return ad_err_set(err, AD_ERR_NOMEM, "out of memory in the live index");
}

ad_lentry *ad_live_entry_slot(ad_live *lv, int64_t list, int64_t media)
{
    int64_t *ix = ad_ptab_find(&lv->ent_ix, list, media);
    if (ix)
        return &lv->ent[*ix - 1];
    if (lv->nent == lv->cap_ent) {
        size_t cap = lv->cap_ent ? lv->cap_ent * 2 : 256;
        ad_lentry *e = realloc(lv->ent, cap * sizeof *e);
        if (!e)
            return NULL;
        lv->ent = e;
        lv->cap_ent = cap;
    }
    if (ad_ptab_put(&lv->ent_ix, list, media, (int64_t)lv->nent + 1))
        return NULL;
    ad_lentry *e = &lv->ent[lv->nent];
    memset(e, 0, sizeof *e);
    e->list = list;
    e->media = media;
    e->next = (size_t)ad_idmap_get(&lv->media_first, media);
    if (ad_idmap_put(&lv->media_first, media, (int64_t)lv->nent + 1))
        return NULL;
    lv->nent++;
    return e;
}

static ad_code add_digests(ad_live *lv, int64_t id, const uint8_t *sha256, const uint8_t *md5,
                           const uint8_t *sha1)
{
    const uint8_t *d[3] = {md5, sha1, sha256}; /* by ad_hash_kind */
    for (int k = 0; k < 3; k++) {
        if (!d[k])
            continue;
        size_t before = lv->dig[k].n;
        if (ad_dmap_add(&lv->dig[k], ad_dmap_key(d[k]), id))
            return AD_ERR_NOMEM;
        lv->ndig += lv->dig[k].n - before;
    }
    return AD_OK;
}

static ad_code add_pdq(ad_live *lv, const ad_h256 *pdq, int64_t id, int64_t media, int frame,
                       ad_err *err)
{
    ad_idset *seen = frame ? &lv->frames : &lv->media_pdq;
    if (ad_idset_has(seen, id))
        return AD_OK; /* a PDQ once known is never changed (merges fill unknown fields only) */
    ad_code rc = ad_lookup_index_add(lv->lx, pdq, id, media, frame, err);
    if (rc == AD_OK && ad_idset_add(seen, id))
        rc = oom(err);
    return rc;
}

/* A trimmed or area PDQ (schema 18): one more entry of its media or frame. Extra hashes are never
 * changed once written, but one written while the index was loaded is both loaded and in the
 * log after the load's position: an entry that is there already (same hash, same entry) is
 * not added twice. */
static ad_code add_extra(ad_live *lv, const ad_h256 *pdq, int64_t id, int is_frame, ad_err *err)
{
    const uint64_t entry = is_frame ? AD_LOOKUP_FRAME_BIT | (uint64_t)id : (uint64_t)id;
    ad_index_hits hits = {0};
    ad_code rc = ad_index_search(ad_lookup_index_get(lv->lx), pdq, 0, &hits, err);
    int there = 0;
    for (size_t i = 0; rc == AD_OK && i < hits.n && !there; i++)
        there = hits.v[i].id == entry;
    ad_index_hits_free(&hits);
    if (rc == AD_OK && !there)
        rc = ad_lookup_index_add_more(lv->lx, pdq, id, is_frame, err);
    return rc;
}

static void set_present(ad_live *lv, ad_lentry *e, int present)
{
    if (e->present != present)
        lv->present += present ? 1 : (size_t)-1;
    e->present = present;
}

static void set_held(ad_live *lv, ad_lentry *e, int held)
{
    int was = __atomic_exchange_n(&e->held, held, __ATOMIC_SEQ_CST);
    if (!was != !held) {
        if (held)
            __atomic_add_fetch(&lv->nheld, 1, __ATOMIC_SEQ_CST);
        else
            __atomic_sub_fetch(&lv->nheld, 1, __ATOMIC_SEQ_CST);
    }
    if (was && !held) {
        /* released by its owner: its rate so far becomes its baseline */
        pthread_mutex_lock(&lv->rate_mu);
        if ((double)e->count > e->baseline)
            e->baseline = (double)e->count;
        pthread_mutex_unlock(&lv->rate_mu);
    }
}

static ad_code put_list(ad_live *lv, int64_t id, const char *name, int64_t agency)
{
    ad_llist *l = NULL;
    for (size_t i = 0; i < lv->nlists && !l; i++)
        if (lv->lists[i].id == id)
            l = &lv->lists[i];
    if (!l) {
        ad_llist *v = realloc(lv->lists, (lv->nlists + 1) * sizeof *v);
        if (!v)
            return AD_ERR_NOMEM;
        lv->lists = v;
        l = &v[lv->nlists++];
        l->id = id;
    }
    snprintf(l->name, sizeof l->name, "%s", name ? name : "");
    l->agency = agency;
    return AD_OK;
}

ad_code ad_live_apply(ad_live *lv, const ad_ixchange *c, ad_err *err)
{
    ad_lentry *e;
    switch (c->kind) {
    case AD_IX_MEDIA:
        if (!c->present)
            return AD_OK;
        if (add_digests(lv, c->a, c->has_sha256 ? c->sha256 : NULL, c->has_md5 ? c->md5 : NULL,
                        c->has_sha1 ? c->sha1 : NULL))
            return oom(err);
        return c->has_pdq ? add_pdq(lv, &c->pdq, c->a, c->a, 0, err) : AD_OK;
    case AD_IX_FRAME:
        return c->present && c->has_pdq ? add_pdq(lv, &c->pdq, c->a, c->media_id, 1, err)
                                        : AD_OK;
    case AD_IX_ENTRY:
        if (!(e = ad_live_entry_slot(lv, c->a, c->b)))
            return oom(err);
        set_present(lv, e, c->present);
        return AD_OK;
    case AD_IX_HOLD:
        if (!(e = ad_live_entry_slot(lv, c->a, c->b)))
            return oom(err);
        set_held(lv, e, c->present);
        return AD_OK;
    case AD_IX_GRANT:
        return ad_ptab_put(&lv->grants, c->a, c->b, c->present) ? oom(err) : AD_OK;
    case AD_IX_LIST:
        return c->present && put_list(lv, c->a, c->name, c->agency_id) ? oom(err) : AD_OK;
    case AD_IX_EXTRA: /* b: the frame's row id, 0 for the media's own */
        return c->present && c->has_pdq ? add_extra(lv, &c->pdq, c->b ? c->b : c->a, c->b != 0, err)
                                        : AD_OK;
    default:
        return AD_OK; /* a kind of a later version: nothing this one searches */
    }
}

/* ---- loading ------------------------------------------------------------------------- */

struct load {
    ad_live *lv;
    ad_ixkind kind;
    int oom;
};

static int on_digests(void *ctx, int64_t id, const uint8_t *sha256, const uint8_t *md5,
                      const uint8_t *sha1)
{
    struct load *l = ctx;
    return l->oom = add_digests(l->lv, id, sha256, md5, sha1) != AD_OK;
}

static int on_pair(void *ctx, int64_t a, int64_t b)
{
    struct load *l = ctx;
    ad_ixchange c;
    memset(&c, 0, sizeof c);
    c.kind = l->kind;
    c.a = a;
    c.b = b;
    c.present = 1;
    return l->oom = ad_live_apply(l->lv, &c, NULL) != AD_OK;
}

static int on_list_name(void *ctx, int64_t id, const char *name, int64_t agency)
{
    struct load *l = ctx;
    return l->oom = put_list(l->lv, id, name, agency) != AD_OK;
}

static int on_pdq(void *ctx, const ad_h256 *pdq, int64_t id, int64_t media_id, int is_frame)
{
    struct load *l = ctx;
    (void)pdq;
    (void)media_id;
    return l->oom = ad_idset_add(is_frame ? &l->lv->frames : &l->lv->media_pdq, id) != 0;
}

ad_live *ad_live_new(const ad_live_opts *opts)
{
    ad_live *lv = calloc(1, sizeof *lv);
    if (!lv)
        return NULL;
    if (opts)
        lv->o = *opts;
    else
        ad_live_opts_default(&lv->o);
    if (lv->o.hold_window_s <= 0)
        lv->o.hold_window_s = 3600;
    if (lv->o.hold_min <= 0)
        lv->o.hold_min = 100;
    if (lv->o.hold_factor <= 0)
        lv->o.hold_factor = 10;
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    /* readers never starve the follower */
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&lv->lock, &ra);
    pthread_rwlockattr_destroy(&ra);
    pthread_mutex_init(&lv->rate_mu, NULL);
    pthread_mutex_init(&lv->st_mu, NULL);
    return lv;
}

ad_code ad_live_load(ad_store *st, const ad_live_opts *opts, ad_live **out, ad_err *err)
{
    *out = NULL;
    ad_live *lv = ad_live_new(opts);
    if (!lv)
        return oom(err);
    /* the position first: a change committed during the load is applied again by the first
     * follow round (applying is idempotent) */
    ad_code rc = ad_store_index_seq(st, &lv->seq, err);
    struct load l = {lv, AD_IX_ENTRY, 0};
    if (rc == AD_OK) /* noting which media and frames the index holds */
        rc = ad_lookup_index_load_tap(st, on_pdq, &l, &lv->lx, err);
    if (rc == AD_OK)
        rc = ad_store_digests_all(st, on_digests, &l, err);
    static const ad_ixkind pairs[] = {AD_IX_ENTRY, AD_IX_GRANT, AD_IX_HOLD};
    for (int i = 0; i < 3 && rc == AD_OK && !l.oom; i++) {
        l.kind = pairs[i];
        rc = ad_store_index_pairs(st, pairs[i], on_pair, &l, err);
    }
    if (rc == AD_OK && !l.oom)
        rc = ad_store_list_names(st, on_list_name, &l, err);
    if (rc == AD_OK && l.oom)
        rc = oom(err);
    if (rc != AD_OK) {
        ad_live_free(lv);
        return rc;
    }
    lv->last_follow = ad_now();
    *out = lv;
    return AD_OK;
}

void ad_live_free(ad_live *lv)
{
    if (!lv)
        return;
    ad_live_follow_stop(lv);
    ad_lookup_index_free(lv->lx);
    ad_idset_free(&lv->media_pdq);
    ad_idset_free(&lv->frames);
    for (int k = 0; k < 3; k++)
        ad_dmap_free(&lv->dig[k]);
    free(lv->ent);
    ad_ptab_free(&lv->ent_ix);
    ad_idmap_free(&lv->media_first);
    ad_ptab_free(&lv->grants);
    free(lv->lists);
    free(lv->url);
    pthread_rwlock_destroy(&lv->lock);
    pthread_mutex_destroy(&lv->rate_mu);
    pthread_mutex_destroy(&lv->st_mu);
    free(lv);
}

/* ---- readers ------------------------------------------------------------------------- */

void ad_live_read_lock(ad_live *lv)
{
    pthread_rwlock_rdlock(&lv->lock);
}

void ad_live_read_unlock(ad_live *lv)
{
    pthread_rwlock_unlock(&lv->lock);
}

const ad_lookup_index *ad_live_index(const ad_live *lv)
{
    return lv->lx;
}

size_t ad_live_digest(ad_live *lv, ad_hash_kind kind, const uint8_t *digest, int64_t *ids,
                      size_t max)
{
    if (kind > AD_HASH_SHA256 || !digest)
        return 0;
    ad_live_read_lock(lv);
    size_t n = ad_dmap_get(&lv->dig[kind], ad_dmap_key(digest), ids, max);
    ad_live_read_unlock(lv);
    return n;
}

int ad_live_list(ad_live *lv, int64_t list_id, char *name, size_t cap, int64_t *agency_id)
{
    int found = 0;
    ad_live_read_lock(lv);
    for (size_t i = 0; i < lv->nlists && !found; i++)
        if (lv->lists[i].id == list_id) {
            found = 1;
            if (name && cap)
                snprintf(name, cap, "%s", lv->lists[i].name);
            if (agency_id)
                *agency_id = lv->lists[i].agency;
        }
    ad_live_read_unlock(lv);
    return found;
}

int ad_live_granted(ad_live *lv, int64_t list_id, int64_t agency_id)
{
    ad_live_read_lock(lv);
    int64_t *g = ad_ptab_find(&lv->grants, list_id, agency_id);
    int yes = g && *g;
    ad_live_read_unlock(lv);
    return yes;
}

int ad_live_entry(ad_live *lv, int64_t list_id, int64_t media_id, int *held)
{
    ad_live_read_lock(lv);
    int64_t *ix = ad_ptab_find(&lv->ent_ix, list_id, media_id);
    int yes = ix && lv->ent[*ix - 1].present;
    if (held)
        *held = ix && __atomic_load_n(&lv->ent[*ix - 1].held, __ATOMIC_SEQ_CST);
    ad_live_read_unlock(lv);
    return yes;
}

void ad_live_stats_get(ad_live *lv, ad_live_stats *out)
{
    memset(out, 0, sizeof *out);
    ad_live_read_lock(lv);
    out->seq = lv->seq;
    out->pdq = ad_lookup_index_size(lv->lx);
    out->digests = lv->ndig;
    out->entries = lv->present;
    out->held = __atomic_load_n(&lv->nheld, __ATOMIC_SEQ_CST);
    ad_live_read_unlock(lv);
    pthread_mutex_lock(&lv->st_mu);
    out->follows = lv->follows;
    out->last_follow = lv->last_follow;
    out->follow_error = lv->follow_error;
    snprintf(out->follow_msg, sizeof out->follow_msg, "%s", lv->follow_msg);
    pthread_mutex_unlock(&lv->st_mu);
}
