/* note.c: free-text notes and typed clues attached to media, series, victims, offenders and
 * cases. */
#include <stdio.h>
#include <string.h>

#include "store_int.h"

static int object_ok(const char *t)
{
    static const char *const types[] = {"media", "series", "victim", "offender", "case"};
    for (size_t i = 0; t && i < 5; i++)
        if (!strcmp(t, types[i]))
            return 1;
    return 0;
}

static int clue_kind_ok(const char *k)
{
    static const char *const kinds[] = {"camera", "serial",   "gps",  "time",
                                        "object", "language", "other"};
    for (size_t i = 0; k && i < 7; i++)
        if (!strcmp(k, kinds[i]))
            return 1;
    return 0;
}

/* Inserts a note (kind NULL) or a clue. */
static ad_code add_text(ad_store *st, const char *type, int64_t object_id, const char *kind,
                        const char *text, int is_private, int64_t *id, ad_err *err)
{
    if (!object_ok(type))
        return ad_err_set(err, AD_ERR_ARG,
                          "notes attach to media, series, victim, offender or "
                          "case, not '%s'",
                          type ? type : "");
    if (kind && !clue_kind_ok(kind))
        return ad_err_set(err, AD_ERR_ARG,
                          "unknown clue kind '%s' (camera, serial, gps, time, "
                          "object, language, other)",
                          kind);
    if (!text || !*text)
        return ad_err_set(err, AD_ERR_ARG, "empty text");
    ad_code rc = ad_store_begin(st, err);
    if (rc != AD_OK)
        return rc;
    if (is_private && !st->agency_id)
        return ad_store_finish(st,
                               ad_err_set(err, AD_ERR_ARG,
                                          "a private note belongs to an agency: act for one"),
                               err);
    ad_stmt *s = kind ? ad_db_stmt(st->db,
                                   "INSERT INTO clue (object_type, object_id, agency_id,"
                                   " author, value, created, private, kind) VALUES (?, ?, ?, ?,"
                                   " ?, ?, ?, ?) RETURNING id",
                                   err)
                      : ad_db_stmt(st->db,
                                   "INSERT INTO note (object_type, object_id, agency_id,"
                                   " author, body, created, private) VALUES (?, ?, ?, ?, ?, ?,"
                                   " ?) RETURNING id",
                                   err);
    int64_t nid = 0;
    rc = s ? AD_OK : AD_ECODE(err);
    if (s) {
        ad_bind_text(s, 1, type);
        ad_bind_int(s, 2, object_id);
        ad_bind_id_opt(s, 3, st->agency_id);
        ad_bind_text(s, 4, st->who);
        ad_bind_text(s, 5, text);
        ad_bind_int(s, 6, ad_store_time());
        ad_bind_int(s, 7, is_private ? 1 : 0);
        if (kind)
            ad_bind_text(s, 8, kind);
        rc = ad_db_int(s, &nid, err);
    }
    rc = ad_store_auditf(st, rc, kind ? "clue.add" : "note.add", type, object_id, err,
                         "id=%lld%s%s%s", (long long)nid, kind ? " kind=" : "", kind ? kind : "",
                         is_private ? " private" : "");
    if (rc == AD_OK && id)
        *id = nid;
    return ad_store_finish(st, rc, err);
}

ad_code ad_store_note_add(ad_store *st, const char *object_type, int64_t object_id,
                          const char *text, int64_t *id, ad_err *err)
{
    return add_text(st, object_type, object_id, NULL, text, 0, id, err);
}

ad_code ad_store_clue_add(ad_store *st, const char *object_type, int64_t object_id,
                          const char *kind, const char *value, int64_t *id, ad_err *err)
{
    if (!kind)
        return ad_err_set(err, AD_ERR_ARG, "a clue has a kind");
    return add_text(st, object_type, object_id, kind, value, 0, id, err);
}

static ad_code list_text(ad_store *st, const char *sql, const char *type, int64_t object_id,
                         ad_text_fn fn, void *ctx, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, sql, err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, type ? type : "");
    ad_bind_int(s, 2, object_id);
    int k;
    while ((k = ad_step(s, err)) > 0)
        if (fn(ctx, ad_col_int(s, 0), ad_col_text(s, 1), ad_col_int(s, 2), ad_col_text(s, 3),
               ad_col_text(s, 4)))
            break;
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}

ad_code ad_store_note_list(ad_store *st, const char *object_type, int64_t object_id, ad_text_fn fn,
                           void *ctx, ad_err *err)
{
    return list_text(st,
                     "SELECT id, author, created, NULL, body FROM note WHERE object_type = ?"
                     " AND object_id = ? ORDER BY id",
                     object_type, object_id, fn, ctx, err);
}

ad_code ad_store_clue_list(ad_store *st, const char *object_type, int64_t object_id, ad_text_fn fn,
                           void *ctx, ad_err *err)
{
    return list_text(st,
                     "SELECT id, author, created, kind, value FROM clue WHERE object_type = ?"
                     " AND object_id = ? ORDER BY id",
                     object_type, object_id, fn, ctx, err);
}

ad_code ad_store_text_add(ad_store *st, const char *object_type, int64_t object_id,
                          const char *kind, const char *text, int is_private, int64_t *id,
                          ad_err *err)
{
    return add_text(st, object_type, object_id, kind, text, is_private, id, err);
}

ad_code ad_store_text_list(ad_store *st, int clues, const char *object_type, int64_t object_id,
                           ad_text_rec_fn fn, void *ctx, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            clues ? "SELECT id, author, agency_id, created, kind, value, private"
                                    " FROM clue WHERE object_type = ? AND object_id = ? ORDER BY id"
                                  : "SELECT id, author, agency_id, created, NULL, body, private"
                                    " FROM note WHERE object_type = ? AND object_id = ? ORDER BY id",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, object_type ? object_type : "");
    ad_bind_int(s, 2, object_id);
    int k;
    while ((k = ad_step(s, err)) > 0) {
        ad_text t = {ad_col_int(s, 0),  ad_col_text(s, 1), ad_col_null(s, 2) ? 0 : ad_col_int(s, 2),
                     ad_col_int(s, 3),  ad_col_text(s, 4), ad_col_text(s, 5),
                     (int)ad_col_int(s, 6)};
        if (fn(ctx, &t))
            break;
    }
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}
