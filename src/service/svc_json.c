/* svc_json.c: the JSON forms the service's documents share: times, hex, stored text. */
#include <stdlib.h>
#include <string.h>

#include "ariadne/json.h"
#include "ariadne/util.h"
#include "svc_internal.h"

json_t *ad_json_time(int64_t t)
{
    char b[32];
    return t > 0 ? json_string(ad_time_iso(t, b)) : json_null();
}

json_t *ad_json_hex(const uint8_t *b, size_t n, int has)
{
    if (!has)
        return json_null();
    char hex[2 * 64 + 1];
    if (n > 64)
        n = 64;
    return json_string(ad_hex_encode(b, n, hex));
}

void ad_json_set_text(json_t *o, const char *key, const char *s, const char *hex_key)
{
    if (!s) {
        json_object_set_new(o, key, json_null());
        return;
    }
    int lossy = 0;
    char *u = ad_utf8_sanitize(s, &lossy);
    json_object_set_new(o, key, u ? json_string(u) : json_null());
    free(u);
    if (lossy && hex_key) {
        size_t n = strlen(s);
        char *h = malloc(2 * n + 1);
        if (h)
            json_object_set_new(o, hex_key, json_string(ad_hex_encode((const uint8_t *)s, n, h)));
        free(h);
    }
}

ad_code ad_svc_done(ad_code rc, json_t *doc, json_t **out)
{
    if (rc == AD_OK && !doc)
        rc = AD_ERR_NOMEM;
    if (rc == AD_OK) {
        *out = doc;
    } else {
        json_decref(doc);
        *out = NULL;
    }
    return rc;
}

json_t *ad_svc_gid(ad_store *st, const char *kind, int64_t id)
{
    char g[AD_GID_MAX];
    return ad_store_gid_get(st, kind, id, g, sizeof g, NULL) == AD_OK && g[0] ? json_string(g)
                                                                              : json_null();
}
