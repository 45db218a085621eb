/* series.c: series (one abuse event or producer, owner agency, contact), their media, and the
 * victims and offenders who belong to them (pseudonymous codes; identification status). */
#include <stdio.h>
#include <string.h>

#include "store_int.h"

ad_code ad_store_series_create(ad_store *st, const ad_series *x, int64_t *id, ad_err *err)
{
    const char *status = x->status ? x->status : "active";
    if (!x->name || !*x->name)
        return ad_err_set(err, AD_ERR_ARG, "series name is empty");
    if (ad_parse_id(x->name))
        return ad_err_set(err, AD_ERR_ARG, "a series name cannot be a number");
    if (strcmp(status, "active") && strcmp(status, "closed"))
        return ad_err_set(err, AD_ERR_ARG, "series status is active or closed");
    int64_t existing;
    ad_code rc = ad_store_begin(st, err); /* the lookup too: writers take turns from here */
    if (rc != AD_OK)
        return rc;
    if (ad_store_series_find(st, x->name, 0, &existing, NULL) == AD_OK)
        return ad_store_finish(st,
                               ad_err_set(err, AD_ERR_EXISTS, "series '%s' exists (id %lld)",
                                          x->name, (long long)existing),
                               err);
    int64_t owner = x->owner_agency_id ? x->owner_agency_id : st->agency_id, nid = 0;
    ad_stmt *s = ad_db_stmt(st->db,
                            "INSERT INTO series (name, owner_agency_id, contact, status,"
                            " created) VALUES (?, ?, ?, ?, ?) RETURNING id",
                            err);
    rc = s ? AD_OK : AD_ECODE(err);
    if (s) {
        ad_bind_text(s, 1, x->name);
        ad_bind_id_opt(s, 2, owner);
        ad_bind_text_opt(s, 3, x->contact);
        ad_bind_text(s, 4, status);
        ad_bind_int(s, 5, ad_store_time());
        rc = ad_db_int(s, &nid, err);
        if (rc == AD_ERR_NOT_FOUND)
            ad_err_set(err, rc, "no agency %lld", (long long)owner);
    }
    rc = ad_store_auditf(st, rc, "series.create", "series", nid, err, "name=%s owner=%lld", x->name,
                         (long long)owner);
    if (rc == AD_OK && id)
        *id = nid;
    return ad_store_finish(st, rc, err);
}

ad_code ad_store_series_find(ad_store *st, const char *key, int create, int64_t *id, ad_err *err)
{
    ad_code rc = ad_store_find_id(st, "SELECT id FROM series WHERE id = ?",
                                  "SELECT id FROM series WHERE name = ?", "series", key, id, err);
    if (rc == AD_ERR_NOT_FOUND && create && !ad_parse_id(key)) {
        ad_series x = {.name = key};
        return ad_store_series_create(st, &x, id, err);
    }
    return rc;
}

#define SERIES_SELECT                                                                              \
    "SELECT s.id, s.name, s.owner_agency_id, a.name, s.contact, s.status, s.created,"              \
    " (SELECT COUNT(*) FROM series_media_live m WHERE m.series_id = s.id),"                        \
    " (SELECT COUNT(*) FROM person p WHERE p.series_id = s.id AND p.kind = 'victim'),"             \
    " (SELECT COUNT(*) FROM person p WHERE p.series_id = s.id AND p.kind = 'victim'"               \
    " AND p.identified = 0) FROM series s LEFT JOIN agency a ON a.id = s.owner_agency_id "

static int series_row(void *p, ad_stmt *s)
{
    void **c = p;
    ad_series x = {
        .id = ad_col_int(s, 0),
        .name = ad_col_text(s, 1),
        .owner_agency_id = ad_col_int(s, 2),
        .owner_agency_name = ad_col_text(s, 3),
        .contact = ad_col_text(s, 4),
        .status = ad_col_text(s, 5),
        .created = ad_col_int(s, 6),
        .media_count = ad_col_int(s, 7),
        .victims = ad_col_int(s, 8),
        .victims_unidentified = ad_col_int(s, 9),
    };
    return ((ad_series_fn)c[0])(c[1], &x);
}

ad_code ad_store_series_get(ad_store *st, int64_t id, ad_series_fn fn, void *ctx, ad_err *err)
{
    void *c[2] = {(void *)fn, ctx};
    ad_code rc = ad_store_begin_read(st, err);
    if (rc != AD_OK)
        return rc;
    ad_stmt *s = ad_db_stmt(st->db, SERIES_SELECT "WHERE s.id = ?", err);
    if (!s)
        return ad_store_finish_read(st, AD_ECODE(err), err);
    ad_bind_int(s, 1, id);
    int k = ad_step(s, err);
    if (k > 0)
        series_row(c, s);
    ad_db_done(s);
    rc = k < 0    ? (ad_code)-k
         : k == 0 ? ad_err_set(err, AD_ERR_NOT_FOUND, "no series %lld", (long long)id)
                  : AD_OK;
    /* who looked at a series (its victims and owner) is on record */
    rc = ad_store_auditr(st, rc, "series.show", "series", id, err, NULL);
    return ad_store_finish_read(st, rc, err);
}

ad_code ad_store_series_row(ad_store *st, int64_t id, ad_series_fn fn, void *ctx, ad_err *err)
{
    void *c[2] = {(void *)fn, ctx};
    return ad_store_rows(st, SERIES_SELECT "WHERE s.id = ?", id, series_row, c, err);
}

ad_code ad_store_series_list(ad_store *st, ad_series_fn fn, void *ctx, ad_err *err)
{
    void *c[2] = {(void *)fn, ctx};
    return ad_store_rows(st, SERIES_SELECT "ORDER BY s.id", 0, series_row, c, err);
}

ad_code ad_store_media_series(ad_store *st, int64_t media_id, ad_series_fn fn, void *ctx,
                              ad_err *err)
{
    void *c[2] = {(void *)fn, ctx};
    return ad_store_rows(st,
                         SERIES_SELECT "WHERE s.id IN (SELECT series_id FROM series_media_live"
                                       " WHERE media_id = ?) ORDER BY s.id",
                         media_id, series_row, c, err);
}

ad_code ad_store_series_link(ad_store *st, int64_t series_id, int64_t media_id, ad_err *err)
{
    ad_stmt *s;
    ad_code rc = ad_store_op(st,
                             "INSERT INTO series_media (series_id, media_id, added)"
                             " VALUES (?, ?, ?) ON CONFLICT (series_id, media_id)"
                             " DO NOTHING",
                             &s, err);
    if (rc != AD_OK)
        return rc;
    ad_bind_int(s, 1, series_id);
    ad_bind_int(s, 2, media_id);
    ad_bind_int(s, 3, ad_store_time());
    rc = ad_db_run(s, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_set(err, rc, "no series %lld or media %lld", (long long)series_id,
                   (long long)media_id);
    if (rc == AD_OK) /* unlinked before: made again, as the next generation */
        rc = ad_store_series_relink(st, series_id, media_id, err);
    rc = ad_store_auditf(st, rc, "series.link", "series", series_id, err, "media=%lld",
                         (long long)media_id);
    return ad_store_finish(st, rc, err);
}

ad_code ad_store_series_fill(ad_store *st, int64_t series_id, int64_t owner_agency_id,
                             const char *contact, ad_err *err)
{
    ad_stmt *s;
    ad_code rc = ad_store_op(st,
                             "UPDATE series SET owner_agency_id = COALESCE(owner_agency_id, ?),"
                             " contact = CASE WHEN contact IS NULL OR contact = '' THEN ?"
                             " ELSE contact END WHERE id = ? RETURNING id",
                             &s, err);
    if (rc != AD_OK)
        return rc;
    ad_bind_id_opt(s, 1, owner_agency_id);
    ad_bind_text_opt(s, 2, contact && *contact ? contact : NULL);
    ad_bind_int(s, 3, series_id);
    rc = ad_db_int(s, NULL, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_set(err, rc, "no series %lld", (long long)series_id);
    rc = ad_store_auditf(st, rc, "series.fill", "series", series_id, err, "owner=%lld contact=%s",
                         (long long)owner_agency_id, contact ? contact : "");
    return ad_store_finish(st, rc, err);
}

/* ---- victims and offenders ---- */

static const char *kind_name(ad_person_kind k)
{
    return k == AD_OFFENDER ? "offender" : "victim";
}

ad_code ad_store_person_find(ad_store *st, ad_person_kind kind, const char *code, int64_t *id,
                             ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, "SELECT id FROM person WHERE kind = ? AND code = ?", err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, kind_name(kind));
    ad_bind_text(s, 2, code);
    ad_code rc = ad_db_int(s, id, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_set(err, rc, "no %s '%s'", kind_name(kind), code);
    return rc;
}

ad_code ad_store_person_owner(ad_store *st, ad_person_kind kind, const char *code,
                              int64_t *person_id, int64_t *series_id, int64_t *owner_agency_id,
                              ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT p.id, p.series_id, s.owner_agency_id FROM person p"
                            " JOIN series s ON s.id = p.series_id WHERE p.kind = ? AND p.code = ?",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, kind_name(kind));
    ad_bind_text(s, 2, code ? code : "");
    int k = ad_step(s, err);
    if (k > 0) {
        *person_id = ad_col_int(s, 0);
        *series_id = ad_col_int(s, 1);
        *owner_agency_id = ad_col_null(s, 2) ? 0 : ad_col_int(s, 2);
    }
    ad_db_done(s);
    if (k == 0)
        return ad_err_set(err, AD_ERR_NOT_FOUND, "no %s '%s'", kind_name(kind), code ? code : "");
    return k < 0 ? (ad_code)-k : AD_OK;
}

ad_code ad_store_person_add(ad_store *st, ad_person_kind kind, const char *code, int64_t series_id,
                            int64_t *id, ad_err *err)
{
    if (!code || !*code)
        return ad_err_set(err, AD_ERR_ARG, "%s code is empty", kind_name(kind));
    int64_t existing;
    if (ad_store_person_find(st, kind, code, &existing, NULL) == AD_OK)
        return ad_err_set(err, AD_ERR_EXISTS, "%s '%s' exists (id %lld)", kind_name(kind), code,
                          (long long)existing);
    ad_stmt *s;
    ad_code rc = ad_store_op(st,
                             "INSERT INTO person (kind, code, series_id, created)"
                             " VALUES (?, ?, ?, ?) RETURNING id",
                             &s, err);
    if (rc != AD_OK)
        return rc;
    int64_t nid = 0;
    ad_bind_text(s, 1, kind_name(kind));
    ad_bind_text(s, 2, code);
    ad_bind_int(s, 3, series_id);
    ad_bind_int(s, 4, ad_store_time());
    rc = ad_db_int(s, &nid, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_set(err, rc, "no series %lld", (long long)series_id);
    rc = ad_store_auditf(st, rc, kind == AD_VICTIM ? "victim.add" : "offender.add", kind_name(kind),
                         nid, err, "code=%s series=%lld", code, (long long)series_id);
    if (rc == AD_OK && id)
        *id = nid;
    return ad_store_finish(st, rc, err);
}

ad_code ad_store_person_identify(ad_store *st, ad_person_kind kind, const char *code,
                                 int64_t agency_id, const char *country, ad_err *err)
{
    int64_t pid;
    ad_code rc = ad_store_person_find(st, kind, code ? code : "", &pid, err);
    if (rc != AD_OK)
        return rc;
    int64_t agency = agency_id ? agency_id : st->agency_id;
    if (!agency)
        return ad_err_set(err, AD_ERR_ARG, "the identifying agency is required");
    ad_stmt *s;
    rc = ad_store_op(st,
                     "UPDATE person SET identified = 1, identified_by = ?,"
                     " identified_at = ?, country = ? WHERE id = ?"
                     " AND identified = 0 RETURNING id",
                     &s, err);
    if (rc != AD_OK)
        return rc;
    ad_bind_int(s, 1, agency);
    ad_bind_int(s, 2, ad_store_time());
    ad_bind_text_opt(s, 3, country);
    ad_bind_int(s, 4, pid);
    rc = ad_db_int(s, NULL, err);
    if (rc == AD_ERR_NOT_FOUND)
        rc = ad_err_set(err, AD_ERR_EXISTS, "%s '%s' is already identified", kind_name(kind), code);
    rc = ad_store_auditf(st, rc, kind == AD_VICTIM ? "victim.identify" : "offender.identify",
                         kind_name(kind), pid, err, "agency=%lld country=%s", (long long)agency,
                         country ? country : "");
    return ad_store_finish(st, rc, err);
}

ad_code ad_store_person_retract(ad_store *st, ad_person_kind kind, const char *code, ad_err *err)
{
    int64_t pid;
    ad_code rc = ad_store_person_find(st, kind, code ? code : "", &pid, err);
    if (rc != AD_OK)
        return rc;
    ad_stmt *s;
    rc = ad_store_op(st,
                     "SELECT identified, COALESCE(identified_by, 0), identified_origin FROM person"
                     " WHERE id = ?",
                     &s, err);
    if (rc != AD_OK)
        return rc;
    ad_bind_int(s, 1, pid);
    int k = ad_step(s, err);
    int identified = k > 0 && ad_col_int(s, 0);
    int64_t by = k > 0 ? ad_col_int(s, 1) : 0;
    char origin[64] = "";
    if (k > 0)
        ad_col_copy(s, 2, origin, sizeof origin);
    ad_db_done(s);
    if (k < 0)
        rc = (ad_code)-k;
    else if (!identified)
        rc = ad_err_set(err, AD_ERR_NOT_FOUND, "%s '%s' is not identified", kind_name(kind), code);
    else if (*origin)
        rc = ad_err_set(err, AD_ERR_PERM,
                        "%s '%s' was identified by instance %s: only it may retract that",
                        kind_name(kind), code, origin);
    else if (st->agency_id && by && st->agency_id != by)
        rc = ad_err_set(err, AD_ERR_PERM,
                        "%s '%s' was identified by another agency: only it may retract that",
                        kind_name(kind), code);
    if (rc == AD_OK) {
        s = ad_db_stmt(st->db,
                       "UPDATE person SET identified = 0, identified_by = NULL,"
                       " identified_at = NULL, country = NULL, retracted_at = ? WHERE id = ?",
                       err);
        if (!s) {
            rc = AD_ECODE(err);
        } else {
            ad_bind_int(s, 1, ad_store_time());
            ad_bind_int(s, 2, pid);
            rc = ad_db_run(s, err);
        }
    }
    rc = ad_store_auditf(st, rc, kind == AD_VICTIM ? "victim.retract" : "offender.retract",
                         kind_name(kind), pid, err, "agency=%lld", (long long)by);
    return ad_store_finish(st, rc, err);
}

static int person_row(void *p, ad_stmt *s)
{
    void **c = p;
    ad_person x = {
        .id = ad_col_int(s, 0),
        .kind = strcmp(ad_col_text(s, 1), "offender") ? AD_VICTIM : AD_OFFENDER,
        .code = ad_col_text(s, 2),
        .series_id = ad_col_int(s, 3),
        .identified = (int)ad_col_int(s, 4),
        .identified_by = ad_col_int(s, 5),
        .identified_at = ad_col_int(s, 6),
        .country = ad_col_text(s, 7),
        .created = ad_col_int(s, 8),
    };
    return ((ad_person_fn)c[0])(c[1], &x);
}

ad_code ad_store_person_list(ad_store *st, ad_person_kind kind, int64_t series_id, ad_person_fn fn,
                             void *ctx, ad_err *err)
{
    void *c[2] = {(void *)fn, ctx};
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT id, kind, code, series_id, identified, identified_by,"
                            " identified_at, country, created FROM person WHERE kind = ?"
                            " AND (series_id = ? OR 0 = ?) ORDER BY id",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, kind_name(kind));
    ad_bind_int(s, 2, series_id);
    ad_bind_int(s, 3, series_id);
    int k;
    while ((k = ad_step(s, err)) > 0)
        if (person_row(c, s))
            break;
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}
