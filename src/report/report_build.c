/* report_build.c: the report of a case, made from the database alone: every item of every job
 * of the case with its sighting, media, clues and its class as the store stands now, decided by
 * ad_lookup as triage and `media show` decide it (identifying a victim changes what the next
 * report says), then the grouping of the new material. Thumbnails too come from the database
 * (report_thumbs.c): no seized file is opened at report time. */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ariadne/ingest.h"
#include "ariadne/lookup.h"
#include "ariadne/transfer.h"
#include "ariadne/util.h"
#include "features/fstore.h"
#include "util/idset.h"
#include "report_thumbs.h"

struct item_copy {
    ad_job_item it;
    ad_sighting s;
    int has_s;
};

struct collect {
    struct item_copy *v;
    size_t n, cap;
    int oom;
};

static char *sd(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int collect_item(void *ctx, const ad_job_item *it, const ad_sighting *s)
{
    struct collect *c = ctx;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        struct item_copy *v = realloc(c->v, cap * sizeof *v);
        if (!v) {
            c->oom = 1;
            return 1;
        }
        c->v = v;
        c->cap = cap;
    }
    struct item_copy *d = &c->v[c->n++];
    memset(d, 0, sizeof *d);
    d->it = *it;
    d->it.job_id = sd(it->job_id);
    d->it.key = sd(it->key);
    d->it.path = sd(it->path);
    d->it.error_code = sd(it->error_code);
    d->it.error_message = sd(it->error_message);
    d->it.match_kind = sd(it->match_kind);
    d->it.match_ranges = sd(it->match_ranges);
    if (s) {
        d->has_s = 1;
        d->s = *s;
        d->s.exhibit = sd(s->exhibit);
        d->s.path = sd(s->path);
        d->s.parent_path = sd(s->parent_path);
        d->s.inner_path = sd(s->inner_path);
        d->s.job_id = NULL;
    }
    return 0;
}

static void free_copies(struct collect *c)
{
    for (size_t i = 0; i < c->n; i++) {
        struct item_copy *d = &c->v[i];
        free((char *)d->it.job_id);
        free((char *)d->it.key);
        free((char *)d->it.path);
        free((char *)d->it.error_code);
        free((char *)d->it.error_message);
        free((char *)d->it.match_kind);
        free((char *)d->it.match_ranges);
        free((char *)d->s.exhibit);
        free((char *)d->s.path);
        free((char *)d->s.parent_path);
        free((char *)d->s.inner_path);
    }
    free(c->v);
}

static int media_into(void *ctx, const ad_media *m)
{
    ad_report_item *r = ctx;
    if (m->has_md5)
        ad_hex_encode(m->md5, 16, r->md5);
    if (m->has_sha1)
        ad_hex_encode(m->sha1, 20, r->sha1);
    if (m->has_sha256)
        ad_hex_encode(m->sha256, 32, r->sha256);
    if (m->has_pdq) {
        ad_h256_format(&m->pdq, r->pdq);
        r->quality = m->pdq_quality;
    }
    if (m->mime)
        snprintf(r->mime, sizeof r->mime, "%s", m->mime);
    r->width = m->width;
    r->height = m->height;
    if (r->size < 0)
        r->size = m->size;
    return 0;
}

struct clues {
    char camera[256], make[128], model[128], serial[128], software[160], time[40];
    int64_t captured;
    int zone, has_gps;
    double lat, lon;
};

/* A capture time clue ("2021-07-04T15:30:00", "+02:00" when the offset is known): Unix seconds
 * (the clock read as UTC without an offset) and whether it has a zone; 0 when unreadable. */
static int64_t parse_capture(const char *s, int *zone)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int n = 0;
    *zone = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 19)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    int64_t t = (int64_t)timegm(&tm);
    int oh, om, m = 0;
    char sign;
    if (sscanf(s + 19, "%c%2d:%2d%n", &sign, &oh, &om, &m) == 3 && m == 6 && !s[25] &&
        (sign == '+' || sign == '-')) {
        t -= (sign == '+' ? 1 : -1) * (int64_t)(oh * 3600 + om * 60);
        *zone = 1;
    } else if (s[19]) {
        return 0;
    }
    return t;
}

static int clue_into(void *ctx, int64_t id, const char *author, int64_t created, const char *kind,
                     const char *text)
{
    (void)id, (void)author, (void)created;
    struct clues *c = ctx;
    if (!strcmp(kind, "camera"))
        snprintf(c->camera, sizeof c->camera, "%s", text);
    else if (!strcmp(kind, "serial"))
        snprintf(c->serial, sizeof c->serial, "%s", text);
    else if (!strcmp(kind, "time") && (c->captured = parse_capture(text, &c->zone)) != 0)
        snprintf(c->time, sizeof c->time, "%s", text);
    else if (!strcmp(kind, "gps"))
        c->has_gps = sscanf(text, "%lf,%lf", &c->lat, &c->lon) == 2 && c->lat >= -90 &&
                     c->lat <= 90 && c->lon >= -180 && c->lon <= 180;
    else if (!strcmp(kind, "other") && !strncmp(text, "software: ", 10))
        snprintf(c->software, sizeof c->software, "%s", text + 10);
    else if (!strcmp(kind, "other") && !strncmp(text, "make: ", 6))
        snprintf(c->make, sizeof c->make, "%s", text + 6);
    else if (!strcmp(kind, "other") && !strncmp(text, "model: ", 7))
        snprintf(c->model, sizeof c->model, "%s", text + 7);
    return 0;
}

/* The agency's stored thumbnails of the case's media (never a file read). */
static ad_code load_thumbs(ad_store *st, int64_t agency_id, const struct collect *c,
                           ad_report_thumbs *th, ad_err *err)
{
    int64_t *ids = malloc((c->n ? c->n : 1) * sizeof *ids);
    if (!ids)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < c->n; i++)
        ids[i] = c->v[i].it.error_code ? 0 : c->v[i].it.media_id;
    ad_code rc = ad_report_thumbs_load(st, agency_id, ids, c->n, th, err);
    free(ids);
    return rc;
}

/* An item's class now: ad_lookup of the file's own media (its exact media), with its PDQ and
 * the matches recorded for it (the one triage recorded for this file among them), as `media
 * show` looks the file up; the media that decided goes into the item's match and series. A file
 * that was new content when its job triaged it (no match recorded) stays new while the lookup
 * says no more than known-unseriesed (its own record, or a record near it): the new material is
 * what this case found; once a series, an identification or a non-pertinent list says more of it
 * or of a neighbour, the report says that. */
static ad_code classify_item(ad_store *st, const ad_lookup_index *lx, ad_lookup_cache *cache,
                             const ad_report_opts *opts, const ad_job_item *ji, ad_report_item *it,
                             ad_classification *cls, ad_err *err)
{
    ad_lookup_query q;
    ad_lookup_query_init(&q);
    q.media_id = ji->media_id;
    q.media_by = ji->match_kind && ji->match_media_id == ji->media_id ? ji->match_kind : "sha256";
    ad_lookup_opts o;
    ad_lookup_opts_default(&o);
    o.radius = opts->radius;
    o.min_quality = opts->min_quality;
    o.max_neighbours = 0;
    o.audit = 0;
    o.cache = cache; /* near-duplicates in a case share their neighbours: each classified once */
    ad_lookup_result res;
    ad_code rc = ad_lookup(st, lx, &q, &o, &res, err);
    if (rc)
        return rc;
    int says = res.cls != AD_CLASS_NEW && res.cls != AD_CLASS_KNOWN_UNSERIESED;
    if (res.how == AD_LOOKUP_NONE || (!ji->match_media_id && !says)) {
        int media =
            it->pdq[0] || !strncmp(it->mime, "image/", 6) || !strncmp(it->mime, "video/", 6);
        it->cls = media ? AD_RC_NEW : AD_RC_OTHER;
    } else {
        it->cls = ad_report_class_of(res.cls);
        if (res.how == AD_LOOKUP_NEIGHBOUR) {
            it->match_media_id = res.by.media_id;
            snprintf(it->match_kind, sizeof it->match_kind, "%s", res.by.kind);
            it->match_distance = res.by.distance;
            it->match_variant = res.by.variant;
        } else if (says || !ji->match_media_id) { /* the file's own media says what it is */
            it->match_media_id = res.media_id;
            snprintf(it->match_kind, sizeof it->match_kind, "%s", res.media_by);
        } else { /* known, in no series: the known media triage matched it to */
            it->match_media_id = ji->match_media_id;
        }
        if (it->match_media_id == ji->match_media_id && ji->match_kind) {
            /* the media triage recorded for this file: its record says how (the dihedral form
             * of a video, the time ranges) */
            snprintf(it->match_kind, sizeof it->match_kind, "%s", ji->match_kind);
            it->match_distance = ji->match_distance;
            it->match_variant = ji->match_variant;
            it->match_ranges = (char *)ji->match_ranges;
        }
        *cls = res.decided;
        if (cls->series_id) {
            it->series_id = cls->series_id;
            it->series_name = cls->series_name;
            it->series_owner = cls->owner_agency;
            it->series_contact = cls->contact;
            it->series_merged_from = cls->merged_from_id ? cls->merged_from : NULL;
        }
    }
    ad_lookup_result_free(&res);
    return AD_OK;
}

struct jobs {
    ad_report *r;
    ad_err *err;
    ad_code rc;
};

static int job_into(void *ctx, const ad_job *j)
{
    struct jobs *c = ctx;
    ad_report *r = c->r;
    if (j->exhibit && !r->exhibit[0])
        snprintf(r->exhibit, sizeof r->exhibit, "%s", j->exhibit);
    snprintf(r->job, sizeof r->job, "%s", j->id); /* the latest */
    ad_report_job rj = {(char *)j->id,    (char *)j->exhibit, (char *)j->who,  (char *)j->status,
                        (char *)j->options, (char *)j->roots, j->started, j->finished};
    c->rc = ad_report_add_job(r, &rj, c->err);
    return c->rc != AD_OK;
}

/* The operating-system user running this program (name, else the uid as a number). */
static void os_user(char *out, size_t n)
{
    struct passwd pw, *res = NULL;
    char buf[4096];
    if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &res) == 0 && res && res->pw_name)
        snprintf(out, n, "%s", res->pw_name);
    else
        snprintf(out, n, "uid %lu", (unsigned long)geteuid());
}

ad_code ad_report_build(ad_store *st, const char *agency, const char *case_number,
                        const ad_report_opts *opts, ad_report *r, ad_err *err)
{
    ad_report_opts dflt = {0, 31, 50, 3600};
    if (!opts)
        opts = &dflt;
    ad_report_init(r);
    int64_t agency_id, case_id;
    ad_code rc = ad_store_agency_find(st, agency, &agency_id, err);
    if (!rc)
        rc = ad_store_case_find(st, agency_id, case_number, &case_id, err);
    if (rc)
        return rc;
    snprintf(r->case_number, sizeof r->case_number, "%s", case_number);
    snprintf(r->agency, sizeof r->agency, "%s", agency);
    ad_store_describe(st, r->store, sizeof r->store);
    snprintf(r->actor, sizeof r->actor, "%s", ad_store_actor(st));
    os_user(r->os_user, sizeof r->os_user);
    ad_time_iso((int64_t)time(NULL), r->generated);
    struct jobs jc = {r, err, AD_OK};
    rc = ad_store_job_list(st, case_id, job_into, &jc, err);
    if (!rc)
        rc = jc.rc;
    if (rc) {
        ad_report_free(r);
        return rc;
    }
    struct collect c = {0};
    rc = ad_store_case_items(st, case_id, collect_item, &c, err);
    if (!rc && c.oom)
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory reading the case");
    ad_report_thumbs th = {0};
    r->thumbnails = opts->thumbnails != 0;
    if (!rc && opts->thumbnails)
        rc = load_thumbs(st, agency_id, &c, &th, err);
    ad_lookup_index *lx = NULL; /* the store's PDQs, searched once per item */
    ad_lookup_cache *cache = NULL;
    if (!rc && c.n)
        rc = ad_lookup_index_load(st, &lx, err);
    if (!rc && c.n)
        rc = ad_lookup_cache_new(&cache, err);
    int in_tx = 0;
    for (size_t i = 0; i < c.n && !rc; i++) {
        /* the lookups' reads and audit rows, a few hundred items per transaction */
        if (!in_tx && !(rc = ad_store_begin(st, err)))
            in_tx = 1;
        if (rc)
            break;
        const struct item_copy *d = &c.v[i];
        ad_report_item it;
        memset(&it, 0, sizeof it);
        it.quality = -1;
        it.size = d->has_s ? d->s.size : -1;
        it.path = (char *)(d->it.path ? d->it.path : d->s.path);
        it.sighting_id = d->has_s ? d->s.id : 0;
        it.media_id = d->it.media_id;
        struct clues cl;
        memset(&cl, 0, sizeof cl);
        if (d->has_s) {
            it.parent_path = (char *)d->s.parent_path;
            it.inner_path = (char *)d->s.inner_path;
            it.mtime = d->s.mtime;
            it.ingested = d->s.ingested;
        }
        if (d->it.media_id) {
            ad_store_media_get(st, d->it.media_id, media_into, &it, NULL);
            ad_store_clue_list(st, "media", d->it.media_id, clue_into, &cl, NULL);
        }
        ad_classification cls;
        memset(&cls, 0, sizeof cls);
        if (d->it.error_code) {
            it.cls = AD_RC_ERROR;
            it.error_code = (char *)d->it.error_code;
            it.error_message = (char *)d->it.error_message;
        } else if (d->it.media_id) {
            rc = classify_item(st, lx, cache, opts, &d->it, &it, &cls, err);
        } else {
            it.cls = AD_RC_OTHER;
        }
        if (cl.make[0] || cl.model[0]) {
            it.camera_make = cl.make[0] ? cl.make : NULL;
            it.camera_model = cl.model[0] ? cl.model : NULL;
        } else if (cl.camera[0]) { /* stores made before make and model were kept apart */
            it.camera_make = cl.camera;
        }
        if (cl.serial[0])
            it.camera_serial = cl.serial;
        if (cl.software[0])
            it.software = cl.software;
        it.captured = cl.captured;
        snprintf(it.captured_text, sizeof it.captured_text, "%s", cl.time);
        it.captured_zone = cl.zone;
        it.has_gps = cl.has_gps;
        it.lat = cl.lat;
        it.lon = cl.lon;
        if (opts->thumbnails && it.cls != AD_RC_ERROR) {
            it.thumbnail = (char *)ad_report_thumbs_uri(&th, d->it.media_id);
            if (!it.thumbnail)
                it.thumbnail_note =
                    (char *)ad_report_thumb_note(r, d->it.job_id, it.cls, d->it.match_kind);
        }
        if (!rc && d->it.media_id && d->it.job_id)
            rc = ad_feat_report_links(st, d->it.job_id, d->it.media_id, &it.links, &it.nlinks,
                                      err);
        if (ad_report_add(r, &it) == (size_t)-1)
            rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
        free(it.links);
        if (in_tx && (rc || i % 256 == 255 || i + 1 == c.n)) {
            ad_code rc2 = rc ? ad_store_rollback(st, NULL) : ad_store_commit(st, err);
            rc = rc ? rc : rc2;
            in_tx = 0;
        }
    }
    if (in_tx)
        ad_store_rollback(st, NULL);
    ad_lookup_index_free(lx);
    ad_lookup_cache_free(cache);
    ad_report_thumbs_free(&th);
    free_copies(&c);
    if (!rc)
        rc = ad_report_group_new(r, opts->radius, opts->min_quality, opts->group_window_s, err);
    if (!rc)
        ad_store_audit(st, "report.build", case_number, agency, NULL);
    int64_t hseq;
    uint8_t hh[32];
    if (!rc && ad_store_audit_head(st, &hseq, hh, NULL) == AD_OK && hseq > 0) {
        char hex[65];
        snprintf(r->audit_anchor, sizeof r->audit_anchor, "%lld:%s", (long long)hseq,
                 ad_hex_encode(hh, 32, hex));
    }
    if (rc)
        ad_report_free(r);
    return rc;
}

static ad_code write_file(const ad_report *r, const char *dir, const char *name,
                          ad_code (*fn)(const ad_report *, FILE *, ad_err *), ad_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    ad_file_replace f;
    ad_code rc = ad_file_replace_open(&f, path, err);
    if (rc)
        return rc;
    return ad_file_replace_end(&f, fn(r, f.f, err), err);
}

/* ---- the candidate groups alone (the case page): new files and their clues, no lookups ---- */

struct newfiles {
    ad_report *r;
    ad_idmap first; /* media id -> index + 1 of its first item */
    size_t *next;   /* index + 1 of the next item of the same media, 0 none */
    size_t cap;
    int64_t media;  /* the media whose clues are being read */
    struct clues cl;
};

static int new_file(void *ctx, int64_t media_id, const char *path, const uint8_t *sha256,
                    const uint8_t *pdq, int quality)
{
    struct newfiles *n = ctx;
    ad_report_item it;
    memset(&it, 0, sizeof it);
    it.cls = AD_RC_NEW;
    it.media_id = media_id;
    it.path = (char *)path;
    it.quality = pdq ? quality : -1;
    it.group = -1;
    if (sha256)
        ad_hex_encode(sha256, 32, it.sha256);
    if (pdq) {
        ad_h256 h;
        memcpy(h.b, pdq, 32);
        ad_h256_format(&h, it.pdq);
    }
    size_t k = ad_report_add(n->r, &it);
    if (k == (size_t)-1)
        return 1;
    if (k >= n->cap) {
        size_t cap = n->cap ? 2 * n->cap : 1024;
        size_t *v = realloc(n->next, cap * sizeof *v);
        if (!v)
            return 1;
        n->next = v;
        n->cap = cap;
    }
    n->next[k] = 0;
    int64_t at = ad_idmap_get(&n->first, media_id);
    if (!at)
        return ad_idmap_put(&n->first, media_id, (int64_t)k + 1) != 0;
    size_t i = (size_t)at - 1;
    while (n->next[i])
        i = n->next[i] - 1;
    n->next[i] = k + 1;
    return 0;
}

static char *dup_opt(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

/* The clues read for n->media, to each of its items (as ad_report_build sets them). */
static void flush_clues(struct newfiles *n)
{
    int64_t at = n->media ? ad_idmap_get(&n->first, n->media) : 0;
    for (size_t i = (size_t)at; i; i = n->next[i - 1]) {
        ad_report_item *it = &n->r->items[i - 1];
        const struct clues *c = &n->cl;
        it->camera_make = dup_opt(c->make[0] || c->model[0] ? c->make : c->camera);
        it->camera_model = dup_opt(c->make[0] || c->model[0] ? c->model : NULL);
        it->camera_serial = dup_opt(c->serial);
        it->captured = c->captured;
    }
    memset(&n->cl, 0, sizeof n->cl);
}

static int new_clue(void *ctx, int64_t media_id, const char *kind, const char *value)
{
    struct newfiles *n = ctx;
    if (media_id != n->media) {
        flush_clues(n);
        n->media = media_id;
    }
    return clue_into(&n->cl, 0, NULL, 0, kind ? kind : "", value ? value : "");
}

ad_code ad_report_build_groups(ad_store *st, int64_t case_id, const ad_report_opts *opts,
                               ad_report *r, ad_err *err)
{
    ad_report_opts dflt = {0, 31, 50, 3600};
    if (!opts)
        opts = &dflt;
    ad_report_init(r);
    struct newfiles n = {0};
    n.r = r;
    ad_code rc = ad_store_case_new_files(st, case_id, new_file, new_clue, &n, err);
    if (rc == AD_OK)
        flush_clues(&n);
    ad_idmap_free(&n.first);
    free(n.next);
    r->counts[AD_RC_NEW] = r->n;
    if (rc == AD_OK)
        rc = ad_report_group_new(r, opts->radius, opts->min_quality, opts->group_window_s, err);
    if (rc != AD_OK)
        ad_report_free(r);
    return rc;
}

ad_code ad_report_write_dir(ad_store *st, const ad_report *r, const char *dir, ad_err *err)
{
    ad_code rc = ad_dir_create_private(dir, err);
    if (rc)
        return rc;
    rc = write_file(r, dir, "report.html", ad_report_write_html, err);
    if (!rc)
        rc = write_file(r, dir, "report.json", ad_report_write_json, err);
    if (!rc)
        rc = write_file(r, dir, "report.csv", ad_report_write_csv, err);
    if (rc)
        return rc;
    /* the case's media as VICS 2.0 (hash-set form) */
    char path[4096];
    snprintf(path, sizeof path, "%s/case.vics.json", dir);
    ad_file_replace f;
    if ((rc = ad_file_replace_open(&f, path, err)) != AD_OK)
        return rc;
    ad_vics_writer *w = NULL;
    ad_tseries_out *ts = NULL;
    ad_idset seen = {0};
    rc = ad_vics_writer_open(&w, f.f, AD_VICS_V2_0, AD_VICS_DEFAULT, AD_VICS_MEDIA, err);
    if (!rc)
        rc = ad_tseries_out_open(&ts, st, err);
    for (size_t i = 0; i < r->n && !rc; i++) {
        const ad_report_item *it = &r->items[i];
        if (!it->sha256[0])
            continue;
        if (ad_idset_has(&seen, it->media_id)) /* one record per media */
            continue;
        ad_idset_add(&seen, it->media_id);
        ad_xmedia x;
        ad_xmedia_init(&x);
        x.media_id = it->media_id;
        x.has = AD_XHAS_MD5 | AD_XHAS_SHA1 | AD_XHAS_SHA256;
        ad_hex_decode(it->md5, 32, x.md5, 16, NULL);
        ad_hex_decode(it->sha1, 40, x.sha1, 20, NULL);
        ad_hex_decode(it->sha256, 64, x.sha256, 32, NULL);
        if (it->pdq[0] && ad_h256_parse(&x.pdq, it->pdq, 64, NULL) == AD_OK)
            x.has |= AD_XHAS_PDQ;
        x.size = it->size;
        x.mime_type = it->mime[0] ? it->mime : NULL;
        x.series = it->series_name;
        x.relative_path = it->path;
        if (it->cls == AD_RC_KNOWN_IDENTIFIED)
            x.victim_identified = AD_XTRUE;
        if (it->series_id) {
            /* the series, owner, contact and victims of the media that decided the class (the
             * file's own, or the known media it matched), as the exports carry them */
            ad_media dm;
            ad_media_init(&dm);
            dm.id = it->match_media_id ? it->match_media_id : it->media_id;
            int in_series;
            if ((rc = ad_tseries_of_media(ts, &dm, 0, &x, &in_series, err)) != AD_OK)
                break;
        }
        ad_err e;
        if (ad_vics_writer_add_media(w, &x, &e) != AD_OK && e.code != AD_ERR_ARG)
            rc = ad_err_set(err, e.code, "%s", e.msg);
    }
    ad_idset_free(&seen);
    ad_tseries_out_close(ts);
    if (w) {
        ad_code rc2 = ad_vics_writer_close(w, rc ? NULL : err);
        if (!rc)
            rc = rc2;
    }
    if ((rc = ad_file_replace_end(&f, rc, err)) == AD_OK)
        ad_store_audit(st, "report.write", r->case_number, dir, NULL);
    return rc;
}
