/* category.c: the store's category schemes, one name each ("vic-us" is accepted as an alias of
 * "vics-us" and stored as "vics-us"); category votes as (scheme, code) pairs, the trusted
 * category derived from agreeing votes (set once, never overwritten) and the explicit mapping
 * between schemes. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "store_int.h"

static const struct {
    const char *scheme;
    const char *codes[7];
} schemes[] = {
    {"vics-us", {"0", "1", "2", "3", "4", NULL}},
    {"dhs", {"0", "1", "2", "3", "4", "5", NULL}},
    {"uk", {"A", "B", "C", NULL}},
    {"baseline", {"1", NULL}},
};

const char *ad_category_scheme(const char *scheme)
{
    if (!scheme)
        return NULL;
    if (!strcasecmp(scheme, "vic-us")) /* the alias older docs and files used */
        return "vics-us";
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        if (!strcasecmp(scheme, schemes[i].scheme))
            return schemes[i].scheme;
    return NULL;
}

int ad_category_valid(const char *scheme, const char *code)
{
    scheme = ad_category_scheme(scheme);
    if (!scheme || !code)
        return 0;
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        if (!strcmp(scheme, schemes[i].scheme))
            for (int k = 0; schemes[i].codes[k]; k++)
                if (!strcmp(code, schemes[i].codes[k]))
                    return 1;
    return 0;
}

int ad_category_ignorable(const char *scheme, const char *code)
{
    scheme = ad_category_scheme(scheme);
    return scheme && code &&
           ((!strcmp(scheme, "vics-us") && !strcmp(code, "0")) ||
            (!strcmp(scheme, "dhs") && !strcmp(code, "5")));
}

/* A vote row `v` that stands: not a withdrawal, and not withdrawn. */
#define STANDING                                                                              \
    " AND v.withdraws IS NULL AND NOT EXISTS (SELECT 1 FROM vote w WHERE w.withdraws = v.gid)"

/* Sets the trusted category of (media, scheme) when the votes agree enough; *now_trusted = 1
 * when this call set it. */
static ad_code derive_trust(ad_store *st, int64_t media_id, const char *scheme, int *now_trusted,
                            ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT code, COUNT(DISTINCT voter) FROM vote v WHERE media_id = ?"
                            " AND scheme = ?" STANDING " GROUP BY code",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, media_id);
    ad_bind_text(s, 2, scheme);
    char code[16] = "";
    int groups = 0, k;
    int64_t votes = 0;
    while ((k = ad_step(s, err)) > 0) {
        groups++;
        ad_col_copy(s, 0, code, sizeof code);
        votes = ad_col_int(s, 1);
    }
    ad_db_done(s);
    *now_trusted = 0;
    if (k < 0)
        return (ad_code)-k;
    if (groups != 1 || votes < AD_TRUST_VOTES)
        return AD_OK;
    s = ad_db_stmt(st->db,
                   "INSERT INTO trusted_category (media_id, scheme, code, since)"
                   " VALUES (?, ?, ?, ?) ON CONFLICT (media_id, scheme) DO NOTHING"
                   " RETURNING code",
                   err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, media_id);
    ad_bind_text(s, 2, scheme);
    ad_bind_text(s, 3, code);
    ad_bind_int(s, 4, ad_store_time());
    k = ad_step(s, err);
    *now_trusted = k > 0;
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}

ad_code ad_store_vote(ad_store *st, int64_t media_id, const char *scheme, const char *code,
                      const char *voter, ad_err *err)
{
    return ad_store_vote_id(st, media_id, scheme, code, voter, NULL, err);
}

ad_code ad_store_vote_id(ad_store *st, int64_t media_id, const char *scheme, const char *code,
                         const char *voter, int64_t *vote_id, ad_err *err)
{
    if (!ad_category_valid(scheme, code))
        return ad_err_set(err, AD_ERR_ARG,
                          "'%s' is not a code of scheme '%s' (vics-us 0-4, dhs 0-5, uk A-C, "
                          "baseline 1)",
                          code ? code : "", scheme ? scheme : "");
    scheme = ad_category_scheme(scheme);
    ad_stmt *s;
    ad_code rc = ad_store_op(st,
                             "INSERT INTO vote (media_id, scheme, code, agency_id, voter,"
                             " created) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                             &s, err);
    if (rc != AD_OK)
        return rc;
    ad_bind_int(s, 1, media_id);
    ad_bind_text(s, 2, scheme);
    ad_bind_text(s, 3, code);
    ad_bind_id_opt(s, 4, st->agency_id);
    ad_bind_text(s, 5, voter && *voter ? voter : st->who);
    ad_bind_int(s, 6, ad_store_time());
    int64_t id = 0;
    rc = ad_db_int(s, &id, err);
    if (rc == AD_ERR_NOT_FOUND)
        ad_err_set(err, rc, "no media %lld", (long long)media_id);
    if (vote_id)
        *vote_id = id;
    int trusted = 0;
    if (rc == AD_OK)
        rc = derive_trust(st, media_id, scheme, &trusted, err);
    rc = ad_store_auditf(st, rc, "vote", "media", media_id, err, "%s=%s voter=%s", scheme, code,
                         voter && *voter ? voter : st->who);
    if (trusted)
        rc = ad_store_auditf(st, rc, "category.trusted", "media", media_id, err, "%s=%s", scheme,
                             code);
    return ad_store_finish(st, rc, err);
}

ad_code ad_store_vote_withdraw(ad_store *st, const char *vote_gid, const char *voter,
                               int64_t *row_id, int64_t *media_id, ad_err *err)
{
    const char *who = voter && *voter ? voter : st->who;
    ad_stmt *s;
    ad_code rc = ad_store_op(st,
                             "SELECT v.media_id, v.scheme, v.code, v.voter, v.withdraws,"
                             " (SELECT w.id FROM vote w WHERE w.withdraws = v.gid LIMIT 1)"
                             " FROM vote v WHERE v.gid = ?",
                             &s, err);
    if (rc != AD_OK)
        return rc;
    ad_bind_text(s, 1, vote_gid ? vote_gid : "");
    int64_t media_id_of = 0, already = 0;
    char scheme[16] = "", code[16] = "", owner[256] = "";
    int is_withdrawal = 0;
    int k = ad_step(s, err);
    if (k > 0) {
        media_id_of = ad_col_int(s, 0);
        ad_col_copy(s, 1, scheme, sizeof scheme);
        ad_col_copy(s, 2, code, sizeof code);
        ad_col_copy(s, 3, owner, sizeof owner);
        is_withdrawal = !ad_col_null(s, 4);
        already = ad_col_null(s, 5) ? 0 : ad_col_int(s, 5);
    }
    ad_db_done(s);
    if (k < 0)
        rc = (ad_code)-k;
    else if (k == 0)
        rc = ad_err_set(err, AD_ERR_NOT_FOUND, "no vote %s", vote_gid ? vote_gid : "");
    else if (is_withdrawal)
        rc = ad_err_set(err, AD_ERR_ARG, "%s is a withdrawal, not a vote", vote_gid);
    else if (strcmp(owner, who ? who : ""))
        rc = ad_err_set(err, AD_ERR_PERM, "vote %s is %s's: only its voter withdraws it",
                        vote_gid, owner);
    else if (already)
        rc = ad_err_set(err, AD_ERR_EXISTS, "vote %s is withdrawn already", vote_gid);
    int64_t id = 0;
    if (rc == AD_OK) {
        s = ad_db_stmt(st->db,
                       "INSERT INTO vote (media_id, scheme, code, agency_id, voter, created,"
                       " withdraws) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                       err);
        rc = s ? AD_OK : AD_ECODE(err);
    }
    if (rc == AD_OK) {
        ad_bind_int(s, 1, media_id_of);
        ad_bind_text(s, 2, scheme);
        ad_bind_text(s, 3, code);
        ad_bind_id_opt(s, 4, st->agency_id);
        ad_bind_text(s, 5, who);
        ad_bind_int(s, 6, ad_store_time());
        ad_bind_text(s, 7, vote_gid);
        rc = ad_db_int(s, &id, err);
    }
    int trusted = 0;
    if (rc == AD_OK)
        rc = derive_trust(st, media_id_of, scheme, &trusted, err);
    rc = ad_store_auditf(st, rc, "vote.withdraw", "media", media_id_of, err,
                         "vote=%s %s=%s voter=%s", vote_gid, scheme, code, who);
    if (trusted)
        rc = ad_store_auditf(st, rc, "category.trusted", "media", media_id_of, err, "%s=%s", scheme,
                             code);
    if (row_id)
        *row_id = rc == AD_OK ? id : 0;
    if (media_id)
        *media_id = media_id_of;
    return ad_store_finish(st, rc, err);
}

static ad_code vote_rows(ad_store *st, const char *sql, int64_t media_id, ad_vote_fn fn,
                         void *ctx, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, sql, err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, media_id);
    int k;
    while ((k = ad_step(s, err)) > 0) {
        ad_vote v = {ad_col_int(s, 0),  ad_col_int(s, 1),  ad_col_text(s, 2), ad_col_text(s, 3),
                     ad_col_int(s, 4),  ad_col_text(s, 5), ad_col_int(s, 6),  ad_col_text(s, 7),
                     ad_col_text(s, 8), ad_col_null(s, 9) ? 0 : ad_col_int(s, 9)};
        if (fn(ctx, &v))
            break;
    }
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}

#define VOTE_COLUMNS                                                                          \
    "SELECT id, media_id, scheme, code, agency_id, voter, created, gid, withdraws,"          \
    " (SELECT MIN(w.created) FROM vote w WHERE w.withdraws = v.gid) FROM vote v"             \
    " WHERE media_id = ?"

ad_code ad_store_vote_list(ad_store *st, int64_t media_id, ad_vote_fn fn, void *ctx, ad_err *err)
{
    return vote_rows(st, VOTE_COLUMNS STANDING " ORDER BY id", media_id, fn, ctx, err);
}

ad_code ad_store_vote_history(ad_store *st, int64_t media_id, ad_vote_fn fn, void *ctx,
                              ad_err *err)
{
    return vote_rows(st, VOTE_COLUMNS " ORDER BY id", media_id, fn, ctx, err);
}

/* Steps a bound statement once and copies its first (text) column to out. */
static ad_code one_text(ad_stmt *s, char *out, size_t size, const char *what, ad_err *err)
{
    int k = ad_step(s, err);
    if (k > 0)
        ad_col_copy(s, 0, out, size);
    ad_db_done(s);
    if (k < 0)
        return (ad_code)-k;
    return k ? AD_OK : ad_err_set(err, AD_ERR_NOT_FOUND, "no %s", what);
}

ad_code ad_store_trusted_category(ad_store *st, int64_t media_id, const char *scheme, char *code,
                                  size_t size, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT code FROM trusted_category WHERE media_id = ?"
                            " AND scheme = ?",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, media_id);
    ad_bind_text(s, 2, ad_category_scheme(scheme) ? ad_category_scheme(scheme) : "");
    return one_text(s, code, size, "trusted category yet", err);
}

ad_code ad_store_category_map(ad_store *st, const char *from_scheme, const char *from_code,
                              const char *to_scheme, char *to_code, size_t size, ad_err *err)
{
    if (!ad_category_valid(from_scheme, from_code))
        return ad_err_set(err, AD_ERR_ARG, "'%s' is not a code of scheme '%s'",
                          from_code ? from_code : "", from_scheme ? from_scheme : "");
    from_scheme = ad_category_scheme(from_scheme);
    to_scheme = ad_category_scheme(to_scheme);
    if (!strcmp(from_scheme, to_scheme ? to_scheme : "")) {
        snprintf(to_code, size, "%s", from_code);
        return AD_OK;
    }
    ad_stmt *s = ad_db_stmt(st->db,
                            "SELECT to_code FROM category_map WHERE from_scheme = ?"
                            " AND from_code = ? AND to_scheme = ?",
                            err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_text(s, 1, from_scheme);
    ad_bind_text(s, 2, from_code);
    ad_bind_text(s, 3, to_scheme ? to_scheme : "");
    return one_text(s, to_code, size, "mapping between these schemes", err);
}
