/* svc_records.c: category votes and notes or clues (investigators and analysts): shared
 * knowledge, except notes and clues marked private (agency evidence) and notes on a case (the
 * case's agency only). */
#include <stdio.h>
#include <string.h>

#include "svc_internal.h"

/* The answer of a vote or a withdrawal: the media, the category, the trusted one if set. */
static json_t *vote_doc(const ad_call *c, int64_t mid, const char *scheme, const char *code)
{
    char trusted[16] = "";
    ad_store_trusted_category(c->st, mid, scheme, trusted, sizeof trusted, NULL);
    json_t *doc = json_pack("{s:I, s:s, s:s, s:s?}", "media", (json_int_t)mid, "scheme",
                            ad_category_scheme(scheme), "code", code, "trusted",
                            *trusted ? trusted : NULL);
    json_object_set_new(doc, "media_gid", ad_svc_gid(c->st, "media", mid));
    return doc;
}

ad_code ad_svc_vote(const ad_call *c, const char *hash, const char *scheme, const char *code,
                    const char *voter, json_t **out, ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_VOTE, 0, err);
    int64_t mid = 0;
    /* voting in another's name (an import's source): only the operator of the store */
    if (rc == AD_OK && voter && c->id && !c->id->local)
        rc = ad_err_field(err, AD_ERR_PERM, "voter", "a vote is the caller's own");
    if (rc == AD_OK && !ad_category_scheme(scheme ? scheme : ""))
        rc = ad_err_field(err, AD_ERR_ARG, "scheme", "unknown scheme '%s'", scheme ? scheme : "");
    if (rc == AD_OK && !ad_category_valid(scheme, code ? code : ""))
        rc = ad_err_field(err, AD_ERR_ARG, "code", "'%s' is not a code of scheme '%s'",
                          code ? code : "", scheme);
    if (rc == AD_OK)
        rc = ad_svc_find_media(c, hash, "hash", &mid, err);
    int64_t vid = 0;
    if (rc == AD_OK)
        rc = ad_store_vote_id(c->st, mid, scheme, code, voter, &vid, err);
    json_t *doc = NULL;
    if (rc == AD_OK) {
        doc = vote_doc(c, mid, scheme, code);
        json_object_set_new(doc, "gid", ad_svc_gid(c->st, "vote", vid));
    }
    return ad_svc_done(rc, doc, out);
}

/* The scheme and code of one vote row, found by id in a media's history. */
struct one_vote {
    int64_t id;
    char scheme[16], code[16];
};

static int on_one_vote(void *p, const ad_vote *v)
{
    struct one_vote *o = p;
    if (v->id != o->id)
        return 0;
    snprintf(o->scheme, sizeof o->scheme, "%s", v->scheme);
    snprintf(o->code, sizeof o->code, "%s", v->code);
    return 1;
}

ad_code ad_svc_vote_withdraw(const ad_call *c, const char *vote_gid, const char *voter,
                             json_t **out, ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_VOTE, 0, err);
    if (rc == AD_OK && voter && c->id && !c->id->local)
        rc = ad_err_field(err, AD_ERR_PERM, "voter", "a vote is withdrawn by its own voter");
    if (rc == AD_OK && !ad_gid_valid(vote_gid ? vote_gid : ""))
        rc = ad_err_field(err, AD_ERR_ARG, "vote", "'%s' is not a vote's global id",
                          vote_gid ? vote_gid : "");
    struct one_vote v = {0, "", ""};
    int64_t mid = 0;
    if (rc == AD_OK) {
        rc = ad_store_vote_withdraw(c->st, vote_gid, voter, &v.id, &mid, err);
        if (rc != AD_OK && err)
            snprintf(err->field, sizeof err->field, "vote");
    }
    if (rc == AD_OK)
        rc = ad_store_vote_history(c->st, mid, on_one_vote, &v, err);
    json_t *doc = NULL;
    if (rc == AD_OK) {
        doc = vote_doc(c, mid, v.scheme, v.code);
        json_object_set_new(doc, "gid", ad_svc_gid(c->st, "vote", v.id));
        json_object_set_new(doc, "withdraws", json_string(vote_gid));
    }
    return ad_svc_done(rc, doc, out);
}

/* The case's agency (-1: none found). */
struct case_find {
    int64_t id, agency_id;
};

static int on_case(void *p, const ad_case *x)
{
    struct case_find *f = p;
    if (x->id != f->id)
        return 0;
    f->agency_id = x->agency_id;
    return 1;
}

ad_code ad_svc_case_agency(const ad_call *c, int64_t case_id, const char *field,
                           int64_t *agency_id, ad_err *err)
{
    struct case_find f = {case_id, -1};
    ad_code rc = ad_store_case_list(c->st, 0, on_case, &f, err);
    if (rc == AD_OK && f.agency_id < 0)
        rc = ad_err_field(err, AD_ERR_NOT_FOUND, field, "no case %lld", (long long)case_id);
    *agency_id = f.agency_id;
    return rc;
}

/* The id of the record `ref` names for a type of object. */
static ad_code resolve(const ad_call *c, const char *type, const char *ref, int64_t *id,
                       ad_err *err)
{
    if (!strcmp(type, "media"))
        return ad_svc_find_media(c, ref, "object", id, err);
    if (!strcmp(type, "series"))
        return ad_svc_find_series(c, ref, "object", id, err);
    ad_code rc;
    if (!strcmp(type, "victim") || !strcmp(type, "offender")) {
        rc = strstr(ref, ":victim:") || strstr(ref, ":offender:")
                 ? ad_store_gid_find(c->st, type, ref, id, err)
                 : ad_store_person_find(c->st, type[0] == 'v' ? AD_VICTIM : AD_OFFENDER, ref, id,
                                        err);
        if (rc != AD_OK && err)
            snprintf(err->field, sizeof err->field, "object");
        return rc;
    }
    int64_t v = ad_svc_parse_id(ref);
    if (v <= 0)
        return ad_err_field(err, AD_ERR_ARG, "object",
                            "a case is named by its id (a number), not '%s'", ref);
    *id = v;
    int64_t agency;
    rc = ad_svc_case_agency(c, v, "object", &agency, err);
    /* a case is agency evidence: notes on it are its agency's */
    if (rc == AD_OK)
        rc = ad_svc_check(c, AD_ACT_READ_EVIDENCE, agency > 0 ? agency : -1, err);
    return rc;
}

ad_code ad_svc_note_add(const ad_call *c, const char *object_type, const char *object,
                        const char *text, const char *clue_kind, int is_private, json_t **out,
                        ad_err *err)
{
    static const char *const types[] = {"media", "series", "victim", "offender", "case"};
    ad_code rc = ad_svc_start(c, AD_ACT_NOTE, 0, err);
    int ok = 0;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        ok |= object_type && !strcmp(object_type, types[i]);
    if (rc == AD_OK && !ok)
        rc = ad_err_field(err, AD_ERR_ARG, "object_type", "unknown record type '%s'",
                          object_type ? object_type : "");
    if (rc == AD_OK && (!object || !*object))
        rc = ad_err_field(err, AD_ERR_ARG, "object", "no record named");
    if (rc == AD_OK && (!text || !*text))
        rc = ad_err_field(err, AD_ERR_ARG, "text", "the text is empty");
    int64_t oid = 0, id = 0;
    if (rc == AD_OK)
        rc = resolve(c, object_type, object, &oid, err);
    if (rc == AD_OK && (rc = ad_store_text_add(c->st, object_type, oid, clue_kind, text,
                                               is_private, &id, err)) != AD_OK &&
        err && !err->field[0])
        snprintf(err->field, sizeof err->field, clue_kind ? "clue" : "text");
    json_t *doc = NULL;
    if (rc == AD_OK) {
        doc = json_pack("{s:I, s:s, s:I, s:s?, s:b}", "id", (json_int_t)id, "object_type",
                        object_type, "object_id", (json_int_t)oid, "kind", clue_kind, "private",
                        is_private);
        json_object_set_new(doc, "gid", ad_svc_gid(c->st, clue_kind ? "clue" : "note", id));
    }
    return ad_svc_done(rc, doc, out);
}
