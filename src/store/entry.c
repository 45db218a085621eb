/* entry.c: platforms' feedback on list entries and the entries held back from platform matches
 * (entry_feedback and entry_hold, schema 6; docs/server.md "Held-back entries", "Feedback").
 * A hold or a release is seen by every server through the index log (schema 7's triggers). */
#include <string.h>

#include "store_int.h"

ad_code ad_store_entry_exists(ad_store *st, int64_t list_id, int64_t media_id, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT 1 FROM list_entry WHERE list_id = ? AND media_id = ?", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, list_id);
    ad_bind_int(s, 2, media_id);
    ad_code rc = ad_db_int(s, NULL, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_set(err, rc, "no entry %lld:%lld", (long long)list_id, (long long)media_id);
    return rc;
}

ad_code ad_store_entry_hold(ad_store *st, int64_t list_id, int64_t media_id, const char *reason,
                            ad_err *err)
{
    ad_stmt *s;
    /* a held entry is left as it is (no row changes, no index log row) */
    ad_code rc = ad_store_op(st,
                             "INSERT INTO entry_hold (list_id, media_id, held, reason) VALUES"
                             " (?, ?, ?, ?) ON CONFLICT (list_id, media_id) DO UPDATE SET"
                             " held = excluded.held, reason = excluded.reason, released = 0,"
                             " released_by = NULL WHERE entry_hold.released <> 0",
                             &s, err);
    if (rc != AD_OK)
        return rc;
    ad_bind_int(s, 1, list_id);
    ad_bind_int(s, 2, media_id);
    ad_bind_int(s, 3, ad_store_time());
    ad_bind_text_opt(s, 4, reason);
    rc = ad_db_run(s, err);
    rc = ad_store_auditf(st, rc, "entry.hold", "list", list_id, err, "media=%lld reason=%s",
                         (long long)media_id, reason ? reason : "");
    return ad_store_finish(st, rc, err);
}

ad_code ad_store_entry_release(ad_store *st, int64_t list_id, int64_t media_id, ad_err *err)
{
    ad_stmt *s;
    ad_code rc = ad_store_op(st,
                             "UPDATE entry_hold SET released = ?, released_by = ? WHERE"
                             " list_id = ? AND media_id = ? AND released = 0 RETURNING list_id",
                             &s, err);
    if (rc != AD_OK)
        return rc;
    ad_bind_int(s, 1, ad_store_time());
    ad_bind_text(s, 2, st->who);
    ad_bind_int(s, 3, list_id);
    ad_bind_int(s, 4, media_id);
    rc = ad_db_int(s, NULL, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_set(err, rc, "entry %lld:%lld is not held back", (long long)list_id,
                   (long long)media_id);
    rc = ad_store_auditf(st, rc, "entry.release", "list", list_id, err, "media=%lld",
                         (long long)media_id);
    return ad_store_finish(st, rc, err);
}

/* The feedback totals of an entry. */
static ad_code totals(ad_store *st, int64_t list_id, int64_t media_id, int64_t *fp, int64_t *ok,
                      ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT COALESCE(SUM(CASE WHEN verdict = 'false_positive' THEN 1"
                            " ELSE 0 END), 0), COALESCE(SUM(CASE WHEN verdict = 'confirmed'"
                            " THEN 1 ELSE 0 END), 0) FROM entry_feedback WHERE list_id = ? AND"
                            " media_id = ?",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, list_id);
    ad_bind_int(s, 2, media_id);
    int k = ad_step(s, err);
    if (k > 0) {
        if (fp)
            *fp = ad_col_int(s, 0);
        if (ok)
            *ok = ad_col_int(s, 1);
    }
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}

ad_code ad_store_entry_feedback(ad_store *st, int64_t list_id, int64_t media_id,
                                const char *verdict, int64_t *false_positives,
                                int64_t *confirmations, ad_err *err)
{
    if (!verdict || (strcmp(verdict, "confirmed") && strcmp(verdict, "false_positive")))
        return ad_err_field(err, AD_ERR_ARG, "verdict",
                            "the verdict is 'confirmed' or 'false_positive'");
    ad_code rc = ad_store_begin(st, err);
    if (rc != AD_OK)
        return rc;
    rc = ad_store_entry_exists(st, list_id, media_id, err);
    ad_stmt *s = NULL;
    if (rc == AD_OK && !(s = ad_db_stmt(st->db,
                                        "INSERT INTO entry_feedback (list_id, media_id,"
                                        " agency_id, who, verdict, created) VALUES"
                                        " (?, ?, ?, ?, ?, ?)",
                                        err)))
        rc = AD_ECODE(err);
    if (rc == AD_OK) {
        ad_bind_int(s, 1, list_id);
        ad_bind_int(s, 2, media_id);
        ad_bind_id_opt(s, 3, st->agency_id);
        ad_bind_text(s, 4, st->who);
        ad_bind_text(s, 5, verdict);
        ad_bind_int(s, 6, ad_store_time());
        rc = ad_db_run(s, err);
    }
    if (rc == AD_OK)
        rc = totals(st, list_id, media_id, false_positives, confirmations, err);
    rc = ad_store_auditf(st, rc, "entry.feedback", "list", list_id, err, "media=%lld verdict=%s",
                         (long long)media_id, verdict);
    return ad_store_finish(st, rc, err);
}

ad_code ad_store_entry_review(ad_store *st, int64_t list_id, ad_entry_review_fn fn, void *ctx,
                              ad_err *err)
{
    ad_code rc = ad_store_begin_read(st, err);
    if (rc != AD_OK)
        return rc;
    ad_stmt *s = ad_db_stmt(
        st->db,
        "SELECT e.media_id, m.sha256,"
        " (SELECT COUNT(*) FROM entry_feedback f WHERE f.list_id = e.list_id AND"
        "  f.media_id = e.media_id AND f.verdict = 'false_positive'),"
        " (SELECT COUNT(*) FROM entry_feedback f WHERE f.list_id = e.list_id AND"
        "  f.media_id = e.media_id AND f.verdict = 'confirmed'),"
        " h.held, h.released, h.reason"
        " FROM list_entry e JOIN media m ON m.id = e.media_id"
        " LEFT JOIN entry_hold h ON h.list_id = e.list_id AND h.media_id = e.media_id"
        " WHERE e.list_id = ? AND (h.list_id IS NOT NULL OR EXISTS (SELECT 1 FROM"
        "  entry_feedback f WHERE f.list_id = e.list_id AND f.media_id = e.media_id))"
        " ORDER BY e.media_id",
        err);
    int k = 0;
    int64_t n = 0;
    if (!s) {
        rc = AD_ECODE(err);
    } else {
        ad_bind_int(s, 1, list_id);
        while ((k = ad_step(s, err)) > 0) {
            ad_entry_review r;
            memset(&r, 0, sizeof r);
            r.list_id = list_id;
            r.media_id = ad_col_int(s, 0);
            size_t len = 0;
            const uint8_t *p = ad_col_blob(s, 1, &len);
            if ((r.has_sha256 = p && len == 32))
                memcpy(r.sha256, p, 32);
            r.false_positives = ad_col_int(s, 2);
            r.confirmations = ad_col_int(s, 3);
            if (!ad_col_null(s, 4)) {
                r.held_since = ad_col_int(s, 4);
                r.released = ad_col_int(s, 5);
                r.held = r.released == 0;
                r.reason = ad_col_text(s, 6);
            }
            n++;
            if (fn(ctx, &r))
                break;
        }
        ad_db_done(s);
        if (k < 0)
            rc = (ad_code)-k;
    }
    rc = ad_store_auditr(st, rc, "list.review", "list", list_id, err, "entries=%lld",
                         (long long)n);
    return ad_store_finish_read(st, rc, err);
}
