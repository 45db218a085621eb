/* case.c: investigations (cases) of an agency; sightings refer to them. */
#include <stdio.h>

#include "store_int.h"

ad_code ad_store_case_find(ad_store *st, int64_t agency_id, const char *number, int64_t *id,
                           ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, "SELECT id FROM cases WHERE agency_id = ? AND number = ?", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, agency_id);
    ad_bind_text(s, 2, number ? number : "");
    ad_code rc = ad_db_int(s, id, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_set(err, rc, "no case '%s' in agency %lld", number ? number : "",
                   (long long)agency_id);
    return rc;
}

ad_code ad_store_case_open(ad_store *st, const ad_case *c, int64_t *id, ad_err *err)
{
    int64_t agency = c->agency_id ? c->agency_id : st->agency_id, existing;
    if (!agency)
        return ad_err_set(err, AD_ERR_ARG, "a case belongs to an agency");
    if (!c->number || !*c->number)
        return ad_err_set(err, AD_ERR_ARG, "case number is empty");
    /* looked up inside the transaction, which writers take in turn: a case opened meanwhile
     * by another process (two ingests of one new case at once) is AD_ERR_EXISTS, not a
     * unique-key failure */
    ad_code rc = ad_store_begin(st, err);
    if (rc != AD_OK)
        return rc;
    if (ad_store_case_find(st, agency, c->number, &existing, NULL) == AD_OK)
        return ad_store_finish(st,
                               ad_err_set(err, AD_ERR_EXISTS, "case '%s' exists (id %lld)",
                                          c->number, (long long)existing),
                               err);
    ad_stmt *s = ad_db_stmt(st->db,
                            "INSERT INTO cases (agency_id, number, title, status, opened)"
                            " VALUES (?, ?, ?, 'open', ?) RETURNING id",
                            err);
    if (!s)
        return ad_store_finish(st, AD_ECODE(err), err);
    int64_t nid = 0;
    ad_bind_int(s, 1, agency);
    ad_bind_text(s, 2, c->number);
    ad_bind_text_opt(s, 3, c->title);
    ad_bind_int(s, 4, c->opened ? c->opened : ad_store_time());
    rc = ad_db_int(s, &nid, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_set(err, rc, "no agency %lld", (long long)agency);
    rc = ad_store_auditf(st, rc, "case.open", "case", nid, err, "number=%s agency=%lld", c->number,
                         (long long)agency);
    if (rc == AD_OK && id)
        *id = nid;
    return ad_store_finish(st, rc, err);
}

ad_code ad_store_case_list(ad_store *st, int64_t agency_id, ad_case_fn fn, void *ctx, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT c.id, c.agency_id, a.name, c.number, c.title, c.status,"
                            " c.opened FROM cases c JOIN agency a ON a.id = c.agency_id"
                            " WHERE c.agency_id = ? OR 0 = ? ORDER BY c.id",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, agency_id);
    ad_bind_int(s, 2, agency_id);
    int k;
    while ((k = ad_step(s, err)) > 0) {
        ad_case c = {.id = ad_col_int(s, 0),
                     .agency_id = ad_col_int(s, 1),
                     .agency_name = ad_col_text(s, 2),
                     .number = ad_col_text(s, 3),
                     .title = ad_col_text(s, 4),
                     .status = ad_col_text(s, 5),
                     .opened = ad_col_int(s, 6)};
        if (fn(ctx, &c))
            break;
    }
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}
