/* routes_session.c: people's sessions for the web interface (docs/web.md): POST /v1/session
 * (sign in with name and password: the session cookie and the page's CSRF token), GET
 * /v1/session (who, the CSRF token, the idle timeout, the user's preferences), DELETE
 * /v1/session (sign out), PUT /v1/session/prefs (the user's own wellness preferences). Signing
 * in is authentication, as a key's check is (the HTTP layer and the store); what a session may
 * do is decided by the service layer as for a key of the same user. Also the interface's
 * pictures: GET /v1/media/{hash}/thumb (ad_svc_media_thumb: the caller's agency's only), and
 * its series views: GET /v1/series/{series}/reach and GET /v1/attention (svc_series_web.c),
 * and a case at a glance: GET /v1/cases/{id}/summary (svc_case_summary.c) and the candidate
 * series of its new material, GET /v1/cases/{id}/groups (svc_case_groups.c). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/util.h"
#include "server/server_int.h"
#include "server/session.h"

/* {user, agency, role, csrf, idle, prefs} of who; csrf from token (NULL: a key, no session). */
static ad_code session_doc(ad_http_req *rq, const ad_identity *who, const char *token,
                           json_t **out, ad_err *err)
{
    ad_store *st;
    char *prefs = NULL;
    ad_code rc = ad_http_store(rq, &st, err);
    if (rc == AD_OK)
        rc = ad_store_user_prefs_get(st, who->user_id, &prefs, err);
    if (rc != AD_OK)
        return rc;
    json_t *p = json_loads(prefs, 0, NULL);
    free(prefs);
    char csrf[AD_CSRF_MAX];
    if (token)
        ad_session_csrf(token, csrf);
    *out = json_pack("{s:{s:I, s:s}, s:{s:I, s:s}, s:s, s:s?, s:I, s:o}", "user", "id",
                     (json_int_t)who->user_id, "name", who->user, "agency", "id",
                     (json_int_t)who->agency_id, "name", who->agency, "role",
                     ad_role_name(who->role), "csrf", token ? csrf : NULL, "idle",
                     (json_int_t)ad_session_idle(ad_http_server(rq)), "prefs",
                     json_is_object(p) ? p : json_object());
    if (!json_is_object(p))
        json_decref(p);
    return *out ? AD_OK : ad_err_set(err, AD_ERR_NOMEM, "out of memory");
}

static ad_code session_open(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_server *srv = ad_http_server(rq);
    size_t alen;
    const uint8_t *addr = ad_http_client(rq, &alen);
    double now = ad_now(), wait = 0;
    if (!ad_buckets_peek(srv->auth_fail, addr, alen, now, &wait)) {
        rp->status = 429;
        return ad_err_set(err, AD_ERR_LIMIT,
                          "too many failed sign-ins from this address: try again in %d s",
                          (int)wait + 1);
    }
    const json_t *b = ad_http_body(rq);
    ad_store *st;
    ad_identity who;
    char token[AD_SESSION_TOKEN_MAX];
    ad_code rc = ad_http_store(rq, &st, err);
    if (rc == AD_OK)
        rc = ad_store_session_open(st, json_string_value(json_object_get(b, "name")),
                                   json_string_value(json_object_get(b, "password")), token,
                                   &who, err);
    if (rc == AD_ERR_PERM) {
        ad_buckets_take(srv->auth_fail, addr, alen, now, NULL);
        ad_metrics_auth_failure(srv->metrics, AD_AUTH_REFUSED);
        rp->status = 401;
        return ad_err_set(err, rc, "name or password refused (platform accounts use API keys:"
                                   " they have no pages)");
    }
    if (rc != AD_OK)
        return rc;
    json_t *doc;
    rc = session_doc(rq, &who, token, &doc, err);
    if (rc == AD_OK) {
        ad_session_set_cookie(srv, token, rp->cookie, sizeof rp->cookie);
        rp->json = doc;
        rp->status = 201;
    }
    sodium_memzero(token, sizeof token);
    return rc;
}

/* Whether the request acts by its session cookie (not a key): its token into token. */
static int request_token(ad_http_req *rq, char token[AD_SESSION_TOKEN_MAX])
{
    return !ad_http_header(rq, "Authorization") &&
           ad_session_cookie(ad_http_header(rq, "Cookie"), token);
}

static ad_code session_get(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    char token[AD_SESSION_TOKEN_MAX];
    int has = request_token(rq, token);
    ad_code rc = session_doc(rq, ad_http_who(rq), has ? token : NULL, &rp->json, err);
    sodium_memzero(token, sizeof token);
    return rc;
}

static ad_code session_close(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    char token[AD_SESSION_TOKEN_MAX];
    int has = request_token(rq, token);
    ad_store *st;
    ad_code rc = ad_http_store(rq, &st, err);
    if (rc == AD_OK && has)
        rc = ad_store_session_close(st, token, err);
    sodium_memzero(token, sizeof token);
    if (rc != AD_OK)
        return rc;
    ad_session_set_cookie(ad_http_server(rq), NULL, rp->cookie, sizeof rp->cookie);
    rp->json = json_pack("{s:b}", "ended", has);
    return rp->json ? AD_OK : ad_err_set(err, AD_ERR_NOMEM, "out of memory");
}

static ad_code prefs_put(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    char *text = json_dumps(ad_http_body(rq), JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    ad_store *st;
    ad_code rc = ad_http_store(rq, &st, err);
    if (rc == AD_OK)
        rc = ad_store_user_prefs_set(st, ad_http_who(rq)->user_id, text, err);
    free(text);
    if (rc != AD_OK)
        return rc;
    rp->json = json_deep_copy(ad_http_body(rq));
    return rp->json ? AD_OK : ad_err_set(err, AD_ERR_NOMEM, "out of memory");
}

static ad_code thumb(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_call c;
    uint8_t *jpeg = NULL;
    size_t len = 0;
    ad_code rc = ad_http_call(rq, &c, err);
    if (rc == AD_OK)
        rc = ad_svc_media_thumb(&c, ad_http_param(rq, "hash"), &jpeg, &len, err);
    if (rc != AD_OK)
        return rc;
    rp->text = (const char *)jpeg;
    rp->len = len;
    rp->owned = 1;
    rp->type = "image/jpeg";
    return AD_OK;
}

static ad_code series_reach(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_call c;
    json_t *doc = NULL;
    ad_code rc = ad_http_call(rq, &c, err);
    if (rc == AD_OK)
        rc = ad_svc_series_reach(&c, ad_http_param(rq, "series"), 200, &doc, err);
    rp->json = doc;
    return rc;
}

static ad_code attention(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    const char *d = ad_http_query(rq, "days");
    int64_t days = 30;
    if (d)
        days = *d && strlen(d) <= 4 && strspn(d, "0123456789") == strlen(d) ? atoll(d) : 0;
    if (days < 1 || days > 3650) {
        strcpy(rp->field, "days");
        return ad_err_set(err, AD_ERR_ARG, "days is a whole number from 1 to 3650");
    }
    ad_call c;
    json_t *doc = NULL;
    ad_code rc = ad_http_call(rq, &c, err);
    if (rc == AD_OK)
        rc = ad_svc_series_attention(&c, days, &doc, err);
    rp->json = doc;
    return rc;
}

/* The case {id} of the path and the call of a case route. */
static ad_code case_call(ad_http_req *rq, ad_http_reply *rp, ad_call *c, int64_t *cid,
                         ad_err *err)
{
    const char *id = ad_http_param(rq, "id");
    *cid = *id && strlen(id) <= 18 && strspn(id, "0123456789") == strlen(id) ? atoll(id) : 0;
    if (*cid <= 0) {
        strcpy(rp->field, "id");
        return ad_err_set(err, AD_ERR_NOT_FOUND, "no case %.40s", id);
    }
    return ad_http_call(rq, c, err);
}

static ad_code case_summary(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_call c;
    int64_t cid;
    json_t *doc = NULL;
    ad_code rc = case_call(rq, rp, &c, &cid, err);
    if (rc == AD_OK)
        rc = ad_svc_case_summary(&c, cid, &doc, err);
    rp->json = doc;
    return rc;
}

/* ?limit=N: the first N groups (absent: all; 0 is refused, not read as absent); &after=G:
 * those numbered after group G */
static ad_code case_groups(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_call c;
    int64_t cid, v[2] = {0, 0};
    json_t *doc = NULL;
    static const char *const names[] = {"limit", "after"};
    for (int i = 0; i < 2; i++) {
        const char *q = ad_http_query(rq, names[i]);
        if (q && (!*q || strlen(q) > 9 || strspn(q, "0123456789") != strlen(q) ||
                  (!i && atoll(q) == 0))) {
            strcpy(rp->field, names[i]);
            return ad_err_set(err, AD_ERR_ARG, "%s takes a number (%s)", names[i],
                              i ? "a group's" : "of groups from 1; absent: all");
        }
        if (q)
            v[i] = atoll(q);
    }
    ad_code rc = case_call(rq, rp, &c, &cid, err);
    if (rc == AD_OK)
        rc = ad_svc_case_groups_page(&c, cid, v[1], v[0], &doc, err);
    rp->json = doc;
    return rc;
}

static const char *const q_days[] = {"days", NULL};
static const char *const q_groups[] = {"limit", "after", NULL};

static const ad_jschema s_name = {AD_J_STRING, 1, 200, NULL, NULL, NULL};
static const ad_jschema s_password = {AD_J_STRING, 1, 1024, NULL, NULL, NULL};
static const ad_jmember open_m[] = {
    {"name", &s_name, 1}, {"password", &s_password, 1}, {NULL, NULL, 0}};
static const ad_jschema s_open = {AD_J_OBJECT, 0, 0, open_m, NULL, NULL};
static const ad_jschema s_bool = {AD_J_BOOL, 0, 0, NULL, NULL, NULL};
static const ad_jschema s_minutes = {AD_J_INT, 0, 600, NULL, NULL, NULL};
static const ad_jschema s_size = {AD_J_INT, 48, 320, NULL, NULL, NULL};
static const char *const reveals[] = {"click", "hold", NULL};
static const ad_jschema s_reveal = {AD_J_STRING, 0, 0, NULL, NULL, reveals};
static const char *const schemes[] = {"vics-us", "dhs", "uk", "baseline", NULL};
static const ad_jschema s_scheme = {AD_J_STRING, 0, 0, NULL, NULL, schemes};
static const ad_jmember prefs_m[] = {{"blur", &s_bool, 0},          {"greyscale", &s_bool, 0},
                                     {"reveal", &s_reveal, 0},      {"thumb_size", &s_size, 0},
                                     {"break_minutes", &s_minutes, 0}, {"scheme", &s_scheme, 0},
                                     {NULL, NULL, 0}};
static const ad_jschema s_prefs = {AD_J_OBJECT, 0, 0, prefs_m, NULL, NULL};

static const ad_http_route routes[] = {
    {"POST", "/v1/session", session_open, NULL, "SessionOpen", &s_open, NULL, AD_ROUTE_PUBLIC},
    {"GET", "/v1/session", session_get, "me.read", NULL, NULL, NULL, 0},
    {"DELETE", "/v1/session", session_close, "me.read", NULL, NULL, NULL, 0},
    {"PUT", "/v1/session/prefs", prefs_put, "me.read", "Prefs", &s_prefs, NULL, 0},
    {"GET", "/v1/media/{hash}/thumb", thumb, "read_pixels", NULL, NULL, NULL, 0},
    {"GET", "/v1/series/{series}/reach", series_reach, "read_shared", NULL, NULL, NULL, 0},
    {"GET", "/v1/attention", attention, "read_shared", NULL, NULL, q_days, 0},
    {"GET", "/v1/cases/{id}/summary", case_summary, "read_evidence", NULL, NULL, NULL, 0},
    {"GET", "/v1/cases/{id}/groups", case_groups, "read_evidence", NULL, NULL, q_groups, 0},
};

const ad_http_route *ad_http_routes_session(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
