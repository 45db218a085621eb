/* svc_call.c: the start of every action (identity, authorisation, a refusal on record) and
 * the lookups of records by what a caller names them with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ariadne/lookup.h"
#include "svc_internal.h"

ad_code ad_svc_check(const ad_call *c, ad_action a, int64_t agency_id, ad_err *err)
{
    ad_code rc = ad_authz_check(c->id, a, agency_id, err);
    if (rc == AD_ERR_PERM) {
        char detail[160];
        snprintf(detail, sizeof detail, "action=%s role=%s agency=%lld", ad_action_name(a),
                 ad_role_name(c->id ? c->id->role : AD_ROLE__COUNT), (long long)agency_id);
        ad_store_audit_read(c->st, "authz.refused", NULL, detail, NULL);
    }
    return rc;
}

ad_code ad_svc_start(const ad_call *c, ad_action a, int64_t agency_id, ad_err *err)
{
    if (!c || !c->st)
        return ad_err_set(err, AD_ERR_ARG, "no store for the call");
    ad_store_set_identity(c->st, c->id);
    return ad_svc_check(c, a, agency_id, err);
}

int ad_svc_own(const ad_call *c, int64_t agency_id)
{
    return c->id && (c->id->local || (agency_id > 0 && agency_id == c->id->agency_id));
}

ad_code ad_svc_find_series(const ad_call *c, const char *key, const char *field, int64_t *id,
                           ad_err *err)
{
    if (!key || !*key)
        return ad_err_field(err, AD_ERR_ARG, field, "no series named");
    ad_code rc = strstr(key, ":series:") ? ad_store_gid_find(c->st, "series", key, id, err)
                                         : ad_store_series_find(c->st, key, 0, id, err);
    if (rc != AD_OK && err)
        snprintf(err->field, sizeof err->field, "%s", field);
    return rc;
}

ad_code ad_svc_find_media(const ad_call *c, const char *h, const char *field, int64_t *id,
                          ad_err *err)
{
    if (!h || !*h)
        return ad_err_field(err, AD_ERR_ARG, field, "no hash given");
    if (strstr(h, ":media:")) {
        ad_code rc = ad_store_gid_find(c->st, "media", h, id, err);
        if (rc != AD_OK && err)
            snprintf(err->field, sizeof err->field, "%s", field);
        return rc;
    }
    int pdq = !strncmp(h, "pdq:", 4);
    ad_media m;
    ad_media_init(&m);
    ad_code rc = ad_media_set_hash_hex(&m, pdq ? h + 4 : h, pdq, err);
    if (rc == AD_OK)
        rc = pdq ? ad_store_media_find(c->st, AD_HASH_PDQ, m.pdq.b, id, err)
                 : ad_store_media_find_hex(c->st, h, id, err);
    if (rc != AD_OK && err)
        snprintf(err->field, sizeof err->field, "%s", field);
    return rc;
}

ad_code ad_svc_find_list(const ad_call *c, const char *key, const char *field, int64_t *id,
                         ad_err *err)
{
    if (!key || !*key)
        return ad_err_field(err, AD_ERR_ARG, field, "no list named");
    ad_code rc = ad_store_list_find(c->st, key, id, err);
    if (rc != AD_OK && err)
        snprintf(err->field, sizeof err->field, "%s", field);
    return rc;
}

ad_code ad_svc_find_agency(const ad_call *c, const char *key, const char *field, int64_t *id,
                           ad_err *err)
{
    if (!key || !*key)
        return ad_err_field(err, AD_ERR_ARG, field, "no agency named");
    ad_code rc = ad_store_agency_find(c->st, key, id, err);
    if (rc != AD_OK && err)
        snprintf(err->field, sizeof err->field, "%s", field);
    return rc;
}

int64_t ad_svc_parse_id(const char *s)
{
    if (!s || !*s || strlen(s) > 18 || strspn(s, "0123456789") != strlen(s))
        return 0;
    return strtoll(s, NULL, 10);
}
