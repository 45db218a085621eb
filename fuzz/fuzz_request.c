/* fuzz_request.c: libFuzzer target: the server's request parsing, as a hostile client sends it
 * (issue 12): the first byte picks the part, the rest is the input.
 *   0  a JSON body (ad_json_parse_body), then checked against every route's body schema; and
 *      the quick reader of match bodies (ad_match_quick): what it accepts, the general way
 *      (parse, the route's schema, ad_match_request_parse) must read as the same request
 *   1  an Authorization header (ad_http_bearer)
 *   2  "METHOD PATH": the route table's lookup (ad_route_find), parameters read back
 *   3  an access-log line of hostile strings (ad_alog_format), which must stay one JSON line
 * Build and run (see fuzz/README.md): fuzz/build.sh && ./build-fuzz/fuzz_request
 * -max_total_time=60 fuzz/corpus/fuzz_request */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/http.h"

static ad_http_route *routes;
static size_t n_routes;
static const ad_jschema *match_schema;

/* abort() even where NDEBUG removes assert (the replay tests' builds) */
#define MUST(c)                                                                                    \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

/* The quick reader's request is the general way's. */
static void quick_agrees(const char *s, size_t n, const json_t *v)
{
    ad_match_request q, g;
    if (!ad_match_quick(s, n, &q))
        return;
    char field[128];
    ad_err err;
    MUST(v && ad_jcheck(v, match_schema, field, sizeof field, &err) == AD_OK);
    MUST(ad_match_request_parse(v, &g, &err) == AD_OK);
    MUST(q.n == g.n);
    for (size_t i = 0; i < q.n; i++) {
        const ad_match_hash *a = &q.v[i], *b = &g.v[i];
        MUST(a->type == b->type && a->npdq == b->npdq && a->radius == b->radius &&
             a->min_pct == b->min_pct && !a->nframes && !b->nframes);
        MUST(!memcmp(a->digest, b->digest, sizeof a->digest));
        MUST(!memcmp(a->pdq, b->pdq, (size_t)a->npdq * sizeof a->pdq[0]));
    }
    ad_match_request_free(&q);
    ad_match_request_free(&g);
}

static void body(const char *s, size_t n)
{
    json_t *v = NULL;
    ad_err err;
    ad_json_parse_body(s, n, &v, &err);
    quick_agrees(s, n, v);
    if (!v)
        return;
    char field[128];
    for (size_t i = 0; i < n_routes; i++)
        if (routes[i].schema)
            ad_jcheck(v, routes[i].schema, field, sizeof field, &err);
    json_decref(v);
}

static void route(const char *s)
{
    const char *sp = strchr(s, ' ');
    if (!sp || sp - s > 15)
        return;
    char method[16];
    memcpy(method, s, (size_t)(sp - s));
    method[sp - s] = 0;
    ad_route_param p[AD_ROUTE_PARAMS];
    int np = 0;
    char allow[128];
    int k = ad_route_find(routes, n_routes, method, sp + 1, p, &np, allow, sizeof allow);
    assert(k >= -2 && k < (int)n_routes);
    assert(np >= 0 && np <= AD_ROUTE_PARAMS);
    size_t total = 0;
    for (int i = 0; k >= 0 && i < np; i++)
        total += p[i].name_len + p[i].value_len;
    (void)total;
}

static void logline(const char *s, size_t n)
{
    /* the input cut into the entry's strings at NUL bytes */
    const char *part[6] = {"", "", "", "", "", ""};
    size_t k = 0;
    part[k++] = s;
    for (size_t i = 0; i + 1 < n && k < 6; i++)
        if (!s[i])
            part[k++] = s + i + 1;
    ad_alog_entry e = {1767225600.5, part[0], part[1], part[2], part[3], part[4],
                       200,          n,       n,       n,       part[5]};
    char line[2048];
    size_t len = ad_alog_format(&e, line, sizeof line);
    assert(len > 1 && len < sizeof line && line[len - 1] == '\n' && line[len - 2] == '}');
    assert(memchr(line, '\n', len - 1) == NULL); /* one line, whatever the strings hold */
    json_error_t je;
    json_t *v = json_loadb(line, len, 0, &je);
    assert(v); /* and valid JSON */
    json_decref(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!routes) {
        routes = ad_http_all_routes(&n_routes);
        for (size_t i = 0; i < n_routes; i++)
            if (!strcmp(routes[i].pattern, "/v1/match"))
                match_schema = routes[i].schema;
        assert(match_schema);
    }
    if (size < 1 || size > 65536)
        return 0;
    char *s = malloc(size);
    if (!s)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = 0;
    switch (data[0] % 4) {
    case 0:
        body(s, size - 1);
        break;
    case 1: {
        const char *key;
        size_t len;
        if (ad_http_bearer(s, &key, &len) == 0)
            assert(len >= 1 && len <= 200 && key >= s && key + len <= s + size - 1);
        break;
    }
    case 2:
        route(s);
        break;
    default:
        logline(s, size - 1);
    }
    free(s);
    return 0;
}
