/* routes_knowledge.c: the investigators' and analysts' routes: media by hash, series, victims
 * and offenders, votes, notes, cases and their files, uploads of triage results. Each route parses its request, calls one
 * ad_svc_* function (service.h), which decides who may do it, and serialises the answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/http.h"

/* The service's field at fault as the reply's: a body member as a JSON Pointer ("hashes[2]"
 * becomes "/hashes/2"), a path or query parameter by its name. */
static ad_code fail(ad_http_reply *rp, ad_code rc, const ad_err *err, int body)
{
    const char *f = err ? err->field : "";
    if (!*f)
        return rc;
    size_t o = 0;
    if (body)
        rp->field[o++] = '/';
    for (; *f && o < sizeof rp->field - 1; f++)
        if (body && *f == '[')
            rp->field[o++] = '/';
        else if (!(body && *f == ']'))
            rp->field[o++] = *f;
    rp->field[o] = 0;
    return rc;
}

/* The reply of a service call: its document, or the problem. */
static ad_code answer(ad_http_reply *rp, ad_code rc, json_t *doc, int status, const ad_err *err,
                      int body)
{
    if (rc != AD_OK)
        return fail(rp, rc, err, body);
    rp->json = doc;
    rp->status = status;
    return AD_OK;
}

/* A whole number lo..hi from a query parameter (absent: *out unchanged). */
static ad_code query_int(ad_http_req *rq, ad_http_reply *rp, const char *name, long lo, long hi,
                         int *out, ad_err *err)
{
    const char *v = ad_http_query(rq, name);
    if (!v)
        return AD_OK;
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || strspn(v, "0123456789") != strlen(v) || n < lo || n > hi) {
        snprintf(rp->field, sizeof rp->field, "%s", name);
        return ad_err_set(err, AD_ERR_ARG, "%s takes a whole number from %ld to %ld", name, lo,
                          hi);
    }
    *out = (int)n;
    return AD_OK;
}

static const char *body_str(ad_http_req *rq, const char *key)
{
    return json_string_value(json_object_get(ad_http_body(rq), key));
}

/* ---- media ---- */

static ad_code media_get(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_call c;
    ad_svc_lookup_opts o;
    ad_svc_lookup_opts_default(&o);
    ad_code rc = ad_http_call(rq, &c, err);
    if (rc == AD_OK)
        rc = query_int(rq, rp, "radius", 0, 64, &o.radius, err);
    if (rc == AD_OK)
        rc = query_int(rq, rp, "min_quality", 0, 100, &o.min_quality, err);
    json_t *doc = NULL;
    if (rc == AD_OK)
        rc = ad_svc_media_view(&c, ad_http_param(rq, "hash"), &o, &doc, err);
    return answer(rp, rc, doc, 200, err, 0);
}

/* ---- series ---- */

static ad_code series_list(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_call c;
    json_t *doc = NULL;
    ad_code rc = ad_http_call(rq, &c, err);
    if (rc == AD_OK)
        rc = ad_svc_series_list(&c, &doc, err);
    return answer(rp, rc, doc, 200, err, 0);
}

static ad_code series_get(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_call c;
    json_t *doc = NULL;
    ad_code rc = ad_http_call(rq, &c, err);
    if (rc == AD_OK)
        rc = ad_svc_series_get(&c, ad_http_param(rq, "series"), &doc, err);
    return answer(rp, rc, doc, 200, err, 0);
}

static ad_code series_create(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_call c;
    json_t *doc = NULL;
    ad_code rc = ad_http_call(rq, &c, err);
    if (rc == AD_OK)
        rc = ad_svc_series_create(&c, body_str(rq, "name"), 0, body_str(rq, "contact"), &doc,
                                  err);
    return answer(rp, rc, doc, 201, err, 1);
}

static ad_code series_link(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_call c;
    json_t *doc = NULL;
    const json_t *hashes = json_object_get(ad_http_body(rq), "hashes");
    size_t n = json_array_size(hashes);
    const char **v = calloc(n ? n : 1, sizeof *v);
    if (!v)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        v[i] = json_string_value(json_array_get(hashes, i));
    ad_code rc = ad_http_call(rq, &c, err);
    if (rc == AD_OK)
        rc = ad_svc_series_link(&c, ad_http_param(rq, "series"), v, n,
                                json_is_true(json_object_get(ad_http_body(rq), "create")), &doc,
                                err);
    free(v);
    /* the series is a path parameter; the hashes are the body's */
    int body = !(rc != AD_OK && !strcmp(err->field, "series"));
    return answer(rp, rc, doc, 200, err, body);
}

static ad_code series_merge(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_call c;
    json_t *doc = NULL;
    ad_code rc = ad_http_call(rq, &c, err);
    if (rc == AD_OK)
        rc = ad_svc_series_merge(&c, ad_http_param(rq, "series"), body_str(rq, "into"), &doc,
                                 err);
    int body = !(rc != AD_OK && !strcmp(err->field, "series"));
    return answer(rp, rc, doc, 200, err, body);
}

static ad_code person_add(ad_http_req *rq, ad_http_reply *rp, ad_person_kind kind, ad_err *err)
{
    ad_call c;
    json_t *doc = NULL;
    ad_code rc = ad_http_call(rq, &c, err);
    if (rc == AD_OK)
        rc = ad_svc_person_add(&c, kind, body_str(rq, "code"), ad_http_param(rq, "series"), &doc,
                               err);
    int body = !(rc != AD_OK && !strcmp(err->field, "series"));
    return answer(rp, rc, doc, 201, err, body);
}

static ad_code victim_add(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    return person_add(rq, rp, AD_VICTIM, err);
}

static ad_code offender_add(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    return person_add(rq, rp, AD_OFFENDER, err);
}

static ad_code person_identify(ad_http_req *rq, ad_http_reply *rp, ad_person_kind kind,
                               ad_err *err)
{
    ad_call c;
    json_t *doc = NULL;
    ad_code rc = ad_http_call(rq, &c, err);
    if (rc == AD_OK)
        rc = ad_svc_person_identify(&c, kind, ad_http_param(rq, "code"), 0,
                                    body_str(rq, "country"), &doc, err);
    int body = !(rc != AD_OK && !strcmp(err->field, "code"));
    return answer(rp, rc, doc, 200, err, body);
}

static ad_code victim_identify(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    return person_identify(rq, rp, AD_VICTIM, err);
}

static ad_code offender_identify(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    return person_identify(rq, rp, AD_OFFENDER, err);
}

/* ---- votes and notes ---- */

static ad_code vote(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_call c;
    json_t *doc = NULL;
    ad_code rc = ad_http_call(rq, &c, err);
    if (rc == AD_OK)
        rc = ad_svc_vote(&c, body_str(rq, "hash"), body_str(rq, "scheme"), body_str(rq, "code"),
                         NULL, &doc, err);
    return answer(rp, rc, doc, 201, err, 1);
}

static ad_code series_unlink(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_call c;
    json_t *doc = NULL;
    ad_code rc = ad_http_call(rq, &c, err);
    if (rc == AD_OK)
        rc = ad_svc_series_unlink(&c, ad_http_param(rq, "series"), ad_http_param(rq, "media"), &doc,
                                  err);
    return answer(rp, rc, doc, 201, err, 0);
}

static ad_code vote_withdraw(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_call c;
    json_t *doc = NULL;
    ad_code rc = ad_http_call(rq, &c, err);
    if (rc == AD_OK)
        rc = ad_svc_vote_withdraw(&c, ad_http_param(rq, "vote"), NULL, &doc, err);
    return answer(rp, rc, doc, 201, err, 0);
}

static ad_code note(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_call c;
    json_t *doc = NULL;
    const json_t *b = ad_http_body(rq);
    ad_code rc = ad_http_call(rq, &c, err);
    if (rc == AD_OK)
        rc = ad_svc_note_add(&c, body_str(rq, "object_type"), body_str(rq, "object"),
                             body_str(rq, "text"), body_str(rq, "clue"),
                             json_is_true(json_object_get(b, "private")), &doc, err);
    return answer(rp, rc, doc, 201, err, 1);
}

/* ---- cases ---- */

static ad_code cases(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_call c;
    json_t *doc = NULL;
    ad_code rc = ad_http_call(rq, &c, err);
    if (rc == AD_OK)
        rc = ad_svc_case_list(&c, 0, &doc, err);
    return answer(rp, rc, doc, 200, err, 0);
}

static ad_code case_files(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_call c;
    json_t *doc = NULL;
    int limit = 0;
    const char *id = ad_http_param(rq, "id");
    char *end;
    long long cid = strtoll(id, &end, 10);
    if (*end || cid <= 0 || strspn(id, "0123456789") != strlen(id)) {
        snprintf(rp->field, sizeof rp->field, "id");
        return ad_err_set(err, AD_ERR_ARG, "a case is named by its id (a number)");
    }
    ad_code rc = ad_http_call(rq, &c, err);
    if (rc == AD_OK)
        rc = query_int(rq, rp, "limit", 1, 1000, &limit, err);
    if (rc == AD_OK)
        rc = ad_svc_case_files(&c, cid, ad_http_query(rq, "cursor"), limit, &doc, err);
    if (rc != AD_OK && !strcmp(err->field, "case"))
        snprintf(err->field, sizeof err->field, "id");
    return answer(rp, rc, doc, 200, err, 0);
}

/* ---- uploads ---- */

static ad_code upload(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_call c;
    json_t *doc = NULL;
    ad_upload u;
    ad_code rc = ad_http_call(rq, &c, err);
    if (rc == AD_OK && (rc = ad_upload_parse(ad_http_body(rq), &u, err)) == AD_OK) {
        rc = ad_svc_upload(&c, &u, &doc, err);
        ad_upload_free(&u);
    }
    if (rc != AD_OK && !strcmp(err->field, "files")) /* the whole list */
        err->field[0] = 0, snprintf(rp->field, sizeof rp->field, "/files");
    return answer(rp, rc, doc, 201, err, 1);
}

/* ---- bodies ---- */

static const ad_jschema s_name = {AD_J_STRING, 1, 200, NULL, NULL, NULL};
static const ad_jschema s_text = {AD_J_STRING, 1, AD_J_STRING_MAX, NULL, NULL, NULL};
static const ad_jschema s_hash = {AD_J_STRING, 1, 600, NULL, NULL, NULL};
static const ad_jschema s_bool = {AD_J_BOOL, 0, 0, NULL, NULL, NULL};
static const ad_jschema s_country = {AD_J_STRING, 2, 64, NULL, NULL, NULL};
static const ad_jschema s_hashes = {AD_J_ARRAY, 1, 1000, NULL, &s_hash, NULL};
static const char *const schemes[] = {"vics-us", "vic-us", "dhs", "uk", "baseline", NULL};
static const ad_jschema s_scheme = {AD_J_STRING, 0, 0, NULL, NULL, schemes};
static const ad_jschema s_code = {AD_J_STRING, 1, 16, NULL, NULL, NULL};
static const char *const types[] = {"media", "series", "victim", "offender", "case", NULL};
static const ad_jschema s_type = {AD_J_STRING, 0, 0, NULL, NULL, types};
static const char *const clues[] = {"camera", "serial", "gps",   "time",
                                    "object", "language", "other", NULL};
static const ad_jschema s_clue = {AD_J_STRING, 0, 0, NULL, NULL, clues};

static const ad_jmember series_new_m[] = {
    {"name", &s_name, 1}, {"contact", &s_text, 0}, {NULL, NULL, 0}};
static const ad_jschema s_series_new = {AD_J_OBJECT, 0, 0, series_new_m, NULL, NULL};
static const ad_jmember link_m[] = {
    {"hashes", &s_hashes, 1}, {"create", &s_bool, 0}, {NULL, NULL, 0}};
static const ad_jschema s_link = {AD_J_OBJECT, 0, 0, link_m, NULL, NULL};
static const ad_jmember merge_m[] = {{"into", &s_name, 1}, {NULL, NULL, 0}};
static const ad_jschema s_merge = {AD_J_OBJECT, 0, 0, merge_m, NULL, NULL};
static const ad_jmember person_m[] = {{"code", &s_name, 1}, {NULL, NULL, 0}};
static const ad_jschema s_person = {AD_J_OBJECT, 0, 0, person_m, NULL, NULL};
static const ad_jmember identify_m[] = {{"country", &s_country, 0}, {NULL, NULL, 0}};
static const ad_jschema s_identify = {AD_J_OBJECT, 0, 0, identify_m, NULL, NULL};
static const ad_jmember vote_m[] = {
    {"hash", &s_hash, 1}, {"scheme", &s_scheme, 1}, {"code", &s_code, 1}, {NULL, NULL, 0}};
static const ad_jschema s_vote = {AD_J_OBJECT, 0, 0, vote_m, NULL, NULL};
static const ad_jmember note_m[] = {{"object_type", &s_type, 1}, {"object", &s_hash, 1},
                                    {"text", &s_text, 1},        {"clue", &s_clue, 0},
                                    {"private", &s_bool, 0},     {NULL, NULL, 0}};
static const ad_jschema s_note = {AD_J_OBJECT, 0, 0, note_m, NULL, NULL};

static const ad_jschema s_job = {AD_J_STRING, 1, 36, NULL, NULL, NULL};
static const ad_jschema s_path = {AD_J_STRING, 1, AD_J_STRING_MAX, NULL, NULL, NULL};
static const ad_jschema s_time = {AD_J_INT, 0, 253402300799LL, NULL, NULL, NULL};
static const ad_jschema s_size = {AD_J_INT, 0, 1LL << 50, NULL, NULL, NULL};
static const ad_jschema s_dim = {AD_J_INT, 1, 1 << 20, NULL, NULL, NULL};
static const ad_jschema s_quality = {AD_J_INT, 0, 100, NULL, NULL, NULL};
static const ad_jschema s_sha256 = {AD_J_HEX, 64, 64, NULL, NULL, NULL};
static const ad_jschema s_md5 = {AD_J_HEX, 32, 32, NULL, NULL, NULL};
static const ad_jschema s_sha1 = {AD_J_HEX, 40, 40, NULL, NULL, NULL};
static const ad_jschema s_mime = {AD_J_STRING, 1, 200, NULL, NULL, NULL};
static const ad_jmember file_m[] = {
    {"path", &s_path, 1},       {"parent", &s_path, 0},     {"inner_path", &s_path, 0},
    {"size", &s_size, 0},       {"mtime", &s_time, 0},      {"ctime", &s_time, 0},
    {"atime", &s_time, 0},      {"btime", &s_time, 0},      {"sha256", &s_sha256, 1},
    {"md5", &s_md5, 0},         {"sha1", &s_sha1, 0},       {"pdq", &s_sha256, 0},
    {"pdq_quality", &s_quality, 0}, {"mime", &s_mime, 0},   {"width", &s_dim, 0},
    {"height", &s_dim, 0},      {"duration_ms", &s_size, 0}, {NULL, NULL, 0}};
static const ad_jschema s_file = {AD_J_OBJECT, 0, 0, file_m, NULL, NULL};
static const ad_jschema s_files = {AD_J_ARRAY, 1, 1000, NULL, &s_file, NULL};
static const ad_jmember upload_m[] = {{"case", &s_name, 1},    {"job", &s_job, 0},
                                      {"exhibit", &s_name, 0}, {"done", &s_bool, 0},
                                      {"files", &s_files, 1},  {NULL, NULL, 0}};
static const ad_jschema s_upload = {AD_J_OBJECT, 0, 0, upload_m, NULL, NULL};

static const char *const q_media[] = {"radius", "min_quality", NULL};
static const char *const q_files[] = {"cursor", "limit", NULL};

static const ad_http_route routes[] = {
    {"GET", "/v1/media/{hash}", media_get, "read_shared", NULL, NULL, q_media, 0},
    {"GET", "/v1/series", series_list, "read_shared", NULL, NULL, NULL, 0},
    {"POST", "/v1/series", series_create, "series_write", "SeriesCreate", &s_series_new, NULL, 0},
    {"GET", "/v1/series/{series}", series_get, "read_shared", NULL, NULL, NULL, 0},
    {"POST", "/v1/series/{series}/media", series_link, "series_write", "SeriesLink", &s_link, NULL,
     0},
    {"POST", "/v1/series/{series}/media/{media}/unlink", series_unlink, "series_unlink", NULL, NULL,
     NULL, 0},
    {"POST", "/v1/series/{series}/merge", series_merge, "series_merge", "SeriesMerge", &s_merge,
     NULL, 0},
    {"POST", "/v1/series/{series}/victims", victim_add, "series_write", "PersonAdd", &s_person,
     NULL, 0},
    {"POST", "/v1/series/{series}/offenders", offender_add, "series_write", "PersonAdd", &s_person,
     NULL, 0},
    {"POST", "/v1/victims/{code}/identify", victim_identify, "identify", "Identify", &s_identify,
     NULL, 0},
    {"POST", "/v1/offenders/{code}/identify", offender_identify, "identify", "Identify",
     &s_identify, NULL, 0},
    {"POST", "/v1/votes", vote, "vote", "VoteCreate", &s_vote, NULL, 0},
    {"POST", "/v1/votes/{vote}/withdraw", vote_withdraw, "vote", NULL, NULL, NULL, 0},
    {"POST", "/v1/notes", note, "note", "NoteCreate", &s_note, NULL, 0},
    {"GET", "/v1/cases", cases, "read_evidence", NULL, NULL, NULL, 0},
    {"GET", "/v1/cases/{id}/files", case_files, "read_evidence", NULL, NULL, q_files, 0},
    {"POST", "/v1/uploads", upload, "upload", "UploadBatch", &s_upload, NULL, 0},
};

const ad_http_route *ad_http_routes_knowledge(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
