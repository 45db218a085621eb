/* svc_fed.c: federation for admins: where the exchange with each peer stands (the scheduled
 * sync's last try, result and failures in a row; what was sent and received per origin). */
#include "ariadne/fed.h"
#include "svc_internal.h"

ad_code ad_svc_fed_status(const ad_call *c, struct ad_fed_syncer *syncer, json_t **out,
                          ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_ADMIN, 0, err);
    json_t *cur = NULL;
    if (rc == AD_OK)
        rc = ad_fed_cursors(c->st, &cur, err);
    json_t *doc = NULL;
    if (rc == AD_OK)
        doc = json_pack("{s:o, s:o}", "sync", syncer ? ad_fed_syncer_status(syncer) : json_null(),
                        "instance", cur);
    return ad_svc_done(rc, doc, out);
}
