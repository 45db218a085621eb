/* cmd_media.c: `ariadne media show HASH`: everything known about one media, found by any hash
 * (ad_lookup): the media, its classification as triage decides it (exact match, PDQ neighbours
 * within --radius), series, matches, sightings with custody data, votes, categories, lists,
 * notes and clues. One JSON document (docs/schemas/media-show.schema.json) is built and either
 * printed (--json) or shown as labelled sections (media_text.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "ariadne/lookup.h"
#include "ariadne/pdq.h"
#include "ariadne/util.h"
#include "cli.h"
#include "media_text.h"
#include "textout.h"

/* ---- JSON helpers ---- */

static json_t *jtime(int64_t t)
{
    char b[32];
    return t > 0 ? json_string(ad_cli_time(t, b)) : json_null();
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
    ad_txt_json_set(ctx, k, a->name, NULL);
    return 0;
}

static int on_case(void *ctx, const ad_case *c)
{
    char k[24];
    snprintf(k, sizeof k, "%lld", (long long)c->id);
    ad_txt_json_set(ctx, k, c->number, NULL);
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

static int on_media(void *ctx, const ad_media *m)
{
    json_t *o = ctx;
    char pdq[65];
    json_object_set_new(o, "id", json_integer(m->id));
    json_object_set_new(o, "sha256", ad_cli_json_hex(m->sha256, 32, m->has_sha256));
    json_object_set_new(o, "md5", ad_cli_json_hex(m->md5, 16, m->has_md5));
    json_object_set_new(o, "sha1", ad_cli_json_hex(m->sha1, 20, m->has_sha1));
    json_object_set_new(o, "pdq",
                        m->has_pdq ? json_string(ad_h256_format(&m->pdq, pdq)) : json_null());
    json_object_set_new(o, "pdq_quality", jint_or_null(m->pdq_quality, m->pdq_quality >= 0));
    json_object_set_new(o, "size", jint_or_null(m->size, m->size >= 0));
    ad_txt_json_set(o, "mime", m->mime, NULL);
    json_object_set_new(o, "width", jint_or_null(m->width, m->width > 0));
    json_object_set_new(o, "height", jint_or_null(m->height, m->height > 0));
    json_object_set_new(o, "duration_ms", jint_or_null(m->duration_ms, m->duration_ms > 0));
    json_t *flags = arr(o, "flags");
    for (unsigned b = 1; b && b <= m->flags; b <<= 1)
        if (m->flags & b) {
            const char *name = ad_lookup_flag_name(b);
            json_array_append_new(flags, name ? json_string(name) : json_sprintf("flag %u", b));
        }
    json_object_set_new(o, "created", jtime(m->created));
    json_object_set_new(o, "updated", jtime(m->updated));
    return 0;
}

static json_t *series_brief(const ad_classification *c)
{
    if (!c->series_id)
        return json_null();
    json_t *s = json_object();
    json_object_set_new(s, "id", json_integer(c->series_id));
    ad_txt_json_set(s, "name", c->series_name, NULL);
    ad_txt_json_set(s, "owner", c->owner_agency[0] ? c->owner_agency : NULL, NULL);
    ad_txt_json_set(s, "contact", c->contact[0] ? c->contact : NULL, NULL);
    json_object_set_new(s, "victims", json_integer(c->victims));
    json_object_set_new(s, "victims_unidentified", json_integer(c->victims_unidentified));
    return s;
}

static json_t *neighbour_json(ad_store *st, const ad_lookup_neighbour *nb)
{
    json_t *o = json_object();
    json_object_set_new(o, "media_id", json_integer(nb->media_id));
    json_t *m = json_object();
    if (ad_store_media_get(st, nb->media_id, on_media, m, NULL) == AD_OK)
        json_object_set(o, "sha256", json_object_get(m, "sha256"));
    else
        json_object_set_new(o, "sha256", json_null());
    json_decref(m);
    json_object_set_new(o, "kind", json_string(nb->kind));
    json_object_set_new(o, "source", json_string(ad_lookup_source_name(nb->source)));
    json_object_set_new(o, "distance", json_integer(nb->distance));
    int pdq = !strcmp(nb->kind, "pdq") || !strcmp(nb->kind, "frame");
    json_object_set_new(o, "variant",
                        pdq ? json_string(ad_pdq_variant_names[nb->variant & 7]) : json_null());
    json_object_set_new(o, "frame_id", jint_or_null(nb->frame_id, nb->frame_id > 0));
    ad_txt_json_set(o, "ranges", nb->ranges, NULL);
    json_object_set_new(o, "class",
                        nb->classified ? json_string(ad_class_name(nb->cls.cls)) : json_null());
    json_object_set_new(o, "series", series_brief(&nb->cls));
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
    json_object_set_new(c, "series", series_brief(&r->decided));
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
};

static int on_series(void *p, const ad_series *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(s->id));
    ad_txt_json_set(o, "name", s->name, NULL);
    ad_txt_json_set(o, "owner", s->owner_agency_name, NULL);
    ad_txt_json_set(o, "contact", s->contact, NULL);
    ad_txt_json_set(o, "status", s->status, NULL);
    json_object_set_new(o, "victims", json_integer(s->victims));
    json_object_set_new(o, "victims_unidentified", json_integer(s->victims_unidentified));
    json_array_append_new(p, o);
    return 0;
}

static int on_sighting(void *p, const ad_sighting *x)
{
    struct ctx *c = p;
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(x->id));
    json_object_set_new(o, "agency_id", jint_or_null(x->agency_id, x->agency_id > 0));
    json_object_set_new(o, "agency", name_of(c->nm->agencies, x->agency_id));
    json_object_set_new(o, "case_id", jint_or_null(x->case_id, x->case_id > 0));
    json_object_set_new(o, "case", name_of(c->nm->cases, x->case_id));
    ad_txt_json_set(o, "exhibit", x->exhibit, NULL);
    ad_txt_json_set(o, "path", x->path, "path_hex");
    ad_txt_json_set(o, "parent", x->parent_path, "parent_hex");
    ad_txt_json_set(o, "inner_path", x->inner_path, "inner_path_hex");
    json_object_set_new(o, "size", jint_or_null(x->size, x->size >= 0));
    json_object_set_new(o, "mtime", jtime(x->mtime));
    json_object_set_new(o, "ctime", jtime(x->ctime));
    json_object_set_new(o, "atime", jtime(x->atime));
    json_object_set_new(o, "btime", jtime(x->btime));
    json_object_set_new(o, "ingested", jtime(x->ingested));
    ad_txt_json_set(o, "job", x->job_id, NULL);
    json_array_append_new(c->a, o);
    return 0;
}

/* Case numbers of the agencies that hold sightings of this media. */
static int want_cases(void *p, const ad_sighting *x)
{
    struct names *nm = p;
    char k[24];
    snprintf(k, sizeof k, "%lld", (long long)x->agency_id);
    if (x->case_id > 0 && !json_object_get(nm->listed, k)) {
        json_object_set_new(nm->listed, k, json_true());
        ad_store_case_list(nm->st, x->agency_id, on_case, nm->cases, NULL);
    }
    return 0;
}

static int on_vote(void *p, const ad_vote *v)
{
    struct ctx *c = p;
    json_t *o = json_object();
    ad_txt_json_set(o, "scheme", v->scheme, NULL);
    ad_txt_json_set(o, "code", v->code, NULL);
    ad_txt_json_set(o, "voter", v->voter, NULL);
    json_object_set_new(o, "agency",
                        v->agency_id > 0 ? name_of(c->nm->agencies, v->agency_id) : json_null());
    json_object_set_new(o, "time", jtime(v->created));
    json_array_append_new(c->a, o);
    return 0;
}

static int on_list(void *p, const ad_list *l)
{
    json_t *o = json_object();
    ad_txt_json_set(o, "name", l->name, NULL);
    ad_txt_json_set(o, "description", l->description, NULL);
    ad_txt_json_set(o, "source", l->source, NULL);
    json_array_append_new(p, o);
    return 0;
}

static int on_note(void *p, int64_t id, const char *author, int64_t created, const char *kind,
                   const char *text)
{
    (void)id;
    json_t *o = json_object();
    ad_txt_json_set(o, "author", author, NULL);
    json_object_set_new(o, "time", jtime(created));
    if (kind)
        ad_txt_json_set(o, "kind", kind, NULL);
    ad_txt_json_set(o, kind ? "value" : "text", text, NULL);
    json_array_append_new(p, o);
    return 0;
}

/* Note kinds are NULL for notes; clues always have one. */
static int on_clue(void *p, int64_t id, const char *author, int64_t created, const char *kind,
                   const char *text)
{
    return on_note(p, id, author, created, kind ? kind : "other", text);
}

static int on_plain_note(void *p, int64_t id, const char *author, int64_t created, const char *kind,
                         const char *text)
{
    (void)kind;
    return on_note(p, id, author, created, NULL, text);
}

static ad_code add_records(json_t *doc, ad_store *st, int64_t id, ad_err *err)
{
    struct names nm = {json_object(), json_object(), json_object(), st};
    ad_code k = ad_store_agency_list(st, on_agency, nm.agencies, err);
    json_t *sg = arr(doc, "sightings");
    if (k == AD_OK)
        k = ad_store_sighting_list(st, id, want_cases, &nm, err);
    struct ctx c = {sg, &nm};
    if (k == AD_OK)
        k = ad_store_sighting_list(st, id, on_sighting, &c, err);
    json_t *series = arr(doc, "series");
    if (k == AD_OK)
        k = ad_store_media_series(st, id, on_series, series, err);
    c.a = arr(doc, "votes");
    if (k == AD_OK)
        k = ad_store_vote_list(st, id, on_vote, &c, err);
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
    if (k == AD_OK)
        k = ad_store_note_list(st, "media", id, on_plain_note, arr(doc, "notes"), err);
    if (k == AD_OK)
        k = ad_store_clue_list(st, "media", id, on_clue, arr(doc, "clues"), err);
    json_decref(nm.agencies);
    json_decref(nm.cases);
    json_decref(nm.listed);
    return k;
}

static void empty_records(json_t *doc)
{
    static const char *const keys[] = {"sightings", "series", "votes", "trusted",
                                       "lists",     "notes",  "clues"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        arr(doc, keys[i]);
}

/* ---- the command ---- */

/* Digits only, at most `max`; -1 otherwise. */
static int small_number(const char *s, int max)
{
    size_t n = strspn(s, "0123456789");
    if (!n || s[n] || n > 9)
        return -1;
    int v = atoi(s);
    return v <= max ? v : -1;
}

static const char usage[] =
    "media show HASH [--radius R] [--min-quality Q] [--json]\n"
    "\n"
    "HASH: MD5 (32 hex), SHA-1 (40), SHA-256 (64; a 64-hex value that is no media's SHA-256 is\n"
    "taken as a PDQ), md5:HEX, sha1:HEX, sha256:HEX, pdq:HEX, pdq:H1,...,H8 (the 8 dihedral\n"
    "forms of a file, as 'ariadne hash --dihedral' prints them) or id:N (a media id).\n"
    "The class is decided as triage decides it: the media's own class when it is in a series,\n"
    "ignorable or identified; else its nearest PDQ neighbour in a series; see docs/store.md.\n"
    "  --radius R        PDQ neighbours within Hamming distance R, 0..64 (default 31)\n"
    "  --min-quality Q   a PDQ of lower quality is not searched, 0..100 (default 50)\n"
    "Exit status: 0 something is known, 1 nothing is (or an error), 2 usage error.";

static int media_show(int argc, char **argv)
{
    static const char *const opts[] = {"--radius", "--min-quality", NULL};
    ad_args a;
    ad_store *st;
    int rc = ad_args_parse(&a, "media show", usage, argc, argv, opts, 1, 1);
    if (rc >= 0)
        return rc;
    ad_lookup_opts lo;
    ad_lookup_opts_default(&lo);
    const char *r = ad_arg(&a, "--radius"), *mq = ad_arg(&a, "--min-quality");
    if (r && (lo.radius = small_number(r, AD_INDEX_RADIUS_MAX)) < 0)
        return ad_args_usage_error(&a, "--radius takes a number from 0 to %d", AD_INDEX_RADIUS_MAX);
    if (mq && (lo.min_quality = small_number(mq, 100)) < 0)
        return ad_args_usage_error(&a, "--min-quality takes a number from 0 to 100");
    ad_lookup_query q;
    ad_err err;
    if (ad_lookup_query_parse(&q, a.pos[0], &err) != AD_OK)
        return ad_args_usage_error(&a, "%s", err.msg);
    if ((rc = ad_cli_open(&a, &st, 0)) >= 0)
        return rc;
    ad_lookup_result res;
    if (ad_lookup(st, NULL, &q, &lo, &res, &err) != AD_OK)
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    if (!res.media_id && !res.n_total) {
        ad_lookup_result_free(&res);
        ad_cli_error("media show", "nothing is known about this hash: no media has it%s",
                     res.pdq_forms ? " and no PDQ is near it" : "");
        return ad_cli_close(st, AD_EXIT_FAIL);
    }
    json_t *doc = json_object();
    json_t *query = json_object();
    ad_txt_json_set(query, "text", a.pos[0], NULL);
    json_object_set_new(query, "radius", json_integer(lo.radius));
    json_object_set_new(query, "min_quality", json_integer(lo.min_quality));
    json_object_set_new(doc, "query", query);
    ad_code k = AD_OK;
    if (res.media_id) {
        json_t *m = json_object();
        k = ad_store_media_get(st, res.media_id, on_media, m, &err);
        json_object_set_new(m, "found_by", json_string(res.media_by));
        json_object_set_new(doc, "media", m);
    } else {
        json_object_set_new(doc, "media", json_null());
    }
    if (k == AD_OK)
        add_lookup(doc, st, &res);
    if (k == AD_OK && res.media_id)
        k = add_records(doc, st, res.media_id, &err);
    else if (k == AD_OK)
        empty_records(doc);
    ad_lookup_result_free(&res);
    if (k != AD_OK) {
        json_decref(doc);
        return ad_cli_close(st, ad_cli_fail(&a, &err));
    }
    if (a.json) {
        ad_cli_json(doc);
    } else {
        ad_cli_media_text(doc);
        json_decref(doc);
    }
    return ad_cli_close(st, AD_EXIT_OK);
}

static const ad_subcmd subs[] = {
    {"show", media_show, "what is known about a media (by any hash) and its class"},
};

int ad_cmd_media(int argc, char **argv)
{
    return ad_cli_dispatch("media", argc, argv, subs, sizeof subs / sizeof subs[0]);
}
