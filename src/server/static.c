/* static.c: the web interface's files (web/, compiled into the program by
 * cmake/embed-web.cmake): GET / (the page) and GET /ui/{file} (its scripts, styles and
 * pictures), public (they hold no data: every datum comes from the JSON API with the caller's
 * session), with a strict Content-Security-Policy: nothing but this server's own files, no
 * inline script or style, no frames, no other origin (docs/web.md). Also GET /ui/basemap.frag:
 * the world basemap the HTML report draws (data/basemap, compiled into the library), its SVG
 * elements without a root, which the series page draws its places over. */
#include <string.h>

#include "server/http.h"

typedef struct {
    const char *name;
    const unsigned char *data;
    size_t len;
} ad_web_file;
extern const ad_web_file ad_web_files[];
extern const size_t ad_web_n;
extern const char ad_basemap_svg[]; /* generated from data/basemap/world-110m.svg */
extern const size_t ad_basemap_svg_len;

static const char csp[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' blob:; media-src 'self' blob:; connect-src 'self'; "
                          "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

static const char *type_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return "application/octet-stream";
    if (!strcmp(dot, ".html"))
        return "text/html; charset=utf-8";
    if (!strcmp(dot, ".css"))
        return "text/css; charset=utf-8";
    if (!strcmp(dot, ".js"))
        return "text/javascript; charset=utf-8";
    if (!strcmp(dot, ".svg"))
        return "image/svg+xml";
    return "application/octet-stream";
}

static ad_code serve(const char *name, ad_http_reply *rp, ad_err *err)
{
    if (!strcmp(name, "basemap.frag")) {
        rp->text = ad_basemap_svg;
        rp->len = ad_basemap_svg_len;
        rp->type = "text/plain; charset=utf-8";
        rp->csp = csp;
        return AD_OK;
    }
    for (size_t i = 0; i < ad_web_n; i++)
        if (!strcmp(ad_web_files[i].name, name)) {
            rp->text = (const char *)ad_web_files[i].data;
            rp->len = ad_web_files[i].len;
            rp->type = type_of(name);
            rp->csp = csp;
            return AD_OK;
        }
    return ad_err_set(err, AD_ERR_NOT_FOUND, "no file '%.100s' in the web interface", name);
}

static ad_code page(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    (void)rq;
    return serve("index.html", rp, err);
}

static ad_code asset(ad_http_req *rq, ad_http_reply *rp, ad_err *err)
{
    ad_code rc = serve(ad_http_param(rq, "file"), rp, err);
    if (rc != AD_OK)
        strcpy(rp->field, "file");
    return rc;
}

static const ad_http_route routes[] = {
    {"GET", "/", page, NULL, NULL, NULL, NULL, AD_ROUTE_PUBLIC},
    {"GET", "/ui/{file}", asset, NULL, NULL, NULL, NULL, AD_ROUTE_PUBLIC},
};

const ad_http_route *ad_http_routes_static(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
