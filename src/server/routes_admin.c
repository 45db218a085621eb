/* routes_admin.c: the admins' and auditors' routes: an agency's users and their keys (add,
 * list, revoke, expiry), its lists and their grants to platform agencies, the audit log and its
 * verification. Each route parses its request, calls one ad_svc_* function (service.h), which
 * decides who may do it, and serialises the answer. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/http.h"

/* The service call of the request, or the problem. */
#define CALL(c)                                                                                    \
    ad_call c;                                                                                     \
    do {                                                                                           \
        ad_code rc_ = ad_http_call(rq, &c, err);                                                   \
        if (rc_ != AD_OK)                                                                          \
            return rc_;                                                                            \
    } while (0)

/* "YYYY-MM-DD" (the end of that day, UTC: a key works through it) or "YYYY-MM-DDTHH:MM:SSZ";
 * "never" is 0. -1 when the text is neither. */
static int64_t parse_when(const char *s)
{
    if (!s)
        return -1;
    if (!strcmp(s, "never"))
        return 0;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    int day = 0;
    if (!end || *end) {
        memset(&tm, 0, sizeof tm);
        end = strptime(s, "%Y-%m-%d", &tm);
        day = 1;
    }
    if (!end || *end || tm.tm_year < 70 || tm.tm_year > 1100)
        return -1;
    time_t t = timegm(&tm);
    return t < 0 ? -1 : (int64_t)t + (day ? 86399 : 0);
}

static ad_code users_list(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    CALL(c);
    return ad_svc_user_list(&c, &rp->json, err);
}

static ad_code user_add(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    CALL(c);
    const json_t *b = ad_http_body(rq);
    const char *ex = json_string_value(json_object_get(b, "expires"));
    int64_t expires = ex ? parse_when(ex) : 0;
    if (expires < 0)
        return ad_err_field(err, AD_ERR_ARG, "/expires",
                            "expires is a date (YYYY-MM-DD), a time (YYYY-MM-DDTHH:MM:SSZ) or "
                            "never");
    ad_code rc =
        ad_svc_user_add(&c, json_string_value(json_object_get(b, "name")),
                        json_string_value(json_object_get(b, "agency")),
                        json_string_value(json_object_get(b, "role")), expires, &rp->json, err);
    if (rc == AD_OK)
        rp->status = 201;
    return rc;
}

static ad_code user_revoke(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    CALL(c);
    ad_code rc = ad_svc_user_revoke(&c, ad_http_param(rq, "user"), &rp->json, err);
    if (rc == AD_OK)
        ad_http_keys_changed(rq);
    return rc;
}

static ad_code user_expires(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    CALL(c);
    int64_t expires = parse_when(json_string_value(json_object_get(ad_http_body(rq), "expires")));
    if (expires < 0)
        return ad_err_field(err, AD_ERR_ARG, "/expires",
                            "expires is a date (YYYY-MM-DD), a time (YYYY-MM-DDTHH:MM:SSZ) or "
                            "never");
    ad_code rc = ad_svc_user_expires(&c, ad_http_param(rq, "user"), expires, &rp->json, err);
    if (rc == AD_OK)
        ad_http_keys_changed(rq);
    return rc;
}

static ad_code lists(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    CALL(c);
    return ad_svc_list_list(&c, &rp->json, err);
}

static ad_code list_create(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    CALL(c);
    const json_t *b = ad_http_body(rq);
    ad_code rc = ad_svc_list_create(&c, json_string_value(json_object_get(b, "name")),
                                    json_string_value(json_object_get(b, "description")),
                                    &rp->json, err);
    if (rc == AD_OK)
        rp->status = 201;
    return rc;
}

static ad_code list_show(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    CALL(c);
    return ad_svc_list_show(&c, ad_http_param(rq, "list"), &rp->json, err);
}

static ad_code list_grant(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    CALL(c);
    const char *agency = json_string_value(json_object_get(ad_http_body(rq), "agency"));
    ad_code rc = ad_svc_list_grant(&c, ad_http_param(rq, "list"), agency, 1, &rp->json, err);
    if (rc == AD_OK)
        rp->status = 201;
    return rc;
}

static ad_code list_revoke(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    CALL(c);
    return ad_svc_list_grant(&c, ad_http_param(rq, "list"), ad_http_param(rq, "agency"), 0,
                             &rp->json, err);
}

/* A query parameter as a whole number from 0 to max; def when absent. */
static ad_code query_int(ad_http_req *rq, const char *name, long long max, long long def,
                         long long *out, ad_err *err)
{
    const char *s = ad_http_query(rq, name);
    *out = def;
    if (!s)
        return AD_OK;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v < 0 || v > max)
        return ad_err_field(err, AD_ERR_ARG, name, "%s is a whole number from 0 to %lld", name,
                            max);
    *out = v;
    return AD_OK;
}

static ad_code audit_page(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    CALL(c);
    long long after, before, limit;
    const char *order = ad_http_query(rq, "order");
    int desc = order && !strcmp(order, "desc");
    ad_code rc = AD_OK;
    if (order && !desc && strcmp(order, "asc"))
        rc = ad_err_field(err, AD_ERR_ARG, "order", "order is asc (oldest first) or desc");
    if (rc == AD_OK)
        rc = query_int(rq, "after", INT64_MAX, 0, &after, err);
    if (rc == AD_OK)
        rc = query_int(rq, "before", INT64_MAX, 0, &before, err);
    if (rc == AD_OK)
        rc = query_int(rq, "limit", 10000, 100, &limit, err);
    if (rc == AD_OK && limit == 0)
        rc = ad_err_field(err, AD_ERR_ARG, "limit", "limit is from 1 to 10000 rows");
    if (rc == AD_OK && desc && ad_http_query(rq, "after"))
        rc = ad_err_field(err, AD_ERR_ARG, "after", "order=desc pages with before, not after");
    if (rc == AD_OK && !desc && ad_http_query(rq, "before"))
        rc = ad_err_field(err, AD_ERR_ARG, "before", "before is for order=desc");
    if (rc != AD_OK)
        return rc;
    return desc ? ad_svc_audit_page_desc(&c, before, limit, &rp->json, err)
                : ad_svc_audit_page(&c, after, limit, &rp->json, err);
}

static ad_code audit_verify(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    CALL(c);
    return ad_svc_audit_verify(&c, &rp->json, err);
}

static const ad_jschema s_name = {AD_J_STRING, 1, 128, NULL, NULL, NULL};
static const char *const roles[] = {"admin",    "investigator", "analyst",
                                    "platform", "auditor",      NULL};
static const ad_jschema s_role = {AD_J_STRING, 0, 0, NULL, NULL, roles};
static const ad_jschema s_when = {AD_J_STRING, 5, 20, NULL, NULL, NULL};
static const ad_jmember user_new_m[] = {{"name", &s_name, 1},
                                        {"role", &s_role, 1},
                                        {"agency", &s_name, 0},
                                        {"expires", &s_when, 0},
                                        {NULL, NULL, 0}};
static const ad_jschema s_user_new = {AD_J_OBJECT, 0, 0, user_new_m, NULL, NULL};
static const ad_jmember expiry_m[] = {{"expires", &s_when, 1}, {NULL, NULL, 0}};
static const ad_jschema s_expiry = {AD_J_OBJECT, 0, 0, expiry_m, NULL, NULL};
static const ad_jmember grant_m[] = {{"agency", &s_name, 1}, {NULL, NULL, 0}};
static const ad_jschema s_grant = {AD_J_OBJECT, 0, 0, grant_m, NULL, NULL};
static const ad_jschema s_text = {AD_J_STRING, 1, 2000, NULL, NULL, NULL};
static const ad_jmember list_new_m[] = {
    {"name", &s_name, 1}, {"description", &s_text, 0}, {NULL, NULL, 0}};
static const ad_jschema s_list_new = {AD_J_OBJECT, 0, 0, list_new_m, NULL, NULL};
static const char *const audit_q[] = {"after", "before", "order", "limit", NULL};

static const ad_http_route routes[] = {
    {"GET", "/v1/admin/users", users_list, "admin", NULL, NULL, NULL, 0},
    {"POST", "/v1/admin/users", user_add, "admin", "UserNew", &s_user_new, NULL, 0},
    {"POST", "/v1/admin/users/{user}/revoke", user_revoke, "admin", NULL, NULL, NULL, 0},
    {"POST", "/v1/admin/users/{user}/expires", user_expires, "admin", "UserExpiry", &s_expiry, NULL,
     0},
    {"GET", "/v1/admin/lists", lists, "admin", NULL, NULL, NULL, 0},
    {"POST", "/v1/admin/lists", list_create, "admin", "ListNew", &s_list_new, NULL, 0},
    {"GET", "/v1/admin/lists/{list}", list_show, "admin", NULL, NULL, NULL, 0},
    {"POST", "/v1/admin/lists/{list}/grants", list_grant, "admin", "ListGrant", &s_grant, NULL, 0},
    {"DELETE", "/v1/admin/lists/{list}/grants/{agency}", list_revoke, "admin", NULL, NULL, NULL, 0},
    {"GET", "/v1/audit", audit_page, "audit", NULL, NULL, audit_q, 0},
    {"GET", "/v1/audit/verify", audit_verify, "audit", NULL, NULL, NULL, 0},
};

const ad_http_route *ad_http_routes_admin(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
