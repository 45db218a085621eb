/* series_unlink.c: a series' media unlinked (schema 18, docs/store.md "Unlinking a series'
 * media"): an append-only row naming the generation of the link it withdraws, written with its
 * audit row in one transaction; nothing is deleted. Readers of membership read the view
 * series_media_live; a link re-made later takes the next generation (ad_store_series_link). */
#include <stdio.h>
#include <string.h>

#include "store_int.h"

ad_code ad_store_series_linked(ad_store *st, int64_t series_id, int64_t media_id, int *live,
                               ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT COUNT(*) FROM series_media_live WHERE series_id = ?"
                            " AND media_id = ?",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, series_id);
    ad_bind_int(s, 2, media_id);
    int64_t n = 0;
    ad_code rc = ad_db_int(s, &n, err);
    *live = n > 0;
    return rc;
}

ad_code ad_store_series_relink(ad_store *st, int64_t series_id, int64_t media_id, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "UPDATE series_media SET gen = (SELECT MAX(u.gen) + 1 FROM"
                            " series_unlink u WHERE u.series_id = series_media.series_id AND"
                            " u.media_id = series_media.media_id) WHERE series_id = ? AND"
                            " media_id = ? AND EXISTS (SELECT 1 FROM series_unlink u WHERE"
                            " u.series_id = series_media.series_id AND u.media_id ="
                            " series_media.media_id AND u.gen >= series_media.gen)",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, series_id);
    ad_bind_int(s, 2, media_id);
    return ad_db_run(s, err);
}

ad_code ad_store_series_unlink(ad_store *st, int64_t series_id, int64_t media_id, char *gid,
                               ad_err *err)
{
    ad_stmt *s;
    ad_code rc = ad_store_op(st,
                             "SELECT gen FROM series_media_live WHERE series_id = ? AND"
                             " media_id = ?",
                             &s, err);
    if (rc != AD_OK)
        return rc;
    ad_bind_int(s, 1, series_id);
    ad_bind_int(s, 2, media_id);
    int64_t gen = 0, id = 0;
    rc = ad_db_int(s, &gen, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_set(err, rc, "media %lld is not in series %lld", (long long)media_id,
                   (long long)series_id);
    if (rc == AD_OK) {
        s = ad_db_stmt(st->db,
                       "INSERT INTO series_unlink (series_id, media_id, gen, agency_id, author,"
                       " created) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                       err);
        rc = s ? AD_OK : AD_ECODE(err);
    }
    if (rc == AD_OK) {
        ad_bind_int(s, 1, series_id);
        ad_bind_int(s, 2, media_id);
        ad_bind_int(s, 3, gen);
        ad_bind_id_opt(s, 4, st->agency_id);
        ad_bind_text(s, 5, st->who);
        ad_bind_int(s, 6, ad_store_time());
        rc = ad_db_int(s, &id, err);
    }
    if (rc == AD_OK && gid)
        rc = ad_store_gid_get(st, "unlink", id, gid, AD_GID_MAX, err);
    rc = ad_store_auditf(st, rc, "series.unlink", "series", series_id, err, "media=%lld gen=%lld",
                         (long long)media_id, (long long)gen);
    return ad_store_finish(st, rc, err);
}

ad_code ad_store_series_owner(ad_store *st, int64_t series_id, int64_t *owner_agency_id,
                              int *made_here, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT s.owner_agency_id, CASE WHEN substr(s.gid, 1, 36) ="
                            " (SELECT uuid FROM instance WHERE id = 1) THEN 1 ELSE 0 END"
                            " FROM series s WHERE s.id = ?",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, series_id);
    int k = ad_step(s, err);
    if (k > 0) {
        *owner_agency_id = ad_col_null(s, 0) ? 0 : ad_col_int(s, 0);
        *made_here = (int)ad_col_int(s, 1);
    }
    ad_db_done(s);
    if (k == 0)
        return ad_err_set(err, AD_ERR_NOT_FOUND, "no series %lld", (long long)series_id);
    return k < 0 ? (ad_code)-k : AD_OK;
}
