/* route.c: the route table's matching: path patterns with {name} parameters, the method, and
 * the Allow list of a path answered with other methods. */
#include <string.h>

#include "server/http.h"

int ad_route_match(const char *pattern, const char *path, ad_route_param *p, int *n)
{
    int k = 0;
    const char *a = pattern, *b = path;
    while (*a && *b) {
        if (*a == '{') {
            const char *close = strchr(a, '}');
            size_t seg = strcspn(b, "/");
            if (!close || seg == 0 || k >= AD_ROUTE_PARAMS)
                return 0;
            p[k].name = a + 1;
            p[k].name_len = (size_t)(close - a - 1);
            p[k].value = b;
            p[k].value_len = seg;
            k++;
            a = close + 1;
            b += seg;
            continue;
        }
        if (*a != *b)
            return 0;
        a++;
        b++;
    }
    if (*a || *b)
        return 0;
    *n = k;
    return 1;
}

/* Whether a route of `method` answers `asked` (a GET route answers HEAD). */
static int method_ok(const char *method, const char *asked)
{
    return !strcmp(method, asked) || (!strcmp(asked, "HEAD") && !strcmp(method, "GET"));
}

/* Adds m (and HEAD after GET) to the comma-separated list in allow, once. */
static void allow_add(char *allow, size_t cap, const char *m)
{
    size_t ml = strlen(m);
    for (const char *s = allow; *s;) {
        size_t l = strcspn(s, ",");
        if (l == ml && !strncmp(s, m, ml))
            return;
        s += l;
        s += strspn(s, ", ");
    }
    size_t n = strlen(allow);
    snprintf(allow + n, cap - n, "%s%s", n ? ", " : "", m);
    if (!strcmp(m, "GET"))
        allow_add(allow, cap, "HEAD");
}

int ad_route_find(const ad_http_route *table, size_t n, const char *method, const char *path,
                  ad_route_param *p, int *np, char *allow, size_t cap)
{
    int found = -1;
    if (cap)
        allow[0] = 0;
    for (size_t i = 0; i < n; i++) {
        ad_route_param tmp[AD_ROUTE_PARAMS];
        int k;
        if (!ad_route_match(table[i].pattern, path, tmp, &k))
            continue;
        if (method_ok(table[i].method, method)) {
            memcpy(p, tmp, sizeof tmp[0] * (size_t)k);
            *np = k;
            return (int)i;
        }
        found = -2;
        if (cap)
            allow_add(allow, cap, table[i].method);
    }
    return found;
}
