/* grant.c: which lists a platform agency matches against (list_grant, schema 6): a platform
 * receives matches from the lists granted to its agency and from no other (docs/server.md). */
#include <stdio.h>

#include "store_int.h"

ad_code ad_store_list_grant(ad_store *st, int64_t list_id, int64_t agency_id, ad_err *err)
{
    ad_code rc = ad_store_begin(st, err); /* the check too: writers take turns from here */
    if (rc != AD_OK)
        return rc;
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT COUNT(*) FROM list_grant WHERE list_id = ? AND agency_id = ?",
                            err);
    int64_t n = 0;
    rc = s ? AD_OK : AD_ECODE(err);
    if (s) {
        ad_bind_int(s, 1, list_id);
        ad_bind_int(s, 2, agency_id);
        rc = ad_db_int(s, &n, err);
    }
    if (rc == AD_OK && n)
        rc = ad_err_set(err, AD_ERR_EXISTS, "list %lld is already granted to agency %lld",
                        (long long)list_id, (long long)agency_id);
    if (rc == AD_OK && !(s = ad_db_stmt(st->db,
                                        "INSERT INTO list_grant (list_id, agency_id, granted,"
                                        " granted_by) VALUES (?, ?, ?, ?)",
                                        err)))
        rc = AD_ECODE(err);
    if (rc == AD_OK) {
        ad_bind_int(s, 1, list_id);
        ad_bind_int(s, 2, agency_id);
        ad_bind_int(s, 3, ad_store_time());
        ad_bind_text(s, 4, st->who);
        rc = ad_db_run(s, err);
        if (rc == AD_ERR_NOT_FOUND)
            ad_err_set(err, rc, "no list %lld or agency %lld", (long long)list_id,
                       (long long)agency_id);
    }
    rc = ad_store_auditf(st, rc, "list.grant", "list", list_id, err, "agency=%lld",
                         (long long)agency_id);
    return ad_store_finish(st, rc, err);
}

ad_code ad_store_list_revoke(ad_store *st, int64_t list_id, int64_t agency_id, ad_err *err)
{
    ad_stmt *s;
    ad_code rc = ad_store_op(st,
                             "DELETE FROM list_grant WHERE list_id = ? AND agency_id = ?"
                             " RETURNING list_id",
                             &s, err);
    if (rc != AD_OK)
        return rc;
    ad_bind_int(s, 1, list_id);
    ad_bind_int(s, 2, agency_id);
    rc = ad_db_int(s, NULL, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_set(err, rc, "list %lld is not granted to agency %lld", (long long)list_id,
                   (long long)agency_id);
    rc = ad_store_auditf(st, rc, "list.revoke", "list", list_id, err, "agency=%lld",
                         (long long)agency_id);
    return ad_store_finish(st, rc, err);
}

ad_code ad_store_list_grants(ad_store *st, int64_t list_id, int64_t agency_id,
                             ad_list_grant_fn fn, void *ctx, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT g.list_id, g.agency_id, l.name, a.name, g.granted,"
                            " g.granted_by FROM list_grant g JOIN hash_list l ON l.id = g.list_id"
                            " JOIN agency a ON a.id = g.agency_id WHERE (g.list_id = ? OR 0 = ?)"
                            " AND (g.agency_id = ? OR 0 = ?) ORDER BY g.list_id, g.agency_id",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, list_id);
    ad_bind_int(s, 2, list_id);
    ad_bind_int(s, 3, agency_id);
    ad_bind_int(s, 4, agency_id);
    int k;
    while ((k = ad_step(s, err)) > 0) {
        ad_list_grant g = {ad_col_int(s, 0),  ad_col_int(s, 1), ad_col_text(s, 2),
                           ad_col_text(s, 3), ad_col_int(s, 4), ad_col_text(s, 5)};
        if (fn(ctx, &g))
            break;
    }
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}
