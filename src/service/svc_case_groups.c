/* svc_case_groups.c: the candidate series of a case's new material, for the web interface's
 * case page and review queue (docs/web.md): the report's grouping (ad_report_build: PDQ
 * near-duplicates, the same camera serial, the same camera, the same folder within an hour of
 * capture), each group with the reasons it was formed. Agency evidence: the case's agency. */
#include <stdio.h>
#include <string.h>

#include "ariadne/report.h"
#include "svc_internal.h"

typedef struct {
    int64_t id;
    char agency[128], number[128];
    int found;
} case_ctx;

static int on_case(void *p, const ad_case *x)
{
    case_ctx *k = p;
    if (x->id != k->id)
        return 0;
    snprintf(k->agency, sizeof k->agency, "%s", x->agency_name ? x->agency_name : "");
    snprintf(k->number, sizeof k->number, "%s", x->number ? x->number : "");
    k->found = 1;
    return 1;
}

ad_code ad_svc_case_groups(const ad_call *c, int64_t case_id, json_t **out, ad_err *err)
{
    int64_t agency;
    ad_code rc = ad_svc_case_read(c, case_id, &agency, err);
    case_ctx k = {case_id, "", "", 0};
    if (rc == AD_OK)
        rc = ad_store_case_list(c->st, agency, on_case, &k, err);
    if (rc == AD_OK && !k.found)
        rc = ad_err_field(err, AD_ERR_NOT_FOUND, "id", "no case %lld", (long long)case_id);
    if (rc != AD_OK)
        return rc;
    ad_report r;
    ad_report_init(&r);
    ad_report_opts o = {0, 31, 50, 3600};
    rc = ad_report_build(c->st, k.agency, k.number, &o, &r, err);
    json_t *groups = json_array();
    for (size_t g = 0; rc == AD_OK && g < r.ngroups; g++) {
        json_t *items = json_array();
        for (size_t i = 0; i < r.groups[g].n; i++) {
            const ad_report_item *it = &r.items[r.groups[g].items[i]];
            json_array_append_new(items, json_pack("{s:s?, s:s?, s:I}", "path", it->path,
                                                   "sha256", it->sha256[0] ? it->sha256 : NULL,
                                                   "media_id", (json_int_t)it->media_id));
        }
        json_array_append_new(groups, json_pack("{s:i, s:s, s:o}", "id", r.groups[g].id,
                                                "reasons", r.groups[g].reasons, "items",
                                                items));
    }
    size_t nnew = r.counts[AD_RC_NEW];
    ad_report_free(&r);
    if (rc != AD_OK) {
        json_decref(groups);
        return rc;
    }
    return ad_svc_done(AD_OK,
                       json_pack("{s:I, s:I, s:o}", "case", (json_int_t)case_id, "new",
                                 (json_int_t)nnew, "groups", groups),
                       out);
}
