/* series_reach.c: what the web interface asks of a series beyond its record (docs/web.md): how
 * far it has been seen (sightings per agency, with the media seen and the first and last time:
 * counts only, never a path or case), its media, and the series that need action first (an
 * unidentified victim, ordered by their latest sighting). Reads; the service layer audits them. */
#include "store_int.h"

ad_code ad_store_series_reach(ad_store *st, int64_t series_id, ad_series_reach_fn fn, void *ctx,
                              ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT x.agency_id, a.name, COUNT(*), COUNT(DISTINCT x.media_id),"
                            " MIN(x.ingested), MAX(x.ingested) FROM series_media_live sm"
                            " JOIN sighting x ON x.media_id = sm.media_id"
                            " LEFT JOIN agency a ON a.id = x.agency_id WHERE sm.series_id = ?"
                            " GROUP BY x.agency_id, a.name ORDER BY MAX(x.ingested) DESC",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, series_id);
    int k;
    while ((k = ad_step(s, err)) > 0) {
        ad_series_reach r = {ad_col_int(s, 0), ad_col_null(s, 1) ? NULL : ad_col_text(s, 1),
                             ad_col_int(s, 2), ad_col_int(s, 3), ad_col_int(s, 4),
                             ad_col_int(s, 5)};
        if (fn(ctx, &r))
            break;
    }
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}

ad_code ad_store_series_media_ids(ad_store *st, int64_t series_id, int64_t limit,
                                  ad_series_media_fn fn, void *ctx, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT sm.media_id, m.sha256 FROM series_media_live sm"
                            " JOIN media m ON m.id = sm.media_id WHERE sm.series_id = ?"
                            " ORDER BY sm.added, sm.media_id LIMIT ?",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, series_id);
    ad_bind_int(s, 2, limit);
    int k;
    while ((k = ad_step(s, err)) > 0) {
        size_t n = 0;
        const uint8_t *sha = ad_col_null(s, 1) ? NULL : ad_col_blob(s, 1, &n);
        if (fn(ctx, ad_col_int(s, 0), n == 32 ? sha : NULL))
            break;
    }
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}

ad_code ad_store_series_attention(ad_store *st, int64_t since, ad_series_attention_fn fn,
                                  void *ctx, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(
        st->db,
        "SELECT se.id, se.name, a.name, se.contact,"
        " (SELECT COUNT(*) FROM person p WHERE p.series_id = se.id AND p.kind = 'victim'"
        "  AND p.identified = 0),"
        " (SELECT COUNT(*) FROM series_media_live sm JOIN sighting x ON x.media_id = sm.media_id"
        "  WHERE sm.series_id = se.id AND x.ingested >= ?),"
        " (SELECT MAX(x.ingested) FROM series_media_live sm JOIN sighting x ON x.media_id = "
        "sm.media_id"
        "  WHERE sm.series_id = se.id)"
        " FROM series se LEFT JOIN agency a ON a.id = se.owner_agency_id"
        " WHERE EXISTS (SELECT 1 FROM person p WHERE p.series_id = se.id AND p.kind = 'victim'"
        "  AND p.identified = 0)",
        err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, since);
    int k;
    while ((k = ad_step(s, err)) > 0) {
        ad_series_attention r = {ad_col_int(s, 0),
                                 ad_col_text(s, 1),
                                 ad_col_null(s, 2) ? NULL : ad_col_text(s, 2),
                                 ad_col_null(s, 3) ? NULL : ad_col_text(s, 3),
                                 ad_col_int(s, 4),
                                 ad_col_int(s, 5),
                                 ad_col_null(s, 6) ? 0 : ad_col_int(s, 6)};
        if (fn(ctx, &r))
            break;
    }
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}
