/* svc_media.c: everything known about one media, found by any hash (ad_lookup): the media,
 * its classification as triage decides it, PDQ matches, series with owner and contact, votes,
 * trusted categories, lists, notes, clues and sightings: the document of `ariadne media show
 * --json` and of GET /v1/media/{hash} (docs/schemas/media-show.schema.json). Scope (sharing.md):
 * the caller's agency's sightings and private notes and clues in full; other agencies'
 * sightings only as counts per agency with the first and last time seen, their private notes
 * and clues not at all. A local identity sees everything. */
#include <stdio.h>
#include <string.h>

#include "ariadne/lookup.h"
#include "ariadne/pdq.h"
#include "svc_internal.h"

void ad_svc_lookup_opts_default(ad_svc_lookup_opts *o)
{
    ad_lookup_opts lo;
    ad_lookup_opts_default(&lo);
    o->radius = lo.radius;
    o->min_quality = lo.min_quality;
}

static json_t *jint_or_null(int64_t v, int known)
{
    return known ? json_integer(v) : json_null();
}

static json_t *arr(json_t *o, const char *key)
{
    json_t *a = json_array();
    json_object_set_new(o, key, a);
    return a;
}

/* ---- names of agencies and cases (custody is shown with names, not ids) ---- */

struct names {
    json_t *agencies; /* "id" -> name */
    json_t *cases;    /* "id" -> number */
    json_t *listed;   /* agencies whose cases are in `cases` */
    ad_store *st;
};

static int on_agency(void *ctx, const ad_agency *a)
{
    char k[24];
    snprintf(k, sizeof k, "%lld", (long long)a->id);
    ad_json_set_text(ctx, k, a->name, NULL);
    return 0;
}

static int on_case(void *ctx, const ad_case *c)
{
    char k[24];
    snprintf(k, sizeof k, "%lld", (long long)c->id);
    ad_json_set_text(ctx, k, c->number, NULL);
    return 0;
}

static json_t *name_of(json_t *map, int64_t id)
{
    char k[24];
    snprintf(k, sizeof k, "%lld", (long long)id);
    json_t *v = json_object_get(map, k);
    return v ? json_incref(v) : json_null();
}

/* ---- the media ---- */

struct media_ctx {
    json_t *o;
    ad_store *st;
};

static int on_media(void *ctx, const ad_media *m)
{
    struct media_ctx *mc = ctx;
    json_t *o = mc->o;
    char pdq[65];
    json_object_set_new(o, "id", json_integer(m->id));
    json_object_set_new(o, "sha256", ad_json_hex(m->sha256, 32, m->has_sha256));
    json_object_set_new(o, "md5", ad_json_hex(m->md5, 16, m->has_md5));
    json_object_set_new(o, "sha1", ad_json_hex(m->sha1, 20, m->has_sha1));
    json_object_set_new(o, "pdq",
                        m->has_pdq ? json_string(ad_h256_format(&m->pdq, pdq)) : json_null());
    json_object_set_new(o, "pdq_quality", jint_or_null(m->pdq_quality, m->pdq_quality >= 0));
    json_object_set_new(o, "size", jint_or_null(m->size, m->size >= 0));
    ad_json_set_text(o, "mime", m->mime, NULL);
    json_object_set_new(o, "width", jint_or_null(m->width, m->width > 0));
    json_object_set_new(o, "height", jint_or_null(m->height, m->height > 0));
    json_object_set_new(o, "duration_ms", jint_or_null(m->duration_ms, m->duration_ms > 0));
    json_t *flags = arr(o, "flags");
    for (unsigned b = 1; b && b <= m->flags; b <<= 1)
        if (m->flags & b) {
            const char *name = ad_lookup_flag_name(b);
            json_array_append_new(flags, name ? json_string(name) : json_sprintf("flag %u", b));
        }
    json_object_set_new(o, "created", ad_json_time(m->created));
    json_object_set_new(o, "updated", ad_json_time(m->updated));
    json_object_set_new(o, "gid", ad_svc_gid(mc->st, "media", m->id));
    return 0;
}

static json_t *series_brief(ad_store *st, const ad_classification *c)
{
    if (!c->series_id)
        return json_null();
    json_t *s = json_object();
    json_object_set_new(s, "id", json_integer(c->series_id));
    ad_json_set_text(s, "name", c->series_name, NULL);
    ad_json_set_text(s, "owner", c->owner_agency[0] ? c->owner_agency : NULL, NULL);
    ad_json_set_text(s, "contact", c->contact[0] ? c->contact : NULL, NULL);
    json_object_set_new(s, "victims", json_integer(c->victims));
    json_object_set_new(s, "victims_unidentified", json_integer(c->victims_unidentified));
    json_object_set_new(s, "gid", ad_svc_gid(st, "series", c->series_id));
    if (c->merged_from_id) /* the series above is the survivor of the one the media is in */
        json_object_set_new(s, "merged_from",
                            json_pack("{s:I, s:s, s:o}", "id", (json_int_t)c->merged_from_id,
                                      "name", c->merged_from, "gid",
                                      ad_svc_gid(st, "series", c->merged_from_id)));
    return s;
}

static json_t *neighbour_json(ad_store *st, const ad_lookup_neighbour *nb)
{
    json_t *o = json_object();
    json_object_set_new(o, "media_id", json_integer(nb->media_id));
    struct media_ctx mc = {json_object(), st};
    if (ad_store_media_get(st, nb->media_id, on_media, &mc, NULL) == AD_OK)
        json_object_set(o, "sha256", json_object_get(mc.o, "sha256"));
    else
        json_object_set_new(o, "sha256", json_null());
    json_decref(mc.o);
    json_object_set_new(o, "kind", json_string(nb->kind));
    json_object_set_new(o, "source", json_string(ad_lookup_source_name(nb->source)));
    json_object_set_new(o, "distance", json_integer(nb->distance));
    int pdq = !strcmp(nb->kind, "pdq") || !strcmp(nb->kind, "frame");
    json_object_set_new(o, "variant",
                        pdq ? json_string(ad_pdq_variant_names[nb->variant & 7]) : json_null());
    json_object_set_new(o, "frame_id", jint_or_null(nb->frame_id, nb->frame_id > 0));
    ad_json_set_text(o, "ranges", nb->ranges, NULL);
    json_object_set_new(o, "class",
                        nb->classified ? json_string(ad_class_name(nb->cls.cls)) : json_null());
    json_object_set_new(o, "series", series_brief(st, &nb->cls));
    return o;
}

static const char *decider_name(ad_lookup_decider d)
{
    return d == AD_LOOKUP_EXACT ? "exact" : d == AD_LOOKUP_NEIGHBOUR ? "neighbour" : "none";
}

static void add_lookup(json_t *doc, ad_store *st, const ad_lookup_result *r)
{
    json_t *c = json_object();
    json_object_set_new(c, "class", json_string(ad_class_name(r->cls)));
    json_object_set_new(c, "decided_by", json_string(decider_name(r->how)));
    json_object_set_new(c, "media_id", jint_or_null(r->decided.media_id, r->how != AD_LOOKUP_NONE));
    json_object_set_new(c, "match",
                        r->how == AD_LOOKUP_NEIGHBOUR ? neighbour_json(st, &r->by) : json_null());
    json_object_set_new(c, "series", series_brief(st, &r->decided));
    json_object_set_new(c, "own_class",
                        r->media_id ? json_string(ad_class_name(r->own.cls)) : json_null());
    json_object_set_new(doc, "classification", c);

    json_t *p = json_object();
    char hex[65];
    json_object_set_new(p, "forms", json_integer(r->pdq_forms));
    json_object_set_new(p, "pdq",
                        r->pdq_forms ? json_string(ad_h256_format(&r->pdq, hex)) : json_null());
    json_object_set_new(p, "quality", jint_or_null(r->pdq_quality, r->pdq_quality >= 0));
    json_object_set_new(p, "skipped",
                        r->pdq_skipped[0] ? json_string(r->pdq_skipped) : json_null());
    json_object_set_new(p, "neighbours", json_integer((json_int_t)r->n_total));
    json_object_set_new(doc, "pdq_search", p);

    json_t *a = arr(doc, "matches");
    for (size_t i = 0; i < r->n; i++)
        json_array_append_new(a, neighbour_json(st, &r->v[i]));
}

/* ---- the rest of what is known ---- */

struct ctx {
    json_t *a;
    struct names *nm;
    const ad_call *c;
    json_t *elsewhere; /* "agency id" -> {agency_id, agency, sightings, first_seen, last_seen} */
};

static int on_series(void *p, const ad_series *s)
{
    struct ctx *c = p;
    json_array_append_new(c->a, ad_svc_series_json(c->c->st, s, 0));
    return 0;
}

/* Another agency's sighting: counted, with the first and last time seen, nothing else. */
static void count_elsewhere(struct ctx *c, const ad_sighting *x)
{
    char k[24];
    snprintf(k, sizeof k, "%lld", (long long)x->agency_id);
    json_t *o = json_object_get(c->elsewhere, k);
    if (!o) {
        o = json_object();
        json_object_set_new(o, "agency_id", jint_or_null(x->agency_id, x->agency_id > 0));
        json_object_set_new(o, "agency", name_of(c->nm->agencies, x->agency_id));
        json_object_set_new(o, "sightings", json_integer(0));
        json_object_set_new(o, "first", json_integer(x->ingested));
        json_object_set_new(o, "last", json_integer(x->ingested));
        json_object_set_new(c->elsewhere, k, o);
    }
    json_object_set_new(o, "sightings",
                        json_integer(json_integer_value(json_object_get(o, "sightings")) + 1));
    if (x->ingested < json_integer_value(json_object_get(o, "first")))
        json_object_set_new(o, "first", json_integer(x->ingested));
    if (x->ingested > json_integer_value(json_object_get(o, "last")))
        json_object_set_new(o, "last", json_integer(x->ingested));
}

static int on_sighting(void *p, const ad_sighting *x)
{
    struct ctx *c = p;
    if (!ad_svc_own(c->c, x->agency_id)) {
        count_elsewhere(c, x);
        return 0;
    }
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(x->id));
    json_object_set_new(o, "agency_id", jint_or_null(x->agency_id, x->agency_id > 0));
    json_object_set_new(o, "agency", name_of(c->nm->agencies, x->agency_id));
    json_object_set_new(o, "case_id", jint_or_null(x->case_id, x->case_id > 0));
    json_object_set_new(o, "case", name_of(c->nm->cases, x->case_id));
    ad_json_set_text(o, "exhibit", x->exhibit, NULL);
    ad_json_set_text(o, "path", x->path, "path_hex");
    ad_json_set_text(o, "parent", x->parent_path, "parent_hex");
    ad_json_set_text(o, "inner_path", x->inner_path, "inner_path_hex");
    json_object_set_new(o, "size", jint_or_null(x->size, x->size >= 0));
    json_object_set_new(o, "mtime", ad_json_time(x->mtime));
    json_object_set_new(o, "ctime", ad_json_time(x->ctime));
    json_object_set_new(o, "atime", ad_json_time(x->atime));
    json_object_set_new(o, "btime", ad_json_time(x->btime));
    json_object_set_new(o, "ingested", ad_json_time(x->ingested));
    ad_json_set_text(o, "job", x->job_id, NULL);
    json_array_append_new(c->a, o);
    return 0;
}

/* Case numbers of the agencies whose sightings the caller sees in full. */
static int want_cases(void *p, const ad_sighting *x)
{
    struct ctx *c = p;
    struct names *nm = c->nm;
    char k[24];
    snprintf(k, sizeof k, "%lld", (long long)x->agency_id);
    if (x->case_id > 0 && ad_svc_own(c->c, x->agency_id) && !json_object_get(nm->listed, k)) {
        json_object_set_new(nm->listed, k, json_true());
        ad_store_case_list(nm->st, x->agency_id, on_case, nm->cases, NULL);
    }
    return 0;
}

static int on_vote(void *p, const ad_vote *v)
{
    struct ctx *c = p;
    json_t *o = json_object();
    ad_json_set_text(o, "scheme", v->scheme, NULL);
    ad_json_set_text(o, "code", v->code, NULL);
    ad_json_set_text(o, "voter", v->voter, NULL);
    json_object_set_new(o, "agency",
                        v->agency_id > 0 ? name_of(c->nm->agencies, v->agency_id) : json_null());
    json_object_set_new(o, "time", ad_json_time(v->created));
    json_object_set_new(o, "gid", v->gid ? json_string(v->gid) : json_null());
    json_object_set_new(o, "withdraws", v->withdraws ? json_string(v->withdraws) : json_null());
    json_object_set_new(o, "withdrawn", v->withdrawn ? ad_json_time(v->withdrawn) : json_null());
    json_array_append_new(c->a, o);
    return 0;
}

static int on_list(void *p, const ad_list *l)
{
    json_t *o = json_object();
    ad_json_set_text(o, "name", l->name, NULL);
    ad_json_set_text(o, "description", l->description, NULL);
    ad_json_set_text(o, "source", l->source, NULL);
    json_array_append_new(p, o);
    return 0;
}

/* A note or clue, unless it is another agency's private one. Clues always have a kind. */
static int on_text(void *p, const ad_text *t)
{
    struct ctx *c = p;
    if (t->is_private && !ad_svc_own(c->c, t->agency_id))
        return 0;
    json_t *o = json_object();
    ad_json_set_text(o, "author", t->author, NULL);
    json_object_set_new(o, "time", ad_json_time(t->created));
    if (c->nm) /* clues */
        ad_json_set_text(o, "kind", t->kind ? t->kind : "other", NULL);
    ad_json_set_text(o, c->nm ? "value" : "text", t->text, NULL);
    if (t->is_private)
        json_object_set_new(o, "private", json_true());
    json_array_append_new(c->a, o);
    return 0;
}

static json_t *elsewhere_list(json_t *map)
{
    json_t *a = json_array();
    const char *k;
    json_t *o;
    json_object_foreach(map, k, o)
    {
        json_object_set_new(o, "first", ad_json_time(json_integer_value(json_object_get(o, "first"))));
        json_object_set_new(o, "last", ad_json_time(json_integer_value(json_object_get(o, "last"))));
        json_array_append(a, o);
    }
    return a;
}

static ad_code add_records(json_t *doc, const ad_call *call, int64_t id, ad_err *err)
{
    ad_store *st = call->st;
    struct names nm = {json_object(), json_object(), json_object(), st};
    struct ctx c = {arr(doc, "sightings"), &nm, call, json_object()};
    ad_code k = ad_store_agency_list(st, on_agency, nm.agencies, err);
    if (k == AD_OK)
        k = ad_store_sighting_list(st, id, want_cases, &c, err);
    if (k == AD_OK)
        k = ad_store_sighting_list(st, id, on_sighting, &c, err);
    json_object_set_new(doc, "sightings_elsewhere", elsewhere_list(c.elsewhere));
    json_decref(c.elsewhere);
    c.a = arr(doc, "series");
    if (k == AD_OK)
        k = ad_store_media_series(st, id, on_series, &c, err);
    /* a series merged into another says so (docs/federation.md "Merging two series") */
    size_t si;
    json_t *sj;
    json_array_foreach(c.a, si, sj)
    {
        json_t *alias = NULL;
        if (k == AD_OK)
            k = ad_svc_series_alias(call, json_integer_value(json_object_get(sj, "id")), &alias,
                                    err);
        if (alias)
            json_object_set_new(sj, "merged_into", alias);
    }
    c.a = arr(doc, "votes");
    if (k == AD_OK)
        k = ad_store_vote_history(st, id, on_vote, &c, err);
    static const char *const schemes[] = {"vics-us", "dhs", "uk", "baseline"};
    json_t *trusted = arr(doc, "trusted");
    for (size_t i = 0; i < 4 && k == AD_OK; i++) {
        char code[16];
        if (ad_store_trusted_category(st, id, schemes[i], code, sizeof code, NULL) == AD_OK)
            json_array_append_new(trusted,
                                  json_pack("{s:s, s:s}", "scheme", schemes[i], "code", code));
    }
    if (k == AD_OK)
        k = ad_store_media_lists(st, id, on_list, arr(doc, "lists"), err);
    struct ctx notes = {arr(doc, "notes"), NULL, call, NULL};
    if (k == AD_OK)
        k = ad_store_text_list(st, 0, "media", id, on_text, &notes, err);
    struct ctx clues = {arr(doc, "clues"), &nm, call, NULL};
    if (k == AD_OK)
        k = ad_store_text_list(st, 1, "media", id, on_text, &clues, err);
    json_decref(nm.agencies);
    json_decref(nm.cases);
    json_decref(nm.listed);
    return k;
}

static void empty_records(json_t *doc)
{
    static const char *const keys[] = {"sightings", "sightings_elsewhere", "series", "votes",
                                       "trusted",   "lists",               "notes",  "clues"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        arr(doc, keys[i]);
}

/* A media gid ("<uuid>:media:<id>") becomes "id:<local id>". */
static ad_code parse_query(const ad_call *c, const char *hash, ad_lookup_query *q, char *idtext,
                           size_t cap, ad_err *err)
{
    if (hash && strstr(hash, ":media:")) {
        int64_t id;
        if (ad_store_gid_find(c->st, "media", hash, &id, err) != AD_OK)
            return ad_err_field(err, AD_ERR_NOT_FOUND, "hash", "no media has the global id %s",
                                hash);
        snprintf(idtext, cap, "id:%lld", (long long)id);
        hash = idtext;
    }
    ad_code rc = ad_lookup_query_parse(q, hash ? hash : "", err);
    if (rc != AD_OK && err) {
        err->code = AD_ERR_PARSE;
        snprintf(err->field, sizeof err->field, "hash");
        return AD_ERR_PARSE;
    }
    return rc;
}

ad_code ad_svc_media_view(const ad_call *c, const char *hash, const ad_svc_lookup_opts *o,
                          json_t **out, ad_err *err)
{
    *out = NULL;
    ad_code rc = ad_svc_start(c, AD_ACT_READ_SHARED, 0, err);
    if (rc != AD_OK)
        return rc;
    ad_lookup_opts lo;
    ad_lookup_opts_default(&lo);
    if (o) {
        if (o->radius < 0 || o->radius > AD_INDEX_RADIUS_MAX)
            return ad_err_field(err, AD_ERR_ARG, "radius", "radius takes a number from 0 to %d",
                                AD_INDEX_RADIUS_MAX);
        if (o->min_quality < 0 || o->min_quality > 100)
            return ad_err_field(err, AD_ERR_ARG, "min_quality",
                                "min_quality takes a number from 0 to 100");
        lo.radius = o->radius;
        lo.min_quality = o->min_quality;
    }
    ad_lookup_query q;
    char idtext[32];
    if ((rc = parse_query(c, hash, &q, idtext, sizeof idtext, err)) != AD_OK)
        return rc;
    ad_lookup_result res;
    if ((rc = ad_lookup(c->st, NULL, &q, &lo, &res, err)) != AD_OK)
        return rc;
    if (!res.media_id && !res.n_total) {
        int forms = res.pdq_forms;
        ad_lookup_result_free(&res);
        return ad_err_field(err, AD_ERR_NOT_FOUND, "hash",
                            "nothing is known about this hash: no media has it%s",
                            forms ? " and no PDQ is near it" : "");
    }
    json_t *doc = json_object();
    json_t *query = json_object();
    ad_json_set_text(query, "text", hash, NULL);
    json_object_set_new(query, "radius", json_integer(lo.radius));
    json_object_set_new(query, "min_quality", json_integer(lo.min_quality));
    json_object_set_new(doc, "query", query);
    if (res.media_id) {
        struct media_ctx mc = {json_object(), c->st};
        rc = ad_store_media_get(c->st, res.media_id, on_media, &mc, err);
        json_object_set_new(mc.o, "found_by", json_string(res.media_by));
        json_object_set_new(doc, "media", mc.o);
    } else {
        json_object_set_new(doc, "media", json_null());
    }
    if (rc == AD_OK)
        add_lookup(doc, c->st, &res);
    if (rc == AD_OK && res.media_id)
        rc = add_records(doc, c, res.media_id, err);
    else if (rc == AD_OK)
        empty_records(doc);
    ad_lookup_result_free(&res);
    return ad_svc_done(rc, doc, out);
}
