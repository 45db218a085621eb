/* series_merge.c: owners merging two series (docs/federation.md "Merging two series"): series
 * `from` is merged into series `into` once the owner of each has consented; each owner consents
 * for its own side on its own instance (a side of a series owned here); a row is never deleted.
 * The series a merged series stands for (its survivor) is worked out from the merges both sides
 * agreed, the same way on every instance whatever order they arrived in. */
#include <stdio.h>
#include <string.h>

#include "store_int.h"

#define CHAIN_MAX 64

/* The gid and owner of series id; *here = its gid is of this instance. */
static ad_code side(ad_store *st, int64_t id, const char *uuid, int64_t *owner, int *here,
                    char gid[AD_GID_MAX], ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, "SELECT gid, owner_agency_id FROM series WHERE id = ?", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, id);
    int k = ad_step(s, err);
    if (k > 0) {
        ad_col_copy(s, 0, gid, AD_GID_MAX);
        *owner = ad_col_int(s, 1);
        *here = !strncmp(gid, uuid, AD_UUID_LEN) && gid[AD_UUID_LEN] == ':';
    }
    ad_db_done(s);
    return k < 0 ? (ad_code)-k
           : k == 0 ? ad_err_set(err, AD_ERR_NOT_FOUND, "no series %lld", (long long)id)
                    : AD_OK;
}

/* The next series of a chain: the into of the agreed merge of `from` whose into has the
 * smallest gid (0 when none). */
static ad_code next_of(ad_store *st, int64_t from, int64_t *into, char gid[AD_GID_MAX],
                       ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT m.into_id, s.gid FROM series_merge m JOIN series s"
                            " ON s.id = m.into_id WHERE m.from_id = ? AND m.from_at IS NOT NULL"
                            " AND m.into_at IS NOT NULL ORDER BY s.gid LIMIT 1",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, from);
    int k = ad_step(s, err);
    *into = k > 0 ? ad_col_int(s, 0) : 0;
    if (k > 0)
        ad_col_copy(s, 1, gid, AD_GID_MAX);
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}

ad_code ad_store_series_survivor(ad_store *st, int64_t id, int64_t *survivor, ad_err *err)
{
    int64_t chain[CHAIN_MAX + 1], own;
    char gids[CHAIN_MAX + 1][AD_GID_MAX];
    int here;
    size_t n = 0;
    chain[0] = id;
    *survivor = id;
    ad_code rc = side(st, id, "", &own, &here, gids[0], err);
    while (rc == AD_OK && n < CHAIN_MAX) {
        int64_t nx = 0;
        rc = next_of(st, chain[n], &nx, gids[n + 1], err);
        if (rc != AD_OK || !nx)
            break;
        for (size_t i = 0; i <= n; i++)
            if (chain[i] == nx) {
                /* a cycle (each side agreed to merge into the other, on different
                 * instances): the series of the cycle with the smallest gid survives */
                size_t best = i;
                for (size_t j = i + 1; j <= n; j++)
                    if (strcmp(gids[j], gids[best]) < 0)
                        best = j;
                *survivor = chain[best];
                return AD_OK;
            }
        chain[++n] = nx;
    }
    if (rc == AD_OK)
        *survivor = chain[n];
    return rc;
}

/* Sets the consent of one side (by agency, at `at`) when it has none; the first one stays:
 * *changed. Also federation's (src/fed/merge.c), so one statement decides. (Statements are
 * cached by the address of their text: one literal each.) */
ad_code ad_store_merge_consent(ad_store *st, int64_t mid, int into, int64_t agency, int64_t at,
                               int *changed, ad_err *err)
{
    const char *sql = into ? "UPDATE series_merge SET into_agency_id = ?, into_at = ?"
                             " WHERE id = ? AND into_at IS NULL RETURNING id"
                           : "UPDATE series_merge SET from_agency_id = ?, from_at = ?"
                             " WHERE id = ? AND from_at IS NULL RETURNING id";
    ad_stmt *s = ad_db_stmt(st->db, sql, err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_id_opt(s, 1, agency);
    ad_bind_int(s, 2, at);
    ad_bind_int(s, 3, mid);
    int64_t got;
    ad_code rc = ad_db_int(s, &got, err);
    if (rc == AD_OK && changed)
        *changed = 1;
    return rc == AD_ERR_NOT_FOUND ? AD_OK : rc;
}

static ad_code merge_row(ad_store *st, int64_t from, int64_t into, int64_t *mid, int *both,
                         ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT id, CASE WHEN from_at IS NOT NULL AND into_at IS NOT NULL"
                            " THEN 1 ELSE 0 END"
                            " FROM series_merge WHERE from_id = ? AND into_id = ?",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, from);
    ad_bind_int(s, 2, into);
    int k = ad_step(s, err);
    if (k > 0) {
        *mid = ad_col_int(s, 0);
        *both = (int)ad_col_int(s, 1);
    }
    ad_db_done(s);
    if (k != 0)
        return k < 0 ? (ad_code)-k : AD_OK;
    *both = 0;
    s = ad_db_stmt(st->db,
                   "INSERT INTO series_merge (from_id, into_id, created) VALUES (?, ?, ?)"
                   " RETURNING id",
                   err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, from);
    ad_bind_int(s, 2, into);
    ad_bind_int(s, 3, ad_store_time());
    return ad_db_int(s, mid, err);
}

ad_code ad_store_series_merge(ad_store *st, int64_t from, int64_t into, int64_t agency_id,
                              int *merged, ad_err *err)
{
    *merged = 0;
    if (from == into)
        return ad_err_set(err, AD_ERR_ARG, "a series cannot be merged into itself");
    char uuid[AD_UUID_LEN + 1], fg[AD_GID_MAX], ig[AD_GID_MAX];
    int64_t fo = 0, io = 0, sf = 0, si = 0, mid = 0;
    int fh = 0, ih = 0, both = 0, changed = 0;
    ad_code rc = ad_store_begin(st, err);
    if (rc != AD_OK)
        return rc;
    rc = ad_store_instance_uuid(st, uuid, err);
    if (rc == AD_OK)
        rc = side(st, from, uuid, &fo, &fh, fg, err);
    if (rc == AD_OK)
        rc = side(st, into, uuid, &io, &ih, ig, err);
    /* a side is the caller's when its series is owned here, by the caller's agency (the
     * store's operator, acting for no agency, consents for the owners of this instance) */
    int mine_f = fh && (!agency_id || fo == agency_id), mine_i = ih && (!agency_id || io == agency_id);
    if (rc == AD_OK && !mine_f && !mine_i)
        rc = ad_err_set(err, AD_ERR_PERM,
                        "only the owner of series %lld or %lld (on the instance that made it) "
                        "may merge them",
                        (long long)from, (long long)into);
    if (rc == AD_OK)
        rc = ad_store_series_survivor(st, from, &sf, err);
    if (rc == AD_OK)
        rc = ad_store_series_survivor(st, into, &si, err);
    if (rc == AD_OK && sf != from)
        rc = ad_err_set(err, AD_ERR_EXISTS, "series %lld is merged into series %lld already",
                        (long long)from, (long long)sf);
    else if (rc == AD_OK && si == from)
        rc = ad_err_set(err, AD_ERR_EXISTS, "series %lld is merged into series %lld already",
                        (long long)into, (long long)from);
    if (rc == AD_OK)
        rc = merge_row(st, from, into, &mid, &both, err);
    if (rc == AD_OK && mine_f)
        rc = ad_store_merge_consent(st, mid, 0, agency_id ? agency_id : fo,
                                    ad_store_time(), &changed, err);
    if (rc == AD_OK && mine_i)
        rc = ad_store_merge_consent(st, mid, 1, agency_id ? agency_id : io,
                                    ad_store_time(), &changed, err);
    if (rc == AD_OK && !changed)
        rc = ad_err_set(err, AD_ERR_EXISTS,
                        both ? "series %lld is merged into series %lld already"
                             : "your consent to merging series %lld into %lld is recorded "
                               "already: the other owner's is awaited",
                        (long long)from, (long long)into);
    if (rc == AD_OK)
        rc = merge_row(st, from, into, &mid, &both, err);
    if (rc == AD_OK)
        *merged = both;
    rc = ad_store_auditf(st, rc, "series.merge", "series", from, err, "into=%lld sides=%s%s%s %s",
                         (long long)into, mine_f ? "from" : "", mine_f && mine_i ? "," : "",
                         mine_i ? "into" : "", both ? "merged" : "awaiting consent");
    return ad_store_finish(st, rc, err);
}

static int merge_cb(void *p, ad_stmt *s)
{
    void **c = p;
    ad_series_merge m = {
        .id = ad_col_int(s, 0),
        .from_id = ad_col_int(s, 1),
        .into_id = ad_col_int(s, 2),
        .from_name = ad_col_text(s, 3),
        .into_name = ad_col_text(s, 4),
        .from_gid = ad_col_text(s, 5),
        .into_gid = ad_col_text(s, 6),
        .from_at = ad_col_null(s, 7) ? 0 : ad_col_int(s, 7),
        .into_at = ad_col_null(s, 8) ? 0 : ad_col_int(s, 8),
        .from_agency = ad_col_text(s, 9),
        .into_agency = ad_col_text(s, 10),
    };
    return ((ad_series_merge_fn)c[0])(c[1], &m);
}

ad_code ad_store_series_merges(ad_store *st, int64_t series_id, ad_series_merge_fn fn, void *ctx,
                               ad_err *err)
{
    void *c[2] = {(void *)fn, ctx};
    return ad_store_rows(st,
                         "SELECT m.id, m.from_id, m.into_id, f.name, i.name, f.gid, i.gid,"
                         " m.from_at, m.into_at, fa.name, ia.name FROM series_merge m"
                         " JOIN series f ON f.id = m.from_id JOIN series i ON i.id = m.into_id"
                         " LEFT JOIN agency fa ON fa.id = m.from_agency_id"
                         " LEFT JOIN agency ia ON ia.id = m.into_agency_id"
                         " JOIN (SELECT CAST(? AS BIGINT) AS sid) q"
                         " ON q.sid IN (m.from_id, m.into_id) ORDER BY m.id",
                         series_id, merge_cb, c, err);
}
