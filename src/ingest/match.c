/* match.c: matching one batch of hashed files against what the store knows, then the class of
 * each file, by the rule `media show` uses (ad_lookup, docs/store.md "Lookups and triage decide
 * alike"). In this order: SHA-256, MD5, SHA-1 (batch lookups in the store) give the exact media;
 * images without one are searched by PDQ within the radius over the 8 dihedral variants (one
 * batch search: a file with no neighbour and no exact media is new without asking further);
 * videos without one by the share of their frames found in one known video, also over the 8
 * variants (a mirrored or rotated copy matches with its variant recorded) and with the trimmed
 * PDQ of each frame of a video with bars (a frame counts once). An image's trimmed
 * PDQ (a border was found) and area PDQ (exact turns) are searched beside its plain one, each
 * over its 8 forms, and the index holds the known media's own (ariadne/media_hash.h). Then each
 * file with
 * an exact media or a PDQ neighbour is looked up (ad_lookup with the index, the file's 8 forms,
 * the exact media found here, this job's media left out) and the media that decided its class is
 * recorded as its match. Index searches go in batches of AD_INGEST_QUERIES hashes. Runs on the
 * writer thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_internal.h"

#define FRAME_BIT AD_LOOKUP_FRAME_BIT
#define NV AD_PDQ_NVARIANTS

static int64_t media_of(const struct run *r, uint64_t id)
{
    return ad_lookup_index_media(r->lx, id);
}

/* Searches r->queries[0..n) (dihedral: n queries of 8 hashes) into r->hits[0..n). */
static int search(struct run *r, size_t n, int dihedral)
{
    return n && ad_index_search_batch(ad_lookup_index_get(r->lx), r->queries, n, dihedral,
                                      r->o->radius, 1, r->hits, NULL) == AD_OK;
}

/* ---- digests ---- */

static void match_digests(struct run *r, ad_hash_kind kind, size_t dlen)
{
    struct batch *b = r->write;
    uint8_t *d = malloc(b->n * 32 + 1);
    size_t *which = malloc((b->n + 1) * sizeof *which);
    int64_t *ids = malloc((b->n + 1) * sizeof *ids);
    size_t m = 0;
    for (size_t i = 0; d && which && ids && i < b->n; i++) {
        struct task *t = &b->t[i];
        if (t->kind != AD_ROW_FILE || !t->fh.has_digests || t->exact_id)
            continue;
        const uint8_t *src = kind == AD_HASH_SHA256 ? t->fh.digests.sha256
                             : kind == AD_HASH_MD5  ? t->fh.digests.md5
                                                    : t->fh.digests.sha1;
        memcpy(d + m * dlen, src, dlen);
        which[m++] = i;
    }
    if (m && ad_store_media_find_batch(r->st, kind, d, m, ids, NULL, NULL) == AD_OK)
        for (size_t k = 0; k < m; k++) {
            struct task *t = &b->t[which[k]];
            if (!t->exists_id)
                t->exists_id = ids[k];
            if (!ids[k] || ad_idset_has(&r->job_new, ids[k]))
                continue;
            t->exact_id = ids[k];
            snprintf(t->exact_kind, sizeof t->exact_kind, "%s",
                     kind == AD_HASH_SHA256 ? "sha256"
                     : kind == AD_HASH_MD5  ? "md5"
                                            : "sha1");
        }
    free(d);
    free(which);
    free(ids);
}

/* ---- images ---- */

/* A neighbour of an image in the batch search: a hit that is not this job's media. */
static int has_neighbour(const struct run *r, const ad_index_hits *hits)
{
    for (size_t k = 0; k < hits->n; k++)
        if (!ad_idset_has(&r->job_new, media_of(r, hits->v[k].id)))
            return 1;
    return 0;
}

static int image_query(const struct task *t)
{
    return t->kind == AD_ROW_FILE && !t->code && !t->exact_id && !t->has_video && t->fh.has_pdq &&
           t->fh.pdq.has_dihedral;
}

/* The 8-form sets of an image that pass the quality gate: its plain PDQ, its trimmed PDQ (a
 * border was found), its area PDQ and its content's area PDQ (a border was found) (the same
 * sets ad_lookup_query_file gives a lookup). */
#define IMAGE_FORMS 4
static size_t image_forms(const struct run *r, const struct task *t,
                          const ad_h256 *set[IMAGE_FORMS])
{
    size_t n = 0;
    if (t->fh.pdq.quality >= r->o->min_quality)
        set[n++] = t->fh.pdq.dihedral;
    if (t->fh.has_more && t->fh.more.has_trim && t->fh.more.trim.quality >= r->o->min_quality)
        set[n++] = t->fh.more.trim.dihedral;
    if (t->fh.has_more && t->fh.more.has_area && t->fh.more.area.quality >= r->o->min_quality)
        set[n++] = t->fh.more.area.dihedral;
    if (t->fh.has_more && t->fh.more.has_trim_area &&
        t->fh.more.trim_area.quality >= r->o->min_quality)
        set[n++] = t->fh.more.trim_area.dihedral;
    return n;
}

static void match_images(struct run *r)
{
    struct batch *b = r->write;
    size_t who[AD_INGEST_QUERIES / NV], n = 0;
    for (size_t i = 0; i <= b->n; i++) {
        const ad_h256 *set[IMAGE_FORMS];
        size_t ns = i < b->n && image_query(&b->t[i]) ? image_forms(r, &b->t[i], set) : 0;
        for (size_t s = 0; s < ns; s++) {
            memcpy(&r->queries[n * NV], set[s], NV * sizeof *r->queries);
            who[n++] = i;
        }
        /* room for the next image's sets, or the end */
        if (n + IMAGE_FORMS > AD_INGEST_QUERIES / NV || (i == b->n && n)) {
            if (search(r, n, 1))
                for (size_t k = 0; k < n; k++)
                    b->t[who[k]].near |= has_neighbour(r, &r->hits[k]);
            n = 0;
        }
    }
}

/* ---- videos ---- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Time ranges ("2.0s-5.0s, ...") of the known video's matched frames: frames at most 1.5 s
 * apart (one hash a second) join one range. */
static size_t known_ranges(const struct run *r, const ad_idset *frames, char *out, size_t cap)
{
    int64_t *ts = malloc((frames->n + 1) * sizeof *ts);
    size_t n = 0, len = 0;
    if (!ts)
        return 0;
    for (size_t i = 0; i < frames->cap; i++)
        if (frames->v[i]) {
            int64_t t = ad_idmap_get(&r->frame_ts, frames->v[i]);
            if (t > 0)
                ts[n++] = t - 1;
        }
    qsort(ts, n, sizeof *ts, cmp_i64);
    for (size_t i = 0; i < n && len + 32 < cap;) {
        size_t j = i;
        while (j + 1 < n && ts[j + 1] - ts[j] <= 1500)
            j++;
        len += (size_t)snprintf(out + len, cap - len, "%s%.1fs-%.1fs", len ? ", " : "",
                                ts[i] / 1000.0, ts[j] / 1000.0);
        i = j + 1;
    }
    free(ts);
    return len;
}

/* A known video some frames of one variant of the query matched. */
struct cand {
    int64_t media;
    size_t frames;  /* query frames with a match in this video */
    ad_idset known; /* this video's frames that matched */
    int best;       /* smallest distance */
};

/* What one dihedral variant of the query matched. */
struct variant {
    struct cand *c;
    size_t n, cap;
    int64_t *frame_media; /* per query frame: the last video it matched (a frame counts once) */
    int oom;
};

static void variant_free(struct variant *v)
{
    for (size_t j = 0; v->c && j < v->n; j++)
        ad_idset_free(&v->c[j].known);
    free(v->c);
    free(v->frame_media);
    memset(v, 0, sizeof *v);
}

/* Adds the hits of query frame f (one variant) to that variant's candidates; a dense frame
 * (f >= nframes: between the vPDQ frames) finds known frames, and is no query frame itself. */
static void add_frame_hits(const struct run *r, struct variant *v, size_t f, size_t nframes,
                           const ad_index_hits *hits)
{
    for (size_t k = 0; k < hits->n && !v->oom; k++) {
        if (!(hits->v[k].id & FRAME_BIT))
            continue;
        int64_t m = media_of(r, hits->v[k].id);
        if (!m || ad_idset_has(&r->job_new, m))
            continue;
        size_t j = 0;
        while (j < v->n && v->c[j].media != m)
            j++;
        if (j == v->n) {
            if (v->n == v->cap) {
                size_t cap = v->cap ? 2 * v->cap : 16;
                struct cand *nc = realloc(v->c, cap * sizeof *nc);
                if (!nc) {
                    v->oom = 1;
                    return;
                }
                v->c = nc;
                v->cap = cap;
            }
            memset(&v->c[v->n], 0, sizeof v->c[v->n]);
            v->c[v->n].media = m;
            v->c[v->n++].best = 256;
        }
        if (ad_idset_add(&v->c[j].known, (int64_t)(hits->v[k].id & ~FRAME_BIT)))
            v->oom = 1;
        if (f < nframes && v->frame_media[f] != m) { /* a query frame counts once per video */
            v->c[j].frames++;
            v->frame_media[f] = m;
        }
        if (hits->v[k].dist < v->c[j].best)
            v->c[j].best = hits->v[k].dist;
    }
}

/* The seized video's matched time ranges (frames that matched `media` in this variant; frames
 * under the quality gate do not break a range), both shares and the known video's ranges. */
static char *describe(const struct run *r, const struct task *t, const struct variant *v,
                      const struct cand *c, double q, double kp)
{
    size_t len = 0, rcap = 256;
    char *ranges = malloc(rcap);
    int open = 0;
    double start = 0, last = 0;
    for (size_t f = 0; f <= t->vid.n && ranges; f++) {
        int m = f < t->vid.n && v->frame_media[f] == c->media;
        if (m) {
            if (!open)
                start = t->vid.frames[f].timestamp, open = 1;
            last = t->vid.frames[f].timestamp;
        } else if (open && (f == t->vid.n || t->vid.frames[f].quality >= r->o->min_quality)) {
            if (len + 48 > rcap) {
                char *nr = realloc(ranges, rcap *= 2);
                if (!nr)
                    break;
                ranges = nr;
            }
            len += (size_t)snprintf(ranges + len, rcap - len, "%s%.1fs-%.1fs", len ? ", " : "",
                                    start, last);
            open = 0;
        }
    }
    char *full = NULL;
    if (ranges) {
        char known[512] = "";
        known_ranges(r, &c->known, known, sizeof known);
        size_t cap = len + sizeof known + 200;
        full = malloc(cap);
        if (full)
            snprintf(full, cap,
                     "%.0f%% of this video's frames match, %.0f%% of the known video's; "
                     "matched here: %s; in the known video: %s",
                     q, kp, len ? ranges : "-", known[0] ? known : "-");
    }
    free(ranges);
    return full;
}

/* A video matches a known video when enough of its frames (quality >= min) have a frame of that
 * video within the radius (the query's share), or when enough of the known video's frames are
 * found in it (the known video's share: a known clip inside a longer seized video), at least
 * video_pct either way. Each of the 8 variants of the query is tried (as `vpdq match
 * --dihedral`); the best (media, variant) by the sum of both shares wins, the lower variant on
 * a tie. The frames of all 8 variants are searched together, in batches. */
static void match_video(struct run *r, struct task *t)
{
    struct variant v[NV];
    memset(v, 0, sizeof v);
    size_t counted = 0, *frame = malloc((AD_INGEST_QUERIES / NV) * sizeof *frame), nf = 0;
    int oom = !frame;
    const size_t nf_all = t->vid.n + t->vid.ndense;
    for (int k = 0; k < NV && !oom; k++)
        oom = !(v[k].frame_media = calloc(nf_all ? nf_all : 1, sizeof *v[k].frame_media));
    for (size_t f = 0; f <= nf_all && !oom; f++) {
        if (f >= t->vid.n && f < nf_all) {
            /* a dense frame (between the vPDQ frames): finds the known video's frames when
             * this copy plays faster or slower */
            const size_t d = f - t->vid.n;
            if (t->vid.dense[d].quality >= r->o->min_quality) {
                memcpy(&r->queries[nf * NV], &t->vid.dense_forms[d * NV], NV * sizeof *r->queries);
                frame[nf++] = f;
            }
        } else if (f < t->vid.n && t->vid.frames[f].quality >= r->o->min_quality) {
            counted++;
            for (int k = 0; k < NV; k++)
                r->queries[nf * NV + (size_t)k] = k == 0 || !t->vid.dihedral
                                                      ? t->vid.frames[f].hash
                                                      : t->vid.dihedral[f * NV + (size_t)k];
            frame[nf++] = f;
        }
        /* a video with bars: the frame's trimmed PDQ too, counted as the same frame */
        if (f < t->vid.n && t->vid.has_trim && t->vid.trim_quality[f] >= r->o->min_quality) {
            memcpy(&r->queries[nf * NV], &t->vid.trim[f * NV], NV * sizeof *r->queries);
            frame[nf++] = f;
        }
        if (nf + 2 > AD_INGEST_QUERIES / NV || (f == nf_all && nf)) {
            if (search(r, nf * NV, 0))
                for (size_t j = 0; j < nf * NV; j++)
                    add_frame_hits(r, &v[j % NV], frame[j / NV], t->vid.n, &r->hits[j]);
            nf = 0;
        }
    }
    int bk = -1;
    size_t bj = 0;
    double best_q = 0, best_k = 0;
    for (int k = 0; k < NV && !oom; k++) {
        if (v[k].oom)
            continue;
        for (size_t j = 0; j < v[k].n; j++) {
            const struct cand *c = &v[k].c[j];
            double q = counted ? 100.0 * (double)c->frames / (double)counted : 0;
            int64_t total = ad_lookup_index_video_frames(r->lx, c->media);
            double kp = total ? 100.0 * (double)c->known.n / (double)total : 0;
            /* a tie: the lower variant (k ascends), then the lower media id (not the order in
             * which the index gave the candidates) */
            if ((q >= r->o->video_pct || kp >= r->o->video_pct) &&
                (bk < 0 || q + kp > best_q + best_k ||
                 (q + kp == best_q + best_k && k == bk && c->media < v[bk].c[bj].media)))
                bk = k, bj = j, best_q = q, best_k = kp;
        }
    }
    if (bk >= 0) {
        const struct cand *c = &v[bk].c[bj];
        t->match_id = c->media;
        snprintf(t->match_kind, sizeof t->match_kind, "vpdq");
        t->match_dist = c->best;
        t->match_var = bk;
        t->ranges = describe(r, t, &v[bk], c, best_q, best_k);
    }
    for (int k = 0; k < NV; k++)
        variant_free(&v[k]);
    free(frame);
}

void ad_ingest_match_digests(struct run *r)
{
    match_digests(r, AD_HASH_SHA256, 32);
    match_digests(r, AD_HASH_MD5, 16);
    match_digests(r, AD_HASH_SHA1, 20);
}

void ad_ingest_match_near(struct run *r)
{
    struct batch *b = r->write;
    if (!r->hits && !(r->hits = calloc(AD_INGEST_QUERIES, sizeof *r->hits)))
        return;
    if (!r->queries && !(r->queries = malloc(AD_INGEST_QUERIES * sizeof *r->queries)))
        return;
    match_images(r);
    for (size_t i = 0; i < b->n; i++) {
        struct task *t = &b->t[i];
        if (t->kind == AD_ROW_FILE && !t->code && !t->exact_id && t->has_video)
            match_video(r, t);
    }
}

/* ---- the class ---- */

ad_report_class ad_report_class_of(ad_class c)
{
    switch (c) {
    case AD_CLASS_KNOWN_UNIDENTIFIED:
        return AD_RC_KNOWN_UNIDENTIFIED;
    case AD_CLASS_KNOWN_IDENTIFIED:
        return AD_RC_KNOWN_IDENTIFIED;
    case AD_CLASS_KNOWN_UNSERIESED:
        return AD_RC_KNOWN_UNSERIESED;
    case AD_CLASS_IGNORABLE:
        return AD_RC_IGNORABLE;
    case AD_CLASS_NEW:
        break;
    }
    return AD_RC_NEW;
}

/* Nothing known decides: new, or other for a file that is not an image or video. */
static ad_report_class unmatched(const struct task *t)
{
    return t->fh.has_pdq || t->has_video || ad_media_is_image(t->fh.type) ||
                   t->fh.type == AD_MEDIA_VIDEO
               ? AD_RC_NEW
               : AD_RC_OTHER;
}

static void record(struct task *t, int64_t id, const char *kind, int dist, int variant)
{
    t->match_id = id;
    snprintf(t->match_kind, sizeof t->match_kind, "%s", kind);
    t->match_dist = dist;
    t->match_var = variant;
}

static int in_job(void *ctx, int64_t media_id)
{
    return ad_idset_has(ctx, media_id);
}

/* A file with an exact media or a PDQ neighbour, by ad_lookup: the exact media found by the
 * digest lookups, the file's 8 PDQ forms (a known copy that was not decoded has none: then the
 * exact media's PDQ and the matches recorded for it are searched), this job's media left out. */
static ad_code look_up(struct run *r, struct task *t, ad_err *err)
{
    ad_lookup_query q;
    ad_lookup_query_init(&q);
    q.exact_known = 1;
    q.media_id = t->exact_id;
    q.media_by = t->exact_id ? t->exact_kind : NULL;
    if (t->fh.has_pdq && t->fh.pdq.has_dihedral)
        ad_lookup_query_file(&q, &t->fh); /* its 8 forms, and its trimmed and area PDQs */
    ad_lookup_opts o;
    ad_lookup_opts_default(&o);
    o.radius = r->o->radius;
    o.min_quality = r->o->min_quality;
    o.max_neighbours = 0;
    o.recorded = 1;
    o.audit = 0;
    o.skip = in_job;
    o.skip_ctx = &r->job_new;
    o.cache = r->lcache; /* a known media is classified once per job */
    ad_lookup_result res;
    ad_code rc = ad_lookup(r->st, r->lx, &q, &o, &res, err);
    if (rc)
        return rc;
    if (res.how == AD_LOOKUP_NEIGHBOUR)
        record(t, res.by.media_id, res.by.kind, res.by.distance, res.by.variant);
    else if (res.how == AD_LOOKUP_EXACT)
        record(t, t->exact_id, t->exact_kind, 0, 0);
    t->cls = res.how == AD_LOOKUP_NONE ? unmatched(t) : ad_report_class_of(res.cls);
    ad_lookup_result_free(&res);
    return AD_OK;
}

static ad_code decide_one(struct run *r, struct task *t, ad_err *err)
{
    if (t->kind != AD_ROW_FILE || t->code) {
        t->cls = AD_RC_ERROR;
        if (t->exact_id) /* a damaged copy still matches by its digests (custody) */
            record(t, t->exact_id, t->exact_kind, 0, 0);
        return AD_OK;
    }
    if (t->has_video && !t->exact_id) {
        /* a video's frames found one known video: the rule with that one neighbour is its own
         * class (in a series, ignorable or identified, else known-unseriesed) */
        if (!t->match_id) {
            t->cls = AD_RC_NEW;
            return AD_OK;
        }
        ad_classification c;
        ad_code rc = ad_lookup_classify(r->st, r->lcache, t->match_id, &c, err);
        t->cls = ad_report_class_of(c.cls == AD_CLASS_NEW ? AD_CLASS_KNOWN_UNSERIESED : c.cls);
        return rc;
    }
    if (!t->exact_id && !t->near) {
        t->cls = unmatched(t);
        return AD_OK;
    }
    return look_up(r, t, err);
}

ad_code ad_ingest_decide(struct run *r, ad_err *err)
{
    struct batch *b = r->write;
    ad_code rc = ad_store_begin(r->st, err); /* the lookups' reads and audit rows: one commit */
    for (size_t i = 0; i < b->n && !rc; i++)
        rc = decide_one(r, &b->t[i], err);
    if (rc) {
        ad_store_rollback(r->st, NULL);
        return rc;
    }
    return ad_store_commit(r->st, err);
}
