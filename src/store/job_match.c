/* job_match.c: the matches ingest jobs recorded between media (a seized file's media and the
 * known media that decided its class), read back per media for lookups (ad_lookup). */
#include "store_int.h"

static const char matches_sql[] =
    "SELECT media_id, match_media_id, match_kind, match_distance, match_variant, match_ranges,"
    " job_id FROM ingest_item"
    " WHERE (media_id = ? OR match_media_id = ?) AND match_media_id IS NOT NULL"
    " AND media_id IS NOT NULL AND media_id <> match_media_id"
    " ORDER BY job_id, ordinal";

ad_code ad_store_media_matches(ad_store *st, int64_t media_id, ad_media_match_fn fn, void *ctx,
                               ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, matches_sql, err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, media_id);
    ad_bind_int(s, 2, media_id);
    int r;
    while ((r = ad_step(s, err)) > 0) {
        ad_media_match m = {ad_col_int(s, 0),      ad_col_int(s, 1),      ad_col_str(s, 2),
                            (int)ad_col_int(s, 3), (int)ad_col_int(s, 4), ad_col_str(s, 5),
                            ad_col_str(s, 6)};
        if (fn(ctx, &m))
            break;
    }
    ad_db_done(s);
    return r < 0 ? (ad_code)-r : AD_OK;
}
