/* store_describe.c: what a store is, said for people and reports: the store's URL with a SQLite
 * path made absolute and a PostgreSQL password removed, and who is acting on it. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

const char *ad_store_actor(const ad_store *st)
{
    return st->who;
}

/* Copies at most n bytes of s to the end of out (size cap), always terminated. */
static void put(char *out, size_t cap, const char *s, size_t n)
{
    size_t len = strlen(out);
    if (len + 1 >= cap)
        return;
    if (n > cap - 1 - len)
        n = cap - 1 - len;
    memcpy(out + len, s, n);
    out[len + n] = '\0';
}

void ad_store_url_redact(const char *url, char *out, size_t cap)
{
    if (!cap)
        return;
    out[0] = '\0';
    const char *p = strstr(url, "://");
    if (!p) {
        put(out, cap, url, strlen(url));
        return;
    }
    p += 3;
    put(out, cap, url, (size_t)(p - url));
    /* authority: [user[:password]@]host...; it ends at the first '/', '?' or '#' */
    size_t alen = strcspn(p, "/?#");
    const char *at = NULL;
    for (const char *q = p; q < p + alen; q++)
        if (*q == '@')
            at = q; /* the last '@': a password may hold one */
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        put(out, cap, p, (size_t)((colon ? colon : at) - p));
        p = at; /* "@host..." follows */
        alen = strcspn(p, "/?#");
    }
    put(out, cap, p, alen);
    p += alen;
    /* path, then the query without any password=... parameter */
    size_t plen = strcspn(p, "?#");
    put(out, cap, p, plen);
    p += plen;
    if (*p == '?') {
        p++;
        int first = 1;
        while (*p && *p != '#') {
            size_t n = strcspn(p, "&#");
            if (!(n >= 9 && !strncmp(p, "password=", 9))) {
                put(out, cap, first ? "?" : "&", 1);
                put(out, cap, p, n);
                first = 0;
            }
            p += n;
            if (*p == '&')
                p++;
        }
    }
    put(out, cap, p, strlen(p));
}

void ad_store_describe(const ad_store *st, char *out, size_t cap)
{
    if (!cap)
        return;
    const char *url = st->url;
    if (st->db && st->db->is_pg) {
        ad_store_url_redact(url, out, cap);
        return;
    }
    const char *path = !strncmp(url, "sqlite:", 7) ? url + 7 : url;
    char abs[PATH_MAX];
    if (realpath(path, abs))
        snprintf(out, cap, "sqlite:%s", abs);
    else
        snprintf(out, cap, "sqlite:%s", path);
}
