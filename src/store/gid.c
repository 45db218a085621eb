/* gid.c: global ids (schema 8, docs/store.md "Global ids"): this database's instance UUID, and
 * the gid of each record that crosses instances (media, series, victims, offenders, hash lists,
 * votes, notes, clues): found by gid, read by local id, and set to its origin's gid when the
 * record was imported from another instance. */
#include <stdio.h>
#include <string.h>

#include "store_int.h"

/* The table of each kind and the SQL reading, finding and setting its gid (statements are
 * cached by SQL pointer, hence one string each). */
typedef struct {
    const char *kind, *get, *find, *set;
} gid_sql;

#define GID_KIND(k, t, extra)                                                                      \
    {k, "SELECT gid FROM " t " WHERE id = ?" extra,                                                \
     "SELECT id FROM " t " WHERE gid = ?" extra,                                                   \
     "UPDATE " t " SET gid = ? WHERE id = ?" extra " RETURNING id"}

static const gid_sql kinds[] = {
    GID_KIND("media", "media", ""),
    GID_KIND("series", "series", ""),
    GID_KIND("victim", "person", " AND kind = 'victim'"),
    GID_KIND("offender", "person", " AND kind = 'offender'"),
    GID_KIND("list", "hash_list", ""),
    GID_KIND("vote", "vote", ""),
    GID_KIND("note", "note", ""),
    GID_KIND("clue", "clue", ""),
    GID_KIND("unlink", "series_unlink", ""),
};

static const gid_sql *kind_of(const char *kind, ad_err *err)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kind && !strcmp(kinds[i].kind, kind))
            return &kinds[i];
    ad_err_set(err, AD_ERR_ARG, "no global ids for records of kind '%s'", kind ? kind : "");
    return NULL;
}

int ad_gid_valid(const char *gid)
{
    size_t n = gid ? strlen(gid) : 0;
    if (n < 3 || n > AD_GID_MAX - 1)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(gid[i] >= '0' && gid[i] <= '9') && !(gid[i] >= 'a' && gid[i] <= 'z') &&
            !(gid[i] >= 'A' && gid[i] <= 'Z') && !strchr(":-._", gid[i]))
            return 0;
    return strchr(gid, ':') != NULL;
}

ad_code ad_store_instance_uuid(ad_store *st, char out[AD_UUID_LEN + 1], ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, "SELECT uuid FROM instance WHERE id = 1", err);
    if (!s)
        return AD_ECODE(err);
    int k = ad_step(s, err);
    if (k > 0)
        snprintf(out, AD_UUID_LEN + 1, "%s", ad_col_text(s, 0));
    ad_db_done(s);
    if (k == 0)
        return ad_err_set(err, AD_ERR_NOT_FOUND, "this database has no instance UUID");
    return k < 0 ? (ad_code)-k : AD_OK;
}

ad_code ad_store_gid_get(ad_store *st, const char *kind, int64_t id, char *gid, size_t cap,
                         ad_err *err)
{
    const gid_sql *g = kind_of(kind, err);
    if (!g)
        return AD_ERR_ARG;
    ad_stmt *s = ad_db_stmt(st->db, g->get, err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, id);
    int k = ad_step(s, err);
    if (k > 0)
        snprintf(gid, cap, "%s", ad_col_null(s, 0) ? "" : ad_col_text(s, 0));
    ad_db_done(s);
    if (k == 0)
        return ad_err_set(err, AD_ERR_NOT_FOUND, "no %s %lld", kind, (long long)id);
    return k < 0 ? (ad_code)-k : AD_OK;
}

ad_code ad_store_gid_find(ad_store *st, const char *kind, const char *gid, int64_t *id,
                          ad_err *err)
{
    const gid_sql *g = kind_of(kind, err);
    if (!g)
        return AD_ERR_ARG;
    ad_stmt *s = ad_db_stmt(st->db, g->find, err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, gid);
    ad_code rc = ad_db_int(s, id, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_set(err, rc, "no %s has the global id %s", kind, gid);
    return rc;
}

ad_code ad_store_gid_set(ad_store *st, const char *kind, int64_t id, const char *gid,
                         ad_err *err)
{
    const gid_sql *g = kind_of(kind, err);
    if (!g)
        return AD_ERR_ARG;
    if (!ad_gid_valid(gid))
        return ad_err_set(err, AD_ERR_ARG, "'%s' is not a global id", gid ? gid : "");
    ad_stmt *s;
    ad_code rc = ad_store_op(st, g->set, &s, err);
    if (rc != AD_OK)
        return rc;
    ad_bind_text(s, 1, gid);
    ad_bind_int(s, 2, id);
    rc = ad_db_int(s, NULL, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_set(err, rc, "no %s %lld", kind, (long long)id);
    else if (rc == AD_ERR_EXISTS)
        ad_err_set(err, AD_ERR_EXISTS, "another %s has the global id %s", kind, gid);
    rc = ad_store_auditf(st, rc, "gid.set", kind, id, err, "gid=%s", gid);
    return ad_store_finish(st, rc, err);
}
