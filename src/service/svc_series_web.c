/* svc_series_web.c: the series views of the web interface (docs/web.md), shared knowledge
 * (read_shared): a series' reach (sightings across agencies as counts per agency with first and
 * last seen, never where: sharing.md) and its media; and the series that need action first
 * (an unidentified victim, with new sightings first: a child may be in danger now). The reach
 * carries the series' notes and clues too (private ones to their agency only). Audited as
 * reads (series.reach, series.attention). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "svc_internal.h"

static int on_reach(void *p, const ad_series_reach *r)
{
    json_array_append_new(p, json_pack("{s:o, s:s?, s:I, s:I, s:o, s:o}", "agency_id",
                                       r->agency_id ? json_integer(r->agency_id) : json_null(),
                                       "agency", r->agency, "sightings",
                                       (json_int_t)r->sightings, "media", (json_int_t)r->media,
                                       "first", ad_json_time(r->first), "last",
                                       ad_json_time(r->last)));
    return 0;
}

typedef struct {
    ad_store *st;
    json_t *media;
    int64_t *ids; /* the media's ids, in the order of `media` */
    size_t n, cap;
    int nomem;
} media_ctx;

static int on_media(void *p, int64_t id, const uint8_t *sha256)
{
    media_ctx *m = p;
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 64;
        int64_t *ids = realloc(m->ids, cap * sizeof *ids);
        if (!ids)
            return m->nomem = 1;
        m->ids = ids, m->cap = cap;
    }
    m->ids[m->n++] = id;
    json_array_append_new(m->media, json_pack("{s:o, s:o}", "sha256", ad_json_hex(sha256, 32, !!sha256),
                                              "gid", ad_svc_gid(m->st, "media", id)));
    return 0;
}

/* The places of a series for its map (docs/web.md): its own GPS clues and those of its media
 * (from EXIF at ingest, or added by a person), the ones the caller may see. */
typedef struct {
    const ad_call *c;
    json_t *places;
    json_t *media; /* the media's sha256 (a media's places) or NULL (the series') */
} place_ctx;

static int on_place(void *p, const ad_text *t)
{
    place_ctx *x = p;
    double lat, lon;
    int n = 0;
    if (!t->kind || strcmp(t->kind, "gps") || (t->is_private && !ad_svc_own(x->c, t->agency_id)) ||
        !t->text || sscanf(t->text, " %lf , %lf %n", &lat, &lon, &n) != 2 || t->text[n] ||
        !(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180))
        return 0;
    json_t *o = json_pack("{s:f, s:f, s:s, s:o, s:s?}", "lat", lat, "lon", lon, "on",
                          x->media ? "media" : "series", "sha256",
                          x->media ? json_incref(x->media) : json_null(), "by", t->author);
    json_array_append_new(x->places, o);
    return 0;
}

static ad_code places_of(const ad_call *c, int64_t series_id, const media_ctx *m, json_t *places,
                         ad_err *err)
{
    place_ctx x = {c, places, NULL};
    ad_code rc = ad_store_text_list(c->st, 1, "series", series_id, on_place, &x, err);
    for (size_t i = 0; rc == AD_OK && i < m->n; i++) {
        x.media = json_object_get(json_array_get(m->media, i), "sha256");
        rc = ad_store_text_list(c->st, 1, "media", m->ids[i], on_place, &x, err);
    }
    return rc;
}

typedef struct {
    const ad_call *c;
    json_t *out;
} text_ctx;

/* A note or clue of the series: shared ones to everyone, private ones to their agency only. */
static int on_text(void *p, const ad_text *t)
{
    text_ctx *x = p;
    if (t->is_private && !ad_svc_own(x->c, t->agency_id))
        return 0;
    json_array_append_new(x->out, json_pack("{s:s?, s:o, s:s?, s:s?, s:b}", "author", t->author,
                                            "time", ad_json_time(t->created), "kind", t->kind,
                                            "text", t->text, "private", t->is_private));
    return 0;
}

ad_code ad_svc_series_reach(const ad_call *c, const char *series, int64_t limit, json_t **out,
                            ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_READ_SHARED, 0, err);
    int64_t id = 0;
    if (rc == AD_OK)
        rc = ad_svc_find_series(c, series, "series", &id, err);
    json_t *agencies = json_array(), *media = json_array(), *places = json_array();
    media_ctx m = {c->st, media, NULL, 0, 0, 0};
    if (rc == AD_OK)
        rc = ad_store_series_reach(c->st, id, on_reach, agencies, err);
    if (rc == AD_OK)
        rc = ad_store_series_media_ids(c->st, id, limit, on_media, &m, err);
    if (rc == AD_OK && m.nomem)
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    if (rc == AD_OK)
        rc = places_of(c, id, &m, places, err);
    free(m.ids);
    json_t *notes = json_array(), *clues = json_array();
    text_ctx tn = {c, notes}, tc = {c, clues};
    if (rc == AD_OK)
        rc = ad_store_text_list(c->st, 0, "series", id, on_text, &tn, err);
    if (rc == AD_OK)
        rc = ad_store_text_list(c->st, 1, "series", id, on_text, &tc, err);
    if (rc == AD_OK) {
        char detail[32];
        snprintf(detail, sizeof detail, "series=%lld", (long long)id);
        rc = ad_store_audit_read(c->st, "series.reach", NULL, detail, err);
    }
    json_t *doc = rc == AD_OK ? json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}", "series", series,
                                          "agencies", agencies, "media", media, "notes", notes,
                                          "clues", clues, "places", places)
                              : NULL;
    if (!doc) {
        json_decref(places);
        json_decref(agencies);
        json_decref(media);
        json_decref(notes);
        json_decref(clues);
    }
    if (rc == AD_OK && !doc)
        rc = ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    return ad_svc_done(rc, doc, out);
}

static int on_attention(void *p, const ad_series_attention *a)
{
    json_array_append_new(p, json_pack("{s:s, s:s?, s:s?, s:I, s:I, s:o}", "name", a->name,
                                       "owner", a->owner, "contact", a->contact,
                                       "victims_unidentified", (json_int_t)a->unidentified,
                                       "sightings_recent", (json_int_t)a->recent, "last_seen",
                                       ad_json_time(a->last)));
    return 0;
}

/* New sightings first, then the latest seen, then the most unidentified victims. */
static int attention_order(const void *pa, const void *pb)
{
    json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    json_int_t ra = json_integer_value(json_object_get(a, "sightings_recent"));
    json_int_t rb = json_integer_value(json_object_get(b, "sightings_recent"));
    if (ra != rb)
        return ra < rb ? 1 : -1;
    const char *la = json_string_value(json_object_get(a, "last_seen"));
    const char *lb = json_string_value(json_object_get(b, "last_seen"));
    int c = (lb ? 1 : 0) - (la ? 1 : 0);
    if (!c && la && lb)
        c = -strcmp(la, lb);
    if (c)
        return c;
    json_int_t ua = json_integer_value(json_object_get(a, "victims_unidentified"));
    json_int_t ub = json_integer_value(json_object_get(b, "victims_unidentified"));
    return ua < ub ? 1 : ua > ub ? -1 : 0;
}

ad_code ad_svc_series_attention(const ad_call *c, int64_t days, json_t **out, ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_READ_SHARED, 0, err);
    int64_t since = (int64_t)time(NULL) - days * 86400;
    json_t *list = json_array();
    if (rc == AD_OK)
        rc = ad_store_series_attention(c->st, since, on_attention, list, err);
    if (rc == AD_OK)
        rc = ad_store_audit_read(c->st, "series.attention", NULL, NULL, err);
    if (rc != AD_OK) {
        json_decref(list);
        return rc;
    }
    size_t n = json_array_size(list);
    json_t **v = calloc(n ? n : 1, sizeof *v);
    if (!v) {
        json_decref(list);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(list, i));
    qsort(v, n, sizeof *v, attention_order);
    json_array_clear(list);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, v[i]);
    free(v);
    return ad_svc_done(AD_OK, json_pack("{s:o, s:I, s:o}", "since", ad_json_time(since), "days",
                                        (json_int_t)days, "series", list),
                       out);
}
