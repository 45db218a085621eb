/* routes_fed.c: federation over HTTP (docs/federation.md "Transport"): GET /v1/fed/changes gives
 * a peer its bundle (the request signed by the peer's key: ad_fed_pull_check; the bundle
 * answered from a temporary file), POST /v1/fed/changes
 * takes a peer's bundle (spooled to a temporary file, verified whole and applied from there:
 * ad_fed_bundle_import_file). Neither takes an
 * API key: a peer is known by its Ed25519 key, and that key opens nothing else. GET
 * /v1/fed/status tells admins where the exchange with each peer stands. */
#include <stdlib.h>
#include <string.h>

#include "ariadne/fed.h"
#include "ariadne/util.h"
#include "ariadne/service.h"
#include "server/http.h"

static ad_code changes_get(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    const char *t = ad_http_query(rq, "t"), *all = ad_http_query(rq, "all");
    char *end = NULL;
    long long tv = t ? strtoll(t, &end, 10) : 0;
    if (!t || !*t || *end)
        return ad_err_field(err, AD_ERR_ARG, "t", "t is the request's time in Unix seconds");
    ad_store *st;
    ad_code rc = ad_http_store(rq, &st, err);
    if (rc != AD_OK)
        return rc;
    char name[80];
    ad_fed_key key;
    rc = ad_fed_pull_check(st, ad_http_query(rq, "peer"), tv, ad_http_query(rq, "sig"), name,
                           &key, err);
    if (rc != AD_OK)
        return rc;
    /* the bundle made into a nameless temporary file (one change set at a time in memory, the
     * export's transaction as short as writing a local file) and answered from there */
    FILE *f = ad_tmpfile(err);
    ad_fed_stats stats;
    rc = f ? ad_fed_bundle_export_file(st, &key, name, all && !strcmp(all, "true"), f, &stats, err)
           : (err ? err->code : AD_ERR_IO);
    ad_fed_key_wipe(&key);
    if (rc != AD_OK) {
        if (f)
            fclose(f);
        return rc;
    }
    rp->file = f;
    rp->type = "application/octet-stream";
    return AD_OK;
}

static ad_code changes_post(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    /* spooled to a nameless temporary file as it came (AD_ROUTE_SPOOL_BODY), then verified
     * from there set by set and applied in a second pass: never held whole in memory */
    FILE *f = ad_http_body_file(rq);
    if (!f)
        return ad_err_set(err, AD_ERR_CHECKSUM, "no bundle: the request body is empty");
    ad_store *st;
    ad_code rc = ad_http_store(rq, &st, err);
    if (rc != AD_OK)
        return rc;
    ad_fed_stats s;
    rc = ad_fed_bundle_import_file(st, f, &s, err);
    if (rc != AD_OK)
        return rc;
    rp->json = json_pack("{s:I, s:I, s:I, s:I}", "sets", (json_int_t)s.sets, "changes",
                         (json_int_t)s.changes, "applied", (json_int_t)s.applied, "skipped",
                         (json_int_t)s.skipped);
    return AD_OK;
}

/* GET /v1/fed/status: admins (the action is checked by ad_svc_fed_status) */
static ad_code status_get(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_call c;
    ad_code rc = ad_http_call(rq, &c, err);
    if (rc == AD_OK)
        rc = ad_svc_fed_status(&c, ad_http_syncer(rq), &rp->json, err);
    return rc;
}

static const char *const get_q[] = {"peer", "t", "sig", "all", NULL};

static const ad_http_route routes[] = {
    {"GET", "/v1/fed/changes", changes_get, NULL, NULL, NULL, get_q, AD_ROUTE_PUBLIC},
    {"GET", "/v1/fed/status", status_get, "admin", NULL, NULL, NULL, 0},
    {"POST", "/v1/fed/changes", changes_post, NULL, "Bundle", NULL, NULL,
     AD_ROUTE_PUBLIC | AD_ROUTE_SPOOL_BODY},
};

const ad_http_route *ad_http_routes_fed(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
