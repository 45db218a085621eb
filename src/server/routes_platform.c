/* routes_platform.c: the platforms' routes: POST /v1/match, POST /v1/hash, POST /v1/feedback,
 * and for the lists' owners a list's review and the release of held-back entries. Each route
 * parses its request, calls one ad_svc_* function (service.h), which decides who may do it,
 * and serialises the answer. */
#include <string.h>
#include <strings.h>

#include "server/http.h"

/* A failed call: the member at fault named as the problem's field. */
static ad_code failed(ad_code rc, ad_http_reply *rp, const ad_err *err)
{
    if (err && err->field[0])
        snprintf(rp->field, sizeof rp->field, "%s", err->field);
    return rc;
}

/* ---- POST /v1/match ------------------------------------------------------------------ */

static const char *const hash_types[] = {"md5", "sha1", "sha256", "pdq", "vpdq", NULL};
static const ad_jschema j_hex64 = {AD_J_HEX, 64, 64, NULL, NULL, NULL};
static const ad_jschema j_hex = {AD_J_HEX, 32, 64, NULL, NULL, NULL};
static const ad_jschema j_type = {AD_J_STRING, 1, 8, NULL, NULL, hash_types};
static const ad_jschema j_radius = {AD_J_INT, 0, AD_MATCH_RADIUS_MAX, NULL, NULL, NULL};
static const ad_jschema j_pct = {AD_J_INT, 1, 100, NULL, NULL, NULL};
static const ad_jschema j_quality = {AD_J_INT, 0, 100, NULL, NULL, NULL};
static const ad_jschema j_dihedral = {AD_J_ARRAY, 8, 8, NULL, &j_hex64, NULL};
static const ad_jmember frame_members[] = {
    {"pdq", &j_hex64, 1}, {"quality", &j_quality, 1}, {NULL, NULL, 0}};
static const ad_jschema j_frame = {AD_J_OBJECT, 0, 0, frame_members, NULL, NULL};
/* the frames of all hashes together are bounded by the parser (AD_MATCH_MAX_FRAMES: 413) */
static const ad_jschema j_frames = {AD_J_ARRAY, 1, 0, NULL, &j_frame, NULL};
/* a vPDQ file's text: its lines are bounded by the body's size */
static const ad_jschema j_text = {AD_J_STRING, 1, 1ll << 30, NULL, NULL, NULL};
static const ad_jmember hash_members[] = {
    {"type", &j_type, 1},       {"value", &j_hex, 0},    {"dihedral", &j_dihedral, 0},
    {"radius", &j_radius, 0},   {"frames", &j_frames, 0}, {"text", &j_text, 0},
    {"min_pct", &j_pct, 0},     {NULL, NULL, 0}};
static const ad_jschema j_hash = {AD_J_OBJECT, 0, 0, hash_members, NULL, NULL};
/* more than AD_MATCH_MAX_HASHES is the parser's 413, not a shape error */
static const ad_jschema j_hashes = {AD_J_ARRAY, 1, 0, NULL, &j_hash, NULL};
static const ad_jmember match_members[] = {{"hashes", &j_hashes, 1}, {NULL, NULL, 0}};
static const ad_jschema match_schema = {AD_J_OBJECT, 0, 0, match_members, NULL, NULL};

static ad_code match(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_call c;
    ad_match_request r;
    size_t len;
    const char *body = (const char *)ad_http_raw_body(rq, &len);
    ad_code rc = AD_OK;
    if (!ad_match_quick(body, len, &r)) { /* anything unusual: parsed, checked, or refused */
        rc = ad_http_check_body(rq, rp, err);
        if (rc == AD_OK)
            rc = ad_match_request_parse(ad_http_body(rq), &r, err);
        if (rc != AD_OK)
            return failed(rc, rp, err);
    }
    rc = ad_http_call(rq, &c, err);
    char *text = NULL;
    if (rc == AD_OK)
        rc = ad_svc_match_text(&c, &r, &text, &rp->len, err);
    ad_match_request_free(&r);
    if (rc == AD_OK) { /* written straight, no JSON tree */
        rp->text = text;
        rp->owned = 1;
        rp->type = "application/json";
    }
    return failed(rc, rp, err);
}

/* ---- POST /v1/hash ------------------------------------------------------------------- */

static const char *const hash_query[] = {"match", NULL};

static ad_code hash(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_call c;
    ad_code rc = ad_http_call(rq, &c, err);
    if (rc != AD_OK)
        return failed(rc, rp, err);
    const char *m = ad_http_query(rq, "match");
    int want = 0;
    if (m && (!strcasecmp(m, "true") || !strcmp(m, "1")))
        want = 1;
    else if (m && strcasecmp(m, "false") && strcmp(m, "0")) {
        snprintf(rp->field, sizeof rp->field, "match");
        rp->status = 400;
        return ad_err_set(err, AD_ERR_ARG, "match is true or false, not '%.40s'", m);
    }
    size_t len;
    const uint8_t *data = ad_http_raw_body(rq, &len);
    if (!data || !len) {
        rp->status = 400;
        return ad_err_set(err, AD_ERR_EMPTY, "no upload: send the image or video as the body "
                                             "(application/octet-stream)");
    }
    return failed(ad_svc_hash_buffer(&c, data, len, want, &rp->json, err), rp, err);
}

/* ---- POST /v1/feedback --------------------------------------------------------------- */

static const char *const verdicts[] = {"confirmed", "false_positive", NULL};
static const ad_jschema j_entry = {AD_J_STRING, 3, 64, NULL, NULL, NULL};
static const ad_jschema j_verdict = {AD_J_STRING, 1, 32, NULL, NULL, verdicts};
static const ad_jmember feedback_members[] = {
    {"entry", &j_entry, 1}, {"verdict", &j_verdict, 1}, {NULL, NULL, 0}};
static const ad_jschema feedback_schema = {AD_J_OBJECT, 0, 0, feedback_members, NULL, NULL};

static ad_code feedback(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_call c;
    ad_code rc = ad_http_call(rq, &c, err);
    if (rc != AD_OK)
        return failed(rc, rp, err);
    const json_t *b = ad_http_body(rq);
    rc = ad_svc_feedback(&c, json_string_value(json_object_get(b, "entry")),
                         json_string_value(json_object_get(b, "verdict")), &rp->json, err);
    return failed(rc, rp, err);
}

/* ---- a list's owner: review, release ------------------------------------------------- */

static ad_code review(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_call c;
    ad_code rc = ad_http_call(rq, &c, err);
    if (rc == AD_OK)
        rc = ad_svc_list_review(&c, ad_http_param(rq, "list"), &rp->json, err);
    return failed(rc, rp, err);
}

static ad_code release(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_call c;
    ad_code rc = ad_http_call(rq, &c, err);
    if (rc == AD_OK)
        rc = ad_svc_entry_release(&c, ad_http_param(rq, "list"), ad_http_param(rq, "entry"),
                                  &rp->json, err);
    return failed(rc, rp, err);
}

static const ad_http_route routes[] = {
    {"POST", "/v1/match", match, "match", "MatchRequest", &match_schema, NULL, AD_ROUTE_LAZY_BODY},
    {"POST", "/v1/hash", hash, "hash", "Upload", NULL, hash_query, AD_ROUTE_RAW_BODY},
    {"POST", "/v1/feedback", feedback, "feedback", "Feedback", &feedback_schema, NULL, 0},
    {"GET", "/v1/lists/{list}/review", review, "admin", NULL, NULL, NULL, 0},
    {"POST", "/v1/lists/{list}/entries/{entry}/release", release, "admin", NULL, NULL, NULL, 0},
};

const ad_http_route *ad_http_routes_platform(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
