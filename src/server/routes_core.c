/* routes_core.c: the server's own routes, which need no service: GET /healthz, GET /metrics,
 * GET /v1/openapi.json and GET /v1/me (who the key is). The service layer's routes join these
 * in the table (ad_server_opts.routes). */
#include <stdlib.h>
#include <string.h>

#include "ariadne/util.h"
#include "ariadne/version.h"
#include "server/server_int.h"

static ad_code healthz(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_server *srv = ad_http_server(rq);
    ad_store *st;
    int version = 0;
    ad_code rc = ad_http_store(rq, &st, err);
    if (rc == AD_OK)
        rc = ad_store_schema_version(st, &version, err);
    if (rc == AD_OK && srv->o.health)
        rc = srv->o.health(srv->o.hook_ctx, err);
    if (rc != AD_OK) {
        rp->status = 503; /* whatever the cause: not ready */
        return rc;
    }
    rp->json = json_pack("{s:s, s:s, s:s, s:i}", "status", "ok", "version", AD_VERSION, "store",
                         ad_store_backend(st), "schema", version);
    return rp->json ? AD_OK : ad_err_set(err, AD_ERR_NOMEM, "out of memory");
}

static ad_code metrics(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_server *srv = ad_http_server(rq);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    ad_metrics_write(srv->metrics, f, ad_now() - srv->started);
    if (srv->o.metrics)
        srv->o.metrics(srv->o.hook_ctx, f);
    if (fclose(f) != 0) {
        free(text);
        return ad_err_set(err, AD_ERR_NOMEM, "out of memory");
    }
    rp->type = "text/plain; version=0.0.4; charset=utf-8";
    rp->text = text;
    rp->len = len;
    rp->owned = 1;
    return AD_OK;
}

static ad_code openapi(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    (void)rq;
    (void)err;
    rp->type = "application/json";
    rp->text = ad_openapi_json;
    rp->len = ad_openapi_json_len;
    return AD_OK;
}

static ad_code me(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    const ad_http_caller *c = ad_http_who(rq);
    if (!c)
        return ad_err_set(err, AD_ERR_INTERNAL, "no caller");
    rp->json = json_pack("{s:{s:I, s:s}, s:{s:I, s:s}, s:s, s:s}", "user", "id",
                         (json_int_t)c->user_id, "name", c->user, "agency", "id",
                         (json_int_t)c->agency_id, "name", c->agency, "role",
                         ad_role_name(c->role), "key_id", c->key_id);
    return rp->json ? AD_OK : ad_err_set(err, AD_ERR_NOMEM, "out of memory");
}

static const ad_http_route core[] = {
    {"GET", "/healthz", healthz, NULL, NULL, NULL, NULL, AD_ROUTE_PUBLIC},
    {"GET", "/metrics", metrics, NULL, NULL, NULL, NULL, AD_ROUTE_PUBLIC | AD_ROUTE_LOCAL},
    {"GET", "/v1/openapi.json", openapi, NULL, NULL, NULL, NULL, AD_ROUTE_PUBLIC},
    {"GET", "/v1/me", me, "me.read", NULL, NULL, NULL, 0},
};

const ad_http_route *ad_http_core_routes(size_t *n)
{
    *n = sizeof core / sizeof core[0];
    return core;
}
