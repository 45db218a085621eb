/* svc_series.c: series and their people (investigators write, every investigator and analyst
 * reads: shared knowledge): a series with its victims and offenders, every series, a new series,
 * media linked to a series, a victim or offender added, identified (monotonic, audited; only by
 * the agency owning the series). Documents carry the records' gids. */
#include <stdio.h>
#include <string.h>

#include "svc_internal.h"

static const char *kind_name(ad_person_kind k)
{
    return k == AD_OFFENDER ? "offender" : "victim";
}

struct series_ctx {
    ad_store *st;
    json_t *out; /* an object (one series) or an array (the list) */
};

json_t *ad_svc_series_json(ad_store *st, const ad_series *s, int with_media)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(s->id));
    ad_json_set_text(o, "name", s->name, NULL);
    ad_json_set_text(o, "owner", s->owner_agency_name, NULL);
    ad_json_set_text(o, "contact", s->contact, NULL);
    ad_json_set_text(o, "status", s->status, NULL);
    if (with_media)
        json_object_set_new(o, "media", json_integer(s->media_count));
    json_object_set_new(o, "victims", json_integer(s->victims));
    json_object_set_new(o, "victims_unidentified", json_integer(s->victims_unidentified));
    json_object_set_new(o, "gid", ad_svc_gid(st, "series", s->id));
    return o;
}

static int on_series(void *p, const ad_series *s)
{
    struct series_ctx *c = p;
    if (json_is_array(c->out))
        json_array_append_new(c->out, ad_svc_series_json(c->st, s, 1));
    else
        c->out = ad_svc_series_json(c->st, s, 1);
    return 0;
}

static int on_person(void *p, const ad_person *x)
{
    struct series_ctx *c = p;
    json_t *o = json_object();
    json_object_set_new(o, "code", json_string(x->code));
    json_object_set_new(o, "status", json_string(x->identified ? "identified" : "unidentified"));
    json_object_set_new(o, "identified_at",
                        x->identified ? ad_json_time(x->identified_at) : json_null());
    ad_json_set_text(o, "country", x->country, NULL);
    json_object_set_new(o, "gid", ad_svc_gid(c->st, kind_name(x->kind), x->id));
    json_array_append_new(
        json_object_get(c->out, x->kind == AD_VICTIM ? "victim_list" : "offender_list"), o);
    return 0;
}

ad_code ad_svc_series_get(const ad_call *c, const char *series, json_t **out, ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_READ_SHARED, 0, err);
    int64_t id = 0;
    struct series_ctx sc = {c->st, NULL};
    if (rc == AD_OK)
        rc = ad_svc_find_series(c, series, "series", &id, err);
    if (rc == AD_OK)
        rc = ad_store_series_get(c->st, id, on_series, &sc, err);
    if (rc == AD_OK && !sc.out)
        rc = ad_err_field(err, AD_ERR_NOT_FOUND, "series", "no series %s", series);
    if (rc == AD_OK) {
        json_object_set_new(sc.out, "victim_list", json_array());
        json_object_set_new(sc.out, "offender_list", json_array());
        rc = ad_store_person_list(c->st, AD_VICTIM, id, on_person, &sc, err);
    }
    if (rc == AD_OK)
        rc = ad_store_person_list(c->st, AD_OFFENDER, id, on_person, &sc, err);
    /* merges: the series merged into this one are shown under it (their people, their media
     * counted; docs/federation.md "Merging two series") */
    int64_t aliases[64];
    size_t n = 0;
    if (rc == AD_OK)
        rc = ad_svc_series_merge_info(c, id, sc.out, aliases, 64, &n, err);
    json_t *from = json_array();
    for (size_t i = 0; i < n && rc == AD_OK; i++) {
        struct series_ctx ac = {c->st, NULL};
        rc = ad_store_series_get(c->st, aliases[i], on_series, &ac, err);
        if (rc == AD_OK && ac.out) {
            static const char *const sums[] = {"media", "victims", "victims_unidentified"};
            for (size_t k = 0; k < 3; k++)
                json_object_set_new(
                    sc.out, sums[k],
                    json_integer(json_integer_value(json_object_get(sc.out, sums[k])) +
                                 json_integer_value(json_object_get(ac.out, sums[k]))));
            json_array_append_new(from, json_pack("{s:O, s:O, s:O}", "id",
                                                  json_object_get(ac.out, "id"), "name",
                                                  json_object_get(ac.out, "name"), "gid",
                                                  json_object_get(ac.out, "gid")));
        }
        json_decref(ac.out);
        if (rc == AD_OK)
            rc = ad_store_person_list(c->st, AD_VICTIM, aliases[i], on_person, &sc, err);
        if (rc == AD_OK)
            rc = ad_store_person_list(c->st, AD_OFFENDER, aliases[i], on_person, &sc, err);
    }
    if (sc.out)
        json_object_set_new(sc.out, "merged_from", from);
    else
        json_decref(from);
    return ad_svc_done(rc, sc.out, out);
}

ad_code ad_svc_series_list(const ad_call *c, json_t **out, ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_READ_SHARED, 0, err);
    struct series_ctx sc = {c->st, json_array()};
    if (rc == AD_OK)
        rc = ad_store_series_list(c->st, on_series, &sc, err);
    return ad_svc_done(rc, rc == AD_OK ? json_pack("{s:o}", "series", sc.out) : sc.out, out);
}

ad_code ad_svc_series_create(const ad_call *c, const char *name, int64_t owner_agency_id,
                             const char *contact, json_t **out, ad_err *err)
{
    /* another agency as the owner: only the operator of the store */
    ad_code rc = ad_svc_start(c, AD_ACT_SERIES_WRITE, 0, err);
    if (rc == AD_OK && owner_agency_id && !ad_svc_own(c, owner_agency_id))
        rc = ad_err_field(err, AD_ERR_PERM, "owner",
                          "a series is created owned by the caller's own agency");
    if (rc == AD_OK && (!name || !*name))
        rc = ad_err_field(err, AD_ERR_ARG, "name", "series name is empty");
    ad_series x = {.name = name,
                   .contact = contact,
                   .owner_agency_id = owner_agency_id    ? owner_agency_id
                                      : c->id && !c->id->local ? c->id->agency_id
                                                               : 0};
    int64_t id = 0;
    if (rc == AD_OK && (rc = ad_store_series_create(c->st, &x, &id, err)) != AD_OK && err &&
        !err->field[0])
        snprintf(err->field, sizeof err->field, "name");
    json_t *doc = NULL;
    if (rc == AD_OK) {
        doc = json_pack("{s:I, s:s}", "id", (json_int_t)id, "name", name);
        json_object_set_new(doc, "gid", ad_svc_gid(c->st, "series", id));
    }
    return ad_svc_done(rc, doc, out);
}

/* The media of hash text h (MD5, SHA-1, SHA-256 hex, pdq:HEX, a media gid). With create, a
 * hash the store does not hold is recorded (a bare 64-hex hash is then a SHA-256). */
static ad_code link_media(const ad_call *c, const char *h, const char *field, int create,
                          int64_t *mid, ad_err *err)
{
    if (create && h && !strstr(h, ":media:")) {
        int pdq = !strncmp(h, "pdq:", 4);
        ad_media m;
        ad_media_init(&m);
        ad_code rc = ad_media_set_hash_hex(&m, pdq ? h + 4 : h, pdq, err);
        if (rc == AD_OK)
            rc = ad_store_media_upsert(c->st, &m, mid, NULL, err);
        if (rc != AD_OK && err)
            snprintf(err->field, sizeof err->field, "%s", field);
        return rc;
    }
    ad_code rc = ad_svc_find_media(c, h, field, mid, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_field(err, rc, field, "%s is not in the store (--create records it)", h);
    return rc;
}

ad_code ad_svc_series_link(const ad_call *c, const char *series, const char *const *hashes,
                           size_t n, int create, json_t **out, ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_SERIES_WRITE, 0, err);
    int64_t sid = 0, mid;
    if (rc == AD_OK)
        rc = ad_svc_find_series(c, series, "series", &sid, err);
    if (rc == AD_OK && !n)
        rc = ad_err_field(err, AD_ERR_ARG, "hashes", "no hash to link");
    if (rc == AD_OK)
        rc = ad_store_begin(c->st, err);
    int began = rc == AD_OK;
    size_t linked = 0;
    json_t *made = json_array(); /* the hashes not in the series before (what an undo unlinks) */
    for (size_t i = 0; i < n && rc == AD_OK; i++) {
        char field[32];
        int was = 0;
        snprintf(field, sizeof field, "hashes[%zu]", i);
        rc = link_media(c, hashes[i], field, create, &mid, err);
        if (rc == AD_OK)
            rc = ad_store_series_linked(c->st, sid, mid, &was, err);
        if (rc == AD_OK)
            rc = ad_store_series_link(c->st, sid, mid, err);
        if (rc == AD_OK && !was)
            json_array_append_new(made, json_string(hashes[i]));
        linked += rc == AD_OK;
    }
    if (began)
        rc = rc == AD_OK ? ad_store_commit(c->st, err) : (ad_store_rollback(c->st, NULL), rc);
    json_t *doc = NULL;
    if (rc == AD_OK) {
        doc = json_pack("{s:I, s:I, s:o}", "series", (json_int_t)sid, "linked", (json_int_t)linked,
                        "new", made);
        json_object_set_new(doc, "gid", ad_svc_gid(c->st, "series", sid));
    } else {
        json_decref(made);
    }
    return ad_svc_done(rc, doc, out);
}

ad_code ad_svc_person_add(const ad_call *c, ad_person_kind kind, const char *code,
                          const char *series, json_t **out, ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_SERIES_WRITE, 0, err);
    int64_t sid = 0, id = 0;
    if (rc == AD_OK && (!code || !*code))
        rc = ad_err_field(err, AD_ERR_ARG, "code", "%s code is empty", kind_name(kind));
    if (rc == AD_OK)
        rc = ad_svc_find_series(c, series, "series", &sid, err);
    if (rc == AD_OK && (rc = ad_store_person_add(c->st, kind, code, sid, &id, err)) != AD_OK &&
        err && !err->field[0])
        snprintf(err->field, sizeof err->field, "code");
    json_t *doc = NULL;
    if (rc == AD_OK) {
        doc = json_pack("{s:I, s:s, s:s, s:I}", "id", (json_int_t)id, "kind", kind_name(kind),
                        "code", code, "series", (json_int_t)sid);
        json_object_set_new(doc, "gid", ad_svc_gid(c->st, kind_name(kind), id));
    }
    return ad_svc_done(rc, doc, out);
}

ad_code ad_svc_person_identify(const ad_call *c, ad_person_kind kind, const char *code,
                               int64_t agency_id, const char *country, json_t **out,
                               ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_IDENTIFY, 0, err);
    int64_t pid = 0, sid = 0, owner = 0;
    if (rc == AD_OK && (!code || !*code))
        rc = ad_err_field(err, AD_ERR_ARG, "code", "%s code is empty", kind_name(kind));
    if (rc == AD_OK && (rc = ad_store_person_owner(c->st, kind, code, &pid, &sid, &owner, err)) !=
                           AD_OK && err)
        snprintf(err->field, sizeof err->field, "code");
    /* only the agency owning the series (a series without an owner: any investigator) */
    if (rc == AD_OK && owner)
        rc = ad_svc_check(c, AD_ACT_IDENTIFY, owner, err);
    /* identified by another agency: only the operator of the store */
    if (rc == AD_OK && agency_id && !ad_svc_own(c, agency_id))
        rc = ad_err_field(err, AD_ERR_PERM, "agency",
                          "an agency records only its own identifications");
    if (rc == AD_OK && !agency_id && c->id && !c->id->local)
        agency_id = c->id->agency_id;
    if (rc == AD_OK)
        rc = ad_store_person_identify(c->st, kind, code, agency_id, country, err);
    json_t *doc = NULL;
    if (rc == AD_OK) {
        doc = json_pack("{s:s, s:s, s:s}", "kind", kind_name(kind), "code", code, "status",
                        "identified");
        json_object_set_new(doc, "gid", ad_svc_gid(c->st, kind_name(kind), pid));
    }
    return ad_svc_done(rc, doc, out);
}

ad_code ad_svc_person_retract(const ad_call *c, ad_person_kind kind, const char *code,
                              json_t **out, ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_IDENTIFY, 0, err);
    if (rc == AD_OK && (!code || !*code))
        rc = ad_err_field(err, AD_ERR_ARG, "code", "%s code is empty", kind_name(kind));
    if (rc == AD_OK)
        rc = ad_store_person_retract(c->st, kind, code, err);
    json_t *doc = NULL;
    if (rc == AD_OK)
        doc = json_pack("{s:s, s:s, s:b}", "kind", kind_name(kind), "code", code, "identified", 0);
    return ad_svc_done(rc, doc, out);
}
