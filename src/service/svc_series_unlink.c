/* svc_series_unlink.c: undoing a link of a series' media (issue 14's review queue, docs/store.md
 * "Unlinking a series' media"): authorised here (the series' owner agency, on the instance that
 * made the series), recorded by the store as an unlink row with its audit row, shared by the
 * change log as kind 'unlink'. */
#include <stdio.h>
#include <string.h>

#include "svc_internal.h"

ad_code ad_svc_series_unlink(const ad_call *c, const char *series, const char *hash, json_t **out,
                             ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_SERIES_UNLINK, 0, err);
    int64_t sid = 0, mid = 0, owner = 0;
    int here = 0;
    if (rc == AD_OK)
        rc = ad_svc_find_series(c, series, "series", &sid, err);
    if (rc == AD_OK)
        rc = ad_store_series_owner(c->st, sid, &owner, &here, err);
    /* only the agency owning the series (a series without an owner: any investigator) */
    if (rc == AD_OK && owner)
        rc = ad_svc_check(c, AD_ACT_SERIES_UNLINK, owner, err);
    /* another instance's series: its origin alone unlinks (its peers would refuse this one) */
    if (rc == AD_OK && !here)
        rc = ad_err_field(err, AD_ERR_PERM, "series",
                          "series %s was made on another instance: only there are its media"
                          " unlinked",
                          series);
    if (rc == AD_OK)
        rc = ad_svc_find_media(c, hash, "media", &mid, err);
    char gid[AD_GID_MAX] = "";
    if (rc == AD_OK && (rc = ad_store_series_unlink(c->st, sid, mid, gid, err)) != AD_OK && err &&
        !err->field[0])
        snprintf(err->field, sizeof err->field, "media");
    json_t *doc = NULL;
    if (rc == AD_OK) {
        doc = json_pack("{s:I, s:I, s:s}", "series", (json_int_t)sid, "media", (json_int_t)mid,
                        "unlink", gid);
        json_object_set_new(doc, "gid", ad_svc_gid(c->st, "series", sid));
    }
    return ad_svc_done(rc, doc, out);
}
