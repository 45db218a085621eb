/* store_describe.c: what a store is, said for people and reports: the store's URL with a SQLite
 * path made absolute and a PostgreSQL password hidden (ad_store_url_redact), and who is acting
 * on it. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

const char *ad_store_actor(const ad_store *st)
{
    return st->who;
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
