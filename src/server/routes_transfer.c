/* routes_transfer.c: exports to partners over HTTP: GET /v1/export streams a VICS JSON file, an
 * ICSE CSV or a hash list of what the caller chose (ad_svc_export_*), written while it is sent.
 * The choice and the caller's right to it are checked before the answer starts. */
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
                             flag(rq, "trusted"),           flag(rq, "all")};
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

static const char *const export_q[] = {"format", "list",    "series", "scheme", "category",
                                       "hash",   "trusted", "all",    NULL};

static const ad_http_route routes[] = {
    {"GET", "/v1/export", export, "transfer", NULL, NULL, export_q, 0},
};

const ad_http_route *ad_http_routes_transfer(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
