/* index_log.c: the reads a live index needs (src/live, live.h): the index log (schema 7) with
 * the state of what each row names, and the whole state at load (digests, list entries, grants,
 * holds, list names). None leaves an audit row: a server's index following the store is no
 * one's read; the load is recorded once by ad_store_pdq_load (index.load). */
#include <string.h>

#include "ariadne/media_hash.h"
#include "store_int.h"

ad_code ad_store_index_seq(ad_store *st, int64_t *seq, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, "SELECT COALESCE(MAX(seq), 0) FROM index_log", err);
    if (!s)
        return AD_ECODE(err);
    *seq = 0;
    return ad_db_int(s, seq, err);
}

static const char *const kind_names[] = {"media", "frame", "entry", "grant", "hold", "list"};

/* An extra hash's row is named by its own kind ('trim', 'area': schema 18). */
static ad_ixkind kind_of(const char *k, int *extra)
{
    *extra = 0;
    for (int i = 0; i < AD_IX_EXTRA; i++)
        if (k && !strcmp(k, kind_names[i]))
            return (ad_ixkind)i;
    if (k && !strcmp(k, "trim"))
        *extra = AD_MHASH_TRIM;
    else if (k && !strcmp(k, "area"))
        *extra = AD_MHASH_AREA;
    return *extra ? AD_IX_EXTRA : AD_IX__UNKNOWN;
}

/* Copies a blob column of exactly n bytes; whether it was there. */
static int blob_into(ad_stmt *s, int col, uint8_t *out, size_t n)
{
    size_t got = 0;
    const uint8_t *p = ad_col_blob(s, col, &got);
    if (!p || got != n)
        return 0;
    memcpy(out, p, n);
    return 1;
}

ad_code ad_store_index_changes(ad_store *st, int64_t after, int64_t limit, ad_ixchange_fn fn,
                               void *ctx, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(
        st->db,
        "SELECT l.seq, l.kind, l.a, l.b, m.id, m.sha256, m.md5, m.sha1, m.pdq,"
        " f.id, f.media_id, f.pdq, h.id, h.name, h.agency_id,"
        " (SELECT COUNT(*) FROM list_entry e WHERE l.kind = 'entry' AND e.list_id = l.a"
        "  AND e.media_id = l.b),"
        " (SELECT COUNT(*) FROM list_grant g WHERE l.kind = 'grant' AND g.list_id = l.a"
        "  AND g.agency_id = l.b),"
        " (SELECT COUNT(*) FROM entry_hold eh WHERE l.kind = 'hold' AND eh.list_id = l.a"
        "  AND eh.media_id = l.b AND eh.released = 0),"
        " x.pdq, x.media_id, xf.id"
        " FROM index_log l"
        " LEFT JOIN media m ON l.kind = 'media' AND m.id = l.a"
        " LEFT JOIN media_frame f ON l.kind = 'frame' AND f.id = l.a"
        " LEFT JOIN hash_list h ON l.kind = 'list' AND h.id = l.a"
        " LEFT JOIN media_hash x ON l.kind IN ('trim', 'area') AND x.media_id = l.a"
        "  AND x.frame = l.b AND x.kind = l.kind"
        " LEFT JOIN media_frame xf ON x.frame >= 0 AND xf.media_id = x.media_id"
        "  AND xf.frame = x.frame"
        " WHERE l.seq > ? ORDER BY l.seq LIMIT ?",
        err);
    if (!s)
        return AD_ECODE(err);
    ad_bind_int(s, 1, after);
    ad_bind_int(s, 2, limit);
    int k;
    while ((k = ad_step(s, err)) > 0) {
        ad_ixchange c;
        memset(&c, 0, sizeof c);
        c.seq = ad_col_int(s, 0);
        c.kind = kind_of(ad_col_text(s, 1), &c.extra);
        c.a = ad_col_int(s, 2);
        c.b = ad_col_int(s, 3);
        switch (c.kind) {
        case AD_IX_MEDIA:
            c.present = !ad_col_null(s, 4);
            c.has_sha256 = blob_into(s, 5, c.sha256, 32);
            c.has_md5 = blob_into(s, 6, c.md5, 16);
            c.has_sha1 = blob_into(s, 7, c.sha1, 20);
            c.has_pdq = blob_into(s, 8, c.pdq.b, 32);
            break;
        case AD_IX_FRAME:
            c.present = !ad_col_null(s, 9);
            c.media_id = ad_col_int(s, 10);
            c.has_pdq = blob_into(s, 11, c.pdq.b, 32);
            break;
        case AD_IX_LIST:
            c.present = !ad_col_null(s, 12);
            c.name = ad_col_text(s, 13);
            c.agency_id = ad_col_null(s, 14) ? 0 : ad_col_int(s, 14);
            break;
        case AD_IX_ENTRY:
            c.present = ad_col_int(s, 15) > 0;
            break;
        case AD_IX_GRANT:
            c.present = ad_col_int(s, 16) > 0;
            break;
        case AD_IX_HOLD:
            c.present = ad_col_int(s, 17) > 0;
            break;
        case AD_IX_EXTRA: /* a frame's: present once its frame row is there */
            c.present = !ad_col_null(s, 19) && (c.b < 0 || !ad_col_null(s, 20));
            c.has_pdq = blob_into(s, 18, c.pdq.b, 32);
            c.media_id = c.a;
            c.b = c.b < 0 ? 0 : ad_col_null(s, 20) ? 0 : ad_col_int(s, 20);
            break;
        default:
            break;
        }
        if (fn(ctx, &c))
            break;
    }
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}

ad_code ad_store_digests_all(ad_store *st, ad_digests_fn fn, void *ctx, ad_err *err)
{
    int64_t after = 0;
    for (;;) { /* in pages: one result of millions of rows is not held at once */
        ad_stmt *s = ad_db_stmt(st->db,
                                "SELECT id, sha256, md5, sha1 FROM media WHERE id > ?"
                                " ORDER BY id LIMIT 8192",
                                err);
        if (!s)
            return AD_ECODE(err);
        ad_bind_int(s, 1, after);
        int n = 0, k = 0, stop = 0;
        while (!stop && (k = ad_step(s, err)) > 0) {
            uint8_t d[3][32];
            int has[3] = {blob_into(s, 1, d[0], 32), blob_into(s, 2, d[1], 16),
                          blob_into(s, 3, d[2], 20)};
            after = ad_col_int(s, 0);
            n++;
            stop = fn(ctx, after, has[0] ? d[0] : NULL, has[1] ? d[1] : NULL,
                      has[2] ? d[2] : NULL);
        }
        ad_db_done(s);
        if (!stop && k < 0)
            return (ad_code)-k;
        if (stop || n < 8192)
            return AD_OK;
    }
}

ad_code ad_store_index_pairs(ad_store *st, ad_ixkind kind, ad_pair_fn fn, void *ctx, ad_err *err)
{
    const char *sql;
    switch (kind) {
    case AD_IX_ENTRY:
        /* a row value: both back ends seek the primary key to it (an OR of the two columns
         * scanned the table from its start for every page: quadratic at 10 million) */
        sql = "SELECT list_id, media_id FROM list_entry WHERE (list_id, media_id) > (?, ?)"
              " ORDER BY list_id, media_id LIMIT 8192";
        break;
    case AD_IX_GRANT:
        sql = "SELECT list_id, agency_id FROM list_grant WHERE (list_id, agency_id) > (?, ?)"
              " ORDER BY list_id, agency_id LIMIT 8192";
        break;
    case AD_IX_HOLD:
        sql = "SELECT list_id, media_id FROM entry_hold WHERE released = 0 AND"
              " (list_id, media_id) > (?, ?) ORDER BY list_id, media_id LIMIT 8192";
        break;
    default:
        return ad_err_set(err, AD_ERR_ARG, "no pairs of this kind");
    }
    int64_t a = 0, b = 0;
    for (;;) {
        ad_stmt *s = ad_db_stmt(st->db, sql, err);
        if (!s)
            return AD_ECODE(err);
        ad_bind_int(s, 1, a);
        ad_bind_int(s, 2, b);
        int n = 0, k = 0, stop = 0;
        while (!stop && (k = ad_step(s, err)) > 0) {
            a = ad_col_int(s, 0);
            b = ad_col_int(s, 1);
            n++;
            stop = fn(ctx, a, b);
        }
        ad_db_done(s);
        if (!stop && k < 0)
            return (ad_code)-k;
        if (stop || n < 8192)
            return AD_OK;
    }
}

ad_code ad_store_list_names(ad_store *st, ad_list_name_fn fn, void *ctx, ad_err *err)
{
    ad_stmt *s = ad_db_stmt(st->db, "SELECT id, name, agency_id FROM hash_list ORDER BY id", err);
    if (!s)
        return AD_ECODE(err);
    int k;
    while ((k = ad_step(s, err)) > 0)
        if (fn(ctx, ad_col_int(s, 0), ad_col_text(s, 1),
               ad_col_null(s, 2) ? 0 : ad_col_int(s, 2)))
            break;
    ad_db_done(s);
    return k < 0 ? (ad_code)-k : AD_OK;
}
