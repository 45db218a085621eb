/* svc_case_summary.c: a case at a glance for the web interface's case page (docs/web.md): the
 * files of the case's current jobs counted by class (as the case's files page classifies them:
 * by the media their match decided by, now), the failures, and the series its known material
 * belongs to with owner and contact (known-unidentified first: whom to call). Agency evidence:
 * the case's agency only. A few grouped, indexed queries (ad_store_case_summary), whatever the
 * size of the case. */
#include <stdio.h>

#include "svc_internal.h"

ad_code ad_svc_case_read(const ad_call *c, int64_t case_id, int64_t *agency, ad_err *err)
{
    ad_code rc = ad_svc_start(c, AD_ACT_READ_EVIDENCE, 0, err);
    *agency = 0;
    if (rc == AD_OK)
        rc = ad_svc_case_agency(c, case_id, "id", agency, err);
    if (rc == AD_OK)
        rc = ad_svc_check(c, AD_ACT_READ_EVIDENCE, *agency > 0 ? *agency : -1, err);
    return rc;
}

ad_code ad_svc_case_summary(const ad_call *c, int64_t case_id, json_t **out, ad_err *err)
{
    int64_t agency;
    ad_code rc = ad_svc_case_read(c, case_id, &agency, err);
    ad_case_summary m = {0};
    if (rc == AD_OK)
        rc = ad_store_case_summary(c->st, case_id, &m, err);
    if (rc == AD_OK) {
        char detail[48];
        snprintf(detail, sizeof detail, "files=%lld", (long long)m.files);
        rc = ad_store_audit_read(c->st, "case.summary", NULL, detail, err);
    }
    if (rc != AD_OK) {
        ad_case_summary_free(&m);
        return rc;
    }
    json_t *list = json_array(), *classes = json_object();
    for (size_t i = 0; i < m.nseries; i++) {
        const ad_case_series *x = &m.series[i];
        json_array_append_new(list, json_pack("{s:s, s:s?, s:s?, s:s, s:I, s:s?}", "name",
                                              x->name, "owner", x->owner[0] ? x->owner : NULL,
                                              "contact", x->contact[0] ? x->contact : NULL,
                                              "class", ad_class_name(x->cls), "files",
                                              (json_int_t)x->files, "merged_from",
                                              x->merged_from[0] ? x->merged_from : NULL));
    }
    for (int k = 0; k < 5; k++)
        json_object_set_new(classes, ad_class_name((ad_class)k), json_integer(m.counts[k]));
    json_t *doc = json_pack("{s:I, s:I, s:o, s:I, s:o}", "case", (json_int_t)case_id, "files",
                            (json_int_t)m.files, "classes", classes, "errors",
                            (json_int_t)m.errors, "series", list);
    ad_case_summary_free(&m);
    return ad_svc_done(AD_OK, doc, out);
}
