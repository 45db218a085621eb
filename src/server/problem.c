/* problem.c: errors as application/problem+json (RFC 9457): the status of each library error
 * and the problem document (type, title, status, detail, field). */
#include <string.h>

#include "server/http.h"

int ad_http_status_of(ad_code code)
{
    switch (code) {
    case AD_OK:
        return 200;
    case AD_ERR_PARSE:
    case AD_ERR_CORRUPT:
    case AD_ERR_TRUNCATED:
    case AD_ERR_EMPTY:
    case AD_ERR_CHECKSUM:
        return 400; /* the request cannot be read */
    case AD_ERR_ARG:
    case AD_ERR_VERSION:
        return 422; /* read, but not a valid request */
    case AD_ERR_PERM:
        return 403;
    case AD_ERR_NOT_FOUND:
        return 404;
    case AD_ERR_EXISTS:
        return 409;
    case AD_ERR_LIMIT:
        return 413;
    case AD_ERR_UNSUPPORTED:
        return 415;
    case AD_ERR_DB:
    case AD_ERR_IO:
    case AD_ERR_TIMEOUT:
        return 503; /* the store is down, locked or gone: try again */
    default:
        return 500;
    }
}

static const struct {
    int status;
    const char *name, *title;
} kinds[] = {
    {400, "bad-request", "The request cannot be read"},
    {401, "unauthorized", "An API key is needed"},
    {403, "forbidden", "Not allowed"},
    {404, "not-found", "Not found"},
    {405, "method-not-allowed", "Method not allowed"},
    {409, "conflict", "Conflict"},
    {413, "too-large", "Request body too large"},
    {415, "unsupported-media-type", "Unsupported media type"},
    {422, "invalid", "The request is not valid"},
    {429, "too-many-requests", "Too many requests"},
    {500, "internal", "Internal error"},
    {503, "unavailable", "Service unavailable"},
};

static int kind_of(int status)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i].status == status)
            return (int)i;
    return -1;
}

const char *ad_http_problem_name(int status)
{
    int k = kind_of(status);
    return k < 0 ? "error" : kinds[k].name;
}

json_t *ad_http_problem(int status, const char *detail, const char *field)
{
    int k = kind_of(status);
    char type[96];
    /* tag URIs (RFC 4151): stable names, no web page behind them; docs/server.md lists them */
    snprintf(type, sizeof type, "tag:ariadne,2026:problem:%s", k < 0 ? "error" : kinds[k].name);
    json_t *p = json_pack("{s:s, s:s, s:i}", "type", type, "title", k < 0 ? "Error" : kinds[k].title,
                          "status", status);
    if (p && detail && *detail)
        json_object_set_new(p, "detail", json_string(detail));
    if (p && field && *field)
        json_object_set_new(p, "field", json_string(field));
    return p;
}
