/* merge.c: owners merging two series as shared knowledge (docs/federation.md "Merging two
 * series"): the body of a 'merge' change (the two series by gid and the consents of this
 * origin's own sides: which agency, when) and its apply rule: a consent is taken only from the
 * origin that owns that side's series (the origin in its gid), set once, never undone; a
 * change that carries no consent of its origin's own is refused (AD_ERR_PERM). Consents only
 * grow, so every instance ends with the same merges whatever order the sets arrive in, and
 * ad_store_series_survivor then names the same surviving series everywhere. */
#include <string.h>

#include "ariadne/util.h"
#include "fed_int.h"

static int of_origin(const char *gid, const char *origin)
{
    return gid && !strncmp(gid, origin, AD_UUID_LEN) && gid[AD_UUID_LEN] == ':';
}

static json_t *consent_of(ad_stmt *s, int at, const char *gid, const char *origin)
{
    if (ad_col_null(s, at) || !of_origin(gid, origin))
        return NULL;
    json_t *a = json_null();
    if (!ad_col_null(s, at + 1)) {
        a = json_pack("{s:s, s:s}", "name", ad_col_text(s, at + 1), "kind",
                      ad_col_text(s, at + 3));
        if (!ad_col_null(s, at + 2))
            json_object_set_new(a, "country", json_string(ad_col_text(s, at + 2)));
    }
    return json_pack("{s:I, s:o}", "at", (json_int_t)ad_col_int(s, at), "agency", a);
}

ad_code ad_fed_merge_body(ad_store *st, const char *origin, int64_t id, json_t **body,
                          ad_err *err)
{
    *body = NULL;
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT f.gid, i.gid, m.created, m.from_at, fa.name, fa.country,"
                            " fa.kind, m.into_at, ia.name, ia.country, ia.kind"
                            " FROM series_merge m JOIN series f ON f.id = m.from_id"
                            " JOIN series i ON i.id = m.into_id"
                            " LEFT JOIN agency fa ON fa.id = m.from_agency_id"
                            " LEFT JOIN agency ia ON ia.id = m.into_agency_id WHERE m.id = ?",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, id);
    int k = ad_step(s, err);
    if (k > 0) {
        char from[AD_GID_MAX], into[AD_GID_MAX];
        ad_col_copy(s, 0, from, sizeof from);
        ad_col_copy(s, 1, into, sizeof into);
        json_t *fc = consent_of(s, 3, from, origin), *ic = consent_of(s, 7, into, origin);
        if (fc || ic) { /* else nothing of this origin's to share */
            *body = json_pack("{s:s, s:s, s:I}", "from", from, "into", into, "created",
                              (json_int_t)ad_col_int(s, 2));
            if (fc)
                json_object_set_new(*body, "from_consent", fc);
            if (ic)
                json_object_set_new(*body, "into_consent", ic);
        }
    }
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}

/* Sets one side's consent when it has none (the first one stays). */
static ad_code put_consent(ad_store *st, int64_t mid, const char *which, const json_t *c,
                           ad_err *err)
{
    json_t *at = json_object_get(c, "at");
    if (!json_is_integer(at))
        return ad_err_set(err, AD_ERR_PARSE, "a merge consent needs its time");
    int64_t ag;
    ad_code rc = ad_fed_agency(st, json_object_get(c, "agency"), &ag, err);
    if (rc != AD_OK)
        return rc;
    return ad_store_merge_consent(st, mid, !strcmp(which, "into"), ag,
                                  (int64_t)json_integer_value(at), NULL, err);
}

ad_code ad_fed_apply_merge(ad_store *st, const char *origin, const json_t *ch, ad_err *err)
{
    long long seq = (long long)json_integer_value(json_object_get(ch, "seq"));
    const char *from = json_string_value(json_object_get(ch, "from"));
    const char *into = json_string_value(json_object_get(ch, "into"));
    json_t *fc = json_object_get(ch, "from_consent"), *ic = json_object_get(ch, "into_consent");
    if (!from || !into || !strcmp(from, into) || (fc && !json_is_object(fc)) ||
        (ic && !json_is_object(ic)))
        return ad_err_set(err, AD_ERR_PARSE,
                          "change %lld of origin %s: a merge needs two series and consents", seq,
                          origin);
    /* each owner consents for its own series only */
    if ((!fc && !ic) || (fc && !of_origin(from, origin)) || (ic && !of_origin(into, origin)))
        return ad_err_set(err, AD_ERR_PERM,
                          "change %lld of origin %s consents to merging series %s into %s for "
                          "a series another origin owns",
                          seq, origin, from, into);
    int64_t fid, iid, mid;
    ad_code rc = ad_fed_series_by_gid(st, from, &fid, err);
    if (rc == AD_OK)
        rc = ad_fed_series_by_gid(st, into, &iid, err);
    if (rc != AD_OK)
        return rc;
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT id FROM series_merge WHERE from_id = ? AND into_id = ?", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, fid);
    ad_bind_int(s, 2, iid);
    rc = ad_db_int(s, &mid, err);
    if (rc == AD_ERR_NOT_FOUND) {
        s = ad_db_stmt(st->db,
                       "INSERT INTO series_merge (from_id, into_id, created) VALUES (?, ?, ?)"
                       " RETURNING id",
                       err);
        if (!s)
            return AD_ECODE(err);
        ad_bind_int(s, 1, fid);
        ad_bind_int(s, 2, iid);
        json_t *cr = json_object_get(ch, "created");
        ad_bind_int(s, 3, json_is_integer(cr) ? (int64_t)json_integer_value(cr) : ad_store_time());
        rc = ad_db_int(s, &mid, err);
    }
    if (rc == AD_OK && fc)
        rc = put_consent(st, mid, "from", fc, err);
    if (rc == AD_OK && ic)
        rc = put_consent(st, mid, "into", ic, err);
    return rc;
}
