/* routes_transfer.c: exchange files over HTTP: GET /v1/export streams a VICS JSON file, an ICSE
 * CSV or a hash list of what the caller chose (ad_svc_export_*), written while it is sent (the
 * choice and the caller's right to it checked before the answer starts); POST /v1/import takes
 * one such file as the body (up to the server's --max-body: larger files go in several
 * requests) and imports it in one transaction (ad_svc_import). */
#include <stdlib.h>
#include <string.h>

#include "server/http.h"

static ad_code stream(void *ctx, const ad_call *c, FILE *out, ad_err *err)
{
    return ad_svc_export_run(c, ctx, out, err);
}

static void stream_free(void *ctx)
{
    ad_svc_export_free(ctx);
}

/* A boolean query parameter: absent, "true" or "false"; -1 otherwise. */
static int flag(ad_http_req *rq, const char *name)
{
    const char *v = ad_http_query(rq, name);
    return !v ? 0 : !strcmp(v, "true") ? 1 : !strcmp(v, "false") ? 0 : -1;
}

static ad_code export(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_call c;
    ad_code rc = ad_http_call(rq, &c, err);
    if (rc != AD_OK)
        return rc;
    ad_svc_export_query q = {ad_http_query(rq, "format"),   ad_http_query(rq, "list"),
                             ad_http_query(rq, "series"),   ad_http_query(rq, "scheme"),
                             ad_http_query(rq, "category"), ad_http_query(rq, "hash"),
                             flag(rq, "trusted"),           flag(rq, "all"),
                             NULL,                          NULL}; /* VICS 2.0, its default */
    if (q.trusted < 0 || q.all < 0)
        return ad_err_field(err, AD_ERR_ARG, q.all < 0 ? "all" : "trusted", "%s is true or false",
                            q.all < 0 ? "all" : "trusted");
    ad_svc_export *x;
    rc = ad_svc_export_prepare(&c, &q, &x, err);
    if (rc != AD_OK)
        return rc;
    rp->type = ad_svc_export_type(x);
    rp->stream = stream;
    rp->stream_ctx = x;
    rp->stream_free = stream_free;
    return AD_OK;
}

static ad_code import(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_call c;
    ad_code rc = ad_http_call(rq, &c, err);
    if (rc != AD_OK)
        return rc;
    ad_svc_import_query q = {ad_http_query(rq, "format"), ad_http_query(rq, "list"),
                             ad_http_query(rq, "source"), flag(rq, "skip_bad"), flag(rq, "pdq")};
    if (q.skip_bad < 0 || q.pdq < 0)
        return ad_err_field(err, AD_ERR_ARG, q.pdq < 0 ? "pdq" : "skip_bad", "%s is true or false",
                            q.pdq < 0 ? "pdq" : "skip_bad");
    size_t len;
    const uint8_t *data = ad_http_raw_body(rq, &len);
    rc = ad_svc_import(&c, &q, data, len, &rp->json, err);
    if (rc == AD_OK)
        rp->status = 201;
    else if (rc == AD_ERR_EMPTY)
        rp->status = 400;
    return rc;
}

static const char *const import_q[] = {"format", "list", "source", "skip_bad", "pdq", NULL};
static const char *const export_q[] = {"format", "list",    "series", "scheme", "category",
                                       "hash",   "trusted", "all",    NULL};

static const ad_http_route routes[] = {
    {"GET", "/v1/export", export, "transfer", NULL, NULL, export_q, 0},
    {"POST", "/v1/import", import, "transfer", "ImportFile", NULL, import_q, AD_ROUTE_RAW_BODY},
};

const ad_http_route *ad_http_routes_transfer(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
