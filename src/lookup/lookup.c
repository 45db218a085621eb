/* lookup.c: ad_lookup, what is known about one hash and the class that follows, by the rule
 * triage uses (docs/store.md, "Lookups and triage decide alike"): the exact media's own class
 * when it says something (a series, ignorable, identified); else the nearest PDQ neighbour in a
 * series; else the nearest neighbour that is ignorable or identified; else known-unseriesed
 * (the exact media, or the nearest neighbour); else new. Neighbours are found in the PDQ index
 * (or a scan of the store) and among the matches ingest recorded for the exact media, which
 * cover the 8 dihedral forms of the files it hashed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/lookup.h"
#include "ariadne/media_hash.h"
#include "ariadne/pdq.h"
#include "ariadne/util.h"
#include "util/idset.h"

void ad_lookup_opts_default(ad_lookup_opts *o)
{
    memset(o, 0, sizeof *o);
    o->radius = AD_INDEX_RADIUS_DEFAULT;
    o->min_quality = 50;
    o->max_neighbours = 50;
    o->recorded = 1;
    o->audit = 1;
}

const char *ad_lookup_flag_name(unsigned flag)
{
    switch (flag) {
    case AD_MEDIA_BASELINE:
        return "baseline";
    case AD_MEDIA_DISTRIBUTED:
        return "distributed";
    case AD_MEDIA_IGNORABLE:
        return "ignorable";
    case AD_MEDIA_FILE_HELD:
        return "file held";
    case AD_MEDIA_VICTIM_IDENTIFIED:
        return "victim identified (imported record)";
    case AD_MEDIA_OFFENDER_IDENTIFIED:
        return "offender identified (imported record)";
    }
    return NULL;
}

const char *ad_lookup_source_name(ad_lookup_source s)
{
    return s == AD_LOOKUP_RECORDED ? "recorded" : "search";
}

void ad_lookup_result_free(ad_lookup_result *r)
{
    for (size_t i = 0; r->v && i < r->n; i++)
        free(r->v[i].ranges);
    free(r->v);
    r->v = NULL;
    r->n = 0;
}

/* ---- gathering neighbours ---- */

struct gather {
    const ad_lookup_opts *o;
    int64_t exact;
    ad_lookup_neighbour *v;
    size_t n, cap;
    ad_idmap pos; /* media id -> index + 1 */
    int oom;
    /* scans */
    const ad_h256 *forms;
    int nforms;
};

/* Better of two finds of one media: nearer, then its own PDQ before a frame, then searched now
 * before recorded. */
static int better(int dist, int64_t frame, ad_lookup_source src, const ad_lookup_neighbour *old)
{
    if (dist != old->distance)
        return dist < old->distance;
    if ((frame != 0) != (old->frame_id != 0))
        return frame == 0;
    return src == AD_LOOKUP_SEARCH && old->source == AD_LOOKUP_RECORDED;
}

static void add(struct gather *g, int64_t media, int64_t frame, int dist, int variant,
                const char *kind, ad_lookup_source src, const char *ranges)
{
    if (media <= 0 || media == g->exact || g->oom ||
        (g->o->skip && g->o->skip(g->o->skip_ctx, media)))
        return;
    ad_lookup_neighbour *nb;
    int64_t at = ad_idmap_get(&g->pos, media);
    if (at) {
        nb = &g->v[at - 1];
        if (!better(dist, frame, src, nb))
            return;
        free(nb->ranges);
    } else {
        if (g->n == g->cap) {
            size_t cap = g->cap ? 2 * g->cap : 16;
            ad_lookup_neighbour *v = realloc(g->v, cap * sizeof *v);
            if (!v) {
                g->oom = 1;
                return;
            }
            g->v = v;
            g->cap = cap;
        }
        if (ad_idmap_put(&g->pos, media, (int64_t)g->n + 1)) {
            g->oom = 1;
            return;
        }
        nb = &g->v[g->n++];
    }
    memset(nb, 0, sizeof *nb);
    nb->media_id = media;
    nb->frame_id = frame;
    nb->distance = dist;
    nb->variant = variant;
    snprintf(nb->kind, sizeof nb->kind, "%s", kind ? kind : "");
    nb->source = src;
    if (ranges && !(nb->ranges = strdup(ranges)))
        g->oom = 1;
}

static void add_hits(struct gather *g, const ad_lookup_index *lx, const ad_index_hits *h)
{
    for (size_t k = 0; k < h->n; k++) {
        uint64_t e = h->v[k].id;
        int frame = (e & AD_LOOKUP_FRAME_BIT) != 0;
        add(g, ad_lookup_index_media(lx, e), frame ? (int64_t)(e & ~AD_LOOKUP_FRAME_BIT) : 0,
            h->v[k].dist, h->v[k].variant, frame ? "frame" : "pdq", AD_LOOKUP_SEARCH, NULL);
    }
}

/* The store's PDQs one by one (no index): the nearest form, the lowest variant on ties, as the
 * index's dihedral search reports. */
static int scan_one(void *ctx, const ad_h256 *pdq, int64_t id, int64_t media_id, int is_frame)
{
    struct gather *g = ctx;
    int best = 257, var = 0;
    for (int f = 0; f < g->nforms; f++) {
        int d = ad_h256_distance(pdq, &g->forms[f]);
        if (d < best)
            best = d, var = f;
    }
    if (best <= g->o->radius)
        add(g, media_id, is_frame ? id : 0, best, var, is_frame ? "frame" : "pdq", AD_LOOKUP_SEARCH,
            NULL);
    return g->oom;
}

static ad_code search(ad_store *st, const ad_lookup_index *lx, struct gather *g,
                      const ad_h256 *forms, int nforms, ad_err *err)
{
    if (!lx) {
        g->forms = forms;
        g->nforms = nforms;
        ad_code rc = ad_store_pdq_load(st, scan_one, g, err);
        return rc ? rc : ad_store_media_hash_load(st, 0, scan_one, g, err);
    }
    ad_index_hits hits = {0};
    ad_code rc =
        nforms == 8
            ? ad_index_search_dihedral(ad_lookup_index_get(lx), forms, g->o->radius, &hits, err)
            : ad_index_search(ad_lookup_index_get(lx), forms, g->o->radius, &hits, err);
    if (!rc)
        add_hits(g, lx, &hits);
    ad_index_hits_free(&hits);
    return rc;
}

/* The form of the other file that matches this one: the inverse transform (rot90 and rot270
 * undo each other; every other form undoes itself). */
static int inverse_variant(int v)
{
    return v == AD_PDQ_ROT90 ? AD_PDQ_ROT270 : v == AD_PDQ_ROT270 ? AD_PDQ_ROT90 : v;
}

struct recorded {
    struct gather *g;
    int pdq_ok; /* the query's PDQ passed the quality gate */
};

static int on_recorded(void *ctx, const ad_media_match *m)
{
    struct recorded *r = ctx;
    struct gather *g = r->g;
    const char *kind = m->kind ? m->kind : "";
    int by_pdq = !strcmp(kind, "pdq") || !strcmp(kind, "frame");
    int by_video = !strcmp(kind, "vpdq");
    if ((by_pdq || by_video) && m->distance > g->o->radius)
        return 0;
    if (by_pdq && !r->pdq_ok)
        return 0;
    int forward = m->media_id == g->exact;
    int variant = by_pdq ? (forward ? m->variant : inverse_variant(m->variant)) : 0;
    add(g, forward ? m->match_media_id : m->media_id, 0, by_pdq || by_video ? m->distance : 0,
        variant, kind, AD_LOOKUP_RECORDED, forward ? m->ranges : NULL);
    return g->oom;
}

/* ---- ordering and the decision ---- */

static int cmp_neighbour(const void *a, const void *b)
{
    const ad_lookup_neighbour *x = a, *y = b;
    if (x->distance != y->distance)
        return x->distance < y->distance ? -1 : 1;
    if ((x->frame_id != 0) != (y->frame_id != 0))
        return x->frame_id != 0 ? 1 : -1;
    return (x->media_id > y->media_id) - (x->media_id < y->media_id);
}

static ad_code classify(ad_store *st, const ad_lookup_opts *o, ad_lookup_neighbour *nb, ad_err *err)
{
    if (nb->classified)
        return AD_OK;
    ad_code rc = ad_lookup_classify(st, o->cache, nb->media_id, &nb->cls, err);
    nb->classified = rc == AD_OK;
    return rc;
}

static int says_something(ad_class c)
{
    return c == AD_CLASS_KNOWN_UNIDENTIFIED || c == AD_CLASS_KNOWN_IDENTIFIED ||
           c == AD_CLASS_IGNORABLE;
}

static int same_rank(const ad_lookup_neighbour *a, const ad_lookup_neighbour *b)
{
    return a->distance == b->distance && (a->frame_id != 0) == (b->frame_id != 0);
}

/* The deciding neighbour (index), or -1. */
static ad_code decide_neighbour(ad_store *st, const ad_lookup_opts *o, ad_lookup_neighbour *v,
                                size_t n, long *best, ad_err *err)
{
    ad_code rc;
    *best = -1;
    for (size_t i = 0; i < n; i++) { /* the nearest in a series */
        if ((rc = classify(st, o, &v[i], err)))
            return rc;
        if (!v[i].cls.series_id)
            continue;
        *best = (long)i;
        /* equally near: an unidentified victim's series first */
        for (size_t j = i + 1;
             j < n && same_rank(&v[i], &v[j]) && v[*best].cls.cls != AD_CLASS_KNOWN_UNIDENTIFIED;
             j++) {
            if ((rc = classify(st, o, &v[j], err)))
                return rc;
            if (v[j].cls.cls == AD_CLASS_KNOWN_UNIDENTIFIED)
                *best = (long)j;
        }
        return AD_OK;
    }
    for (size_t i = 0; i < n; i++) /* every one is classified by now */
        if (says_something(v[i].cls.cls)) {
            *best = (long)i;
            return AD_OK;
        }
    return AD_OK;
}

/* ---- the exact media ---- */

struct media_pdq {
    int has;
    ad_h256 pdq;
    int quality;
};

static int on_media(void *ctx, const ad_media *m)
{
    struct media_pdq *p = ctx;
    p->has = m->has_pdq;
    p->pdq = m->pdq;
    p->quality = m->pdq_quality;
    return 0;
}

/* Finds a media by one digest kind; *id 0 when there is none. */
static ad_code find(ad_store *st, ad_hash_kind kind, const uint8_t *d, int64_t *id, ad_err *err)
{
    ad_code rc = ad_store_media_find(st, kind, d, id, err);
    if (rc == AD_ERR_NOT_FOUND) {
        ad_err_clear(err);
        *id = 0;
        rc = AD_OK;
    }
    return rc;
}

static ad_code find_exact(ad_store *st, const ad_lookup_query *q, ad_lookup_result *out,
                          int *pdq_query, ad_err *err)
{
    ad_code rc = AD_OK;
    int64_t id = 0;
    const char *by = NULL;
    *pdq_query = 0;
    if (q->media_id > 0 || q->exact_known) {
        id = q->media_id > 0 ? q->media_id : 0;
        by = q->media_by ? q->media_by : "id";
    } else {
        if (q->has_sha256 && !(rc = find(st, AD_HASH_SHA256, q->sha256, &id, err)) && id)
            by = "sha256";
        if (!rc && !id && q->has_md5 && !(rc = find(st, AD_HASH_MD5, q->md5, &id, err)) && id)
            by = "md5";
        if (!rc && !id && q->has_sha1 && !(rc = find(st, AD_HASH_SHA1, q->sha1, &id, err)) && id)
            by = "sha1";
        int pdq_only = q->npdq > 0 && !q->has_sha256 && !q->has_md5 && !q->has_sha1;
        if (!rc && !id && (pdq_only || q->sha256_or_pdq)) {
            *pdq_query = 1;
            if (!(rc = find(st, AD_HASH_PDQ, q->pdq[0].b, &id, err)) && id)
                by = "pdq";
        }
    }
    if (rc)
        return rc;
    out->media_id = id;
    snprintf(out->media_by, sizeof out->media_by, "%s", id ? by : "");
    return AD_OK;
}

/* What was asked, for the audit row: the first hash of the query. */
static void describe(const ad_lookup_query *q, char out[80])
{
    char hex[65];
    if (q->media_id > 0)
        snprintf(out, 80, "id=%lld", (long long)q->media_id);
    else if (q->has_sha256)
        snprintf(out, 80, "sha256=%s", ad_hex_encode(q->sha256, 32, hex));
    else if (q->has_md5)
        snprintf(out, 80, "md5=%s", ad_hex_encode(q->md5, 16, hex));
    else if (q->has_sha1)
        snprintf(out, 80, "sha1=%s", ad_hex_encode(q->sha1, 20, hex));
    else
        snprintf(out, 80, "pdq=%s", ad_h256_format(&q->pdq[0], hex));
}

/* The PDQ to search (the query's forms, else the exact media's own), the quality gate, then
 * the neighbours: searched, and recorded for the exact media. */
static ad_code gather(ad_store *st, const ad_lookup_index *lx, const ad_lookup_query *q,
                      const ad_lookup_opts *opts, int pdq_query, const struct media_pdq *mp,
                      ad_lookup_result *out, ad_err *err)
{
    const ad_h256 *forms = NULL;
    int nforms = 0;
    if (q->npdq > 0 || pdq_query) {
        forms = q->pdq;
        nforms = q->npdq > 0 ? q->npdq : 1;
        out->pdq_quality = q->pdq_quality;
    } else if (mp->has) {
        forms = &mp->pdq;
        nforms = 1;
        out->pdq_quality = mp->quality;
    }
    int pdq_ok = 0;
    if (!nforms)
        snprintf(out->pdq_skipped, sizeof out->pdq_skipped, "%s",
                 out->media_id ? "the media has no PDQ" : "no PDQ to search");
    else if (out->pdq_quality >= 0 && out->pdq_quality < opts->min_quality)
        snprintf(out->pdq_skipped, sizeof out->pdq_skipped,
                 "PDQ quality %d is under the minimum %d", out->pdq_quality, opts->min_quality);
    else
        pdq_ok = 1;
    if (nforms)
        out->pdq = forms[0];
    struct gather g = {.o = opts, .exact = out->media_id};
    ad_code rc = AD_OK;
    if (pdq_ok) {
        out->pdq_forms = nforms;
        rc = search(st, lx, &g, forms, nforms, err);
    }
    /* the file's trimmed, area and content's area PDQs, each under the same gate */
    for (int k = 0; k < q->nmore && k < AD_LOOKUP_MORE && !rc && forms == q->pdq && nforms == 8; k++)
        if (q->more_quality[k] >= opts->min_quality)
            rc = search(st, lx, &g, q->more[k], 8, err);
    if (!rc && opts->recorded && out->media_id) {
        struct recorded r = {&g, pdq_ok};
        rc = ad_store_media_matches(st, out->media_id, on_recorded, &r, err);
    }
    if (!rc && g.oom)
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory gathering PDQ neighbours");
    ad_idmap_free(&g.pos);
    out->v = g.v;
    out->n = out->n_total = g.n;
    if (!rc && out->n > 1)
        qsort(out->v, out->n, sizeof *out->v, cmp_neighbour);
    return rc;
}

/* The rule (see the top of this file), then the listed neighbours classified. */
static ad_code decide(ad_store *st, const ad_lookup_opts *opts, ad_lookup_result *out, ad_err *err)
{
    long best = -1;
    ad_code rc = AD_OK;
    if (out->media_id && says_something(out->own.cls)) {
        out->how = AD_LOOKUP_EXACT;
    } else {
        rc = decide_neighbour(st, opts, out->v, out->n, &best, err);
        if (!rc && best < 0 && !out->media_id && out->n) {
            best = 0; /* known, in no series: the nearest */
            rc = classify(st, opts, &out->v[0], err);
        }
        out->how = best >= 0       ? AD_LOOKUP_NEIGHBOUR
                   : out->media_id ? AD_LOOKUP_EXACT
                                   : AD_LOOKUP_NONE;
    }
    if (out->how == AD_LOOKUP_EXACT) {
        out->decided = out->own;
    } else if (out->how == AD_LOOKUP_NEIGHBOUR) {
        out->by = out->v[best];
        out->by.ranges = NULL;
        out->decided = out->v[best].cls;
    }
    out->cls = out->how == AD_LOOKUP_NONE ? AD_CLASS_NEW : out->decided.cls;
    size_t keep = out->n < opts->max_neighbours ? out->n : opts->max_neighbours;
    for (size_t i = 0; i < keep && !rc; i++)
        rc = classify(st, opts, &out->v[i], err);
    for (size_t i = keep; i < out->n; i++)
        free(out->v[i].ranges);
    out->n = keep;
    return rc;
}

static ad_code audit(ad_store *st, const ad_lookup_query *q, const ad_lookup_opts *opts,
                     const ad_lookup_result *out, ad_err *err)
{
    char obj[32], what[80], detail[300];
    snprintf(obj, sizeof obj, "media:%lld", (long long)out->media_id);
    describe(q, what);
    snprintf(detail, sizeof detail,
             "%s found_by=%s radius=%d forms=%d neighbours=%zu class=%s decided_by=%lld", what,
             out->media_by[0] ? out->media_by : "-", opts->radius, out->pdq_forms, out->n_total,
             ad_class_name(out->cls), (long long)out->decided.media_id);
    return ad_store_audit_read(st, "media.lookup", out->media_id ? obj : NULL, detail, err);
}

ad_code ad_lookup(ad_store *st, const ad_lookup_index *lx, const ad_lookup_query *q,
                  const ad_lookup_opts *opts, ad_lookup_result *out, ad_err *err)
{
    ad_lookup_opts dflt;
    if (!opts) {
        ad_lookup_opts_default(&dflt);
        opts = &dflt;
    }
    memset(out, 0, sizeof *out);
    out->cls = AD_CLASS_NEW;
    out->pdq_quality = -1;
    if (opts->radius < 0 || opts->radius > AD_INDEX_RADIUS_MAX)
        return ad_err_set(err, AD_ERR_ARG, "the radius must be 0 to %d", AD_INDEX_RADIUS_MAX);
    if (q->npdq != 0 && q->npdq != 1 && q->npdq != 8)
        return ad_err_set(err, AD_ERR_ARG, "a query has 0, 1 or 8 PDQ forms");
    int pdq_query;
    ad_code rc = find_exact(st, q, out, &pdq_query, err);
    if (!rc && out->media_id && opts->skip && opts->skip(opts->skip_ctx, out->media_id))
        out->media_id = 0, out->media_by[0] = '\0';
    struct media_pdq mp = {0, {{0}}, -1};
    if (!rc && out->media_id) {
        rc = ad_lookup_classify(st, opts->cache, out->media_id, &out->own, err);
        if (!rc && !out->own.media_id && q->media_id > 0)
            rc = ad_err_set(err, AD_ERR_NOT_FOUND, "no media with id %lld", (long long)q->media_id);
    }
    /* triage: a file whose exact media says what it is needs no neighbours */
    int decided_alone = out->media_id && says_something(out->own.cls) && !opts->max_neighbours;
    if (!rc && out->media_id && !decided_alone)
        rc = ad_store_media_get(st, out->media_id, on_media, &mp, err);
    if (!rc && !decided_alone)
        rc = gather(st, lx, q, opts, pdq_query, &mp, out, err);
    if (!rc)
        rc = decide(st, opts, out, err);
    if (!rc && opts->audit)
        rc = audit(st, q, opts, out, err);
    if (rc)
        ad_lookup_result_free(out);
    return rc;
}
