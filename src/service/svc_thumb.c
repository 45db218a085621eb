/* svc_thumb.c: a media's thumbnail for the web interface (docs/web.md): the small JPEG made at
 * ingest from the very bytes that were hashed (store thumb.c), and only the one the caller's
 * own agency holds: pixels are that agency's evidence (read_pixels: its admins and
 * investigators; analysts see no pixels; other agencies' material is hashes and facts). The
 * store audits the read as a view (thumb.read). Never a path read at display time. */
#include <stdlib.h>
#include <string.h>

#include "ariadne/store.h"
#include "svc_internal.h"

typedef struct {
    uint8_t *jpeg;
    size_t len;
} thumb_out;

static int keep(void *p, const ad_media_thumb *t)
{
    thumb_out *o = p;
    if (!o->jpeg && (o->jpeg = malloc(t->len))) {
        memcpy(o->jpeg, t->jpeg, t->len);
        o->len = t->len;
    }
    return 0;
}

ad_code ad_svc_media_thumb(const ad_call *c, const char *hash, uint8_t **jpeg, size_t *len,
                           ad_err *err)
{
    *jpeg = NULL;
    *len = 0;
    int64_t agency = c->id ? c->id->agency_id : 0;
    ad_code rc = ad_svc_start(c, AD_ACT_READ_PIXELS, agency ? agency : -1, err);
    if (rc != AD_OK)
        return rc;
    if (!agency)
        return ad_err_set(err, AD_ERR_NOT_FOUND, "thumbnails are an agency's: you act for none");
    int64_t mid;
    if ((rc = ad_svc_find_media(c, hash, "hash", &mid, err)) != AD_OK)
        return rc;
    thumb_out o = {NULL, 0};
    rc = ad_store_thumb_get_batch(c->st, agency, &mid, 1, keep, &o, err);
    if (rc != AD_OK) {
        free(o.jpeg);
        return rc;
    }
    if (!o.jpeg)
        return ad_err_set(err, AD_ERR_NOT_FOUND,
                          "your agency holds no thumbnail of this media (made at ingest with"
                          " --thumbnails)");
    *jpeg = o.jpeg;
    *len = o.len;
    return AD_OK;
}
